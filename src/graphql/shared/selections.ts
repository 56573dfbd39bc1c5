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
 * The fields a selection set runs, through its inline fragments and fragment spreads, each occurrence
 * (a fragment spread twice, twice), those @skip or @include leave out not: what graphql executes on
 * one object. A fragment is not followed into itself (validation refuses such cycles anyway).
 */
export function fieldsRun(set: SelectionSetNode | undefined, fragmentOf: FragmentOf, variables: Variables): FieldNode[] {
  const fields: FieldNode[] = [];
  const following = new Set<string>();
  const walk = (selections: readonly SelectionNode[]) => {
    for (const s of selections) {
      if (!runs(s, variables)) continue;
      if (s.kind === Kind.FIELD) fields.push(s);
      else if (s.kind === Kind.INLINE_FRAGMENT) walk(s.selectionSet.selections);
      else if (!following.has(s.name.value)) {
        following.add(s.name.value);
        walk(fragmentOf(s.name.value)?.selectionSet.selections ?? []);
        following.delete(s.name.value);
      }
    }
  };
  walk(set?.selections ?? []);
  return fields;
}

/** Whether a selection set runs a field of this name (as `fieldsRun` finds them). */
export const runsField = (set: SelectionSetNode | undefined, name: string, fragmentOf: FragmentOf, variables: Variables): boolean =>
  fieldsRun(set, fragmentOf, variables).some((f) => f.name.value === name);
