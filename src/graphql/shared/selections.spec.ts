import { type FragmentDefinitionNode, Kind, type OperationDefinitionNode, parse } from "graphql";
import { fieldsRun, runsField } from "./selections";

/** The operation's root selection set and its document's fragments. */
function documentOf(query: string) {
  const doc = parse(query);
  const operation = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = new Map(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  return { set: operation.selectionSet, fragmentOf: (name: string) => fragments.get(name) };
}
const names = (query: string, variables: Record<string, unknown> = {}) => {
  const { set, fragmentOf } = documentOf(query);
  return fieldsRun(set, fragmentOf, variables).map((f) => f.alias?.value ?? f.name.value);
};

describe("fieldsRun", () => {
  test("every occurrence, through inline fragments and spreads (a fragment spread twice, twice)", () => {
    expect(names(`{ a ... { b } ...F c ...F } fragment F on Query { d ... on Query { e } }`)).toEqual(["a", "b", "d", "e", "c", "d", "e"]);
  });

  test("not what @skip or @include leave out: literal or from a variable (coerced: its default applied), on a field, a spread, an inline fragment", () => {
    expect(names(`{ a @skip(if: true) b @include(if: false) c @skip(if: false) @include(if: true) }`)).toEqual(["c"]);
    expect(names(`query($s: Boolean!, $i: Boolean = false) { a @skip(if: $s) b @include(if: $i) ...F @skip(if: $s) ... @include(if: $i) { c } d } fragment F on Query { e }`, { s: true, i: false })).toEqual(["d"]);
    expect(names(`query($s: Boolean!, $i: Boolean = false) { a @skip(if: $s) b @include(if: $i) ...F @skip(if: $s) ... @include(if: $i) { c } d } fragment F on Query { e }`, { s: false, i: true })).toEqual(["a", "b", "e", "c", "d"]);
    // Both on one selection: it runs only when skip's is false and include's true.
    expect(names(`{ a @skip(if: true) @include(if: true) b @skip(if: false) @include(if: false) }`)).toEqual([]);
  });

  test("a fragment is not followed into itself", () => {
    expect(names(`{ ...F } fragment F on Query { a ...F }`)).toEqual(["a"]);
  });
});

describe("runsField", () => {
  test("whether a field of the name runs, where it is and however it is aliased", () => {
    const { set, fragmentOf } = documentOf(`query($s: Boolean!) { n: nodes ...T } fragment T on Query { totalCount @skip(if: $s) }`);
    expect(runsField(set, "totalCount", fragmentOf, { s: false })).toBe(true);
    expect(runsField(set, "totalCount", fragmentOf, { s: true })).toBe(false);
    expect(runsField(set, "nodes", fragmentOf, { s: true })).toBe(true);
  });
});
