import crypto from "node:crypto";
import { decodeJwt } from "jose";
import { AuditEvent } from "../../src/domain/audit/audit-event.entity";
import { createServices } from "../../src/domain/services";
import { ProvisioningLogEntry } from "../../src/domain/provisioning-log/provisioning-log-entry.entity";
import { Database } from "../../src/platform/database";
import { scimClient } from "../support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { type EntraIdentity, JWT_BEARER, type JwksServer, type TestKey, entraAssertion, entraIdentity, newClient, newUser, sleep, startJwksServer, testKey, tokenRequest } from "./oauth-support";

const COOLDOWN_MS = 1000;
let app: TestApp;
let tenant: TestTenant;
const servers: JwksServer[] = [];

beforeAll(async () => {
  // The fake IdPs' JWKS endpoints are on loopback: only this file's app may fetch from private hosts.
  app = await startTestApp({ OAUTH_ALLOW_HTTP_JWKS: "true", ALLOW_PRIVATE_OUTBOUND_HOSTS: "true", OAUTH_JWKS_REFRESH_COOLDOWN_SECONDS: String(COOLDOWN_MS / 1000), OAUTH_TOKEN_RATE_LIMIT: "10000" });
  tenant = await app.tenant();
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  await app?.close();
});

interface Federated {
  clientId: string;
  clientRowId: string;
  who: EntraIdentity;
  key: TestKey;
  jwks: JwksServer;
}

/** An OAuth client federated with a fresh "Entra tenant": its own keys on its own loopback JWKS endpoint. */
async function federatedClient(name = "Entra provisioning (WIF)", options: { tenantId?: string | null } = {}): Promise<Federated> {
  const key = await testKey("RS256");
  const jwks = await startJwksServer([key]);
  servers.push(jwks);
  const who = entraIdentity();
  const { client, clientId } = await newClient(app, tenant, name);
  await app.services.oauthClients.configureFederation(tenant.ctx, clientId, {
    issuer: who.issuer,
    jwksUrl: jwks.url,
    subject: who.objectId,
    audience: who.audience,
    tenantId: options.tenantId === undefined ? who.tenantId : options.tenantId,
  });
  return { clientId, clientRowId: client.id, who, key, jwks };
}

const present = (clientId: string, assertion: string, extra: Record<string, string> = {}) =>
  tokenRequest(app, { grant_type: "client_credentials", client_id: clientId, client_assertion_type: JWT_BEARER, client_assertion: assertion, ...extra });

const refusalsOf = async (clientRowId: string) =>
  (await app.dataSource.getRepository(AuditEvent).find({ where: { resourceId: clientRowId, action: "oauth.token.refused" }, order: { occurredAt: "ASC", id: "ASC" } })).map((e) => e.changes?.reason?.after);

test("an Entra-shaped assertion → token → SCIM create → SCIM read; the JWKS is fetched once and then cached", async () => {
  const f = await federatedClient();
  const r = await present(f.clientId, await entraAssertion(f.key, f.who));
  expect(r.status).toBe(200);
  expect(r.headers.get("cache-control")).toBe("no-store");
  expect(r.body).toEqual({ access_token: expect.any(String), token_type: "Bearer", expires_in: 3600, scope: "scim" });
  expect(decodeJwt(r.body.access_token!)).toMatchObject({ sub: f.clientId, org: tenant.organisation.id, aud: `${app.url}/scim/v2` });

  const scim = scimClient(app.url, r.body.access_token!);
  const created = await scim.post("/Users", newUser("grace@example.com"));
  expect(created.status).toBe(201);
  const read = await scim.get(`/Users/${created.body.id}`);
  expect([read.status, read.body.userName]).toEqual([200, "grace@example.com"]);

  // A second assertion (new jti) is verified from the cached keys.
  expect((await present(f.clientId, await entraAssertion(f.key, f.who))).status).toBe(200);
  expect(f.jwks.requests).toBe(1);

  const issued = await app.dataSource.getRepository(AuditEvent).find({ where: { resourceId: f.clientRowId, action: "oauth.token.issued" } });
  expect(issued).toHaveLength(2);
  expect(issued[0]).toMatchObject({ source: "oauth", organisationId: tenant.organisation.id });
  expect(issued[0].changes?.authentication?.after).toBe("client_assertion");
  await app.services.provisioningLog.flush(); // entries are written in batches
  const log = await app.dataSource.getRepository(ProvisioningLogEntry).find({ where: { tokenId: f.clientRowId } });
  expect(log.map((e) => e.path).sort()).toEqual(["/oauth/token", "/oauth/token", "/scim/v2/Users", `/scim/v2/Users/${created.body.id}`].sort());
  for (const e of log) expect(e.tokenLabel).toContain("Entra provisioning (WIF)");
});

const now = () => Math.floor(Date.now() / 1000);

test.each<{ name: string; reason: string; make: (f: Federated) => Promise<string> }>([
  { name: "wrong issuer", reason: "wrong_issuer", make: (f) => entraAssertion(f.key, f.who, { iss: `https://login.microsoftonline.com/${crypto.randomUUID()}/v2.0` }) },
  { name: "wrong audience", reason: "wrong_audience", make: (f) => entraAssertion(f.key, f.who, { aud: "api://something-else" }) },
  { name: "wrong subject", reason: "wrong_subject", make: (f) => entraAssertion(f.key, f.who, { sub: crypto.randomUUID() }) },
  { name: "wrong tenant", reason: "wrong_tenant", make: (f) => entraAssertion(f.key, f.who, { tid: crypto.randomUUID() }) },
  { name: "no tenant", reason: "wrong_tenant", make: (f) => entraAssertion(f.key, f.who, { tid: undefined }) },
  { name: "signature by another key under the published kid", reason: "bad_signature", make: async (f) => entraAssertion({ ...(await testKey("RS256")), kid: f.key.kid }, f.who) },
  { name: "expired beyond the clock skew", reason: "expired", make: (f) => entraAssertion(f.key, f.who, { iat: now() - 4000, nbf: now() - 4000, exp: now() - 120 }) },
  { name: "not yet valid", reason: "not_yet_valid", make: (f) => entraAssertion(f.key, f.who, { nbf: now() + 600, exp: now() + 3600 }) },
  { name: "issued in the future beyond the clock skew", reason: "issued_in_future", make: (f) => entraAssertion(f.key, f.who, { iat: now() + 600, exp: now() + 3600 }) },
  { name: "no expiry", reason: "invalid_claims", make: (f) => entraAssertion(f.key, f.who, { exp: undefined }) },
  { name: "valid for more than a day", reason: "invalid_claims", make: (f) => entraAssertion(f.key, f.who, { exp: now() + 3 * 86400 }) },
  { name: "a symmetric algorithm", reason: "unsupported_algorithm", make: async (f) => {
      const { SignJWT } = await import("jose");
      return new SignJWT({ iss: f.who.issuer, aud: f.who.audience, sub: f.who.objectId, tid: f.who.tenantId, exp: now() + 600 }).setProtectedHeader({ alg: "HS256", kid: f.key.kid }).sign(crypto.randomBytes(32));
    } },
  { name: "not a JWT", reason: "malformed", make: async () => "not.a.jwt" },
])("refused: $name → 401 invalid_client, audited as $reason", async ({ reason, make }) => {
  const f = await federatedClient();
  const r = await present(f.clientId, await make(f));
  expect(r.status).toBe(401);
  expect(r.body.error).toBe("invalid_client");
  expect(r.body.access_token).toBeUndefined();
  expect(await refusalsOf(f.clientRowId)).toEqual([`assertion_refused: ${reason}`]);
  // The control: a correct assertion for the same client is accepted.
  expect((await present(f.clientId, await entraAssertion(f.key, f.who))).status).toBe(200);
});

test("clock skew: an assertion expired 30 s ago, or issued 30 s ahead, is still accepted (60 s tolerance)", async () => {
  const f = await federatedClient();
  const r = await present(f.clientId, await entraAssertion(f.key, f.who, { iat: now() - 3630, nbf: now() - 3630, exp: now() - 30 }));
  expect(r.status).toBe(200);
  expect((await present(f.clientId, await entraAssertion(f.key, f.who, { iat: now() + 30, nbf: now() + 30 }))).status).toBe(200);
});

test("the tenant is held to the one in an Entra issuer even when not configured separately", async () => {
  const f = await federatedClient("derived tid", { tenantId: null });
  const view = await app.services.oauthClients.find(tenant.ctx, f.clientId);
  expect(view.client.federation?.tenantId).toBe(f.who.tenantId);
  expect((await present(f.clientId, await entraAssertion(f.key, f.who, { tid: crypto.randomUUID() }))).status).toBe(401);
  expect((await present(f.clientId, await entraAssertion(f.key, f.who))).status).toBe(200);
});

test("a replayed assertion is refused — by jti, by token hash without a jti, and on another instance sharing the database", async () => {
  const f = await federatedClient();
  const assertion = await entraAssertion(f.key, f.who);
  expect((await present(f.clientId, assertion)).status).toBe(200);
  const replay = await present(f.clientId, assertion);
  expect([replay.status, replay.body.error]).toEqual([401, "invalid_client"]);

  // Same jti, freshly signed: still the same assertion.
  const jti = (decodeJwt(assertion).jti as string) ?? "";
  expect((await present(f.clientId, await entraAssertion(f.key, f.who, { jti }))).status).toBe(401);

  const noJti = await entraAssertion(f.key, f.who, { jti: undefined });
  expect((await present(f.clientId, noJti)).status).toBe(200);
  expect((await present(f.clientId, noJti)).status).toBe(401);

  // A second instance (its own in-memory caches, the same database) refuses what the first accepted.
  const fresh = await entraAssertion(f.key, f.who);
  expect((await present(f.clientId, fresh)).status).toBe(200);
  const other = createServices(new Database(app.dataSource), { oauth: { issuer: app.url, allowHttpJwks: true }, allowPrivateOutboundHosts: true });
  const grant = await other.oauthTokens.grant({ auth: { method: "client_assertion", clientId: f.clientId, assertion: fresh }, requestId: "second-instance" });
  expect(grant).toMatchObject({ ok: false, reason: "assertion_refused", assertion: "replayed" });
  expect(await refusalsOf(f.clientRowId)).toEqual(["assertion_refused: replayed", "assertion_refused: replayed", "assertion_refused: replayed", "assertion_refused: replayed"]);
});

test("unknown kid: the JWKS is fetched again once (after the cooldown), then refused; refreshes are bounded; a rotated key is picked up", async () => {
  const f = await federatedClient();
  // Keys are made first: an RSA key took longer than the 1 s cooldown on a loaded machine.
  const rotated = await testKey("RS256");
  const strangers = await Promise.all(Array.from({ length: 8 }, async () => entraAssertion(await testKey("ES256"), f.who)));
  const unknownKid = await entraAssertion(rotated, f.who);
  const beforeFetch = Date.now();
  expect((await present(f.clientId, await entraAssertion(f.key, f.who))).status).toBe(200);
  expect(f.jwks.requests).toBe(1);

  // Within the cooldown an unknown kid does not fetch the JWKS at all (asserted when this machine got
  // here within it: the JWKS was fetched after beforeFetch).
  expect((await present(f.clientId, unknownKid)).status).toBe(401);
  if (Date.now() - beforeFetch < COOLDOWN_MS) expect(f.jwks.requests).toBe(1);
  else expect(f.jwks.requests).toBeLessThanOrEqual(2);

  await sleep(COOLDOWN_MS + 200);
  const beforeRefresh = f.jwks.requests;
  expect((await present(f.clientId, await entraAssertion(rotated, f.who))).status).toBe(401);
  const refreshedAt = Date.now();
  expect(f.jwks.requests).toBe(beforeRefresh + 1); // refreshed once, still unknown: refused
  // A burst of unknown kids (an attacker's, or a misconfiguration) fetches at most once per cooldown.
  const burst = await Promise.all(strangers.map((a) => present(f.clientId, a)));
  expect(burst.map((r) => r.status)).toEqual(Array(8).fill(401));
  expect(f.jwks.requests).toBeLessThanOrEqual(beforeRefresh + 1 + Math.floor((Date.now() - refreshedAt) / COOLDOWN_MS));
  expect(f.jwks.requests).toBeLessThan(beforeRefresh + 3);
  expect((await refusalsOf(f.clientRowId)).every((r) => r === "assertion_refused: unknown_key")).toBe(true);

  // Entra rotates: the new key is published; after the cooldown it is fetched and accepted, the old key still works.
  f.jwks.publish([f.key, rotated]);
  await sleep(COOLDOWN_MS + 200);
  const before = f.jwks.requests;
  expect((await present(f.clientId, await entraAssertion(rotated, f.who))).status).toBe(200);
  expect(f.jwks.requests).toBe(before + 1);
  expect((await present(f.clientId, await entraAssertion(f.key, f.who))).status).toBe(200);
  expect(f.jwks.requests).toBe(before + 1);
});

test("replacing or removing the federated credential ends the tokens it obtained at once; configuring the same again does not", async () => {
  const f = await federatedClient();
  const token = (await present(f.clientId, await entraAssertion(f.key, f.who))).body.access_token!;
  expect(decodeJwt(token).cred).toMatch(/^federation:[A-Za-z0-9_-]{22}$/);
  const settings = { issuer: f.who.issuer, jwksUrl: f.jwks.url, subject: f.who.objectId, audience: f.who.audience, tenantId: f.who.tenantId };
  await app.services.oauthClients.configureFederation(tenant.ctx, f.clientId, settings);
  expect((await scimClient(app.url, token).get("/Users")).status).toBe(200);

  await app.services.oauthClients.configureFederation(tenant.ctx, f.clientId, { ...settings, subject: crypto.randomUUID() });
  const replaced = await scimClient(app.url, token).get("/Users");
  expect([replaced.status, replaced.body.detail]).toEqual([401, expect.stringMatching(/revoked credential/)]);

  await app.services.oauthClients.configureFederation(tenant.ctx, f.clientId, settings);
  const second = (await present(f.clientId, await entraAssertion(f.key, f.who))).body.access_token!;
  expect((await scimClient(app.url, second).get("/Users")).status).toBe(200);
  await app.services.oauthClients.configureFederation(tenant.ctx, f.clientId, null);
  expect((await scimClient(app.url, second).get("/Users")).status).toBe(401);
});

test("a client without a federated credential cannot use an assertion; assertion and secret together are refused", async () => {
  const { clientId, secret } = await newClient(app, tenant, "secret only");
  const key = await testKey();
  const who = entraIdentity();
  const r = await present(clientId, await entraAssertion(key, who));
  expect([r.status, r.body.error]).toEqual([401, "invalid_client"]);

  const f = await federatedClient();
  const both = await present(f.clientId, await entraAssertion(f.key, f.who), { client_secret: secret });
  expect([both.status, both.body.error]).toEqual([400, "invalid_request"]);
  const wrongType = await present(f.clientId, await entraAssertion(f.key, f.who), { client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:saml2-bearer" });
  expect([wrongType.status, wrongType.body.error]).toEqual([401, "invalid_client"]);
  const noClientId = await tokenRequest(app, { grant_type: "client_credentials", client_assertion_type: JWT_BEARER, client_assertion: await entraAssertion(f.key, f.who) });
  expect([noClientId.status, noClientId.body.error]).toEqual([400, "invalid_request"]);
});

test("a JWKS URL that reaches a private host at fetch time (configured while allowed; DNS can change) is never fetched: assertion_refused: jwks_host_not_public", async () => {
  const f = await federatedClient();
  const strict = createServices(new Database(app.dataSource), { oauth: { issuer: app.url, allowHttpJwks: true } });
  const grant = await strict.oauthTokens.grant({ auth: { method: "client_assertion", clientId: f.clientId, assertion: await entraAssertion(f.key, f.who) }, requestId: "strict-instance" });
  expect(grant).toMatchObject({ ok: false, reason: "assertion_refused", assertion: "jwks_host_not_public" });
  expect(f.jwks.requests).toBe(0);
  expect(await refusalsOf(f.clientRowId)).toEqual(["assertion_refused: jwks_host_not_public"]);
});

test("federation settings are validated: https JWKS unless allowed, https issuer, a public JWKS host unless allowed", async () => {
  const strict = createServices(new Database(app.dataSource), { oauth: { issuer: app.url } });
  const { clientId } = await newClient(app, tenant, "validation");
  const base = { issuer: "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0", subject: "s", audience: "api://AzureADTokenExchange" };
  await expect(strict.oauthClients.configureFederation(tenant.ctx, clientId, { ...base, jwksUrl: "http://keys.example/jwks" })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { field: "jwksUrl" } });
  await expect(strict.oauthClients.configureFederation(tenant.ctx, clientId, { ...base, issuer: "http://issuer.example", jwksUrl: "https://keys.example/jwks" })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { field: "issuer" } });
  for (const jwksUrl of ["https://169.254.169.254/keys", "https://localhost/keys", "https://[::ffff:10.0.0.1]/keys", "https://2130706433/keys"]) {
    await expect(strict.oauthClients.configureFederation(tenant.ctx, clientId, { ...base, jwksUrl })).rejects.toMatchObject({ code: "INVALID_INPUT", details: { field: "jwksUrl" }, message: expect.stringMatching(/public host/) });
  }
  // Allowed (tests, development): the fake IdP's loopback host is accepted.
  expect((await app.services.oauthClients.configureFederation(tenant.ctx, clientId, { ...base, jwksUrl: "https://127.0.0.1:8443/keys" })).client.federation?.jwksUrl).toBe("https://127.0.0.1:8443/keys");
  const ok = await strict.oauthClients.configureFederation(tenant.ctx, clientId, { ...base, jwksUrl: "https://login.microsoftonline.com/common/discovery/v2.0/keys" });
  expect(ok.client.federation).toMatchObject({ tenantId: "00000000-0000-0000-0000-000000000000" });
});
