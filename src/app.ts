import express, { type Express, type NextFunction, type Request, type Response } from "express";
import type { AppConfig } from "./config/config";
import type { Services } from "./domain/services";
import { mountAuth } from "./auth/auth.routes";
import { adminTokenPrincipal, firstPrincipal, graphqlRoutes } from "./graphql/graphql.routes";
import { healthRoutes } from "./http/health.routes";
import { requestContextMiddleware } from "./http/request-context.middleware";
import type { Logger } from "./platform/logger";
import { oauthRouter } from "./oauth/oauth.router";
import { scimRouter } from "./scim/http/scim.router";

export interface AppDeps {
  config: AppConfig;
  services: Services;
  logger: Logger;
}

export interface App {
  express: Express;
  /** Stops background work owned by the app (not the HTTP server, not the database). */
  stop(): Promise<void>;
}

/** Builds the HTTP application: used by main and by the tests. */
export async function createApp(deps: AppDeps): Promise<App> {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", true);
  app.use(requestContextMiddleware(deps.logger));
  app.use(healthRoutes(deps.services.db));
  app.use("/scim/v2", scimRouter(deps.services, deps.config));
  app.use(oauthRouter(deps.services, deps.config));
  // Sessions (DB-backed cookie) and SSO sign-in routes; GraphQL then accepts a bearer admin token first, then the session.
  const auth = await mountAuth(app, deps.services, deps.config);
  const graphql = await graphqlRoutes(deps.services, deps.logger, firstPrincipal(adminTokenPrincipal(deps.services), auth.principal), { publicUrl: deps.config.publicUrl });
  app.use(graphql.router);
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: "not_found" });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ error: (err as Error).message });
      return;
    }
    req.log?.error({ err }, "unhandled error");
    res.status(500).json({ error: "internal_error", requestId: req.requestId });
  });
  return {
    express: app,
    stop: async () => {
      auth.stop();
      await graphql.stop();
    },
  };
}
