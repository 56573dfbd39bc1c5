import type { Database } from "../platform/database";
import { AuditService } from "./audit/audit.service";
import { CustomFieldService } from "./custom-fields/custom-field.service";
import { GroupService } from "./groups/group.service";
import { OrganisationService } from "./organisations/organisation.service";
import { RoleService } from "./roles/role.service";
import { TokenService } from "./tokens/token.service";
import { UserService } from "./users/user.service";

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
}

export function createServices(db: Database): Services {
  const audit = new AuditService(db);
  const roles = new RoleService(db, audit);
  const customFields = new CustomFieldService(db, audit);
  return {
    db,
    audit,
    roles,
    customFields,
    organisations: new OrganisationService(db, audit, roles, customFields),
    users: new UserService(db, audit, roles, customFields),
    groups: new GroupService(db, audit),
    tokens: new TokenService(db, audit),
  };
}
