import type { EntityManager } from "typeorm";
import { Database, isUniqueViolation } from "../../platform/database";
import { newId } from "../../platform/ids";
import type { RequestContext } from "../../platform/request-context";
import type { AuditService } from "../audit/audit.service";
import type { FieldChange } from "../audit/audit-event.entity";
import type { CustomFieldService, CustomFieldValues } from "../custom-fields/custom-field.service";
import type { CustomFieldDefinition } from "../custom-fields/custom-field-definition.entity";
import { CUSTOM_VALUE_KEY_LENGTH, customValueKey } from "../custom-fields/custom-field-value.entity";
import { removeFromEveryGroup } from "../groups/group.service";
import { type GroupRef, containingGroupsOf, containingGroupsSql, indirectGroupsOf, isContainedSql } from "../groups/indirect-groups";
import type { Role } from "../roles/role.entity";
import type { RoleService } from "../roles/role.service";
import { type ColumnSpec, SqlWhereBuilder, assertFewUnindexedComparisons, sortColumnOf } from "../shared/criteria";
import { InputProblems, conflict, invalidInput, notFound } from "../shared/domain-error";
import { type ExpectedVersion, assertExpectedVersion } from "../shared/expected-version";
import { attributeKey, blankToNull, caseInsensitiveKey, lowerCaseKey } from "../shared/normalise";
import { type Continuation, PageContinuations } from "../shared/page-continuations";
import { RecentTotals } from "../shared/recent-totals";
import { type CountOption, type CursorPage, type CursorSlice, type OffsetPage, type Slice, cursorSlice } from "../shared/paging";
import { type ContactKind, UserContact, contactValueKey } from "./user-contact.entity";
import { CONTACT_CHANGING_COLUMNS, type ContactDifferences, contactDifferences } from "./contact-differences";
import { type OwnRow, type OwnRowsWritten, ownDetailRows, ownRowsAfter, ownRowsFromUnion } from "./own-details";
import { contactFromRow, userFromRow } from "./user.rows";
import { type DetailParts, compareText, containedGroupsOfRows, fullValuesSql, isCutValue, membershipsThenGroups, missingFromRows, pageDetailsParams, pageDetailsSql, userDetailsFromRows, userDetailsParams, userDetailsSql, valueKey } from "./user-details.sql";
import { type PostalAddress, User } from "./user.entity";
import { TEXT_SEARCH_COLUMNS, type UserCriteria, type UserField, type UserRelation, contactColumns, relationsOf, userColumns, userIndexes } from "./user.query";
import { characterCount } from "../shared/text-length";
import { numberValue } from "../custom-fields/number-value";

export interface ContactInput {
  value: string;
  type?: string | null;
  primary?: boolean | null;
  display?: string | null;
}

/** Plain text attributes of a user, with their maximum lengths (the column sizes). */
export const TEXT_FIELDS = {
  displayName: 255,
  nickName: 255,
  nameFormatted: 512,
  givenName: 255,
  familyName: 255,
  middleName: 255,
  honorificPrefix: 64,
  honorificSuffix: 64,
  title: 255,
  userType: 64,
  preferredLanguage: 64,
  locale: 64,
  timezone: 64,
  profileUrl: 1024,
  employeeNumber: 64,
  costCenter: 255,
  organization: 255,
  division: 255,
  department: 255,
} as const;
export type UserTextField = keyof typeof TEXT_FIELDS;
export const userTextFields = Object.keys(TEXT_FIELDS) as UserTextField[];

/**
 * The one patch shape (GraphQL inputs and SCIM operations both compile to it): `undefined` leaves
 * a field alone, `null` clears it. Lists replace the whole list; `customFields` replaces only the
 * keys it names; `roles` are role names.
 */
export type UserChanges = { [K in UserTextField]?: string | null } & {
  userName?: string;
  externalId?: string | null;
  active?: boolean;
  managerId?: string | null;
  emails?: ContactInput[] | null;
  phoneNumbers?: ContactInput[] | null;
  addresses?: PostalAddress[] | null;
  roles?: string[] | null;
  customFields?: Record<string, unknown>;
};

export type NewUser = UserChanges & { userName: string };

export interface UpdateOptions {
  /** Optimistic concurrency: refuse the write when the stored version differs (SCIM If-Match). */
  expectedVersion?: ExpectedVersion;
}

/** What adapters render besides the user row itself; loaded for many users in a constant number of queries. */
export interface UserDetails {
  emails: UserContact[];
  phoneNumbers: UserContact[];
  roles: Role[];
  customFields: CustomFieldValues;
  /** The groups the user is a direct member of, by name. */
  groups: GroupRef[];
  /**
   * Read only when asked (`indirectGroups`, SCIM): the groups the user is in through nested groups
   * and not directly, each once, by name.
   */
  indirectGroups?: GroupRef[];
  manager: { id: string; userName: string; displayName: string | null } | null;
}

/** Which groups a read brings with its users: the direct ones, and with `indirectGroups` also those through nested groups. */
export interface GroupsWanted {
  groups?: boolean;
  indirectGroups?: boolean;
}

export interface UserWithDetails {
  user: User;
  details: UserDetails;
}

/** A user locked for a read-modify-write with its details and, when read from the tables, its own rows. */
export interface LockedUser extends UserWithDetails {
  ownRows?: OwnRow[] | null;
}

export interface UserSort {
  field: UserField;
  descending?: boolean;
}

type Tx = RequestContext & { manager: EntityManager };
const EMAIL = /^[^\s@]+@[^\s@]+$/;
/** Emails, phone numbers and addresses one user may have, each. */
export const MAX_CONTACTS = 50;
/** The refusal of a list of emails, phoneNumbers or addresses over MAX_CONTACTS (GraphQL checks it first, with this message). */
export const tooManyContacts = (field: "emails" | "phoneNumbers" | "addresses") => `at most ${MAX_CONTACTS} ${field}`;
/** A contact's `type` and `display`, as long as their columns (`UserContact`). */
const MAX_CONTACT_TYPE = 64;
const MAX_CONTACT_DISPLAY = 255;
const MAX_ADDRESS_PART = 1024;

export class UserService {
  private readonly pages = new PageContinuations();
  private readonly totals = new RecentTotals();

  /** Forgets what is kept of the organisation's lists, totals and page ends (after any change to it). */
  forgetLists(organisationId: string): void {
    this.totals.forget(organisationId);
    this.pages.forget(organisationId);
  }

  /** Run inside the transaction that deactivates a user (sessions end there, for example). */
  readonly onDeactivated: ((ctx: Tx, userId: string) => Promise<void>)[] = [];

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly roles: RoleService,
    private readonly customFields: CustomFieldService,
  ) {}

  async create(ctx: RequestContext, input: NewUser): Promise<User> {
    return (await this.createWithDetails(ctx, input)).user;
  }

  /** Creates a user and returns it with its details, known from the write itself (no re-read). */
  async createWithDetails(ctx: RequestContext, input: NewUser): Promise<UserWithDetails> {
    const changes = validateChanges(input);
    if (changes.userName === undefined) throw invalidInput("userName", "userName is required");
    const now = new Date();
    const user = new User();
    Object.assign(user, {
      id: newId(),
      organisationId: ctx.organisationId,
      externalId: null,
      externalIdKey: null,
      departmentKey: null,
      costCenterKey: null,
      active: true,
      managerId: null,
      addresses: null,
      version: 1,
      createdAt: now,
      updatedAt: now,
    });
    for (const f of userTextFields) user[f] = null;
    return this.uniquely(changes, () =>
      this.db.transaction(ctx, async (tx) => {
        const audit = await this.apply(tx, user, changes, null);
        const contacts = contactRowsOf(tx.organisationId, user.id, changes);
        user.ownDetails = ownRowsAfter([], ownRowsWritten(changes, contacts));
        await this.insertRow(tx, "users", userRow(user));
        const written = await this.writeRelated(tx, user, changes, true, contacts);
        await this.audit.record(tx, { action: "user.created", resourceType: "User", resourceId: user.id, changes: audit });
        const details = await this.detailsAfterWrite(tx, user, changes, written, null);
        // In a caller's transaction (a bulk request), a unique-index refusal must surface here, inside `uniquely`.
        if (ctx.manager) await this.db.flush(tx);
        return { user, details };
      }),
    );
  }

  async update(ctx: RequestContext, id: string, input: UserChanges, options: UpdateOptions = {}): Promise<User> {
    return (await this.updateWithDetails(ctx, id, input, options)).user;
  }

  /**
   * Updates a user and returns it with its details. A caller that already holds the row lock and
   * the details (SCIM PATCH and PUT read them to build the SCIM view) passes them as `current`:
   * nothing is read twice, and the details after the write are derived, not re-read.
   */
  async updateWithDetails(ctx: RequestContext, id: string, input: UserChanges, options: UpdateOptions & { current?: LockedUser } = {}): Promise<UserWithDetails> {
    const changes = validateChanges(input);
    return this.uniquely(changes, () =>
      this.db.transaction(ctx, async (tx) => {
        const user = options.current ? options.current.user : await this.lockForWrite(tx, id);
        assertExpectedVersion("User", id, user.version, options.expectedVersion);
        const before = options.current?.details ?? null;
        const wasActive = user.active;
        const snapshot = { ...user };
        const audit = await this.apply(tx, user, changes, before ?? "load");
        if (Object.keys(audit).length === 0) return { user, details: before ?? (await this.details(tx, [user], { groups: true })).get(user.id)! };
        user.version += 1;
        user.updatedAt = new Date();
        const contacts = contactRowsOf(tx.organisationId, user.id, changes);
        // The copy of the own rows follows the write when the rows before it are known (read with the
        // row, or by the caller from the tables); otherwise it stays NULL, and reads use the tables.
        const ownBefore = user.ownDetails ?? options.current?.ownRows ?? null;
        if (ownBefore) user.ownDetails = ownRowsAfter(ownBefore, ownRowsWritten(changes, contacts));
        // Only the columns that changed (and the version): a deactivation is a three-column UPDATE.
        const row = userRow(user);
        const columns = ["version", "updatedAt"];
        for (const key of Object.keys(user) as (keyof User)[]) {
          if (key !== "version" && key !== "updatedAt" && key in row && JSON.stringify(user[key] ?? null) !== JSON.stringify(snapshot[key] ?? null)) columns.push(key);
        }
        await this.db.write(tx, `UPDATE users SET ${columns.map((c) => `${this.quote(c)} = ?`).join(", ")} WHERE id = ? AND organisationId = ?`, [...columns.map((c) => row[c]), user.id, tx.organisationId]);
        const written = await this.writeRelated(tx, user, changes, false, contacts);
        const action = audit.active && Object.keys(audit).length === 1 ? (user.active ? "user.reactivated" : "user.deactivated") : "user.updated";
        await this.audit.record(tx, { action, resourceType: "User", resourceId: user.id, changes: audit });
        if (wasActive && !user.active) for (const hook of this.onDeactivated) await hook(tx, user.id);
        const details = before ? await this.detailsAfterWrite(tx, user, changes, written, before) : (await this.details(tx, [user], { groups: true })).get(user.id)!;
        // In a caller's transaction, a unique-index refusal must surface here, inside `uniquely`
        // (only a changed userName or externalId can meet one).
        if (ctx.manager && (audit.userName || audit.externalId)) await this.db.flush(tx);
        return { user, details };
      }),
    );
  }

  deactivate(ctx: RequestContext, id: string): Promise<User> {
    return this.update(ctx, id, { active: false });
  }

  reactivate(ctx: RequestContext, id: string): Promise<User> {
    return this.update(ctx, id, { active: true });
  }

  async delete(ctx: RequestContext, id: string, options: UpdateOptions = {}): Promise<void> {
    await this.db.transaction(ctx, async (tx) => {
      const user = await this.lockForWrite(tx, id);
      assertExpectedVersion("User", id, user.version, options.expectedVersion);
      // Reports lose their manager as a change of theirs: a new version (their ETag), updatedAt
      // (meta.lastModified), which a client syncing changes reads, and an audit event each. The
      // foreign key's SET NULL moved none of them. Their rows are locked before the groups' rows
      // (users before groups, as member writes lock them), in the round trip that locks those.
      const reportsOf: [string, unknown[]] = [`SELECT id FROM users WHERE organisationId = ? AND managerId = ?${this.db.dialect === "mysql" ? " FOR UPDATE" : ""}`, [tx.organisationId, id]];
      const reports = await removeFromEveryGroup(this.db, tx, this.audit, id, reportsOf);
      if (reports.length) {
        await this.db.write(tx, "UPDATE users SET managerId = NULL, version = version + 1, updatedAt = ? WHERE organisationId = ? AND managerId = ?", [new Date(), tx.organisationId, id]);
        await this.audit.recordMany(
          tx,
          reports.map((r) => ({ action: "user.updated", resourceType: "User", resourceId: String(r.id), changes: { managerId: { before: id, after: null } } })),
        );
      }
      // Contacts, role assignments and custom values go with the row (ON DELETE CASCADE).
      await tx.manager.getRepository(User).delete({ id, organisationId: tx.organisationId });
      if (user.active) for (const hook of this.onDeactivated) await hook(tx, user.id);
      await this.audit.record(tx, { action: "user.deleted", resourceType: "User", resourceId: id, changes: { userName: { before: user.userName, after: null } } });
    });
  }

  /**
   * Adds roles to those the user holds, read under the user's row lock: two admins assigning
   * different roles at once both keep theirs (read before the lock, the second write dropped the first's).
   */
  async assignRoles(ctx: RequestContext, id: string, roleNames: string[]): Promise<User> {
    return this.changeRoles(ctx, id, (held) => [...held.map((r) => r.name), ...roleNames]);
  }

  async unassignRoles(ctx: RequestContext, id: string, roleNames: string[]): Promise<User> {
    await this.roles.findByNames(ctx, roleNames);
    const drop = new Set(roleNames.map(caseInsensitiveKey));
    return this.changeRoles(ctx, id, (held) => held.filter((r) => !drop.has(r.nameKey)).map((r) => r.name));
  }

  /** Sets the user's roles to `next(the roles it holds)`, read and written under its row lock. */
  private changeRoles(ctx: RequestContext, id: string, next: (held: UserDetails["roles"]) => string[]): Promise<User> {
    return this.db.transaction(ctx, async (tx) => {
      const current = await this.lockWithDetails(tx, id);
      return (await this.updateWithDetails(tx, id, { roles: next(current.details.roles) }, { current })).user;
    });
  }

  async setCustomFieldValues(ctx: RequestContext, id: string, values: Record<string, unknown>): Promise<User> {
    return this.update(ctx, id, { customFields: values });
  }

  async get(ctx: RequestContext, id: string): Promise<User> {
    const user = await this.find(ctx, id);
    if (!user) throw notFound("User", id);
    return user;
  }

  /** Another organisation's id is simply not found. */
  find(ctx: RequestContext, id: string): Promise<User | null> {
    return this.db.manager(ctx).getRepository(User).findOneBy({ id, organisationId: ctx.organisationId });
  }

  findByUserName(ctx: RequestContext, userName: string): Promise<User | null> {
    return this.db.manager(ctx).getRepository(User).findOneBy({ organisationId: ctx.organisationId, userNameKey: caseInsensitiveKey(userName) });
  }

  async getMany(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, User>> {
    if (ids.length === 0) return new Map();
    const unique = [...new Set(ids)];
    const rows = await this.db.rows(ctx, `SELECT u.* FROM users u WHERE u.organisationId = ? AND u.id IN (${Database.placeholders(unique.length)})`, [ctx.organisationId, ...unique]);
    return new Map(rows.map((r) => [String(r.id), userFromRow(r)]));
  }

  /**
   * A page of each manager's direct reports (GraphQL `User.directReports`), in userName order from
   * `after`, for any number of managers in one statement: a UNION ALL of one `LIMIT first + 1` read
   * per manager, each a range of the (organisation, managerId, userNameKey) index, so a manager of
   * thousands costs what a manager of three does (a window function over all of them read every report
   * of every manager). With `count`, their totals by a second statement, in the same round trip on MariaDB.
   */
  async reportsOf(ctx: RequestContext, managerIds: readonly string[], page: CursorPage, options: CountOption = {}): Promise<Map<string, CursorSlice<User>>> {
    const ids = [...new Set(managerIds)];
    const result = new Map<string, CursorSlice<User>>();
    if (ids.length === 0) return result;
    const after = page.afterKey ?? undefined;
    const seek = after !== undefined ? " AND u.userNameKey > ?" : "";
    const limit = Number(page.first) + 1;
    const branch = (i: number) => `SELECT * FROM (SELECT u.* FROM users u WHERE u.organisationId = ? AND u.managerId = ?${seek} ORDER BY u.userNameKey LIMIT ${limit}) r${i}`;
    const statements: [string, unknown[]][] = [
      [`SELECT r.* FROM (${ids.map((_, i) => branch(i)).join(" UNION ALL ")}) r ORDER BY r.managerId, r.userNameKey`, ids.flatMap((id) => [ctx.organisationId, id, ...(after !== undefined ? [after] : [])])],
    ];
    if (options.count)
      statements.push([`SELECT u.managerId AS managerId, COUNT(*) AS n FROM users u WHERE u.organisationId = ? AND u.managerId IN (${Database.placeholders(ids.length)}) GROUP BY u.managerId`, [ctx.organisationId, ...ids]]);
    const [rows, counts = []] = await this.db.rowsTogether(ctx, statements);
    const byManager = new Map<string, User[]>(ids.map((id) => [id, []]));
    for (const row of rows) byManager.get(String(row.managerId))?.push(userFromRow(row));
    const totals = new Map(counts.map((c) => [String(c.managerId), Number(c.n)]));
    for (const [id, users] of byManager) result.set(id, cursorSlice(users, page, options.count ? (totals.get(id) ?? 0) : -1, (u) => u.userNameKey));
    return result;
  }

  /** Offset paging in a stable order (SCIM lists): the same query seen page by page shows every user once. */
  async search(ctx: RequestContext, criteria: UserCriteria, page: OffsetPage, sort?: UserSort): Promise<Slice<User>> {
    const { rows, totalCount } = await this.searchRows(ctx, criteria, page, sort);
    return { items: rows.map(userFromRow), totalCount };
  }

  /**
   * `search` with every user's details: two statements for a page of any size. (Selecting the
   * details with the page's own statement as a subquery, to save the round trip, cost MariaDB more
   * than the round trip when the details were five parts: measured 2× per part for a lookup and far
   * worse for a page.)
   */
  async searchWithDetails(ctx: RequestContext, criteria: UserCriteria, page: OffsetPage, sort?: UserSort, include: GroupsWanted = {}): Promise<Slice<UserWithDetails>> {
    // A page of the whole directory (an IdP's import, a reconciliation) on MariaDB: the page and its
    // details in one round trip and one snapshot, the details read by the page statement itself.
    const together = this.db.dialect === "mysql" && !sort && matchesEveryone(criteria);
    // A lookup by a unique key (an IdP's "does this user exist?"), with groups: one prepared statement.
    const lookup = isKeyLookup(criteria);
    if (lookup && include.groups && this.db.dialect === "mysql" && !sort && page.offset === 0 && page.limit > 0) {
      const { where, params } = await this.where(ctx, criteria);
      const found = await this.oneWithGroups(ctx, ...this.db.positional(where, params), include.indirectGroups);
      return { items: found ? [found] : [], totalCount: found ? 1 : 0 };
    }
    // Otherwise its statement and then its one user's details, both prepared (Database.preparedRows).
    const statement = lookup ? this.db.preparedRows.bind(this.db) : this.db.rows.bind(this.db);
    let detailRows: Record<string, unknown>[] | undefined;
    // Each user's manager comes with the user's row (MANAGER_JOIN), not as a part of the details.
    const read = together
      ? async (pageTail: string, pageParams: unknown[], joinedTail: string) => {
          const r = await this.pageWithDetails(ctx, `u.*, ${MANAGER_COLUMNS}`, pageTail, pageParams, { ...OTHERS_ONLY, groups: include.groups, groupNesting: include.indirectGroups, manager: false }, false, joinedTail);
          detailRows = r.detailRows ?? [];
          return r.rows;
        }
      : async (_pageTail: string, pageParams: unknown[], joinedTail: string) => statement(ctx, `SELECT u.*, ${MANAGER_COLUMNS} ${joinedTail}`, pageParams);
    const { rows, totalCount } = await this.searchRows(ctx, criteria, page, sort, read);
    const users = rows.map(userFromRow);
    const ids = users.map((u) => u.id);
    const managers = managerDetailRows(rows);
    const details = detailRows
      ? await this.detailsFromRows(ctx, [...detailRows, ...managers, ...(await this.ownRowsOf(ctx, users))], ids, undefined, include.groups && include.indirectGroups)
      : await this.details(ctx, users, include, managers);
    return { items: users.map((user) => ({ user, details: details.get(user.id)! })), totalCount };
  }

  /**
   * `read`: how to run the page statement when not simply on its own, given its text from FROM on
   * (`?` placeholders), plain and with MANAGER_JOIN (the same placeholders).
   */
  private async searchRows(
    ctx: RequestContext,
    criteria: UserCriteria,
    page: OffsetPage,
    sort: UserSort | undefined,
    read?: (tail: string, params: unknown[], joinedTail: string) => Promise<Record<string, unknown>[]>,
  ): Promise<{ rows: Record<string, unknown>[]; totalCount: number }> {
    const { where, params } = await this.where(ctx, criteria);
    const sortSpec = sort ? userColumns[sort.field] : undefined;
    // The default order (userNameKey, unique per organisation) can continue a page by seeking.
    const list = sortSpec ? undefined : `${ctx.organisationId}:${JSON.stringify(criteria)}`;
    let continuation: Continuation | null | undefined = list && page.offset > 0 ? this.pages.seek(list, page.offset) : undefined;
    // userNameKey is unique per organisation: the last key keeps ties in a stable order.
    const order = sortSpec ? `${sortColumnOf(sortSpec)} ${sort!.descending ? "DESC" : "ASC"}, u.userNameKey ASC` : "u.userNameKey ASC";
    let rows: Record<string, unknown>[] = [];
    const from = `FROM ${this.usersInNameOrder(criteria, !sortSpec)}`;
    if (page.limit > 0 && continuation && continuation.skip > 0) continuation = await this.skipFrom(ctx, list!, from, where, params, continuation, page.offset);
    if (page.limit > 0 && continuation !== null) {
      const seek = continuation ? " AND u.userNameKey > :seekKey" : "";
      const window = continuation ? `LIMIT ${Number(page.limit)}` : `LIMIT ${Number(page.limit)} OFFSET ${Number(page.offset)}`;
      const [tail, values] = this.db.positional(`${from} WHERE ${where}${seek} ORDER BY ${order} ${window}`, { ...params, seekKey: continuation?.key });
      rows = read ? await read(tail, values, `${from}${MANAGER_JOIN}${tail.slice(from.length)}`) : await this.db.rows(ctx, `SELECT u.* ${tail}`, values);
    }
    // Only a full page can have a next one (a lookup by userName never does: nothing to remember).
    if (list && rows.length > 0 && rows.length === page.limit) this.pages.remember(list, page.offset + rows.length, String(rows.at(-1)!.userNameKey));
    // A lookup that returns less than a full first page already knows its total: no COUNT.
    const totalCount = await this.totals.ofPage(list, page, rows.length, () => this.count(ctx, where, params));
    return { rows, totalCount };
  }

  /**
   * A page that starts `skip` rows after a remembered page end (clients asking for several pages at
   * once, instances each seeing every Nth page): the key just before the page, read from the
   * userName index alone and remembered. Skipping in the page statement itself read each skipped
   * user's row and manager too (MariaDB CPU per page, 102k users, 8 pages at a time: 3.56 ms, against
   * 2.18 ms one page at a time). Null: the page starts past the last user.
   */
  private async skipFrom(ctx: RequestContext, list: string, from: string, where: string, params: Record<string, unknown>, continuation: Continuation, offset: number): Promise<Continuation | null> {
    const [row] = await this.db.rowsNamed<{ userNameKey: string }>(
      ctx,
      `SELECT u.userNameKey ${from} WHERE ${where} AND u.userNameKey > :seekKey ORDER BY u.userNameKey ASC LIMIT 1 OFFSET ${Number(continuation.skip) - 1}`,
      { ...params, seekKey: continuation.key },
    );
    if (!row) return null;
    this.pages.remember(list, offset, String(row.userNameKey));
    return { key: String(row.userNameKey), skip: 0 };
  }

  /** One user with its details; another organisation's id is simply not found. */
  async findWithDetails(ctx: RequestContext, id: string, include: GroupsWanted = {}): Promise<UserWithDetails | null> {
    if (include.groups && this.db.dialect === "mysql") return this.oneWithGroups(ctx, "u.id = ? AND u.organisationId = ?", [id, ctx.organisationId], include.indirectGroups);
    const [row] = await this.db.preparedRows(ctx, `SELECT u.*, ${MANAGER_COLUMNS} FROM users u${MANAGER_JOIN} WHERE u.id = ? AND u.organisationId = ?`, [id, ctx.organisationId]);
    if (!row) return null;
    const user = userFromRow(row);
    return { user, details: (await this.details(ctx, [user], include, managerDetailRows([row]))).get(user.id)! };
  }

  /**
   * The one user that `where` (with `?` placeholders, on a unique key) selects, with its details and
   * groups, on MariaDB in one prepared statement: the user's row joined to its groups, one row per
   * group with the user's columns repeated (its own contacts, roles and custom values are in its row).
   * Measured against the row and the groups as two prepared statements: about 60 µs less MariaDB CPU
   * and 40 µs less Node CPU per lookup. Repeating the row costs Node more than the round trip it
   * saves once a user is in dozens of groups, so past GROUPS_WITH_THE_ROW their own statement reads them.
   * With `indirect`, each group row also says whether the group is in a group (one index probe); only
   * then does a second statement walk up to the groups containing them (`withIndirectGroups`).
   */
  private async oneWithGroups(ctx: RequestContext, where: string, params: unknown[], indirect = false): Promise<UserWithDetails | null> {
    const nested = indirect ? `, ${isContainedSql(this.db.dialect, "g")} AS groupRowNested` : "";
    const rows = await this.db.preparedRows(
      ctx,
      `SELECT u.*, ${MANAGER_COLUMNS}, g.id AS groupRowId, g.displayName AS groupRowDisplayName, g.displayNameKey AS groupRowDisplayNameKey${nested} FROM users u${MANAGER_JOIN} LEFT JOIN (${membershipsThenGroups(this.db.dialect)}) ON m.memberId = u.id AND g.organisationId = u.organisationId WHERE ${where} LIMIT ${GROUPS_WITH_THE_ROW + 1}`,
      params,
    );
    if (rows.length === 0) return null;
    const user = userFromRow(rows[0]);
    const managers = managerDetailRows([rows[0]]);
    if (rows.length > GROUPS_WITH_THE_ROW) return { user, details: (await this.details(ctx, [user], { groups: true, indirectGroups: indirect }, managers)).get(user.id)! };
    const groups = rows.filter((r) => r.groupRowId != null).map((r) => ({ k: "g", userId: user.id, n: 0, a: r.groupRowId, b: r.groupRowDisplayName, c: r.groupRowDisplayNameKey, g: r.groupRowNested }));
    return { user, details: (await this.detailsFromRows(ctx, [...groups, ...managers, ...(await this.ownRowsOf(ctx, [user]))], [user.id], undefined, indirect)).get(user.id)! };
  }

  private async definitionsById(ctx: RequestContext): Promise<Map<string, CustomFieldDefinition>> {
    return new Map((await this.customFields.list(ctx)).map((d) => [d.id, d]));
  }

  /** Keyset paging by userName (GraphQL connections): deep pages cost what the first costs. */
  async list(ctx: RequestContext, criteria: UserCriteria, page: CursorPage, options: { count?: boolean } = {}): Promise<CursorSlice<User>> {
    return (await this.listWithDetails(ctx, criteria, page, options)).slice;
  }

  /**
   * `list`, with the `include`d parts of the users' details when they can come with the page: for a
   * page of the whole directory on MariaDB, in the same round trip and snapshot (as SCIM pages).
   * `details` is null otherwise (the caller loads what it needs by ids). With `columns`, the page's
   * users are read partially: only those fields (and ALWAYS_READ) hold their stored values, for a
   * caller that renders nothing else of them. With `managers`, the page's managers by id: whole, or
   * with `managerColumns` partially (those columns and ALWAYS_READ), read by the page statement itself.
   */
  async listWithDetails(
    ctx: RequestContext,
    criteria: UserCriteria,
    page: CursorPage,
    options: { count?: boolean; include?: DetailParts; managers?: boolean; columns?: readonly UserColumn[]; managerColumns?: readonly UserColumn[] } = {},
  ): Promise<{ slice: CursorSlice<User>; details: Map<string, UserDetails> | null; managers: Map<string, User | null> | null }> {
    const { where, params } = await this.where(ctx, criteria);
    // Counting a large directory costs more than the page itself: only when the caller wants it,
    // and kept for a few seconds (every page of a UI would otherwise count the directory again).
    // Counted beside the page statement, not before it: a filter not counted yet (a search as it is
    // typed) waits for the slower of the two statements, not for both.
    const counting = options.count === false ? -1 : this.totals.get(`${ctx.organisationId}:${JSON.stringify(criteria)}`, ctx.manager, () => this.count(ctx, where, params));
    const after = page.afterKey ? " AND u.userNameKey > :afterKey" : "";
    const from = `FROM ${this.usersInNameOrder(criteria, true)}`;
    const [tail, values] = this.db.positional(`${from} WHERE ${where}${after} ORDER BY u.userNameKey ASC LIMIT ${Number(page.first) + 1}`, {
      ...params,
      afterKey: page.afterKey || undefined,
    });
    const include = options.include;
    const together = this.db.dialect === "mysql" && matchesEveryone(criteria) && (Object.values(include ?? {}).some(Boolean) || options.managers);
    const wanted: DetailParts = { contacts: false, roles: false, customFields: false, groups: false, manager: false, ...include };
    // Contacts, roles and custom values come with the users' rows (ownDetails), not from the union.
    const own = together && (wanted.contacts || wanted.roles || wanted.customFields);
    // Managers read partially come with their users' rows (MANAGER_JOIN); whole, by a statement of their own.
    const joinManagers = together && options.managers && options.managerColumns ? options.managerColumns : undefined;
    const select = userSelectList(options.columns && own ? [...options.columns, "ownDetails"] : options.columns) + (joinManagers ? `, ${managerSelectList(joinManagers)}` : "");
    const reading = together
      ? this.pageWithDetails(ctx, select, tail, values, { ...wanted, ...OTHERS_ONLY }, options.managers && !joinManagers, joinManagers ? `${from}${MANAGER_JOIN}${tail.slice(from.length)}` : tail)
      : this.db.rows(ctx, `SELECT ${select} ${tail}`, values).then((rows) => ({ rows, detailRows: undefined, managerRows: undefined }));
    const [totalCount, { rows, detailRows, managerRows }] = await Promise.all([counting, reading]);
    const slice = cursorSlice(rows.map(userFromRow), page, totalCount, (u) => u.userNameKey);
    const items = slice.items;
    return {
      slice,
      details: detailRows || own ? await this.detailsFromRows(ctx, [...(detailRows ?? []), ...(own ? await this.ownRowsOf(ctx, items) : [])], items.map((u) => u.id)) : null,
      managers: joinManagers ? managersJoinedTo(rows, joinManagers) : managerRows ? new Map(managerRows.map((r) => [String(r.id), userFromRow(r)])) : null,
    };
  }

  /**
   * A page statement (`SELECT <select> <tail>`, the tail from FROM on with `?` placeholders) with the
   * `include`d parts of its users' details and, with `managers`, their managers whole: on MariaDB in
   * one round trip and snapshot (`rowsTogether`), the details joined to the page statement as a
   * derived table (no IN list).
   */
  private async pageWithDetails(
    ctx: RequestContext,
    select: string,
    tail: string,
    values: unknown[],
    include: DetailParts,
    managers = false,
    pageTail = tail,
  ): Promise<{ rows: Record<string, unknown>[]; detailRows?: Record<string, unknown>[]; managerRows?: Record<string, unknown>[] }> {
    const statements: [string, unknown[]][] = [[`SELECT ${select} ${pageTail}`, values]];
    const { sql, parts } = pageDetailsSql(this.db.dialect, `SELECT u.id ${tail}`, include);
    if (parts > 0) statements.push([sql, pageDetailsParams(ctx.organisationId, values, parts)]);
    // The page's managers, whole (a GraphQL manager is a user like any other), each once. The page
    // statement brings their ids itself: joining users again to read them whole cost MariaDB ~0.5 ms
    // more (a page of 100, measured with its CPU time). Partial managers are joined (`pageTail`).
    if (managers) statements.push([`SELECT mu.* FROM users mu WHERE mu.organisationId = ? AND mu.id IN (SELECT p.managerId FROM (SELECT u.managerId ${tail}) p)`, [ctx.organisationId, ...values]]);
    const results = await this.db.rowsTogether(ctx, statements);
    return { rows: results[0], detailRows: parts > 0 ? results[1] : undefined, managerRows: managers ? results.at(-1) : undefined };
  }

  /**
   * `users u` for a page in userName order. Through the whole directory (no filter), MariaDB is told
   * to read the (organisation, userNameKey) index as a range: left to choose, it used only its
   * organisation part and skipped every earlier user one by one to reach a page's first key
   * (measured at 100k users: 19 ms at the middle, 33 ms near the end, 1.5 ms as a range). With a
   * filter, the filter's own index may be the better start, so the choice stays the optimizer's.
   */
  private usersInNameOrder(criteria: UserCriteria, nameOrder: boolean): string {
    return nameOrder && matchesEveryone(criteria) && this.db.dialect === "mysql" ? "users u FORCE INDEX (UQ_users_organisation_userNameKey)" : "users u";
  }

  private async count(ctx: RequestContext, where: string, params: Record<string, unknown>): Promise<number> {
    const [row] = await this.db.rowsNamed<{ n: number | string }>(ctx, `SELECT COUNT(*) AS n FROM users u WHERE ${where}`, params);
    return Number(row.n);
  }

  /**
   * Emails, phones, roles, custom fields, groups and managers of many users: one statement. `managers`:
   * the users' managers as detail rows, when already read with them (`managerDetailRows`).
   */
  async details(ctx: RequestContext, users: User[], include: GroupsWanted = {}, managers?: Record<string, unknown>[]): Promise<Map<string, UserDetails>> {
    if (users.length === 0) return new Map();
    const ids = [...new Set(users.map((u) => u.id))];
    // Users without a manager (known from their rows) need no manager part; users with their own
    // rows in their row (ownDetails) need no contacts, roles or custom-value parts.
    const fromTables = users.every((u) => !u.ownDetails);
    const { sql, parts } = userDetailsSql(this.db.dialect, ids.length, {
      ...(fromTables ? {} : OTHERS_ONLY),
      groups: include.groups,
      groupNesting: include.indirectGroups,
      manager: !managers && users.some((u) => u.managerId),
    });
    // One user's statement has one text: prepared (a lookup, a GET by id).
    const statement = ids.length === 1 ? this.db.preparedRows.bind(this.db) : this.db.rows.bind(this.db);
    const rows = parts ? await statement(ctx, sql, userDetailsParams(ctx.organisationId, ids, parts)) : [];
    const own = fromTables ? [] : await this.ownRowsOf(ctx, users);
    return this.detailsFromRows(ctx, [...rows, ...own, ...(managers ?? [])], ids, undefined, include.groups && include.indirectGroups);
  }

  /**
   * The own detail rows (contacts, role ids, custom values) of users, in the union's shape: from
   * their ownDetails, and from the tables for those whose copy is NULL.
   */
  private async ownRowsOf(ctx: RequestContext, users: User[]): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    const missing: string[] = [];
    for (const u of users) {
      if (u.ownDetails) rows.push(...ownDetailRows(u.id, u.ownDetails));
      else missing.push(u.id);
    }
    if (missing.length) {
      const { sql, parts } = userDetailsSql(this.db.dialect, missing.length, { manager: false });
      rows.push(...(await this.db.rows(ctx, sql, userDetailsParams(ctx.organisationId, missing, parts))));
    }
    return rows;
  }

  /**
   * The union's rows → details, reading what they only point to: roles (cached) and long custom values.
   * With `indirectGroups` (the group rows read with `groupNesting`), also the users' indirect groups.
   */
  private async detailsFromRows(ctx: RequestContext, rows: Record<string, unknown>[], ids: string[], fullValues?: Map<string, string>, indirectGroups = false): Promise<Map<string, UserDetails>> {
    const [definitions, cachedRoles] = await Promise.all([this.definitionsById(ctx), this.roles.rolesById(ctx)]);
    const missing = missingFromRows(rows, cachedRoles);
    const roles = missing.unknownRoles ? await this.roles.rolesById(ctx, true) : cachedRoles;
    const details = userDetailsFromRows(rows, ctx.organisationId, ids, definitions, roles, fullValues ?? (await this.fullValues(ctx, rows, ids)));
    if (indirectGroups) {
      const parents = await this.containingGroups(ctx, containedGroupsOfRows(rows));
      for (const d of details.values()) d.indirectGroups = parents.size ? indirectGroupsOf(d.groups, parents) : [];
    }
    return details;
  }

  /**
   * The groups containing these groups, directly or not (each with the groups directly containing
   * it): one recursive statement, none when there are no such groups (an organisation without nesting).
   */
  private async containingGroups(ctx: RequestContext, groupIds: string[]): Promise<Map<string, (GroupRef & { key: string })[]>> {
    if (groupIds.length === 0) return new Map();
    return containingGroupsOf(await this.db.rows(ctx, ...containingGroupsSql(this.db.dialect, groupIds, ctx.organisationId)));
  }

  /** The whole text of the custom values the union's rows carry cut short (by valueKey); usually none. */
  private async fullValues(ctx: RequestContext, rows: Record<string, unknown>[], ids: string[]): Promise<Map<string, string>> {
    const fullValues = new Map<string, string>();
    if (!rows.some(isCutValue)) return fullValues;
    for (const v of await this.db.rows(ctx, fullValuesSql(this.db.dialect, ids.length), [ctx.organisationId, ...ids])) fullValues.set(valueKey(v.userId, v.fieldId, v.position), String(v.value));
    return fullValues;
  }

  async contactsOfUsers(ctx: RequestContext, userIds: string[]): Promise<Map<string, UserContact[]>> {
    const result = new Map<string, UserContact[]>(userIds.map((id) => [id, []]));
    if (!userIds.length) return result;
    const rows = await this.db.rows(ctx, `SELECT * FROM user_contacts WHERE organisationId = ? AND userId IN (${Database.placeholders(userIds.length)}) ORDER BY position`, [ctx.organisationId, ...userIds]);
    for (const r of rows) result.get(String(r.userId))?.push(contactFromRow(r));
    return result;
  }

  /**
   * Direct group memberships of many users (GraphQL `User.groups`), by name. With `indirect`, each
   * user's direct groups are followed by those it is in through nested groups (`direct: false`), each
   * once, by name: the direct groups come with those of them that are in a group (the details union's
   * group parts), and one statement more walks up from these, only when there are some.
   */
  async groupsOfUsers(ctx: RequestContext, userIds: string[], options: { indirect?: boolean } = {}): Promise<Map<string, (GroupRef & { direct?: boolean })[]>> {
    const result = new Map<string, (GroupRef & { direct?: boolean })[]>(userIds.map((id) => [id, []]));
    if (!userIds.length) return result;
    if (options.indirect) {
      const { sql, parts } = userDetailsSql(this.db.dialect, userIds.length, { ...OTHERS_ONLY, manager: false, groups: true, groupNesting: true });
      const rows = await this.db.rows(ctx, sql, userDetailsParams(ctx.organisationId, userIds, parts));
      const direct = rows.filter((r) => r.k === "g").sort((x, y) => compareText(x.c, y.c));
      for (const r of direct) result.get(String(r.userId))?.push({ id: String(r.a), displayName: String(r.b) });
      const parents = await this.containingGroups(ctx, containedGroupsOfRows(rows));
      if (parents.size) for (const list of result.values()) for (const g of indirectGroupsOf(list, parents)) list.push({ ...g, direct: false });
      return result;
    }
    const rows = await this.db.rows<{ memberId: string; id: string; displayName: string }>(
      ctx,
      `SELECT m.memberId AS memberId, g.id AS id, g.displayName AS displayName FROM ${membershipsThenGroups(this.db.dialect)} WHERE g.organisationId = ? AND m.memberId IN (${Database.placeholders(userIds.length)}) ORDER BY g.displayNameKey`,
      [ctx.organisationId, ...userIds],
    );
    for (const r of rows) result.get(r.memberId)?.push({ id: r.id, displayName: r.displayName });
    return result;
  }

  // ---- internals ----

  /**
   * The WHERE clause of a criteria tree, scoped to the organisation, with its bound parameters.
   * Criteria that compare too much without an index are refused first, before any SQL.
   */
  private async where(ctx: RequestContext, criteria: UserCriteria): Promise<{ where: string; params: Record<string, unknown> }> {
    assertFewUnindexedComparisons(criteria, userIndexes);
    const w = new SqlWhereBuilder(this.db.dialect);
    const relations = relationsOf(criteria);
    const definitions = relations.some((r) => r.kind === "customField" || r.kind === "customFieldValue") ? new Map((await this.customFields.list(ctx)).map((d) => [d.key.toLowerCase(), d])) : new Map<string, CustomFieldDefinition>();
    // A role filter compares role_assignments.roleId with the role's id: named through a join on
    // roles, the planner could not tell a role of three holders from one of everyone, and read every
    // user of the organisation to find a rare role's few (0.9 s at 102,000 users).
    const roleIds = await this.roles.idsByNameKey(ctx, relations.flatMap((r) => (r.kind === "hasRole" ? [caseInsensitiveKey(r.role)] : [])));
    const org = w.param(ctx.organisationId);
    const where = w.compile(criteria, userColumns, (r) => this.relationSql(w, org, r, definitions, roleIds));
    return { where: `u.organisationId = ${org} AND (${where})`, params: w.params };
  }

  private relationSql(w: SqlWhereBuilder, org: string, r: UserRelation, definitions: Map<string, CustomFieldDefinition>, roleIds: Map<string, string>): string {
    switch (r.kind) {
      case "contact": {
        const inner = w.compile(r.where, contactColumns(w), () => "1=0");
        return `u.id IN (SELECT c.userId FROM user_contacts c WHERE c.organisationId = ${org} AND c.kind = ${w.param(r.contact)} AND (${inner}))`;
      }
      case "customField": {
        const def = definitions.get(r.key.toLowerCase());
        if (!def) throw invalidInput(`customFields.${r.key}`, `no custom field "${r.key}" is defined in this organisation`);
        const spec: ColumnSpec =
          def.type === "number"
            ? { column: "v.valueNumber", type: "number" }
            : def.type === "boolean"
              ? { column: "v.value", type: "string", caseExact: false }
              : { column: "v.value", type: "string", keyColumn: "v.valueKey", keyOf: customValueKey, keyLength: CUSTOM_VALUE_KEY_LENGTH };
        if (r.op === "pr") return `u.id IN (SELECT v.userId FROM custom_field_values v WHERE v.organisationId = ${org} AND v.fieldId = ${w.param(def.id)})`;
        // `ne` and absence: a user without the field is "not equal" too.
        if (r.op === "ne") return `NOT (${this.relationSql(w, org, { ...r, op: "eq" }, definitions, roleIds)})`;
        // A number field's value as a write reads it (numberValue): "0x10", " 16 " or "1e999" are not numbers.
        const value = def.type === "number" && r.value !== null && r.value !== undefined ? numberValue(r.value) : r.value;
        if (value === undefined && r.value !== undefined) throw invalidInput(`customFields.${r.key}`, `"${def.key}" is a number: ${JSON.stringify(r.value)} is not one`);
        const cmp = w.comparison(spec, r.op, value === undefined ? null : typeof value === "boolean" ? String(value) : value);
        return `u.id IN (SELECT v.userId FROM custom_field_values v WHERE v.organisationId = ${org} AND v.fieldId = ${w.param(def.id)} AND ${cmp})`;
      }
      case "customFieldValue": {
        const def = definitions.get(r.key.toLowerCase());
        if (!def) throw invalidInput(r.input, `no custom field "${r.key}" is defined in this organisation`);
        // Canonical as a write would store it (and refused as a write would refuse it, naming the filter's field).
        const canonical = this.customFields.canonicalOfText(def, r.value, r.input);
        // Found by the lookup index (organisation, field, valueKey), then compared exactly.
        const exact = this.db.dialect === "mysql" ? `v.value = BINARY ${w.param(canonical.value)}` : `v.value = ${w.param(canonical.value)}`;
        return `u.id IN (SELECT v.userId FROM custom_field_values v WHERE v.organisationId = ${org} AND v.fieldId = ${w.param(def.id)} AND v.valueKey = ${w.param(customValueKey(canonical.value))} AND ${exact})`;
      }
      case "memberOf":
        return `u.id IN (SELECT gm.memberId FROM group_memberships gm WHERE gm.groupId = ${w.param(r.groupId)} AND gm.organisationId = ${org})`;
      case "hasRole": {
        const roleId = roleIds.get(caseInsensitiveKey(r.role));
        // No such role: nobody holds it.
        if (roleId === undefined) return "1=0";
        return `u.id IN (SELECT ra.userId FROM role_assignments ra WHERE ra.organisationId = ${org} AND ra.roleId = ${w.param(roleId)})`;
      }
      case "anyPresent":
        return `(${w.compile({ kind: "or", items: r.fields.map((field) => ({ kind: "compare" as const, field, op: "pr" as const })) }, userColumns, () => "1=0")})`;
      case "text": {
        // `co` on each field, as a SCIM filter has it: userName and emails by their keys.
        const contains = (spec: ColumnSpec) => w.comparison(spec, "co", r.text);
        const names = TEXT_SEARCH_COLUMNS.map((column): ColumnSpec => ({ column, type: "string" }));
        return `(${[userColumns.userName, ...names].map(contains).join(" OR ")} OR u.id IN (SELECT c.userId FROM user_contacts c WHERE c.organisationId = ${org} AND ${contains(contactColumns(w).value)}))`;
      }
    }
  }

  /**
   * Reads a user and its details for a read-modify-write (SCIM PATCH and PUT), holding the row lock
   * until the transaction ends: the lock and the details travel in one round trip.
   */
  async lockWithDetails(tx: Tx, id: string, include: GroupsWanted = {}): Promise<LockedUser> {
    const { sql, parts } = userDetailsSql(this.db.dialect, 1, { ...OTHERS_ONLY, groups: include.groups, groupNesting: include.indirectGroups });
    const statements: [string, unknown[]][] = [[`SELECT u.* FROM users u WHERE u.id = ? AND u.organisationId = ?${this.db.dialect === "mysql" ? " FOR UPDATE" : ""}`, [id, tx.organisationId]]];
    if (parts) statements.push([sql, userDetailsParams(tx.organisationId, [id], parts)]);
    const [[row], detailRows = []] = await this.db.rowsMany(tx, statements);
    if (!row) throw notFound("User", id);
    const user = userFromRow(row);
    const own = await this.ownRowsOf(tx, [user]);
    const fullValues = await this.fullValues(tx, own, [user.id]);
    // Read from the tables (no copy yet): the update that follows stores them as the copy.
    const ownRows = user.ownDetails ? null : ownRowsFromUnion(user.id, own, fullValues);
    return { user, details: (await this.detailsFromRows(tx, [...detailRows, ...own], [user.id], fullValues, include.groups && include.indirectGroups)).get(user.id)!, ownRows };
  }

  private async lockForWrite(tx: Tx, id: string): Promise<User> {
    // SQLite serialises write transactions already; MariaDB needs the row lock for concurrent writers.
    const lock = this.db.dialect === "mysql" ? " FOR UPDATE" : "";
    const [row] = await this.db.rows(tx, `SELECT u.* FROM users u WHERE u.id = ? AND u.organisationId = ?${lock}`, [id, tx.organisationId]);
    if (!row) throw notFound("User", id);
    return userFromRow(row);
  }

  /** Applies validated changes to the row in memory; returns the audit diff. Checks cross-row rules. */
  private async apply(tx: Tx, user: User, c: ValidatedChanges, before: UserDetails | "load" | null): Promise<Record<string, FieldChange>> {
    const creating = before === null;
    const known = before === "load" ? null : before;
    const diff: Record<string, FieldChange> = {};
    const set = <K extends keyof User>(key: K, value: User[K]) => {
      if (JSON.stringify(user[key] ?? null) !== JSON.stringify(value ?? null)) {
        diff[key] = { before: creating ? null : (user[key] ?? null), after: value ?? null };
        user[key] = value;
      }
    };
    if (c.userName !== undefined) {
      set("userName", c.userName);
      user.userNameKey = caseInsensitiveKey(c.userName);
    }
    if (c.externalId !== undefined) {
      set("externalId", c.externalId);
      user.externalIdKey = c.externalId === null ? null : lowerCaseKey(c.externalId);
    }
    if (c.active !== undefined) set("active", c.active);
    for (const f of userTextFields) if (c[f] !== undefined) set(f, c[f] ?? null);
    if (c.department !== undefined) user.departmentKey = user.department === null ? null : attributeKey(user.department);
    if (c.costCenter !== undefined) user.costCenterKey = user.costCenter === null ? null : attributeKey(user.costCenter);
    if (c.addresses !== undefined) set("addresses", c.addresses && c.addresses.length ? c.addresses : null);
    if (c.managerId !== undefined && c.managerId !== user.managerId) {
      if (c.managerId !== null) {
        if (c.managerId === user.id) throw invalidInput("managerId", "a user cannot be their own manager");
        // Locked until COMMIT on MariaDB: a manager deleted meanwhile is refused here, not by the
        // foreign key at the UPDATE (a 500).
        const [manager] = await this.db.rows(tx, ...this.db.existingIdsSql("users", [c.managerId], tx.organisationId));
        if (!manager) throw invalidInput("managerId", `manager ${JSON.stringify(c.managerId)} is not a user of this organisation`);
      }
      set("managerId", c.managerId);
    }
    if (!creating && (c.emails !== undefined || c.phoneNumbers !== undefined)) {
      const current = known ? [...known.emails, ...known.phoneNumbers] : ((await this.contactsOfUsers(tx, [user.id])).get(user.id) ?? []);
      // Read under the row lock: the write changes only the rows that differ from them.
      c.contactsBefore = current;
      for (const [field, kind] of [["emails", "email"], ["phoneNumbers", "phone"]] as const) {
        const next = c[field];
        if (next === undefined) continue;
        const before = current.filter((x) => x.kind === kind).map(contactView);
        const after = (next ?? []).map(contactView);
        if (JSON.stringify(before) !== JSON.stringify(after)) diff[field] = { before, after };
        else c[field] = undefined; // unchanged: do not rewrite the rows
      }
    } else {
      if (c.emails?.length) diff.emails = { before: null, after: c.emails.map(contactView) };
      if (c.phoneNumbers?.length) diff.phoneNumbers = { before: null, after: c.phoneNumbers.map(contactView) };
    }
    // The roles the user already holds, named again (as a SCIM PUT does): nothing to resolve or write.
    if (c.roles !== undefined && known && sameKeys((c.roles ?? []).map(caseInsensitiveKey), known.roles.map((r) => r.nameKey))) c.roles = undefined;
    if (c.roles !== undefined) {
      const roles = await this.roles.findByNames(tx, c.roles ?? []);
      const held = creating ? [] : (known?.roles ?? (await this.roles.rolesOfUsers(tx, [user.id])).get(user.id) ?? []);
      const rolesBefore = held.map((r) => r.name).sort();
      const after = roles.map((r) => r.name).sort();
      c.resolvedRoles = roles;
      c.roleIdsBefore = held.map((r) => r.id);
      if (JSON.stringify(rolesBefore) !== JSON.stringify(after)) diff.roles = { before: creating ? null : rolesBefore, after };
      else c.resolvedRoles = undefined;
    }
    if (c.customFields !== undefined && Object.keys(c.customFields).length) {
      let changed = await this.customFieldChanges(tx, user.id, c.customFields, await this.customFields.list(tx), creating ? {} : known?.customFields);
      // The definitions may be another instance's cache behind (a field deleted, an option dropped):
      // those of the values that change are confirmed under a shared lock, or all read again and the
      // values checked against them as they are now.
      if (!(await this.customFields.lockUnchanged(tx, [...changed.validated.keys()])))
        changed = await this.customFieldChanges(tx, user.id, c.customFields, await this.customFields.lockCurrent(tx), creating ? {} : known?.customFields);
      Object.assign(diff, changed.diff);
      c.validatedCustomFields = changed.validated;
    }
    return diff;
  }

  /** Custom values validated against `definitions`, less those the user already holds, and their audit diff. */
  private async customFieldChanges(tx: Tx, userId: string, input: Record<string, unknown>, definitions: CustomFieldDefinition[], known: CustomFieldValues | undefined) {
    const validated = this.customFields.validate(definitions, input);
    const valuesBefore = known ?? (await this.customFields.valuesOfUsers(tx, [userId], definitions)).get(userId) ?? {};
    const diff: Record<string, FieldChange> = {};
    for (const [def, values] of [...validated]) {
      const b = valuesBefore[def.key] ?? null;
      const a = values.length === 0 ? null : def.multiValued ? values.map((v) => v.value) : values[0].value;
      const bText = b === null ? null : Array.isArray(b) ? b.map(String) : String(b);
      if (JSON.stringify(bText) === JSON.stringify(a)) validated.delete(def);
      else diff[`customFields.${def.key}`] = { before: b, after: a };
    }
    return { validated, diff };
  }

  /**
   * Contacts, roles and custom values as written: deferred statements, nothing read back. Of the
   * contacts and roles only what differs from the rows before is written (each changed contact is one
   * UPDATE by its id, those gone one DELETE, the new ones one INSERT; roles one DELETE and one INSERT
   * at most): rows that stay are not touched, keep their ids, and are not locked. Deleting a kind's
   * rows by user and kind took next-key locks on the user's index range, and concurrent writes of
   * users met in those gaps (deadlocks, retried).
   */
  private async writeRelated(tx: Tx, user: User, c: ValidatedChanges, creating: boolean, contacts: ContactRows | undefined): Promise<{ contacts: UserContact[] }> {
    if (contacts?.updated.length) await this.updateContacts(tx, contacts.updated);
    if (contacts?.deletedIds.length) await this.db.write(tx, `DELETE FROM user_contacts WHERE id IN (${Database.placeholders(contacts.deletedIds.length)})`, contacts.deletedIds);
    if (contacts?.inserted.length) await this.insertRows(tx, "user_contacts", contacts.inserted as unknown as Record<string, unknown>[]);
    if (c.resolvedRoles) {
      const before = new Set(creating ? [] : (c.roleIdsBefore ?? []));
      const after = new Set(c.resolvedRoles.map((r) => r.id));
      const gone = [...before].filter((id) => !after.has(id));
      const added = [...after].filter((id) => !before.has(id));
      if (gone.length) await this.db.write(tx, `DELETE FROM role_assignments WHERE userId = ? AND roleId IN (${Database.placeholders(gone.length)})`, [user.id, ...gone]);
      if (added.length) await this.insertRows(tx, "role_assignments", added.map((roleId) => ({ userId: user.id, roleId, organisationId: tx.organisationId })));
    }
    if (c.validatedCustomFields?.size) await this.customFields.writeValues(tx, user.id, c.validatedCustomFields, { creating });
    return { contacts: contacts?.rows ?? [] };
  }

  /**
   * Contacts whose columns changed, by their ids, in one statement: `SET value = ?` for one row, a
   * `CASE id` per column for several (a reordered list).
   */
  private updateContacts(tx: Tx, updated: ContactDifferences["updated"]): Promise<void> {
    if (updated.length === 1) {
      const [{ row, columns }] = updated;
      return this.db.write(tx, `UPDATE user_contacts SET ${columns.map((col) => `${this.quote(col)} = ?`).join(", ")} WHERE id = ?`, [...columns.map((col) => row[col]), row.id]);
    }
    const columns = CONTACT_CHANGING_COLUMNS.filter((col) => updated.some((u) => u.columns.includes(col)));
    const cases = columns.map((col) => `${this.quote(col)} = CASE id ${updated.map(() => "WHEN ? THEN ?").join(" ")} END`);
    const params = [...columns.flatMap((col) => updated.flatMap((u) => [u.row.id, u.row[col]])), ...updated.map((u) => u.row.id)];
    return this.db.write(tx, `UPDATE user_contacts SET ${cases.join(", ")} WHERE id IN (${Database.placeholders(updated.length)})`, params);
  }

  /** The details after a write, from what was there (`before`) and what was written; only a new manager is read. */
  private async detailsAfterWrite(tx: Tx, user: User, c: ValidatedChanges, written: { contacts: UserContact[] }, before: UserDetails | null): Promise<UserDetails> {
    const emails = c.emails !== undefined ? written.contacts.filter((x) => x.kind === "email") : (before?.emails ?? []);
    const phoneNumbers = c.phoneNumbers !== undefined ? written.contacts.filter((x) => x.kind === "phone") : (before?.phoneNumbers ?? []);
    const roles = c.resolvedRoles ? [...c.resolvedRoles].sort((a, b) => a.nameKey.localeCompare(b.nameKey)) : (before?.roles ?? []);
    const customFields = this.customFields.mergeValues(before?.customFields ?? {}, c.validatedCustomFields);
    let manager = before?.manager ?? null;
    if (!user.managerId) manager = null;
    else if (manager?.id !== user.managerId) {
      const m = await tx.manager.getRepository(User).findOne({ select: { id: true, userName: true, displayName: true }, where: { id: user.managerId, organisationId: tx.organisationId } });
      manager = m ? { id: m.id, userName: m.userName, displayName: m.displayName } : null;
    }
    return { emails, phoneNumbers, roles, customFields, groups: before?.groups ?? [], ...(before?.indirectGroups ? { indirectGroups: before.indirectGroups } : {}), manager };
  }

  /**
   * Plain multi-row INSERT of the create path (one statement a table). The rows keep the values as
   * written: TypeORM's insert would read MariaDB's raw tinyint back into boolean fields.
   */
  private insertRows(tx: Tx, table: string, rows: Record<string, unknown>[]): Promise<void> {
    const columns = Object.keys(rows[0]);
    const values = rows.map(() => `(${columns.map(() => "?").join(", ")})`).join(", ");
    return this.db.write(tx, `INSERT INTO ${table} (${columns.map((c) => this.quote(c)).join(", ")}) VALUES ${values}`, rows.flatMap((r) => columns.map((c) => r[c] ?? null)));
  }

  /** A column name from code (never from input), quoted for the dialect. */
  private quote(column: string): string {
    return this.db.dialect === "mysql" ? `\`${column}\`` : `"${column}"`;
  }

  private insertRow(tx: Tx, table: string, row: Record<string, unknown>): Promise<void> {
    return this.insertRows(tx, table, [row]);
  }

  private async uniquely<T>(c: UserChanges, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const msg = String((err as Error).message);
      if (/externalIdKey/.test(msg)) throw conflict("User", "externalId", `a user with externalId "${c.externalId}" already exists`);
      throw conflict("User", "userName", `a user with userName "${c.userName}" already exists (userNames are unique regardless of letter case)`);
    }
  }
}

/** Details union parts besides the user's own rows (which come from ownDetails): groups and manager, as asked. */
const OTHERS_ONLY = { contacts: false, roles: false, customFields: false } as const;

/** The groups a single-user read brings with the user's row (`oneWithGroups`); more are read apart. */
const GROUPS_WITH_THE_ROW = 50;

type ValidatedChanges = UserChanges & {
  /** The user's contacts before the write, read under its row lock (an update naming emails or phoneNumbers). */
  contactsBefore?: UserContact[];
  resolvedRoles?: Role[];
  /** The ids of the roles the user held before the write (with `resolvedRoles`). */
  roleIdsBefore?: string[];
  validatedCustomFields?: ReturnType<CustomFieldService["validate"]>;
};

/** A column of the users table (a field of User that is not a relation). */
export type UserColumn = Exclude<keyof User, "manager" | "organisation">;

/** What every partial read of users selects: keys, the cursor, the manager link and the version. */
const ALWAYS_READ: readonly UserColumn[] = ["id", "organisationId", "userName", "userNameKey", "managerId", "version"];

/**
 * The select list of a page of users: every column, or only `columns` (and ALWAYS_READ). A page of
 * 100 users as a GraphQL screen asks for it (a handful of fields) cost Node ~0.5 ms less to parse
 * than the whole rows, and MariaDB less to send. Columns come from code, never from input.
 */
function userSelectList(columns: readonly UserColumn[] | undefined): string {
  return columns ? partialColumns(columns).map((c) => `u.${c}`).join(", ") : "u.*";
}

const partialColumns = (columns: readonly UserColumn[]): UserColumn[] => [...new Set([...ALWAYS_READ, ...columns])];

/**
 * The managers' `columns` (and ALWAYS_READ) in a select list with MANAGER_JOIN, each as `managerRow_<column>`.
 * Joined, a GraphQL page of 100 users with managers (three fields each) cost MariaDB 1.57 ms against
 * 1.82 and 2.42 ms with the whole managers' own statement (`npm run bench -- --compare`, two runs).
 */
function managerSelectList(columns: readonly UserColumn[]): string {
  return partialColumns(columns).map((c) => `mu.${c} AS managerRow_${c}`).join(", ");
}

/** The managers read by `managerSelectList`, by id: null for a manager link with no user behind it. */
function managersJoinedTo(rows: Record<string, unknown>[], columns: readonly UserColumn[]): Map<string, User | null> {
  const managers = new Map<string, User | null>();
  const read = partialColumns(columns);
  for (const r of rows) {
    if (r.managerId == null || managers.has(String(r.managerId))) continue;
    managers.set(String(r.managerId), r.managerRow_id == null ? null : userFromRow(Object.fromEntries(read.map((c) => [c, r[`managerRow_${c}`]]))));
  }
  return managers;
}

/**
 * Each user's manager read with the user's own row, by primary key: on a page of 100 users MariaDB
 * spent ~0.25 ms more on the page statement, against ~1.1 ms for the details union's manager part,
 * which read every user row of the page again to find its managerId.
 */
const MANAGER_JOIN = " LEFT JOIN users mu ON mu.id = u.managerId AND mu.organisationId = u.organisationId";
const MANAGER_COLUMNS = "mu.id AS managerRowId, mu.userName AS managerRowUserName, mu.displayName AS managerRowDisplayName";

/** The managers of rows read with MANAGER_COLUMNS, as the details union's manager rows (`k` = 'm'). */
function managerDetailRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows.filter((r) => r.managerRowId != null).map((r) => ({ k: "m", userId: r.id, a: r.managerRowId, b: r.managerRowUserName, c: r.managerRowDisplayName }));
}

/** The users row of an entity, columns by name (JSON encoded for the addresses and ownDetails columns). */
function userRow(user: User): Record<string, unknown> {
  const { manager: _m, organisation: _o, ...columns } = user as User & { manager?: unknown; organisation?: unknown };
  return { ...columns, addresses: user.addresses ? JSON.stringify(user.addresses) : null, ownDetails: user.ownDetails ? JSON.stringify(user.ownDetails) : null };
}

/** Whether two lists hold the same keys, whatever their order and repeats. */
function sameKeys(a: string[], b: string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((k) => y.has(k));
}

const contactView = (c: ContactInput | UserContact) => ({ value: c.value, type: c.type ?? null, primary: !!c.primary, display: c.display ?? null });

/**
 * The contact rows a write replaces: the kinds it names and their rows after it (none when the list
 * is cleared; those that stay keep their ids), and what differs from the rows before.
 */
type ContactRows = { kinds: ContactKind[] } & ContactDifferences;

function contactRowsOf(organisationId: string, userId: string, c: ValidatedChanges): ContactRows | undefined {
  const kinds: ContactKind[] = [];
  const rows: UserContact[] = [];
  for (const [field, kind] of [["emails", "email"], ["phoneNumbers", "phone"]] as const) {
    const list = c[field];
    if (list === undefined) continue;
    kinds.push(kind);
    (list ?? []).forEach((x, position) => rows.push(contactRow(organisationId, userId, kind, position, x)));
  }
  if (!kinds.length) return undefined;
  // A create has no rows before; an update read them under the row lock (`apply`).
  const before = (c.contactsBefore ?? []).filter((x) => kinds.includes(x.kind));
  return { kinds, ...contactDifferences(before, rows) };
}

function ownRowsWritten(c: ValidatedChanges, contacts: ContactRows | undefined): OwnRowsWritten {
  return { contacts, roleIds: c.resolvedRoles?.map((r) => r.id), values: c.validatedCustomFields };
}

function contactRow(organisationId: string, userId: string, kind: ContactKind, position: number, x: ContactInput): UserContact {
  return {
    id: newId(),
    organisationId,
    userId,
    kind,
    position,
    value: x.value,
    valueKey: contactValueKey(x.value),
    type: x.type ?? null,
    primary: !!x.primary,
    display: x.display ?? null,
  };
}

/** Shape rules of a change, checked before any database work; every invalid field is reported at once. */
export function validateChanges(input: UserChanges): ValidatedChanges {
  const c: ValidatedChanges = { ...input };
  const problems = new InputProblems();
  if (input.userName !== undefined) {
    const userName = typeof input.userName === "string" ? input.userName.trim() : "";
    if (!userName) problems.add("userName", "userName must not be empty");
    else if (characterCount(userName) > 255) problems.add("userName", "userName is at most 255 characters");
    c.userName = userName;
  }
  if (input.externalId !== undefined) {
    const e = blankToNull(input.externalId);
    if (e && characterCount(e) > 255) problems.add("externalId", "externalId is at most 255 characters");
    c.externalId = e ?? null;
  }
  if (input.active !== undefined && typeof input.active !== "boolean") problems.add("active", "active must be true or false");
  for (const f of userTextFields) {
    const v = input[f];
    if (v === undefined) continue;
    if (v !== null && typeof v !== "string") {
      problems.add(f, `${f} must be text`);
      continue;
    }
    const t = blankToNull(v);
    if (t && characterCount(t) > TEXT_FIELDS[f]) problems.add(f, `${f} is at most ${TEXT_FIELDS[f]} characters`);
    // A front end renders it as a link: javascript:, data: and the like would run in the reader's page.
    else if (f === "profileUrl" && t && !/^https?:\/\/[^\s/]/i.test(t)) problems.add(f, "profileUrl must be an http:// or https:// URL");
    c[f] = t ?? null;
  }
  if (input.managerId !== undefined) c.managerId = blankToNull(input.managerId) ?? null;
  c.emails = validateContacts(problems, "emails", input.emails, (v) => EMAIL.test(v) && characterCount(v) <= 320, "an email address");
  c.phoneNumbers = validateContacts(problems, "phoneNumbers", input.phoneNumbers, (v) => characterCount(v) <= 64, "a phone number of at most 64 characters");
  if (input.addresses !== undefined && input.addresses !== null) {
    if (!Array.isArray(input.addresses)) problems.add("addresses", "addresses must be a list");
    else if (input.addresses.length > MAX_CONTACTS) problems.add("addresses", tooManyContacts("addresses"));
    else {
      input.addresses.forEach((a, i) => {
        for (const [k, v] of Object.entries(a ?? {})) {
          if (k === "primary" ? typeof v !== "boolean" && v !== null && v !== undefined : typeof v !== "string" && v !== null && v !== undefined)
            problems.add(`addresses[${i}].${k}`, `addresses.${k} must be ${k === "primary" ? "true or false" : "text"}`);
          else if (typeof v === "string" && characterCount(v) > MAX_ADDRESS_PART) problems.add(`addresses[${i}].${k}`, `addresses.${k} is at most ${MAX_ADDRESS_PART} characters`);
        }
      });
      if (input.addresses.filter((a) => a?.primary).length > 1) problems.add("addresses", "at most one address can be primary");
      if (!problems.any) c.addresses = input.addresses.map((a) => Object.fromEntries(Object.entries(a).filter(([, v]) => v !== null && v !== undefined)) as PostalAddress);
    }
  }
  if (input.roles !== undefined && input.roles !== null && !Array.isArray(input.roles)) problems.add("roles", "roles must be a list of role names");
  problems.throwIfAny();
  return c;
}

function validateContacts(problems: InputProblems, field: "emails" | "phoneNumbers", list: ContactInput[] | null | undefined, ok: (v: string) => boolean, what: string): ContactInput[] | null | undefined {
  if (list === undefined || list === null) return list;
  if (!Array.isArray(list)) {
    problems.add(field, `${field} must be a list`);
    return undefined;
  }
  if (list.length > MAX_CONTACTS) {
    problems.add(field, tooManyContacts(field));
    return undefined;
  }
  const out: ContactInput[] = [];
  list.forEach((x, i) => {
    const value = typeof x?.value === "string" ? x.value.trim() : "";
    if (!value || !ok(value)) problems.add(`${field}[${i}].value`, `${JSON.stringify(x?.value ?? null)} is not ${what}`);
    const type = blankToNull(x?.type) ?? null;
    const display = blankToNull(x?.display) ?? null;
    // The columns' sizes: MariaDB refused longer values (a 500), SQLite kept them.
    if (type !== null && characterCount(type) > MAX_CONTACT_TYPE) problems.add(`${field}[${i}].type`, `${field}[${i}].type is at most ${MAX_CONTACT_TYPE} characters`);
    if (display !== null && characterCount(display) > MAX_CONTACT_DISPLAY) problems.add(`${field}[${i}].display`, `${field}[${i}].display is at most ${MAX_CONTACT_DISPLAY} characters`);
    out.push({ value, type, primary: !!x?.primary, display });
  });
  if (out.filter((x) => x.primary).length > 1) problems.add(field, `at most one of ${field} can be primary`);
  return out;
}

/** `userName`, `id` or `externalId` `eq` a value: at most one user, found by a unique index (an IdP's lookup before it writes). */
function isKeyLookup(c: UserCriteria): boolean {
  return c.kind === "compare" && c.op === "eq" && c.value !== null && c.value !== undefined && (c.field === "userName" || c.field === "id" || c.field === "externalId");
}

/** No filter at all (`all`, or an `and` of nothing but that). */
function matchesEveryone(c: UserCriteria): boolean {
  return c.kind === "all" || (c.kind === "and" && c.items.every(matchesEveryone));
}
