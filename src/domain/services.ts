import type { Database } from "../platform/database";
import { AuditService } from "./audit/audit.service";
import { CustomFieldService } from "./custom-fields/custom-field.service";
import { GroupService } from "./groups/group.service";
import { OrganisationService } from "./organisations/organisation.service";
import { ProvisioningLogService } from "./provisioning-log/provisioning-log.service";
import { RoleService } from "./roles/role.service";
import { TokenService } from "./tokens/token.service";
import { UserService } from "./users/user.service";
import { ReplayCache } from "./replay/replay-cache";
import { SessionService } from "./sessions/session.service";
import { IdentityProviderService } from "./sso/identity-provider.service";
import { SignInService } from "./sso/sign-in.service";
import { AccessTokenIssuer } from "./oauth/access-token.issuer";
import { FederatedAssertionVerifier } from "./oauth/federated-assertion.verifier";
import { OAuthClientService } from "./oauth/oauth-client.service";
import { OAuthTokenService } from "./oauth/oauth-token.service";
import { type OAuthSettings, defaultOAuthSettings } from "./oauth/oauth.settings";
import { RateLimiter } from "./rate-limits/rate-limiter";

/** The domain layer, wired once: every adapter (GraphQL, SCIM, SSO, CLI) gets this same set. */
export interface Services {
  db: Database;
  audit: AuditService;
  organisations: OrganisationService;
  users: UserService;
  groups: GroupService;
  roles: RoleService;
  customFields: CustomFieldService;
  tokens: TokenService;
  provisioningLog: ProvisioningLogService;
  replay: ReplayCache;
  sessions: SessionService;
  identityProviders: IdentityProviderService;
  signIn: SignInService;
  /** OAuth 2.0 for the SCIM API: clients and secrets, the token grant, Roster-signed access tokens. */
  oauthClients: OAuthClientService;
  oauthTokens: OAuthTokenService;
  accessTokens: AccessTokenIssuer;
  rateLimiter: RateLimiter;
}

export interface ServiceOptions {
  /** Days a SCIM request body stays in the provisioning log. */
  provisioningLogRetentionDays?: number;
  /** Issuer (PUBLIC_URL), access-token lifetime, JWKS refresh policy; defaults suit the CLI. */
  oauth?: Partial<OAuthSettings>;
}

export function createServices(db: Database, options: ServiceOptions = {}): Services {
  const audit = new AuditService(db);
  const roles = new RoleService(db, audit);
  const customFields = new CustomFieldService(db, audit);
  const users = new UserService(db, audit, roles, customFields);
  const sessions = new SessionService(db);
  // Deactivating (or deleting) a user ends their sessions in the same transaction, on every instance.
  users.onDeactivated.push(async (tx, userId) => {
    await sessions.deleteSessionsOfUser(tx, userId);
  });
  const oauthSettings: OAuthSettings = { ...defaultOAuthSettings, ...options.oauth };
  const replay = new ReplayCache(db);
  const oauthClients = new OAuthClientService(db, audit, oauthSettings);
  const accessTokens = new AccessTokenIssuer(db, oauthClients, oauthSettings);
  const oauthTokens = new OAuthTokenService(db, audit, oauthClients, accessTokens, new FederatedAssertionVerifier(replay, oauthSettings));
  return {
    db,
    audit,
    roles,
    customFields,
    organisations: new OrganisationService(db, audit, roles, customFields),
    users,
    groups: new GroupService(db, audit),
    tokens: new TokenService(db, audit),
    provisioningLog: new ProvisioningLogService(db, options.provisioningLogRetentionDays ?? 30),
    replay,
    sessions,
    identityProviders: new IdentityProviderService(db, audit),
    signIn: new SignInService(db, audit, users, roles),
    oauthClients,
    oauthTokens,
    accessTokens,
    rateLimiter: new RateLimiter(db),
  };
}
