import { type FragmentDefinitionNode, type GraphQLResolveInfo, type OperationDefinitionNode, type FieldNode, Kind, parse } from "graphql";
import { selectedNodeFields, selectedNodeSubfields } from "./connection";

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

describe("selectedNodeSubfields", () => {
  test("the union of a field's selections over its aliases, fragments, nodes and edges", () => {
    const info = infoOf(`
      query { users { nodes { manager { id } boss: manager { ...Boss } } edges { node { manager { ... on User { department } } } } } }
      fragment Boss on User { title manager { userName } }`);
    expect(selectedNodeSubfields(info, "manager")).toEqual(new Set(["id", "title", "manager", "department"]));
  });

  test("nothing for a field the nodes do not select, nor for one selected deeper down", () => {
    const info = infoOf(`{ users { nodes { id groups { id } } } }`);
    expect(selectedNodeSubfields(info, "manager")).toEqual(new Set());
    expect(selectedNodeSubfields(infoOf(`{ users { nodes { manager { manager { title } } } } }`), "manager")).toEqual(new Set(["manager"]));
  });
});
