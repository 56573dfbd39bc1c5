import { Database, type SqlDialect } from "../../platform/database";
import { MAX_NESTING_DEPTH } from "./group-cycles";

/** A group as a user's groups list it. */
export interface GroupRef {
  id: string;
  displayName: string;
}

/**
 * An SQL expression (0/1): whether the group `alias` (a row of `groups`) is itself a member of a
 * group. It rides on the statement that reads one user with its direct groups, so that the groups
 * containing them are walked only when there are some: an organisation without nesting pays one
 * probe of the members' index (memberId, groupId) per group read, which finds nothing, and no
 * statement more. (Many users' groups: the details union's `n` part probes each distinct group once.)
 */
export function isContainedSql(dialect: SqlDialect, alias: string): string {
  const byMember = dialect === "mysql" ? " FORCE INDEX (IDX_group_memberships_member)" : "";
  return `EXISTS (SELECT 1 FROM group_memberships pm${byMember} WHERE pm.memberId = ${alias}.id AND pm.organisationId = ${alias}.organisationId)`;
}

/**
 * One statement: every (group, group containing it) pair above `groupIds`, walking up the members'
 * index at most MAX_NESTING_DEPTH levels, each containing group with its name. `UNION` (not ALL)
 * keeps each (pair, depth) once, so a diamond or a cycle stored before cycles were refused costs at
 * most a row per pair and depth; the caller follows the pairs. The groups are joined after the walk
 * (STRAIGHT_JOIN, CROSS JOIN): left to choose, MariaDB scanned every group of every organisation
 * and looked each up in the walk's rows (EXPLAIN with 29 groups walked).
 */
export function containingGroupsSql(dialect: SqlDialect, groupIds: string[], organisationId: string): [string, unknown[]] {
  const [byMember, join, groups] = dialect === "mysql" ? [" FORCE INDEX (IDX_group_memberships_member)", "STRAIGHT_JOIN", "`groups`"] : ["", "CROSS JOIN", '"groups"'];
  return [
    `WITH RECURSIVE up (child, parent, depth) AS (` +
      `SELECT m.memberId, m.groupId, 1 FROM group_memberships m${byMember} WHERE m.memberId IN (${Database.placeholders(groupIds.length)}) AND m.organisationId = ? ` +
      `UNION SELECT m.memberId, m.groupId, up.depth + 1 FROM up JOIN group_memberships m${byMember} ON m.memberId = up.parent AND m.organisationId = ? WHERE up.depth < ?` +
      `) SELECT DISTINCT up.child AS child, g.id AS id, g.displayName AS displayName, g.displayNameKey AS displayNameKey FROM up ${join} ${groups} g ON g.id = up.parent AND g.organisationId = ?`,
    [...groupIds, organisationId, organisationId, MAX_NESTING_DEPTH, organisationId],
  ];
}

/** The rows of `containingGroupsSql`, as the groups directly containing each group. */
export function containingGroupsOf(rows: readonly Record<string, unknown>[]): Map<string, (GroupRef & { key: string })[]> {
  const parents = new Map<string, (GroupRef & { key: string })[]>();
  for (const r of rows) {
    const child = String(r.child);
    const parent = { id: String(r.id), displayName: String(r.displayName), key: String(r.displayNameKey) };
    const list = parents.get(child);
    if (list) list.push(parent);
    else parents.set(child, [parent]);
  }
  return parents;
}

/**
 * The groups a user is in through its direct groups and not directly, each once however many paths
 * reach it (a diamond), by name: a walk up `parents` from the direct groups.
 */
export function indirectGroupsOf(direct: readonly GroupRef[], parents: Map<string, (GroupRef & { key: string })[]>): GroupRef[] {
  const seen = new Set(direct.map((g) => g.id));
  const found: (GroupRef & { key: string })[] = [];
  const frontier = direct.map((g) => g.id);
  while (frontier.length) {
    for (const p of parents.get(frontier.pop()!) ?? []) {
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      found.push(p);
      frontier.push(p.id);
    }
  }
  found.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
  return found.map((g) => ({ id: g.id, displayName: g.displayName }));
}
