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
}

export interface ServiceOptions {
  /** Days a SCIM request body stays in the provisioning log. */
  provisioningLogRetentionDays?: number;
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
    replay: new ReplayCache(db),
    sessions,
    identityProviders: new IdentityProviderService(db, audit),
    signIn: new SignInService(db, audit, users, roles),
  };
}
