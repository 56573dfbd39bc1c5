import crypto from "node:crypto";
import { type CryptoKey, type JWK, SignJWT, decodeProtectedHeader, errors, exportJWK, generateKeyPair, importJWK, jwtVerify } from "jose";
import { LessThan, MoreThan } from "typeorm";
import type { Database } from "../../platform/database";
import type { Organisation } from "../organisations/organisation.entity";
import type { AuthenticatingClient, OAuthClientService } from "./oauth-client.service";
import type { FederatedCredential, OAuthClient } from "./oauth-client.entity";
import { MAX_ACCESS_TOKEN_TTL_SECONDS, type OAuthSettings, scimAudience } from "./oauth.settings";
import { SigningKey } from "./signing-key.entity";
import { DEFAULT_TOKEN_CACHE_MS } from "../tokens/token.service";
import { TrustedChecks } from "../shared/trusted-checks";

/** ES256: small keys and signatures; every JOSE library verifies it. */
const ALGORITHM = "ES256";
/** RFC 9068: the JWT profile for OAuth 2.0 access tokens. */
const ACCESS_TOKEN_TYPE = "at+jwt";
/** A key signs for 30 days, then stays published until the last token it signed has expired. */
export const SIGNING_KEY_ACTIVE_MS = 30 * 86_400_000;
const SIGNING_KEY_GRACE_MS = MAX_ACCESS_TOKEN_TTL_SECONDS * 1000 + 5 * 60_000;
/** Clock skew tolerated between Roster instances. */
const CLOCK_TOLERANCE_SECONDS = 30;

export interface IssuedAccessToken {
  accessToken: string;
  tokenType: "Bearer";
  expiresIn: number;
  scope: string;
  jti: string;
  kid: string;
}

export type AccessTokenRefusal =
  | "malformed"
  | "unknown_key"
  | "bad_signature"
  | "expired"
  | "not_yet_valid"
  | "wrong_issuer"
  | "wrong_audience"
  | "invalid_claims"
  | "unknown_client"
  | "revoked_client"
  | "revoked_credential";

/** An accepted access token: its client (with its organisation), scope, id and expiry (`exp`, seconds). */
export type AccessTokenAccepted = { ok: true; client: OAuthClient; organisation: Organisation; scope: string; jti: string; expiresAt: number };

export type AccessTokenCheck = AccessTokenAccepted | { ok: false; reason: AccessTokenRefusal; clientId?: string };


/** The credential a client authenticated with when it got a token: one of its secrets, or its federated credential. */
export type IssuedWith = { secretId: string } | { federation: FederatedCredential };

/**
 * Identifies a federated credential by its settings: replacing it (another issuer, subject, audience,
 * tenant or JWKS URL) or removing it ends the tokens it obtained; configuring the same again does not.
 */
export function federationFingerprint(f: FederatedCredential): string {
  return crypto.createHash("sha256").update(JSON.stringify([f.issuer, f.jwksUrl, f.subject, f.audience, f.tenantId])).digest("base64url").slice(0, 22);
}

/** The `cred` claim: `secret:<secret id>` or `federation:<fingerprint>`. */
const credentialClaim = (w: IssuedWith): string => ("secretId" in w ? `secret:${w.secretId}` : `federation:${federationFingerprint(w.federation)}`);

/**
 * Whether the credential a token names still exists. A token without the claim predates it: it is
 * accepted until it expires (at most the access-token lifetime), as before.
 */
function credentialExists(cred: string | undefined, client: AuthenticatingClient): boolean {
  if (cred === undefined) return true;
  if (cred.startsWith("secret:")) return !!client.secret;
  if (cred.startsWith("federation:")) return !!client.federation && cred === `federation:${federationFingerprint(client.federation)}`;
  return false;
}

/** Does a bearer credential look like a JWT (three base64url parts) rather than a static token? */
export const looksLikeJwt = (token: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

/**
 * Signs Roster's access tokens (JWT, RFC 9068) with keys kept in the database, so that every
 * instance signs and verifies alike; verifies them for the SCIM API, client revocation included.
 */
export class AccessTokenIssuer {
  /** Imported keys by kid: key material never changes, so this cache can never be stale. */
  private readonly imported = new Map<string, CryptoKey>();
  private creating: Promise<SigningKey> | undefined;
  /** Accepted tokens, trusted for TOKEN_CACHE_SECONDS (as static tokens are) and never past their expiry. */
  private readonly checked: TrustedChecks<AccessTokenCheck>;

  constructor(
    private readonly db: Database,
    private readonly clients: OAuthClientService,
    private readonly settings: Pick<OAuthSettings, "issuer" | "accessTokenTtlSeconds">,
    cacheMs = DEFAULT_TOKEN_CACHE_MS,
  ) {
    this.checked = new TrustedChecks(cacheMs);
  }

  /** Forgets the accepted tokens of one client (by its public id), or of every client of an organisation. */
  forget(match: { clientId?: string; organisationId?: string }): void {
    this.checked.forget((check) => check.ok && (check.client.clientId === match.clientId || check.client.organisationId === match.organisationId));
  }

  get audience(): string {
    return scimAudience(this.settings.issuer);
  }

  async issue(client: OAuthClient, scope: string, issuedWith: IssuedWith, now = new Date()): Promise<IssuedAccessToken> {
    const key = await this.activeKey(now);
    const iat = Math.floor(now.getTime() / 1000);
    const jti = crypto.randomUUID();
    const ttl = this.settings.accessTokenTtlSeconds;
    const accessToken = await new SignJWT({ org: client.organisationId, scope, client_id: client.clientId, cred: credentialClaim(issuedWith) })
      .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: ACCESS_TOKEN_TYPE })
      .setIssuer(this.settings.issuer)
      .setAudience(this.audience)
      .setSubject(client.clientId)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + ttl)
      .setJti(jti)
      .sign(await this.privateKey(key));
    return { accessToken, tokenType: "Bearer", expiresIn: ttl, scope, jti, kid: key.kid };
  }

  /**
   * Signature by kid, typ, iss, aud, exp/nbf, then the client and the credential the token was issued
   * with, read in one query. An accepted token is trusted for `cacheMs` without checking it again
   * (every SCIM request of an OAuth client presents one, and its full check cost three times a
   * lookup): a revoked client or a removed secret or federated credential (it leaked) ends its tokens
   * at once on the instance that removed it, and within `cacheMs` on the others.
   */
  verify(token: string): Promise<AccessTokenCheck> {
    // Refusals are not kept (only tokens Roster signed, for live clients, are).
    return this.checked.remember(token, () => this.verifyNow(token), (check) => (check.ok ? (check.expiresAt + CLOCK_TOLERANCE_SECONDS) * 1000 : null));
  }

  private async verifyNow(token: string): Promise<AccessTokenCheck> {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return { ok: false, reason: "malformed" };
    }
    if (typeof kid !== "string" || !kid || kid.length > 64) return { ok: false, reason: "unknown_key" };
    const key = await this.db.manager().getRepository(SigningKey).findOneBy({ kid, expiresAt: MoreThan(new Date()) });
    if (!key) return { ok: false, reason: "unknown_key" };
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, await this.publicKey(key), {
        algorithms: [key.algorithm],
        typ: ACCESS_TOKEN_TYPE,
        issuer: this.settings.issuer,
        audience: this.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ["exp", "iat", "jti", "sub", "org", "scope"],
      }));
    } catch (err) {
      return { ok: false, reason: refusalOf(err) };
    }
    const { sub, org, scope, jti, cred, exp } = payload;
    if (typeof sub !== "string" || typeof org !== "string" || typeof scope !== "string" || typeof jti !== "string" || typeof exp !== "number") return { ok: false, reason: "invalid_claims" };
    if (cred !== undefined && typeof cred !== "string") return { ok: false, reason: "invalid_claims" };
    const client = await this.clients.findForAuthentication(sub, cred?.startsWith("secret:") ? cred.slice("secret:".length) : undefined);
    if (!client) return { ok: false, reason: "unknown_client", clientId: sub };
    if (client.organisationId !== org) return { ok: false, reason: "invalid_claims", clientId: sub };
    if (client.revokedAt) return { ok: false, reason: "revoked_client", clientId: sub };
    if (!credentialExists(cred, client)) return { ok: false, reason: "revoked_credential", clientId: sub };
    return { ok: true, client, organisation: client.organisation, scope, jti, expiresAt: exp };
  }

  /** The public keys that verify live tokens (RFC 7517), for `/.well-known/jwks.json`. */
  async jwks(now = new Date()): Promise<{ keys: JWK[] }> {
    await this.activeKey(now);
    const keys = await this.db.manager().getRepository(SigningKey).find({ where: { expiresAt: MoreThan(now) }, order: { createdAt: "DESC", kid: "ASC" } });
    return { keys: keys.map((k) => JSON.parse(k.publicJwk) as JWK) };
  }

  /** Retires the signing key now (it keeps verifying the tokens it signed until they expire) and makes a new one. */
  async rotate(now = new Date()): Promise<SigningKey> {
    await this.db.transaction({}, (tx) =>
      tx.manager
        .getRepository(SigningKey)
        .createQueryBuilder()
        .update()
        .set({ activeUntil: now })
        .where("activeUntil > :now", { now })
        .execute(),
    );
    return this.createKey(now);
  }

  /** The newest key still allowed to sign; created on demand (first use, or 30 days after the last one). */
  private async activeKey(now: Date): Promise<SigningKey> {
    const current = await this.db.manager().getRepository(SigningKey).findOne({ where: { activeUntil: MoreThan(now) }, order: { createdAt: "DESC", kid: "ASC" } });
    if (current) return current;
    // One creation per instance at a time; two instances may still both create one at the same moment:
    // both keys are valid and published, and the newer signs.
    this.creating ??= this.createKey(now).finally(() => {
      this.creating = undefined;
    });
    return this.creating;
  }

  private async createKey(now: Date): Promise<SigningKey> {
    const { publicKey, privateKey } = await generateKeyPair(ALGORITHM, { extractable: true });
    const kid = crypto.randomBytes(12).toString("base64url");
    const activeUntil = new Date(now.getTime() + SIGNING_KEY_ACTIVE_MS);
    const key: SigningKey = {
      kid,
      algorithm: ALGORITHM,
      privateJwk: JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: ALGORITHM }),
      publicJwk: JSON.stringify({ ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: "sig" }),
      createdAt: now,
      activeUntil,
      expiresAt: new Date(activeUntil.getTime() + SIGNING_KEY_GRACE_MS),
    };
    await this.db.transaction({}, async (tx) => {
      // Keys past their expiry verify nothing any more: they go, private key and all (kept for good
      // before, a key pair a month in every deployment's database).
      await tx.manager.getRepository(SigningKey).delete({ expiresAt: LessThan(now) });
      await tx.manager.getRepository(SigningKey).insert(key);
    });
    this.imported.set(`private:${kid}`, privateKey);
    return key;
  }

  private async privateKey(key: SigningKey): Promise<CryptoKey> {
    return this.importOnce(`private:${key.kid}`, key.privateJwk, key.algorithm);
  }

  private async publicKey(key: SigningKey): Promise<CryptoKey> {
    return this.importOnce(`public:${key.kid}`, key.publicJwk, key.algorithm);
  }

  private async importOnce(cacheKey: string, jwk: string, alg: string): Promise<CryptoKey> {
    const cached = this.imported.get(cacheKey);
    if (cached) return cached;
    const key = (await importJWK(JSON.parse(jwk) as JWK, alg)) as CryptoKey;
    this.imported.set(cacheKey, key);
    return key;
  }
}

function refusalOf(err: unknown): AccessTokenRefusal {
  if (err instanceof errors.JWTExpired) return "expired";
  if (err instanceof errors.JWSSignatureVerificationFailed) return "bad_signature";
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === "iss") return "wrong_issuer";
    if (err.claim === "aud") return "wrong_audience";
    if (err.claim === "nbf" || err.claim === "iat") return "not_yet_valid";
    return "invalid_claims";
  }
  return "malformed";
}
