import type { IncomingMessage, ServerResponse } from "node:http";
import querystring from "node:querystring";
import type { AppConfig } from "../../config/config";
import type { Services } from "../../domain/services";
import { RequestLimits, setRateLimitHeaders } from "../../http/rate-limit";
import { type RequestContext, beginRequest } from "../../http/request-context.middleware";
import { BackgroundWork } from "../../platform/background";
import { isLockConflict, retryingDeadlocks } from "../../platform/database";
import type { Logger } from "../../platform/logger";
import { ScimError, notFound, notImplemented } from "../protocol";
import { type BulkLog, type Dispatch, runBulk } from "../resources/bulk.scim-handler";
import { getResourceTypes, getSchemas, getServiceProviderConfig } from "../resources/discovery.scim-handlers";
import { asScimError, retryLaterScimError } from "../resources/domain-errors";
import { createGroup, deleteGroup, getGroup, listGroups, patchGroup, replaceGroup } from "../resources/groups/groups.scim-handlers";
import type { ScimScope } from "../resources/scim-scope";
import type { ScimRequest, ScimResponse } from "../resources/scim-response";
import { searchAll, searchParams } from "../resources/search.scim-handlers";
import { createUser, deleteUser, getUser, listUsers, patchUser, replaceUser } from "../resources/users/users.scim-handlers";
import { loggedBody, loggedTarget } from "./logged-request";
import { scimBearerAuth } from "./scim-auth";
import { type ScimHttpRequest, isJsonType, jsonBodyReader, sendInternalError, sendScim, sendScimError } from "./scim-http";

/** The SCIM base below the public URL; matched case-insensitively, as the rest of the path. */
export const SCIM_BASE = "/scim/v2";
const UNDER_SCIM_BASE = /^\/scim\/v2(?=\/|\?|$)/i;

/** Whether a request target is SCIM's (the app hands those to `scimHandler`, everything else to Express). */
export const isScimRequest = (url: string | undefined): boolean => UNDER_SCIM_BASE.test(url ?? "");

/** What a handler may need of the HTTP request beyond the SCIM request: /Bulk's size limit and its log. */
interface HttpDetails {
  bodyBytes: number;
  /** The request's child logger, made when first read (reading it costs a pino child). */
  readonly log: Logger;
}

type Handle = (scope: ScimScope, req: ScimRequest, http: HttpDetails) => Promise<ScimResponse> | ScimResponse;

interface Route {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** Below the SCIM base; `:id` is one path segment, handed to the handler decoded. */
  path: string;
  handle: Handle;
}

/** Every SCIM endpoint: the HTTP adapter and /Bulk dispatch through this one table. */
export const SCIM_ROUTES: readonly Route[] = [
  { method: "GET", path: "/ServiceProviderConfig", handle: (s) => getServiceProviderConfig(s) },
  { method: "GET", path: "/ResourceTypes", handle: (s) => getResourceTypes(s) },
  { method: "GET", path: "/ResourceTypes/:id", handle: (s, r) => getResourceTypes(s, r.id) },
  { method: "GET", path: "/Schemas", handle: (s) => getSchemas(s) },
  { method: "GET", path: "/Schemas/:id", handle: (s, r) => getSchemas(s, r.id) },

  { method: "GET", path: "/Users", handle: (s, r) => listUsers(s, r.query) },
  { method: "POST", path: "/Users/.search", handle: (s, r) => listUsers(s, searchParams(r.body)) },
  { method: "POST", path: "/Users", handle: createUser },
  { method: "GET", path: "/Users/:id", handle: getUser },
  { method: "PUT", path: "/Users/:id", handle: replaceUser },
  { method: "PATCH", path: "/Users/:id", handle: patchUser },
  { method: "DELETE", path: "/Users/:id", handle: deleteUser },

  { method: "GET", path: "/Groups", handle: (s, r) => listGroups(s, r.query) },
  { method: "POST", path: "/Groups/.search", handle: (s, r) => listGroups(s, searchParams(r.body)) },
  { method: "POST", path: "/Groups", handle: createGroup },
  { method: "GET", path: "/Groups/:id", handle: getGroup },
  { method: "PUT", path: "/Groups/:id", handle: replaceGroup },
  { method: "PATCH", path: "/Groups/:id", handle: patchGroup },
  { method: "DELETE", path: "/Groups/:id", handle: deleteGroup },

  { method: "POST", path: "/.search", handle: (s, r) => searchAll(s, r.body) },
  { method: "POST", path: "/Bulk", handle: (s, r, http) => runBulk(s, r.body, http.bodyBytes, bulkDispatch(http), bulkLog(http)) },
];

/** The writes a /Bulk operation may carry (RFC 7644 §3.7: POST, PUT, PATCH, DELETE of resources). */
const BULK_WRITES = new Set(["POST /Users", "PUT /Users/:id", "PATCH /Users/:id", "DELETE /Users/:id", "POST /Groups", "PUT /Groups/:id", "PATCH /Groups/:id", "DELETE /Groups/:id"]);

/** `/Users/:id` → /^\/Users\/([^/]+)\/?$/i (a trailing slash is the same path, as Express has it). */
const patternOf = (path: string) => new RegExp(`^${path.replace(/\./g, "\\.").replace(/:id/, "([^/]+)")}/?$`, "i");

const ROUTES = SCIM_ROUTES.map((r) => ({ ...r, pattern: patternOf(r.path), bulk: BULK_WRITES.has(`${r.method} ${r.path}`) }));

/** A /Bulk operation runs the same handler as its own request would. */
function bulkDispatch(http: HttpDetails): Dispatch {
  return async (scope, req) => {
    const route = ROUTES.find((r) => r.bulk && r.method === req.method && r.pattern.test(req.path));
    if (!route) throw notFound(`no ${req.method} ${req.path} in a bulk request`);
    return handleRetryingDeadlocks(route, scope, { ...req, id: route.pattern.exec(req.path)?.[1] }, http);
  };
}

/** A Bulk's log lines: operations' unexpected errors, and those the database refused for now (503), once per Bulk. */
function bulkLog(http: HttpDetails): BulkLog {
  return {
    unexpected: (err) => http.log.error({ err }, "unexpected error in a bulk operation"),
    refusedForNow: (err, count, firstIndex) => http.log.warn({ err, count, firstIndex }, `${count} operation(s) of a /Bulk answered 503: the database refused them for now (the first one's error)`),
  };
}

/** A handler whose transaction lost a deadlock runs again before the client sees a 503 (handlers never change their request). */
function handleRetryingDeadlocks(route: Route, scope: ScimScope, req: ScimRequest, http: HttpDetails): Promise<ScimResponse> {
  return retryingDeadlocks(
    async () => route.handle(scope, req, http),
    (_err, retry) => http.log.info({ retry }, `SCIM ${req.method} ${route.path}: a deadlock rolled the transaction back; running it again`),
  );
}

/** Known paths with another method answer 405 with Allow. */
const ALLOWED = [...new Set(ROUTES.map((r) => r.pattern.source))].map((source) => {
  const pattern = new RegExp(source, "i");
  return { pattern, allow: ROUTES.filter((r) => r.pattern.source === source).map((r) => r.method).join(", ") };
});

/** RFC 7644 §3.11: /Me is optional; a provider that does not support it answers 501. */
const ME = /^\/Me(\/|$)/i;

function routeOf(method: string, path: string): { route: (typeof ROUTES)[number]; id?: string } {
  // HEAD is a GET without its body (node:http leaves the body out).
  const m = method === "HEAD" ? "GET" : method;
  for (const route of ROUTES) {
    if (route.method !== m) continue;
    const match = route.pattern.exec(path);
    if (!match) continue;
    let id: string | undefined;
    if (match[1] !== undefined) {
      try {
        id = decodeURIComponent(match[1]);
      } catch {
        throw notFound(`no resource ${match[1]}: the id is not valid percent-encoding`);
      }
    }
    return { route, id };
  }
  if (ME.test(path)) throw notImplemented("/Me is not supported: Roster's SCIM clients are provisioning services, not end users");
  const allow = ALLOWED.find((a) => a.pattern.test(path))?.allow;
  if (allow) throw Object.assign(new ScimError(405, `${method} is not supported on ${path}; allowed: ${allow}`), { allow });
  throw notFound(`no SCIM endpoint at ${path}`);
}

export interface ScimHandlerDeps {
  services: Services;
  config: AppConfig;
  logger: Logger;
  /** The client's address through TRUST_PROXY (the app resolves it as Express does). */
  clientIp: (req: IncomingMessage) => string;
  /** Work left running after a response (provisioning-log writes): the app's stop() waits for it. */
  background?: BackgroundWork;
}

/**
 * The SCIM 2.0 service provider (RFC 7643/7644) under /scim/v2, on node:http without Express: it is
 * the API an IdP calls tens of thousands of times in a cycle, and Express's request chain cost about
 * a fifth of a millisecond of CPU a request (a third of a user lookup's time in Node).
 */
export function scimHandler(deps: ScimHandlerDeps): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { services, config } = deps;
  const background = deps.background ?? new BackgroundWork();
  const baseUrl = `${config.publicUrl}${SCIM_BASE}`;
  const limits = {
    maxResults: config.scim.maxResults,
    maxPayloadBytes: config.scim.maxPayloadBytes,
    maxBulkOperations: 1000,
    maxPatchOperations: 1000,
    maxFilterLength: 4096,
    maxFilterDepth: 32,
    membersInMemory: config.scim.membersInMemory,
  };
  // Rate limits (shared by all instances through the database): per client IP first, before the
  // body is even read; per token once the token is known (that 429 is in the provisioning log).
  const requestLimits = new RequestLimits(services.rateLimiter, config.rateLimits);
  const authenticate = scimBearerAuth(services, requestLimits);
  const readJsonBody = jsonBodyReader(config.scim.maxPayloadBytes);

  return async (raw, res) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    const context = beginRequest(deps.logger, raw, res);
    try {
      await answer(raw, res, context);
    } catch (err) {
      // What escaped the error path of `answer` (an error the logger could not write, an answer that
      // could not be sent) is still this request's: logged with its id, answered with it if possible.
      context.log.error({ err }, "unhandled error in a SCIM request");
      if (res.headersSent) res.destroy();
      else sendInternalError(res, context.requestId);
    }
  };

  async function answer(raw: IncomingMessage, res: ServerResponse, context: RequestContext): Promise<void> {
    const url = raw.url ?? "/";
    const queryAt = url.indexOf("?");
    const req: ScimHttpRequest = {
      method: raw.method ?? "GET",
      url,
      // A base URL entered with a trailing slash (…/scim/v2/) reaches here as //Users: the same path.
      path: (queryAt < 0 ? url : url.slice(0, queryAt)).replace(UNDER_SCIM_BASE, "").replace(/^\/{2,}/, "/") || "/",
      headers: raw.headers,
      ip: deps.clientIp(raw),
      requestId: context.requestId,
      get log() {
        return context.log;
      },
    };
    let body: unknown;
    // The body as read, for the provisioning-log entry (written once the response is out).
    const read: { body?: unknown } = {};
    // The SCIM error answered, for the provisioning-log entry.
    const outcome: { error?: ScimError } = {};
    try {
      const perIp = await requestLimits.hit(`scim:ip:${req.ip}`, config.rateLimits.scimPerIp);
      if (perIp && !perIp.allowed) {
        setRateLimitHeaders(res, perIp);
        req.log.warn({ ip: req.ip, limit: perIp.limit }, "SCIM rate limit per IP reached");
        throw new ScimError(429, `too many requests from this address; retry in ${perIp.retryAfterSeconds} s`);
      }
      // The caller first (headers only), then the body: a body refused (413, 415, bad JSON) is then
      // in the organisation's provisioning log like any other answer.
      const principal = await authenticate(req, res);
      const scope: ScimScope = {
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
        settings: principal.settings,
        notes: new Set(),
      };
      provisioningLog(req, res, scope, services, background, read, outcome);
      const type = req.headers["content-type"];
      let bodyBytes = 0;
      if (req.headers["content-length"] !== "0" && isJsonType(type)) ({ body, bytes: bodyBytes } = await readJsonBody(raw, res));
      else {
        raw.resume();
        if (["POST", "PUT", "PATCH"].includes(req.method) && type && Number(req.headers["content-length"] ?? 1) > 0) {
          throw new ScimError(415, `unsupported Content-Type ${JSON.stringify(type)}: send application/scim+json`);
        }
      }
      read.body = body;
      const perToken = await requestLimits.hit(`scim:token:${principal.token.id}`, config.rateLimits.scimPerToken);
      if (perToken && !perToken.allowed) {
        setRateLimitHeaders(res, perToken);
        req.log.warn({ tokenId: principal.token.id, limit: perToken.limit }, "SCIM rate limit per token reached");
        throw new ScimError(429, `too many requests with this token (${perToken.limit} per ${config.rateLimits.windowSeconds} s); retry in ${perToken.retryAfterSeconds} s`);
      }
      const { route, id } = routeOf(req.method, req.path);
      const scimReq: ScimRequest = {
        method: req.method,
        path: req.path,
        id,
        query: queryAt < 0 ? {} : querystring.parse(url.slice(queryAt + 1)),
        body,
        ifMatch: header(req, "if-match"),
        ifNoneMatch: header(req, "if-none-match"),
      };
      // `log` stays lazy: read here, it made a pino child logger (and its redaction) for every request.
      await sendScim(res, await handleRetryingDeadlocks(route, scope, scimReq, { bodyBytes, get log() { return req.log; } }));
    } catch (err) {
      if (res.headersSent) {
        req.log.error({ err }, "error after a SCIM response was sent");
        res.destroy();
        return;
      }
      let scimError = retryLaterScimError(err);
      if (scimError) res.setHeader("Retry-After", isLockConflict(err) ? "1" : "5");
      else scimError = asScimError(err);
      if (!scimError) {
        req.log.error({ err }, "unexpected error in SCIM request");
        outcome.error = new ScimError(500, "internal error");
        sendInternalError(res, req.requestId);
        return;
      }
      const allow = (scimError as { allow?: string }).allow;
      if (allow) res.setHeader("Allow", allow);
      outcome.error = scimError;
      sendScimError(res, scimError);
    }
  }
}

const header = (req: ScimHttpRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
};

/** One provisioning-log entry per authenticated SCIM request, written once the response is out. */
function provisioningLog(req: ScimHttpRequest, res: ServerResponse, scope: ScimScope, services: Services, background: BackgroundWork, read: { body?: unknown }, outcome: { error?: ScimError }): void {
  const started = process.hrtime.bigint();
  res.on("finish", () => {
    const err = outcome.error;
    // Built inside the promise: a throw while reading the request for the log (after the response,
    // outside any request's handling) is logged, not an uncaught exception that ends the process.
    const write = Promise.resolve()
      .then(() => services.provisioningLog.record({
        organisationId: scope.ctx.organisationId,
        requestId: req.requestId,
        tokenId: scope.ctx.actor.id,
        tokenLabel: scope.ctx.actor.label,
        method: req.method,
        // A filter's values compared with a password are redacted in the query and in the body.
        path: loggedTarget(req.url),
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
        resourceType: scope.resource?.type ?? null,
        resourceId: scope.resource?.id ?? null,
        resources: scope.resources,
        notes: [...scope.notes],
        scimType: err?.scimType ?? null,
        errorDetail: err?.detail ?? null,
        requestBody: ["POST", "PUT", "PATCH"].includes(req.method) ? loggedBody(read.body) : undefined,
      }))
      .catch((e: unknown) => req.log.error({ err: e }, "could not write the provisioning log"));
    void background.track(write);
  });
}
