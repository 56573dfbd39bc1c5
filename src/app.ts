import type http from "node:http";
import express, { type NextFunction, type Request, type Response } from "express";
import helmet from "helmet";
import proxyaddr from "proxy-addr";
import { adminRoutes } from "./admin/admin.routes";
import type { AppConfig } from "./config/config";
import type { Services } from "./domain/services";
import { mountAuth } from "./auth/auth.routes";
import { adminTokenPrincipal, firstPrincipal, graphqlRoutes } from "./graphql/graphql.routes";
import { healthRoutes } from "./http/health.routes";
import { RequestLimits, jsonTooManyRequests } from "./http/rate-limit";
import { BackgroundWork } from "./platform/background";
import { isDatabaseUnavailable } from "./platform/database";
import { requestContextMiddleware } from "./http/request-context.middleware";
import type { Logger } from "./platform/logger";
import { keepPlannerStatistics } from "./platform/planner-statistics";
import { oauthRouter } from "./oauth/oauth.router";
import { isScimRequest, scimHandler } from "./scim/http/scim.router";

export interface AppDeps {
  config: AppConfig;
  services: Services;
  logger: Logger;
}

export interface App {
  /** The HTTP request listener: SCIM (node:http) under /scim/v2, Express for everything else. */
  handler: http.RequestListener;
  /** Stops background work owned by the app (not the HTTP server, not the database). */
  stop(): Promise<void>;
  /** Shutdown has begun: /readyz answers 503 so that load balancers stop sending new requests. */
  drain(): void;
}

/**
 * Security headers of the web routes (the admin console and the SSO pages): scripts only from
 * Roster itself (the console's own ES modules), no framing, no inline script; inline style
 * attributes are allowed for the SSO pages. HSTS and upgrade-insecure-requests only over https.
 */
export function webSecurityHeaders(publicUrl: string) {
  const https = publicUrl.startsWith("https://");
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
        objectSrc: ["'none'"],
        ...(https ? { upgradeInsecureRequests: [] } : {}),
      },
    },
    strictTransportSecurity: https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
    frameguard: { action: "deny" },
    referrerPolicy: { policy: "same-origin" },
  });
}

/** Builds the HTTP application: used by main and by the tests. */
export async function createApp(deps: AppDeps): Promise<App> {
  const app = express();
  app.disable("x-powered-by");
  // No ETags computed from response bodies (a SHA-1 of every page of users): SCIM sends its own,
  // from resource versions, and the API's answers are not cached (Cache-Control: no-store).
  app.set("etag", false);
  app.set("trust proxy", deps.config.trustProxy);
  app.use(helmet.xContentTypeOptions());
  app.use(requestContextMiddleware(deps.logger));
  const state = { draining: false };
  app.use(healthRoutes(deps.services.db, state, deps.services.redis));
  const limits = new RequestLimits(deps.services.rateLimiter, deps.config.rateLimits);
  app.use(["/auth", "/admin"], webSecurityHeaders(deps.config.publicUrl));
  app.use("/auth", limits.perIp("auth", deps.config.rateLimits.authPerIp, jsonTooManyRequests));
  // Work left running after a response (provisioning-log writes): stop() waits for it.
  const background = new BackgroundWork();
  // SQLite chooses indexes from statistics that must follow the data; MariaDB keeps its own.
  const statistics = keepPlannerStatistics(deps.services.db, deps.logger);
  // SCIM does not go through Express (see scimHandler); it resolves client addresses through the same TRUST_PROXY.
  const trust = app.get("trust proxy fn") as (addr: string, i: number) => boolean;
  const scim = scimHandler({ services: deps.services, config: deps.config, logger: deps.logger, background, clientIp: (req) => proxyaddr(req, trust) });
  app.use(oauthRouter(deps.services, deps.config));
  // Sessions (DB-backed cookie) and SSO sign-in routes; GraphQL then accepts a bearer admin token first, then the session.
  const auth = await mountAuth(app, deps.services, deps.config);
  // The cursors' secret is read (or generated) at start, as the session secret is: no request waits for it.
  await deps.services.cursors.ready();
  const graphql = await graphqlRoutes(deps.services, deps.logger, firstPrincipal(adminTokenPrincipal(deps.services, limits), auth.principal), {
    publicUrl: deps.config.publicUrl,
    limits: { requests: limits, perIp: deps.config.rateLimits.graphqlPerIp },
  });
  app.use(graphql.router);
  // The admin console (static single page; it talks only to /graphql).
  app.use("/admin", adminRoutes());
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: "not_found" });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status && status >= 400 && status < 500) {
      res.status(status).json({ error: (err as Error).message });
      return;
    }
    if (isDatabaseUnavailable(err)) {
      req.log?.warn("request failed: the database is unavailable");
      res.setHeader("Retry-After", "5");
      res.status(503).json({ error: "unavailable", message: "the directory's storage (database or Redis) is unavailable; retry later" });
      return;
    }
    req.log?.error({ err }, "unhandled error");
    res.status(500).json({ error: "internal_error", requestId: req.requestId });
  });
  return {
    handler: (req, res) => {
      if (!isScimRequest(req.url)) return void app(req, res);
      // scimHandler logs and answers its requests' failures itself, with their request ids; this is for one that failed before it had an id.
      scim(req, res).catch((err: unknown) => {
        deps.logger.error({ err }, "unhandled error in a SCIM request, before it had a request id");
        if (!res.headersSent) res.writeHead(500).end();
      });
    },
    stop: async () => {
      auth.stop();
      await statistics.stop();
      await graphql.stop();
      await deps.services.provisioningLog.stop();
      await deps.services.rateLimiter.release();
      await background.settled();
    },
    drain: () => {
      state.draining = true;
    },
  };
}
