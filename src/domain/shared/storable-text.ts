/**
 * Text Roster can store as it was sent. JSON can carry a lone UTF-16 surrogate (`"\ud800"`) and
 * U+0000, which no column keeps faithfully: MariaDB's utf8mb4 turns the surrogate into U+FFFD and its
 * JSON columns refuse it, and NUL ends strings in C clients. Inputs are refused at the door instead.
 */
export function isStorableText(value: string): boolean {
  return value.isWellFormed() && !value.includes("\u0000");
}

/**
 * The path (`emails[0].value`) of the first string, or object key, in a parsed JSON value that is not
 * storable text; null when there is none.
 */
export function unstorableTextPath(value: unknown, path = ""): string | null {
  if (typeof value === "string") return isStorableText(value) ? null : path || "(the value)";
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorableTextPath(value[i], `${path}[${i}]`);
      if (found !== null) return found;
    }
  } else if (value !== null && typeof value === "object") {
    for (const [key, v] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (!isStorableText(key)) return at;
      const found = unstorableTextPath(v, at);
      if (found !== null) return found;
    }
  }
  return null;
}
