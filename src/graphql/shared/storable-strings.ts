import { BREAK, type DocumentNode, GraphQLError, Kind, visit } from "graphql";

/**
 * A lone UTF-16 surrogate (text that is not well-formed Unicode) or U+0000: neither database stores
 * it as sent. A lone surrogate came back as U+FFFD, and MariaDB's JSON CHECK on the audit event
 * refused the write (a 500). Paired surrogates are one code point under the `u` flag, so they pass.
 */
const UNSTORABLE = /[\p{Cs}\0]/u;

const refusal = (where: string, field?: string) =>
  new GraphQLError(`${where} holds text that is not well-formed Unicode (a lone surrogate) or contains U+0000`, { extensions: { code: "BAD_USER_INPUT", ...(field ? { field } : {}) } });

/** A string literal of the document (anywhere in it: checked once per parsed document) that no database would store as written. */
export function unstorableLiteral(document: DocumentNode): GraphQLError | null {
  let found: GraphQLError | null = null;
  visit(document, {
    [Kind.STRING](node) {
      if (!UNSTORABLE.test(node.value)) return undefined;
      found = refusal("A string in the query");
      return BREAK;
    },
  });
  return found;
}

/** The first string of the variables (a value or a key, at any depth) that no database would store as sent. */
export function unstorableVariable(variables: Record<string, unknown>): GraphQLError | null {
  const path = findUnstorable(variables, []);
  return path ? refusal(`Variable "$${path[0]}"`, path.join(".")) : null;
}

function findUnstorable(value: unknown, path: string[]): string[] | null {
  if (typeof value === "string") return UNSTORABLE.test(value) ? path : null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findUnstorable(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  if (value && typeof value === "object") {
    for (const [key, inner] of Object.entries(value)) {
      // A key is a custom field's name, or else an input field's (whose unknown names graphql-js refuses).
      if (UNSTORABLE.test(key)) return [...path, "(a key)"];
      const found = findUnstorable(inner, [...path, key]);
      if (found) return found;
    }
  }
  return null;
}
