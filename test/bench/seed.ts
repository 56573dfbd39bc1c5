import crypto from "node:crypto";
import type { DataSource, EntityManager, ObjectLiteral, EntityTarget } from "typeorm";
import { Group } from "../../src/domain/groups/group.entity";
import { GroupMembership } from "../../src/domain/groups/group-membership.entity";
import { RoleAssignment } from "../../src/domain/roles/role-assignment.entity";
import { Role } from "../../src/domain/roles/role.entity";
import type { Services } from "../../src/domain/services";
import { contactOwnRow, roleOwnRow } from "../../src/domain/users/own-details";
import { UserContact } from "../../src/domain/users/user-contact.entity";
import { User } from "../../src/domain/users/user.entity";
import { isSqlite } from "../../src/platform/data-source";
import { newRequestId } from "../../src/platform/ids";
import { type RequestContext, systemActor } from "../../src/platform/request-context";
import { caseInsensitiveKey } from "../../src/domain/shared/normalise";

/**
 * Bulk seeding of large directories through the domain's entities (multi-row INSERTs), as the issue
 * allows: the rows are the ones UserService.create would write for the same SCIM body (checked in
 * every run by reading a seeded user back over SCIM next to one created over SCIM). Audit events of
 * the seeded creates are not written: nothing the benchmark reads depends on them.
 */

export interface Tenant {
  slug: string;
  organisationId: string;
  ctx: RequestContext;
  scimToken: string;
  adminToken: string;
}

export async function createTenant(services: Services, slug: string): Promise<Tenant> {
  const sys = { actor: systemActor, source: "system" as const, requestId: newRequestId() };
  const organisation = await services.organisations.create(sys, { slug, name: `Benchmark ${slug}` });
  const ctx: RequestContext = { ...sys, organisationId: organisation.id };
  const admin = await services.tokens.create(ctx, { name: "bench admin", scope: "admin" });
  const scim = await services.tokens.create(ctx, { name: "bench scim", scope: "scim" });
  return { slug, organisationId: organisation.id, ctx, scimToken: scim.secret, adminToken: admin.secret };
}

/** The seeded user number i: zero-padded so that userName order is number order. */
export const userNameOf = (slug: string, i: number) => `user${String(i).padStart(7, "0")}@${slug}.example.com`;
export const externalIdOf = (i: number) => `EXT-${String(i).padStart(7, "0")}`;
/** Every 10th user manages the nine after it. */
export const managerIndexOf = (i: number) => (i % 10 === 0 ? null : i - (i % 10));

/** What a seeded user looks like over SCIM (the same body creates its twin over SCIM). */
export function scimBodyOf(slug: string, i: number, managerId: string | null, roles: string[]): Record<string, unknown> {
  const userName = userNameOf(slug, i);
  return {
    schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
    userName,
    externalId: externalIdOf(i),
    name: { givenName: `Given${i}`, familyName: `Family${i}` },
    displayName: `Given${i} Family${i}`,
    emails: [{ value: userName, type: "work", primary: true }],
    active: true,
    roles: roles.map((value) => ({ value })),
    ...(managerId ? { "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { manager: { value: managerId } } } : {}),
  };
}

export class Seeder {
  /** ids[i] is the id of seeded user i. */
  readonly userIds: string[] = [];
  private roleIds = new Map<string, string>();

  constructor(
    private readonly ds: DataSource,
    readonly tenant: Tenant,
    private readonly sqlite: boolean,
  ) {}

  get userCount(): number {
    return this.userIds.length;
  }

  /** Extra roles (besides the built-in admin and member) so that users carry several. */
  async prepareRoles(services: Services): Promise<void> {
    for (const name of ["engineering", "sales", "support"]) await services.roles.create(this.tenant.ctx, { name });
    const roles = await this.ds.getRepository(Role).findBy({ organisationId: this.tenant.organisationId });
    for (const r of roles) this.roleIds.set(r.name, r.id);
  }

  rolesOf(i: number): string[] {
    return i % 7 === 0 ? ["engineering", "member"] : ["member"];
  }

  /** Grows the directory to `total` users. */
  async growTo(total: number, onProgress?: (n: number) => void): Promise<void> {
    const chunk = this.sqlite ? 900 : 1000;
    while (this.userIds.length < total) {
      const from = this.userIds.length;
      const to = Math.min(total, from + chunk);
      const users: User[] = [];
      const contacts: UserContact[] = [];
      const assignments: RoleAssignment[] = [];
      const now = new Date();
      for (let i = from; i < to; i++) {
        // Random ids, not Roster's time-ordered ones: seeded in userName order, those would lay the table
        // out in userName order too, which no directory grown over years has (and pages would flatter).
        const id = crypto.randomUUID();
        this.userIds.push(id);
        const m = managerIndexOf(i);
        const user = this.userRow(i, id, m === null ? null : this.userIds[m], now);
        const userName = userNameOf(this.tenant.slug, i);
        const email: UserContact = { id: crypto.randomUUID(), organisationId: this.tenant.organisationId, userId: id, kind: "email", position: 0, value: userName, valueKey: userName.toLowerCase(), type: "work", primary: true, display: null };
        const roleIds = this.rolesOf(i).map((r) => this.roleIds.get(r)!);
        // As UserService writes them: the copy of the user's own rows in the user's row.
        user.ownDetails = [contactOwnRow(email), ...roleIds.map(roleOwnRow)];
        users.push(user);
        contacts.push(email);
        for (const roleId of roleIds) assignments.push({ userId: id, roleId, organisationId: this.tenant.organisationId });
      }
      await this.ds.transaction(async (m) => {
        await insertMany(m, User, users, chunk);
        await insertMany(m, UserContact, contacts, 3000);
        await insertMany(m, RoleAssignment, assignments, 5000);
      });
      onProgress?.(to);
    }
    await this.analysed();
  }

  /**
   * On SQLite, the statistics brought up to date after a bulk load, which the Roster process would
   * otherwise do within a minute (keepPlannerStatistics): the scenarios measure it afterwards.
   */
  private async analysed(): Promise<void> {
    if (this.sqlite) await this.ds.query("PRAGMA optimize=0x10002");
  }

  private userRow(i: number, id: string, managerId: string | null, now: Date): User {
    const userName = userNameOf(this.tenant.slug, i);
    const u = new User();
    Object.assign(u, {
      id,
      organisationId: this.tenant.organisationId,
      userName,
      userNameKey: caseInsensitiveKey(userName),
      externalId: externalIdOf(i),
      externalIdKey: externalIdOf(i).toLowerCase(),
      active: true,
      displayName: `Given${i} Family${i}`,
      nickName: null,
      nameFormatted: null,
      givenName: `Given${i}`,
      familyName: `Family${i}`,
      middleName: null,
      honorificPrefix: null,
      honorificSuffix: null,
      title: null,
      userType: null,
      preferredLanguage: null,
      locale: null,
      timezone: null,
      profileUrl: null,
      employeeNumber: null,
      costCenter: null,
      costCenterKey: null,
      organization: null,
      division: null,
      department: null,
      departmentKey: null,
      managerId,
      addresses: null,
      ownDetails: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    return u;
  }

  /** A group whose members are seeded users [from, from + size). */
  async group(displayName: string, from: number, size: number): Promise<string> {
    const id = crypto.randomUUID();
    const now = new Date();
    const g: Group = { id, organisationId: this.tenant.organisationId, displayName, displayNameKey: caseInsensitiveKey(displayName), externalId: null, version: 1, memberCount: 0, createdAt: now, updatedAt: now };
    await this.ds.getRepository(Group).insert(g);
    const chunk = 5000;
    for (let s = from; s < from + size; s += chunk) {
      const rows: GroupMembership[] = [];
      for (let i = s; i < Math.min(from + size, s + chunk); i++)
        rows.push({ groupId: id, memberId: this.userIds[i], organisationId: this.tenant.organisationId, memberType: "user", createdAt: now });
      await insertMany(this.ds.manager, GroupMembership, rows, chunk);
    }
    // Its memberCount, as the domain keeps it (the memberships above bypass it).
    const groups = isSqlite(this.ds) ? '"groups"' : "`groups`";
    await this.ds.query(`UPDATE ${groups} SET memberCount = (SELECT COUNT(*) FROM group_memberships m WHERE m.groupId = ?) WHERE id = ?`, [id, id]);
    await this.analysed();
    return id;
  }
}

async function insertMany<T extends ObjectLiteral>(m: EntityManager, entity: EntityTarget<T>, rows: T[], chunk: number): Promise<void> {
  for (let i = 0; i < rows.length; i += chunk) {
    // The entities' own metadata (columns, types, JSON, booleans, datetimes) builds the statement.
    await m.createQueryBuilder().insert().into(entity).values(rows.slice(i, i + chunk)).updateEntity(false).execute();
  }
}
