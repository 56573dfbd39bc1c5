/** How Roster acts as an OAuth 2.0 authorization server for its SCIM API (from the environment, via boot). */
export interface OAuthSettings {
  /** `iss` of every access token and of the RFC 8414 metadata: Roster's PUBLIC_URL. */
  issuer: string;
  /** Access-token lifetime: between 60 minutes and 6 hours. */
  accessTokenTtlSeconds: number;
  /** After a JWKS refresh, an unknown `kid` does not trigger another fetch of that JWKS for this long. */
  jwksRefreshCooldownMs: number;
  /** Tests and local development only: accept http:// JWKS URLs for federated credentials. */
  allowHttpJwks: boolean;
}

export const MIN_ACCESS_TOKEN_TTL_SECONDS = 60 * 60;
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 6 * 60 * 60;

export const defaultOAuthSettings: OAuthSettings = {
  issuer: "http://localhost:4000",
  accessTokenTtlSeconds: MIN_ACCESS_TOKEN_TTL_SECONDS,
  jwksRefreshCooldownMs: 30_000,
  allowHttpJwks: false,
};

/** The audience of Roster's access tokens: the SCIM base URL. */
export const scimAudience = (issuer: string): string => `${issuer}/scim/v2`;

export const oauthEndpoints = (issuer: string) => ({
  issuer,
  tokenUrl: `${issuer}/oauth/token`,
  jwksUrl: `${issuer}/.well-known/jwks.json`,
  metadataUrl: `${issuer}/.well-known/oauth-authorization-server`,
  scimUrl: scimAudience(issuer),
});

/** The scopes an OAuth client of the SCIM API can hold: `scim` (everything) or `scim:read` (GET and searches). */
export const oauthScopes = ["scim", "scim:read"] as const;
export type OAuthScope = (typeof oauthScopes)[number];

export const isOAuthScope = (s: string): s is OAuthScope => (oauthScopes as readonly string[]).includes(s);

/** Whether holding `granted` allows requesting `requested` (`scim` includes `scim:read`). */
export function scopeCovers(granted: OAuthScope, requested: OAuthScope): boolean {
  return granted === requested || (granted === "scim" && requested === "scim:read");
}

/** What a space-separated scope string lets a SCIM caller do. */
export function scimAccess(scope: string): "full" | "read" | "none" {
  const scopes = scope.split(" ");
  if (scopes.includes("scim")) return "full";
  if (scopes.includes("scim:read")) return "read";
  return "none";
}
