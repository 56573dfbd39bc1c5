import type { ApolloServerPlugin } from "@apollo/server";
import { GraphQLError, NoSchemaIntrospectionCustomRule, validate } from "graphql";
import { DomainError } from "../../domain/shared/domain-error";
import type { GraphqlContext } from "../context";

/**
 * Introspection (`__schema`, `__type`) answers callers only: an admin token or a session. Anonymous
 * callers could map a deployment's whole API before holding any credential; everything else they
 * ask is refused already. `__typename` stays open (it describes nothing). The check runs only for
 * anonymous operations, which are refused anyway, so it costs a signed-in caller nothing.
 */
export function introspectionForCallersOnly(): ApolloServerPlugin<GraphqlContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ contextValue, document, schema }) {
          if (contextValue.principal()) return;
          if (validate(schema, document, [NoSchemaIntrospectionCustomRule]).length === 0) return;
          // Answered as any other anonymous operation is (200, UNAUTHENTICATED): Apollo answers an
          // error thrown here with a 500 unless it names its status.
          const refusal = new DomainError("UNAUTHENTICATED", "introspection needs an admin token (Authorization: Bearer …) or a session");
          throw new GraphQLError(refusal.message, { originalError: refusal, extensions: { http: { status: 200 } } });
        },
      };
    },
  };
}
