import querystring from "node:querystring";
import { isObject, redactSecretValues } from "../protocol";

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
 * A SCIM request body with the values its filters and PATCH paths compare with a secret attribute
 * redacted: a `.search` body's `filter`, each PatchOp operation's `path`, and the same inside each
 * /Bulk operation's `data`. The provisioning log redacts secret attributes' values itself (redactBody);
 * a value inside a filter or path is text it cannot read. Unchanged parts are the same objects.
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
        let o: Record<string, unknown> = op;
        // A PatchOp operation has an `op`; a /Bulk operation's `path` is a resource's ("/Users/…").
        const patchOperation = Object.keys(op).some((k) => /^op$/i.test(k));
        for (const k of Object.keys(op)) {
          const v = op[k];
          const next = patchOperation && /^path$/i.test(k) && typeof v === "string" ? redactSecretValues(v, "path") : /^data$/i.test(k) ? loggedBody(v) : v;
          if (next !== v) o = { ...o, [k]: next };
        }
        return o;
      });
      if (redacted.some((op, i) => op !== ops[i])) set(key, redacted);
    }
  }
  return out;
}
