import type { UserContact } from "./user-contact.entity";

/** The columns of a contact row a write may change (the others, id, user and kind, never change). */
export const CONTACT_CHANGING_COLUMNS = ["position", "value", "valueKey", "type", "primary", "display"] as const;
export type ContactChangingColumn = (typeof CONTACT_CHANGING_COLUMNS)[number];

/** How the rows of a user's contacts go from what they were to what a write names: only what differs. */
export interface ContactDifferences {
  /** The rows after the write, in the order given: those kept or updated keep their ids. */
  rows: UserContact[];
  inserted: UserContact[];
  /** Rows kept under their id with some columns changed (their new values in `row`). */
  updated: { row: UserContact; columns: ContactChangingColumn[] }[];
  deletedIds: string[];
}

/**
 * Matches `after` (new rows, fresh ids, of the kinds being replaced) with `before` (the user's rows of
 * those kinds as stored): a row equal in every column keeps its id untouched; then one with the same
 * value (by its key; of the same type first) is updated in place (its primary flag, position…); then the rows
 * still unmatched are paired in order (a changed address is one UPDATE, not a DELETE and an INSERT).
 * What is left of `before` is deleted, of `after` inserted. Rows pair only within their kind.
 */
export function contactDifferences(before: readonly UserContact[], after: readonly UserContact[]): ContactDifferences {
  const unused = [...before].sort((a, b) => a.position - b.position);
  const matched = new Map<UserContact, UserContact>();
  const take = (next: UserContact, fits: (old: UserContact) => boolean) => {
    const i = unused.findIndex((old) => old.kind === next.kind && fits(old));
    if (i < 0) return;
    matched.set(next, unused[i]);
    unused.splice(i, 1);
  };
  for (const next of after) take(next, (old) => changedColumns(old, next).length === 0);
  for (const next of after) if (!matched.has(next)) take(next, (old) => old.valueKey === next.valueKey && old.type === next.type);
  for (const next of after) if (!matched.has(next)) take(next, (old) => old.valueKey === next.valueKey);
  for (const next of after) if (!matched.has(next)) take(next, () => true);
  const result: ContactDifferences = { rows: [], inserted: [], updated: [], deletedIds: unused.map((old) => old.id) };
  for (const next of after) {
    const old = matched.get(next);
    if (!old) {
      result.inserted.push(next);
      result.rows.push(next);
      continue;
    }
    const row = { ...next, id: old.id };
    const columns = changedColumns(old, row);
    if (columns.length) result.updated.push({ row, columns });
    result.rows.push(row);
  }
  return result;
}

function changedColumns(old: UserContact, next: UserContact): ContactChangingColumn[] {
  return CONTACT_CHANGING_COLUMNS.filter((c) => (c === "primary" ? !!old.primary !== !!next.primary : (old[c] ?? null) !== (next[c] ?? null)));
}
