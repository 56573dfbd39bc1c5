import type { OidcSettings, SamlSettings } from "./identity-provider.entity";
import { identityFromOidc, identityFromSaml } from "./identity";

const entra = (over: Partial<OidcSettings> = {}): OidcSettings => ({ issuer: "https://login.microsoftonline.com/t1/v2.0", tenantId: "T1", clientId: "c", claim: "oid", matchBy: "externalId", ...over });

describe("identityFromOidc", () => {
  test("the tid claim must equal the configured tenant (case-insensitively)", () => {
    expect(identityFromOidc(entra(), { tid: "t1", oid: "o1" })).toMatchObject({ ok: true, identity: { identifier: "o1" } });
    expect(identityFromOidc(entra(), { tid: "t2", oid: "o1" })).toMatchObject({ ok: false, reason: "wrong_tenant" });
    expect(identityFromOidc(entra(), { oid: "o1" })).toMatchObject({ ok: false, reason: "wrong_tenant" });
  });

  test("an email claim is used only when the IdP vouches for it", () => {
    const s = entra({ claim: "email", matchBy: "email" });
    expect(identityFromOidc(s, { tid: "t1", email: "a@x.test" })).toMatchObject({ ok: false, reason: "unverified_email" });
    expect(identityFromOidc(s, { tid: "t1", email: "a@x.test", email_verified: "true" })).toMatchObject({ ok: false, reason: "unverified_email" });
    expect(identityFromOidc(s, { tid: "t1", email: "a@x.test", email_verified: true })).toMatchObject({ ok: true, identity: { identifier: "a@x.test", email: "a@x.test" } });
    // With another claim, an unverified email is not even kept as the user's email.
    expect(identityFromOidc(entra({ claim: "preferred_username", matchBy: "userName" }), { tid: "t1", preferred_username: "a@x.test", email: "evil@x.test" })).toMatchObject({
      ok: true,
      identity: { identifier: "a@x.test", email: null },
    });
  });

  test("a missing identifier claim is refused", () => {
    expect(identityFromOidc(entra({ claim: "upn", matchBy: "userName" }), { tid: "t1", oid: "o" })).toMatchObject({ ok: false, reason: "missing_identifier" });
  });
  test("settings that match by email on another claim (stored before configureOidc refused them) sign nobody in", () => {
    const claims = { tid: "t1", preferred_username: "pia@x.test", email: "attacker@evil.test", email_verified: false };
    expect(identityFromOidc(entra({ claim: "preferred_username", matchBy: "email" }), claims)).toMatchObject({ ok: false, reason: "not_configured" });
  });
});

describe("identityFromSaml", () => {
  const saml = (over: Partial<SamlSettings> = {}): SamlSettings => ({ idpSsoUrl: "https://i", idpEntityId: "e", idpCertificates: [], identifierSource: "nameID", matchBy: "userName", wantResponseSigned: true, ...over });
  test("NameID or the configured attribute identifies the user", () => {
    expect(identityFromSaml(saml(), { nameID: "a@x.test" })).toMatchObject({ ok: true, identity: { identifier: "a@x.test" } });
    expect(identityFromSaml(saml({ identifierSource: "employeeId" }), { nameID: "a@x.test", attributes: { employeeId: "E1" } })).toMatchObject({ ok: true, identity: { identifier: "E1" } });
    expect(identityFromSaml(saml({ identifierSource: "employeeId" }), { nameID: "a@x.test", attributes: {} })).toMatchObject({ ok: false, reason: "missing_identifier" });
  });
});

describe("names for a just-in-time user", () => {
  const saml: SamlSettings = { idpSsoUrl: "https://i", idpEntityId: "e", idpCertificates: [], identifierSource: "nameID", matchBy: "userName", wantResponseSigned: true };
  test("SAML: Okta's firstName/lastName, or Entra's claim URIs", () => {
    expect(identityFromSaml(saml, { nameID: "a@x.test", attributes: { firstName: "Ada", lastName: "Lovelace" } })).toMatchObject({ ok: true, identity: { givenName: "Ada", familyName: "Lovelace", displayName: null } });
    const ws = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims";
    const entraAttrs = { [`${ws}/givenname`]: "Grace", [`${ws}/surname`]: "Hopper", "http://schemas.microsoft.com/identity/claims/displayname": "Grace H." };
    expect(identityFromSaml(saml, { nameID: "g@x.test", attributes: entraAttrs })).toMatchObject({ ok: true, identity: { givenName: "Grace", familyName: "Hopper", displayName: "Grace H." } });
    expect(identityFromSaml(saml, { nameID: "n@x.test" })).toMatchObject({ ok: true, identity: { givenName: null, familyName: null } });
  });
  test("a name that is not text Roster can store (U+0000, a lone surrogate, which an id_token's JSON can carry) is no name", () => {
    expect(identityFromOidc(entra(), { tid: "t1", oid: "o1", given_name: "Ada\u0000", family_name: "\ud800x", name: "ok" })).toMatchObject({ ok: true, identity: { givenName: null, familyName: null, displayName: "ok" } });
  });
  test("OIDC: given_name and family_name", () => {
    expect(identityFromOidc(entra(), { tid: "t1", oid: "o1", given_name: "Ada", family_name: "Lovelace", name: "Ada L." })).toMatchObject({ ok: true, identity: { givenName: "Ada", familyName: "Lovelace", displayName: "Ada L." } });
  });
});
