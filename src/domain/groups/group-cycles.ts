import { Database, type SqlDialect } from "../../platform/database";

/**
 * How far up the groups containing a group the cycle check walks: a group reached only through a
 * longer chain of containing groups is beyond the bound, and a group added to one nested that deep
 * is refused (the check cannot show that it makes no cycle).
 */
export const MAX_NESTING_DEPTH = 32;

/** One row of a walk: a group, and one group that contains it now (null: none). */
export interface ParentRow {
  id: string;
  parent: string | null;
}

const MEMBER_INDEX = "IDX_group_memberships_member";

/**
 * One statement: the groups containing `groupId`, directly or through others, up to `depth` levels
 * (a recursive walk of the member → group index), each beside the groups that contain it. The walk
 * itself reads the transaction's snapshot; the parents beside each group are read again as a
 * locking read on MariaDB (the latest committed rows, with shared next-key locks on the index range
 * `memberId = group`), so nobody can add a group to one of these until the transaction ends.
 * `UNION` (not ALL) keeps each (group, depth) once, so a cycle already stored or a diamond costs
 * at most a row per group and depth.
 */
export function ancestorWalkSql(dialect: SqlDialect, groupsTable: string, groupId: string, organisationId: string, depth = MAX_NESTING_DEPTH): [string, unknown[]] {
  const [byMember, lock] = dialect === "mysql" ? [` FORCE INDEX (${MEMBER_INDEX})`, " LOCK IN SHARE MODE"] : ["", ""];
  return [
    `WITH RECURSIVE up (id, depth) AS (` +
      `SELECT g.id, 0 FROM ${groupsTable} g WHERE g.id = ? AND g.organisationId = ? ` +
      `UNION SELECT m.groupId, up.depth + 1 FROM up JOIN group_memberships m${byMember} ON m.memberId = up.id AND m.organisationId = ? WHERE up.depth < ?` +
      `) SELECT up.id, up.depth, m.groupId AS parent FROM up LEFT JOIN group_memberships m${byMember} ON m.memberId = up.id AND m.organisationId = ?${lock}`,
    [groupId, organisationId, organisationId, depth, organisationId],
  ];
}

/** The groups containing these groups now, as a locking read (MariaDB): for groups the walk's snapshot did not reach. */
export function parentsSql(dialect: SqlDialect, ids: string[], organisationId: string): [string, unknown[]] {
  const [byMember, lock] = dialect === "mysql" ? [` FORCE INDEX (${MEMBER_INDEX})`, " LOCK IN SHARE MODE"] : ["", ""];
  return [
    `SELECT m.memberId AS id, m.groupId AS parent FROM group_memberships m${byMember} WHERE m.memberId IN (${Database.placeholders(ids.length)}) AND m.organisationId = ?${lock}`,
    [...ids, organisationId],
  ];
}

/**
 * The groups containing one group, learnt from `ParentRow`s: a breadth-first walk up from it over
 * the parents read so far. A group whose parents were not read (`unread`) must be read before the
 * answer holds; one reached past `maxDepth` is not walked further (`tooDeep`).
 */
export class AncestorWalk {
  private readonly parents = new Map<string, Set<string>>();
  /** Each group reached, by the group below it on a shortest path up from the start. */
  private readonly below = new Map<string, string | null>();
  private frontier: string[];
  private depth = 0;
  tooDeep = false;

  constructor(
    private readonly start: string,
    private readonly maxDepth = MAX_NESTING_DEPTH,
  ) {
    this.below.set(start, null);
    this.frontier = [start];
  }

  /** Records rows (the walk's, or `parentsSql`'s for groups it had not read: the parents of those are then all there is). */
  learn(rows: readonly { id: unknown; parent: unknown }[], read: Iterable<string> = []): void {
    for (const id of read) if (!this.parents.has(id)) this.parents.set(id, new Set());
    for (const r of rows) {
      const id = String(r.id);
      if (!this.parents.has(id)) this.parents.set(id, new Set());
      if (r.parent !== null && r.parent !== undefined) this.parents.get(id)!.add(String(r.parent));
    }
    this.advance();
  }

  /** Groups reached whose parents are still to be read (empty once the walk is complete). */
  unread(): string[] {
    return this.frontier.filter((id) => !this.parents.has(id));
  }

  /** Whether the walk reached this group (the start included). */
  contains(id: string): boolean {
    return this.below.has(id);
  }

  /** The path from `id` (reached) down to the start: `id`, the group it contains, …, the start. */
  pathFrom(id: string): string[] {
    const path = [id];
    for (let at = this.below.get(id); at !== null && at !== undefined; at = this.below.get(at)) path.push(at);
    return path;
  }

  private advance(): void {
    while (this.frontier.length && this.unread().length === 0) {
      if (this.depth >= this.maxDepth) {
        // The last level allowed: its parents are known but not walked; any is a chain too long.
        this.tooDeep = this.frontier.some((id) => [...this.parents.get(id)!].some((p) => !this.below.has(p)));
        for (const id of this.frontier) for (const p of this.parents.get(id)!) if (!this.below.has(p)) this.below.set(p, id);
        this.frontier = [];
        return;
      }
      const next: string[] = [];
      for (const id of this.frontier)
        for (const p of this.parents.get(id)!)
          if (!this.below.has(p)) {
            this.below.set(p, id);
            next.push(p);
          }
      this.frontier = next;
      this.depth++;
    }
  }
}
