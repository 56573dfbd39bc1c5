import querystring from "node:querystring";
import { REDACTED, namesSecret, redactBody } from "../../domain/provisioning-log/redact-body";
import { isObject, parsePatchPath, redactSecretValues, secretAttribute, secretAttributeIn } from "../protocol";

/**
 * What the provisioning log keeps of a SCIM request target: the path and query as sent, except that
 * a `filter` comparing a secret attribute (`?filter=password eq "…"`) has those values redacted
 * (`redactSecretValues`), re-encoded in its place. Admins read the log for weeks.
 */
export function loggedTarget(url: string): string {
  const queryAt = url.indexOf("?");
  if (queryAt < 0) return url;
  let changed = false;
  const parts = url
    .slice(queryAt + 1)
    .split("&")
    .map((part) => {
      const eq = part.indexOf("=");
      // Read as the router reads the query (querystring.parse): names case-insensitive, "+" a space.
      if (eq < 0 || querystring.unescape(part.slice(0, eq).replace(/\+/g, " ")).toLowerCase() !== "filter") return part;
      const value = querystring.unescape(part.slice(eq + 1).replace(/\+/g, " "));
      const redacted = redactSecretValues(value, "filter");
      if (redacted === value) return part;
      changed = true;
      return `${part.slice(0, eq)}=${encodeURIComponent(redacted)}`;
    });
  return changed ? `${url.slice(0, queryAt)}?${parts.join("&")}` : url;
}

const redactFilters = (v: unknown): unknown => (typeof v === "string" ? redactSecretValues(v, "filter") : Array.isArray(v) ? v.map(redactFilters) : v);

/**
 * Whether a PatchOp path targets a secret, read by the PATCH engine's own parser: its attribute, or
 * the sub-attribute after it or after its value filter (`password`, `urn:…:User:password`,
 * `password[value eq "…"]`, `emails[type eq "work"].password`), by the names the log treats as
 * secrets (namesSecret). A path the parser refuses (`password eq "…"`, `password[value eq "…"`)
 * targets a secret if any name in it is one: the request failed, and there is no telling what it meant.
 */
function pathTargetsSecret(path: string): boolean {
  let target;
  try {
    target = parsePatchPath(path, { maxLength: Number.MAX_SAFE_INTEGER });
  } catch {
    return path.split(/[^A-Za-z0-9_$-]+/).some(namesSecret);
  }
  return namesSecret(target.attribute) || (target.subAttribute !== undefined && namesSecret(target.subAttribute));
}

/**
 * A PatchOp operation as the log may keep it: the values its path compares with a secret attribute
 * redacted, and its `value` too when the path targets a secret (the new password). The log's
 * redactBody reads names only; a path with a filter in it is SCIM's to read.
 */
function loggedPatchOperation(op: Record<string, unknown>): Record<string, unknown> {
  // Every member named "path" in any case (the engine reads one; which one is not this function's to guess).
  const paths = Object.entries(op).filter((e): e is [string, string] => /^path$/i.test(e[0]) && typeof e[1] === "string");
  const secretTarget = paths.some(([, path]) => pathTargetsSecret(path));
  const redactedPaths = new Map(paths.map(([k, path]) => [k, redactSecretValues(path, "path")]));
  if (!secretTarget && paths.every(([k, path]) => redactedPaths.get(k) === path)) return op;
  return Object.fromEntries(Object.entries(op).map(([k, v]) => [k, redactedPaths.get(k) ?? (secretTarget && /^value$/i.test(k) ? REDACTED : v)]));
}

/**
 * A SCIM request body with the values its filters and PATCH paths compare with a secret attribute
 * redacted: a `.search` body's `filter`, each PatchOp operation's `path` (and its `value` when the path
 * targets a secret), and the same inside each /Bulk operation's `data`. The provisioning log redacts
 * secrets' values by their names itself (redactBody); a filter or path is text it cannot read.
 * Unchanged parts are the same objects.
 */
export function loggedBody(body: unknown): unknown {
  if (!isObject(body)) return body;
  let out: Record<string, unknown> = body;
  const set = (key: string, value: unknown) => {
    if (value === out[key]) return;
    if (out === body) out = { ...body };
    out[key] = value;
  };
  for (const key of Object.keys(body)) {
    if (/^filter$/i.test(key)) set(key, redactFilters(body[key]));
    else if (/^operations$/i.test(key) && Array.isArray(body[key])) {
      const ops = body[key] as unknown[];
      const redacted = ops.map((op) => {
        if (!isObject(op)) return op;
        // A PatchOp operation has an `op`; a /Bulk operation's `path` is a resource's ("/Users/…"), its `data` a body.
        if (Object.keys(op).some((k) => /^op$/i.test(k))) return loggedPatchOperation(op);
        let o: Record<string, unknown> = op;
        for (const k of Object.keys(op)) {
          const next = /^data$/i.test(k) ? loggedBody(op[k]) : op[k];
          if (next !== op[k]) o = { ...o, [k]: next };
        }
        return o;
      });
      if (redacted.some((op, i) => op !== ops[i])) set(key, redacted);
    }
  }
  return out;
}

/** What an entry recorded of its request: the fields `relogged` reads and rewrites. */
export interface LoggedRequestFields {
  path: string;
  errorDetail: string | null;
  /** As parsed from the stored JSON, or null. */
  requestBody: unknown;
}

/**
 * What replaces an error's detail, recorded before filters and PATCH paths naming password stopped
 * being quoted, that may repeat a value compared with it (`unquoted value "hunter2"`): the text that
 * detail was about is no longer there to say it again without the value.
 */
export const DETAIL_NOT_SHOWN =
  "not shown: recorded before Roster stopped repeating values compared with a password in filters and PATCH paths, this detail may have held one";

/** The reason a detail gives when it does not quote a filter or path that names a secret attribute (parser.ts, Echo). */
const VALUES_NOT_SHOWN = /\(the (filter|path)'s values are not shown: it names the secret attribute "[^"]*"\)$/;

/**
 * Whether an error's detail shows no value compared with a secret attribute: it says it does not
 * (VALUES_NOT_SHOWN), shows the text redacted, or quotes nothing but a secret attribute's name
 * (`"password" cannot be used in a filter`).
 */
const showsNoSecretValue = (detail: string): boolean =>
  VALUES_NOT_SHOWN.test(detail) ||
  detail.includes(REDACTED) ||
  !detail.replace(/"([^"\s]*)"/g, (q, name: string) => (secretAttribute(name.slice(name.lastIndexOf(":") + 1)) ? "" : q)).includes('"');

/**
 * An entry's path, error detail and body as the log keeps them now: the fields that differ, none if
 * the entry is as the live code would write it. For entries written before filters' and PATCH paths'
 * values compared with a password were redacted (migration RedactLoggedSecrets): the path and body
 * get the redaction of the SCIM router and the log (loggedTarget, loggedBody, redactBody); an error
 * detail that may quote such a value (its request had one, or it names a secret attribute, and it
 * does not show itself to be free of one) becomes DETAIL_NOT_SHOWN.
 */
export function relogged(entry: LoggedRequestFields): Partial<LoggedRequestFields> {
  const out: Partial<LoggedRequestFields> = {};
  const path = loggedTarget(entry.path).slice(0, 1024);
  if (path !== entry.path) out.path = path;
  if (entry.requestBody !== null && entry.requestBody !== undefined) {
    const body = redactBody(loggedBody(entry.requestBody));
    if (JSON.stringify(body) !== JSON.stringify(entry.requestBody)) out.requestBody = body;
  }
  const detail = entry.errorDetail;
  if (detail !== null && (Object.keys(out).length > 0 || secretAttributeIn(detail) !== undefined) && !showsNoSecretValue(detail)) {
    out.errorDetail = DETAIL_NOT_SHOWN;
  }
  return out;
}
