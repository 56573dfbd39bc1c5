import { type FieldNode, type FragmentDefinitionNode, GraphQLIncludeDirective, GraphQLSkipDirective, Kind, type SelectionNode, type SelectionSetNode, getDirectiveValues } from "graphql";

/** A request's variables, coerced to their types (graphql-js's getVariableValues, defaults applied). */
export type Variables = Record<string, unknown>;
/** The document's fragment of this name. */
export type FragmentOf = (name: string) => FragmentDefinitionNode | undefined;

/**
 * Whether a selection runs, by its @skip and @include as graphql-js decides (shouldIncludeNode): not
 * when skip's `if` is true or include's `if` is false, literal or from a variable.
 */
export function runs(node: SelectionNode, variables: Variables): boolean {
  if (!node.directives?.length) return true;
  if (getDirectiveValues(GraphQLSkipDirective, node, variables)?.if === true) return false;
  return getDirectiveValues(GraphQLIncludeDirective, node, variables)?.if !== false;
}

/**
 * Visits the fields a selection set runs, through its inline fragments and fragment spreads, each
 * occurrence (a fragment spread twice, twice), those @skip or @include leave out not: what graphql
 * executes on one object. Stops at the first field `visit` returns true for, and says whether it did.
 * A fragment is not followed into itself (validation refuses such cycles anyway).
 */
function visitFieldsRun(set: SelectionSetNode | undefined, fragmentOf: FragmentOf, variables: Variables, visit: (field: FieldNode) => boolean): boolean {
  const following = new Set<string>();
  const walk = (selections: readonly SelectionNode[]): boolean =>
    selections.some((s) => {
      if (!runs(s, variables)) return false;
      if (s.kind === Kind.FIELD) return visit(s);
      if (s.kind === Kind.INLINE_FRAGMENT) return walk(s.selectionSet.selections);
      if (following.has(s.name.value)) return false;
      following.add(s.name.value);
      const found = walk(fragmentOf(s.name.value)?.selectionSet.selections ?? []);
      following.delete(s.name.value);
      return found;
    });
  return walk(set?.selections ?? []);
}

/** The fields a selection set runs (see visitFieldsRun), each occurrence. */
export function fieldsRun(set: SelectionSetNode | undefined, fragmentOf: FragmentOf, variables: Variables): FieldNode[] {
  const fields: FieldNode[] = [];
  visitFieldsRun(set, fragmentOf, variables, (f) => (fields.push(f), false));
  return fields;
}

/** Whether a selection set runs a field of this name (see visitFieldsRun). */
export const runsField = (set: SelectionSetNode | undefined, name: string, fragmentOf: FragmentOf, variables: Variables): boolean =>
  visitFieldsRun(set, fragmentOf, variables, (f) => f.name.value === name);
