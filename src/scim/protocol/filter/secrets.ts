import type { AttrPath } from './ast';

/**
 * Attributes a client may write but nobody reads back (RFC 7643 §7, `returned: "never"`): the core
 * User's `password`, the only one in the schemas Roster serves (a spec keeps the two in step). A
 * value compared with one in a filter or a PATCH path is the secret itself: no error detail repeats
 * it, and neither does the provisioning log (`redactSecretValues`).
 */
export const SECRET_ATTRIBUTES: readonly string[] = ['password'];

/** The secret attribute `name` is (any case), as SECRET_ATTRIBUTES spells it, or undefined. */
export const secretAttribute = (name: string): string | undefined => SECRET_ATTRIBUTES.find((s) => s === name.toLowerCase());

/** Whether a path names a secret attribute, as its attribute or its sub-attribute (`password`, `urn:…:User:password`). */
export const isSecretPath = (path: AttrPath): boolean =>
  secretAttribute(path.attribute) !== undefined || (path.subAttribute !== undefined && secretAttribute(path.subAttribute) !== undefined);

/** Any secret attribute's name anywhere in a text, in any case. */
const MENTIONS_SECRET = new RegExp(SECRET_ATTRIBUTES.join('|'), 'i');

/** Runs of the characters attribute paths are made of (the lexer's words); anything else separates them. */
const NAME_RUNS = /[A-Za-z0-9_$+\-.:]+/g;

/**
 * The secret attribute a filter or PATCH path names anywhere, or undefined: a run of name characters
 * whose attribute part (after a URN's last colon, on either side of a dot) is one, quoted or not,
 * well-formed or not. Errors about such a text describe its tokens by kind and position, never by
 * what they say: the text cannot be trusted to put its secret where the grammar expects a value
 * (`password eq hunter2`, `"hunter2" eq password`, `password eq "x" hunter2`).
 */
export function secretAttributeIn(text: string): string | undefined {
  // Nearly every filter names none: a text that does not contain one cannot have a part that is one
  // (this skips the split into parts, ~5 µs of every SCIM lookup).
  if (!MENTIONS_SECRET.test(text)) return undefined;
  for (const [run] of text.matchAll(NAME_RUNS)) {
    for (const part of run.slice(run.lastIndexOf(':') + 1).split('.')) {
      const secret = secretAttribute(part);
      if (secret) return secret;
    }
  }
  return undefined;
}

/** What a redacted value reads as. */
export const REDACTED = '[redacted]';
