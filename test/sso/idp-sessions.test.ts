// Deleting an organisation's identity provider, or replacing it with another one, signs out everyone
// who signed in through it, on every instance; a change that keeps the same IdP signs nobody out.
// Real sign-ins: SAML responses signed in the test, OIDC against a local Entra-shaped provider.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCli } from "../../src/cli/run-cli";
import { Session } from "../../src/domain/sessions/session.entity";
import { IdentityProvider } from "../../src/domain/sso/identity-provider.entity";
import { serviceProviderInfo } from "../../src/domain/sso/identity-provider.service";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { type FakeEntra, startFakeEntra } from "./support/fake-entra";
import { type TestKey, makeSelfSignedCert, renewCertificate } from "./support/fake-saml-idp";
import { oidcSignIn } from "./support/oidc-login";
import { IDP_ISSUER, configureSaml, samlSignIn } from "./support/saml-login";

const TENANT = "5d0c8f3e-0000-4000-8000-0000000005e5";
const CLIENT_ID = "roster-idp-sessions";
const CLIENT_SECRET = "idp-sessions-client-secret";
const ANOTHER_ISSUER = "http://www.okta.com/exkANOTHER";
const SAML_USER = "sam@acme.test";
const OIDC_ACCOUNT = "oid-ada";

let app: TestApp;
/** A second instance on the same database, as behind a load balancer. */
let peer: TestApp;
let key: TestKey;
let tmp: string;
const entras: FakeEntra[] = [];

beforeAll(async () => {
  const env = { OIDC_ALLOW_INSECURE_REQUESTS: "true", ALLOW_PRIVATE_OUTBOUND_HOSTS: "true" };
  app = await startTestApp(env);
  peer = await startTestApp(env, { shareDatabaseOf: app });
  key = makeSelfSignedCert("okta-idp-sessions");
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "roster-idp-sessions-"));
});
afterAll(async () => {
  for (const e of entras) await e.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  await peer?.close();
  await app?.close();
});

/** A fake Entra that knows `slug`'s redirect URI and the account OIDC_ACCOUNT. */
async function entraFor(slug: string, tenantId = TENANT): Promise<FakeEntra> {
  const entra = await startFakeEntra({
    tenantId,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    redirectUris: [serviceProviderInfo(app.url, slug).oidcRedirectUri],
    accounts: { [OIDC_ACCOUNT]: { name: "Ada", email: "ada@contoso.example", upn: "ada@contoso.example" } },
  });
  entras.push(entra);
  return entra;
}

interface Org {
  t: TestTenant;
  entra: FakeEntra;
  samlUserId: string;
  oidcUserId: string;
}

/** A new organisation signing in with SAML (IDP_ISSUER, `key`) and OIDC (a fake Entra of its own). */
async function organisation(): Promise<Org> {
  const t = await app.tenant();
  const entra = await entraFor(t.organisation.slug);
  await configureSaml(app, t, key);
  await configureOidc(t, entra);
  const samlUser = await app.services.users.create(t.ctx, { userName: SAML_USER });
  const oidcUser = await app.services.users.create(t.ctx, { userName: "ada@contoso.example", externalId: OIDC_ACCOUNT });
  return { t, entra, samlUserId: samlUser.id, oidcUserId: oidcUser.id };
}

const configureOidc = (t: TestTenant, entra: FakeEntra, over: Record<string, unknown> = {}) =>
  app.services.identityProviders.configureOidc(t.ctx, { issuer: entra.issuer, tenantId: TENANT, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...over });

const cookieOf = (setCookie: unknown) => /roster\.sid=[^;]+/.exec(String(setCookie))![0];

/** Signs SAML_USER in through the organisation's SAML IdP; the session cookie. */
async function samlCookie(org: Org, issuer = IDP_ISSUER, signingKey = key): Promise<string> {
  const { response } = await samlSignIn(app, org.t, signingKey, SAML_USER, {}, undefined, issuer);
  expect(response.status).toBe(303);
  return cookieOf(response.headers["set-cookie"]);
}

/** Signs OIDC_ACCOUNT in through the organisation's OIDC IdP; the session cookie. */
async function oidcCookie(org: Org, entra = org.entra): Promise<string> {
  const { response } = await oidcSignIn(app.url, entra, org.t.organisation.slug, OIDC_ACCOUNT);
  expect(response.status).toBe(303);
  return cookieOf(response.headers["set-cookie"]);
}

/** What `/auth/me` answers to the cookie, on this instance and on the other one. */
async function status(cookie: string): Promise<[number, number]> {
  const on = async (url: string) => (await fetch(`${url}/auth/me`, { headers: { cookie } })).status;
  return [await on(app.url), await on(peer.url)];
}
const SIGNED_IN: [number, number] = [200, 200];
const SIGNED_OUT: [number, number] = [401, 401];

const sessionRows = (userId: string) => app.dataSource.getRepository(Session).countBy({ userId });
const lastIdpEvent = async (org: Org) => (await app.services.audit.list(org.t.ctx, { resourceType: "IdentityProvider" }, { first: 1 })).items[0];
const idpEvents = async (org: Org) => (await app.services.audit.list(org.t.ctx, { resourceType: "IdentityProvider" }, { first: 100 })).items;

const DELETE = "mutation($kind: IdentityProviderKind!) { deleteIdentityProvider(kind: $kind) }";
const SAML = "mutation($input: ConfigureSamlInput!) { configureSaml(input: $input) { id } }";
const samlInput = (over: Record<string, unknown> = {}) => ({ idpSsoUrl: "https://acme.okta.example/sso/saml", idpEntityId: IDP_ISSUER, idpCertificates: [key.certPem], ...over });

describe("deleting an identity provider ends the sessions signed in through it", () => {
  test("SAML deleted through GraphQL on another instance: its sessions end on every instance and their rows go; the organisation's OIDC session stays", async () => {
    const org = await organisation();
    const [s1, s2, o] = [await samlCookie(org), await samlCookie(org), await oidcCookie(org)];
    for (const c of [s1, s2, o]) expect(await status(c)).toEqual(SIGNED_IN);
    expect(await sessionRows(org.samlUserId)).toBe(2);

    const r = await peer.gql(org.t.adminToken, DELETE, { kind: "saml" });
    expect(r.errors).toBeUndefined();

    // Rows counted first: a refused cookie's session is saved again without its user.
    expect(await sessionRows(org.samlUserId)).toBe(0);
    expect(await status(s1)).toEqual(SIGNED_OUT);
    expect(await status(s2)).toEqual(SIGNED_OUT);
    expect(await status(o)).toEqual(SIGNED_IN);
    expect(await sessionRows(org.oidcUserId)).toBe(1);
    const ev = await lastIdpEvent(org);
    expect(ev).toMatchObject({ action: "sso.idp.deleted", source: "graphql" });
    expect(ev.changes?.sessionsEnded).toEqual({ before: null, after: true });
  });

  test("OIDC deleted: its sessions end; the organisation's SAML session stays", async () => {
    const org = await organisation();
    const [s, o] = [await samlCookie(org), await oidcCookie(org)];
    await app.services.identityProviders.delete(org.t.ctx, "oidc");
    expect(await sessionRows(org.oidcUserId)).toBe(0);
    expect(await status(o)).toEqual(SIGNED_OUT);
    expect(await status(s)).toEqual(SIGNED_IN);
  });

  test("the sessions end in the delete's transaction: they are gone inside it, and a delete that rolls back ends none", async () => {
    const org = await organisation();
    const s = await samlCookie(org);
    const rollback = new Error("rolled back on purpose");
    await expect(
      app.services.db.transaction(org.t.ctx, async (tx) => {
        await app.services.identityProviders.delete(tx, "saml");
        expect(await tx.manager.getRepository(Session).countBy({ userId: org.samlUserId })).toBe(0);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await app.services.identityProviders.find(org.t.ctx, "saml")).not.toBeNull();
    expect(await sessionRows(org.samlUserId)).toBe(1);
    expect(await status(s)).toEqual(SIGNED_IN);
  });

  test("sessions of another organisation with the same IdP stay", async () => {
    const [mine, theirs] = [await organisation(), await organisation()];
    const [ms, ts] = [await samlCookie(mine), await samlCookie(theirs)];
    await app.services.identityProviders.delete(mine.t.ctx, "saml");
    expect(await status(ms)).toEqual(SIGNED_OUT);
    expect(await status(ts)).toEqual(SIGNED_IN);
  });
});

describe("replacing it with another identity provider ends them; a change that keeps the same IdP does not", () => {
  test("SAML, another entity id (GraphQL): its sessions end, the OIDC session stays, and the new IdP signs people in", async () => {
    const org = await organisation();
    const [s, o] = [await samlCookie(org), await oidcCookie(org)];
    const r = await app.gql(org.t.adminToken, SAML, { input: samlInput({ idpEntityId: ANOTHER_ISSUER }) });
    expect(r.errors).toBeUndefined();
    expect(await sessionRows(org.samlUserId)).toBe(0);
    expect(await status(s)).toEqual(SIGNED_OUT);
    expect(await status(o)).toEqual(SIGNED_IN);
    const ev = await lastIdpEvent(org);
    expect(ev).toMatchObject({ action: "sso.idp.updated", changes: { idpEntityId: { before: IDP_ISSUER, after: ANOTHER_ISSUER }, sessionsEnded: { before: null, after: true } } });
    expect(await status(await samlCookie(org, ANOTHER_ISSUER))).toEqual(SIGNED_IN);
  });

  test("SAML, certificates that share no key with the configured ones (CLI, another process): its sessions end", async () => {
    const org = await organisation();
    const s = await samlCookie(org);
    const replacement = makeSelfSignedCert("okta-replacement");
    const certFile = path.join(tmp, `replacement-${org.t.organisation.slug}.pem`);
    fs.writeFileSync(certFile, replacement.certPem);
    const out: string[] = [];
    const code = await runCli(
      ["sso", "saml", "--org", org.t.organisation.slug, "--idp-sso-url", "https://acme.okta.example/sso/saml", "--idp-entity-id", IDP_ISSUER, "--idp-cert-file", certFile],
      { out: (l) => out.push(l), err: (l) => out.push(l) },
      { DATABASE_URL: app.database.url, LOG_LEVEL: "silent" },
    );
    expect({ code, out }).toMatchObject({ code: 0 });
    expect(await sessionRows(org.samlUserId)).toBe(0);
    expect(await status(s)).toEqual(SIGNED_OUT);
    expect((await lastIdpEvent(org)).changes?.sessionsEnded).toEqual({ before: null, after: true });
    expect(await status(await samlCookie(org, IDP_ISSUER, replacement))).toEqual(SIGNED_IN);
  });

  test("SAML, the same IdP changed keeps its sessions: a rotated certificate added then the old one removed, a certificate renewed over the same key, the SSO URL, the identifier and matchBy, wantResponseSigned, just-in-time provisioning, disabled and enabled", async () => {
    const org = await organisation();
    const s = await samlCookie(org);
    const next = makeSelfSignedCert("okta-next");
    const renewed = renewCertificate(next, "okta-next-renewed");
    const changes: [string, () => Promise<unknown>][] = [
      ["rotation: the next certificate added", () => configureSaml(app, org.t, key, { idpCertificates: [key.certPem, next.certPem] })],
      ["rotation: the old certificate removed", () => configureSaml(app, org.t, next, {})],
      ["the certificate renewed over the same key", () => configureSaml(app, org.t, renewed, {})],
      ["the SSO URL", () => configureSaml(app, org.t, renewed, { idpSsoUrl: "https://acme-custom-domain.example/sso/saml" })],
      ["identifier and matchBy", () => configureSaml(app, org.t, renewed, { idpSsoUrl: "https://acme-custom-domain.example/sso/saml", identifierSource: "email", matchBy: "email" })],
      ["wantResponseSigned", () => configureSaml(app, org.t, renewed, { idpSsoUrl: "https://acme-custom-domain.example/sso/saml", identifierSource: "email", matchBy: "email", wantResponseSigned: false })],
      ["just-in-time provisioning", () => app.services.identityProviders.setJustInTimeProvisioning(org.t.ctx, "saml", true)],
      ["disabled", () => app.services.identityProviders.setEnabled(org.t.ctx, "saml", false)],
      ["enabled", () => app.services.identityProviders.setEnabled(org.t.ctx, "saml", true)],
    ];
    const before = (await idpEvents(org)).length;
    for (const [what, change] of changes) {
      await change();
      expect({ what, status: await status(s) }).toEqual({ what, status: SIGNED_IN });
    }
    expect(await sessionRows(org.samlUserId)).toBe(1);
    const all = await idpEvents(org);
    const events = all.slice(0, all.length - before);
    expect(events).toHaveLength(changes.length);
    for (const ev of events) expect(ev.changes?.sessionsEnded).toBeUndefined();
  });

  test("OIDC: another tenant, client or issuer ends its sessions; a rotated client secret or another claim keeps them; the SAML session stays", async () => {
    const org = await organisation();
    const s = await samlCookie(org);

    let o = await oidcCookie(org);
    await configureOidc(org.t, org.entra, { clientSecret: "a-rotated-client-secret" });
    expect(await status(o)).toEqual(SIGNED_IN);
    await configureOidc(org.t, org.entra, { clientSecret: CLIENT_SECRET, claim: "preferred_username", matchBy: "userName" });
    expect(await status(o)).toEqual(SIGNED_IN);
    expect(await sessionRows(org.oidcUserId)).toBe(1);

    const endsSessions: [string, () => Promise<unknown>][] = [
      ["another tenant", () => configureOidc(org.t, org.entra, { tenantId: "another-tenant-id" })],
      ["another client", () => configureOidc(org.t, org.entra, { clientId: "another-client-id" })],
      ["another issuer", async () => configureOidc(org.t, await entraFor(org.t.organisation.slug))],
    ];
    for (const [what, change] of endsSessions) {
      await configureOidc(org.t, org.entra);
      o = await oidcCookie(org);
      expect({ what, status: await status(o) }).toEqual({ what, status: SIGNED_IN });
      await change();
      expect({ what, rows: await sessionRows(org.oidcUserId) }).toEqual({ what, rows: 0 });
      expect({ what, status: await status(o) }).toEqual({ what, status: SIGNED_OUT });
      expect((await lastIdpEvent(org)).changes?.sessionsEnded).toEqual({ before: null, after: true });
    }
    expect(await status(s)).toEqual(SIGNED_IN);
  });
});

describe("every request checks that the IdP a session came from is still the one configured", () => {
  test("a session whose IdP was deleted, or replaced, by a write this process did not see (another instance's, a sign-in in flight meanwhile) is refused", async () => {
    const org = await organisation();
    const [s, o] = [await samlCookie(org), await oidcCookie(org)];
    const idps = app.dataSource.getRepository(IdentityProvider);
    const saml = await app.services.identityProviders.get(org.t.ctx, "saml");
    const oidc = await app.services.identityProviders.get(org.t.ctx, "oidc");
    // As another instance's write would look from here: the rows change, no hook of this process runs.
    await idps.delete({ id: saml.id });
    await idps.update({ id: oidc.id }, { identityVersion: "another-identity-version" });
    expect(await sessionRows(org.samlUserId)).toBe(1);
    expect(await status(s)).toEqual(SIGNED_OUT);
    expect(await status(o)).toEqual(SIGNED_OUT);
  });

  test("a session signed in before sessions recorded their IdP works while its organisation keeps the IdP it had at the upgrade, and ends once it is replaced or deleted", async () => {
    const idps = app.dataSource.getRepository(IdentityProvider);
    const sessions = app.dataSource.getRepository(Session);
    /** An organisation whose SAML IdP is as the upgrade left it (its own id as identity version), and a session stored as before it. */
    const legacySession = async () => {
      const org = await organisation();
      const saml = await app.services.identityProviders.get(org.t.ctx, "saml");
      await idps.update({ id: saml.id }, { identityVersion: saml.id });
      const cookie = await samlCookie(org);
      const [row] = await sessions.findBy({ userId: org.samlUserId });
      const data = JSON.parse(row.data);
      expect(data.passport.user).toMatchObject({ protocol: "saml", identityProviderId: saml.id, identityVersion: saml.id });
      delete data.passport.user.identityProviderId;
      delete data.passport.user.identityVersion;
      // No IdP in its row either (as in Redis), so that only the check on every request can end it.
      await sessions.update({ id: row.id }, { data: JSON.stringify(data), identityProviderId: null });
      return { org, saml, cookie };
    };

    const replaced = await legacySession();
    expect(await status(replaced.cookie)).toEqual(SIGNED_IN);
    await app.services.identityProviders.setJustInTimeProvisioning(replaced.org.t.ctx, "saml", true);
    expect(await status(replaced.cookie)).toEqual(SIGNED_IN);
    await configureSaml(app, replaced.org.t, key, { idpEntityId: ANOTHER_ISSUER });
    expect(await status(replaced.cookie)).toEqual(SIGNED_OUT);

    const deleted = await legacySession();
    expect(await status(deleted.cookie)).toEqual(SIGNED_IN);
    await idps.delete({ id: deleted.saml.id });
    expect(await status(deleted.cookie)).toEqual(SIGNED_OUT);
  });
});
