import { randomBytes } from "node:crypto";
import type { Database } from "../platform/database";
import type { RedisConnection } from "../platform/redis";
import { AuditService } from "./audit/audit.service";
import { CustomFieldService } from "./custom-fields/custom-field.service";
import { GroupService } from "./groups/group.service";
import { OrganisationService } from "./organisations/organisation.service";
import { type LogRetention, ProvisioningLogService } from "./provisioning-log/provisioning-log.service";
import { RoleService } from "./roles/role.service";
import { TokenService } from "./tokens/token.service";
import { UserService } from "./users/user.service";
import { DatabaseReplayStore, ReplayCache } from "./replay/replay-cache";
import { RedisReplayStore } from "./replay/redis-replay-store";
import { DatabaseSessionStore, SessionService } from "./sessions/session.service";
import { RedisSessionStore } from "./sessions/redis-session-store";
import { IdentityProviderService } from "./sso/identity-provider.service";
import { SignInService } from "./sso/sign-in.service";
import { AccessTokenIssuer } from "./oauth/access-token.issuer";
import { FederatedAssertionVerifier } from "./oauth/federated-assertion.verifier";
import { OAuthClientService } from "./oauth/oauth-client.service";
import { OAuthTokenService } from "./oauth/oauth-token.service";
import { type OAuthSettings, defaultOAuthSettings } from "./oauth/oauth.settings";
import { DatabaseCounterStore, RateLimiter } from "./rate-limits/rate-limiter";
import { RedisCounterStore } from "./rate-limits/redis-counter-store";
import { Cursors } from "./shared/cursors";

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
  /** The keys that seal the sort keys of keyset pages into the API's cursors (the same on every instance). */
  cursors: Cursors;
  /** Set when REDIS_URL is: sessions, the replay cache and rate-limit counters live there. */
  redis: RedisConnection | null;
}

export interface ServiceOptions {
  /** Days a SCIM request's body, and then its entry, stay in the provisioning log (30 and 90 by default). */
  provisioningLogRetention?: Partial<LogRetention>;
  /** Issuer (PUBLIC_URL), access-token lifetime, JWKS refresh policy; defaults suit the CLI. */
  oauth?: Partial<OAuthSettings>;
  /**
   * REDIS_URL's connection: sessions, the replay cache and rate-limit counters go to Redis instead
   * of the database (everything else, the generated session secret included, stays in the database).
   */
  redis?: RedisConnection | null;
  /** How long a checked SCIM/admin token is trusted before it is read again (TOKEN_CACHE_SECONDS). */
  tokenCacheMs?: number;
  /**
   * ALLOW_PRIVATE_OUTBOUND_HOSTS, tests and development only: hosts an organisation admin configures
   * and Roster fetches from (a federated credential's JWKS, an OIDC issuer) may be loopback or private. Default false.
   */
  allowPrivateOutboundHosts?: boolean;
}

export function createServices(db: Database, options: ServiceOptions = {}): Services {
  const audit = new AuditService(db);
  const roles = new RoleService(db, audit);
  const customFields = new CustomFieldService(db, audit);
  const users = new UserService(db, audit, roles, customFields);
  const groups = new GroupService(db, audit);
  audit.onChanged.push((organisationId, resourceType) => {
    users.forgetLists(organisationId);
    groups.forgetLists(organisationId);
    // Only a change of roles (or of the organisation, which creates the built-in ones) makes the
    // cached roles stale: forgetting them on every write made each SCIM write read them again.
    if (resourceType === "Role" || resourceType === "Organisation") roles.forget(organisationId);
  });
  const redis = options.redis ?? null;
  const sessions = new SessionService(redis ? new RedisSessionStore(redis) : new DatabaseSessionStore(db));
  // Deactivating (or deleting) a user ends their sessions on every instance: in the same transaction
  // when they are rows of the database; in Redis, once that transaction has committed, before the
  // deactivation returns (a rolled-back deactivation ends nothing). Every request also re-checks that
  // its user is active, so a session that outlived its user (Redis unreachable then) is refused anyway.
  users.onDeactivated.push(async (tx, userId) => {
    if (sessions.transactional) await sessions.deleteSessionsOfUser(tx, userId);
    else await db.afterCommit(tx, () => sessions.deleteSessionsOfUser(null, userId).then(() => undefined, () => undefined));
  });
  const identityProviders = new IdentityProviderService(db, audit, options.allowPrivateOutboundHosts ?? false);
  // Deleting an IdP configuration, or replacing it with another IdP, ends the sessions signed in
  // through it, the same way. Every request also checks the IdP its session signed in through.
  identityProviders.onIdentityEnded.push(async (tx, identityProviderId) => {
    if (sessions.transactional) await sessions.deleteSessionsOfIdentityProvider(tx, identityProviderId);
    else await db.afterCommit(tx, () => sessions.deleteSessionsOfIdentityProvider(null, identityProviderId).then(() => undefined, () => undefined));
  });
  const tokens = new TokenService(db, audit, options.tokenCacheMs);
  const organisations = new OrganisationService(db, audit, roles, customFields);
  organisations.onChanged.push((organisationId) => tokens.forget({ organisationId }));
  const oauthSettings: OAuthSettings = { ...defaultOAuthSettings, ...options.oauth };
  const databaseReplay = new DatabaseReplayStore(db);
  const replay = new ReplayCache(redis ? new RedisReplayStore(redis) : databaseReplay, databaseReplay);
  const allowPrivateHosts = options.allowPrivateOutboundHosts ?? false;
  const oauthClients = new OAuthClientService(db, audit, oauthSettings, allowPrivateHosts);
  const accessTokens = new AccessTokenIssuer(db, oauthClients, oauthSettings, options.tokenCacheMs);
  oauthClients.onCredentialsChanged.push((clientId) => accessTokens.forget({ clientId }));
  organisations.onChanged.push((organisationId) => accessTokens.forget({ organisationId }));
  // The token checks carry hasNestedGroups too: set by a group write, it applies at once here (other
  // instances: within TOKEN_CACHE_SECONDS, as settings do).
  groups.onNestingStarted.push((organisationId) => {
    tokens.forget({ organisationId });
    accessTokens.forget({ organisationId });
  });
  // Cursors' keys derive from a secret generated once and kept in the database (`secret:cursors`,
  // beside the generated session secret): every instance seals and opens cursors alike.
  const cursors = new Cursors(() => replay.sharedSecret("cursors", () => randomBytes(32).toString("base64url")));
  const oauthTokens = new OAuthTokenService(db, audit, oauthClients, accessTokens, new FederatedAssertionVerifier(replay, oauthSettings, allowPrivateHosts));
  return {
    db,
    audit,
    roles,
    customFields,
    organisations,
    users,
    groups,
    tokens,
    provisioningLog: new ProvisioningLogService(db, { bodyDays: 30, entryDays: 90, ...options.provisioningLogRetention }),
    replay,
    sessions,
    identityProviders,
    signIn: new SignInService(db, audit, users, roles),
    oauthClients,
    oauthTokens,
    accessTokens,
    rateLimiter: new RateLimiter(redis ? new RedisCounterStore(redis) : new DatabaseCounterStore(db)),
    cursors,
    redis,
  };
}
