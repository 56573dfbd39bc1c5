import type { ClientAuthentication } from "../domain/oauth/oauth-token.service";
import { isUtf8Form } from "../platform/utf8-body";

export const JWT_BEARER_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** Why a token request is malformed, or unauthenticated, before any credential is checked. */
export type AuthenticationProblem = { error: "invalid_request" | "invalid_client"; description: string };

/** RFC 6749 §2.3.1: the Basic credentials are form-urlencoded before being base64-encoded. */
function formDecode(s: string): string {
  return decodeURIComponent(s.replace(/\+/g, " "));
}

/**
 * Which client authentication a token request uses (RFC 6749 §2.3.1 client_secret_basic and
 * client_secret_post, RFC 7523 §2.2 a JWT client assertion); exactly one is allowed (§2.3).
 */
export function clientAuthentication(authorization: string | undefined, form: Record<string, string>): ClientAuthentication | AuthenticationProblem {
  const methods: ClientAuthentication[] = [];
  if (authorization && /^Basic\s/i.test(authorization)) {
    const credentials = Buffer.from(authorization.replace(/^Basic\s+/i, "").trim(), "base64");
    // As in the form (utf8-body.ts): bytes, or escapes, that are not UTF-8 make the request malformed.
    // Decoded, a raw byte became U+FFFD, a wrong secret audited against the client.
    if (!isUtf8Form(credentials)) return { error: "invalid_request", description: "the Basic credentials are not valid UTF-8" };
    const decoded = credentials.toString("utf8");
    const colon = decoded.indexOf(":");
    // No colon: not client_id:client_secret (§2.3.1, RFC 7617 §2's user-pass) but a malformed request
    // (§5.2 invalid_request), refused before any client is looked up, as a bare % is (it had been invalid_client).
    if (colon === -1) return { error: "invalid_request", description: "the Basic credentials are not client_id:client_secret: they have no colon" };
    if (colon === 0) return { error: "invalid_client", description: "the Basic credentials must be client_id:client_secret" };
    try {
      methods.push({ method: "client_secret_basic", clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) });
    } catch {
      // A `%` not followed by two hex digits: the request is malformed (§5.2 invalid_request), as a form
      // whose escapes are not UTF-8 is; no client was named, so none is refused (it had been invalid_client).
      return { error: "invalid_request", description: "the Basic credentials are not form-urlencoded: a % must be followed by two hex digits" };
    }
  } else if (authorization) {
    return { error: "invalid_client", description: "only Basic client authentication is accepted in the Authorization header" };
  }
  if (form.client_secret !== undefined) {
    if (!form.client_id) return { error: "invalid_request", description: "client_secret needs client_id" };
    methods.push({ method: "client_secret_post", clientId: form.client_id, secret: form.client_secret });
  }
  if (form.client_assertion !== undefined || form.client_assertion_type !== undefined) {
    if (form.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE) return { error: "invalid_client", description: `client_assertion_type must be ${JWT_BEARER_ASSERTION_TYPE}` };
    if (!form.client_assertion) return { error: "invalid_request", description: "client_assertion is required with client_assertion_type" };
    if (!form.client_id) return { error: "invalid_request", description: "client_id is required with a client assertion" };
    methods.push({ method: "client_assertion", clientId: form.client_id, assertion: form.client_assertion });
  }
  if (methods.length > 1) return { error: "invalid_request", description: "use exactly one client authentication method" };
  const auth = methods[0];
  if (!auth) return { error: "invalid_client", description: "client authentication is required (client_secret_basic, client_secret_post or a client assertion)" };
  if (form.client_id !== undefined && form.client_id !== auth.clientId) return { error: "invalid_request", description: "client_id does not match the authenticated client" };
  if (!auth.clientId) return { error: "invalid_client", description: "client_id is empty" };
  return auth;
}

export const isProblem = (x: ClientAuthentication | AuthenticationProblem): x is AuthenticationProblem => "error" in x;
