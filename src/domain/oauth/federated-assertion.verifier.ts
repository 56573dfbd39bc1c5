import crypto from "node:crypto";
import { type JWTPayload, type JWTVerifyGetKey, createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, jwtVerify } from "jose";
import { type PublicFetch, NonPublicAddressError, publicFetch } from "../../platform/public-network";
import type { ReplayCache } from "../replay/replay-cache";
import type { FederatedCredential } from "./oauth-client.entity";
import type { OAuthSettings } from "./oauth.settings";

/** Asymmetric algorithms only: a federated assertion is never verified with a shared secret. */
const ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"];
/** Clock skew tolerated between Entra and Roster. */
export const ASSERTION_CLOCK_TOLERANCE_SECONDS = 60;
/** An assertion valid for longer than this is refused (its replay entry would have to live as long). */
const MAX_ASSERTION_LIFETIME_SECONDS = 24 * 3600;
/** The JWKS is fetched again at least this often even when every kid is known. */
const JWKS_MAX_AGE_MS = 10 * 60_000;
const JWKS_TIMEOUT_MS = 5_000;
/** Entra's JWKS is a few kilobytes. */
const JWKS_MAX_BYTES = 512 * 1024;

export type AssertionRefusal =
  | "malformed"
  | "unsupported_algorithm"
  | "unknown_key"
  | "jwks_unavailable"
  | "jwks_host_not_public"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "issued_in_future"
  | "wrong_issuer"
  | "wrong_audience"
  | "wrong_subject"
  | "wrong_tenant"
  | "invalid_claims"
  | "replayed";

export type AssertionCheck = { ok: true; claims: JWTPayload } | { ok: false; reason: AssertionRefusal };

/**
 * Verifies an Entra workload-identity assertion (RFC 7523 client assertion) against a client's
 * federated credential: signature from the configured JWKS (cached by kid, fetched again when an
 * unknown kid appears, at most once per cooldown), iss, aud, sub, tid, exp/nbf/iat, then single use
 * (a jti, or the token's hash, is claimed in the shared replay table until the assertion expires).
 */
export class FederatedAssertionVerifier {
  private readonly keySets = new Map<string, JWTVerifyGetKey>();
  /** Connects only to public addresses, checked as it connects (unless allowPrivateHosts). */
  private readonly fetchJwks: PublicFetch;

  constructor(
    private readonly replay: ReplayCache,
    private readonly settings: Pick<OAuthSettings, "jwksRefreshCooldownMs" | "allowHttpJwks">,
    /** ALLOW_PRIVATE_OUTBOUND_HOSTS (tests, development): the JWKS may be on a loopback or private host. */
    allowPrivateHosts = false,
  ) {
    this.fetchJwks = publicFetch({ allowPrivate: allowPrivateHosts, maxBytes: JWKS_MAX_BYTES });
  }

  async verify(assertion: string, credential: FederatedCredential, now = new Date()): Promise<AssertionCheck> {
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(assertion).alg;
    } catch {
      return { ok: false, reason: "malformed" };
    }
    if (!alg || !ALGORITHMS.includes(alg)) return { ok: false, reason: "unsupported_algorithm" };
    const keys = this.keySet(credential.jwksUrl);
    if (!keys) return { ok: false, reason: "jwks_unavailable" };
    let claims: JWTPayload;
    try {
      ({ payload: claims } = await jwtVerify(assertion, keys, {
        algorithms: ALGORITHMS,
        issuer: credential.issuer,
        audience: credential.audience,
        subject: credential.subject,
        clockTolerance: ASSERTION_CLOCK_TOLERANCE_SECONDS,
        currentDate: now,
        requiredClaims: ["exp", "sub", "aud", "iss"],
      }));
    } catch (err) {
      return { ok: false, reason: refusalOf(err) };
    }
    if (credential.tenantId && (typeof claims.tid !== "string" || claims.tid.toLowerCase() !== credential.tenantId.toLowerCase())) return { ok: false, reason: "wrong_tenant" };
    // jose checks iat only against a maximum age: an assertion minted for later would pass.
    if (typeof claims.iat === "number" && claims.iat > now.getTime() / 1000 + ASSERTION_CLOCK_TOLERANCE_SECONDS) return { ok: false, reason: "issued_in_future" };
    const exp = claims.exp!;
    if (exp - now.getTime() / 1000 > MAX_ASSERTION_LIFETIME_SECONDS) return { ok: false, reason: "invalid_claims" };
    // Single use, on every instance: the first claim of this assertion wins until it expires.
    const id = typeof claims.jti === "string" && claims.jti ? `jti:${claims.jti}` : `sha256:${crypto.createHash("sha256").update(assertion).digest("hex")}`;
    const key = `oauth-assertion:${crypto.createHash("sha256").update(`${credential.issuer}\n${id}`).digest("hex")}`;
    const first = await this.replay.claim(key, credential.subject, new Date((exp + ASSERTION_CLOCK_TOLERANCE_SECONDS) * 1000));
    if (!first) return { ok: false, reason: "replayed" };
    return { ok: true, claims };
  }

  /** One remote key set per JWKS URL, shared by every client that names it. */
  private keySet(jwksUrl: string): JWTVerifyGetKey | null {
    let url: URL;
    try {
      url = new URL(jwksUrl);
    } catch {
      return null;
    }
    if (url.protocol !== "https:" && !(this.settings.allowHttpJwks && url.protocol === "http:")) return null;
    let set = this.keySets.get(url.href);
    if (!set) {
      set = createRemoteJWKSet(url, {
        cooldownDuration: this.settings.jwksRefreshCooldownMs,
        cacheMaxAge: JWKS_MAX_AGE_MS,
        timeoutDuration: JWKS_TIMEOUT_MS,
        [customFetch]: this.fetchJwks,
      });
      this.keySets.set(url.href, set);
    }
    return set;
  }
}

function refusalOf(err: unknown): AssertionRefusal {
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) return "unknown_key";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (err instanceof errors.JOSEAlgNotAllowed) return "unsupported_algorithm";
  if (err instanceof errors.JWTClaimValidationFailed) {
    switch (err.claim) {
      case "iss":
        return "wrong_issuer";
      case "aud":
        return "wrong_audience";
      case "sub":
        return "wrong_subject";
      case "nbf":
      case "iat":
        return "not_yet_valid";
      default:
        return "invalid_claims";
    }
  }
  if (err instanceof NonPublicAddressError) return "jwks_host_not_public";
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || (err instanceof errors.JOSEError && /JSON Web Key Set/.test(err.message))) return "jwks_unavailable";
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid) return "malformed";
  // A network failure fetching the JWKS (connection refused, DNS).
  if (err instanceof TypeError) return "jwks_unavailable";
  return "malformed";
}
