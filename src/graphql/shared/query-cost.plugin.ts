import type { ApolloServerPlugin } from "@apollo/server";
import { type DocumentNode, type FragmentDefinitionNode, GraphQLError, type GraphQLSchema, Kind, type OperationDefinitionNode, type SelectionSetNode } from "graphql";
import { type ComplexityEstimator, getComplexity } from "graphql-query-complexity";
import { MAX_PAGE_SIZE } from "./connection";

/**
 * The most one GraphQL request may cost: about 30 times the benchmark's page of 100 users with
 * groups, roles and manager (1,501), and a page of 500 users with 90 fields each. Without it, one
 * request of 300 aliased `users(first: 500)` read 150,000 users.
 */
export const MAX_QUERY_COST = 50_000;

/**
 * A field costs 1, and what is selected under it as many times as it can return items: `first`
 * where it takes one (connections: up to MAX_PAGE_SIZE), else once (a user's groups or roles, which have no
 * page size; their count is the directory's, not the caller's choice).
 */
const costOfField: ComplexityEstimator = ({ args, childComplexity }) => 1 + childComplexity * itemsAtMost(args.first);

/**
 * The deepest a request's fields may nest (fragments followed): the introspection query nests 13, the
 * console 6. 300 levels of `manager { manager { … } }` cost 300 and took 170-310 ms of CPU and 110 MB.
 */
export const MAX_QUERY_DEPTH = 24;

/** How deep an operation's fields nest, following its fragments (validation has refused cycles among them). */
export function depthOf(operation: OperationDefinitionNode, document: DocumentNode): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  const memo = new Map<string, number>();
  const depth = (set: SelectionSetNode | undefined): number => {
    let deepest = 0;
    for (const s of set?.selections ?? []) {
      if (s.kind === Kind.FIELD) deepest = Math.max(deepest, s.selectionSet ? 1 + depth(s.selectionSet) : 1);
      else if (s.kind === Kind.INLINE_FRAGMENT) deepest = Math.max(deepest, depth(s.selectionSet));
      else {
        const name = s.name.value;
        if (!memo.has(name)) {
          memo.set(name, 0);
          memo.set(name, depth(fragments.get(name)?.selectionSet));
        }
        deepest = Math.max(deepest, memo.get(name)!);
      }
    }
    return deepest;
  };
  return depth(operation.selectionSet);
}

/** A `first` above MAX_PAGE_SIZE counts as the most a page holds: the connection refuses it, naming `first`. */
const itemsAtMost = (first: unknown): number => (typeof first === "number" && first > 1 ? Math.min(first, MAX_PAGE_SIZE) : 1);

/**
 * Refuses, before anything runs, a request whose fields nest deeper than MAX_QUERY_DEPTH
 * (QUERY_TOO_DEEP) or whose cost (`costOfField`) is above `maxCost` (QUERY_TOO_COMPLEX), HTTP 400.
 */
export function queryCostPlugin(schema: GraphQLSchema, maxCost = MAX_QUERY_COST): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, operation }) {
          const depth = operation ? depthOf(operation, document) : 0;
          if (depth > MAX_QUERY_DEPTH)
            throw new GraphQLError(`This request nests its fields ${depth} levels deep, at most ${MAX_QUERY_DEPTH}: split it`, {
              extensions: { code: "QUERY_TOO_DEEP", depth, maxDepth: MAX_QUERY_DEPTH, http: { status: 400 } },
            });
          let cost: number;
          try {
            cost = getComplexity({ schema, query: document, operationName: request.operationName ?? undefined, variables: request.variables ?? {}, estimators: [costOfField] });
          } catch {
            return; // variables that do not fit their types: the executor answers BAD_USER_INPUT
          }
          if (cost > maxCost)
            throw new GraphQLError(`This request asks for too much at once (cost ${cost}, at most ${maxCost}): ask for fewer items per page, or split it`, {
              extensions: { code: "QUERY_TOO_COMPLEX", cost, maxCost, http: { status: 400 } },
            });
        },
      };
    },
  };
}
