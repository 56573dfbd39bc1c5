import { type FragmentDefinitionNode, type GraphQLResolveInfo, type OperationDefinitionNode, type FieldNode, Kind, parse } from "graphql";
import { selectedNodeFields } from "./connection";

/** The resolve info of the operation's first root field, as graphql-js passes it to that field's resolver. */
function infoOf(query: string): GraphQLResolveInfo {
  const doc = parse(query);
  const operation = doc.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(doc.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]));
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments } as unknown as GraphQLResolveInfo;
}

describe("selectedNodeFields", () => {
  test("the fields under nodes and under edges.node, aliases by their field name", () => {
    expect(selectedNodeFields(infoOf(`{ users { totalCount nodes { id boss: manager { roles { name } } } edges { cursor node { groups { id } } } } }`))).toEqual(
      new Set(["id", "manager", "groups"]),
    );
  });

  test("through fragment spreads and inline fragments, at both levels", () => {
    const info = infoOf(`
      query { users { ...Page } }
      fragment Page on UserConnection { nodes { ...Person ... on User { emails { value } } } edges { ... on UserEdge { node { customFields } } } }
      fragment Person on User { userName roles { name } }`);
    expect(selectedNodeFields(info)).toEqual(new Set(["userName", "roles", "emails", "customFields"]));
  });

  test("nothing when the query asks for no nodes", () => {
    expect(selectedNodeFields(infoOf(`{ users { totalCount pageInfo { hasNextPage } } }`))).toEqual(new Set());
  });
});
