import express, { type NextFunction, type Request, type Response, Router } from "express";
import type { AppConfig } from "../../config/config";
import type { Services } from "../../domain/services";
import { BackgroundWork } from "../../platform/background";
import { isDatabaseUnavailable } from "../../platform/database";
import { ScimError, invalidSyntax, notFound, notImplemented, payloadTooLarge, toScimErrorBody } from "../protocol";
import { type Dispatch, runBulk } from "../resources/bulk.scim-handler";
import { getResourceTypes, getSchemas, getServiceProviderConfig } from "../resources/discovery.scim-handlers";
import { asScimError } from "../resources/domain-errors";
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from "../resources/groups/groups.scim-handlers";
import type { ScimScope } from "../resources/scim-scope";
import type { ScimRequest, ScimResponse } from "../resources/scim-response";
import { searchAll, searchParams } from "../resources/search.scim-handlers";
import { createUser, deleteUser, getUser, listUsers, patchUser, replaceUser } from "../resources/users/users.scim-handlers";
import { scimBearerAuth } from "./scim-auth";
import { RequestLimits, setRateLimitHeaders } from "../../http/rate-limit";

const SCIM_JSON = "application/scim+json; charset=utf-8";

declare module "express-serve-static-core" {
  interface Request {
    scimScope?: ScimScope;
    rawBodyBytes?: number;
  }
}

/** One table of routes, used by HTTP and by /Bulk alike. */
const resourceRoutes: { method: string; pattern: RegExp; handle: Dispatch }[] = [
  { method: "POST", pattern: /^\/Users$/i, handle: createUser },
  { method: "PUT", pattern: /^\/Users\/([^/]+)$/i, handle: replaceUser },
  { method: "PATCH", pattern: /^\/Users\/([^/]+)$/i, handle: patchUser },
  { method: "DELETE", pattern: /^\/Users\/([^/]+)$/i, handle: deleteUser },
  { method: "POST", pattern: /^\/Groups$/i, handle: createGroup },
  { method: "PUT", pattern: /^\/Groups\/([^/]+)$/i, handle: replaceGroup },
  { method: "PATCH", pattern: /^\/Groups\/([^/]+)$/i, handle: patchGroup },
  { method: "DELETE", pattern: /^\/Groups\/([^/]+)$/i, handle: deleteGroup },
];

const bulkDispatch: Dispatch = (scope, req) => {
  const route = resourceRoutes.find((r) => r.method === req.method && r.pattern.test(req.path));
  if (!route) throw notFound(`no ${req.method} ${req.path} in a bulk request`);
  return route.handle(scope, { ...req, id: route.pattern.exec(req.path)?.[1] });
};

function send(res: Response, r: ScimResponse): void {
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  res.status(r.status);
  if (r.body === undefined || r.status === 204 || r.status === 304) {
    res.end();
    return;
  }
  res.setHeader("Content-Type", SCIM_JSON);
  res.send(JSON.stringify(r.body));
}

function sendError(res: Response, err: ScimError): void {
  res.status(err.status).setHeader("Content-Type", SCIM_JSON);
  res.send(JSON.stringify(toScimErrorBody(err)));
}

/** The SCIM 2.0 service provider (RFC 7643/7644), mounted at /scim/v2. */
export function scimRouter(services: Services, config: AppConfig, background: BackgroundWork = new BackgroundWork()): Router {
  const router = Router({ caseSensitive: false });
  const baseUrl = `${config.publicUrl}/scim/v2`;
  const limits = {
    maxResults: config.scim.maxResults,
    maxPayloadBytes: config.scim.maxPayloadBytes,
    maxBulkOperations: 1000,
    maxPatchOperations: 1000,
    maxFilterLength: 4096,
    maxFilterDepth: 32,
  };

  // Rate limits (shared by all instances through the database): per client IP first, before the
  // body is even read; per token once the token is known (that 429 is in the provisioning log).
  const requestLimits = new RequestLimits(services.rateLimiter, config.rateLimits);
  router.use(
    requestLimits.perIp("scim", config.rateLimits.scimPerIp, (req, _res, r) => {
      req.log.warn({ ip: req.ip, limit: r.limit }, "SCIM rate limit per IP reached");
      throw new ScimError(429, `too many requests from this address; retry in ${r.retryAfterSeconds} s`);
    }),
  );

  // Any JSON-ish body is read as JSON (IdPs send application/scim+json or application/json, with or without charset).
  router.use(
    express.json({
      limit: config.scim.maxPayloadBytes,
      type: (req) => req.headers["content-length"] !== "0" && !!req.headers["content-type"] && /json/i.test(String(req.headers["content-type"])),
      verify: (req, _res, buf) => {
        (req as Request).rawBodyBytes = buf.length;
      },
    }),
  );
  router.use((req, _res, next) => {
    const type = req.headers["content-type"];
    if (["POST", "PUT", "PATCH"].includes(req.method) && type && !/json/i.test(type) && Number(req.headers["content-length"] ?? 1) > 0) {
      throw new ScimError(415, `unsupported Content-Type ${JSON.stringify(type)}: send application/scim+json`);
    }
    next();
  });
  router.use(scimBearerAuth(services, requestLimits));
  router.use((req, res, next) => {
    const principal = req.scimPrincipal!;
    req.scimScope = {
      ctx: {
        organisationId: principal.organisationId,
        actor: { type: "token", id: principal.token.id, label: `${principal.token.name} (${principal.token.prefix}…)` },
        source: "scim",
        requestId: req.requestId,
      },
      services,
      baseUrl,
      extensionUrn: config.scim.extensionUrn,
      limits,
      notes: new Set(),
    };
    provisioningLog(req, res, services, background);
    next();
  });
  // A limit turned off (0) costs nothing per request.
  if (config.rateLimits.scimPerToken > 0) {
    router.use(async (req, res, next) => {
      const r = await requestLimits.hit(`scim:token:${req.scimPrincipal!.token.id}`, config.rateLimits.scimPerToken);
      if (r && !r.allowed) {
        setRateLimitHeaders(res, r);
        req.log.warn({ tokenId: req.scimPrincipal!.token.id, limit: r.limit }, "SCIM rate limit per token reached");
        throw new ScimError(429, `too many requests with this token (${r.limit} per ${config.rateLimits.windowSeconds} s); retry in ${r.retryAfterSeconds} s`);
      }
      next();
    });
  }

  const h =
    (fn: (scope: ScimScope, req: ScimRequest) => Promise<ScimResponse> | ScimResponse) =>
    async (req: Request, res: Response): Promise<void> => {
      const scimReq: ScimRequest = {
        method: req.method,
        path: req.path,
        id: typeof req.params.id === "string" ? req.params.id : undefined,
        query: req.query as Record<string, unknown>,
        body: req.body,
        ifMatch: req.get("if-match"),
        ifNoneMatch: req.get("if-none-match"),
      };
      send(res, await fn(req.scimScope!, scimReq));
    };

  router.get("/ServiceProviderConfig", h((s) => getServiceProviderConfig(s)));
  router.get("/ResourceTypes", h((s) => getResourceTypes(s)));
  router.get("/ResourceTypes/:id", h((s, r) => getResourceTypes(s, r.id)));
  router.get("/Schemas", h((s) => getSchemas(s)));
  router.get("/Schemas/:id", h((s, r) => getSchemas(s, r.id)));

  router.get("/Users", h((s, r) => listUsers(s, r.query)));
  router.post("/Users/.search", h((s, r) => listUsers(s, searchParams(r.body))));
  router.post("/Users", h(createUser));
  router.get("/Users/:id", h(getUser));
  router.put("/Users/:id", h(replaceUser));
  router.patch("/Users/:id", h(patchUser));
  router.delete("/Users/:id", h(deleteUser));

  router.get("/Groups", h((s, r) => listGroups(s, r.query)));
  router.post("/Groups/.search", h((s, r) => listGroups(s, searchParams(r.body))));
  router.post("/Groups", h(createGroup));
  router.get("/Groups/:id", h(getGroup));
  router.put("/Groups/:id", h(replaceGroup));
  router.patch("/Groups/:id", h(patchGroup));
  router.delete("/Groups/:id", h(deleteGroup));

  router.post("/.search", h((s, r) => searchAll(s, r.body)));
  // RFC 7644 §3.11: /Me is optional; a provider that does not support it answers 501.
  router.all("/Me{/*rest}", () => {
    throw notImplemented("/Me is not supported: Roster's SCIM clients are provisioning services, not end users");
  });
  router.post("/Bulk", async (req, res) => {
    const result = await runBulk(req.scimScope!, req.body, req.rawBodyBytes ?? 0, bulkDispatch, (err) => req.log.error({ err }, "unexpected error in a bulk operation"));
    send(res, result);
  });

  // Known paths with another method: 405 with Allow; anything else: a SCIM 404, never an HTML page.
  const allowed: [RegExp, string][] = [
    [/^\/(ServiceProviderConfig|ResourceTypes|Schemas)(\/[^/]+)?$/i, "GET"],
    [/^\/(Users|Groups)$/i, "GET, POST"],
    [/^\/(Users|Groups)\/\.search$/i, "POST"],
    [/^\/\.search$/i, "POST"],
    [/^\/Bulk$/i, "POST"],
    [/^\/(Users|Groups)\/[^/]+$/i, "GET, PUT, PATCH, DELETE"],
  ];
  router.use((req, res) => {
    const allow = allowed.find(([p]) => p.test(req.path))?.[1];
    if (allow) {
      res.setHeader("Allow", allow);
      throw new ScimError(405, `${req.method} is not supported on ${req.path}; allowed: ${allow}`);
    }
    throw notFound(`no SCIM endpoint at ${req.path}`);
  });

  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    let scimError: ScimError | undefined;
    if (e?.type === "entity.parse.failed") scimError = invalidSyntax("the request body is not valid JSON");
    else if (e?.type === "entity.too.large") scimError = payloadTooLarge(`the request body is larger than ${config.scim.maxPayloadBytes} bytes (see ServiceProviderConfig)`);
    else if (isDatabaseUnavailable(err)) {
      res.setHeader("Retry-After", "5");
      scimError = new ScimError(503, "the directory's storage (database or Redis) is unavailable; retry later");
    } else scimError = asScimError(err);
    if (!scimError) {
      req.log.error({ err }, "unexpected error in SCIM request");
      res.locals.scimError = { status: 500, detail: "internal error" };
      res.status(500).setHeader("Content-Type", SCIM_JSON);
      res.send(JSON.stringify({ schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: "500", detail: `Internal error (request id ${req.requestId})` }));
      return;
    }
    res.locals.scimError = scimError;
    sendError(res, scimError);
  });
  return router;
}

/** One provisioning-log entry per authenticated SCIM request, written once the response is out. */
function provisioningLog(req: Request, res: Response, services: Services, background: BackgroundWork): void {
  const started = process.hrtime.bigint();
  res.on("finish", () => {
    const scope = req.scimScope!;
    const err = res.locals.scimError as ScimError | undefined;
    const write = services.provisioningLog
      .record({
        organisationId: scope.ctx.organisationId,
        requestId: req.requestId,
        tokenId: scope.ctx.actor.id,
        tokenLabel: scope.ctx.actor.label,
        method: req.method,
        path: req.originalUrl,
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
        resourceType: scope.resource?.type ?? null,
        resourceId: scope.resource?.id ?? null,
        notes: [...scope.notes],
        scimType: err?.scimType ?? null,
        errorDetail: err?.detail ?? null,
        requestBody: ["POST", "PUT", "PATCH"].includes(req.method) ? req.body : undefined,
      })
      .catch((e: unknown) => req.log.error({ err: e }, "could not write the provisioning log"));
    void background.track(write);
  });
}
