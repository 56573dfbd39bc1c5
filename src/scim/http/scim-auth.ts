import type { NextFunction, Request, Response } from "express";
import type { Services } from "../../domain/services";
import type { AccessToken } from "../../domain/tokens/access-token.entity";
import { forbidden, unauthorized } from "../protocol";

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
