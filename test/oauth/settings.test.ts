import { decodeJwt } from "jose";
import { ConfigError, loadConfig } from "../../src/config/config";
import { SigningKey } from "../../src/domain/oauth/signing-key.entity";
import { type TestApp, startTestApp } from "../support/test-app";
import { newClient, tokenRequest } from "./oauth-support";

test("OAuth defaults: 1 h tokens, 60 token requests a minute per client and per IP, 30 s JWKS cooldown, https JWKS on public hosts only", () => {
  expect(loadConfig({}).oauth).toEqual({ accessTokenTtlSeconds: 3600, tokenRateLimit: { limit: 60, windowSeconds: 60 }, jwksRefreshCooldownMs: 30_000, allowHttpJwks: false });
  expect(loadConfig({}).allowPrivateOutboundHosts).toBe(false);
  expect(loadConfig({ ALLOW_PRIVATE_OUTBOUND_HOSTS: "true" }).allowPrivateOutboundHosts).toBe(true);
});

test.each([
  [{ OAUTH_ACCESS_TOKEN_TTL_SECONDS: "3599" }, /OAUTH_ACCESS_TOKEN_TTL_SECONDS: must be at least 3600/],
  [{ OAUTH_ACCESS_TOKEN_TTL_SECONDS: "21601" }, /OAUTH_ACCESS_TOKEN_TTL_SECONDS: must be at most 21600/],
  [{ OAUTH_TOKEN_RATE_LIMIT: "0" }, /OAUTH_TOKEN_RATE_LIMIT/],
  [{ OAUTH_JWKS_REFRESH_COOLDOWN_SECONDS: "0" }, /OAUTH_JWKS_REFRESH_COOLDOWN_SECONDS/],
  [{ OAUTH_ALLOW_HTTP_JWKS: "yes" }, /OAUTH_ALLOW_HTTP_JWKS/],
  [{ ALLOW_PRIVATE_OUTBOUND_HOSTS: "1" }, /ALLOW_PRIVATE_OUTBOUND_HOSTS/],
])("%j is refused at start, naming the variable", (env, message) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
});

describe("a configured lifetime", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({ OAUTH_ACCESS_TOKEN_TTL_SECONDS: "21600" });
  });
  afterAll(() => app?.close());

  test("is what the token endpoint issues (expires_in and exp); concurrent first requests create one signing key", async () => {
    const tenant = await app.tenant();
    const { clientId, secret } = await newClient(app, tenant);
    expect(await app.dataSource.getRepository(SigningKey).count()).toBe(0);
    const burst = await Promise.all(Array.from({ length: 5 }, () => tokenRequest(app, { grant_type: "client_credentials" }, { basic: [clientId, secret] })));
    expect(burst.map((b) => b.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await app.dataSource.getRepository(SigningKey).count()).toBe(1);
    const r = burst[0];
    expect(r.body.expires_in).toBe(21600);
    const claims = decodeJwt(r.body.access_token!);
    expect(claims.exp! - claims.iat!).toBe(21600);
  });
});
