/**
 * Text Roster can store as it was sent. JSON can carry a lone UTF-16 surrogate (`"\ud800"`) and
 * U+0000, which no column keeps faithfully: MariaDB's utf8mb4 turns the surrogate into U+FFFD and its
 * JSON columns refuse it (a 500 at the audit event), and NUL ends strings in C clients. Both
 * adapters refuse such input at the door.
 */
export function isStorableText(value: string): boolean {
  return value.isWellFormed() && !value.includes("\u0000");
}

/** Where in a JSON value: keys, and indexes of arrays; a key that is itself unstorable is `UNSTORABLE_KEY`. */
export type TextPath = (string | number)[];

/** Stands for a key that cannot be shown, in a path. */
export const UNSTORABLE_KEY = "(a key)";

/** The path of the first string, or object key, in a parsed JSON value that is not storable text; null when there is none. */
export function unstorableTextPath(value: unknown, path: TextPath = []): TextPath | null {
  if (typeof value === "string") return isStorableText(value) ? null : path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableTextPath(value[i], [...path, i]);
      if (found) return found;
    }
  } else if (value !== null && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      if (!isStorableText(key)) return [...path, UNSTORABLE_KEY];
      const found = unstorableTextPath(inner, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}
