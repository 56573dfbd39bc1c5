import { Database, isUniqueViolation } from "../../platform/database";
import { boolOf, dateOf, jsonOf, textOf } from "../../platform/row-values";
import { newId } from "../../platform/ids";
import type { RequestContext } from "../../platform/request-context";
import { OrganisationCache } from "../shared/organisation-cache";
import type { AuditRecord, AuditService } from "../audit/audit.service";
import { diffFields } from "../audit/audit.service";
import { DomainError, InputProblems, conflict, invalidInput, notFound } from "../shared/domain-error";
import { assertExpectedVersion } from "../shared/expected-version";
import { caseInsensitiveKey } from "../shared/normalise";
import { refillingOwnDetails } from "../users/own-details";
import { RoleAssignment } from "./role-assignment.entity";
import { Role } from "./role.entity";
import { characterCount } from "../shared/text-length";

export const BUILT_IN_ROLES = [
  { name: "admin", description: "Manages the organisation: users, groups, roles, tokens and sign-in settings", permissions: ["*"] },
  { name: "member", description: "A member of the organisation", permissions: [] },
] as const;

export interface RoleInput {
  name?: string;
  description?: string | null;
  permissions?: string[];
}

const PERMISSION = /^[A-Za-z0-9_.:*-]{1,128}$/;
/** Permissions one role may hold (GraphQL checks the bound before the resolver, with this message). */
export const MAX_PERMISSIONS = 200;
export const TOO_MANY_PERMISSIONS = `a role has at most ${MAX_PERMISSIONS} permissions`;
/** A role's description, as long as its column (varchar(1024)). */
const MAX_DESCRIPTION = 1024;

/** Distinct role names one request may name (a user's roles after assignRoles included). */
export const MAX_ROLE_NAMES = 1000;
/** The refusal of more than MAX_ROLE_NAMES (GraphQL checks the bound before the resolver, with this message). */
export const TOO_MANY_ROLE_NAMES = `at most ${MAX_ROLE_NAMES} roles in one request`;
/** Unknown role names an error lists; the rest are counted. */
const MISSING_ROLES_NAMED = 20;

/** How long an organisation's roles are reused for rendering users (a change made here forgets them at once). */
const ROLES_TTL_MS = 5_000;

export class RoleService {
  private readonly cache: OrganisationCache<Map<string, Role>>;

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {
    this.cache = new OrganisationCache(db, ROLES_TTL_MS);
  }

  /**
   * The organisation's roles by id, for rendering users' roles. Cached for a few seconds and
   * forgotten once a change of roles commits here (`forget`); `fresh` reads them again
   * (a role id the cache does not know yet was created through another instance).
   */
  rolesById(ctx: RequestContext, fresh = false): Promise<Map<string, Role>> {
    return this.cache.get(ctx, async () => new Map((await this.list(ctx)).map((r) => [r.id, r])), fresh);
  }

  /**
   * The ids of the roles named by these keys (`caseInsensitiveKey`), from the cached roles; read again
   * when one is unknown (created through another instance). A key no role has is left out.
   */
  async idsByNameKey(ctx: RequestContext, keys: string[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    const byKey = (roles: Map<string, Role>) => new Map([...roles.values()].map((r) => [r.nameKey, r.id]));
    let ids = byKey(await this.rolesById(ctx));
    if (keys.some((k) => !ids.has(k))) ids = byKey(await this.rolesById(ctx, true));
    return new Map(keys.flatMap((k) => (ids.has(k) ? [[k, ids.get(k)!] as const] : [])));
  }

  forget(organisationId: string): void {
    this.cache.forget(organisationId);
  }

  async createBuiltIns(ctx: RequestContext): Promise<void> {
    const now = new Date();
    await this.db
      .manager(ctx)
      .getRepository(Role)
      .insert(
        BUILT_IN_ROLES.map((r) => ({
          id: newId(),
          organisationId: ctx.organisationId,
          name: r.name,
          nameKey: caseInsensitiveKey(r.name),
          description: r.description,
          permissions: [...r.permissions],
          builtIn: true,
          version: 1,
          createdAt: now,
          updatedAt: now,
        })),
      );
  }

  list(ctx: RequestContext): Promise<Role[]> {
    return this.db.manager(ctx).getRepository(Role).find({ where: { organisationId: ctx.organisationId }, order: { nameKey: "ASC" } });
  }

  async get(ctx: RequestContext, id: string): Promise<Role> {
    const role = await this.db.manager(ctx).getRepository(Role).findOneBy({ id, organisationId: ctx.organisationId });
    if (!role) throw notFound("Role", id);
    return role;
  }

  /**
   * Resolves role names case-insensitively; every name must exist in the organisation. In a MariaDB
   * transaction (a user's roles being written) the roles are read as they are now, not as the
   * transaction's snapshot saw them, and stay share-locked until COMMIT: a role deleted meanwhile
   * is refused here (400), not by the foreign key of the assignment's INSERT (a 500), and a deletion
   * waits for the assignment and then removes it with the role.
   */
  async findByNames(ctx: RequestContext, names: string[]): Promise<Role[]> {
    const keys = [...new Set(names.map(caseInsensitiveKey))];
    if (keys.length === 0) return [];
    // One placeholder per name: 50,000 names (assignRoles, 600 KB of variables) went past SQLite's
    // 32,766 and ended as a 500.
    if (keys.length > MAX_ROLE_NAMES) throw invalidInput("roles", TOO_MANY_ROLE_NAMES);
    const lock = ctx.manager && this.db.dialect === "mysql" ? " LOCK IN SHARE MODE" : "";
    const roles = (
      await this.db.rows(ctx, `SELECT * FROM roles WHERE organisationId = ? AND nameKey IN (${Database.placeholders(keys.length)})${lock}`, [ctx.organisationId, ...keys])
    ).map(roleFromRaw);
    const found = new Set(roles.map((r) => r.nameKey));
    const missing = names.filter((n) => !found.has(caseInsensitiveKey(n)));
    if (missing.length) {
      const named = missing.slice(0, MISSING_ROLES_NAMED).map((m) => JSON.stringify(m)).join(", ");
      const more = missing.length > MISSING_ROLES_NAMED ? ` and ${missing.length - MISSING_ROLES_NAMED} more` : "";
      throw invalidInput("roles", `no role named ${named}${more} in this organisation`);
    }
    return roles;
  }

  async create(ctx: RequestContext, input: RoleInput): Promise<Role> {
    // A name left out is an empty one (refused with the other fields' problems).
    const valid = validateRoleInput({ ...input, name: input.name ?? "", permissions: input.permissions ?? [] });
    const name = valid.name!;
    const permissions = valid.permissions!;
    const now = new Date();
    const role: Role = {
      id: newId(),
      organisationId: ctx.organisationId,
      name,
      nameKey: caseInsensitiveKey(name),
      description: valid.description ?? null,
      permissions,
      builtIn: false,
      version: 1,
      createdAt: now,
      updatedAt: now,
    };
    return this.uniquely(name, () =>
      this.db.transaction(ctx, async (tx) => {
        await tx.manager.getRepository(Role).insert(role);
        await this.audit.record(tx, { action: "role.created", resourceType: "Role", resourceId: role.id, changes: diffFields({}, { name, description: role.description, permissions: role.permissions }) });
        return role;
      }),
    );
  }

  /**
   * A write that changes nothing keeps the version; one that changes something moves it by one. With
   * `expectedVersion`, a role at another version is refused (VERSION_MISMATCH), checked under the row lock.
   */
  async update(ctx: RequestContext, id: string, input: RoleInput, options: { expectedVersion?: number } = {}): Promise<Role> {
    const valid = validateRoleInput(input);
    return this.uniquely(valid.name ?? "", () =>
      this.db.transaction(ctx, async (tx) => {
        const repo = tx.manager.getRepository(Role);
        const role = await this.lockForWrite(tx, id);
        assertExpectedVersion("Role", id, role.version, options.expectedVersion);
        const next: Partial<Role> = {};
        if (valid.name !== undefined) {
          const name = valid.name;
          if (role.builtIn && caseInsensitiveKey(name) !== role.nameKey) throw new DomainError("FORBIDDEN", `the built-in role "${role.name}" cannot be renamed`, { field: "name" });
          next.name = name;
          next.nameKey = caseInsensitiveKey(name);
        }
        if (valid.description !== undefined) next.description = valid.description;
        if (valid.permissions !== undefined) next.permissions = valid.permissions;
        const diff = diffFields(role as unknown as Record<string, unknown>, { name: next.name, description: next.description, permissions: next.permissions });
        for (const k of Object.keys(diff)) if ((next as Record<string, unknown>)[k] === undefined) delete diff[k];
        if (Object.keys(diff).length === 0) return role;
        Object.assign(role, next, { version: role.version + 1, updatedAt: new Date() });
        await repo.update({ id }, { ...next, version: role.version, updatedAt: role.updatedAt });
        await this.audit.record(tx, { action: "role.updated", resourceType: "Role", resourceId: id, changes: diff });
        return role;
      }),
    );
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.db.transaction(ctx, async (tx) => {
      const repo = tx.manager.getRepository(Role);
      const role = await this.lockForWrite(tx, id);
      if (role.builtIn) throw new DomainError("FORBIDDEN", `the built-in role "${role.name}" cannot be deleted`, { field: "id" });
      // Its holders' copies of their own rows (users.ownDetails) name it.
      // Read as they are now (a locking read), not as the snapshot taken before the lock saw them:
      // an assignment committed while this waited for the role is among them.
      const holders = `SELECT userId FROM role_assignments WHERE roleId = ? AND organisationId = ?${this.db.dialect === "mysql" ? " FOR UPDATE" : ""}`;
      await refillingOwnDetails(this.db, tx, holders, [id, tx.organisationId], async (userIds) => {
        // Each holder's roles changed: an audit event of theirs, as if the role had been unassigned.
        const events: AuditRecord[] = [];
        for (let i = 0; i < userIds.length; i += 1000) {
          for (const [userId, held] of await this.rolesOfUsers(tx, userIds.slice(i, i + 1000))) {
            const before = held.map((r) => r.name).sort();
            events.push({ action: "user.updated", resourceType: "User", resourceId: userId, changes: { roles: { before, after: before.filter((n) => n !== role.name) } } });
          }
        }
        await tx.manager.getRepository(RoleAssignment).delete({ roleId: id });
        await this.audit.recordMany(tx, events);
      });
      await repo.delete({ id });
      await this.audit.record(tx, { action: "role.deleted", resourceType: "Role", resourceId: id, changes: { name: { before: role.name, after: null } } });
    });
  }

  /**
   * The role, locked until COMMIT on MariaDB through its name's index and then its row: the order
   * in which `findByNames` share-locks the roles a user's write names. Locked by id alone (the row,
   * then the name's index entry at the UPDATE or DELETE), a deletion and an assignment deadlocked.
   */
  private async lockForWrite(tx: RequestContext, id: string): Promise<Role> {
    const [found] = await this.db.rows(tx, "SELECT * FROM roles WHERE id = ? AND organisationId = ?", [id, tx.organisationId]);
    if (!found) throw notFound("Role", id);
    if (this.db.dialect !== "mysql") return roleFromRaw(found);
    const [row] = await this.db.rows(tx, "SELECT * FROM roles WHERE organisationId = ? AND nameKey = ? FOR UPDATE", [tx.organisationId, found.nameKey]);
    if (row?.id === id) return roleFromRaw(row);
    // Renamed or deleted between the two reads (rare): by its row alone.
    const [byId] = await this.db.rows(tx, "SELECT * FROM roles WHERE id = ? AND organisationId = ? FOR UPDATE", [id, tx.organisationId]);
    if (!byId) throw notFound("Role", id);
    return roleFromRaw(byId);
  }

  /** Roles of many users at once: one query, for list pages and SCIM lists. */
  async rolesOfUsers(ctx: RequestContext, userIds: string[]): Promise<Map<string, Role[]>> {
    const result = new Map<string, Role[]>(userIds.map((id) => [id, []]));
    if (userIds.length === 0) return result;
    // One query: the assignments of these users joined to their roles.
    const rows = await this.db.rows<Record<string, unknown> & { userId: string }>(
      ctx,
      `SELECT ra.userId AS userId, r.* FROM role_assignments ra INNER JOIN roles r ON r.id = ra.roleId WHERE ra.organisationId = ? AND ra.userId IN (${Database.placeholders(userIds.length)}) ORDER BY r.nameKey`,
      [ctx.organisationId, ...userIds],
    );
    for (const { userId, ...raw } of rows) result.get(userId)?.push(roleFromRaw(raw));
    return result;
  }

  private async uniquely<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict("Role", "name", `a role named "${name}" already exists`);
      throw err;
    }
  }
}

/** A plain row → a Role as the repository would give it. */
export function roleFromRaw(raw: Record<string, unknown>): Role {
  return {
    id: String(raw.id),
    organisationId: String(raw.organisationId),
    name: String(raw.name),
    nameKey: String(raw.nameKey),
    description: textOf(raw.description),
    permissions: jsonOf<string[]>(raw.permissions) ?? [],
    builtIn: boolOf(raw.builtIn),
    version: Number(raw.version),
    createdAt: dateOf(raw.createdAt),
    updatedAt: dateOf(raw.updatedAt),
  };
}

/**
 * The rules of a role's given fields, which need no reading (each left out is not checked): every
 * invalid one at once, so that a form learns them all. Returns them as they are stored.
 */
export function validateRoleInput(input: RoleInput): RoleInput {
  const problems = new InputProblems();
  const valid: RoleInput = {};
  if (input.name !== undefined) valid.name = problems.check(() => validateRoleName(input.name));
  if (input.description !== undefined) valid.description = problems.check(() => validateDescription(input.description));
  if (input.permissions !== undefined) valid.permissions = problems.check(() => validatePermissions(input.permissions!));
  problems.throwIfAny();
  return valid;
}

function validateDescription(description: string | null | undefined): string | null {
  const d = description?.trim() || null;
  if (d && characterCount(d) > MAX_DESCRIPTION) throw invalidInput("description", `description is at most ${MAX_DESCRIPTION} characters`);
  return d;
}

function validateRoleName(name: string | undefined): string {
  const n = (name ?? "").trim();
  if (!n || characterCount(n) > 128) throw invalidInput("name", "role name must be 1-128 characters");
  return n;
}

function validatePermissions(permissions: string[]): string[] {
  if (!Array.isArray(permissions)) throw invalidInput("permissions", "permissions must be a list");
  if (permissions.length > MAX_PERMISSIONS) throw invalidInput("permissions", TOO_MANY_PERMISSIONS);
  const bad = permissions.filter((p) => !PERMISSION.test(p));
  if (bad.length) throw invalidInput("permissions", `invalid permission ${JSON.stringify(bad[0])}: use letters, digits and . : _ - *`);
  return [...new Set(permissions)];
}
