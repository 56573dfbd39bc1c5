import type { UserChanges } from "../../../domain/users/user.service";
import { type Json, type PatchOperation, URN_CORE_USER, isObject } from "../../protocol";
import type { ScimScope } from "../scim-scope";

/**
 * Where the organisation manages roles in the product (`rolesManagedBy: product`), SCIM writes leave
 * a user's roles as they are: a PUT without `roles` keeps them (RFC 7644 §3.5.1 lets a service
 * provider keep readWrite attributes a PUT omits), and the roles an IdP sends are not applied. The
 * request still succeeds (Okta would otherwise fail every push), with this note in the provisioning log.
 */
export const ROLES_LEFT_NOTE = "roles left as they are: the organisation manages roles in the product";

const CORE_PREFIX = `${URN_CORE_USER.toLowerCase()}:`;

/** `roles`, `roles[…]`, `roles.value`, with or without the core schema's URN. */
function namesRoles(path: string): boolean {
  const p = path.toLowerCase();
  return /^roles(?:$|[.[])/.test(p.startsWith(CORE_PREFIX) ? p.slice(CORE_PREFIX.length) : p);
}

/**
 * A whole user (POST, PUT) as the organisation lets its IdP write it: where the product manages
 * roles, the roles sent are dropped from `resource` (noted) and `keepRoles` takes them out of the
 * changes mapped from it, so that the write leaves the user's roles alone (a new user gets none).
 */
export function rolesOfWholeUser(scope: ScimScope, resource: Json, sentNull: readonly string[]): { keepRoles: (changes: UserChanges) => UserChanges } {
  if (scope.settings.rolesManagedBy !== "product") return { keepRoles: (changes) => changes };
  if (resource.roles !== undefined || sentNull.includes("roles")) scope.notes.add(ROLES_LEFT_NOTE);
  delete resource.roles;
  return {
    keepRoles: (changes) => {
      delete changes.roles;
      return changes;
    },
  };
}

/**
 * PATCH operations as the organisation lets its IdP apply them: where the product manages roles,
 * those on `roles` (a path naming them, or a key of a path-less value) are left out, noted.
 */
export function roleOperationsLeftOut(scope: ScimScope, operations: PatchOperation[]): PatchOperation[] {
  if (scope.settings.rolesManagedBy !== "product") return operations;
  const kept: PatchOperation[] = [];
  let leftOut = false;
  for (const op of operations) {
    if (op.path) {
      const onRoles = op.path.attribute.toLowerCase() === "roles" && (op.path.schema === undefined || op.path.schema.toLowerCase() === URN_CORE_USER.toLowerCase());
      if (onRoles) leftOut = true;
      else kept.push(op);
      continue;
    }
    if (!isObject(op.value) || !Object.keys(op.value).some(namesRoles)) {
      kept.push(op);
      continue;
    }
    leftOut = true;
    const value = Object.fromEntries(Object.entries(op.value).filter(([key]) => !namesRoles(key)));
    if (Object.keys(value).some((key) => key.toLowerCase() !== "schemas")) kept.push({ ...op, value });
  }
  if (leftOut) scope.notes.add(ROLES_LEFT_NOTE);
  return kept;
}
