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

/**
 * The operations of a /Bulk response that did not answer `status`: `{ count: 0 }` when none, else how
 * many, tallied by status, scimType and detail, and the first and last of them with their index, so a
 * failure under load shows the whole picture at once (which error, how many, from where to where).
 */
export function operationsNotAnswering(operations: Body[], status: string): Body {
  const others = operations.map((o: Body, index: number) => ({ index, ...o })).filter((o: Body) => o.status !== status);
  if (others.length === 0) return { count: 0 };
  const tally: Record<string, number> = {};
  for (const o of others) {
    const outcome = [o.status, o.response?.scimType, o.response?.detail].filter((x) => x !== undefined).join(" ");
    tally[outcome] = (tally[outcome] ?? 0) + 1;
  }
  return { count: others.length, of: operations.length, tally, first: others.slice(0, 3), last: others.at(-1) };
}
