import { In } from "typeorm";
import type { EntityManager } from "typeorm";
import { Database, isUniqueViolation } from "../../platform/database";
import { dateOf, textOf } from "../../platform/row-values";
import { newId } from "../../platform/ids";
import type { RequestContext } from "../../platform/request-context";
import type { AuditService } from "../audit/audit.service";
import { capList } from "../audit/audit.service";
import type { FieldChange } from "../audit/audit-event.entity";
import { SqlWhereBuilder, assertFewUnindexedComparisons, sortColumnOf } from "../shared/criteria";
import { InputProblems, conflict, invalidInput, notFound } from "../shared/domain-error";
import { type ExpectedVersion, assertExpectedVersion } from "../shared/expected-version";
import { blankToNull, caseInsensitiveKey } from "../shared/normalise";
import { PageContinuations } from "../shared/page-continuations";
import { RecentTotals } from "../shared/recent-totals";
import { type CursorPage, type CursorSlice, type OffsetPage, type Slice, cursorSlice } from "../shared/paging";
import { User } from "../users/user.entity";
import { type GroupCriteria, type GroupField, type GroupRelation, groupColumns, groupIndexes } from "./group.query";
import { GroupMembership, type MemberType } from "./group-membership.entity";
import { Group } from "./group.entity";
import { AncestorWalk, MAX_NESTING_DEPTH, ancestorWalkSql, parentsSql } from "./group-cycles";
import { characterCount } from "../shared/text-length";

export interface MemberRef {
  id: string;
  /**
   * Left out (RFC 7643 makes a member's `type` optional, and IdPs often leave it out): the user of
   * that id, or else the group of that id, of this organisation. A type that is given is kept to.
   */
  type?: MemberType;
}

export interface GroupChanges {
  displayName?: string;
  externalId?: string | null;
}

export interface NewGroup extends GroupChanges {
  displayName: string;
  members?: MemberRef[];
}

export interface Member {
  id: string;
  type: MemberType;
  display: string | null;
}

export interface MembershipChange {
  added: string[];
  removed: string[];
}

/**
 * A change of members: with `replace`, the members become those of `add`; otherwise the members of
 * `remove` that `add` does not name leave and those of `add` join.
 */
export interface MembersDelta {
  add: MemberRef[];
  remove: string[];
  replace: boolean;
}

/** One write of a group (a SCIM PUT or PATCH): its own attributes and its members, as one change. */
export interface GroupWrite {
  attributes?: GroupChanges;
  members?: MembersDelta;
}

export interface GroupWriteResult extends MembershipChange {
  group: Group;
}

/**
 * What a check of would-be members found, under the group's row lock: which of the ids asked about
 * are users or groups of this organisation, and which of those already belong to the group. `asked`
 * holds what each id was looked up as: a member sent without type is looked up as a user, and only
 * when it is none as a group too (see `covers`).
 */
export interface MemberCheck {
  asked: Map<string, Set<MemberType>>;
  found: Map<string, { type: MemberType; present: boolean }>;
}

/** The group of a write, read with its row lock, and the check of the members it expects to add. */
export interface LockedGroup {
  group: Group;
  checked?: MemberCheck;
}

/**
 * Thrown inside `withLockedGroup`'s first transaction (rolled back by it, nothing written) when
 * members sent without type are no users: the transaction runs again once they are looked up.
 */
class UntypedNotUsers extends Error {
  constructor(readonly ids: string[]) {
    super("members sent without type are no users");
  }
}

type MembershipOptions = { expectedVersion?: ExpectedVersion; locked?: Group; checked?: MemberCheck };

/** The members a write adds that the group does not hold yet (checked under its lock), with what each is; `groups` those that are groups. */
interface MembersToAdd {
  fresh: string[];
  typeOf: Map<string, MemberType>;
  groups: string[];
}

type Tx = RequestContext & { manager: EntityManager };

/** One request may name at most this many members (bigger syncs come in several requests). */
export const MAX_MEMBERS_PER_CHANGE = 10_000;
/** The refusal of a change over MAX_MEMBERS_PER_CHANGE (GraphQL checks the bound before its items, with this message). */
export const TOO_MANY_MEMBERS = `at most ${MAX_MEMBERS_PER_CHANGE} members can change in one request`;

/** A write of group_memberships and the sign by which the rows it changes move the group's memberCount. */
interface MembershipWrite {
  sql: string;
  params: unknown[];
  sign: "+" | "-";
}

/**
 * Takes a member being deleted (a user or a group) out of every group of the organisation that holds
 * it. Each of those groups changed: one member fewer (memberCount), a new version (its ETag),
 * updatedAt (meta.lastModified) and an audit event of its own, as if the member had been removed
 * from it.
 *
 * Locks (MariaDB), in the order member writes take them: the caller holds the member's row; then the
 * rows of the groups holding it, in id order, then its memberships, in one round trip. The groups
 * are found by a plain read of the memberships (a derived table, which locks nothing; its LIMIT keeps
 * MariaDB from merging it into the join) joined to their rows by primary key (STRAIGHT_JOIN, FORCE
 * INDEX: only those rows are locked; without the hint MariaDB went through the organisation's
 * updatedAt index and locked every group of it). The memberships were read FOR UPDATE first and the groups' rows updated
 * after: memberships before the group, the opposite of a PATCH, which locks the group's row and then
 * inserts or deletes memberships. A PATCH adding a member whose id fell next to the deleted member's
 * waited for the deletion's lock on that gap of the memberships' member index while holding the
 * group's row, which the deletion waited for: a deadlock, in 8 to 10 of 10 rounds
 * (member-lock-order.test.ts). No membership of the member can appear meanwhile (adding it
 * share-locks its row, which the caller holds), so the groups read are all those it is in (the plain
 * read's snapshot is taken then, after the member's lock, unless the caller's transaction read
 * before: a membership added in between is still removed and counted below, its group's row locked
 * by the UPDATE, as before); one whose membership a concurrent PATCH removed is locked for nothing.
 * The memberships are then read again
 * with the lock the DELETE takes (FOR UPDATE: the rows as they are once the groups are locked), so
 * the groups whose count drops by one are exactly those whose row the DELETE removes.
 *
 * `usersFirst` is a read of other users' rows the caller locks (a user's deletion: its reports, FOR
 * UPDATE, to clear their manager); it is sent first, in the same round trip, and its rows returned.
 * Users' rows come before groups' rows in every writer (a PATCH adding a user share-locks it, then
 * locks the group): locked after the groups, a report added meanwhile to a group holding its manager
 * deadlocked with the manager's deletion (1 to 3 times in 60 rounds, member-lock-order.test.ts).
 */
export async function removeFromEveryGroup(db: Database, tx: Tx, audit: AuditService, memberId: string, usersFirst?: [string, unknown[]]): Promise<Record<string, unknown>[]> {
  const groups = db.dialect === "mysql" ? "`groups`" : '"groups"';
  const memberships: [string, unknown[]] = [`SELECT groupId FROM group_memberships WHERE memberId = ? AND organisationId = ?${db.dialect === "mysql" ? " FOR UPDATE" : ""}`, [memberId, tx.organisationId]];
  const first = usersFirst ? [usersFirst] : [];
  const read =
    db.dialect === "mysql"
      ? await db.rowsMany(tx, [
          ...first,
          [
            `SELECT g.id FROM (SELECT groupId FROM group_memberships WHERE memberId = ? AND organisationId = ? ORDER BY groupId LIMIT 18446744073709551615) m STRAIGHT_JOIN ${groups} g FORCE INDEX (PRIMARY) ON g.id = m.groupId WHERE g.organisationId = ? ORDER BY g.id FOR UPDATE`,
            [memberId, tx.organisationId, tx.organisationId],
          ],
          memberships,
        ])
      : [...(usersFirst ? [await db.rows(tx, ...usersFirst)] : []), await db.rows(tx, ...memberships)];
  const users = usersFirst ? read[0] : [];
  const groupIds = read[read.length - 1].map((r) => String(r.groupId));
  if (groupIds.length === 0) return users;
  await audit.recordMany(
    tx,
    groupIds.map((groupId) => ({ action: "group.members.removed", resourceType: "Group", resourceId: groupId, changes: { "members.removed": { before: [memberId], after: null } } })),
  );
  await db.write(tx, "DELETE FROM group_memberships WHERE memberId = ? AND organisationId = ?", [memberId, tx.organisationId]);
  for (let i = 0; i < groupIds.length; i += 1000) {
    const chunk = groupIds.slice(i, i + 1000);
    await db.write(tx, `UPDATE ${groups} SET memberCount = memberCount - 1, version = version + 1, updatedAt = ? WHERE id IN (${Database.placeholders(chunk.length)}) AND organisationId = ?`, [new Date(), ...chunk, tx.organisationId]);
  }
  return users;
}

export class GroupService {
  private readonly pages = new PageContinuations();
  private readonly totals = new RecentTotals();
  /**
   * Told once a transaction that set its organisation's `hasNestedGroups` has committed: cached token
   * checks carry the flag (SCIM reads ask for indirect groups by it), so this instance reads it again.
   */
  readonly onNestingStarted: ((organisationId: string) => void)[] = [];
  /**
   * Organisations whose `hasNestedGroups` this process set (committed). The flag is never cleared,
   * so a further group added to a group there needs no UPDATE (nor its lock on the organisation's row).
   */
  private readonly knownNested = new Set<string>();

  /** Forgets what is kept of the organisation's lists, totals and page ends (after any change to it). */
  forgetLists(organisationId: string): void {
    this.totals.forget(organisationId);
    this.pages.forget(organisationId);
  }

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
  ) {}

  async create(ctx: RequestContext, input: NewGroup): Promise<Group> {
    const changes = validateGroupChanges(input);
    if (!changes.displayName) throw invalidInput("displayName", "displayName is required");
    if ((input.members?.length ?? 0) > MAX_MEMBERS_PER_CHANGE) throw invalidInput("members", TOO_MANY_MEMBERS);
    const now = new Date();
    const group: Group = {
      id: newId(),
      organisationId: ctx.organisationId,
      displayName: changes.displayName,
      displayNameKey: caseInsensitiveKey(changes.displayName),
      externalId: changes.externalId ?? null,
      version: 1,
      memberCount: 0,
      createdAt: now,
      updatedAt: now,
    };
    return this.uniquely(group.displayName, () =>
      this.db.transaction(ctx, async (tx) => {
        await tx.manager.getRepository(Group).insert(group);
        // A new group is in no group yet: its members cannot make a cycle (only itself, refused below).
        const adding = input.members?.length ? await this.membersToAdd(tx, group, input.members, undefined, { isNew: true, storedName: group.displayName }) : undefined;
        const added = adding?.fresh ?? [];
        await this.writeMembers(tx, group, this.insertsOf(tx, group, adding));
        if (adding?.groups.length) await this.markNested(tx);
        // What is returned: no one else knows the new group's id before COMMIT, so its members are those inserted.
        group.memberCount = added.length;
        await this.audit.record(tx, {
          action: "group.created",
          resourceType: "Group",
          resourceId: group.id,
          changes: {
            displayName: { before: null, after: group.displayName },
            ...(group.externalId ? { externalId: { before: null, after: group.externalId } } : {}),
            ...(added.length ? { members: { before: null, after: capList(added) } } : {}),
          },
        });
        return group;
      }),
    );
  }

  async update(ctx: RequestContext, id: string, input: GroupChanges, options: { expectedVersion?: ExpectedVersion; locked?: Group } = {}): Promise<Group> {
    return (await this.write(ctx, id, { attributes: input }, options)).group;
  }

  async delete(ctx: RequestContext, id: string, options: { expectedVersion?: ExpectedVersion } = {}): Promise<void> {
    await this.db.transaction(ctx, async (tx) => {
      const group = await this.lockForWrite(tx, id, options.expectedVersion);
      // Its own memberships go with it (no count to keep: its row goes too).
      await tx.manager.getRepository(GroupMembership).delete({ groupId: id });
      await removeFromEveryGroup(this.db, tx, this.audit, id);
      await tx.manager.getRepository(Group).delete({ id, organisationId: tx.organisationId });
      await this.audit.record(tx, { action: "group.deleted", resourceType: "Group", resourceId: id, changes: { displayName: { before: group.displayName, after: null } } });
    });
  }

  /** Adds members; those already in the group are left as they are. Never reads the other members. */
  async addMembers(ctx: RequestContext, groupId: string, members: MemberRef[], options: MembershipOptions = {}): Promise<MembershipChange> {
    const { added, removed } = await this.write(ctx, groupId, { members: { add: members, remove: [], replace: false } }, options);
    return { added, removed };
  }

  async removeMembers(ctx: RequestContext, groupId: string, memberIds: string[], options: { expectedVersion?: ExpectedVersion; locked?: Group } = {}): Promise<MembershipChange> {
    const { added, removed } = await this.write(ctx, groupId, { members: { add: [], remove: memberIds, replace: false } }, options);
    return { added, removed };
  }

  /**
   * One write of a group, atomically: its name and externalId, then its members (removals, or all
   * members but those kept for `replace`, then additions). Whatever it changes is one change: one
   * new version (ETag) and one audit event, `group.updated` when the name or externalId changed
   * (with `members.added`/`members.removed` beside them), else `group.members.added`, `.removed` or
   * `.changed`. A write that changes nothing keeps the version and records nothing.
   * Adds use INSERT-or-ignore so that two writers adding the same member both succeed, once.
   */
  async write(ctx: RequestContext, groupId: string, write: GroupWrite, options: MembershipOptions = {}): Promise<GroupWriteResult> {
    const attributes = validateGroupChanges(write.attributes ?? {});
    const members = write.members ?? { add: [], remove: [], replace: false };
    if (members.add.length + members.remove.length > MAX_MEMBERS_PER_CHANGE)
      throw invalidInput("members", TOO_MANY_MEMBERS);
    // A caller already holding the row lock (SCIM PATCH, PUT) passes the group: it is not read again.
    const locked = options.locked;
    return this.uniquely(attributes.displayName ?? "", () =>
      locked
        ? this.db.transaction(ctx, (tx) => this.writeLocked(ctx, tx, locked, options.checked, attributes, members))
        : this.withLockedGroup(ctx, groupId, members.add, (tx, l) => this.writeLocked(ctx, tx, l.group, options.checked ?? l.checked, attributes, members), options.expectedVersion),
    );
  }

  /** `write` once the group is read with its row lock (and the members it adds perhaps checked with it). */
  private async writeLocked(ctx: RequestContext, tx: Tx, group: Group, checked: MemberCheck | undefined, attributes: GroupChanges, members: MembersDelta): Promise<GroupWriteResult> {
    const groupId = group.id;
    // Refusals name the group as it is stored, not as this write would rename it.
    const storedName = group.displayName;
    const diff = applyAttributes(group, attributes);
    // Nothing `add` names is removed, so a check of the additions made with the lock still holds.
    const keep = new Set(members.add.map((m) => m.id));
    const repo = tx.manager.getRepository(GroupMembership);
    let removed: string[] = [];
    if (members.replace) {
      // Only the members that go are read, in id order, and only for the audit trail.
      const current = await repo.find({ select: { memberId: true }, where: { groupId } });
      removed = current.map((m) => m.memberId).filter((id) => !keep.has(id));
    } else {
      const leaving = [...new Set(members.remove)].filter((id) => !keep.has(id));
      if (leaving.length) removed = (await repo.find({ select: { memberId: true }, where: { groupId, memberId: In(leaving) } })).map((m) => m.memberId);
    }
    const adding = members.add.length ? await this.membersToAdd(tx, group, members.add, checked, { storedName }) : undefined;
    const added = adding?.fresh ?? [];
    const attributesChanged = Object.keys(diff).length > 0;
    if (!attributesChanged && added.length === 0 && removed.length === 0) return { group, added, removed };
    const deletes: MembershipWrite[] = [];
    for (let i = 0; i < removed.length; i += 1000) {
      const chunk = removed.slice(i, i + 1000);
      deletes.push({ sql: `DELETE FROM group_memberships WHERE groupId = ? AND memberId IN (${Database.placeholders(chunk.length)})`, params: [groupId, ...chunk], sign: "-" });
    }
    const bump = attributesChanged ? { displayName: group.displayName, displayNameKey: group.displayNameKey, externalId: group.externalId } : {};
    await this.writeMembers(tx, group, [...deletes, ...this.insertsOf(tx, group, adding)], bump);
    if (adding?.groups.length) await this.markNested(tx);
    // What is returned: under the group's lock, what this write removed and added (the stored count
    // moved by the rows its statements changed, which are these).
    group.memberCount += added.length - removed.length;
    const changes: Record<string, FieldChange> = { ...diff };
    if (added.length) changes["members.added"] = { before: null, after: capList(added) };
    if (removed.length) changes["members.removed"] = { before: capList(removed), after: null };
    const action = attributesChanged ? "group.updated" : added.length && removed.length ? "group.members.changed" : added.length ? "group.members.added" : "group.members.removed";
    await this.audit.record(tx, { action, resourceType: "Group", resourceId: groupId, changes });
    // In a caller's transaction (SCIM PATCH, PUT), a name clash must surface here, inside `uniquely`.
    if (ctx.manager && diff.displayName) await this.db.flush(tx);
    return { group, added, removed };
  }

  async get(ctx: RequestContext, id: string): Promise<Group> {
    const group = await this.find(ctx, id);
    if (!group) throw notFound("Group", id);
    return group;
  }

  /** Another organisation's id is simply not found. Prepared: an IdP reads groups by id all through a cycle. */
  async find(ctx: RequestContext, id: string): Promise<Group | null> {
    const [row] = await this.db.preparedRows(ctx, `SELECT g.* FROM ${this.groupsTable} g WHERE g.id = ? AND g.organisationId = ?`, [id, ctx.organisationId]);
    return row ? groupFromRow(row) : null;
  }

  /** The group of this name in any letter case (names are unique so), or null. */
  findByDisplayName(ctx: RequestContext, displayName: string): Promise<Group | null> {
    return this.db.manager(ctx).getRepository(Group).findOneBy({ organisationId: ctx.organisationId, displayNameKey: caseInsensitiveKey(displayName) });
  }

  async getMany(ctx: RequestContext, ids: readonly string[]): Promise<Map<string, Group>> {
    if (!ids.length) return new Map();
    const groups = await this.db.manager(ctx).getRepository(Group).findBy({ organisationId: ctx.organisationId, id: In([...new Set(ids)]) });
    return new Map(groups.map((g) => [g.id, g]));
  }

  async search(ctx: RequestContext, criteria: GroupCriteria, page: OffsetPage, sort?: { field: GroupField; descending?: boolean }): Promise<Slice<Group>> {
    // A lookup by a unique key (an IdP's "does this group exist?" before it creates one): one
    // prepared statement, none of the query builder's work (see `find`).
    if (isKeyLookup(criteria) && page.offset === 0 && page.limit > 0) {
      const { where, params } = this.where(ctx, criteria);
      const rows = await this.db.preparedRows(ctx, ...this.db.positional(`SELECT g.* FROM ${this.groupsTable} g WHERE ${where}`, params));
      return { items: rows.map(groupFromRow), totalCount: rows.length };
    }
    const qb = this.query(ctx, criteria);
    const list = sort ? undefined : `${ctx.organisationId}:${JSON.stringify(criteria)}`;
    const continuation = list && page.offset > 0 ? this.pages.seek(list, page.offset) : undefined;
    const countQuery = qb.clone();
    const sortColumn = sort ? sortColumnOf(groupColumns[sort.field]) : "g.displayNameKey";
    qb.orderBy(sortColumn, sort?.descending ? "DESC" : "ASC");
    // displayNameKey is unique per organisation: the last key keeps ties stable. (TypeORM keeps one
    // direction per column: adding it again would undo a descending sort by displayName.)
    if (sortColumn !== "g.displayNameKey") qb.addOrderBy("g.displayNameKey", "ASC");
    if (continuation) qb.andWhere("g.displayNameKey > :seekKey", { seekKey: continuation.key });
    const skip = continuation ? continuation.skip : page.offset;
    if (skip > 0) qb.offset(skip);
    const items = page.limit === 0 ? [] : await qb.limit(page.limit).getMany();
    if (list && items.length > 0 && items.length === page.limit) this.pages.remember(list, page.offset + items.length, items.at(-1)!.displayNameKey);
    const totalCount = await this.totals.ofPage(list, page, items.length, () => countQuery.getCount());
    return { items, totalCount };
  }

  /** Keyset pages by displayName (GraphQL); the total is kept a few seconds and counted beside the page (as users'). */
  async list(ctx: RequestContext, criteria: GroupCriteria, page: CursorPage, options: { count?: boolean } = {}): Promise<CursorSlice<Group>> {
    const qb = this.query(ctx, criteria);
    const countQuery = qb.clone();
    const counting = options.count === false ? -1 : this.totals.get(`${ctx.organisationId}:${JSON.stringify(criteria)}`, ctx.manager, () => countQuery.getCount());
    if (page.afterKey) qb.andWhere("g.displayNameKey > :afterKey", { afterKey: page.afterKey });
    const [totalCount, rows] = await Promise.all([counting, qb.orderBy("g.displayNameKey", "ASC").limit(page.first + 1).getMany()]);
    return cursorSlice(rows, page, totalCount, (g) => g.displayNameKey);
  }

  /**
   * Every member of these groups with their display names, in a stable order (SCIM `members`); with
   * `atMost`, null when they have more than that between them (the caller then reads them a batch at
   * a time, `memberBatches`, instead of holding them all).
   */
  async allMembers(ctx: RequestContext, groupIds: string[], atMost?: number): Promise<Map<string, Member[]> | null> {
    const result = new Map<string, Member[]>(groupIds.map((id) => [id, []]));
    if (!groupIds.length) return result;
    const qb = this.memberQuery(ctx, groupIds).orderBy("m.groupId").addOrderBy("m.memberId");
    if (atMost !== undefined) qb.limit(atMost + 1);
    const rows = await qb.getRawMany<MemberRow>();
    if (atMost !== undefined && rows.length > atMost) return null;
    for (const r of rows) result.get(r.groupId)?.push(toMember(r));
    return result;
  }

  /**
   * A group's members in batches of `size`, in member id order, each batch one statement that
   * resumes after the last member read (no transaction holds them together: a member added or
   * removed meanwhile may or may not show, and none shows twice).
   */
  async *memberBatches(ctx: RequestContext, groupId: string, size: number): AsyncGenerator<Member[]> {
    let after: string | undefined;
    for (;;) {
      const batch = (await this.memberPage(ctx, groupId, after, size)).map(toMember);
      if (batch.length) yield batch;
      if (batch.length < size) return;
      after = batch[batch.length - 1].id;
    }
  }

  private memberPage(ctx: RequestContext, groupId: string, after: string | undefined, limit: number): Promise<MemberRow[]> {
    const qb = this.memberQuery(ctx, [groupId]);
    if (after !== undefined) qb.andWhere("m.memberId > :after", { after });
    return qb.orderBy("m.memberId").limit(limit).getRawMany<MemberRow>();
  }

  /**
   * Members of one group, a page at a time (GraphQL `Group.members`). Their total is the group's
   * memberCount, read with its row (which the caller has): no COUNT, however large the group.
   */
  async members(ctx: RequestContext, group: Pick<Group, "id" | "memberCount">, page: CursorPage): Promise<CursorSlice<Member>> {
    const rows = await this.memberPage(ctx, group.id, page.afterKey || undefined, page.first + 1);
    return cursorSlice(rows.map(toMember), page, group.memberCount, (m) => m.id);
  }

  // ---- internals ----

  private memberQuery(ctx: RequestContext, groupIds: string[]) {
    return this.db
      .manager(ctx)
      .getRepository(GroupMembership)
      .createQueryBuilder("m")
      .leftJoin(User, "u", "u.id = m.memberId AND m.memberType = 'user'")
      .leftJoin(Group, "sg", "sg.id = m.memberId AND m.memberType = 'group'")
      .select(["m.groupId AS groupId", "m.memberId AS memberId", "m.memberType AS memberType", "u.displayName AS userDisplayName", "u.userName AS userName", "sg.displayName AS groupDisplayName"])
      .where("m.organisationId = :org AND m.groupId IN (:...gids)", { org: ctx.organisationId, gids: groupIds });
  }

  private query(ctx: RequestContext, criteria: GroupCriteria) {
    const { where, params } = this.where(ctx, criteria);
    return this.db.manager(ctx).getRepository(Group).createQueryBuilder("g").where(where).setParameters(params);
  }

  /**
   * The WHERE clause of a criteria tree, scoped to the organisation, with its bound parameters.
   * Criteria that compare too much without an index are refused first, before any SQL.
   */
  private where(ctx: RequestContext, criteria: GroupCriteria): { where: string; params: Record<string, unknown> } {
    assertFewUnindexedComparisons(criteria, groupIndexes);
    const w = new SqlWhereBuilder(this.db.dialect);
    const org = w.param(ctx.organisationId);
    const where = w.compile(criteria, groupColumns, (r: GroupRelation) => {
      if (r.kind === "hasMember") return `g.id IN (SELECT gm.groupId FROM group_memberships gm WHERE gm.memberId = ${w.param(r.memberId)} AND gm.organisationId = ${org})`;
      // One primary-key probe per group: its first membership row.
      if (r.kind === "hasMembers") return "EXISTS (SELECT 1 FROM group_memberships gm WHERE gm.groupId = g.id)";
      return w.comparison(groupColumns.displayName, "co", r.text);
    });
    return { where: `g.organisationId = ${org} AND (${where})`, params: w.params };
  }

  /** Reads a group for a read-modify-write (SCIM PATCH), holding its row lock until the transaction ends. */
  lockForUpdate(tx: Tx, id: string, expectedVersion?: ExpectedVersion): Promise<Group> {
    return this.lockForWrite(tx, id, expectedVersion);
  }

  /**
   * Runs `fn` in a transaction (or the caller's) with the group read and its row lock held, and the
   * members the caller expects to add (`candidates`, as `write(…, { checked })` takes them: a PATCH's
   * `add` and `replace` members, a PUT's) checked in the same round trip: an IdP adding one member
   * at a time (Entra) costs two round trips in all. The would-be members are locked first
   * (`memberLockSql`), before the group, in the order a deletion takes them: users, then groups.
   * Checked after the group's lock, a member being deleted meanwhile deadlocked with its deletion.
   *
   * Members sent without type are checked as users, what they nearly always are: no statement more.
   * Those that are no user are looked up as groups only then. On MariaDB the group's row is locked by
   * that time, and a member group share-locked after it could deadlock with that group's deletion
   * (which locks it, then the groups holding it). So the transaction is rolled back before anything
   * is written (`UntypedNotUsers`), those ids are looked up as groups with no lock held, and it runs
   * again with the groups among them locked before the group, as typed groups are. In a caller's
   * transaction, and on SQLite (which has no row locks and runs one write at a time), they are
   * looked up at once.
   */
  async withLockedGroup<T>(ctx: RequestContext, id: string, candidates: MemberRef[], fn: (tx: Tx, locked: LockedGroup) => Promise<T>, expectedVersion?: ExpectedVersion): Promise<T> {
    // After a first attempt: the untyped ids that were no users, and the groups among them.
    let resolved: { ids: string[]; groups: Set<string> } | undefined;
    for (;;) {
      try {
        return await this.db.transaction(ctx, async (tx) => {
          const refs = resolved ? candidates.map((m) => (m.type === undefined && resolved!.groups.has(m.id) ? { id: m.id, type: "group" as const } : m)) : candidates;
          const locked = await this.lockWithMemberCheck(tx, id, refs, expectedVersion);
          const check = locked.checked;
          if (check) {
            // Ids are unique across users and groups: one found as a group, or as neither, is no user.
            for (const looked of resolved?.ids ?? []) check.asked.set(looked, new Set(["user", "group"]));
            const unresolved = untypedUnresolved(check, candidates);
            if (unresolved.length && !resolved && !ctx.manager && this.db.dialect === "mysql") throw new UntypedNotUsers(unresolved);
            if (unresolved.length) await this.checkInto(tx, id, asGroups(unresolved), check);
          }
          return fn(tx, locked);
        });
      } catch (err) {
        if (!(err instanceof UntypedNotUsers)) throw err;
        resolved = { ids: err.ids, groups: await this.existingGroupIds(ctx, err.ids) };
      }
    }
  }

  /** The group's row lock and the check of `candidates` (≤ 1,000 ids), in one round trip. */
  private async lockWithMemberCheck(tx: Tx, id: string, candidates: MemberRef[], expectedVersion?: ExpectedVersion): Promise<LockedGroup> {
    const ids = new Set(candidates.map((m) => m.id));
    if (ids.size === 0 || ids.size > 1000) return { group: await this.lockForWrite(tx, id, expectedVersion) };
    const locks = this.memberLockSql(tx, candidates);
    const results = await this.db.rowsMany(tx, [...locks, this.lockSql(tx, id), this.memberCheckSql(tx, id, candidates)]);
    const [[row], found] = results.slice(locks.length);
    return { group: this.lockedGroup(id, row, expectedVersion), checked: memberCheckFrom(candidates, found) };
  }

  /** Which of these ids are groups of the organisation: a plain read, outside any transaction and lock. */
  private async existingGroupIds(ctx: RequestContext, ids: string[]): Promise<Set<string>> {
    const rows = await this.db.rows(undefined, `SELECT g.id FROM ${this.groupsTable} g WHERE g.organisationId = ? AND g.id IN (${Database.placeholders(ids.length)})`, [ctx.organisationId, ...ids]);
    return new Set(rows.map((r) => String(r.id)));
  }

  /**
   * Checks `refs` (≤ 1,000) under the group's lock, their rows share-locked on MariaDB
   * (`memberLockSql`), and adds what it finds to `check`.
   */
  private async checkInto(tx: Tx, groupId: string, refs: MemberRef[], check: MemberCheck): Promise<void> {
    const locks = this.memberLockSql(tx, refs);
    const found = (await this.db.rowsMany(tx, [...locks, this.memberCheckSql(tx, groupId, refs)]))[locks.length];
    const part = memberCheckFrom(refs, found);
    part.asked.forEach((types, id) => types.forEach((type) => (check.asked.get(id) ?? check.asked.set(id, new Set()).get(id)!).add(type)));
    part.found.forEach((v, id) => check.found.set(id, v));
  }

  /**
   * On MariaDB, shared locks on the would-be members' rows until COMMIT. Without them a member
   * deleted meanwhile kept its new membership: the deletion had removed its memberships before this
   * INSERT, and group_memberships has no foreign key (a member is a user or a group). A deletion locks
   * the member, then its groups; taking the member first here keeps that order.
   */
  private memberLockSql(tx: Tx, members: MemberRef[]): [string, unknown[]][] {
    if (this.db.dialect !== "mysql") return [];
    return this.memberTables(members).map(({ table, ids }) => this.db.existingIdsSql(table, ids, tx.organisationId));
  }

  /** The would-be members by the table that holds them: users, then groups (those with any). */
  private memberTables(members: MemberRef[]): { type: MemberType; table: string; ids: string[] }[] {
    return (
      [
        ["user", "users"],
        ["group", this.groupsTable],
      ] as const
    )
      .map(([type, table]) => ({ type, table, ids: [...new Set(members.filter((m) => (m.type ?? "user") === type).map((m) => m.id))] }))
      .filter((t) => t.ids.length > 0);
  }

  private async lockForWrite(tx: Tx, id: string, expectedVersion?: ExpectedVersion): Promise<Group> {
    const [row] = await this.db.rows(tx, ...this.lockSql(tx, id));
    return this.lockedGroup(id, row, expectedVersion);
  }

  private lockSql(tx: Tx, id: string): [string, unknown[]] {
    // SQLite serialises write transactions already; MariaDB needs the row lock for concurrent writers.
    const lock = this.db.dialect === "mysql" ? " FOR UPDATE" : "";
    return [`SELECT g.* FROM ${this.groupsTable} g WHERE g.id = ? AND g.organisationId = ?${lock}`, [id, tx.organisationId]];
  }

  private lockedGroup(id: string, row: Record<string, unknown> | undefined, expectedVersion?: ExpectedVersion): Group {
    if (!row) throw notFound("Group", id);
    const group = groupFromRow(row);
    assertExpectedVersion("Group", id, group.version, expectedVersion);
    return group;
  }

  /** One statement: which of these (≤ 1,000) would-be members exist here, as what, and whether they already belong. */
  private memberCheckSql(tx: Tx, groupId: string, members: MemberRef[]): [string, unknown[]] {
    const parts: string[] = [];
    const params: unknown[] = [];
    for (const { type, table, ids } of this.memberTables(members)) {
      parts.push(
        `SELECT t.id, '${type}' AS type, EXISTS(SELECT 1 FROM group_memberships m WHERE m.groupId = ? AND m.memberId = t.id) AS member FROM ${table} t WHERE t.organisationId = ? AND t.id IN (${Database.placeholders(ids.length)})`,
      );
      params.push(groupId, tx.organisationId, ...ids);
    }
    return [parts.join(" UNION ALL "), params];
  }

  /** `groups` is a reserved word in MySQL 8. */
  private get groupsTable(): string {
    return this.db.dialect === "mysql" ? "`groups`" : '"groups"';
  }

  /**
   * The writes of a group's memberships (DELETEs, then INSERT-or-ignores), each followed by an
   * UPDATE of the group's row that moves its memberCount by the rows that write actually deleted or
   * inserted, relative to the stored count (`Database.writeThen`: on MariaDB `ROW_COUNT()`, read in
   * the same multi-statement query as the write, so no round trip; on SQLite the write's count of
   * changes). Never a count computed here: a member already there, or already gone, moves nothing.
   * With `bump` (a write of an existing group), the last UPDATE also takes the group's new version,
   * updatedAt and changed columns (the version bump every such write sends anyway: adding a member
   * sends as many statements as before the count); with no membership write, the bump alone.
   * All deferred: nothing reads their results (a name clash is mapped by the caller after a flush).
   */
  private async writeMembers(tx: Tx, group: Group, writes: MembershipWrite[], bump?: Partial<Pick<Group, "displayName" | "displayNameKey" | "externalId">>): Promise<void> {
    let set: string[] = [];
    let values: unknown[] = [];
    if (bump) {
      group.version += 1;
      group.updatedAt = new Date();
      set = [...Object.keys(bump).map((c) => `${c} = ?`), "version = ?", "updatedAt = ?"];
      values = [...Object.values(bump), group.version, group.updatedAt];
    }
    if (!writes.length) {
      if (bump) await this.db.write(tx, `UPDATE ${this.groupsTable} SET ${set.join(", ")} WHERE id = ?`, [...values, group.id]);
      return;
    }
    for (const [i, write] of writes.entries()) {
      const last = i === writes.length - 1;
      await this.db.writeThen(tx, [write.sql, write.params], (affected) => [
        `UPDATE ${this.groupsTable} SET ${[`memberCount = memberCount ${write.sign} ${affected.sql}`, ...(last ? set : [])].join(", ")} WHERE id = ?`,
        [...affected.params, ...(last ? values : []), group.id],
      ]);
    }
  }

  /** The INSERT-or-ignores of the members `membersToAdd` found new, a thousand a statement. */
  private insertsOf(tx: Tx, group: Group, adding: MembersToAdd | undefined): MembershipWrite[] {
    if (!adding?.fresh.length) return [];
    const now = new Date();
    // INSERT-or-ignore all the same: a writer that did not lock the group cannot make it fail (and
    // a row it inserted first is not counted twice: the count moves by the rows inserted here).
    const insert = this.db.dialect === "mysql" ? "INSERT IGNORE INTO" : "INSERT OR IGNORE INTO";
    const writes: MembershipWrite[] = [];
    for (let i = 0; i < adding.fresh.length; i += 1000) {
      const chunk = adding.fresh.slice(i, i + 1000);
      writes.push({
        sql: `${insert} group_memberships (groupId, memberId, organisationId, memberType, createdAt) VALUES ${chunk.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
        params: chunk.flatMap((memberId) => [group.id, memberId, tx.organisationId, adding.typeOf.get(memberId)!, now]),
        sign: "+",
      });
    }
    return writes;
  }

  /**
   * Checks that every member exists in this organisation and which already belong (or takes that
   * from `checked`, made under the same lock), and refuses a cycle. The new ones are then inserted
   * (`insertsOf`, `writeMembers`) as a deferred write: it travels with the group's version bump, the
   * audit event and the COMMIT. The group's row is locked, so what the check saw holds until then.
   */
  private async membersToAdd(tx: Tx, group: Group, members: MemberRef[], checked: MemberCheck | undefined, { isNew = false, storedName }: { isNew?: boolean; storedName: string }): Promise<MembersToAdd> {
    const named = { id: group.id, displayName: storedName };
    const byId = new Map<string, MemberType | undefined>();
    for (const m of members) {
      if (m.type !== undefined && m.type !== "user" && m.type !== "group") throw invalidInput("members", `member type must be user or group, not ${JSON.stringify(m.type)}`);
      // Without type, its own id is no user: the group itself.
      if (m.id === group.id) throw wouldContainItself(named, "a group cannot be a member of itself");
      // A member named twice, once with a type: the type holds.
      if (m.type !== undefined || !byId.has(m.id)) byId.set(m.id, m.type);
    }
    const refs = [...byId].map(([id, type]) => ({ id, type }));
    let check = checked;
    if (!check || refs.some((m) => !covers(check!, m))) {
      // Not all checked with the lock (a POST, whose group is new; over 1,000 ids; a member a PATCH
      // names otherwise than `add` or `replace` would): checked now, the members locked after the
      // group (users, then groups); untyped ids that are no user then as groups.
      check = { asked: new Map(), found: new Map() };
      for (let i = 0; i < refs.length; i += 1000) {
        const chunk = refs.slice(i, i + 1000);
        await this.checkInto(tx, group.id, chunk, check);
        const unresolved = untypedUnresolved(check, chunk);
        if (unresolved.length) await this.checkInto(tx, group.id, asGroups(unresolved), check);
      }
    }
    // What each member is: as found (an id is a user or a group, never both), if it is what its type says.
    const typeOf = new Map<string, MemberType>();
    const missing: string[] = [];
    for (const m of refs) {
      const found = check.found.get(m.id);
      if (found && (m.type === undefined || m.type === found.type)) typeOf.set(m.id, found.type);
      else missing.push(m.id);
    }
    if (missing.length) throw invalidInput("members", `not ${missing.length === 1 ? "a user or group" : "users or groups"} of this organisation: ${missing.slice(0, 10).join(", ")}`);
    const fresh = refs.filter((m) => !check!.found.get(m.id)!.present).map((m) => m.id);
    // Only groups can close a cycle: adding users (the hot path) costs no statement more.
    const freshGroups = fresh.filter((id) => typeOf.get(id) === "group");
    if (freshGroups.length && !isNew) await this.refuseCycles(tx, named, freshGroups);
    return { fresh, typeOf, groups: freshGroups };
  }

  /**
   * The organisation now has nested groups: `hasNestedGroups` set in the transaction that inserts the
   * membership (never cleared: an organisation that once nested keeps paying the probe for indirect
   * groups, even with no nesting left). Sent at most once per organisation and process.
   *
   * Locks (MariaDB): the UPDATE takes the organisation's row lock (exclusive, until COMMIT) as this
   * write's last new lock: the members' rows, the group's row and the memberships the cycle check
   * read were locked before it, and what follows (the group's version bump, the audit event) needs
   * no lock another transaction holds. `updateOrganisation` locks that row first (FOR UPDATE) and
   * then touches only retired slugs and the audit trail, never a group, membership or user: whichever
   * of the two comes second waits for the other's COMMIT, and no cycle can form. Two member writes
   * setting the flag at once queue on the row the same way (neither holds anything the other waits
   * for once it waits there). One case can deadlock: a group POST with group members already holds a
   * shared lock on the row (its INSERT's foreign key to organisations) and upgrades it; with another
   * writer queued for the row meanwhile, MariaDB rolls one of them back and it runs again
   * (retryingDeadlocks, SCIM and GraphQL), finding the flag set. This only while the flag is first
   * set: afterwards this process sends no UPDATE (another sends it once). SQLite runs one write at a time.
   */
  private async markNested(tx: Tx): Promise<void> {
    const organisationId = tx.organisationId;
    if (this.knownNested.has(organisationId)) return;
    await this.db.write(tx, "UPDATE organisations SET hasNestedGroups = 1 WHERE id = ? AND hasNestedGroups = 0", [organisationId]);
    await this.db.afterCommit(tx, async () => {
      this.knownNested.add(organisationId);
      for (const hook of this.onNestingStarted) hook(organisationId);
    });
  }

  /**
   * Refuses adding these groups to `group` when one of them already contains it, directly or
   * through other groups (the group would contain itself), or when `group` is nested deeper than
   * MAX_NESTING_DEPTH (that cannot be shown cycle-free within the bound). One recursive statement
   * walks up from the group through the groups containing it (`ancestorWalkSql`). On MariaDB it
   * reads each reached group's parents as a locking read: a concurrent request adding a group to
   * one of them (the edge that would close a cycle with this one) waits for this transaction, or
   * this one for it and then sees its edge (groups the snapshot's walk missed are then read by
   * `parentsSql`, locked too); two such requests crossing end in a deadlock, and the one MariaDB
   * rolls back runs again and is refused. SQLite runs one write transaction at a time.
   */
  private async refuseCycles(tx: Tx, group: Pick<Group, "id" | "displayName">, added: string[]): Promise<void> {
    const walk = new AncestorWalk(group.id);
    walk.learn(await this.db.rows(tx, ...ancestorWalkSql(this.db.dialect, this.groupsTable, group.id, tx.organisationId)));
    for (let unread = walk.unread(); unread.length; unread = walk.unread()) walk.learn(await this.db.rows(tx, ...parentsSql(this.db.dialect, unread, tx.organisationId)), unread);
    const container = added.find((id) => walk.contains(id));
    if (container) {
      const path = walk.pathFrom(container);
      const names = await this.getMany(tx, path);
      const name = (id: string) => JSON.stringify(id === group.id ? group.displayName : (names.get(id)?.displayName ?? id));
      throw wouldContainItself(group, `the group ${name(container)} (${container}) being added already contains it (${path.map(name).join(" ⊃ ")})`);
    }
    if (walk.tooDeep)
      throw invalidInput("members", `group ${JSON.stringify(group.displayName)} (${group.id}) is nested more than ${MAX_NESTING_DEPTH} levels deep: groups cannot be added to it, as a cycle cannot be ruled out within that bound`);
  }

  private async uniquely<T>(displayName: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict("Group", "displayName", `a group named "${displayName}" already exists (names are unique regardless of letter case)`);
      throw err;
    }
  }
}

interface MemberRow {
  groupId: string;
  memberId: string;
  memberType: MemberType;
  userDisplayName: string | null;
  userName: string | null;
  groupDisplayName: string | null;
}

const toMember = (r: MemberRow): Member => ({
  id: r.memberId,
  type: r.memberType,
  display: r.memberType === "group" ? r.groupDisplayName : (r.userDisplayName ?? r.userName),
});

/** A group's given name and externalId as they are stored, or INVALID_INPUT naming each invalid one (it needs no reading). */
export function validateGroupChanges(input: GroupChanges): GroupChanges {
  const c: GroupChanges = {};
  const problems = new InputProblems();
  if (input.displayName !== undefined) {
    const d = typeof input.displayName === "string" ? input.displayName.trim() : "";
    if (!d) problems.add("displayName", "displayName must not be empty");
    else if (characterCount(d) > 255) problems.add("displayName", "displayName is at most 255 characters");
    c.displayName = d;
  }
  if (input.externalId !== undefined) {
    const e = blankToNull(input.externalId);
    if (e && characterCount(e) > 255) problems.add("externalId", "externalId is at most 255 characters");
    c.externalId = e ?? null;
  }
  problems.throwIfAny();
  return c;
}

/** Applies a name and externalId to the group in memory; returns what changed (none when they are as they were). */
function applyAttributes(group: Group, changes: GroupChanges): Record<string, FieldChange> {
  const diff: Record<string, FieldChange> = {};
  if (changes.displayName !== undefined && changes.displayName !== group.displayName) {
    diff.displayName = { before: group.displayName, after: changes.displayName };
    group.displayName = changes.displayName;
    group.displayNameKey = caseInsensitiveKey(changes.displayName);
  }
  if (changes.externalId !== undefined && changes.externalId !== group.externalId) {
    diff.externalId = { before: group.externalId, after: changes.externalId };
    group.externalId = changes.externalId;
  }
  return diff;
}

/** The refusal of a write that would make a group a member of itself (SCIM 400 invalidValue, GraphQL BAD_USER_INPUT on `members`). */
function wouldContainItself(group: Pick<Group, "id" | "displayName">, why: string) {
  return invalidInput("members", `group ${JSON.stringify(group.displayName)} (${group.id}) would contain itself: ${why}`);
}

/** `displayName` or `id` `eq` a value: at most one group (both are unique in an organisation), as for users. */
function isKeyLookup(c: GroupCriteria): boolean {
  return c.kind === "compare" && c.op === "eq" && c.value !== null && c.value !== undefined && (c.field === "displayName" || c.field === "id");
}

/** A `SELECT g.*` row → a Group. */
function groupFromRow(row: Record<string, unknown>): Group {
  return {
    id: String(row.id),
    organisationId: String(row.organisationId),
    displayName: String(row.displayName),
    displayNameKey: String(row.displayNameKey),
    externalId: textOf(row.externalId),
    version: Number(row.version),
    memberCount: Number(row.memberCount),
    createdAt: dateOf(row.createdAt),
    updatedAt: dateOf(row.updatedAt),
  };
}

/** The rows of `memberCheckSql` for the members asked about (those without type as users). */
function memberCheckFrom(asked: MemberRef[], rows: Record<string, unknown>[]): MemberCheck {
  const found = new Map<string, { type: MemberType; present: boolean }>();
  for (const r of rows) found.set(String(r.id), { type: r.type as MemberType, present: Number(r.member) === 1 });
  const types = new Map<string, Set<MemberType>>();
  for (const m of asked) (types.get(m.id) ?? types.set(m.id, new Set()).get(m.id)!).add(m.type ?? "user");
  return { asked: types, found };
}

/** Whether `check` tells what `ref` is: found, or looked up as its type (as both types when it has none). */
function covers(check: MemberCheck, ref: MemberRef): boolean {
  if (check.found.has(ref.id)) return true;
  const asked = check.asked.get(ref.id);
  return !!asked && (ref.type ? asked.has(ref.type) : asked.size === 2);
}

/** The ids of members sent without type that `check` found as no user and has not looked up as groups yet. */
function untypedUnresolved(check: MemberCheck, refs: MemberRef[]): string[] {
  return [...new Set(refs.filter((m) => m.type === undefined && !covers(check, m)).map((m) => m.id))];
}

const asGroups = (ids: string[]): MemberRef[] => ids.map((id) => ({ id, type: "group" }));
