/**
 * The comparison key of a case-insensitive unique name (userName, group displayName, role name):
 * one rule on every database, since MariaDB collations and SQLite's BINARY disagree.
 */
export function caseInsensitiveKey(value: string): string {
  return value.normalize("NFC").trim().toLowerCase();
}

/**
 * The key of a case-exact value that is still unique whatever its case (a user's externalId: SCIM
 * compares it exactly; its key finds the row, then the value is compared). Lower-cased only. Writes,
 * the SCIM filter (`exactKeyColumn`) and SSO matching must all compute exactly this.
 */
export function lowerCaseKey(value: string): string {
  return value.toLowerCase();
}

/** Empty strings mean "no value" for optional text: SCIM clients send "" as often as null. */
export function blankToNull(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const t = value.trim();
  return t === "" ? null : t;
}
