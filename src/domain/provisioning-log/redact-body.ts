/**
 * What the provisioning log keeps of a request body: secrets' values replaced, by the names they go
 * by. Pure (no database, no configuration): the migration RedactLoggedSecrets applies it to entries
 * written before, so it must stay so.
 */

/** Keys whose values never reach the log: credentials, whatever the IdP calls them. */
const SECRET_KEYS = /^(password|secret|token|client_secret|clientsecret|access_token|refresh_token|authorization)$/i;

/** What a redacted value reads as. */
export const REDACTED = "[redacted]";

/**
 * Whether an attribute name names a secret: its last segment (an attribute may be URN-qualified,
 * "urn:…:User:password", or a sub-attribute, "x.password"), spaces around it ignored. A name only:
 * a protocol's paths with filters in them are its adapter's to read (the SCIM adapter redacts the
 * value of a PATCH operation whose path targets a secret before the log sees it).
 */
export const namesSecret = (name: string): boolean => SECRET_KEYS.test((name.split(/[:.]/).at(-1) ?? "").trim());

/**
 * A copy of a request body with passwords and secrets replaced, for the provisioning log: the value
 * of every key that names a secret, and the `value` of an object whose `path` is such a name (a PATCH
 * operation setting it). Member names are case-insensitive, as the PATCH engine reads them ("Path").
 */
export function redactBody(value: unknown, depth = 0): unknown {
  if (depth > 20) return "[…]";
  if (Array.isArray(value)) return value.slice(0, 200).map((v) => redactBody(v, depth + 1));
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    const secretPath = Object.entries(o).some(([k, v]) => /^path$/i.test(k) && typeof v === "string" && namesSecret(v));
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, namesSecret(k) || (secretPath && /^value$/i.test(k)) ? REDACTED : redactBody(v, depth + 1)]));
  }
  if (typeof value === "string" && value.length > 2000) return `${value.slice(0, 2000)}…`;
  return value;
}
