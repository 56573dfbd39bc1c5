// Several Roster processes on one database. On MariaDB: two child processes driven concurrently.
// On SQLite Roster runs as ONE process (two processes writing one SQLite file are not supported:
// SQLite serialises writers per file and Roster queues its write transactions per process only),
// so the SQLite project checks the same races against one process taking concurrent requests.
import request from "supertest";
import { serviceProviderInfo } from "../../src/domain/sso/identity-provider.service";
import { CORE_USER, expectScimError, patchOp, scimClient } from "../support/scim-client";
import { type TestApp, startTestApp } from "../support/test-app";
import { type TestDatabase, createTestDatabase, testDriver } from "../support/test-database";
import { type TestKey, authnRequestId, b64, buildResponseXml, makeSelfSignedCert, signResponse } from "../sso/support/fake-saml-idp";
import { type RosterProcess, ensureBuilt, freePort, startRoster } from "./support/roster-process";
import { type SharedDatabase, type SharedTenant, openSharedDatabase } from "./support/shared-database";

const PAIRS = 20;
const IDP_ISSUER = "http://www.okta.com/exkMANY";

/** The same userName through two doors at once, PAIRS times: exactly one 201 and one 409 uniqueness each. */
async function concurrentCreates(urlA: string, urlB: string, token: string) {
  const a = scimClient(urlA, token);
  const b = scimClient(urlB, token);
  for (let i = 0; i < PAIRS; i++) {
    const body = { schemas: [CORE_USER], userName: `twice${i}@many.test` };
    const [ra, rb] = await Promise.all([a.post("/Users", body), b.post("/Users", body)]);
    const statuses = [ra.status, rb.status].sort();
    expect(statuses).toEqual([201, 409]);
    expectScimError(ra.status === 409 ? ra : rb, 409, "uniqueness");
  }
  const all = await a.get(`/Users?filter=${encodeURIComponent('userName sw "twice"')}&count=100`);
  expect(all.body.totalResults).toBe(PAIRS);
}

/** Concurrent member PATCHes (overlapping sets) of one group: the union is there, nobody twice, one version step per effective PATCH. */
async function concurrentMemberPatches(urlA: string, urlB: string, token: string, memberIds: string[], groupId: string, countRows: (sql: string, p: unknown[]) => Promise<number>) {
  const a = scimClient(urlA, token);
  const b = scimClient(urlB, token);
  const writers = 16;
  const sets = Array.from({ length: writers }, (_, w) => memberIds.slice((w * 5) % memberIds.length, ((w * 5) % memberIds.length) + 10));
  const results = await Promise.all(sets.map((ids, w) => (w % 2 ? a : b).patch(`/Groups/${groupId}`, patchOp({ op: "add", path: "members", value: ids.map((value) => ({ value })) }))));
  expect(results.map((r) => r.status)).toEqual(results.map(() => 204));
  const union = new Set(sets.flat());
  const group = await a.get(`/Groups/${groupId}`);
  const members = (group.body.members as { value: string }[]).map((m) => m.value);
  expect(new Set(members)).toEqual(union);
  expect(members).toHaveLength(union.size);
  expect(await countRows("SELECT COUNT(*) AS n FROM group_memberships WHERE groupId = ?", [groupId])).toBe(union.size);
  // Each PATCH that added someone bumped the version exactly once, and was audited once.
  const audits = await countRows("SELECT COUNT(*) AS n FROM audit_events WHERE resourceId = ? AND action = 'group.members.added'", [groupId]);
  expect(audits).toBeGreaterThanOrEqual(1);
  expect(group.headers.get("etag")).toBe(`W/"${1 + audits}"`);
  return writers;
}

const describeMariadb = testDriver() === "mariadb" ? describe : describe.skip;
const describeSqlite = testDriver() === "sqlite" ? describe : describe.skip;

describeMariadb("two Roster processes on one MariaDB database", () => {
  let db: TestDatabase;
  let shared: SharedDatabase;
  let t: SharedTenant;
  let key: TestKey;
  let a: RosterProcess;
  let b: RosterProcess;
  let memberIds: string[];

  beforeAll(async () => {
    await ensureBuilt();
    db = await createTestDatabase();
    // Both processes start together on an empty database: the migrations take turns (GET_LOCK).
    const [portA, portB] = [await freePort(), await freePort()];
    const publicUrl = `http://127.0.0.1:${portA}`; // one public URL, as behind a load balancer
    const env = { SCIM_RATE_LIMIT_PER_TOKEN: "300", SCIM_RATE_LIMIT_PER_IP: "0", RATE_LIMIT_WINDOW_SECONDS: "3600" };
    [a, b] = await Promise.all([startRoster({ databaseUrl: db.url, port: portA, publicUrl, env }), startRoster({ databaseUrl: db.url, port: portB, publicUrl, env })]);
    shared = await openSharedDatabase(db.url);
    t = await shared.tenant("many");
    key = makeSelfSignedCert("many-idp");
    await shared.services.identityProviders.configureSaml(t.ctx, { idpSsoUrl: "https://idp.example/sso", idpEntityId: IDP_ISSUER, idpCertificates: [key.certPem] });
    memberIds = await shared.seedUsers(t.ctx, 60, "member");
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await shared?.close();
    await db?.drop();
  });

  test(`the same userName created through both at once (${PAIRS} times): one 201 and one 409 uniqueness each`, async () => {
    await concurrentCreates(a.url, b.url, t.scimToken);
  });

  test("concurrent PATCHes of one group's membership from both: every member added is there, none twice", async () => {
    const groupId = (await shared.services.groups.create(t.ctx, { displayName: "Shared" })).id;
    await concurrentMemberPatches(a.url, b.url, t.scimToken, memberIds, groupId, shared.count);
  });

  test("a session made on one instance works on the other; a user de-activated on one is refused on the other at once", async () => {
    const user = await shared.services.users.create(t.ctx, { userName: "roaming@many.test" });
    // SP-initiated SAML sign-in on instance A (the AuthnRequest id is checked on the way back).
    const sp = serviceProviderInfo(a.url, "many");
    const browser = request.agent(a.url);
    const start = await browser.get(`/auth/saml/many/login`).expect(302);
    const xml = signResponse(buildResponseXml({ idpIssuer: IDP_ISSUER, spEntityId: sp.spEntityId, acsUrl: sp.acsUrl, nameId: user.userName, inResponseTo: authnRequestId(start.headers.location) }), key);
    const acs = await browser.post(`/auth/saml/many/acs`).type("form").send({ SAMLResponse: b64(xml) });
    expect(acs.status).toBe(303);
    const cookie = String(acs.headers["set-cookie"]).split(";")[0];
    expect(cookie).toMatch(/^roster\.sid=/);

    const me = (url: string) => fetch(`${url}/graphql`, { method: "POST", headers: { "content-type": "application/json", cookie }, body: JSON.stringify({ query: "{ me { id userName } }" }) }).then((r) => r.json() as Promise<any>);
    expect((await me(b.url)).data.me).toEqual({ id: user.id, userName: user.userName });
    expect((await fetch(`${b.url}/auth/me`, { headers: { cookie } })).status).toBe(200);

    // De-activated through SCIM on B: A refuses the same cookie on the very next request.
    const off = await scimClient(b.url, t.scimToken).patch(`/Users/${user.id}`, patchOp({ op: "replace", path: "active", value: false }));
    expect(off.status).toBe(200);
    expect((await fetch(`${a.url}/auth/me`, { headers: { cookie } })).status).toBe(401);
    const after = await me(a.url);
    expect(after.data?.me ?? null).toBeNull();
  });

  test("a SCIM token revoked through one instance is refused there at once, and on the other within TOKEN_CACHE_SECONDS (2 s)", async () => {
    const issued = await shared.services.tokens.create(t.ctx, { name: "to revoke", scope: "scim" });
    // Both instances have checked (and cached) the token.
    expect((await scimClient(a.url, issued.secret).get("/ServiceProviderConfig")).status).toBe(200);
    expect((await scimClient(b.url, issued.secret).get("/ServiceProviderConfig")).status).toBe(200);
    const revoke = await fetch(`${a.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query: "mutation($id: ID!) { revokeAccessToken(id: $id) { revokedAt } }", variables: { id: issued.token.id } }),
    }).then((r) => r.json() as Promise<any>);
    const revokedAt = Date.now();
    expect(revoke.data.revokeAccessToken.revokedAt).toBeTruthy();
    expect((await scimClient(a.url, issued.secret).get("/ServiceProviderConfig")).status).toBe(401);
    let refusedOnB = 0;
    while (Date.now() - revokedAt < 5_000 && !refusedOnB) {
      if ((await scimClient(b.url, issued.secret).get("/ServiceProviderConfig")).status === 401) refusedOnB = Date.now();
      else await new Promise((r) => setTimeout(r, 100));
    }
    expect(refusedOnB).toBeGreaterThan(0);
    expect(refusedOnB - revokedAt).toBeLessThanOrEqual(2_500);
  });

  test("rate limits are shared: one token's 300 requests per window hold across both instances", async () => {
    const other = await shared.services.tokens.create(t.ctx, { name: "counted", scope: "scim" });
    const clients = [scimClient(a.url, other.secret), scimClient(b.url, other.secret)];
    const answers = await Promise.all(Array.from({ length: 400 }, (_, i) => clients[i % 2].get("/ServiceProviderConfig")));
    const ok = answers.filter((r) => r.status === 200).length;
    const limited = answers.filter((r) => r.status === 429);
    expect(ok).toBe(300);
    expect(limited).toHaveLength(100);
    expectScimError(limited[0], 429);
    expect(Number(limited[0].headers.get("retry-after"))).toBeGreaterThan(0);
  }, 30_000);
});

describeSqlite("one Roster process on SQLite takes the same races", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  test(`the same userName twice at once (${PAIRS} times): one 201 and one 409 uniqueness each`, async () => {
    const t = await app.tenant();
    await concurrentCreates(app.url, app.url, t.scimToken);
  });

  test("concurrent member PATCHes of one group: every member added is there, none twice", async () => {
    const t = await app.tenant();
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push((await app.services.users.create(t.ctx, { userName: `m${i}@sqlite.test` })).id);
    const groupId = (await app.services.groups.create(t.ctx, { displayName: "Shared" })).id;
    const count = async (sql: string, p: unknown[]) => Number(Object.values((await app.dataSource.query(sql, p))[0] as object)[0]);
    await concurrentMemberPatches(app.url, app.url, t.scimToken, ids, groupId, count);
  });
});
