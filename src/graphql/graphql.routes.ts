import { ApolloServer } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type Request, Router } from "express";
import type { Services } from "../domain/services";
import type { Principal } from "../domain/sessions/principal";
import type { Logger } from "../platform/logger";
import { type GraphqlContext, buildGraphqlContext } from "./context";
import { formatGraphqlError } from "./shared/errors";
import { buildGraphqlSchema } from "./schema";

/** How the GraphQL adapter learns who is calling: an admin token, or an SSO session. */
export type PrincipalResolver = (req: Request) => Promise<Principal | null>;

/** The first resolver that recognises the caller wins (bearer admin token first, then the session). */
export function firstPrincipal(...resolvers: PrincipalResolver[]): PrincipalResolver {
  return async (req) => {
    for (const resolve of resolvers) {
      const p = await resolve(req);
      if (p) return p;
    }
    return null;
  };
}

export interface GraphqlOptions {
  /** Roster's public base URL: the SSO URLs shown to admins derive from it. */
  publicUrl: string;
}

export async function graphqlRoutes(
  services: Services,
  logger: Logger,
  principal: PrincipalResolver,
  options: GraphqlOptions = { publicUrl: "" },
): Promise<{ router: Router; stop: () => Promise<void> }> {
  const schema = await buildGraphqlSchema();
  const apollo = new ApolloServer<GraphqlContext>({ schema, formatError: formatGraphqlError(logger), introspection: true });
  await apollo.start();
  const router = Router();
  router.use(
    "/graphql",
    express.json({ limit: "1mb" }),
    expressMiddleware(apollo, {
      context: async ({ req }) => buildGraphqlContext(services, req.requestId, await principal(req), options),
    }),
  );
  return { router, stop: () => apollo.stop() };
}

/** `Authorization: Bearer <admin token>` → the token's organisation, acting as that token. */
export function adminTokenPrincipal(services: Services): PrincipalResolver {
  return async (req) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get("authorization") ?? "");
    if (!match) return null;
    const check = await services.tokens.check(match[1], "admin");
    if (!check.ok) return null;
    return {
      context: {
        organisationId: check.organisation.id,
        actor: { type: "token", id: check.token.id, label: `${check.token.name} (${check.token.prefix}…)` },
        source: "graphql",
        requestId: req.requestId,
      },
      admin: true,
      userId: null,
    };
  };
}
