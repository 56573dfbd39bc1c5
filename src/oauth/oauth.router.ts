import express, { type NextFunction, type Request, type Response, Router } from "express";
import type { AppConfig } from "../config/config";
import { oauthClientLabel, type TokenGrant, type TokenRefusalReason } from "../domain/oauth/oauth-token.service";
import { oauthEndpoints, oauthScopes } from "../domain/oauth/oauth.settings";
import type { Services } from "../domain/services";
import { assertNever } from "../domain/shared/domain-error";
import { isDatabaseUnavailable } from "../platform/database";
import { NOT_UTF8, assertUtf8Form } from "../platform/utf8-body";
import { clientAuthentication, isProblem } from "./client-authentication";

/** RFC 6749 §5.2 error codes (plus 429/503 answers, which §5.2 does not name). */
type OAuthErrorCode = "invalid_request" | "invalid_client" | "invalid_grant" | "unauthorized_client" | "unsupported_grant_type" | "invalid_scope" | "temporarily_unavailable" | "server_error";

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly code: OAuthErrorCode,
    readonly description: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
  }
}

/** invalid_client is a 401 with a challenge (RFC 6749 §5.2, RFC 7235 §3.1). */
const invalidClient = (description: string) => new OAuthError(401, "invalid_client", description, { "WWW-Authenticate": 'Basic realm="roster", charset="UTF-8"' });

/** What the client is told: never which of its credentials failed, so nothing can be enumerated (the audit trail has the reason). */
function refusalError(reason: TokenRefusalReason): OAuthError {
  switch (reason) {
    case "unknown_client":
    case "revoked_client":
    case "wrong_secret":
    case "expired_secret":
      return invalidClient("client authentication failed");
    case "no_federated_credential":
    case "assertion_refused":
      return invalidClient("the client assertion was refused");
    case "unknown_scope":
      return new OAuthError(400, "invalid_scope", `the scope is unknown; valid scopes: ${oauthScopes.join(", ")}`);
    case "scope_not_allowed":
      return new OAuthError(400, "invalid_scope", "the requested scope exceeds the scope granted to this client");
    default:
      return assertNever(reason);
  }
}

const SIGNING_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];

/** The OAuth 2.0 authorization server of the SCIM API: token endpoint (client credentials), JWKS, RFC 8414 metadata. */
export function oauthRouter(services: Services, config: AppConfig): Router {
  const router = Router();
  const endpoints = oauthEndpoints(config.publicUrl);
  const limit = config.oauth.tokenRateLimit;

  router.get("/.well-known/oauth-authorization-server", (_req, res) => {
    res.set("Cache-Control", "public, max-age=3600").json({
      issuer: endpoints.issuer,
      token_endpoint: endpoints.tokenUrl,
      jwks_uri: endpoints.jwksUrl,
      grant_types_supported: ["client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
      token_endpoint_auth_signing_alg_values_supported: SIGNING_ALGORITHMS,
      scopes_supported: [...oauthScopes],
      response_types_supported: [],
    });
  });

  router.get("/.well-known/jwks.json", async (_req, res) => {
    const jwks = await services.accessTokens.jwks();
    // Short: a new key appears on rotation, and verifiers fetch again on an unknown kid anyway.
    res.set("Cache-Control", "public, max-age=300").type("application/jwk-set+json").send(JSON.stringify(jwks));
  });

  router.post(
    "/oauth/token",
    (req, res, next) => {
      res.set({ "Cache-Control": "no-store", Pragma: "no-cache" });
      if (!req.is("application/x-www-form-urlencoded")) throw new OAuthError(400, "invalid_request", "the token request must be application/x-www-form-urlencoded");
      next();
    },
    // A value whose escapes are not UTF-8 (`client_secret=%FF`) was left undecoded by the parser and
    // compared as those characters: refused as malformed instead (RFC 6749 §5.2, §B: the form is UTF-8).
    express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 50, verify: (_req, _res, buf, charset) => assertUtf8Form(buf, charset) }),
    async (req, res) => {
      const started = process.hrtime.bigint();
      const ip = req.ip ?? req.socket.remoteAddress ?? "unknown";
      await rateLimit(`oauth-token:ip:${ip}`);

      const form: Record<string, string> = {};
      for (const [k, v] of Object.entries((req.body ?? {}) as Record<string, unknown>)) {
        // RFC 6749 §3.2: parameters must not be repeated; empty values count as absent.
        if (typeof v !== "string") throw new OAuthError(400, "invalid_request", `the parameter ${k} is repeated`);
        if (v !== "") form[k] = v;
      }
      if (!form.grant_type) throw new OAuthError(400, "invalid_request", "grant_type is required");
      if (form.grant_type !== "client_credentials") throw new OAuthError(400, "unsupported_grant_type", "only grant_type=client_credentials is supported");
      const auth = clientAuthentication(req.get("authorization"), form);
      if (isProblem(auth)) throw auth.error === "invalid_client" ? invalidClient(auth.description) : new OAuthError(400, auth.error, auth.description);
      // Per client, counted once the client has authenticated: counted before, failed attempts by
      // anyone who knows a client_id (it is not secret) locked that client out.
      const onAuthenticated = (client: { id: string }) => rateLimit(`oauth-token:client:${client.id}`);
      const grant = await services.oauthTokens.grant({ auth, scope: form.scope, requestId: req.requestId, onAuthenticated });
      const error = grant.ok ? null : refusalError(grant.reason);
      if (!grant.ok) {
        const fields = { clientId: auth.clientId.slice(0, 64), ip, method: auth.method, reason: grant.reason, assertion: grant.assertion };
        if (!grant.client) req.log.warn(fields, "token request from an unknown OAuth client");
        else req.log.info({ ...fields, organisationId: grant.client.organisationId }, "token request refused");
      }
      res.on("finish", () => logTokenRequest(req, res, grant, error, started));
      if (error) throw error;
      if (!grant.ok) return;
      res.status(200).json({ access_token: grant.token.accessToken, token_type: grant.token.tokenType, expires_in: grant.token.expiresIn, scope: grant.token.scope });
    },
  );
  router.all("/oauth/token", (_req, res) => {
    res.set("Allow", "POST");
    throw new OAuthError(405, "invalid_request", "the token endpoint accepts POST only");
  });

  router.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith("/oauth/") && !req.path.startsWith("/.well-known/")) return next(err);
    let e: OAuthError;
    if (err instanceof OAuthError) e = err;
    else if ((err as { type?: unknown })?.type === NOT_UTF8) e = new OAuthError(400, "invalid_request", "the token request body is not valid UTF-8");
    // Any body the parser refused (too large, malformed, an unknown or broken Content-Encoding, a bad charset).
    else if (isClientError(err)) e = new OAuthError(400, "invalid_request", "the token request body could not be read");
    else if (isDatabaseUnavailable(err)) e = new OAuthError(503, "temporarily_unavailable", "the directory's storage (database or Redis) is unavailable; retry later", { "Retry-After": "5" });
    else {
      req.log.error({ err }, "unexpected error at the OAuth endpoints");
      e = new OAuthError(500, "server_error", `internal error (request id ${req.requestId})`);
    }
    res.set({ "Cache-Control": "no-store", Pragma: "no-cache", ...e.headers });
    res.status(e.status).json({ error: e.code, error_description: e.description });
  });
  return router;

  async function rateLimit(key: string): Promise<void> {
    const r = await services.rateLimiter.hit(key, limit);
    if (!r.allowed) {
      throw new OAuthError(429, "temporarily_unavailable", `too many token requests; retry in ${r.retryAfterSeconds} s`, {
        "Retry-After": String(r.retryAfterSeconds),
        "RateLimit-Limit": String(r.limit),
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": String(r.retryAfterSeconds),
      });
    }
  }

  /** The token request in the client's provisioning log, beside the SCIM requests made with the token. */
  function logTokenRequest(req: Request, res: Response, grant: TokenGrant, error: OAuthError | null, started: bigint): void {
    if (!grant.client) return;
    const notes = [grant.ok ? `granted scope "${grant.token.scope}"` : `refused: ${grant.reason}${grant.assertion ? ` (${grant.assertion})` : ""}`];
    services.provisioningLog
      .record({
        organisationId: grant.client.organisationId,
        requestId: req.requestId,
        tokenId: grant.client.id,
        tokenLabel: oauthClientLabel(grant.client),
        method: "POST",
        path: req.originalUrl,
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e6),
        resourceType: null,
        resourceId: null,
        notes,
        scimType: null,
        errorDetail: error ? `${error.code}: ${error.description}` : null,
        requestBody: undefined,
      })
      .catch((e: unknown) => req.log.error({ err: e }, "could not write the provisioning log"));
  }
}

/** body-parser's refusals carry a 4xx status (400, 413, 415). */
const isClientError = (err: unknown): boolean => {
  const status = (err as { status?: unknown })?.status;
  return typeof status === "number" && status >= 400 && status < 500;
};
