/**
 * The deepest a request body's objects and arrays may nest. The deepest SCIM body an IdP sends (a
 * /Bulk operation's PatchOp setting the enterprise extension's manager) nests 9 levels, a GraphQL
 * body's variables fewer. Code that walks a body (the SCIM log's redaction, the PATCH engine, the
 * check of GraphQL variables for unstorable text) recurses: 40,000 levels in a 1 MB /Bulk body
 * overflowed the stack in the provisioning log's redaction, after the response, outside any request.
 */
export const MAX_BODY_DEPTH = 32;

/** Whether JSON text nests objects and arrays deeper than `max` (brackets inside strings do not count). */
export function nestingDeeperThan(buf: Uint8Array, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next byte (an escaped quote does not end the string)
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}
