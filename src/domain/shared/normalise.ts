/**
 * The comparison key of a case-insensitive unique name (userName, group displayName, role name):
 * one rule on every database, since MariaDB collations and SQLite's BINARY disagree.
 */
export function caseInsensitiveKey(value: string): string {
  return value.normalize("NFC").trim().toLowerCase();
}

/** Empty strings mean "no value" for optional text: SCIM clients send "" as often as null. */
export function blankToNull(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const t = value.trim();
  return t === "" ? null : t;
}
