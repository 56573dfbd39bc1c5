import type { ServerResponse } from "node:http";
import { scimAccess } from "../../domain/oauth/oauth.settings";
import type { Services } from "../../domain/services";
import { forbidden, unauthorized } from "../protocol";
import type { ScimPrincipal } from "./scim-auth";
import { scimSettingsOf } from "../resources/scim-scope";
import type { ScimHttpRequest } from "./scim-http";

/** Methods a `scim:read` token may use: reads, and the searches that are POSTs only by their shape. */
const isRead = (req: ScimHttpRequest) => req.method === "GET" || req.method === "HEAD" || (req.method === "POST" && /^\/(Users\/|Groups\/)?\.search$/i.test(req.path));

/**
 * `Authorization: Bearer <access token>` issued by Roster's /oauth/token (RFC 9068 JWT): signature,
 * issuer, audience, lifetime and the client (revoked → refused at once). The principal is the OAuth
 * client: its name labels the audit trail and the provisioning log.
 */
export async function scimAccessTokenPrincipal(services: Services, req: ScimHttpRequest, res: ServerResponse, challenge: string, jwt: string): Promise<ScimPrincipal> {
  const check = await services.accessTokens.verify(jwt);
  if (!check.ok) {
    res.setHeader("WWW-Authenticate", `${challenge}, error="invalid_token"`);
    req.log.warn({ reason: check.reason, clientId: check.clientId }, "SCIM authentication refused (OAuth access token)");
    throw unauthorized(`the access token is not valid (${check.reason.replace(/_/g, " ")})`);
  }
  const access = scimAccess(check.scope);
  if (access === "none" || (access === "read" && !isRead(req))) {
    res.setHeader("WWW-Authenticate", `${challenge}, error="insufficient_scope", scope="scim"`);
    throw forbidden(access === "none" ? "this access token has no SCIM scope" : "this access token has the scope scim:read: it may only read and search");
  }
  if (!check.organisation.scimEnabled) throw forbidden("SCIM provisioning is disabled for this organisation");
  return { organisationId: check.organisation.id, settings: scimSettingsOf(check.organisation), token: { id: check.client.id, name: check.client.name, prefix: check.client.clientId.slice(0, 12) } };
}
