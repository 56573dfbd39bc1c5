import { invalidInput } from "../../domain/shared/domain-error";
import type { CursorList, ListCursors } from "../../domain/shared/cursors";
import type { CursorSlice } from "../../domain/shared/paging";
import type { GraphqlContext } from "../context";
import { type FieldNode, type GraphQLResolveInfo, Kind, type SelectionSetNode, valueFromASTUntyped } from "graphql";
import { type ClassType, Field, Int, ObjectType } from "type-graphql";
import { runsField } from "./selections";

@ObjectType({ simpleResolvers: true })
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field(() => String, {
    nullable: true,
    description: "Opaque. Pass it as `after` to the same list with the same filter for the next page; any other list, filter or organisation refuses it (BAD_USER_INPUT on after)",
  })
  endCursor: string | null;
}

/** A Relay-style connection of T: edges with cursors, plus nodes for the simple case. */
export function Connection<T extends object>(nodeType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`, { simpleResolvers: true })
  class Edge {
    @Field({ description: "Opaque. As `after` (same list, same filter), the page starts after this node" })
    cursor: string;

    @Field(() => nodeType)
    node: T;
  }

  @ObjectType()
  abstract class ConnectionClass {
    @Field(() => [Edge])
    edges: Edge[];

    @Field(() => [nodeType])
    nodes: T[];

    @Field(() => PageInfo)
    pageInfo: PageInfo;

    @Field(() => Int)
    totalCount: number;
  }
  return ConnectionClass;
}

/**
 * The cursors of a connection, bound to the caller's organisation, the list and what filters it
 * (the same value the list's rows are chosen by): `open` the `after` argument with them, and hand
 * them to toConnection.
 */
export function listCursors(ctx: GraphqlContext, list: CursorList, filter: unknown): Promise<ListCursors> {
  return ctx.services.cursors.forList(ctx.auth(), list, filter);
}

/** A page as a connection, each sort key sealed into a cursor of this list (see cursors.ts). */
export function toConnection<T>(slice: CursorSlice<T>, cursors: ListCursors) {
  return {
    // A cursor per node only when the query asks for edges (most pages ask for nodes alone).
    get edges() {
      return slice.items.map((node) => ({ cursor: cursors.seal(slice.keyOf(node)), node }));
    },
    nodes: slice.items,
    pageInfo: { hasNextPage: slice.hasNextPage, endCursor: slice.endKey === null ? null : cursors.seal(slice.endKey) },
    totalCount: slice.totalCount,
  };
}

export const MAX_PAGE_SIZE = 500;

/** `first` of a connection: 0 to MAX_PAGE_SIZE, or a BAD_USER_INPUT naming the argument. */
export function pageSize(first: number): number {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) throw invalidInput("first", `first must be between 0 and ${MAX_PAGE_SIZE}`);
  return first;
}

/**
 * Whether the query runs `totalCount` on this connection: through its fragments, and not where @skip
 * or @include leaves it out (a skipped total had been counted, and charged, all the same). The
 * request's cost (query-cost.plugin.ts) charges a total by the same rule.
 */
export function selectsTotalCount(info: GraphQLResolveInfo): boolean {
  return info.fieldNodes.some((node) => runsField(node.selectionSet, "totalCount", (name) => info.fragments[name], info.variableValues));
}

/** Visits the fields of a selection set, through inline fragments and fragment spreads. */
function eachField(set: SelectionSetNode | undefined, info: GraphQLResolveInfo, visit: (field: FieldNode) => void): void {
  for (const sel of set?.selections ?? []) {
    if (sel.kind === Kind.FIELD) visit(sel);
    else if (sel.kind === Kind.INLINE_FRAGMENT) eachField(sel.selectionSet, info, visit);
    else eachField(info.fragments[sel.name.value]?.selectionSet, info, visit);
  }
}

/** The fields the query selects on this connection's nodes (`nodes { … }` and `edges { node { … } }`), each occurrence. */
function nodeFields(info: GraphQLResolveInfo): FieldNode[] {
  const fields: FieldNode[] = [];
  const addFieldsOf = (node: FieldNode) => eachField(node.selectionSet, info, (f) => fields.push(f));
  for (const connection of info.fieldNodes) {
    eachField(connection.selectionSet, info, (f) => {
      if (f.name.value === "nodes") addFieldsOf(f);
      else if (f.name.value === "edges") eachField(f.selectionSet, info, (e) => e.name.value === "node" && addFieldsOf(e));
    });
  }
  return fields;
}

/** Names of the fields the query selects on this connection's nodes. */
export function selectedNodeFields(info: GraphQLResolveInfo): Set<string> {
  return new Set(nodeFields(info).map((f) => f.name.value));
}

/** The values of `argument` on each occurrence of the nodes' `field` (undefined where it is left out), variables resolved. */
export function selectedNodeArguments(info: GraphQLResolveInfo, field: string, argument: string): unknown[] {
  return nodeFields(info)
    .filter((f) => f.name.value === field)
    .map((f) => {
      const arg = f.arguments?.find((a) => a.name.value === argument);
      return arg ? valueFromASTUntyped(arg.value, info.variableValues) : undefined;
    });
}

/** Names of the fields the query selects under the nodes' `field`, over all its aliases and fragments. */
export function selectedNodeSubfields(info: GraphQLResolveInfo, field: string): Set<string> {
  const names = new Set<string>();
  for (const f of nodeFields(info)) if (f.name.value === field) eachField(f.selectionSet, info, (sub) => names.add(sub.name.value));
  return names;
}
