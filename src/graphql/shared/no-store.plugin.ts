import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloServerPluginCacheControlDisabled } from "@apollo/server/plugin/disabled";

/**
 * Every GraphQL answer is `Cache-Control: no-store`. Apollo's default cache-control plugin reached the
 * same header by hooking every resolved field (a policy object per field, per node); Roster declares
 * no cache hints, so the header is set once per response instead.
 */
export function noStorePlugins(): ApolloServerPlugin[] {
  return [
    ApolloServerPluginCacheControlDisabled(),
    {
      async requestDidStart() {
        return {
          async willSendResponse({ response }) {
            response.http.headers.set("cache-control", "no-store");
          },
        };
      },
    },
  ];
}
