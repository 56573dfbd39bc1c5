import request from "supertest";
import { Session } from "../../src/domain/sessions/session.entity";
import { User } from "../../src/domain/users/user.entity";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { serviceProviderInfo } from "../../src/domain/sso/identity-provider.service";
import { type TestKey, b64, buildResponseXml, makeSelfSignedCert, signResponse } from "./support/fake-saml-idp";
import { IDP_ISSUER, configureSaml, samlSignIn } from "./support/saml-login";

let app: TestApp;
let t: TestTenant;
let key: TestKey;

beforeAll(async () => {
  app = await startTestApp();
  key = makeSelfSignedCert("okta");
  t = await app.tenant();
  await configureSaml(app, t, key);
});
afterAll(() => app.close());

const sessionsOf = (userId: string) => app.dataSource.getRepository(Session).findBy({ userId });
let n = 0;
const newUser = (roles: string[] = []) => app.services.users.create(t.ctx, { userName: `user${++n}@acme.test`, roles });

/** Moves a stored session's sign-in back in time, as if it had been used ever since. */
async function signedInAgo(userId: string, ms: number) {
  const [row] = await sessionsOf(userId);
  const data = JSON.parse(row.data);
  data.passport.user.signedInAt = new Date(Date.now() - ms).toISOString();
  await app.dataSource.getRepository(Session).update({ id: row.id }, { data: JSON.stringify(data) });
}

describe("what a signed-in user reads of others", () => {
  const ME = `{ me { id phoneNumbers { value } manager { id userName displayName name { givenName } title department phoneNumbers { value } emails { value }
    addresses { formatted } customFields roles { name } groups { displayName } manager { id userName } } } }`;

  test("a non-admin sees their manager as a card (who they are), not the manager's details; an admin sees them all", async () => {
    await app.services.customFields.define(t.ctx, { key: "salary", type: "number" });
    const boss = await app.services.users.create(t.ctx, {
      userName: `boss${++n}@acme.test`, displayName: "The Boss", givenName: "Bo", title: "CEO", department: "Board", roles: ["admin"], customFields: { salary: 250000 },
      phoneNumbers: [{ value: "+1 555 0199" }], emails: [{ value: `boss${n}@home.test` }], addresses: [{ formatted: "1 Secret Lane" }],
    });
    const grand = await newUser();
    await app.services.users.update(t.ctx, boss.id, { managerId: grand.id });
    const board = `board-${n}`;
    await app.services.groups.create(t.ctx, { displayName: board, members: [{ id: boss.id }] });
    const worker = await app.services.users.create(t.ctx, { userName: `worker${++n}@acme.test`, managerId: boss.id, phoneNumbers: [{ value: "+1 555 0100" }] });

    const { browser } = await samlSignIn(app, t, key, worker.userName);
    const mine = (await browser.post("/graphql").send({ query: ME })).body;
    expect(mine.errors).toBeUndefined();
    expect(mine.data.me.phoneNumbers).toEqual([{ value: "+1 555 0100" }]);
    expect(mine.data.me.manager).toEqual({
      id: boss.id, userName: boss.userName, displayName: "The Boss", name: { givenName: "Bo" }, title: null, department: null,
      phoneNumbers: [], emails: [], addresses: [], customFields: {}, roles: [], groups: [], manager: null,
    });

    const admin = await newUser(["admin"]);
    await app.services.users.update(t.ctx, admin.id, { managerId: boss.id });
    const asAdmin = (await (await samlSignIn(app, t, key, admin.userName)).browser.post("/graphql").send({ query: ME })).body.data.me.manager;
    expect(asAdmin).toMatchObject({ title: "CEO", department: "Board", phoneNumbers: [{ value: "+1 555 0199" }], customFields: { salary: 250000 }, roles: [{ name: "admin" }], groups: [{ displayName: board }], manager: { id: grand.id } });
  });
});

describe("sessions: SESSION_TTL_HOURS is an absolute lifetime", () => {
  const TTL_MS = 12 * 3_600_000; // the default

  test("a session signed in longer ago than the TTL is over, though it was used all along", async () => {
    const u = await newUser();
    const { browser } = await samlSignIn(app, t, key, u.userName);
    await browser.get("/auth/me").expect(200);
    await signedInAgo(u.id, TTL_MS + 60_000);
    await browser.get("/auth/me").expect(401);
  });

  test("using a session does not move its end past sign-in + TTL", async () => {
    const u = await newUser();
    const { browser } = await samlSignIn(app, t, key, u.userName);
    await signedInAgo(u.id, TTL_MS - 5 * 60_000);
    await browser.get("/auth/me").expect(200);
    const [row] = await sessionsOf(u.id);
    expect(row.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 5 * 60_000 + 1000);
    expect(row.expiresAt.getTime()).toBeGreaterThan(Date.now());
  });
});

describe("sessions: stored in the database, ended by deactivation", () => {
  test("a sign-in stores a server-side session row keyed by the cookie, owned by the user", async () => {
    const u = await newUser();
    const { browser, response } = await samlSignIn(app, t, key, u.userName);
    expect(response.status).toBe(303);
    const rows = await sessionsOf(u.id);
    expect(rows).toHaveLength(1);
    expect(rows[0].organisationId).toBe(t.organisation.id);
    expect(rows[0].expiresAt.getTime()).toBeGreaterThan(Date.now() + 60 * 60_000);
    const sid = decodeURIComponent(/roster\.sid=([^;]+)/.exec(String(response.headers["set-cookie"]))![1]);
    expect(sid.startsWith(`s:${rows[0].id}.`)).toBe(true); // signed cookie → the row id
    expect(rows[0].data).not.toContain(key.keyPem.slice(30, 60));
    await browser.get("/auth/me").expect(200);
  });

  test("deactivating a signed-in user through GraphQL ends the session at once", async () => {
    const u = await newUser(["admin"]);
    const { browser } = await samlSignIn(app, t, key, u.userName);
    expect((await browser.post("/graphql").send({ query: "{ me { id } }" })).body.data.me.id).toBe(u.id);
    const r = await app.gql(t.adminToken, `mutation($id: ID!) { deactivateUser(id: $id) { active } }`, { id: u.id });
    expect(r.data).toEqual({ deactivateUser: { active: false } });
    expect(await sessionsOf(u.id)).toHaveLength(0);
    await browser.get("/auth/me").expect(401);
    const after = await browser.post("/graphql").send({ query: "{ users { totalCount } }" });
    expect(after.body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  test("deactivation by the domain call SCIM uses (and deletion) ends sessions too", async () => {
    const a = await newUser();
    const b = await newUser();
    const sa = await samlSignIn(app, t, key, a.userName);
    const sb = await samlSignIn(app, t, key, b.userName);
    await app.services.users.update({ ...t.ctx, source: "scim" }, a.id, { active: false });
    await app.services.users.delete({ ...t.ctx, source: "scim" }, b.id);
    await sa.browser.get("/auth/me").expect(401);
    await sb.browser.get("/auth/me").expect(401);
    expect(await sessionsOf(a.id)).toHaveLength(0);
    expect(await sessionsOf(b.id)).toHaveLength(0);
  });

  test("every request re-checks that the user is active (a change made elsewhere counts at once)", async () => {
    const u = await newUser();
    const { browser } = await samlSignIn(app, t, key, u.userName);
    await browser.get("/auth/me").expect(200);
    // As another instance's write would look from here: the row changes, no hook of this process runs.
    await app.dataSource.getRepository(User).update({ id: u.id }, { active: false });
    await browser.get("/auth/me").expect(401);
  });

  test("sign-out ends the session, clears the cookie and is audited with source sso", async () => {
    const u = await newUser();
    const { browser } = await samlSignIn(app, t, key, u.userName);
    const out = await browser.post("/auth/logout").expect(200);
    expect(out.text).toContain("signed out");
    expect(String(out.headers["set-cookie"])).toMatch(/roster\.sid=;/);
    await browser.get("/auth/me").expect(401);
    expect(await sessionsOf(u.id)).toHaveLength(0);
    const ev = (await app.services.audit.list(t.ctx, { action: "sso.signed_out" }, { first: 1 })).items[0];
    expect(ev).toMatchObject({ resourceId: u.id, source: "sso", actorType: "user", actorId: u.id });
  });

  test("sign-out is POST only, from Roster's own pages: a GET (an <img>) or another site's form signs nobody out", async () => {
    const u = await newUser();
    const { browser } = await samlSignIn(app, t, key, u.userName);
    const get = await browser.get("/auth/logout").expect(200);
    expect(get.text).toContain('<form method="post" action="/auth/logout"><button type="submit">Sign out</button></form>');
    expect(get.headers["set-cookie"]).toBeUndefined();
    // Another site, a sibling on the same site (SameSite=Lax sends the cookie then), an opaque origin.
    for (const headers of [{ origin: "https://evil.example" }, { "sec-fetch-site": "cross-site", origin: "https://evil.example" }, { "sec-fetch-site": "same-site" }, { origin: "null" }]) {
      const r = await browser.post("/auth/logout").set(headers).expect(403);
      expect(r.text).toContain("Sign-out refused");
      expect(r.headers["set-cookie"]).toBeUndefined();
    }
    await browser.get("/auth/me").expect(200);
    expect(await sessionsOf(u.id)).toHaveLength(1);
    expect((await app.services.audit.list(t.ctx, { action: "sso.signed_out", resourceId: u.id }, { first: 1 })).items).toHaveLength(0);
    // The console's form: the browser says same-origin, and its Origin is PUBLIC_URL's.
    await browser.post("/auth/logout").set({ origin: app.url, "sec-fetch-site": "same-origin" }).expect(200);
    await browser.get("/auth/me").expect(401);
  });

  test("a forged or unknown session cookie is not a session", async () => {
    const res = await fetch(`${app.url}/auth/me`, { headers: { cookie: "roster.sid=s%3Aforged.invalidsignature" } });
    expect(res.status).toBe(401);
  });

  test("just-in-time provisioning (off by default) creates the user on first sign-in when turned on", async () => {
    const name = `jit${Date.now()}@acme.test`;
    expect((await samlSignIn(app, t, key, name)).response.status).toBe(403);
    const on = await app.gql(t.adminToken, `mutation { setJustInTimeProvisioning(kind: saml, enabled: true) { justInTimeProvisioning } }`);
    expect(on.data).toEqual({ setJustInTimeProvisioning: { justInTimeProvisioning: true } });
    try {
      const { browser, response } = await samlSignIn(app, t, key, name, {}, { firstName: "Zoë", lastName: "Okta", email: name });
      expect(response.status).toBe(303);
      expect((await browser.get("/auth/me").expect(200)).body.userName).toBe(name);
      const created = await app.services.users.findByUserName(t.ctx, name);
      // Okta's usual attribute statements name the user.
      expect(created).toMatchObject({ givenName: "Zoë", familyName: "Okta", displayName: "Zoë Okta" });
      // Names longer than their columns are cut, not a refused sign-in (128 + 1 + 128 joined is 257).
      const long = `jit-long${Date.now()}@acme.test`;
      const given = "G".repeat(128);
      const longSignIn = await samlSignIn(app, t, key, long, {}, { firstName: given, lastName: "F".repeat(300), email: long });
      expect(longSignIn.response.status).toBe(303);
      expect(await app.services.users.findByUserName(t.ctx, long)).toMatchObject({ givenName: given, familyName: "F".repeat(255), displayName: `${given} ${"F".repeat(126)}` });
      const ev = (await app.services.audit.list(t.ctx, { action: "user.created", resourceId: created!.id }, { first: 1 })).items[0];
      expect(ev.source).toBe("sso");
      // An identity that cannot become a user (a NameID longer than a userName may be): refused like
      // any sign-in, with its page and in the audit trail; it was a 500.
      const tooLong = `${"x".repeat(300)}@acme.test`;
      const refused = (await samlSignIn(app, t, key, tooLong)).response;
      expect(refused.status).toBe(403);
      expect(refused.text).toContain("could not be created");
      const audit = (await app.services.audit.list(t.ctx, { action: "sso.refused" }, { first: 1 })).items[0];
      expect(audit.changes?.reason).toEqual({ before: null, after: "provisioning_refused" });
    } finally {
      await app.gql(t.adminToken, `mutation { setJustInTimeProvisioning(kind: saml, enabled: false) { justInTimeProvisioning } }`);
    }
  });
});

describe("session cookie behind https", () => {
  let secureApp: TestApp;
  let st: TestTenant;
  beforeAll(async () => {
    secureApp = await startTestApp({ PUBLIC_URL: "https://roster.example", SESSION_SECRET: "x".repeat(40) });
    st = await secureApp.tenant();
    await configureSaml(secureApp, st, key);
  });
  afterAll(() => secureApp.close());

  test("is Secure, HttpOnly and SameSite=Lax when PUBLIC_URL is https", async () => {
    const u = await secureApp.services.users.create(st.ctx, { userName: "sec@acme.test" });
    const { response } = await samlSignIn(secureApp, st, key, u.userName, { "x-forwarded-proto": "https" });
    expect(response.status).toBe(303);
    const cookie = String(response.headers["set-cookie"]);
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
  });

  test("behind a TLS proxy whose X-Forwarded-Proto is not trusted, sign-in is refused with a page and an error naming TRUST_PROXY, not signed in without a cookie", async () => {
    const lines: string[] = [];
    const untrusted = await startTestApp({ PUBLIC_URL: "https://roster.example", TRUST_PROXY: "false", LOG_LEVEL: "error" }, { logDestination: { write: (l) => void lines.push(l) } });
    try {
      const ut = await untrusted.tenant();
      await configureSaml(untrusted, ut, key);
      const u = await untrusted.services.users.create(ut.ctx, { userName: "behind-proxy@acme.test" });
      const proxied = { "x-forwarded-proto": "https" };
      const login = await request(untrusted.url).get(`/auth/saml/${ut.organisation.slug}/login`).set(proxied);
      expect(login.status).toBe(500);
      expect(login.text).toContain("Sign-in unavailable");
      // OIDC's sign-in routes are guarded the same way, before anything else (not even configured here).
      for (const step of ["login", "callback?code=x&state=y"]) expect((await request(untrusted.url).get(`/auth/oidc/${ut.organisation.slug}/${step}`).set(proxied)).status).toBe(500);
      // IdP-initiated (the Okta tile): a valid response for an active user.
      const sp = serviceProviderInfo(untrusted.config.publicUrl, ut.organisation.slug);
      const xml = signResponse(buildResponseXml({ idpIssuer: IDP_ISSUER, spEntityId: sp.spEntityId, acsUrl: sp.acsUrl, nameId: u.userName }), key);
      const acs = await request(untrusted.url).post(`/auth/saml/${ut.organisation.slug}/acs`).set(proxied).type("form").send({ SAMLResponse: b64(xml) });
      expect(acs.status).toBe(500);
      expect(acs.text).toContain("X-Forwarded-Proto");
      expect(acs.headers["set-cookie"]).toBeUndefined();
      expect((await untrusted.services.audit.list(ut.ctx, { action: "sso.signed_in" }, { first: 1 })).items).toHaveLength(0);
      expect(await untrusted.dataSource.getRepository(Session).countBy({ userId: u.id })).toBe(0);
      const errors = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level >= 50);
      expect(errors).toHaveLength(4);
      for (const e of errors) expect(e.msg).toMatch(/TRUST_PROXY/);
    } finally {
      await untrusted.close();
    }
  });

  test("without SESSION_SECRET a secret is generated once and shared through replay_entries", async () => {
    const first = await app.services.replay.get("secret:session");
    expect(first && first.length).toBeGreaterThanOrEqual(32);
    const again = await app.services.replay.sharedSecret("session", () => "would-be-another-secret-0123456789abcdef");
    expect(again).toBe(first);
    expect(await secureApp.services.replay.get("secret:session")).toBeNull(); // SESSION_SECRET given: nothing stored
  });
});
