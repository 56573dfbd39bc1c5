import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError, type GraphQLSchema } from "graphql";
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

/** A `first` above MAX_PAGE_SIZE counts as the most a page holds: the connection refuses it, naming `first`. */
const itemsAtMost = (first: unknown): number => (typeof first === "number" && first > 1 ? Math.min(first, MAX_PAGE_SIZE) : 1);

/** Refuses, before anything runs, a request whose cost (`costOfField`) is above `maxCost`: QUERY_TOO_COMPLEX, HTTP 400. */
export function queryCostPlugin(schema: GraphQLSchema, maxCost = MAX_QUERY_COST): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document }) {
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
