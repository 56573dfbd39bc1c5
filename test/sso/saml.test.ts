import crypto from "node:crypto";
import request from "supertest";
import { serviceProviderInfo } from "../../src/domain/sso/identity-provider.service";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { type AssertionInput, type TestKey, authnRequestId, authnRequestXml, b64, buildResponseXml, makeSelfSignedCert, signResponse } from "./support/fake-saml-idp";

const IDP_ISSUER = "http://www.okta.com/exkFAKE123";
const IDP_SSO = "https://acme.okta.example/app/roster/exkFAKE123/sso/saml";

let app: TestApp;
let t: TestTenant;
let other: TestTenant;
let idpKey: TestKey;
let nextKey: TestKey;
let attackerKey: TestKey;
let sp: ReturnType<typeof serviceProviderInfo>;

beforeAll(async () => {
  app = await startTestApp();
  [idpKey, nextKey, attackerKey] = [makeSelfSignedCert("okta-current"), makeSelfSignedCert("okta-next"), makeSelfSignedCert("attacker")];
  t = await app.tenant();
  other = await app.tenant();
  sp = serviceProviderInfo(app.url, t.organisation.slug);
  await app.services.identityProviders.configureSaml(t.ctx, { idpSsoUrl: IDP_SSO, idpEntityId: IDP_ISSUER, idpCertificates: [idpKey.certPem, nextKey.certPem] });
  await app.services.users.create(t.ctx, { userName: "alice@acme.test", displayName: "Alice", emails: [{ value: "alice@acme.test", primary: true }] });
  const bob = await app.services.users.create(t.ctx, { userName: "bob@acme.test" });
  await app.services.users.deactivate(t.ctx, bob.id);
  await app.services.users.create(other.ctx, { userName: "carol@other.test" });
});
afterAll(() => app.close());

const base = (over: Partial<AssertionInput> = {}): AssertionInput => ({ idpIssuer: IDP_ISSUER, spEntityId: sp.spEntityId, acsUrl: sp.acsUrl, nameId: "alice@acme.test", ...over });

async function startLogin(slug = t.organisation.slug) {
  const agent = request.agent(app.url);
  const r = await agent.get(`/auth/saml/${slug}/login`).expect(302);
  expect(r.headers.location.startsWith(`${IDP_SSO}?SAMLRequest=`)).toBe(true);
  return { agent, requestId: authnRequestId(r.headers.location), location: r.headers.location as string };
}

const post = (agent: ReturnType<typeof request.agent>, xml: string, slug = t.organisation.slug) => agent.post(`/auth/saml/${slug}/acs`).type("form").send({ SAMLResponse: b64(xml) });

async function refusals(tenant = t) {
  const page = await app.services.audit.list(tenant.ctx, { action: "sso.refused", source: "sso" }, { first: 100 });
  return page.items.map((e) => e.changes?.reason?.after);
}

describe("SAML sign-in (Okta-shaped, signed in the test)", () => {
  test("metadata names the SP entity id and the ACS URL derived from PUBLIC_URL", async () => {
    const r = await request(app.url).get(`/auth/saml/${other.organisation.slug}/metadata`).expect(200);
    expect(r.headers["content-type"]).toMatch(/xml/);
    const otherSp = serviceProviderInfo(app.url, other.organisation.slug);
    expect(r.text).toContain(`entityID="${otherSp.spEntityId}"`);
    expect(r.text).toContain(`Location="${otherSp.acsUrl}"`);
    expect(r.text).toContain("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST");
    expect(otherSp.acsUrl).toBe(`${app.url}/auth/saml/${other.organisation.slug}/acs`);
    await request(app.url).get("/auth/saml/no-such-org/metadata").expect(404);
  });

  test("SP-initiated: the AuthnRequest names our issuer and ACS; a signed response signs Alice in", async () => {
    const { agent, requestId, location } = await startLogin();
    const authn = authnRequestXml(location);
    expect(authn).toContain(`AssertionConsumerServiceURL="${sp.acsUrl}"`);
    expect(authn).toContain(`>${sp.spEntityId}</saml:Issuer>`);
    await agent.get("/auth/me").expect(401);
    const r = await post(agent, signResponse(buildResponseXml(base({ inResponseTo: requestId })), idpKey));
    expect(r.status).toBe(303);
    expect(r.headers.location).toBe("/auth/me");
    const cookie = String(r.headers["set-cookie"]);
    expect(cookie).toMatch(/roster\.sid=/);
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // PUBLIC_URL is http:// here
    const me = await agent.get("/auth/me").expect(200);
    expect(me.body).toMatchObject({ userName: "alice@acme.test", displayName: "Alice", organisation: { slug: t.organisation.slug }, protocol: "saml" });
    const events = await app.services.audit.list(t.ctx, { action: "sso.signed_in", source: "sso" }, { first: 10 });
    expect(events.items[0]).toMatchObject({ actorType: "user", actorLabel: "alice@acme.test", resourceId: me.body.id, source: "sso" });
  });

  test("IdP-initiated (no InResponseTo) is accepted once; the same response again is refused", async () => {
    const xml = signResponse(buildResponseXml(base()), idpKey);
    const first = request.agent(app.url);
    expect((await post(first, xml)).status).toBe(303);
    await first.get("/auth/me").expect(200);
    const again = request.agent(app.url);
    const r = await post(again, xml);
    expect(r.status).toBe(401);
    expect(r.text).toContain("already used");
    await again.get("/auth/me").expect(401);
    expect(await refusals()).toContain("replayed");
  });

  test("IdP-initiated with Okta's Default RelayState: a path, or a URL on Roster's own origin, is where the browser goes; another origin is not", async () => {
    const relayed = async (relayState: string) => {
      const r = await request.agent(app.url).post(`/auth/saml/${t.organisation.slug}/acs`).type("form").send({ SAMLResponse: b64(signResponse(buildResponseXml(base()), idpKey)), RelayState: relayState });
      expect(r.status).toBe(303);
      return r.headers.location as string;
    };
    expect(await relayed("/admin/#/directory")).toBe("/admin/#/directory");
    expect(await relayed(`${app.url}/admin/?tab=users#top`)).toBe("/admin/?tab=users#top");
    expect(await relayed(`${app.url.toUpperCase().replace("HTTP://", "http://")}/admin/`)).toBe("/admin/");
    for (const elsewhere of ["https://evil.example/admin/", `${app.url.replace("127.0.0.1", "localhost")}/admin/`, `http://user:pw@${new URL(app.url).host}/admin/`, `${app.url}//evil.example/`, "javascript:alert(1)"])
      expect(await relayed(elsewhere)).toBe("/auth/me");
  });

  test("SP-initiated with ?returnTo= (as the OIDC login reads it): sent to the IdP as the RelayState, where the ACS returns; only a local path", async () => {
    const relayStateOf = async (query: string) => {
      const r = await request(app.url).get(`/auth/saml/${t.organisation.slug}/login?${query}`).expect(302);
      return new URL(r.headers.location as string).searchParams.get("RelayState");
    };
    expect(await relayStateOf(`returnTo=${encodeURIComponent("/admin/#/directory")}`)).toBe("/admin/#/directory");
    expect(await relayStateOf(`RelayState=/admin/&returnTo=/auth/me`)).toBe("/admin/");
    for (const elsewhere of ["https://evil.example/admin/", "//evil.example/", "javascript:alert(1)"]) expect(await relayStateOf(`returnTo=${encodeURIComponent(elsewhere)}`)).toBeNull();
    const agent = request.agent(app.url);
    const location = (await agent.get(`/auth/saml/${t.organisation.slug}/login?returnTo=%2Fadmin%2F`).expect(302)).headers.location as string;
    const xml = signResponse(buildResponseXml(base({ inResponseTo: authnRequestId(location) })), idpKey);
    const r = await agent.post(`/auth/saml/${t.organisation.slug}/acs`).type("form").send({ SAMLResponse: b64(xml), RelayState: new URL(location).searchParams.get("RelayState") });
    expect([r.status, r.headers.location]).toEqual([303, "/admin/"]);
  });

  test("SP-initiated replay: the request id is consumed by the first response", async () => {
    const { agent, requestId } = await startLogin();
    const xml = signResponse(buildResponseXml(base({ inResponseTo: requestId })), idpKey);
    expect((await post(agent, xml)).status).toBe(303);
    const attacker = request.agent(app.url);
    expect((await post(attacker, xml)).status).toBe(401);
    await attacker.get("/auth/me").expect(401);
  });

  test.each([
    ["a Response whose status is not Success, though it carries a signed assertion", (requestId: string) => signResponse(buildResponseXml(base({ inResponseTo: requestId, status: "urn:oasis:names:tc:SAML:2.0:status:Requester" })), idpKey), /status/],
    ["a Response and Assertion signed with RSA-SHA1 and SHA-1 digests", (requestId: string) => signResponse(buildResponseXml(base({ inResponseTo: requestId })), idpKey, { assertion: true, response: true, sha1: true }), /SHA-1/],
  ])("refused: %s", async (_name, make, message) => {
    const { agent, requestId } = await startLogin();
    const r = await post(agent, make(requestId));
    expect(r.status).toBe(401);
    await agent.get("/auth/me").expect(401);
    const ev = (await app.services.audit.list(t.ctx, { action: "sso.refused" }, { first: 1 })).items[0];
    expect(String(ev.changes?.message?.after)).toMatch(message);
  });

  test("a form that does not decode as UTF-8 gets the sign-in error page, and the refusal is in the audit trail (a RelayState holding such an escape signed in)", async () => {
    const signed = () => encodeURIComponent(b64(signResponse(buildResponseXml(base()), idpKey)));
    const acs = `/auth/saml/${t.organisation.slug}/acs`;
    // A lone continuation byte, a byte UTF-8 never uses, an overlong "/", a surrogate encoded in UTF-8:
    // in the RelayState (the parser had left it undecoded, and the browser went there), in the response, raw.
    const forms: (string | Buffer)[] = ["%80", "%FF", "%C0%AF", "%ED%A0%80"].flatMap((bad) => [`SAMLResponse=${signed()}&RelayState=/admin/${bad}`, `SAMLResponse=${signed()}${bad}`]);
    forms.push(Buffer.concat([Buffer.from(`SAMLResponse=${signed()}&RelayState=/admin/`), Buffer.from([0xff])]));
    const send = (form: string | Buffer) => fetch(`${app.url}${acs}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form, redirect: "manual" });
    for (const [i, form] of forms.entries()) {
      const r = await send(form);
      // No session: a sign-in sets its cookie.
      expect([i, r.status, r.headers.get("set-cookie"), await r.text()]).toEqual([i, 401, null, expect.stringContaining("<h1>Sign-in failed</h1>")]);
      const ev = (await app.services.audit.list(t.ctx, { action: "sso.refused" }, { first: 1 })).items[0];
      expect([i, ev.changes?.reason?.after, ev.changes?.message?.after]).toEqual([i, "invalid_response", "the form the identity provider posted is not valid UTF-8"]);
    }
    // UTF-8 escapes are read as ever.
    const ok = await send(`SAMLResponse=${signed()}&RelayState=/admin/caf%C3%A9`);
    expect([ok.status, ok.headers.get("location"), ok.headers.get("set-cookie")]).toEqual([303, "/admin/caf%C3%A9", expect.stringContaining("HttpOnly")]);
  });

  test("a SAMLResponse whose XML is not UTF-8 gets the sign-in error page, audited, whatever encoding it declares (a signed attribute holding such a byte signed in, read as U+FFFD)", async () => {
    const send = (xml: Buffer) => request.agent(app.url).post(`/auth/saml/${t.organisation.slug}/acs`).type("form").send({ SAMLResponse: xml.toString("base64") });
    const lastRefusal = async () => (await app.services.audit.list(t.ctx, { action: "sso.refused" }, { first: 1 })).items[0].changes?.message?.after;
    // An IdP whose signer read its own ISO-8859-1 bytes as UTF-8: it signed U+FFFD, and sent the byte.
    const asRead = Buffer.from(signResponse(buildResponseXml(base({ attributes: { displayName: "Ren\uFFFD" } })), idpKey), "utf8");
    const at = asRead.indexOf(Buffer.from("\uFFFD"));
    const damaged = Buffer.concat([asRead.subarray(0, at), Buffer.from([0xe9]), asRead.subarray(at + 3)]);
    // An IdP that writes ISO-8859-1 and says so: its signature is over "René" (the digest of the UTF-8
    // canonical form), which Roster had read as "Ren\uFFFD": refused as an invalid signature.
    const latin1 = (displayName: string) => Buffer.from(signResponse(`<?xml version="1.0" encoding="ISO-8859-1"?>${buildResponseXml(base({ attributes: { displayName } }))}`, idpKey), "latin1");
    const cases: [string, Buffer, string][] = [
      ["signed as read", damaged, "the SAML response is not valid UTF-8"],
      ["ISO-8859-1", latin1("René"), "the SAML response is not valid UTF-8 (its XML declares ISO-8859-1; Roster reads SAML responses as UTF-8 only: configure the IdP to send UTF-8)"],
    ];
    for (const [name, xml, message] of cases) {
      const r = await send(xml);
      expect([name, r.status, r.headers["set-cookie"], r.text]).toEqual([name, 401, undefined, expect.stringContaining("<h1>Sign-in failed</h1>")]);
      expect([name, await lastRefusal()]).toEqual([name, message]);
    }
    // What it declares is not refused: an ISO-8859-1 response in ASCII is UTF-8 too, and signs in.
    const ascii = await send(latin1("Rene"));
    expect([ascii.status, ascii.headers["set-cookie"]]).toEqual([303, [expect.stringContaining("HttpOnly")]]);
  });

  test("a form the parser cannot read (too large, not the gzip it says, an unknown charset) gets the sign-in error page, audited, not JSON", async () => {
    const acs = `${app.url}/auth/saml/${t.organisation.slug}/acs`;
    const cases: [string, RequestInit, string][] = [
      ["too large", { body: `SAMLResponse=${"A".repeat(600_000)}` }, "the form the identity provider posted is larger than 512kb"],
      ["not gzip", { body: "SAMLResponse=abc", headers: { "content-encoding": "gzip" } }, "the form the identity provider posted could not be read (its encoding or character set)"],
      ["unknown charset", { body: "SAMLResponse=abc", headers: { "content-type": "application/x-www-form-urlencoded; charset=klingon" } }, "the form the identity provider posted could not be read (its encoding or character set)"],
    ];
    for (const [name, init, message] of cases) {
      const headers = { "content-type": "application/x-www-form-urlencoded", ...(init.headers as Record<string, string>) };
      const r = await fetch(acs, { method: "POST", redirect: "manual", ...init, headers });
      expect([name, r.status, r.headers.get("set-cookie"), r.headers.get("content-type"), await r.text()]).toEqual([name, 401, null, expect.stringContaining("text/html"), expect.stringContaining("<h1>Sign-in failed</h1>")]);
      const ev = (await app.services.audit.list(t.ctx, { action: "sso.refused" }, { first: 1 })).items[0];
      expect([name, ev.changes?.reason?.after, ev.changes?.message?.after]).toEqual([name, "invalid_response", message]);
    }
  });

  test("an InResponseTo that Roster never issued is refused", async () => {
    const agent = request.agent(app.url);
    const r = await post(agent, signResponse(buildResponseXml(base({ inResponseTo: "_never_sent" })), idpKey));
    expect(r.status).toBe(401);
    await agent.get("/auth/me").expect(401);
  });

  async function lastRefusalMessage() {
    const ev = (await app.services.audit.list(t.ctx, { action: "sso.refused" }, { first: 1 })).items[0];
    expect(ev.changes?.reason?.after).toBe("invalid_response");
    return String(ev.changes?.message?.after);
  }

  test.each([
    ["unsigned", (xml: string) => xml],
    ["only the Response signed (assertion signature required)", (xml: string) => signResponse(xml, idpKey, { response: true })],
    ["only the Assertion signed (this IdP signs the Response too)", (xml: string) => signResponse(xml, idpKey, { assertion: true })],
    ["signed by another key", (xml: string) => signResponse(xml, attackerKey)],
    ["tampered after signing (NameID changed)", (xml: string) => signResponse(xml, idpKey).replace(">alice@acme.test<", ">admin@acme.test<")],
  ])("refused: %s", async (_name, make) => {
    const { agent, requestId } = await startLogin();
    const r = await post(agent, make(buildResponseXml(base({ inResponseTo: requestId }))));
    expect(r.status).toBe(401);
    expect(r.text).toContain("could not be verified");
    expect(await lastRefusalMessage()).toMatch(/signature.*: Roster expects both the Assertion and the Response signed with one of the configured certificates$/i);
    await agent.get("/auth/me").expect(401);
  });

  test.each([
    ["wrong audience", { audience: "urn:some-other-app" }, /audience mismatch/],
    ["expired", { notOnOrAfterMs: -5 * 60_000 }, /subject confirmation|expired/],
    ["wrong recipient", { recipient: "https://roster.example/auth/saml/elsewhere/acs" }, /recipient/],
    ["wrong destination", { destination: "https://evil.example/acs" }, /destination/],
    ["wrong issuer", { idpIssuer: "http://www.okta.com/exkOTHER" }, /issuer/],
  ] as [string, Partial<AssertionInput>, RegExp][])("refused: %s (correctly signed)", async (_name, over, why) => {
    const { agent, requestId } = await startLogin();
    const r = await post(agent, signResponse(buildResponseXml(base({ inResponseTo: requestId, ...over })), idpKey));
    expect(r.status).toBe(401);
    expect(await lastRefusalMessage()).toMatch(why);
    await agent.get("/auth/me").expect(401);
  });

  const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
  const confirmation = (o: { recipient?: string; notOnOrAfterMs?: number; method?: string; inResponseTo?: string }) =>
    `<saml2:SubjectConfirmation Method="${o.method ?? BEARER}"><saml2:SubjectConfirmationData${o.inResponseTo ? ` InResponseTo="${o.inResponseTo}"` : ""}` +
    ` NotOnOrAfter="${new Date(Date.now() + (o.notOnOrAfterMs ?? 5 * 60_000)).toISOString()}" Recipient="${o.recipient ?? sp.acsUrl}"/></saml2:SubjectConfirmation>`;
  /** The response as the IdP built it, with its SubjectConfirmations replaced, signed as Okta signs. */
  const confirmedBy = (xml: string, ...confirmations: string[]) => signResponse(xml.replace(/<saml2:SubjectConfirmation .*<\/saml2:SubjectConfirmation>/, confirmations.join("")), idpKey);

  test.each([
    [
      "the Recipient on an expired confirmation and the time on another one's, for another ACS",
      (irt?: string) => confirmedBy(buildResponseXml(base({ inResponseTo: irt })), confirmation({ inResponseTo: irt, notOnOrAfterMs: -10 * 60_000 }), confirmation({ inResponseTo: irt, recipient: "https://other-sp.example/acs" })),
      /not valid: it expired/,
    ],
    ["a holder-of-key confirmation, not bearer", (irt?: string) => confirmedBy(buildResponseXml(base({ inResponseTo: irt })), confirmation({ inResponseTo: irt, method: "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key" })), /no SubjectConfirmation with method .*bearer/],
    ["an expired bearer confirmation inside valid Conditions", (irt?: string) => confirmedBy(buildResponseXml(base({ inResponseTo: irt })), confirmation({ inResponseTo: irt, notOnOrAfterMs: -10 * 60_000 })), /expired|No valid subject confirmation/],
    [
      "a Response issued by another IdP around the configured IdP's assertion",
      (irt?: string) => signResponse(buildResponseXml(base({ inResponseTo: irt })).replace(`entity">${IDP_ISSUER}</saml2:Issuer>`, `entity">http://www.okta.com/exkOTHER</saml2:Issuer>`), idpKey),
      /response's issuer "http:\/\/www.okta.com\/exkOTHER" is not the configured IdP/,
    ],
    ["a signed Response without Destination", (irt?: string) => signResponse(buildResponseXml(base({ inResponseTo: irt })).replace(/ Destination="[^"]*"/, ""), idpKey), /signed response has no Destination/],
    ["an assertion without Conditions", (irt?: string) => signResponse(buildResponseXml(base({ inResponseTo: irt })).replace(/<saml2:Conditions .*<\/saml2:Conditions>/, ""), idpKey), /the assertion has no Conditions/],
    ["an encrypted assertion", (irt?: string) => buildResponseXml(base({ inResponseTo: irt })).replace(/<saml2:Assertion .*<\/saml2:Assertion>/, "<saml2:EncryptedAssertion xmlns:saml2=\"urn:oasis:names:tc:SAML:2.0:assertion\"/>"), /encrypted/],
  ] as [string, (irt?: string) => string, RegExp][])("refused, SP- and IdP-initiated: %s", async (_name, make, why) => {
    for (const spInitiated of [true, false]) {
      const { agent, requestId } = await startLogin();
      const r = await post(agent, make(spInitiated ? requestId : undefined));
      expect(r.status).toBe(401);
      expect(await lastRefusalMessage()).toMatch(why);
      await agent.get("/auth/me").expect(401);
    }
  });

  test("an IdP whose app names the ACS URL with a trailing slash signs in: Destination and Recipient are compared as URLs", async () => {
    const { agent, requestId } = await startLogin();
    const r = await post(agent, signResponse(buildResponseXml(base({ inResponseTo: requestId, destination: `${sp.acsUrl}/`, recipient: `${sp.acsUrl}/` })), idpKey));
    expect(r.status).toBe(303);
    await agent.get("/auth/me").expect(200);
  });

  test("an assertion ID of any length is claimed once, on every database", async () => {
    const xml = signResponse(buildResponseXml(base()).replace(/ ID="_a[0-9a-f]+"/, ` ID="_a${"7".repeat(400)}"`), idpKey);
    const first = request.agent(app.url);
    expect((await post(first, xml)).status).toBe(303);
    await first.get("/auth/me").expect(200);
    const again = request.agent(app.url);
    expect((await post(again, xml)).status).toBe(401);
    expect(await refusals()).toContain("replayed");
  });

  test("Entra-shaped: unprefixed namespaces, only the assertion signed (so configured), SP- and IdP-initiated", async () => {
    const entra = await app.tenant();
    const issuer = "https://sts.windows.net/7f1e0000-0000-4000-8000-00000000e17a/";
    await app.services.identityProviders.configureSaml(entra.ctx, { idpSsoUrl: "https://login.microsoftonline.com/7f1e/saml2", idpEntityId: issuer, idpCertificates: [idpKey.certPem], wantResponseSigned: false });
    await app.services.users.create(entra.ctx, { userName: "dana@entra.test" });
    const entraSp = serviceProviderInfo(app.url, entra.organisation.slug);
    const iso = (ms: number) => new Date(Date.now() + ms).toISOString();
    // As Entra sends it: the assertion in the default namespace, the Response's Issuer without Format, no NotBefore on the confirmation.
    const entraResponse = (inResponseTo?: string) => {
      const irt = inResponseTo ? ` InResponseTo="${inResponseTo}"` : "";
      const id = `_${crypto.randomUUID()}`;
      return (
        `<samlp:Response ID="_${crypto.randomUUID()}" Version="2.0" IssueInstant="${iso(0)}" Destination="${entraSp.acsUrl}"${irt} xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">` +
        `<Issuer xmlns="urn:oasis:names:tc:SAML:2.0:assertion">${issuer}</Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>` +
        `<Assertion ID="${id}" IssueInstant="${iso(0)}" Version="2.0" xmlns="urn:oasis:names:tc:SAML:2.0:assertion"><Issuer>${issuer}</Issuer>` +
        `<Subject><NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">dana@entra.test</NameID><SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">` +
        `<SubjectConfirmationData${irt} NotOnOrAfter="${iso(5 * 60_000)}" Recipient="${entraSp.acsUrl}"/></SubjectConfirmation></Subject>` +
        `<Conditions NotBefore="${iso(-5 * 60_000)}" NotOnOrAfter="${iso(60 * 60_000)}"><AudienceRestriction><Audience>${entraSp.spEntityId}</Audience></AudienceRestriction></Conditions>` +
        `<AuthnStatement AuthnInstant="${iso(0)}" SessionIndex="${id}"><AuthnContext><AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password</AuthnContextClassRef></AuthnContext></AuthnStatement>` +
        `</Assertion></samlp:Response>`
      );
    };
    const agent = request.agent(app.url);
    const requestId = authnRequestId((await agent.get(`/auth/saml/${entra.organisation.slug}/login`).expect(302)).headers.location);
    expect((await post(agent, signResponse(entraResponse(requestId), idpKey, { assertion: true }), entra.organisation.slug)).status).toBe(303);
    expect((await agent.get("/auth/me").expect(200)).body.userName).toBe("dana@entra.test");
    const idpInitiated = request.agent(app.url);
    expect((await post(idpInitiated, signResponse(entraResponse(), idpKey, { assertion: true }), entra.organisation.slug)).status).toBe(303);
    await idpInitiated.get("/auth/me").expect(200);
  });

  test("certificate rotation: responses signed with either configured certificate are accepted", async () => {
    for (const key of [idpKey, nextKey]) {
      const { agent, requestId } = await startLogin();
      expect((await post(agent, signResponse(buildResponseXml(base({ inResponseTo: requestId })), key))).status).toBe(303);
      await agent.get("/auth/me").expect(200);
    }
  });

  test("not provisioned, deactivated, and another organisation's user get a clear 403 page", async () => {
    const cases: [string, string, RegExp][] = [
      ["nobody@acme.test", "not_provisioned", /not provisioned in the organisation/],
      ["BOB@acme.test", "deactivated", /deactivated/],
      ["carol@other.test", "not_provisioned", /not provisioned in the organisation/],
    ];
    for (const [nameId, reason, text] of cases) {
      const { agent, requestId } = await startLogin();
      const r = await post(agent, signResponse(buildResponseXml(base({ inResponseTo: requestId, nameId })), idpKey));
      expect(r.status).toBe(403);
      expect(r.headers["content-type"]).toMatch(/html/);
      expect(r.text).toMatch(text);
      await agent.get("/auth/me").expect(401);
      const ev = (await app.services.audit.list(t.ctx, { action: "sso.refused" }, { first: 1 })).items[0];
      expect(ev).toMatchObject({ source: "sso" });
      expect(ev.changes?.reason?.after).toBe(reason);
      expect(ev.changes?.identifier?.after).toBe(nameId);
    }
  });

  test("userName matching is case-insensitive", async () => {
    const { agent, requestId } = await startLogin();
    expect((await post(agent, signResponse(buildResponseXml(base({ inResponseTo: requestId, nameId: "ALICE@Acme.Test" })), idpKey))).status).toBe(303);
    expect((await agent.get("/auth/me").expect(200)).body.userName).toBe("alice@acme.test");
  });

  test("an organisation without SAML configured, or with SAML disabled, has no sign-in", async () => {
    await request(app.url).get(`/auth/saml/${other.organisation.slug}/login`).expect(404);
    await app.services.identityProviders.setEnabled(t.ctx, "saml", false);
    try {
      await request(app.url).get(`/auth/saml/${t.organisation.slug}/login`).expect(404);
      const r = await post(request.agent(app.url), signResponse(buildResponseXml(base()), idpKey));
      expect(r.status).toBe(404);
    } finally {
      await app.services.identityProviders.setEnabled(t.ctx, "saml", true);
    }
  });
});
