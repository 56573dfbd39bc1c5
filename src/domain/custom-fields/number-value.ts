/** The number grammar of RFC 8259 §6, nothing around it: no spaces, hex, `+`, `.5`, `1.`, `Infinity`. */
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A number custom field's value, the one rule for every adapter: a finite number, or a string that
 * is exactly a JSON number (`"42"`, `"-1.5e3"`) where an adapter hands text on (a GraphQL filter's
 * `value: String!`, a form's field). Anything else, `"1e999"` included, is undefined: not a number.
 */
export function numberValue(v: unknown): number | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" && JSON_NUMBER.test(v) ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}
