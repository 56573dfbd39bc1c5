import { ApolloServer } from "@apollo/server";
import { expressMiddleware } from "@as-integrations/express5";
import express, { type NextFunction, type Request, type Response, Router } from "express";
import type { Services } from "../domain/services";
import type { Principal } from "../domain/sessions/principal";
import type { Logger } from "../platform/logger";
import { type GraphqlContext, buildGraphqlContext } from "./context";
import { formatGraphqlError } from "./shared/errors";
import { DocumentStore, jitGateway } from "./shared/jit-executor";
import { queryCostPlugin } from "./shared/query-cost.plugin";
import { noStorePlugins } from "./shared/no-store.plugin";
import { introspectionForCallersOnly } from "./shared/introspection.plugin";
import { buildGraphqlSchema } from "./schema";
import { type RequestLimits, clientIp, setRateLimitHeaders } from "../http/rate-limit";
import { MAX_BODY_DEPTH, nestingDeeperThan } from "../http/json-depth";
import { NOT_UTF8, assertUtf8Body } from "../platform/utf8-body";
import type { RateLimitResult } from "../domain/rate-limits/rate-limiter";
import { isDatabaseUnavailable } from "../platform/database";

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
  /** Requests per IP (GRAPHQL_RATE_LIMIT_PER_IP) and the lockout after failed token authentications. */
  limits?: { requests: RequestLimits; perIp: number };
}

/** Callers already recognised by the limits middleware (from a locked-out address), not to resolve twice. */
const principalsResolved = new WeakMap<Request, Principal>();

/** A GraphQL-shaped 429 (RATE_LIMITED), with Retry-After. */
function tooManyRequests(res: Response, r: RateLimitResult, message: string): void {
  setRateLimitHeaders(res, r);
  res.status(429).json({ errors: [{ message: `${message}; retry in ${r.retryAfterSeconds} s`, extensions: { code: "RATE_LIMITED", retryAfterSeconds: r.retryAfterSeconds } }] });
}

export async function graphqlRoutes(
  services: Services,
  logger: Logger,
  principal: PrincipalResolver,
  options: GraphqlOptions = { publicUrl: "" },
): Promise<{ router: Router; stop: () => Promise<void> }> {
  const schema = await buildGraphqlSchema();
  // stopOnTerminationSignals: main.ts owns SIGTERM (drain, finish requests, close the pool); Apollo's own
  // handler would stop the schema under requests still in flight and re-raise the signal.
  // includeStacktraceInErrorResponses: Apollo's default adds stack traces (file paths) unless NODE_ENV
  // is production or test; error bodies never carry them, whatever the environment.
  const apollo = new ApolloServer<GraphqlContext>({
    gateway: jitGateway(schema),
    documentStore: new DocumentStore(),
    // The parser recurses per nesting level: 20,000 nested selections overflowed its stack (answered
    // 400 "Maximum call stack size exceeded"). The console's largest document is under 300 tokens.
    parseOptions: { maxTokens: MAX_DOCUMENT_TOKENS },
    // No automatic persisted queries: nothing of Roster's sends them, Apollo kept any caller's document
    // in its cache, and a hash that did not match its query (or a version other than 1) came out as a
    // logged INTERNAL_SERVER_ERROR. Now PERSISTED_QUERY_NOT_SUPPORTED.
    persistedQueries: false,
    formatError: formatGraphqlError(logger),
    includeStacktraceInErrorResponses: false,
    introspection: true,
    stopOnTerminationSignals: false,
    plugins: [...noStorePlugins(), queryCostPlugin(schema), introspectionForCallersOnly()],
  });
  await apollo.start();
  const router = Router();
  const limits = options.limits;
  if (limits) {
    router.use("/graphql", async (req, res, next) => {
      const ip = clientIp(req);
      try {
        const r = await limits.requests.hit(`graphql:ip:${ip}`, limits.perIp);
        if (r && !r.allowed) return tooManyRequests(res, r, "too many requests from this address");
        if (/^Bearer\s/i.test(req.get("authorization") ?? "")) {
          // From an address locked out for failed tokens a good token still passes (as on SCIM:
          // callers share addresses), a bad one gets 429.
          const lockout = await limits.requests.authLockout(ip);
          if (lockout) {
            const caller = await principal(req);
            if (!caller) return tooManyRequests(res, lockout, "too many failed authentications from this address");
            principalsResolved.set(req, caller);
          }
        }
      } catch (err) {
        if (!isDatabaseUnavailable(err)) throw err;
        res.setHeader("Retry-After", "5");
        res.status(503).json({ errors: [{ message: "The directory's storage (database or Redis) is unavailable; retry later", extensions: { code: "SERVICE_UNAVAILABLE" } }] });
        return;
      }
      next();
    });
  }
  router.use(
    "/graphql",
    express.json({
      limit: GRAPHQL_MAX_BODY,
      verify: (_req, _res, buf, charset) => {
        assertUtf8Body(buf, charset);
        if (nestingDeeperThan(buf, MAX_BODY_DEPTH)) throw Object.assign(new Error("too deep"), { status: 400, type: "entity.too.deep" });
      },
    }),
    expressMiddleware(apollo, {
      context: async ({ req }) => buildGraphqlContext(services, req.requestId, principalsResolved.get(req) ?? (await principal(req)), options),
    }),
  );
  router.use("/graphql", unreadableBody);
  return { router, stop: () => apollo.stop() };
}

const GRAPHQL_MAX_BODY = "1mb";

/** Tokens a GraphQL document may have (GRAPHQL_PARSE_FAILED beyond): the parser stops there. */
export const MAX_DOCUMENT_TOKENS = 2_000;

/**
 * A body express.json could not read (too large, not JSON, not UTF-8, an unsupported charset, a
 * Content-Encoding that does not decode) answered as GraphQL errors are, with its status: the app's
 * generic handler answered `{"error": "…"}` (for a gzip body that was not gzip, zlib's own message).
 * body-parser gives a decoding failure a 400 status but no type.
 */
function unreadableBody(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  const { type, status } = (err ?? {}) as { type?: unknown; status?: unknown };
  if ((typeof type !== "string" && type !== undefined) || typeof status !== "number" || status < 400 || status >= 500) return next(err);
  const [message, code] =
    type === "entity.too.large"
      ? [`the request body is larger than ${GRAPHQL_MAX_BODY.toUpperCase()}`, "PAYLOAD_TOO_LARGE"]
      : type === "entity.parse.failed"
        ? ["the request body is not valid JSON", "BAD_REQUEST"]
        : type === "entity.too.deep"
          ? [`the request body is nested more than ${MAX_BODY_DEPTH} levels deep`, "BAD_REQUEST"]
          : type === NOT_UTF8
            ? ["the request body is not valid UTF-8", "BAD_REQUEST"]
            : ["the request body could not be read", "BAD_REQUEST"];
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
}

/** `Authorization: Bearer <admin token>` → the token's organisation, acting as that token. */
export function adminTokenPrincipal(services: Services, limits?: RequestLimits): PrincipalResolver {
  return async (req) => {
    const match = /^Bearer\s+(\S+)$/i.exec(req.get("authorization") ?? "");
    if (!match) return null;
    const check = await services.tokens.check(match[1], "admin");
    if (!check.ok) {
      const ip = clientIp(req);
      // From a locked-out address the route answers 429, and the refusal is not recorded again.
      if (await limits?.tokenRefused(ip)) return null;
      // Audited in the token's organisation when the token is known; logged (never the secret) otherwise.
      req.log?.warn({ reason: check.reason, tokenId: check.token?.id, organisationId: check.token?.organisationId, ip }, "GraphQL token authentication refused");
      await services.tokens.recordRefusal(check, { source: "graphql", requestId: req.requestId, ip });
      return null;
    }
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
