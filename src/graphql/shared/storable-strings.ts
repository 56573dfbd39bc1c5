import { BREAK, type DocumentNode, GraphQLError, Kind, visit } from "graphql";
import { isStorableText, unstorableTextPath } from "../../domain/shared/storable-text";

const refusal = (where: string, field?: string) =>
  new GraphQLError(`${where} holds text that is not well-formed Unicode (a lone surrogate) or contains U+0000`, { extensions: { code: "BAD_USER_INPUT", ...(field ? { field } : {}) } });

/** A string literal of the document (anywhere in it: checked once per parsed document) that no database would store as written (isStorableText). */
export function unstorableLiteral(document: DocumentNode): GraphQLError | null {
  let found: GraphQLError | null = null;
  visit(document, {
    [Kind.STRING](node) {
      if (isStorableText(node.value)) return undefined;
      found = refusal("A string in the query");
      return BREAK;
    },
  });
  return found;
}

/** The first string of the variables (a value or a key, at any depth) that no database would store as sent. */
export function unstorableVariable(variables: Record<string, unknown>): GraphQLError | null {
  const path = unstorableTextPath(variables);
  return path ? refusal(`Variable "$${path[0]}"`, path.join(".")) : null;
}
