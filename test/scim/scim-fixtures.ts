import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Untyped JSON as an IdP sends it and as Roster answers it (what JSON.parse gives). */
export type Body = ReturnType<typeof JSON.parse>;

/**
 * A recorded IdP request body from `test/scim/fixtures/{okta,entra}/`, with `{{name}}` placeholders
 * filled in (values are JSON-string-escaped, so they also work inside JSON strings).
 */
export function fixture(idp: "okta" | "entra", name: string, vars: Record<string, string> = {}): Body {
  const raw = readFileSync(join(__dirname, "fixtures", idp, `${name}.json`), "utf8");
  const filled = raw.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in vars)) throw new Error(`fixture ${idp}/${name} needs {{${key}}}`);
    return JSON.stringify(vars[key]).slice(1, -1);
  });
  return JSON.parse(filled);
}

let seq = 0;
/** A unique-enough suffix for names inside one test file. */
export const uniq = (prefix = "u") => `${prefix}${Date.now().toString(36)}${(++seq).toString(36)}`;
