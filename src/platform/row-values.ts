/** Column values as the drivers return them in plain rows → the types the entities declare. */

/** SQLite keeps datetimes as UTC text (`2026-11-22 23:31:49.123`); mysql2 (timezone Z) gives Dates. */
export function dateOf(v: unknown): Date {
  if (v instanceof Date) return v;
  const text = String(v);
  return new Date(text.includes("T") ? text : `${text.replace(" ", "T")}Z`);
}

export const nullableDateOf = (v: unknown): Date | null => (v === null || v === undefined ? null : dateOf(v));

/** SQLite and MariaDB both return 0/1 for booleans in plain rows. */
export const boolOf = (v: unknown): boolean => v === true || v === 1 || v === "1";

/** JSON columns: SQLite text, MariaDB longtext: both arrive as strings in plain rows. */
export function jsonOf<T>(v: unknown): T | null {
  if (v === null || v === undefined) return null;
  return (typeof v === "string" ? JSON.parse(v) : v) as T;
}

export const textOf = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
