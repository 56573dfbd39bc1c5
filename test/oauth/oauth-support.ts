import crypto from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type CryptoKey, type JWK, SignJWT, exportJWK, generateKeyPair } from "jose";
import type { TestApp, TestTenant } from "../support/test-app";

export const JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

export interface TokenResponse {
  status: number;
  body: Record<string, unknown> & { access_token?: string; error?: string; error_description?: string; scope?: string; expires_in?: number; token_type?: string };
  headers: Headers;
}

/** POST /oauth/token as an IdP sends it: form-encoded, optionally with client_secret_basic. */
export async function tokenRequest(app: Pick<TestApp, "url">, params: Record<string, string>, options: { basic?: [string, string]; headers?: Record<string, string> } = {}): Promise<TokenResponse> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded", ...options.headers };
  if (options.basic) {
    const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, "+");
    headers.authorization = `Basic ${Buffer.from(`${enc(options.basic[0])}:${enc(options.basic[1])}`).toString("base64")}`;
  }
  const res = await fetch(`${app.url}/oauth/token`, { method: "POST", headers, body: new URLSearchParams(params).toString() });
  const text = await res.text();
  let body: TokenResponse["body"];
  try {
    body = JSON.parse(text);
  } catch {
    body = { raw: text };
  }
  return { status: res.status, body, headers: res.headers };
}

/** A token by client_secret_basic; fails the test when refused. */
export async function clientCredentialsToken(app: Pick<TestApp, "url">, clientId: string, secret: string, scope?: string): Promise<string> {
  const r = await tokenRequest(app, { grant_type: "client_credentials", ...(scope ? { scope } : {}) }, { basic: [clientId, secret] });
  if (r.status !== 200 || !r.body.access_token) throw new Error(`token refused: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.access_token;
}

export async function newClient(app: TestApp, tenant: TestTenant, name = "Entra provisioning", scope: "scim" | "scim:read" = "scim") {
  const { client, secret } = await app.services.oauthClients.create(tenant.ctx, { name, scope });
  return { client, clientId: client.clientId, secret: secret.value, secretId: secret.secret.id };
}

export const newUser = (userName = `u-${crypto.randomBytes(4).toString("hex")}@example.com`) => ({
  schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"],
  userName,
  name: { givenName: "Ada", familyName: "Lovelace" },
  emails: [{ value: userName, type: "work", primary: true }],
  active: true,
});

/** A stand-in for Entra's signing keys: a key pair made in the test, published on a loopback JWKS endpoint. */
export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export async function testKey(alg: "RS256" | "ES256" = "RS256", kid = crypto.randomBytes(8).toString("hex")): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

export interface JwksServer {
  url: string;
  /** GET requests received so far. */
  requests: number;
  publish(keys: TestKey[]): void;
  close(): Promise<void>;
}

/** Serves `{keys: [...]}` on loopback, counting every fetch. */
export async function startJwksServer(keys: TestKey[]): Promise<JwksServer> {
  let published = keys;
  const state = { requests: 0 };
  const server = http.createServer((req, res) => {
    state.requests++;
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: published.map((k) => k.publicJwk) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/common/discovery/v2.0/keys`;
  return {
    url,
    get requests() {
      return state.requests;
    },
    publish: (k) => {
      published = k;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface EntraIdentity {
  tenantId: string;
  issuer: string;
  /** The managed identity / app the provisioning service runs as (`sub` = `oid` for app tokens). */
  objectId: string;
  appId: string;
  audience: string;
}

export function entraIdentity(): EntraIdentity {
  const tenantId = crypto.randomUUID();
  return {
    tenantId,
    issuer: `https://login.microsoftonline.com/${tenantId}/v2.0`,
    objectId: crypto.randomUUID(),
    appId: crypto.randomUUID(),
    audience: "api://AzureADTokenExchange",
  };
}

/** An Entra-shaped v2.0 app token, as the provisioning service presents it (claims overridable; `undefined` drops one). */
export async function entraAssertion(key: TestKey, who: EntraIdentity, overrides: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    aud: who.audience,
    iss: who.issuer,
    sub: who.objectId,
    oid: who.objectId,
    appid: who.appId,
    azp: who.appId,
    tid: who.tenantId,
    ver: "2.0",
    iat: now - 5,
    nbf: now - 5,
    exp: now + 3600,
    jti: crypto.randomBytes(16).toString("base64url"),
    uti: crypto.randomBytes(16).toString("base64url"),
    ...overrides,
  };
  for (const k of Object.keys(claims)) if (claims[k] === undefined) delete claims[k];
  return new SignJWT(claims).setProtectedHeader({ alg: key.publicJwk.alg as string, kid: key.kid, typ: "JWT", ...header }).sign(key.privateKey);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
