import { Database, type SqlDialect } from "../../platform/database";
import { boolOf, textOf } from "../../platform/row-values";
import { type CustomFieldValues, addStoredValue } from "../custom-fields/custom-field.service";
import type { CustomFieldDefinition } from "../custom-fields/custom-field-definition.entity";
import type { Role } from "../roles/role.entity";
import type { UserContact } from "./user-contact.entity";
import type { UserDetails } from "./user.service";

/**
 * Every detail of many users (contacts, role ids, custom values, groups, manager) in ONE statement: a
 * UNION ALL of one part per kind over the same columns, told apart by `k`. Round trips to the
 * database were most of what a SCIM lookup cost on both sides (measured: four separate queries
 * ≈ 2.5× this statement); aggregating in SQL instead (JSON_ARRAYAGG per user) cost MariaDB more
 * than the round trips it saved.
 *
 * Every column stays a short string or a number: a TEXT column, or one longer than 512 characters,
 * makes MariaDB build the union in an on-disk temporary table (measured: pages of 100 users 5× slower).
 * So roles come as ids (the organisation's roles are cached: `RoleService.rolesById`) and custom
 * values as their first VALUE_PREFIX characters, with a flag when there is more (`fullValuesSql`).
 *
 * Columns: k, userId, n (position), a–f (text), g (number).
 */
export const VALUE_PREFIX = 500;

/** Which parts a union reads: contacts, roles and custom values unless turned off; groups and manager when asked. */
export interface DetailParts {
  contacts?: boolean;
  roles?: boolean;
  customFields?: boolean;
  groups?: boolean;
  /** With groups: which of the users' groups are themselves in a group (rows `n`), for SCIM's indirect groups. */
  groupNesting?: boolean;
  manager?: boolean;
}

export function userDetailsSql(dialect: SqlDialect, userCount: number, include: DetailParts): { sql: string; parts: number } {
  return detailsUnion(dialect, { ids: userCount }, include);
}

/**
 * The same union for the users a page statement selects (`SELECT u.id … LIMIT n`), read as a derived
 * table instead of an IN list: MariaDB plans an IN list of 100 ids with an index dive per id in every
 * part (measured: the union of a page of 100 cost 9.3 ms of MariaDB CPU with IN lists, 6.0 ms this
 * way). Its parameters: `pageDetailsParams`.
 */
export function pageDetailsSql(dialect: SqlDialect, pageIdsSql: string, include: DetailParts): { sql: string; parts: number } {
  return detailsUnion(dialect, { page: pageIdsSql }, include);
}

function detailsUnion(dialect: SqlDialect, source: { ids: number } | { page: string }, include: DetailParts): { sql: string; parts: number } {
  const q = dialect === "mysql" ? (name: string) => `\`${name}\`` : (name: string) => `"${name}"`;
  const length = dialect === "mysql" ? "CHAR_LENGTH" : "LENGTH";
  const join = dialect === "mysql" ? "STRAIGHT_JOIN" : "CROSS JOIN";
  // Each part reads its table by the user's index, always: with statistics sampled while a table was
  // nearly empty (after a bulk load), MariaDB chose to scan all of user_contacts for every page
  // (54 ms of a 60 ms page in a 5k-user benchmark; the same code otherwise took 12 ms).
  const by = (table: string, alias: string, index: string) => `${table} ${alias}${dialect === "mysql" ? ` FORCE INDEX (${index})` : ""}`;
  // `from(table, alias, index, userColumn)`: the table's rows of the users, scoped to the organisation (its `?`).
  const from =
    "ids" in source
      ? (table: string, alias: string, index: string, userColumn: string) =>
          `FROM ${by(table, alias, index)} WHERE ${alias}.organisationId = ? AND ${alias}.${userColumn} IN (${Database.placeholders(source.ids)})`
      : (table: string, alias: string, index: string, userColumn: string, more = "") =>
          `FROM (${source.page}) p ${join} ${by(table, alias, index)} ON ${alias}.${userColumn} = p.id${more} WHERE ${alias}.organisationId = ?`;
  // Each part: its ten columns (k, userId, n, a–g) and where they come from.
  const parts: [columns: string[], source: string][] = [];
  if (include.contacts !== false) parts.push([["'c'", "c.userId", "c.position", "c.id", "c.kind", "c.value", "c.valueKey", "c.type", "c.display", `c.${q("primary")}`], from("user_contacts", "c", "IDX_user_contacts_user", "userId")]);
  if (include.roles !== false) parts.push([["'r'", "ra.userId", "0", "ra.roleId", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"], from("role_assignments", "ra", "PRIMARY", "userId")]);
  if (include.customFields !== false) {
    const value = [`SUBSTR(v.value, 1, ${VALUE_PREFIX})`, `${length}(v.value) > ${VALUE_PREFIX}`];
    parts.push([["'v'", "v.userId", "v.position", "v.fieldId", ...value, "NULL", "NULL", "NULL", "v.valueNumber"], from("custom_field_values", "v", "IDX_custom_field_values_user", "userId")]);
  }
  if (include.manager !== false) {
    const manager = ` INNER JOIN users mu ON mu.id = u.managerId AND mu.organisationId = u.organisationId`;
    parts.push([
      ["'m'", "u.id", "0", "mu.id", "mu.userName", "mu.displayName", "NULL", "NULL", "NULL", "NULL"],
      "ids" in source
        ? `FROM ${by("users", "u", "PRIMARY")}${manager} WHERE u.organisationId = ? AND u.id IN (${Database.placeholders(source.ids)})`
        : from("users", "u", "PRIMARY", "id", manager.replace("INNER JOIN", join)),
    ]);
  }
  if (include.groups) {
    parts.push([
      ["'g'", "m.memberId", "0", "g.id", "g.displayName", "g.displayNameKey", "NULL", "NULL", "NULL", "NULL"],
      "ids" in source
        ? `FROM ${membershipsThenGroups(dialect)} WHERE g.organisationId = ? AND m.memberId IN (${Database.placeholders(source.ids)})`
        : `FROM (${source.page}) p ${join} ${by("group_memberships", "m", "IDX_group_memberships_member")} ON m.memberId = p.id ${join} ${q("groups")} g ON g.id = m.groupId WHERE g.organisationId = ?`,
    ]);
  }
  if (include.groups && include.groupNesting) {
    // The users' groups that are in a group, each once: their distinct groups (from the members'
    // index alone), then a probe of it per group. Probing each group row instead (EXISTS beside
    // m.memberId) cost MariaDB 2.4 ms more for a page of 100 users in 720 memberships of 30 groups
    // (0.8 → 3.2 ms: the subquery cache's lookups; 1.7 ms without the cache); this way 30 probes.
    // Their groups are of the organisation (users are), so only the probe is scoped: a derived
    // column carries the organisation's `?` where the part's parameters have it first (an IN list).
    const byMember = dialect === "mysql" ? " FORCE INDEX (IDX_group_memberships_member)" : "";
    parts.push([
      ["'n'", "NULL", "0", "pm.memberId", "NULL", "NULL", "NULL", "NULL", "NULL", "NULL"],
      "ids" in source
        ? `FROM (SELECT DISTINCT m.groupId, ? AS organisationId FROM group_memberships m${byMember} WHERE m.memberId IN (${Database.placeholders(source.ids)})) gs ` +
          `${join} group_memberships pm${byMember} ON pm.memberId = gs.groupId AND pm.organisationId = gs.organisationId`
        : `FROM (SELECT DISTINCT m.groupId FROM (${source.page}) p ${join} group_memberships m${byMember} ON m.memberId = p.id) gs ` +
          `${join} group_memberships pm${byMember} ON pm.memberId = gs.groupId WHERE pm.organisationId = ?`,
    ]);
  }
  // Nothing asked for: nothing to send (the caller checks `parts`).
  if (parts.length === 0) return { sql: "", parts: 0 };
  // The first part names the columns for all of them.
  const sql = parts.map(([columns, source], i) => `SELECT ${i === 0 ? columns.map((c, j) => `${c} AS ${COLUMNS[j]}`).join(", ") : columns.join(", ")} ${source}`).join(" UNION ALL ");
  return { sql, parts: parts.length };
}

const COLUMNS = ["k", "userId", "n", "a", "b", "c", "d", "e", "f", "g"];

/**
 * `group_memberships m` joined to `groups g`, read in that order: from the members' index. Left to
 * choose, MariaDB started from the (few) groups and read every membership of each, filtering by
 * member: 84 ms for a page of 100 users in a directory whose groups have 100,000 members, instead of
 * under a millisecond (the estimate of members per group comes from sampled index statistics, which a
 * bulk load leaves stale). STRAIGHT_JOIN (MariaDB) and CROSS JOIN (SQLite) keep the written order.
 * Callers scope by `g.organisationId`, not `m.organisationId`: the members' index (memberId, groupId)
 * then covers the memberships, and only the group rows are read (a page of 100 users in 700 groups:
 * 4.2 → 2.4 ms of MariaDB). A group's members are of its organisation, so that is the same scope.
 */
export function membershipsThenGroups(dialect: SqlDialect): string {
  return dialect === "mysql"
    ? "group_memberships m FORCE INDEX (IDX_group_memberships_member) STRAIGHT_JOIN `groups` g ON g.id = m.groupId"
    : 'group_memberships m CROSS JOIN "groups" g ON g.id = m.groupId';
}

/** Custom values longer than the prefix the union carries, whole (rare: values up to 2,048 characters). */
export function fullValuesSql(dialect: SqlDialect, userCount: number): string {
  return `SELECT userId, fieldId, position, value FROM custom_field_values WHERE organisationId = ? AND userId IN (${Database.placeholders(userCount)}) AND ${dialect === "mysql" ? "CHAR_LENGTH" : "LENGTH"}(value) > ${VALUE_PREFIX}`;
}

/** The parameters of `pageDetailsSql`: the page statement's, then the organisation, once per part. */
export function pageDetailsParams(organisationId: string, pageParams: unknown[], parts: number): unknown[] {
  const one = [...pageParams, organisationId];
  return Array.from({ length: parts }, () => one).flat();
}

/** The parameters of `userDetailsSql`: the organisation and the ids, once per part. */
export function userDetailsParams(organisationId: string, userIds: string[], parts: number): string[] {
  const one = [organisationId, ...userIds];
  return Array.from({ length: parts }, () => one).flat();
}

/**
 * The rows of `userDetailsSql` → details per user id (every id present), in the orders the API shows.
 * `roles`: the organisation's roles by id; `fullValues`: the whole text of values the rows flag as cut.
 */
export function userDetailsFromRows(
  rows: Record<string, unknown>[],
  organisationId: string,
  userIds: string[],
  definitions: Map<string, CustomFieldDefinition>,
  roles: Map<string, Role>,
  fullValues: Map<string, string> = new Map(),
): Map<string, UserDetails> {
  const result = new Map<string, UserDetails>();
  for (const id of userIds) result.set(id, { emails: [], phoneNumbers: [], roles: [], customFields: {}, groups: [], manager: null });
  // One pass over the rows, then each user's lists sorted here (stable: equal keys keep the rows'
  // order), not by the statement: ORDER BY over a UNION costs a temporary table. (Filtering the rows
  // once per kind and sorting all users' groups together: ~0.18 ms of self time for a page of 100
  // users in 3 groups each; this way ~0.15 ms.)
  const valueRows = new Map<UserDetails, Record<string, unknown>[]>();
  const groupRows = new Map<UserDetails, Record<string, unknown>[]>();
  const add = (lists: Map<UserDetails, Record<string, unknown>[]>, d: UserDetails, r: Record<string, unknown>) => {
    const list = lists.get(d);
    if (list) list.push(r);
    else lists.set(d, [r]);
  };
  for (const r of rows) {
    const d = result.get(String(r.userId));
    if (!d) continue;
    if (r.k === "c") {
      const contact: UserContact = {
        id: String(r.a),
        organisationId,
        userId: String(r.userId),
        kind: r.b as UserContact["kind"],
        position: Number(r.n),
        value: String(r.c),
        valueKey: String(r.d),
        type: textOf(r.e),
        primary: boolOf(Number(r.g)),
        display: textOf(r.f),
      };
      (contact.kind === "email" ? d.emails : d.phoneNumbers).push(contact);
    } else if (r.k === "r") {
      const role = roles.get(String(r.a));
      if (role) d.roles.push(role);
    } else if (r.k === "v") add(valueRows, d, r);
    else if (r.k === "m") d.manager = { id: String(r.a), userName: String(r.b), displayName: textOf(r.c) };
    else if (r.k === "g") add(groupRows, d, r);
  }
  for (const d of result.values()) {
    if (d.emails.length > 1) d.emails.sort(byPosition);
    if (d.phoneNumbers.length > 1) d.phoneNumbers.sort(byPosition);
    if (d.roles.length > 1) d.roles.sort((x, y) => compareText(x.nameKey, y.nameKey));
  }
  for (const [d, list] of valueRows) {
    for (const r of list.sort((x, y) => Number(x.n) - Number(y.n))) {
      const value = Number(r.c) ? (fullValues.get(valueKey(r.userId, r.a, r.n)) ?? String(r.b)) : String(r.b);
      addStoredValue(d.customFields as CustomFieldValues, definitions.get(String(r.a)), { value, valueNumber: r.g === null || r.g === undefined ? null : Number(r.g) });
    }
  }
  for (const [d, list] of groupRows) {
    if (list.length > 1) list.sort((x, y) => compareText(x.c, y.c));
    for (const r of list) d.groups.push({ id: String(r.a), displayName: String(r.b) });
  }
  return result;
}

/** The users' groups that are themselves in a group: the union's `n` rows (`groupNesting`), or group rows flagged in g. */
export function containedGroupsOfRows(rows: readonly Record<string, unknown>[]): string[] {
  const ids = new Set<string>();
  for (const r of rows) if (r.k === "n" || (r.k === "g" && Number(r.g) === 1)) ids.add(String(r.a));
  return [...ids];
}

/** What the union's rows need from elsewhere: role ids not (yet) in the cached roles. */
export function missingFromRows(rows: Record<string, unknown>[], roles: Map<string, Role>): { unknownRoles: boolean } {
  return { unknownRoles: rows.some((r) => r.k === "r" && !roles.has(String(r.a))) };
}

/** A custom value row carrying only the value's first VALUE_PREFIX characters. */
export const isCutValue = (r: Record<string, unknown>) => r.k === "v" && Number(r.c) === 1;

/** The key of a custom value row in `fullValues`. */
export const valueKey = (userId: unknown, fieldId: unknown, position: unknown) => `${String(userId)}/${String(fieldId)}/${Number(position)}`;

/** String order, without allocating: it runs inside sorts. */
export const compareText = (x: unknown, y: unknown) => {
  const a = String(x);
  const b = String(y);
  return a < b ? -1 : a > b ? 1 : 0;
};

const byPosition = (x: UserContact, y: UserContact) => x.position - y.position;
