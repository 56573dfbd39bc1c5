import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli } from "../../src/cli/run-cli";
import { rosterOn } from "../support/cli";
import { fakeDns } from "../support/fake-dns";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { type TestKey, makeSelfSignedCert } from "./support/fake-saml-idp";

let app: TestApp;
let t: TestTenant;
let other: TestTenant;
let k1: TestKey;
let k2: TestKey;
let tmp: string;

beforeAll(async () => {
  app = await startTestApp();
  t = await app.tenant();
  other = await app.tenant();
  [k1, k2] = [makeSelfSignedCert("okta-one"), makeSelfSignedCert("okta-two")];
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "roster-sso-"));
});
afterAll(async () => {
  fs.rmSync(tmp, { recursive: true, force: true });
  await app.close();
});

const SAML = `mutation($input: ConfigureSamlInput!) { configureSaml(input: $input) { id kind enabled justInTimeProvisioning
  saml { ssoUrl entityId identifierSource matchBy wantResponseSigned certificates { subject notAfter fingerprint } } oidc { clientId } } }`;
const OIDC = `mutation($input: ConfigureOidcInput!) { configureOidc(input: $input) { id kind oidc { issuer tenantId clientId claim matchBy clientSecretSet } } }`;
interface IdpView {
  id: string;
  kind: string;
  saml: { certificates: { subject: string; notAfter: string; fingerprint: string }[]; [k: string]: unknown } | null;
  oidc: Record<string, unknown> | null;
  [k: string]: unknown;
}
const samlInput = (over: Record<string, unknown> = {}) => ({ idpSsoUrl: "https://acme.okta.example/sso/saml", idpEntityId: "http://www.okta.com/exk1", idpCertificates: [k1.certPem], ...over });

describe("identity provider settings through GraphQL (admin only)", () => {
  test("configureSaml validates and summarises certificates; the PEM is not returned", async () => {
    const r = await app.gql<{ configureSaml: IdpView }>(t.adminToken, SAML, { input: samlInput({ idpCertificates: [k1.certPem, k2.certPem], identifierSource: "email", matchBy: "email" }) });
    expect(r.errors).toBeUndefined();
    const idp = r.data!.configureSaml;
    expect(idp).toMatchObject({ kind: "saml", enabled: true, justInTimeProvisioning: false, oidc: null });
    expect(idp.saml).toMatchObject({ ssoUrl: "https://acme.okta.example/sso/saml", entityId: "http://www.okta.com/exk1", identifierSource: "email", matchBy: "email", wantResponseSigned: true });
    expect(idp.saml!.certificates.map((c) => c.subject)).toEqual(["CN=okta-one", "CN=okta-two"]);
    expect(idp.saml!.certificates[0].fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(new Date(idp.saml!.certificates[0].notAfter).getTime()).toBeGreaterThan(Date.now());
    expect(JSON.stringify(r.data)).not.toContain("BEGIN CERTIFICATE");
    const ev = (await app.services.audit.list(t.ctx, { action: "sso.idp.configured" }, { first: 1 })).items[0];
    expect(ev).toMatchObject({ resourceType: "IdentityProvider", resourceId: idp.id, source: "graphql" });
  });

  test.each([
    ["a certificate that is not PEM", { idpCertificates: ["-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----"] }, "idpCertificates[0]"],
    ["three certificates", { idpCertificates: ["a", "b", "c"] }, "idpCertificates"],
    ["an http:// SSO URL on the internet", { idpSsoUrl: "http://acme.okta.example/sso" }, "idpSsoUrl"],
    ["a relative SSO URL", { idpSsoUrl: "/sso" }, "idpSsoUrl"],
    ["an unknown matchBy", { matchBy: "phone" }, "matchBy"],
  ])("configureSaml refuses %s", async (_name, over, field) => {
    const r = await app.gql(t.adminToken, SAML, { input: samlInput(over) });
    expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  });

  test("configureSaml given the IdP's metadata XML as its certificate says what to give instead", async () => {
    const metadata = `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="http://www.okta.com/exk1"><md:IDPSSODescriptor/></md:EntityDescriptor>`;
    const r = await app.gql(t.adminToken, SAML, { input: samlInput({ idpCertificates: [metadata] }) });
    expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "idpCertificates[0]" });
    expect(r.errors?.[0].message).toMatch(/metadata XML, not a certificate.*X509Certificate.*idpSsoUrl and idpEntityId/);
  });

  test("configureOidc: the client secret is write-only, required once, kept when left out, never audited", async () => {
    const mine = await app.tenant(); // its own organisation: the audit events counted below are this case's alone
    const missing = await app.gql(mine.adminToken, OIDC, { input: { issuer: "https://login.microsoftonline.com/tid-1/v2.0", tenantId: "tid-1", clientId: "app-1" } });
    expect(missing.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "clientSecret" });
    const secret = "very-secret-client-secret-value";
    const r = await app.gql<{ configureOidc: IdpView }>(mine.adminToken, OIDC, { input: { issuer: "https://login.microsoftonline.com/tid-1/v2.0", tenantId: "tid-1", clientId: "app-1", clientSecret: secret } });
    expect(r.errors).toBeUndefined();
    expect(r.data!.configureOidc.oidc).toEqual({ issuer: "https://login.microsoftonline.com/tid-1/v2.0", tenantId: "tid-1", clientId: "app-1", claim: "oid", matchBy: "externalId", clientSecretSet: true });
    const again = await app.gql<{ configureOidc: IdpView }>(mine.adminToken, OIDC, { input: { issuer: "https://login.microsoftonline.com/tid-1/v2.0", tenantId: "tid-1", clientId: "app-2", claim: "preferred_username" } });
    expect(again.data!.configureOidc.oidc).toMatchObject({ clientId: "app-2", claim: "preferred_username", matchBy: "userName", clientSecretSet: true });
    expect((await app.services.identityProviders.get(mine.ctx, "oidc")).clientSecret).toBe(secret);
    const list = await app.gql(mine.adminToken, "{ identityProviders { kind oidc { clientSecretSet } } }");
    expect(JSON.stringify(list)).not.toContain(secret);
    const events = await app.services.audit.list(mine.ctx, { resourceType: "IdentityProvider" }, { first: 50 });
    expect(events.items.map((e) => e.action)).toEqual(["sso.idp.updated", "sso.idp.configured"]);
    expect(JSON.stringify(events.items)).not.toContain(secret);
  });

  test.each([
    ["an Entra issuer without tenant id", { issuer: "https://login.microsoftonline.com/common/v2.0" }, "tenantId"],
    ["the oid claim matched by userName", { claim: "oid", matchBy: "userName", tenantId: "t" }, "matchBy"],
    // preferred_username is the user's to choose at many IdPs: it would name anyone's address.
    ["matching by email on a claim other than email", { claim: "preferred_username", matchBy: "email" }, "matchBy"],
    ["matching by email on upn", { claim: "upn", matchBy: "email" }, "matchBy"],
    ["an unknown claim", { claim: "sub" }, "claim"],
  ])("configureOidc refuses %s", async (_name, over, field) => {
    const r = await app.gql(other.adminToken, OIDC, { input: { issuer: "https://idp.example/", clientId: "c", clientSecret: "s", ...over } });
    expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field });
  });

  test.each([
    ["http://127.0.0.1:8080/tid/v2.0", "127.0.0.1 is not a public address"],
    ["https://localhost/tid/v2.0", "localhost is the local host"],
    ["https://[::1]/tid/v2.0", "::1 is not a public address"],
    ["https://169.254.169.254/latest/meta-data", "169.254.169.254 is not a public address"],
    ["https://10.0.0.7/tid/v2.0", "10.0.0.7 is not a public address"],
    ["https://intranet-idp.test/tid/v2.0", "intranet-idp.test resolves to 192.168.1.20, which is not a public address"],
  ])("configureOidc refuses an issuer whose host is not public (Roster would fetch from it): %s", async (issuer, reason) => {
    const fresh = await app.tenant();
    const dns = fakeDns({ "intranet-idp.test": "192.168.1.20" });
    try {
      const r = await app.gql(fresh.adminToken, OIDC, { input: { issuer, tenantId: "tid", clientId: "c", clientSecret: "s" } });
      expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "issuer" });
      expect(r.errors?.[0].message).toContain(`the issuer must name a public host: ${reason}`);
    } finally {
      dns.restore();
    }
    expect((await app.gql(fresh.adminToken, "{ identityProviders { kind } }")).data).toEqual({ identityProviders: [] });
  });

  test("serviceProvider shows the URLs an IdP admin enters", async () => {
    const r = await app.gql<{ serviceProvider: Record<string, string> }>(t.adminToken, "{ serviceProvider { spEntityId acsUrl metadataUrl oidcRedirectUri samlLoginUrl oidcLoginUrl logoutUrl } }");
    const s = t.organisation.slug;
    expect(r.data!.serviceProvider).toEqual({
      spEntityId: `${app.url}/auth/saml/${s}/metadata`,
      acsUrl: `${app.url}/auth/saml/${s}/acs`,
      metadataUrl: `${app.url}/auth/saml/${s}/metadata`,
      oidcRedirectUri: `${app.url}/auth/oidc/${s}/callback`,
      samlLoginUrl: `${app.url}/auth/saml/${s}/login`,
      oidcLoginUrl: `${app.url}/auth/oidc/${s}/login`,
      logoutUrl: `${app.url}/auth/logout`,
    });
  });

  test("enable/disable and delete; organisations do not see each other's settings; tokens required", async () => {
    // Its own organisations, SAML and OIDC configured here: the case runs alone (-t) or in any order.
    const [mine, stranger] = [await app.tenant(), await app.tenant()];
    expect((await app.gql(mine.adminToken, SAML, { input: samlInput() })).errors).toBeUndefined();
    expect((await app.gql(mine.adminToken, OIDC, { input: { issuer: "https://login.microsoftonline.com/tid-1/v2.0", tenantId: "tid-1", clientId: "app-1", clientSecret: "s" } })).errors).toBeUndefined();
    const off = await app.gql(mine.adminToken, "mutation { setIdentityProviderEnabled(kind: saml, enabled: false) { enabled } }");
    expect(off.data).toEqual({ setIdentityProviderEnabled: { enabled: false } });
    expect((await app.gql(stranger.adminToken, "{ identityProviders { kind } }")).data).toEqual({ identityProviders: [] });
    expect((await app.gql(stranger.adminToken, "mutation { deleteIdentityProvider(kind: saml) }")).errors?.[0].extensions?.code).toBe("NOT_FOUND");
    expect((await app.gql(null, "{ identityProviders { kind } }")).errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    expect((await app.gql(mine.scimToken, "{ identityProviders { kind } }")).errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    expect((await app.gql(mine.adminToken, "mutation { deleteIdentityProvider(kind: saml) }")).data).toEqual({ deleteIdentityProvider: true });
    const left = await app.gql<{ identityProviders: { kind: string }[] }>(mine.adminToken, "{ identityProviders { kind } }");
    expect(left.data!.identityProviders.map((i) => i.kind)).toEqual(["oidc"]);
    const actions = (await app.services.audit.list(mine.ctx, { resourceType: "IdentityProvider" }, { first: 50 })).items.map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["sso.idp.disabled", "sso.idp.deleted"]));
  });
});

describe("identity provider settings in the audit trail", () => {
  test("saving the same settings, the same secret or the same switch again records nothing; a deletion records what went", async () => {
    const mine = await app.tenant();
    const events = async () => (await app.services.audit.list(mine.ctx, { resourceType: "IdentityProvider" }, { first: 50 })).items;
    const oidc = { issuer: "https://login.microsoftonline.com/tid-9/v2.0", tenantId: "tid-9", clientId: "app-9", clientSecret: "oidc-secret-9" };
    for (const [query, variables] of [
      [SAML, { input: samlInput() }],
      [OIDC, { input: oidc }],
      ["mutation { setJustInTimeProvisioning(kind: saml, enabled: true) { id } }", {}],
    ] as const)
      expect((await app.gql(mine.adminToken, query, variables)).errors).toBeUndefined();
    const before = await events();
    expect(before.map((e) => e.action)).toEqual(["sso.idp.updated", "sso.idp.configured", "sso.idp.configured"]);
    for (const [query, variables] of [
      [SAML, { input: samlInput({ justInTimeProvisioning: true }) }],
      [OIDC, { input: oidc }],
      [OIDC, { input: { ...oidc, clientSecret: undefined } }],
      ["mutation { setJustInTimeProvisioning(kind: saml, enabled: true) { id } }", {}],
      ["mutation { setIdentityProviderEnabled(kind: oidc, enabled: true) { id } }", {}],
    ] as const)
      expect((await app.gql(mine.adminToken, query, variables)).errors).toBeUndefined();
    expect((await events()).map((e) => e.id)).toEqual(before.map((e) => e.id));
    expect((await app.gql(mine.adminToken, "mutation { deleteIdentityProvider(kind: saml) }")).errors).toBeUndefined();
    const [deleted] = await events();
    expect(deleted).toMatchObject({
      action: "sso.idp.deleted",
      changes: { idpSsoUrl: { before: samlInput().idpSsoUrl, after: null }, idpEntityId: { before: samlInput().idpEntityId, after: null }, enabled: { before: true, after: null }, justInTimeProvisioning: { before: true, after: null } },
    });
  });
});

describe("roster sso … (CLI)", () => {
  const cli = (...argv: string[]) => rosterOn(app.database.url, ...argv);

  test("sso saml with two certificate files, then sso show", async () => {
    const f1 = path.join(tmp, "okta1.pem");
    const f2 = path.join(tmp, "okta2.pem");
    fs.writeFileSync(f1, k1.certPem);
    fs.writeFileSync(f2, k2.certPem);
    const slug = other.organisation.slug;
    const r = await cli("sso", "saml", "--org", slug, "--idp-sso-url", "https://acme.okta.example/sso", "--idp-entity-id", "http://www.okta.com/exkCLI", "--idp-cert-file", f1, "--idp-cert-file-2", f2, "--match-by", "email");
    expect(r).toMatchObject({ code: 0, err: "" });
    const idp = await app.services.identityProviders.get(other.ctx, "saml");
    expect(idp.settings).toMatchObject({ idpEntityId: "http://www.okta.com/exkCLI", matchBy: "email", identifierSource: "nameID" });
    expect((idp.settings as { idpCertificates: string[] }).idpCertificates).toHaveLength(2);
    const ev = (await app.services.audit.list(other.ctx, { action: "sso.idp.configured" }, { first: 1 })).items[0];
    expect(ev.source).toBe("cli");

    const show = await cli("sso", "show", "--org", slug, "--public-url", "https://roster.example");
    expect(show.code).toBe(0);
    expect(show.out).toContain(`ACS URL (POST):      https://roster.example/auth/saml/${slug}/acs`);
    expect(show.out).toContain(`SP entity id:        https://roster.example/auth/saml/${slug}/metadata`);
    expect(show.out).toContain("CN=okta-two");
  });

  test("sso show after a rename: the current URLs, and the former slug's as still accepted", async () => {
    const renamed = await app.tenant();
    const [before, after] = [renamed.organisation.slug, `${renamed.organisation.slug}-renamed`];
    await app.services.organisations.update(renamed.ctx, { slug: after });
    const show = await cli("sso", "show", "--org", after, "--public-url", "https://roster.example");
    expect(show.code).toBe(0);
    expect(show.out).toContain(`ACS URL (POST):      https://roster.example/auth/saml/${after}/acs`);
    expect(show.out).toMatch(new RegExp(`still accepted, former slug ${before} \\(given up \\d{4}-`));
    expect(show.out).toContain(`  SP entity id:      https://roster.example/auth/saml/${before}/metadata`);
    expect(show.out).toContain(`  ACS URL (POST):    https://roster.example/auth/saml/${before}/acs`);
    expect(show.out).toContain(`  OIDC redirect URI: https://roster.example/auth/oidc/${before}/callback`);
  });

  test("--org takes a slug the organisation gave up, saying so on stderr; a slug nobody holds is not found", async () => {
    const renamed = await app.tenant();
    const [before, after] = [renamed.organisation.slug, `${renamed.organisation.slug}-moved`];
    await app.services.organisations.update(renamed.ctx, { slug: after });
    const show = await cli("sso", "show", "--org", before, "--public-url", "https://roster.example");
    expect(show.code).toBe(0);
    expect(show.err).toBe(`note: "${before}" is a former slug of this organisation, now "${after}"`);
    expect(show.out).toContain(`ACS URL (POST):      https://roster.example/auth/saml/${after}/acs`);
    // A write through the former slug acts on the same organisation.
    const token = await cli("token", "create", "--org", before, "--scope", "scim", "--name", "after the rename");
    expect(token.code).toBe(0);
    expect((await app.services.tokens.list(renamed.ctx)).map((k) => k.name)).toContain("after the rename");
    const current = await cli("token", "list", "--org", after);
    expect([current.code, current.err]).toEqual([0, ""]);

    const nobody = await cli("sso", "show", "--org", `${before}-never-held`);
    expect(nobody.code).toBe(1);
    expect(nobody.err).toContain(`${before}-never-held`);
  });

  test("--org takes the organisation's id, in either case, with no note; an argument that is one organisation's slug and another's id is refused naming both", async () => {
    const byId = await app.tenant();
    const id = byId.organisation.id;
    for (const given of [id, id.toUpperCase()]) {
      const token = await cli("token", "create", "--org", given, "--scope", "scim", "--name", `by id ${given}`);
      expect([token.code, token.err]).toEqual([0, ""]);
      expect((await app.services.tokens.list(byId.ctx)).map((k) => k.name)).toContain(`by id ${given}`);
    }
    const show = await cli("sso", "show", "--org", id, "--public-url", "https://roster.example");
    expect(show).toMatchObject({ code: 0, err: "" });
    expect(show.out).toContain(`https://roster.example/auth/saml/${byId.organisation.slug}/acs`);

    // A slug may be anything an id looks like: the id of byId as another organisation's slug.
    const lookalike = await app.tenant(id);
    const refused = await cli("token", "list", "--org", id);
    expect(refused.code).toBe(1);
    expect(refused.err).toBe(`error: --org "${id}" is the slug of organisation ${lookalike.organisation.id} and the id of organisation "${byId.organisation.slug}": give ${lookalike.organisation.id} or "${byId.organisation.slug}" instead`);
    expect((await cli("token", "list", "--org", lookalike.organisation.id)).code).toBe(0);
    expect((await cli("token", "list", "--org", byId.organisation.slug)).code).toBe(0);
  });

  test("sso delete removes the organisation's SAML or OIDC sign-in, audited as the CLI's; a second delete, or another kind, is refused", async () => {
    const fresh = await app.tenant();
    const slug = fresh.organisation.slug;
    const cert = path.join(tmp, "delete-me.pem");
    fs.writeFileSync(cert, k1.certPem);
    expect((await cli("sso", "saml", "--org", slug, "--idp-sso-url", "https://acme.okta.example/sso", "--idp-entity-id", "http://www.okta.com/exkDEL", "--idp-cert-file", cert)).code).toBe(0);

    const removed = await cli("sso", "delete", "--org", slug, "--kind", "saml");
    expect(removed).toMatchObject({ code: 0, err: "" });
    expect(removed.out).toBe(`saml sign-in removed for ${slug}; the sessions it had signed in are ended`);
    expect(await app.services.identityProviders.list(fresh.ctx)).toEqual([]);
    const ev = (await app.services.audit.list(fresh.ctx, { action: "sso.idp.deleted" }, { first: 1 })).items[0];
    expect(ev).toMatchObject({ source: "cli", resourceType: "IdentityProvider" });
    expect(ev.changes).toMatchObject({ idpEntityId: { before: "http://www.okta.com/exkDEL", after: null }, sessionsEnded: { after: true } });

    const again = await cli("sso", "delete", "--org", slug, "--kind", "saml");
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/IdentityProvider/);
    const wrongKind = await cli("sso", "delete", "--org", slug, "--kind", "ldap");
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.err).toContain("--kind must be saml or oidc");
    // Another organisation's sign-in is not touched by a delete of this one's.
    expect((await cli("sso", "saml", "--org", slug, "--idp-sso-url", "https://acme.okta.example/sso", "--idp-entity-id", "http://www.okta.com/exkDEL", "--idp-cert-file", cert)).code).toBe(0);
    const neighbour = await app.tenant();
    expect((await cli("sso", "delete", "--org", neighbour.organisation.slug, "--kind", "saml")).code).toBe(1);
    expect(await app.services.identityProviders.list(fresh.ctx)).toHaveLength(1);
  });

  test("sso oidc: the secret is stored but sso show never prints it; bad input exits non-zero", async () => {
    const slug = other.organisation.slug;
    const secret = "cli-client-secret-xyz";
    const r = await cli("sso", "oidc", "--org", slug, "--issuer", "https://login.microsoftonline.com/tid-9/v2.0", "--client-id", "app-9", "--client-secret", secret, "--tenant-id", "tid-9");
    expect(r).toMatchObject({ code: 0, err: "" });
    expect(r.out).toContain("claim=oid matchBy=externalId");
    expect((await app.services.identityProviders.get(other.ctx, "oidc")).clientSecret).toBe(secret);
    const show = await cli("sso", "show", "--org", slug, "--public-url", "https://roster.example");
    expect(show.out).toContain("client secret set");
    expect(show.out).not.toContain(secret);

    const bad = await cli("sso", "oidc", "--org", slug, "--issuer", "https://idp.example", "--client-id", "c", "--client-secret", "s", "--claim", "sub");
    expect(bad.code).toBe(2);
    const noCert = await cli("sso", "saml", "--org", slug, "--idp-sso-url", "https://x.example", "--idp-entity-id", "e", "--idp-cert-file", path.join(tmp, "missing.pem"));
    expect(noCert.code).toBe(2);
    expect(noCert.err).toContain("cannot read certificate file");
  });

  test("sso oidc refuses an issuer whose host is not public with exit 1 and the reason, unless ALLOW_PRIVATE_OUTBOUND_HOSTS (tests, development)", async () => {
    const fresh = await app.tenant();
    const args = ["sso", "oidc", "--org", fresh.organisation.slug, "--issuer", "https://169.254.169.254/latest", "--client-id", "c", "--client-secret", "s"];
    const r = await cli(...args);
    expect(r).toMatchObject({ code: 1, err: expect.stringContaining("the issuer must name a public host: 169.254.169.254 is not a public address") });
    expect(await app.services.identityProviders.find(fresh.ctx, "oidc")).toBeNull();
    const allowed = await runCli(args, { out: () => undefined, err: () => undefined }, { DATABASE_URL: app.database.url, LOG_LEVEL: "silent", ALLOW_PRIVATE_OUTBOUND_HOSTS: "true" });
    expect(allowed).toBe(0);
  });

  test("sso oidc --client-secret-file: the secret comes from a file without its line end, never from the command line", async () => {
    const slug = other.organisation.slug;
    const file = path.join(tmp, "entra-secret.txt");
    fs.writeFileSync(file, "file-client-secret-abc\n");
    const args = ["sso", "oidc", "--org", slug, "--issuer", "https://login.microsoftonline.com/tid-9/v2.0", "--client-id", "app-9", "--tenant-id", "tid-9"];
    expect(await cli(...args, "--client-secret-file", file)).toMatchObject({ code: 0, err: "" });
    expect((await app.services.identityProviders.get(other.ctx, "oidc")).clientSecret).toBe("file-client-secret-abc");

    const both = await cli(...args, "--client-secret-file", file, "--client-secret", "x");
    expect(both).toMatchObject({ code: 2, err: expect.stringContaining("not both") });
    fs.writeFileSync(file, "\n");
    expect(await cli(...args, "--client-secret-file", file)).toMatchObject({ code: 2, err: expect.stringContaining("is empty") });
    expect(await cli(...args, "--client-secret-file", path.join(tmp, "missing.txt"))).toMatchObject({ code: 2, err: expect.stringContaining("cannot read client secret file") });
    expect((await app.services.identityProviders.get(other.ctx, "oidc")).clientSecret).toBe("file-client-secret-abc");
  });
});
