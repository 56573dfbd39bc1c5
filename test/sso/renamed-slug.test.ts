// An organisation that renames its slug keeps its IdP working: the IdP still posts to the old slug's
// ACS with the old audience, and still sends browsers back to the old OIDC redirect URI, until its
// admin reconfigures it. Sign-in through the old slug's URLs is exactly as strict as through the
// current slug's, and only ever reaches the organisation that gave the slug up.
import request from "supertest";
import { serviceProviderInfo } from "../../src/domain/sso/identity-provider.service";
import { rosterOn } from "../support/cli";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { type FakeEntra, startFakeEntra } from "./support/fake-entra";
import { type AssertionInput, type TestKey, authnRequestId, authnRequestXml, b64, buildResponseXml, makeSelfSignedCert, signResponse } from "./support/fake-saml-idp";

const IDP_ISSUER = "http://www.okta.com/exkRENAMED";
const IDP_SSO = "https://acme.okta.example/app/roster/exkRENAMED/sso/saml";

let app: TestApp;
let idpKey: TestKey;
let attackerKey: TestKey;
let counter = 0;

beforeAll(async () => {
  app = await startTestApp({ OIDC_ALLOW_INSECURE_REQUESTS: "true", ALLOW_PRIVATE_OUTBOUND_HOSTS: "true" });
  [idpKey, attackerKey] = [makeSelfSignedCert("okta-renamed"), makeSelfSignedCert("attacker")];
});
afterAll(() => app.close());

const slugOf = (name: string) => `${name}-${process.pid}-${++counter}`;
const rename = (tenant: TestTenant, slug: string) =>
  app.gql<{ updateOrganisation: { slug: string } }>(tenant.adminToken, `mutation($s: String!) { updateOrganisation(input: { slug: $s }) { slug } }`, { s: slug });

async function renamed(tenant: TestTenant, slug: string) {
  const r = await rename(tenant, slug);
  expect(r.errors).toBeUndefined();
  expect(r.data!.updateOrganisation.slug).toBe(slug);
}

/** An organisation set up with the Okta app above (the same IdP entity id and certificate for every one), with one user. */
async function samlTenant(name: string, userName: string, opts: { justInTimeProvisioning?: boolean } = {}) {
  const tenant = await app.tenant(slugOf(name));
  await app.services.identityProviders.configureSaml(tenant.ctx, { idpSsoUrl: IDP_SSO, idpEntityId: IDP_ISSUER, idpCertificates: [idpKey.certPem], ...opts });
  await app.services.users.create(tenant.ctx, { userName });
  return tenant;
}

/** What the IdP sends for the SP it was set up with (audience, ACS as Destination and Recipient), signed as Okta signs. */
const responseFor = (sp: { spEntityId: string; acsUrl: string }, over: Partial<AssertionInput> = {}, key = idpKey) =>
  signResponse(buildResponseXml({ idpIssuer: IDP_ISSUER, spEntityId: sp.spEntityId, acsUrl: sp.acsUrl, nameId: "alice@acme.test", ...over }), key);

const postAcs = (slug: string, xml: string, agent = request.agent(app.url)) => agent.post(`/auth/saml/${slug}/acs`).type("form").send({ SAMLResponse: b64(xml) }).then((response) => ({ agent, response }));

async function lastEvent(tenant: TestTenant, action: string) {
  return (await app.services.audit.list(tenant.ctx, { action }, { first: 1 })).items[0];
}
const eventCount = async (tenant: TestTenant, action: string) => (await app.services.audit.list(tenant.ctx, { action }, { first: 200 })).items.length;

describe("SAML after a rename: the IdP still uses the old slug's ACS URL and audience", () => {
  let acme: TestTenant;
  let oldSlug: string;
  let newSlug: string;
  let oldSp: ReturnType<typeof serviceProviderInfo>;
  let newSp: ReturnType<typeof serviceProviderInfo>;
  /** Signed in before the rename. */
  let before: ReturnType<typeof request.agent>;

  beforeAll(async () => {
    acme = await samlTenant("acme", "alice@acme.test");
    oldSlug = acme.organisation.slug;
    oldSp = serviceProviderInfo(app.url, oldSlug);
    ({ agent: before } = await postAcs(oldSlug, responseFor(oldSp)));
    expect((await before.get("/auth/me").expect(200)).body.organisation.slug).toBe(oldSlug);
    newSlug = slugOf("acme-renamed");
    newSp = serviceProviderInfo(app.url, newSlug);
    await renamed(acme, newSlug);
  });

  test("IdP-initiated: a response to the old ACS with the old audience signs the user in, to the organisation as it is now; accepted once", async () => {
    const xml = responseFor(oldSp);
    const { agent, response } = await postAcs(oldSlug, xml);
    expect(response.status).toBe(303);
    const me = (await agent.get("/auth/me").expect(200)).body;
    expect(me).toMatchObject({ userName: "alice@acme.test", organisation: { id: acme.organisation.id, slug: newSlug }, protocol: "saml" });
    const ev = await lastEvent(acme, "sso.signed_in");
    expect(ev).toMatchObject({ resourceId: me.id, source: "sso" });
    // The audit trail says the IdP still uses the old slug's URLs.
    expect(ev.changes?.formerSlug?.after).toBe(oldSlug);

    // Replay checks apply: the same response is refused again, through either slug.
    expect((await postAcs(oldSlug, xml)).response.status).toBe(401);
    expect((await lastEvent(acme, "sso.refused")).changes?.reason?.after).toBe("replayed");
    expect((await postAcs(newSlug, xml)).response.status).toBe(401);
  });

  test("SP-initiated through the old slug: the AuthnRequest names the old entity id and ACS, which the IdP knows; its answer signs in", async () => {
    const agent = request.agent(app.url);
    const start = await agent.get(`/auth/saml/${oldSlug}/login`).expect(302);
    expect(start.headers.location.startsWith(`${IDP_SSO}?SAMLRequest=`)).toBe(true);
    const authn = authnRequestXml(start.headers.location);
    expect(authn).toContain(`AssertionConsumerServiceURL="${oldSp.acsUrl}"`);
    expect(authn).toContain(`>${oldSp.spEntityId}</saml:Issuer>`);
    const xml = responseFor(oldSp, { inResponseTo: authnRequestId(start.headers.location) });
    expect((await postAcs(oldSlug, xml, agent)).response.status).toBe(303);
    expect((await agent.get("/auth/me").expect(200)).body).toMatchObject({ userName: "alice@acme.test", organisation: { slug: newSlug } });
    // The request id is used up.
    expect((await postAcs(oldSlug, responseFor(oldSp, { inResponseTo: authnRequestId(start.headers.location) }))).response.status).toBe(401);

    // The current slug signs in with the current values, as before.
    const current = request.agent(app.url);
    const next = await current.get(`/auth/saml/${newSlug}/login`).expect(302);
    expect(authnRequestXml(next.headers.location)).toContain(`AssertionConsumerServiceURL="${newSp.acsUrl}"`);
    expect((await postAcs(newSlug, responseFor(newSp, { inResponseTo: authnRequestId(next.headers.location) }), current)).response.status).toBe(303);
    expect((await lastEvent(acme, "sso.signed_in")).changes?.formerSlug).toBeUndefined();
    expect((await postAcs(newSlug, responseFor(newSp))).response.status).toBe(303);
  });

  test("a session from before the rename shows the organisation's current slug", async () => {
    expect((await before.get("/auth/me").expect(200)).body.organisation).toEqual({ id: acme.organisation.id, slug: newSlug });
  });

  test("metadata: the old URL still describes the entity the IdP was set up with; the current one the current entity", async () => {
    const old = await request(app.url).get(`/auth/saml/${oldSlug}/metadata`).expect(200);
    expect(old.headers["content-type"]).toMatch(/samlmetadata\+xml/);
    expect(old.text).toContain(`entityID="${oldSp.spEntityId}"`);
    expect(old.text).toContain(`Location="${oldSp.acsUrl}"`);
    expect(old.text).not.toContain(newSlug);
    const current = await request(app.url).get(`/auth/saml/${newSlug}/metadata`).expect(200);
    expect(current.text).toContain(`entityID="${newSp.spEntityId}"`);
    expect(current.text).toContain(`Location="${newSp.acsUrl}"`);
    expect(current.text).not.toContain(`/${oldSlug}/`);
    // An unknown slug answers as before.
    const never = slugOf("never-was");
    await request(app.url).get(`/auth/saml/${never}/metadata`).expect(404);
    await request(app.url).get(`/auth/saml/${never}/login`).expect(404);
    expect((await postAcs(never, responseFor(serviceProviderInfo(app.url, never)))).response.status).toBe(404);
  });

  test.each([
    ["the current audience at the old ACS", () => responseFor({ spEntityId: newSp.spEntityId, acsUrl: oldSp.acsUrl }), /audience mismatch/],
    ["the old audience at the current ACS's Destination and Recipient", () => responseFor({ spEntityId: oldSp.spEntityId, acsUrl: newSp.acsUrl }), /destination/],
    ["an old-audience response whose Recipient is the current ACS", () => responseFor(oldSp, { recipient: newSp.acsUrl }), /recipient/],
    ["expired", () => responseFor(oldSp, { notOnOrAfterMs: -5 * 60_000 }), /subject confirmation|expired/],
    ["another IdP's issuer", () => responseFor(oldSp, { idpIssuer: "http://www.okta.com/exkOTHER" }), /issuer/],
    ["signed by another key", () => responseFor(oldSp, {}, attackerKey), /signature/i],
    ["tampered after signing", () => responseFor(oldSp).replace(">alice@acme.test<", ">admin@acme.test<"), /signature/i],
  ] as [string, () => string, RegExp][])("as strict through the old slug: refused, %s", async (_name, make, why) => {
    const { agent, response } = await postAcs(oldSlug, make());
    expect(response.status).toBe(401);
    await agent.get("/auth/me").expect(401);
    const ev = await lastEvent(acme, "sso.refused");
    expect(ev.changes?.reason?.after).toBe("invalid_response");
    expect(String(ev.changes?.message?.after)).toMatch(why);
  });

  test("a response for the current slug's SP is refused at the old ACS, and the old SP's at the current ACS", async () => {
    expect((await postAcs(oldSlug, responseFor(newSp))).response.status).toBe(401);
    expect(String((await lastEvent(acme, "sso.refused")).changes?.message?.after)).toMatch(/destination/);
    expect((await postAcs(newSlug, responseFor(oldSp))).response.status).toBe(401);
    expect(String((await lastEvent(acme, "sso.refused")).changes?.message?.after)).toMatch(/destination/);
  });

  test("disabled SAML is disabled through the old slug too, and enabled again with it", async () => {
    await app.services.identityProviders.setEnabled(acme.ctx, "saml", false);
    try {
      await request(app.url).get(`/auth/saml/${oldSlug}/login`).expect(404);
      expect((await postAcs(oldSlug, responseFor(oldSp))).response.status).toBe(404);
    } finally {
      await app.services.identityProviders.setEnabled(acme.ctx, "saml", true);
    }
    await request(app.url).get(`/auth/saml/${oldSlug}/login`).expect(302);
    expect((await postAcs(oldSlug, responseFor(oldSp))).response.status).toBe(303);
  });

});

describe("SAML: another organisation set up with the same IdP never receives the old slug's sign-ins", () => {
  let first: TestTenant;
  let squatter: TestTenant;
  let oldSlug: string;
  let oldSp: ReturnType<typeof serviceProviderInfo>;
  let squatterSp: ReturnType<typeof serviceProviderInfo>;

  beforeAll(async () => {
    first = await samlTenant("first", "alice@acme.test");
    // Same Okta entity id and certificate, just-in-time provisioning on, and a user named as first's.
    squatter = await samlTenant("squatter", "alice@acme.test", { justInTimeProvisioning: true });
    oldSlug = first.organisation.slug;
    oldSp = serviceProviderInfo(app.url, oldSlug);
    squatterSp = serviceProviderInfo(app.url, squatter.organisation.slug);
    await renamed(first, slugOf("first-renamed"));
  });

  test("it cannot take the old slug, so the old slug's sign-ins reach the organisation that gave it up", async () => {
    const taken = await rename(squatter, oldSlug);
    expect(taken.errors?.[0].extensions?.code).toBe("CONFLICT");
    const signedInBefore = await eventCount(squatter, "sso.signed_in");
    const { agent, response } = await postAcs(oldSlug, responseFor(oldSp, { nameId: "bob@acme.test" }));
    // bob is nobody in first (not provisioned there, no JIT); the squatter, with JIT, never sees him.
    expect(response.status).toBe(403);
    await agent.get("/auth/me").expect(401);
    expect((await lastEvent(first, "sso.refused")).changes?.reason?.after).toBe("not_provisioned");
    expect(await app.services.users.findByUserName(squatter.ctx, "bob@acme.test")).toBeNull();
    const alice = await postAcs(oldSlug, responseFor(oldSp));
    expect(alice.response.status).toBe(303);
    expect((await alice.agent.get("/auth/me").expect(200)).body.organisation.id).toBe(first.organisation.id);
    expect(await eventCount(squatter, "sso.signed_in")).toBe(signedInBefore);
  });

  test("the audience check rejects, at the old slug's ACS, a response meant for the other organisation's SP", async () => {
    // Okta's app for the squatter, with the old ACS as Destination and Recipient: its audience is not the old slug's.
    const forSquatter = responseFor({ spEntityId: squatterSp.spEntityId, acsUrl: oldSp.acsUrl });
    const { agent, response } = await postAcs(oldSlug, forSquatter);
    expect(response.status).toBe(401);
    await agent.get("/auth/me").expect(401);
    expect(String((await lastEvent(first, "sso.refused")).changes?.message?.after)).toMatch(/audience mismatch/);
    // And a response for the old slug's SP is refused by the squatter's ACS, even when addressed to it.
    const forOld = responseFor({ spEntityId: oldSp.spEntityId, acsUrl: squatterSp.acsUrl });
    expect((await postAcs(squatter.organisation.slug, forOld)).response.status).toBe(401);
    expect(String((await lastEvent(squatter, "sso.refused")).changes?.message?.after)).toMatch(/audience mismatch/);
    // The squatter's own response is refused at the old ACS (it names the squatter's ACS).
    expect((await postAcs(oldSlug, responseFor(squatterSp))).response.status).toBe(401);
    expect(String((await lastEvent(first, "sso.refused")).changes?.message?.after)).toMatch(/destination/);
  });
});

describe("SAML: an organisation that takes its old slug back", () => {
  test("signs in through it as its current slug, and through the slug it left as a former one", async () => {
    const acme = await samlTenant("back", "alice@acme.test");
    const [a, b] = [acme.organisation.slug, slugOf("back-renamed")];
    const [spA, spB] = [serviceProviderInfo(app.url, a), serviceProviderInfo(app.url, b)];
    await renamed(acme, b);
    await renamed(acme, a);
    for (const [slug, sp, former] of [[a, spA, undefined], [b, spB, b]] as const) {
      const { agent, response } = await postAcs(slug, responseFor(sp));
      expect(response.status).toBe(303);
      expect((await agent.get("/auth/me").expect(200)).body.organisation).toEqual({ id: acme.organisation.id, slug: a });
      expect((await lastEvent(acme, "sso.signed_in")).changes?.formerSlug?.after).toBe(former);
    }
    expect((await request(app.url).get(`/auth/saml/${b}/metadata`).expect(200)).text).toContain(`entityID="${spB.spEntityId}"`);
  });
});

describe("an operator releases a former slug (roster org release-slug)", () => {
  const cli = (...argv: string[]) => rosterOn(app.database.url, ...argv);

  test("its sign-in URLs stop reaching the organisation that gave it up, which records the release; then another organisation takes it", async () => {
    const first = await samlTenant("released", "alice@acme.test");
    const [oldSlug, newSlug] = [first.organisation.slug, slugOf("released-renamed")];
    const oldSp = serviceProviderInfo(app.url, oldSlug);
    await renamed(first, newSlug);
    expect((await postAcs(oldSlug, responseFor(oldSp))).response.status).toBe(303);
    const taker = await app.tenant(slugOf("taker"));
    expect((await rename(taker, oldSlug)).errors?.[0].extensions?.code).toBe("CONFLICT");

    const released = await cli("org", "release-slug", "--slug", oldSlug);
    expect(released).toEqual({
      code: 0,
      err: "",
      out: [
        `released "${oldSlug}", a former slug of organisation ${first.organisation.id} (now "${newSlug}")`,
        `sign-in URLs with "${oldSlug}" no longer reach it (an identity provider still set up with them fails); another organisation may now take "${oldSlug}"`,
      ].join("\n"),
    });
    const ev = await lastEvent(first, "organisation.slug_released");
    expect(ev).toMatchObject({ source: "cli", resourceType: "Organisation", resourceId: first.organisation.id, changes: { formerSlug: { before: oldSlug, after: null } } });
    expect(await app.services.organisations.formerSlugs(first.ctx)).toEqual([]);

    // The current slug signs in as before.
    expect((await postAcs(newSlug, responseFor(serviceProviderInfo(app.url, newSlug)))).response.status).toBe(303);

    // What the IdP still sends to the old slug's URLs reaches nobody: login, ACS, metadata.
    const signedIn = await eventCount(first, "sso.signed_in");
    await request(app.url).get(`/auth/saml/${oldSlug}/login`).expect(404);
    const { agent, response } = await postAcs(oldSlug, responseFor(oldSp));
    expect(response.status).toBe(404);
    await agent.get("/auth/me").expect(401);
    await request(app.url).get(`/auth/saml/${oldSlug}/metadata`).expect(404);
    expect(await eventCount(first, "sso.signed_in")).toBe(signedIn);
    expect((await cli("token", "list", "--org", oldSlug)).code).toBe(1);

    // Another organisation takes it: the slug's URLs are now that organisation's, with its own IdP.
    await renamed(taker, oldSlug);
    await app.services.identityProviders.configureSaml(taker.ctx, { idpSsoUrl: "https://taker.okta.example/sso/saml", idpEntityId: "http://www.okta.com/exkTAKER", idpCertificates: [attackerKey.certPem] });
    const start = await request(app.url).get(`/auth/saml/${oldSlug}/login`).expect(302);
    expect(start.headers.location.startsWith("https://taker.okta.example/sso/saml?SAMLRequest=")).toBe(true);
    // first's IdP's response, posted to the slug's ACS, is checked against the taker's IdP and refused there.
    expect((await postAcs(oldSlug, responseFor(oldSp))).response.status).toBe(401);
    expect(await eventCount(first, "sso.signed_in")).toBe(signedIn);
    const taken = await cli("token", "list", "--org", oldSlug);
    expect([taken.code, taken.err]).toEqual([0, ""]);
  });

  test("a slug that is not a former one is refused with the reason, and nothing is released", async () => {
    const acme = await app.tenant(slugOf("not-released"));
    const [current, former] = [slugOf("not-released-now"), acme.organisation.slug];
    await renamed(acme, current);

    const currentRefused = await cli("org", "release-slug", "--slug", current);
    expect(currentRefused).toMatchObject({ code: 1, out: "" });
    expect(currentRefused.err).toBe(`error: "${current}" is the current slug of organisation ${acme.organisation.id} ("${acme.organisation.name}"), not one it gave up: only a former slug can be released`);
    const nobody = await cli("org", "release-slug", "--slug", `${former}-never-held`);
    expect(nobody).toMatchObject({ code: 1, out: "" });
    expect(nobody.err).toBe(`error: "${former}-never-held" is not a slug any organisation gave up: there is nothing to release`);
    expect((await cli("org", "release-slug")).code).toBe(2);
    expect((await app.services.organisations.formerSlugs(acme.ctx)).map((r) => r.slug)).toEqual([former]);
    expect(await eventCount(acme, "organisation.slug_released")).toBe(0);

    // Released once, it is no former slug any more.
    expect((await cli("org", "release-slug", "--slug", former.toUpperCase())).code).toBe(0);
    expect((await cli("org", "release-slug", "--slug", former)).err).toBe(`error: "${former}" is not a slug any organisation gave up: there is nothing to release`);
    expect(await eventCount(acme, "organisation.slug_released")).toBe(1);
  });
});

describe("GraphQL serviceProvider: the current URLs, and the former slugs' URLs still accepted", () => {
  test("after a rename, and after taking the old slug back", async () => {
    const acme = await app.tenant(slugOf("gql"));
    const [a, b] = [acme.organisation.slug, slugOf("gql-renamed")];
    const query = `{ serviceProvider { spEntityId acsUrl formerSlugs { slug retiredAt spEntityId acsUrl metadataUrl samlLoginUrl oidcRedirectUri oidcLoginUrl } } }`;
    type Sp = { spEntityId: string; acsUrl: string; formerSlugs: Record<string, string>[] };
    const sp = async () => (await app.gql<{ serviceProvider: Sp }>(acme.adminToken, query)).data!.serviceProvider;
    expect((await sp()).formerSlugs).toEqual([]);
    await renamed(acme, b);
    const afterRename = await sp();
    const { spEntityId, acsUrl } = serviceProviderInfo(app.url, b);
    expect(afterRename).toMatchObject({ spEntityId, acsUrl });
    const old = serviceProviderInfo(app.url, a);
    expect(afterRename.formerSlugs).toEqual([
      {
        slug: a,
        retiredAt: expect.any(String),
        spEntityId: old.spEntityId,
        acsUrl: old.acsUrl,
        metadataUrl: old.metadataUrl,
        samlLoginUrl: old.samlLoginUrl,
        oidcRedirectUri: old.oidcRedirectUri,
        oidcLoginUrl: old.oidcLoginUrl,
      },
    ]);
    await renamed(acme, a);
    const back = await sp();
    expect(back.spEntityId).toBe(old.spEntityId);
    expect(back.formerSlugs.map((f) => [f.slug, f.acsUrl])).toEqual([[b, serviceProviderInfo(app.url, b).acsUrl]]);
    // Another organisation sees none of them.
    const other = await app.tenant();
    expect((await app.gql<{ serviceProvider: Sp }>(other.adminToken, query)).data!.serviceProvider.formerSlugs).toEqual([]);
  });
});

describe("OIDC after a rename: Entra still has the old redirect URI registered", () => {
  const TENANT = "7f3c1e2a-0000-4000-8000-0000000051a6";
  const CLIENT_ID = "roster-renamed";
  const CLIENT_SECRET = "s3cret-for-renamed";
  let acme: TestTenant;
  let entra: FakeEntra;
  let oldSlug: string;
  let newSlug: string;

  const rel = (u: string) => {
    const x = new URL(u);
    return x.pathname + x.search;
  };

  /** The browser: Roster's login through `slug` → the IdP's login → back to the redirect URI; returns what Roster answered there. */
  async function signInThrough(slug: string, as = "oid-ada") {
    const browser = request.agent(app.url);
    const atIdp = request.agent(entra.origin);
    const r1 = await browser.get(`/auth/oidc/${slug}/login`).expect(302);
    const authUrl = new URL(r1.headers.location);
    const r2 = await atIdp.get(rel(authUrl.href));
    if (r2.status !== 303) return { browser, authUrl, callback: null, response: null };
    const interaction = new URL(r2.headers.location, authUrl).href;
    const r4 = await atIdp.post(rel(interaction) + "/login").type("form").send({ login: as }).expect(303);
    const r5 = await atIdp.get(rel(new URL(r4.headers.location, authUrl).href)).expect(303);
    const callback = new URL(r5.headers.location);
    return { browser, authUrl, callback, response: await browser.get(rel(callback.href)) };
  }

  beforeAll(async () => {
    acme = await app.tenant(slugOf("entra"));
    oldSlug = acme.organisation.slug;
    newSlug = slugOf("entra-renamed");
    entra = await startFakeEntra({
      tenantId: TENANT,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      // As the Entra admin registered it, before the rename.
      redirectUris: [serviceProviderInfo(app.url, oldSlug).oidcRedirectUri],
      accounts: { "oid-ada": { name: "Ada", email: "ada@contoso.example", upn: "ada@contoso.example" } },
    });
    await app.services.identityProviders.configureOidc(acme.ctx, { issuer: entra.issuer, tenantId: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
    await app.services.users.create(acme.ctx, { userName: "ada@contoso.example", externalId: "oid-ada" });
    // Signed in once before the rename (the instance now knows the organisation's OIDC client).
    expect((await signInThrough(oldSlug)).response?.status).toBe(303);
    await renamed(acme, newSlug);
  });
  afterAll(() => entra?.close());

  test("start and callback through the old slug use the old redirect URI and sign in", async () => {
    const { browser, authUrl, callback, response } = await signInThrough(oldSlug);
    expect(authUrl.searchParams.get("redirect_uri")).toBe(serviceProviderInfo(app.url, oldSlug).oidcRedirectUri);
    expect(callback?.pathname).toBe(`/auth/oidc/${oldSlug}/callback`);
    expect(response?.status).toBe(303);
    expect((await browser.get("/auth/me").expect(200)).body).toMatchObject({ userName: "ada@contoso.example", protocol: "oidc", organisation: { id: acme.organisation.id, slug: newSlug } });
    expect((await lastEvent(acme, "sso.signed_in")).changes?.formerSlug?.after).toBe(oldSlug);
  });

  test("as strict through the old slug: a callback with a forged state, or presented again, is refused", async () => {
    const browser = request.agent(app.url);
    const authUrl = new URL((await browser.get(`/auth/oidc/${oldSlug}/login`).expect(302)).headers.location);
    const forged = new URLSearchParams({ code: "x", state: "forged-state", iss: entra.issuer });
    expect((await browser.get(`/auth/oidc/${oldSlug}/callback?${forged}`)).status).toBe(401);
    expect(authUrl.searchParams.get("state")).toBeTruthy();
    const { browser: again, callback } = await signInThrough(oldSlug);
    expect((await again.get(rel(callback!.href))).status).toBe(401);
  });

  test("the current slug's login names the current redirect URI (which this IdP does not know yet), not a cached old one", async () => {
    const { authUrl, response } = await signInThrough(newSlug);
    expect(authUrl.searchParams.get("redirect_uri")).toBe(serviceProviderInfo(app.url, newSlug).oidcRedirectUri);
    expect(response).toBeNull(); // the IdP refuses an unregistered redirect URI
  });

  test("another organisation cannot take the old slug, whose login starts this organisation's flow; an unknown slug answers as before", async () => {
    const other = await app.tenant();
    expect((await rename(other, oldSlug)).errors?.[0].extensions?.code).toBe("CONFLICT");
    const start = new URL((await request(app.url).get(`/auth/oidc/${oldSlug}/login`).expect(302)).headers.location);
    expect(start.href.startsWith(`${entra.issuer}/`)).toBe(true);
    expect(start.searchParams.get("client_id")).toBe(CLIENT_ID);
    await request(app.url).get(`/auth/oidc/${slugOf("never-was")}/login`).expect(404);
    await request(app.url).get(`/auth/oidc/${slugOf("never-was")}/callback?code=x&state=y`).expect(404);
  });
});
