import { invalidInput } from "../../domain/shared/domain-error";
import type { GraphQLResolveInfo } from "graphql";
import { type ClassType, Field, Int, ObjectType } from "type-graphql";

@ObjectType()
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

/** A Relay-style connection of T: edges with cursors, plus nodes for the simple case. */
export function Connection<T extends object>(nodeType: ClassType<T>, name: string) {
  @ObjectType(`${name}Edge`)
  class Edge {
    @Field()
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

export function toConnection<T>(slice: { items: T[]; totalCount: number; hasNextPage: boolean; endCursor: string | null }, cursorOf: (item: T) => string) {
  return {
    edges: slice.items.map((node) => ({ cursor: cursorOf(node), node })),
    nodes: slice.items,
    pageInfo: { hasNextPage: slice.hasNextPage, endCursor: slice.endCursor },
    totalCount: slice.totalCount,
  };
}

export const MAX_PAGE_SIZE = 500;

/** `first` of a connection: 0 to MAX_PAGE_SIZE, or a BAD_USER_INPUT naming the argument. */
export function pageSize(first: number): number {
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) throw invalidInput("first", `first must be between 0 and ${MAX_PAGE_SIZE}`);
  return first;
}

/** Whether the query selects `totalCount` on this connection (fragments count as "maybe": then yes). */
export function selectsTotalCount(info: GraphQLResolveInfo): boolean {
  return info.fieldNodes.some((node) =>
    (node.selectionSet?.selections ?? []).some((sel) => sel.kind !== "Field" || sel.name.value === "totalCount"),
  );
}
