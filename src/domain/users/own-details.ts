import { Database, type SqlDialect } from "../../platform/database";
import type { RequestContext } from "../../platform/request-context";
import type { CanonicalValue } from "../custom-fields/custom-field.service";
import type { CustomFieldDefinition } from "../custom-fields/custom-field-definition.entity";
import { valueKey } from "./user-details.sql";
import type { UserContact } from "./user-contact.entity";

/**
 * `users.ownDetails`: a copy of the user's own detail rows (contacts, role ids, custom values) kept
 * in the user's row, so that a lookup or a page reads them with the users themselves instead of
 * through the details union (on a page of 100, its contacts, roles and custom-value parts cost
 * MariaDB ~3.5 of ~7 ms). The tables stay the source of truth and the index for filters.
 *
 * The copy holds the union's own rows (`user-details.sql.ts`) without their userId, each as
 * `[k, n, a, b, c, d, e, f, g]`, so both paths build details with the same code. Every write of
 * those tables through UserService keeps it; deleting a role or a custom field refills its holders'
 * copies from the tables (`fillOwnDetailsSql`). NULL means "read the tables".
 */
export type OwnRow = [k: "c" | "r" | "v", n: number, a: string, b: Cell, c: Cell, d: Cell, e: Cell, f: Cell, g: Cell];
type Cell = string | number | null;

export function contactOwnRow(x: UserContact): OwnRow {
  return ["c", x.position, x.id, x.kind, x.value, x.valueKey, x.type, x.display, x.primary ? 1 : 0];
}

export function roleOwnRow(roleId: string): OwnRow {
  return ["r", 0, roleId, null, null, null, null, null, null];
}

/** A custom value, whole: `c` = 0 says it is not cut short (the union carries long values' prefixes). */
export function valueOwnRow(fieldId: string, position: number, v: CanonicalValue): OwnRow {
  return ["v", position, fieldId, v.value, 0, null, null, null, v.valueNumber];
}

/** The stored copy → the union's row shape, for `userDetailsFromRows`. */
export function ownDetailRows(userId: string, rows: OwnRow[]): Record<string, unknown>[] {
  return rows.map(([k, n, a, b, c, d, e, f, g]) => ({ k, userId, n, a, b, c, d, e, f, g }));
}

/**
 * The union's own rows of one user (from the tables) → the stored copy, with the whole text of the
 * values the union cut short (`fullValues`, by `valueKey`); null when one is missing there.
 */
export function ownRowsFromUnion(userId: string, rows: Record<string, unknown>[], fullValues: Map<string, string>): OwnRow[] | null {
  const own: OwnRow[] = [];
  for (const r of rows) {
    if (String(r.userId) !== userId || (r.k !== "c" && r.k !== "r" && r.k !== "v")) continue;
    if (r.k === "v" && Number(r.c)) {
      const whole = fullValues.get(valueKey(r.userId, r.a, r.n));
      if (whole === undefined) return null;
      own.push(["v", Number(r.n), String(r.a), whole, 0, null, null, null, r.g === null || r.g === undefined ? null : Number(r.g)]);
      continue;
    }
    own.push([r.k, Number(r.n), String(r.a), cell(r.b), cell(r.c), cell(r.d), cell(r.e), cell(r.f), r.g === null || r.g === undefined ? null : Number(r.g)]);
  }
  return own;
}

const cell = (v: unknown): Cell => (v === null || v === undefined ? null : typeof v === "number" ? v : String(v));

/** What a write replaces: contacts of these kinds, all roles, the values of these fields; each with its new rows. */
export interface OwnRowsWritten {
  contacts?: { kinds: string[]; rows: UserContact[] };
  roleIds?: string[];
  values?: Map<CustomFieldDefinition, CanonicalValue[]>;
}

export function ownRowsAfter(before: OwnRow[], w: OwnRowsWritten): OwnRow[] {
  const replacedKinds = new Set(w.contacts?.kinds ?? []);
  const replacedFields = new Set([...(w.values?.keys() ?? [])].map((d) => d.id));
  const kept = before.filter(([k, , a, b]) => !(k === "c" && replacedKinds.has(String(b))) && !(k === "r" && w.roleIds) && !(k === "v" && replacedFields.has(a)));
  const added: OwnRow[] = [...(w.contacts?.rows ?? []).map(contactOwnRow), ...(w.roleIds ?? []).map(roleOwnRow)];
  for (const [def, list] of w.values ?? []) list.forEach((v, position) => added.push(valueOwnRow(def.id, position, v)));
  return [...kept, ...added];
}

/**
 * An UPDATE of `users` that stores each selected user's copy as the tables hold it, built by the
 * database (JSON functions of each dialect), for the users `where` selects (a condition on `users`),
 * and marks each of them changed: a new version and updatedAt. Its first `?` is updatedAt; the
 * others are `where`'s.
 */
export function fillOwnDetailsSql(dialect: SqlDialect, where: string): string {
  const changed = "version = version + 1, updatedAt = ?";
  const contact = `'c', c.position, c.id, c.kind, c.value, c.valueKey, c.type, c.display, c.${dialect === "mysql" ? "`primary`" : '"primary"'}`;
  const role = "'r', 0, ra.roleId, NULL, NULL, NULL, NULL, NULL, NULL";
  const value = "'v', v.position, v.fieldId, v.value, 0, NULL, NULL, NULL, v.valueNumber";
  const of = (table: string, alias: string) => `FROM ${table} ${alias} WHERE ${alias}.userId = users.id`;
  if (dialect === "mysql") {
    const part = (columns: string, from: string) => `COALESCE((SELECT JSON_ARRAYAGG(JSON_ARRAY(${columns})) ${from}), '[]')`;
    return `UPDATE users SET ownDetails = JSON_MERGE_PRESERVE(${part(contact, of("user_contacts", "c"))}, ${part(role, of("role_assignments", "ra"))}, ${part(value, of("custom_field_values", "v"))}), ${changed} WHERE ${where}`;
  }
  const rows = [`SELECT json_array(${contact}) AS x ${of("user_contacts", "c")}`, `SELECT json_array(${role}) ${of("role_assignments", "ra")}`, `SELECT json_array(${value}) ${of("custom_field_values", "v")}`];
  return `UPDATE users SET ownDetails = (SELECT json_group_array(json(x)) FROM (${rows.join(" UNION ALL ")})), ${changed} WHERE ${where}`;
}

/**
 * Runs `change`, a change of the contact, role or value tables that UserService does not write (a
 * role or a custom field deleted under its holders), and then stores from the tables the copies of
 * the users `holdersSql` selected before it (their ids as `userId`, given to `change`), a thousand at
 * a time. Each of them changed: a new version (its SCIM ETag) and updatedAt (meta.lastModified); their
 * audit events are the caller's.
 */
export async function refillingOwnDetails(db: Database, ctx: RequestContext, holdersSql: string, params: unknown[], change: (userIds: string[]) => Promise<unknown>): Promise<void> {
  const userIds = (await db.rows(ctx, holdersSql, params)).map((r) => String(r.userId));
  await change(userIds);
  const now = new Date();
  for (let i = 0; i < userIds.length; i += 1000) {
    const batch = userIds.slice(i, i + 1000);
    await db.write(ctx, fillOwnDetailsSql(db.dialect, `organisationId = ? AND id IN (${Database.placeholders(batch.length)})`), [now, ctx.organisationId, ...batch]);
  }
}
