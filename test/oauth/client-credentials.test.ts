import { gzipSync } from "node:zlib";
import { type JWK, SignJWT, createLocalJWKSet, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from "jose";
import { AuditEvent } from "../../src/domain/audit/audit-event.entity";
import { createServices } from "../../src/domain/services";
import { Database } from "../../src/platform/database";
import { OAuthClientSecret } from "../../src/domain/oauth/oauth-client-secret.entity";
import { SigningKey } from "../../src/domain/oauth/signing-key.entity";
import { ProvisioningLogEntry } from "../../src/domain/provisioning-log/provisioning-log-entry.entity";
import { scimClient } from "../support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { clientCredentialsToken, newClient, newUser, testKey, tokenRequest } from "./oauth-support";

let app: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  // Every request of this file comes from 127.0.0.1: the per-IP limit is tested in rate-limit.test.ts.
  app = await startTestApp({ OAUTH_TOKEN_RATE_LIMIT: "10000" });
  tenant = await app.tenant();
});
afterAll(() => app?.close());

const auditOf = (clientRowId: string) => app.dataSource.getRepository(AuditEvent).find({ where: { resourceId: clientRowId }, order: { occurredAt: "ASC", id: "ASC" } });

/** Roster's own signing key, read from the database, to mint tokens only a key holder could make. */
async function rosterKey() {
  const key = await app.dataSource.getRepository(SigningKey).findOneOrFail({ where: {}, order: { createdAt: "DESC" } });
  return { kid: key.kid, privateKey: await importJWK(JSON.parse(key.privateJwk) as JWK, key.algorithm) };
}

async function mint(claims: Record<string, unknown>, key?: { kid: string; privateKey: Parameters<SignJWT["sign"]>[0] }) {
  const k = key ?? (await rosterKey());
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ scope: "scim", iat: now, nbf: now, exp: now + 600, jti: `j-${now}-${Math.random()}`, iss: app.url, aud: `${app.url}/scim/v2`, ...claims })
    .setProtectedHeader({ alg: "ES256", kid: k.kid, typ: "at+jwt" })
    .sign(k.privateKey);
}

const expectInvalidToken = async (token: string, reason: RegExp) => {
  const r = await scimClient(app.url, token).get("/Users");
  expect(r.status).toBe(401);
  expect(r.headers.get("www-authenticate")).toMatch(/^Bearer\b.*error="invalid_token"/);
  expect(r.body.detail).toMatch(reason);
};

test("client_secret_basic → token → SCIM create → SCIM read, labelled with the client's name in the provisioning log and the audit trail", async () => {
  const { client, clientId, secret } = await newClient(app, tenant, "Entra gallery app");
  const r = await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [clientId, secret] });
  expect(r.status).toBe(200);
  expect(r.headers.get("cache-control")).toBe("no-store");
  expect(r.headers.get("content-type")).toMatch(/^application\/json/);
  expect(r.body).toEqual({ access_token: expect.any(String), token_type: "Bearer", expires_in: 3600, scope: "scim" });

  const claims = decodeJwt(r.body.access_token!);
  expect(decodeProtectedHeader(r.body.access_token!)).toMatchObject({ alg: "ES256", typ: "at+jwt", kid: expect.any(String) });
  expect(claims).toMatchObject({ iss: app.url, aud: `${app.url}/scim/v2`, sub: clientId, client_id: clientId, org: tenant.organisation.id, scope: "scim", jti: expect.any(String) });
  expect(claims.exp! - claims.iat!).toBe(3600);

  const scim = scimClient(app.url, r.body.access_token!);
  const created = await scim.post("/Users", newUser("ada@example.com"));
  expect(created.status).toBe(201);
  const read = await scim.get(`/Users/${created.body.id}`);
  expect(read.status).toBe(200);
  expect(read.body.userName).toBe("ada@example.com");
  // The same user through the organisation's static SCIM token: same tenant.
  expect((await scimClient(app.url, tenant.scimToken).get(`/Users/${created.body.id}`)).status).toBe(200);

  await app.services.provisioningLog.flush(); // entries are written in batches
  const log = await app.dataSource.getRepository(ProvisioningLogEntry).find({ where: { tokenId: client.id }, order: { occurredAt: "ASC" } });
  expect(log.map((e) => [e.method, e.path.replace(/\/Users\/.*/, "/Users/{id}"), e.status])).toEqual([
    ["POST", "/oauth/token", 200],
    ["POST", "/scim/v2/Users", 201],
    ["GET", "/scim/v2/Users/{id}", 200],
  ]);
  for (const e of log) expect(e.tokenLabel).toContain("Entra gallery app");

  const audit = await auditOf(client.id);
  const issued = audit.find((e) => e.action === "oauth.token.issued")!;
  expect(issued).toMatchObject({ source: "oauth", organisationId: tenant.organisation.id, actorLabel: expect.stringContaining("Entra gallery app") });
  expect(issued.changes?.jti?.after).toBe(claims.jti);
  const userCreated = await app.dataSource.getRepository(AuditEvent).findOneByOrFail({ action: "user.created", resourceId: created.body.id });
  expect(userCreated).toMatchObject({ source: "scim", actorId: client.id, actorLabel: expect.stringContaining("Entra gallery app") });
});

test("client_secret_post works too, and the token reads only its own organisation", async () => {
  const { clientId, secret } = await newClient(app, tenant, "post client");
  const r = await tokenRequest(app, { grant_type: "client_credentials", client_id: clientId, client_secret: secret, scope: "scim" });
  expect(r.status).toBe(200);
  const other = await app.tenant();
  const theirs = await scimClient(app.url, other.scimToken).post("/Users", newUser());
  expect(theirs.status).toBe(201);
  const scim = scimClient(app.url, r.body.access_token!);
  expect((await scim.get(`/Users/${theirs.body.id}`)).status).toBe(404);
  const list = await scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${theirs.body.userName}"`)}`);
  expect(list.body.totalResults).toBe(0);
});

test("two secrets are live at once; a removed secret and an expired secret get no token", async () => {
  const { client, clientId, secret: first, secretId: firstId } = await newClient(app, tenant, "rotating");
  const second = await app.services.oauthClients.addSecret(tenant.ctx, clientId);
  expect(second.secret.expiresAt.getTime() - Date.now()).toBeGreaterThan(729 * 86400_000);
  await clientCredentialsToken(app, clientId, first);
  await clientCredentialsToken(app, clientId, second.value);

  await app.services.oauthClients.removeSecret(tenant.ctx, clientId, firstId);
  const removed = await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [clientId, first] });
  expect(removed.status).toBe(401);
  expect(removed.body.error).toBe("invalid_client");
  await clientCredentialsToken(app, clientId, second.value);

  await app.dataSource.getRepository(OAuthClientSecret).update({ id: second.secret.id }, { expiresAt: new Date(Date.now() - 1000) });
  const expired = await tokenRequest(app, { grant_type: "client_credentials", client_id: clientId, client_secret: second.value });
  expect(expired.status).toBe(401);
  expect(expired.body.error).toBe("invalid_client");

  const refusals = (await auditOf(client.id)).filter((e) => e.action === "oauth.token.refused").map((e) => e.changes?.reason?.after);
  expect(refusals).toEqual(["wrong_secret", "expired_secret"]);
});

test("a revoked client gets no new token, and its outstanding token stops working at once", async () => {
  const { clientId, secret } = await newClient(app, tenant, "to revoke");
  const token = await clientCredentialsToken(app, clientId, secret);
  const scim = scimClient(app.url, token);
  expect((await scim.get("/Users")).status).toBe(200);
  await app.services.oauthClients.revoke(tenant.ctx, clientId);
  await expectInvalidToken(token, /revoked client/);
  const again = await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [clientId, secret] });
  expect(again.status).toBe(401);
  expect(again.body.error).toBe("invalid_client");
});

test("removing a secret ends the tokens obtained with it: at once on this instance, within TOKEN_CACHE_SECONDS on the others; the other secret's tokens live on, in one query per check", async () => {
  const { clientId, secret: leaked, secretId: leakedId } = await newClient(app, tenant, "leaked secret");
  const kept = await app.services.oauthClients.addSecret(tenant.ctx, clientId);
  const leakedToken = await clientCredentialsToken(app, clientId, leaked);
  const keptToken = await clientCredentialsToken(app, clientId, kept.value);
  expect(decodeJwt(leakedToken).cred).toBe(`secret:${leakedId}`);
  expect(decodeJwt(keptToken).cred).toBe(`secret:${kept.secret.id}`);
  // This instance has accepted the leaked token (its check is cached); so has another instance (its
  // own in-memory state, the same database).
  expect((await scimClient(app.url, leakedToken).get("/Users")).status).toBe(200);
  const other = createServices(new Database(app.dataSource), { oauth: { issuer: app.url } });
  expect(await other.accessTokens.verify(leakedToken)).toMatchObject({ ok: true });

  await app.services.oauthClients.removeSecret(tenant.ctx, clientId, leakedId);
  await expectInvalidToken(leakedToken, /revoked credential/);
  // The other instance trusts its check for TOKEN_CACHE_SECONDS at most; a fresh check refuses.
  expect(await other.accessTokens.verify(leakedToken)).toMatchObject({ ok: true });
  const fresh = createServices(new Database(app.dataSource), { oauth: { issuer: app.url }, tokenCacheMs: 0 });
  expect(await fresh.accessTokens.verify(leakedToken)).toMatchObject({ ok: false, reason: "revoked_credential" });
  expect((await scimClient(app.url, keptToken).get("/Users")).status).toBe(200);

  // A check reads the client and its secret in one query; a token checked a moment ago reads nothing.
  // The check's own statements: not the log entries the SCIM requests above leave behind, nor the purge
  // a fresh process's first flush starts.
  app.services.accessTokens.forget({ clientId });
  const checked = await app.statementsOfCall(() => app.services.accessTokens.verify(keptToken));
  expect(checked.result).toMatchObject({ ok: true });
  expect(checked.statements.filter((q) => /oauth_client/.test(q))).toHaveLength(1);
  const cached = await app.statementsOfCall(() => app.services.accessTokens.verify(keptToken));
  expect(cached.result).toMatchObject({ ok: true });
  expect(cached.statements).toEqual([]);

  // A token from before the claim existed (none, signed by Roster) runs until it expires; a malformed claim is refused.
  const base = { sub: clientId, client_id: clientId, org: tenant.organisation.id };
  expect((await scimClient(app.url, await mint(base)).get("/Users")).status).toBe(200);
  await expectInvalidToken(await mint({ ...base, cred: "secret:no-such-secret" }), /revoked credential/);
  await expectInvalidToken(await mint({ ...base, cred: `federation:${"x".repeat(22)}` }), /revoked credential/);
  await expectInvalidToken(await mint({ ...base, cred: 42 }), /invalid claims/);
});

test("an accepted token is trusted for TOKEN_CACHE_SECONDS at most, and never past its own expiry", async () => {
  const { clientId, secret, secretId } = await newClient(app, tenant, "cache bounds");
  const token = await clientCredentialsToken(app, clientId, secret);
  const other = createServices(new Database(app.dataSource), { oauth: { issuer: app.url }, tokenCacheMs: 300 });
  expect(await other.accessTokens.verify(token)).toMatchObject({ ok: true });
  await app.services.oauthClients.removeSecret(tenant.ctx, clientId, secretId);
  expect(await other.accessTokens.verify(token)).toMatchObject({ ok: true });
  await new Promise((r) => setTimeout(r, 400));
  expect(await other.accessTokens.verify(token)).toMatchObject({ ok: false, reason: "revoked_credential" });

  // A minute's cache, and a token that expired 27-28 s ago (inside the 30 s clock tolerance): accepted
  // now, refused once the tolerance has run out, however long the cache would have kept it. (With
  // floor(now) - 29 the token was up to 29.99 s old, and the margin for minting and verifying it
  // could be a few ms: it failed once in a full run.)
  const long = createServices(new Database(app.dataSource), { oauth: { issuer: app.url }, tokenCacheMs: 60_000 });
  const exp = Math.ceil(Date.now() / 1000) - 28;
  const expiring = await mint({ sub: clientId, client_id: clientId, org: tenant.organisation.id, iat: exp - 600, nbf: exp - 600, exp });
  expect(await long.accessTokens.verify(expiring)).toMatchObject({ ok: true });
  await new Promise((r) => setTimeout(r, (exp + 30) * 1000 - Date.now() + 100));
  expect(await long.accessTokens.verify(expiring)).toMatchObject({ ok: false, reason: "expired" });
});

test("a check that read the client before a revocation through this instance committed does not keep accepting the token", async () => {
  const { clientId, secret } = await newClient(app, tenant, "in flight");
  const token = await clientCredentialsToken(app, clientId, secret);
  const issuer = app.services.accessTokens;
  issuer.forget({ clientId });
  const inFlight = issuer.verify(token); // reads the key and the client, as they were before the revocation
  issuer.forget({ clientId }); // the revocation's forget, at its commit
  expect(await inFlight).toMatchObject({ ok: true });
  const again = await app.statementsOfCall(() => issuer.verify(token));
  expect(again.result).toMatchObject({ ok: true });
  // Checked again, not answered from what the in-flight check read (it was not cached).
  expect(again.statements.filter((q) => /oauth_client/.test(q))).toHaveLength(1);
});

test("wrong secret and unknown client → 401 invalid_client with a Basic challenge; unknown clients leave no audit event", async () => {
  const { client, clientId } = await newClient(app, tenant, "wrong secret");
  const before = await app.dataSource.getRepository(AuditEvent).countBy({ action: "oauth.token.refused" });
  const wrong = await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [clientId, "rcs_not-the-secret"] });
  expect(wrong.status).toBe(401);
  expect(wrong.body.error).toBe("invalid_client");
  expect(wrong.headers.get("www-authenticate")).toMatch(/^Basic realm="roster"/);
  expect(wrong.headers.get("cache-control")).toBe("no-store");
  const unknown = await tokenRequest(app, { grant_type: "client_credentials", client_id: "rcl_nobody", client_secret: "x" });
  expect(unknown.status).toBe(401);
  expect(unknown.body.error).toBe("invalid_client");
  // Same answer whether the client exists or not: nothing to enumerate.
  expect(unknown.body.error_description).toBe(wrong.body.error_description);
  expect(await app.dataSource.getRepository(AuditEvent).countBy({ action: "oauth.token.refused" })).toBe(before + 1);
  expect((await auditOf(client.id)).filter((e) => e.action === "oauth.token.refused")).toHaveLength(1);
  const none = await tokenRequest(app, { grant_type: "client_credentials" });
  expect(none.status).toBe(401);
  expect(none.body.error).toBe("invalid_client");
});

test.each([
  { name: "an unsupported grant type", params: { grant_type: "password", username: "a", password: "b" }, status: 400, error: "unsupported_grant_type" },
  { name: "the authorization code grant", params: { grant_type: "authorization_code", code: "x" }, status: 400, error: "unsupported_grant_type" },
  { name: "no grant type", params: {}, status: 400, error: "invalid_request" },
  { name: "an unknown scope", params: { grant_type: "client_credentials", scope: "admin" }, status: 400, error: "invalid_scope" },
  { name: "a known and an unknown scope", params: { grant_type: "client_credentials", scope: "scim openid" }, status: 400, error: "invalid_scope" },
])("$name → $status $error", async ({ params, status, error }) => {
  const { clientId, secret } = await newClient(app, tenant, "errors");
  const r = await tokenRequest(app, params as Record<string, string>, { basic: [clientId, secret] });
  expect(r.status).toBe(status);
  expect(r.body.error).toBe(error);
  expect(typeof r.body.error_description).toBe("string");
  expect(r.body.access_token).toBeUndefined();
});

test("malformed token requests → invalid_request (two authentication methods, repeated parameters, JSON, GET)", async () => {
  const { clientId, secret } = await newClient(app, tenant, "malformed");
  const both = await tokenRequest(app, { grant_type: "client_credentials", client_id: clientId, client_secret: secret }, { basic: [clientId, secret] });
  expect([both.status, both.body.error]).toEqual([400, "invalid_request"]);
  const repeated = await fetch(`${app.url}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: `grant_type=client_credentials&client_id=${clientId}&client_secret=${secret}&scope=scim&scope=scim`,
  });
  expect([repeated.status, ((await repeated.json()) as { error: string }).error]).toEqual([400, "invalid_request"]);
  const json = await fetch(`${app.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ grant_type: "client_credentials", client_id: clientId, client_secret: secret }) });
  expect([json.status, ((await json.json()) as { error: string }).error]).toEqual([400, "invalid_request"]);
  const get = await fetch(`${app.url}/oauth/token?grant_type=client_credentials`);
  expect(get.status).toBe(405);
  expect(get.headers.get("allow")).toBe("POST");
});

test("a form that does not decode as UTF-8 → 400 invalid_request, before any client is authenticated (a value holding such an escape was read undecoded: a token, or a wrong secret)", async () => {
  const { client, clientId, secret } = await newClient(app, tenant, "not UTF-8");
  const form = (extra: string) => `grant_type=client_credentials&client_id=${clientId}&client_secret=${encodeURIComponent(secret)}${extra}`;
  const send = (body: string | Buffer, headers: Record<string, string> = {}) =>
    fetch(`${app.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });
  const audited = (await auditOf(client.id)).length;
  // A lone continuation byte, a byte UTF-8 never uses, an overlong "/", a surrogate encoded in UTF-8:
  // in a parameter Roster ignores (the token was granted), in the secret (401 invalid_client), raw, gzip-encoded.
  const bodies = ["%80", "%FF", "%C0%AF", "%ED%A0%80"].flatMap((bad) => [send(form(`&resource=x${bad}`)), send(form(bad))]);
  bodies.push(send(Buffer.concat([Buffer.from(form("&resource=x")), Buffer.from([0xff])])), send(gzipSync(form("&resource=%FF")), { "content-encoding": "gzip" }));
  for (const [i, r] of (await Promise.all(bodies)).entries()) {
    expect([i, r.status, r.headers.get("cache-control"), await r.json()]).toEqual([i, 400, "no-store", { error: "invalid_request", error_description: "the token request body is not valid UTF-8" }]);
  }
  // Refused before the client was looked up: nothing granted or refused in its audit trail.
  expect(await auditOf(client.id)).toHaveLength(audited);
  // UTF-8 escapes are read as ever.
  expect((await send(form("&resource=caf%C3%A9"))).status).toBe(200);
});

test("Basic credentials that do not decode as UTF-8 → 400 invalid_request, before any client is authenticated (a raw byte had been a wrong secret, audited against the client; an escape, 401 invalid_client)", async () => {
  const { client, clientId, secret } = await newClient(app, tenant, "Basic not UTF-8");
  const basic = (credentials: Buffer) => ({ authorization: `Basic ${credentials.toString("base64")}` });
  const send = (credentials: Buffer) => tokenRequest(app, { grant_type: "client_credentials" }, { headers: basic(credentials) });
  const audited = (await auditOf(client.id)).length;
  // RFC 6749 §2.3.1: the id and the secret are form-urlencoded (as UTF-8), then base64-encoded. The
  // same bytes as in the form: escaped after the secret, raw after the secret, raw in the id.
  const escaped = ["%80", "%FF", "%C0%AF", "%ED%A0%80"].map((bad) => Buffer.from(`${clientId}:${secret}${bad}`));
  const raw = [Buffer.concat([Buffer.from(`${clientId}:${secret}`), Buffer.from([0xff])]), Buffer.concat([Buffer.from(clientId), Buffer.from([0xe9]), Buffer.from(`:${secret}`)])];
  for (const [i, credentials] of [...escaped, ...raw].entries()) {
    const r = await send(credentials);
    expect([i, r.status, r.headers.get("cache-control"), r.body]).toEqual([i, 400, "no-store", { error: "invalid_request", error_description: "the Basic credentials are not valid UTF-8" }]);
  }
  // Refused before the client was looked up: nothing granted or refused in its audit trail.
  expect(await auditOf(client.id)).toHaveLength(audited);
  // A UTF-8 escape is read as ever: here a wrong secret (401, audited); the secret itself, a token.
  const wrong = await send(Buffer.from(`${clientId}:${secret}%C3%A9`));
  expect([wrong.status, wrong.body.error]).toEqual([401, "invalid_client"]);
  expect((await auditOf(client.id)).map((e) => e.changes?.reason?.after).slice(audited)).toEqual(["wrong_secret"]);
  expect((await send(Buffer.from(`${clientId}:${encodeURIComponent(secret)}`))).status).toBe(200);
});

/** Each of `credentials` is refused as a malformed request: 400 invalid_request with `description`, no challenge. */
async function expectInvalidRequests(send: (credentials: string) => ReturnType<typeof tokenRequest>, credentials: string[], description: string) {
  for (const c of credentials) {
    const r = await send(c);
    expect([c, r.status, r.headers.get("cache-control"), r.headers.get("www-authenticate"), r.body]).toEqual([c, 400, "no-store", null, { error: "invalid_request", error_description: description }]);
  }
}

test("Basic credentials with a % not followed by two hex digits → 400 invalid_request, nothing audited against any client (it had been 401 invalid_client)", async () => {
  const { client, clientId, secret } = await newClient(app, tenant, "Basic not form-urlencoded");
  const send = (credentials: string) => tokenRequest(app, { grant_type: "client_credentials" }, { headers: { authorization: `Basic ${Buffer.from(credentials).toString("base64")}` } });
  const allAudit = () => app.dataSource.getRepository(AuditEvent).count();
  const [audited, everything] = [(await auditOf(client.id)).length, await allAudit()];
  // RFC 6749 §2.3.1 form-urlencodes the id and the secret: a bare % is a malformed request (§5.2).
  const malformed = [`${clientId}:${secret}%`, `${clientId}:${secret}%4`, `${clientId}:${secret}%G1`, `${clientId}:%%${secret}`, `${clientId}%zz:${secret}`, `%:${secret}`];
  await expectInvalidRequests(send, malformed, "the Basic credentials are not form-urlencoded: a % must be followed by two hex digits");
  // Refused before any client was looked up: no audit event at all, the client's or another's.
  expect([(await auditOf(client.id)).length, await allAudit()]).toEqual([audited, everything]);
  // An escaped % is a %: here a wrong secret (401, audited); the secret escaped, a token.
  const wrong = await send(`${clientId}:${secret}%25`);
  expect([wrong.status, wrong.body.error]).toEqual([401, "invalid_client"]);
  expect((await auditOf(client.id)).map((e) => e.changes?.reason?.after).slice(audited)).toEqual(["wrong_secret"]);
  expect((await send(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`)).status).toBe(200);
});

test("Basic credentials without a colon → 400 invalid_request, nothing audited against any client (it had been 401 invalid_client); an empty client_id stays 401", async () => {
  const { client, clientId, secret } = await newClient(app, tenant, "Basic without a colon");
  const send = (credentials: string) => tokenRequest(app, { grant_type: "client_credentials" }, { headers: { authorization: `Basic ${Buffer.from(credentials).toString("base64")}` } });
  const allAudit = () => app.dataSource.getRepository(AuditEvent).count();
  const [audited, everything] = [(await auditOf(client.id)).length, await allAudit()];
  // RFC 6749 §2.3.1: client_id:client_secret (RFC 7617 §2 user-pass); without the colon the header is malformed (§5.2).
  const malformed = [`${clientId}${secret}`, clientId, secret, `${clientId}%3A${secret}`, "x"];
  await expectInvalidRequests(send, malformed, "the Basic credentials are not client_id:client_secret: they have no colon");
  // Refused before any client was looked up: no audit event at all, the client's or another's.
  expect([(await auditOf(client.id)).length, await allAudit()]).toEqual([audited, everything]);
  // A colon with nothing before it names no client: 401 invalid_client with the Basic challenge, as before.
  const empty = await send(`:${secret}`);
  expect([empty.status, empty.body.error, empty.headers.get("www-authenticate")]).toEqual([401, "invalid_client", 'Basic realm="roster", charset="UTF-8"']);
  expect((await send(`${clientId}:${secret}`)).status).toBe(200);
});

test("a scim:read client: only scim:read; its token may GET and search, not write", async () => {
  const { clientId, secret } = await newClient(app, tenant, "auditor", "scim:read");
  const wider = await tokenRequest(app, { grant_type: "client_credentials", scope: "scim" }, { basic: [clientId, secret] });
  expect([wider.status, wider.body.error]).toEqual([400, "invalid_scope"]);
  const r = await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [clientId, secret] });
  expect(r.body.scope).toBe("scim:read");
  const scim = scimClient(app.url, r.body.access_token!);
  expect((await scim.get("/Users")).status).toBe(200);
  expect((await scim.post("/Users/.search", { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], count: 1 })).status).toBe(200);
  const write = await scim.post("/Users", newUser());
  expect(write.status).toBe(403);
  expect(write.headers.get("www-authenticate")).toMatch(/error="insufficient_scope"/);
  const bulk = await scim.post("/Bulk", { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: [] });
  expect(bulk.status).toBe(403);

  // A full client may narrow itself to scim:read.
  const full = await newClient(app, tenant, "narrowed");
  const narrowed = await tokenRequest(app, { grant_type: "client_credentials", scope: "scim:read" }, { basic: [full.clientId, full.secret] });
  expect(narrowed.body.scope).toBe("scim:read");
  expect((await scimClient(app.url, narrowed.body.access_token!).post("/Users", newUser())).status).toBe(403);
});

test("forged, expired, wrong-audience, wrong-issuer and malformed tokens → 401 invalid_token on SCIM", async () => {
  const { clientId, secret } = await newClient(app, tenant, "victim");
  await clientCredentialsToken(app, clientId, secret); // makes sure a signing key exists
  const base = { sub: clientId, client_id: clientId, org: tenant.organisation.id };
  // A well-formed token for the right client, signed with a key the attacker made (claiming Roster's kid, then its own).
  const attacker = await testKey("ES256");
  const real = await rosterKey();
  await expectInvalidToken(await mint(base, { kid: real.kid, privateKey: attacker.privateKey }), /bad signature/);
  await expectInvalidToken(await mint(base, { kid: attacker.kid, privateKey: attacker.privateKey }), /unknown key/);
  // Signed by Roster's real key, but expired beyond the clock skew / for another audience / another issuer.
  const now = Math.floor(Date.now() / 1000);
  await expectInvalidToken(await mint({ ...base, iat: now - 7200, nbf: now - 7200, exp: now - 120 }), /expired/);
  await expectInvalidToken(await mint({ ...base, aud: "https://elsewhere.example/scim/v2" }), /wrong audience/);
  await expectInvalidToken(await mint({ ...base, iss: "https://roster.evil.example" }), /wrong issuer/);
  // Claims another organisation than the client's.
  const other = await app.tenant();
  await expectInvalidToken(await mint({ ...base, org: other.organisation.id }), /invalid claims/);
  await expectInvalidToken("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", /not valid/);
  // The control: the same minting with correct claims is accepted (so the refusals above are about the claims).
  expect((await scimClient(app.url, await mint(base)).get("/Users")).status).toBe(200);
});

test("the JWKS and the RFC 8414 metadata are correct: an issued token verifies against the published keys", async () => {
  const meta = await fetch(`${app.url}/.well-known/oauth-authorization-server`);
  expect(meta.status).toBe(200);
  expect(await meta.json()).toEqual({
    issuer: app.url,
    token_endpoint: `${app.url}/oauth/token`,
    jwks_uri: `${app.url}/.well-known/jwks.json`,
    grant_types_supported: ["client_credentials"],
    token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "private_key_jwt"],
    token_endpoint_auth_signing_alg_values_supported: expect.arrayContaining(["RS256", "ES256"]),
    scopes_supported: ["scim", "scim:read"],
    response_types_supported: [],
  });
  const { clientId, secret } = await newClient(app, tenant, "jwks");
  const token = await clientCredentialsToken(app, clientId, secret);
  const jwksRes = await fetch(`${app.url}/.well-known/jwks.json`);
  expect(jwksRes.headers.get("content-type")).toMatch(/^application\/jwk-set\+json/);
  const jwks = (await jwksRes.json()) as { keys: JWK[] };
  for (const k of jwks.keys) {
    expect(k).toMatchObject({ kty: "EC", crv: "P-256", alg: "ES256", use: "sig", kid: expect.any(String) });
    expect(k.d).toBeUndefined(); // never the private part
  }
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${app.url}/.well-known/jwks.json`)), { issuer: app.url, audience: `${app.url}/scim/v2` });
  expect(payload.sub).toBe(clientId);
});

test("key rotation: a new key signs, the retired key stays published until its tokens expire, then its tokens are refused", async () => {
  const { clientId, secret } = await newClient(app, tenant, "rotation");
  const oldToken = await clientCredentialsToken(app, clientId, secret);
  const oldKid = decodeProtectedHeader(oldToken).kid!;
  const newKey = await app.services.accessTokens.rotate();
  const newToken = await clientCredentialsToken(app, clientId, secret);
  expect(decodeProtectedHeader(newToken).kid).toBe(newKey.kid);
  expect(newKey.kid).not.toBe(oldKid);
  const jwks = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
  expect(jwks.keys.map((k) => k.kid)).toEqual(expect.arrayContaining([oldKid, newKey.kid]));
  const local = createLocalJWKSet(jwks);
  await jwtVerify(oldToken, local);
  await jwtVerify(newToken, local);
  expect((await scimClient(app.url, oldToken).get("/Users")).status).toBe(200);
  expect((await scimClient(app.url, newToken).get("/Users")).status).toBe(200);

  const retired = await app.dataSource.getRepository(SigningKey).findOneByOrFail({ kid: oldKid });
  expect(retired.activeUntil.getTime()).toBeLessThanOrEqual(Date.now());
  expect(retired.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 3600_000);
  // Once past its expiry the old key is withdrawn and nothing it signed is accepted (by an instance
  // that checked the token before, once its check is TOKEN_CACHE_SECONDS old).
  await app.dataSource.getRepository(SigningKey).update({ kid: oldKid }, { expiresAt: new Date(Date.now() - 1000) });
  const after = (await (await fetch(`${app.url}/.well-known/jwks.json`)).json()) as { keys: JWK[] };
  expect(after.keys.map((k) => k.kid)).not.toContain(oldKid);
  const fresh = createServices(new Database(app.dataSource), { oauth: { issuer: app.url }, tokenCacheMs: 0 });
  expect(await fresh.accessTokens.verify(oldToken)).toMatchObject({ ok: false, reason: "unknown_key" });
  await expectInvalidToken(await mint({ sub: clientId, client_id: clientId, org: tenant.organisation.id }, { kid: oldKid, privateKey: (await importJWK(JSON.parse(retired.privateJwk) as JWK, retired.algorithm)) as never }), /unknown key/);
});

test("the organisation's SCIM switch applies to OAuth tokens too, at once on this instance", async () => {
  const t = await app.tenant();
  const { clientId, secret } = await newClient(app, t, "switched off");
  const token = await clientCredentialsToken(app, clientId, secret);
  expect((await scimClient(app.url, token).get("/Users")).status).toBe(200);
  await app.services.organisations.update(t.ctx, { scimEnabled: false });
  expect((await scimClient(app.url, token).get("/Users")).status).toBe(403);
  expect((await scimClient(app.url, null).get("/Users")).status).toBe(401);
});
