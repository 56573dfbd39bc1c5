import request from "supertest";
import { serviceProviderInfo } from "../../src/domain/sso/identity-provider.service";
import { fakeDns } from "../support/fake-dns";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { type FakeAccount, type FakeEntra, startFakeEntra } from "./support/fake-entra";
import { oidcLoginAtIdp, rel } from "./support/oidc-login";

const TENANT = "7f3c1e2a-0000-4000-8000-00000000c0de";
const CLIENT_ID = "roster-client";
const CLIENT_SECRET = "s3cret-value-for-tests";

let app: TestApp;
let t: TestTenant;
let other: TestTenant;
let idp: FakeEntra;

beforeAll(async () => {
  // The fake Entra is on loopback: only this app may fetch from private hosts (the strict instance below may not).
  app = await startTestApp({ OIDC_ALLOW_INSECURE_REQUESTS: "true", ALLOW_PRIVATE_OUTBOUND_HOSTS: "true" });
  t = await app.tenant();
  other = await app.tenant();
  idp = await startFakeEntra({
    tenantId: TENANT,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [serviceProviderInfo(app.url, t.organisation.slug).oidcRedirectUri],
    accounts: {
      "oid-admin": { name: "Ada Admin", email: "ada@contoso.example", upn: "ada@contoso.example" },
      "oid-member": { name: "Max Member", email: "max@contoso.example", upn: "max@contoso.example" },
      "oid-gone": { name: "Gone", email: "gone@contoso.example", upn: "gone@contoso.example" },
      "oid-stranger": { name: "Stranger", email: "stranger@contoso.example", upn: "stranger@contoso.example" },
      "oid-other-org": { name: "Olga", email: "olga@contoso.example", upn: "olga@contoso.example" },
      "oid-foreign-tenant": { name: "Fred", email: "fred@fabrikam.example", upn: "fred@fabrikam.example", tid: "another-tenant" },
    },
  });
  await app.services.identityProviders.configureOidc(t.ctx, { issuer: idp.issuer, tenantId: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  await app.services.users.create(t.ctx, { userName: "ada@contoso.example", externalId: "OID-ADMIN", roles: ["admin"] });
  await app.services.users.create(t.ctx, { userName: "max@contoso.example", externalId: "oid-member" });
  const gone = await app.services.users.create(t.ctx, { userName: "gone@contoso.example", externalId: "oid-gone" });
  await app.services.users.deactivate(t.ctx, gone.id);
  // Provisioned with this oid and a Fabrikam-tenant user's oid, but in another organisation.
  await app.services.users.create(other.ctx, { userName: "olga@contoso.example", externalId: "oid-other-org" });
  await app.services.users.create(t.ctx, { userName: "fred@fabrikam.example", externalId: "oid-foreign-tenant" });
});
afterAll(async () => {
  await idp?.close();
  await app?.close();
});

/** Plays the browser: Roster → fake Entra login → back to Roster's callback (not yet followed). */
const loginAtIdp = (as: string, at: { idp: FakeEntra; slug: string } = { idp, slug: t.organisation.slug }) => oidcLoginAtIdp(app.url, at.idp, at.slug, as);

async function signIn(as: string) {
  const { browser, callback } = await loginAtIdp(as);
  const r = await browser.get(rel(callback.href));
  return { browser, response: r };
}

const gql = (browser: ReturnType<typeof request.agent>, query: string) => browser.post("/graphql").set("content-type", "application/json").send({ query });

/** A new organisation signing in with a fake Entra of its own, where oid-admin is provisioned. */
async function organisationWithOwnEntra(opts: { publishesAnotherKey?: boolean; accounts?: Record<string, FakeAccount> } = {}) {
  const tenant = await app.tenant();
  const entra = await startFakeEntra({
    tenantId: TENANT,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [serviceProviderInfo(app.url, tenant.organisation.slug).oidcRedirectUri],
    ...opts,
    accounts: { "oid-admin": { name: "Ada Admin", email: "ada@contoso.example", upn: "ada@contoso.example" }, ...opts.accounts },
  });
  await app.services.identityProviders.configureOidc(tenant.ctx, { issuer: entra.issuer, tenantId: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
  await app.services.users.create(tenant.ctx, { userName: "ada@contoso.example", externalId: "oid-admin" });
  return { tenant, entra };
}

test("refused: an id_token whose signature is not the published key's (a forged token under a published kid)", async () => {
  const { tenant: forger, entra: forging } = await organisationWithOwnEntra({ publishesAnotherKey: true });
  try {
    const { browser, callback } = await loginAtIdp("oid-admin", { idp: forging, slug: forger.organisation.slug });
    const r = await browser.get(rel(callback.href));
    expect(r.status).not.toBe(303);
    expect(r.status).toBeGreaterThanOrEqual(400);
    await browser.get("/auth/me").expect(401);
  } finally {
    await forging.close();
  }
});

test("Entra's default SCIM mapping (externalId ← mailNickname) with the default oid matching: refused, and the audit trail says which mapping to change; once Entra sends objectId as externalId, the user signs in", async () => {
  const { tenant, entra } = await organisationWithOwnEntra({
    accounts: { "5b3c0d2e-9f1a-4c8b-a0de-0123456789ab": { name: "Megan Bowen", email: "MeganB@contoso.example", upn: "MeganB@contoso.example" } },
  });
  try {
    const scim = request(app.url);
    // What Entra's provisioning service POSTs with its default attribute mappings for a non-gallery app.
    const created = await scim
      .post("/scim/v2/Users")
      .set("authorization", `Bearer ${tenant.scimToken}`)
      .set("content-type", "application/scim+json")
      .send({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], externalId: "MeganB", userName: "MeganB@contoso.example", active: true, displayName: "Megan Bowen" })
      .expect(201);
    const at = { idp: entra, slug: tenant.organisation.slug };
    const first = await loginAtIdp("5b3c0d2e-9f1a-4c8b-a0de-0123456789ab", at);
    expect((await first.browser.get(rel(first.callback.href))).status).toBe(403);
    const refusal = (await app.services.audit.list(tenant.ctx, { action: "sso.refused" }, { first: 1 })).items[0];
    expect(refusal.changes?.reason?.after).toBe("not_provisioned");
    expect(refusal.changes?.message?.after).toMatch(/user MeganB@contoso\.example has externalId MeganB/);
    expect(refusal.changes?.message?.after).toMatch(/map objectId to externalId/);
    // The admin maps objectId → externalId; Entra re-evaluates the user and replaces externalId.
    await scim
      .patch(`/scim/v2/Users/${created.body.id}`)
      .set("authorization", `Bearer ${tenant.scimToken}`)
      .set("content-type", "application/scim+json")
      .send({ schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "Replace", path: "externalId", value: "5b3c0d2e-9f1a-4c8b-a0de-0123456789ab" }] })
      .expect(200);
    const second = await loginAtIdp("5b3c0d2e-9f1a-4c8b-a0de-0123456789ab", at);
    expect((await second.browser.get(rel(second.callback.href))).status).toBe(303);
    await second.browser.get("/auth/me").expect(200);
  } finally {
    await entra.close();
  }
});

describe("OIDC sign-in against an Entra-shaped provider", () => {
  test("the authorization request carries PKCE S256, state and nonce, and our redirect URI", async () => {
    const { authUrl, callback } = await loginAtIdp("oid-admin");
    expect(authUrl.href.startsWith(`${idp.issuer}/`)).toBe(true);
    expect(authUrl.searchParams.get("code_challenge_method")).toBe("S256");
    expect(authUrl.searchParams.get("code_challenge")).toBeTruthy();
    expect(authUrl.searchParams.get("state")).toBeTruthy();
    expect(authUrl.searchParams.get("nonce")).toBeTruthy();
    expect(authUrl.searchParams.get("redirect_uri")).toBe(`${app.url}/auth/oidc/${t.organisation.slug}/callback`);
    expect(callback.searchParams.get("state")).toBe(authUrl.searchParams.get("state"));
  });

  test("admin: full code flow, then GraphQL with the session cookie (admin operations and me)", async () => {
    const { browser, response } = await signIn("oid-admin");
    expect(response.status).toBe(303);
    expect(response.headers.location).toBe("/auth/me");
    const me = await browser.get("/auth/me").expect(200);
    expect(me.body).toMatchObject({ userName: "ada@contoso.example", protocol: "oidc", roles: ["admin"] });
    const users = await gql(browser, "{ users { totalCount nodes { userName } } }").expect(200);
    expect(users.body.errors).toBeUndefined();
    expect(users.body.data.users.totalCount).toBe(4);
    const who = await gql(browser, "{ me { userName externalId roles { name } } }").expect(200);
    expect(who.body.data.me).toEqual({ userName: "ada@contoso.example", externalId: "OID-ADMIN", roles: [{ name: "admin" }] });
    const ev = (await app.services.audit.list(t.ctx, { action: "sso.signed_in", resourceId: me.body.id }, { first: 1 })).items[0];
    expect(ev).toMatchObject({ source: "sso", actorType: "user" });
    expect(ev.changes?.protocol?.after).toBe("oidc");
    // An action through the session is attributed to the user.
    const created = await browser
      .post("/graphql")
      .send({ query: `mutation { createUser(input: { userName: "via-session@contoso.example" }) { id } }` })
      .expect(200);
    const createdEv = (await app.services.audit.list(t.ctx, { action: "user.created", resourceId: created.body.data.createUser.id }, { first: 1 })).items[0];
    expect(createdEv).toMatchObject({ actorType: "user", actorId: me.body.id, source: "graphql" });
    await app.services.users.delete(t.ctx, created.body.data.createUser.id);
  });

  test("non-admin: signed in, `me` works, admin operations are FORBIDDEN", async () => {
    const { browser, response } = await signIn("oid-member");
    expect(response.status).toBe(303);
    const who = await gql(browser, "{ me { userName } }").expect(200);
    expect(who.body.data.me).toEqual({ userName: "max@contoso.example" });
    const users = await gql(browser, "{ users { totalCount } }").expect(200);
    expect(users.body.errors[0].extensions.code).toBe("FORBIDDEN");
    const idps = await gql(browser, "{ identityProviders { kind } }").expect(200);
    expect(idps.body.errors[0].extensions.code).toBe("FORBIDDEN");
  });

  test("without a session: `me` is null and admin operations are UNAUTHENTICATED", async () => {
    const anon = request.agent(app.url);
    expect((await gql(anon, "{ me { userName } }")).body.data.me).toBeNull();
    expect((await gql(anon, "{ users { totalCount } }")).body.errors[0].extensions.code).toBe("UNAUTHENTICATED");
  });

  test.each([
    ["a user of another tenant (tid)", "oid-foreign-tenant", 403, "wrong_tenant", /another directory/],
    ["a user not provisioned", "oid-stranger", 403, "not_provisioned", /not provisioned in the organisation/],
    ["a deactivated user", "oid-gone", 403, "deactivated", /deactivated/],
    ["another organisation's user", "oid-other-org", 403, "not_provisioned", /not provisioned in the organisation/],
  ])("refused: %s", async (_name, as, status, reason, text) => {
    const { browser, response } = await signIn(as);
    expect(response.status).toBe(status);
    expect(response.text).toMatch(text);
    await browser.get("/auth/me").expect(401);
    const ev = (await app.services.audit.list(t.ctx, { action: "sso.refused", source: "sso" }, { first: 1 })).items[0];
    expect(ev.changes?.reason?.after).toBe(reason);
  });

  test("refused: a callback whose state does not match the session", async () => {
    const { browser, callback } = await loginAtIdp("oid-admin");
    callback.searchParams.set("state", "forged-state");
    const r = await browser.get(rel(callback.href));
    expect(r.status).toBe(401);
    await browser.get("/auth/me").expect(401);
    const ev = (await app.services.audit.list(t.ctx, { action: "sso.refused" }, { first: 1 })).items[0];
    expect(ev.changes?.reason?.after).toBe("invalid_response");
    expect(String(ev.changes?.message?.after)).toMatch(/state/i);
  });

  test.each([
    ["access_denied", "AADSTS50105: The signed in user is not assigned to a role for the application."],
    ["consent_required", "AADSTS65001: The user or administrator has not consented to use the application."],
  ])("refused by the IdP (Entra %s): a page that says so, and the IdP's reason in the audit trail", async (error, description) => {
    const browser = request.agent(app.url);
    const authUrl = new URL((await browser.get(`/auth/oidc/${t.organisation.slug}/login`).expect(302)).headers.location);
    // Entra sends the browser back to the redirect URI with the error and the flow's state.
    const answer = new URLSearchParams({
      error,
      error_description: description,
      state: authUrl.searchParams.get("state")!,
      iss: idp.issuer,
    });
    const r = await browser.get(`/auth/oidc/${t.organisation.slug}/callback?${answer}`);
    expect(r.status).toBe(403);
    expect(r.text).toMatch(/Sign-in refused by your identity provider/);
    expect(r.text).toMatch(/assign this application to you/);
    expect(r.text).not.toMatch(/AADSTS/);
    await browser.get("/auth/me").expect(401);
    const ev = (await app.services.audit.list(t.ctx, { action: "sso.refused" }, { first: 1 })).items[0];
    expect(ev.changes?.reason?.after).toBe("idp_error");
    expect(ev.changes?.message?.after).toBe(`the identity provider answered ${error}: ${description}`);
    // The same answer with another state is no answer to this flow: not the IdP's word.
    answer.set("state", "forged-state");
    const forged = await request.agent(app.url).get(`/auth/oidc/${t.organisation.slug}/callback?${answer}`);
    expect(forged.status).toBe(401);
  });

  test("refused: a callback presented by another browser (no flow state in its session)", async () => {
    const { callback } = await loginAtIdp("oid-admin");
    const thief = request.agent(app.url);
    const r = await thief.get(rel(callback.href));
    expect(r.status).toBe(401);
    await thief.get("/auth/me").expect(401);
  });

  test("refused: the same callback a second time", async () => {
    const { browser, callback } = await loginAtIdp("oid-admin");
    expect((await browser.get(rel(callback.href))).status).toBe(303);
    const again = await browser.get(rel(callback.href));
    expect(again.status).toBe(401);
  });

  test("without OIDC_ALLOW_INSECURE_REQUESTS an http:// issuer is refused (the flag is for tests and development only)", async () => {
    const strict = await startTestApp({ ALLOW_PRIVATE_OUTBOUND_HOSTS: "true" });
    try {
      const st = await strict.tenant();
      await strict.services.identityProviders.configureOidc(st.ctx, { issuer: idp.issuer, tenantId: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
      const r = await request(strict.url).get(`/auth/oidc/${st.organisation.slug}/login`);
      expect(r.status).toBe(401);
      expect(r.headers.location).toBeUndefined();
    } finally {
      await strict.close();
    }
  });

  test("an organisation without OIDC has no OIDC sign-in", async () => {
    await request(app.url).get(`/auth/oidc/${other.organisation.slug}/login`).expect(404);
  });
});

describe("Roster fetches only from public addresses for OIDC (SSRF): the issuer and every endpoint its discovery names", () => {
  let strict: TestApp;
  const lines: string[] = [];
  beforeAll(async () => {
    // A second instance on the same database, with ALLOW_PRIVATE_OUTBOUND_HOSTS off (the default): as
    // production would meet a setting stored before the check, or allowed by another configuration.
    strict = await startTestApp({ OIDC_ALLOW_INSECURE_REQUESTS: "true", LOG_LEVEL: "warn" }, { shareDatabaseOf: app, logDestination: { write: (l) => void lines.push(l) } });
  });
  afterAll(() => strict?.close());

  const lastRefusals = async (tenant: TestTenant, n: number) =>
    (await app.services.audit.list(tenant.ctx, { action: "sso.refused" }, { first: n })).items.map((e) => [e.changes?.reason?.after, e.changes?.message?.after]);

  test("every request openid-client makes for a sign-in (discovery, keys, token endpoint) goes through Roster's checked fetch, none through the global fetch", async () => {
    const { tenant: fresh, entra } = await organisationWithOwnEntra();
    const globalFetch = jest.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("not through the global fetch"));
    try {
      const { browser, callback } = await loginAtIdp("oid-admin", { idp: entra, slug: fresh.organisation.slug });
      expect((await browser.get(rel(callback.href))).status).toBe(303);
      expect(globalFetch).not.toHaveBeenCalled();
    } finally {
      globalFetch.mockRestore();
      await entra.close();
    }
  });

  test("an issuer on loopback (configured where allowed) is refused at sign-in where it is not: the refusal page, audited and logged with the host, nothing fetched", async () => {
    const before = idp.requests;
    const login = await request(strict.url).get(`/auth/oidc/${t.organisation.slug}/login`);
    expect([login.status, login.headers.location]).toEqual([401, undefined]);
    expect(login.text).toContain("Sign-in failed");
    const callback = await request(strict.url).get(`/auth/oidc/${t.organisation.slug}/callback?code=x&state=y`);
    expect(callback.status).toBe(401);
    expect(idp.requests).toBe(before);
    const refused = ["idp_host_not_public", expect.stringContaining("127.0.0.1 is not a public address")];
    expect(await lastRefusals(t, 2)).toEqual([refused, refused]);
    expect(lines.filter((l) => l.includes("127.0.0.1 is not a public address"))).toHaveLength(2);
    // The same organisation still signs in through the instance that allows it.
    expect((await signIn("oid-member")).response.status).toBe(303);
  });

  test("a name is refused when configured if it resolves to a private address; one that resolved publicly then and privately at sign-in is refused as it connects", async () => {
    const st = await strict.tenant();
    const dnsNames = fakeDns({ "idp.rebound.test": "10.0.0.7" });
    try {
      const input = { issuer: `https://idp.rebound.test/${TENANT}/v2.0`, tenantId: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET };
      await expect(strict.services.identityProviders.configureOidc(st.ctx, input)).rejects.toMatchObject({
        code: "INVALID_INPUT",
        details: { field: "issuer" },
        message: expect.stringContaining("must name a public host: idp.rebound.test resolves to 10.0.0.7"),
      });
      dnsNames.addresses["idp.rebound.test"] = "8.8.8.8";
      await strict.services.identityProviders.configureOidc(st.ctx, input);
      dnsNames.addresses["idp.rebound.test"] = "127.0.0.1";
      const login = await request(strict.url).get(`/auth/oidc/${st.organisation.slug}/login`);
      expect([login.status, login.headers.location]).toEqual([401, undefined]);
      expect(await lastRefusals(st, 1)).toEqual([["idp_host_not_public", expect.stringContaining("idp.rebound.test resolves to 127.0.0.1, which is not a public address")]]);
    } finally {
      dnsNames.restore();
    }
  });
});
