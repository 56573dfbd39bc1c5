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

/** The length of an attribute's key column (`attributeKey`): a longer value keeps its key's first characters. */
export const ATTRIBUTE_KEY_LENGTH = 255;

/**
 * The equality key of a case-insensitive text attribute that filters read by an index (a user's
 * department and costCenter): lower-cased as filters compare the text (SqlWhereBuilder's folded
 * comparison), cut to ATTRIBUTE_KEY_LENGTH characters (code points, as the column counts them).
 */
export function attributeKey(value: string): string {
  const key = lowerCaseKey(value);
  return key.length <= ATTRIBUTE_KEY_LENGTH ? key : [...key].slice(0, ATTRIBUTE_KEY_LENGTH).join("");
}

/** Empty strings mean "no value" for optional text: SCIM clients send "" as often as null. */
export function blankToNull(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const t = value.trim();
  return t === "" ? null : t;
}
