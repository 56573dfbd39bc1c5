import type { ServerResponse } from "node:http";
import type { Services } from "../../domain/services";
import type { AccessToken } from "../../domain/tokens/access-token.entity";
import { forbidden, unauthorized } from "../protocol";
import { looksLikeJwt } from "../../domain/oauth/access-token.issuer";
import { scimAccessTokenPrincipal } from "./scim-oauth-auth";
import { type RequestLimits, setRateLimitHeaders } from "../../http/rate-limit";
import { ScimError } from "../protocol";
import type { ScimHttpRequest } from "./scim-http";
import { type ScimSettings, scimSettingsOf } from "../resources/scim-scope";

export interface ScimPrincipal {
  organisationId: string;
  /** The organisation's settings SCIM reads, with the token (and cached with it). */
  settings: ScimSettings;
  token: Pick<AccessToken, "id" | "name" | "prefix">;
}

const REALM = 'Bearer realm="roster-scim"';

/**
 * `Authorization: Bearer <scim token>`: the token decides the organisation. Secrets are only compared
 * through their SHA-256 hash (a lookup by an index, no timing to learn from). An IP that keeps
 * presenting bad tokens is locked out for the rest of the window: its further bad tokens get 429,
 * neither counted nor audited. A good token still passes from that IP: Okta and Entra call from
 * egress addresses shared by all their customers, and one customer's stale token must not stop
 * everyone else's provisioning (guessing a 256-bit secret is useless anyway).
 */
export function scimBearerAuth(services: Services, limits?: RequestLimits) {
  return async (req: ScimHttpRequest, res: ServerResponse): Promise<ScimPrincipal> => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? "");
    if (!match) {
      res.setHeader("WWW-Authenticate", REALM);
      throw unauthorized("Authorization: Bearer <SCIM token> is required");
    }
    const ip = req.ip;
    /** The error for a refused token: 429 while this IP is locked out, else `refusal` (counted, and `record`ed). */
    const refused = async (refusal: ScimError, record?: () => Promise<unknown>): Promise<ScimError> => {
      const lockout = await limits?.tokenRefused(ip);
      if (!lockout) {
        await record?.();
        return refusal;
      }
      res.removeHeader("WWW-Authenticate");
      setRateLimitHeaders(res, lockout);
      req.log.warn({ ip }, "SCIM authentication refused: too many failed attempts from this address");
      return new ScimError(429, `too many failed authentications from this address; retry in ${lockout.retryAfterSeconds} s`);
    };
    // A Roster-signed OAuth access token (a JWT) or a static SCIM token.
    if (looksLikeJwt(match[1])) {
      try {
        return await scimAccessTokenPrincipal(services, req, res, REALM, match[1]);
      } catch (err) {
        throw err instanceof ScimError && err.status === 401 ? await refused(err) : err;
      }
    }
    const check = await services.tokens.check(match[1], "scim");
    if (!check.ok) {
      res.setHeader("WWW-Authenticate", `${REALM}, error="invalid_token"`);
      req.log.warn({ reason: check.reason, tokenId: check.token?.id, organisationId: check.token?.organisationId, ip }, "SCIM authentication refused");
      const refusal = unauthorized(check.reason === "unknown" ? "the token is not valid" : check.reason === "wrong_scope" ? "this token is not a SCIM token" : `the token is ${check.reason}`);
      throw await refused(refusal, () => services.tokens.recordRefusal(check, { source: "scim", requestId: req.requestId, ip }));
    }
    if (!check.organisation.scimEnabled) throw forbidden("SCIM provisioning is disabled for this organisation");
    return { organisationId: check.organisation.id, settings: scimSettingsOf(check.organisation), token: check.token };
  };
}
