import type { NextFunction, Request, Response } from "express";
import type { Services } from "../../domain/services";
import type { AccessToken } from "../../domain/tokens/access-token.entity";
import { forbidden, unauthorized } from "../protocol";
import { looksLikeJwt } from "../../domain/oauth/access-token.issuer";
import { scimAccessTokenPrincipal } from "./scim-oauth-auth";

export interface ScimPrincipal {
  organisationId: string;
  token: Pick<AccessToken, "id" | "name" | "prefix">;
}

declare module "express-serve-static-core" {
  interface Request {
    scimPrincipal?: ScimPrincipal;
  }
}

const REALM = 'Bearer realm="roster-scim"';

/** `Authorization: Bearer <scim token>`: the token decides the organisation. */
export function scimBearerAuth(services: Services) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(req.get("authorization") ?? "");
    if (!match) {
      res.setHeader("WWW-Authenticate", REALM);
      throw unauthorized("Authorization: Bearer <SCIM token> is required");
    }
    // A Roster-signed OAuth access token (a JWT) or a static SCIM token.
    if (looksLikeJwt(match[1])) {
      req.scimPrincipal = await scimAccessTokenPrincipal(services, req, res, REALM, match[1]);
      return next();
    }
    const check = await services.tokens.check(match[1], "scim");
    if (!check.ok) {
      res.setHeader("WWW-Authenticate", `${REALM}, error="invalid_token"`);
      req.log.warn({ reason: check.reason, tokenId: check.token?.id }, "SCIM authentication refused");
      throw unauthorized(check.reason === "unknown" ? "the token is not valid" : check.reason === "wrong_scope" ? "this token is not a SCIM token" : `the token is ${check.reason}`);
    }
    if (!check.organisation.scimEnabled) throw forbidden("SCIM provisioning is disabled for this organisation");
    req.scimPrincipal = { organisationId: check.organisation.id, token: check.token };
    next();
  };
}
