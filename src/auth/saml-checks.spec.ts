import type { SamlSettings } from "../domain/sso/identity-provider.entity";
import { CLOCK_SKEW_MS, checkEncoding, checkResponse, checkSignedAssertion, sameEndpoint } from "./saml-checks";

const IDP = "http://www.okta.com/exkSPEC";
const ACS = "https://roster.example/auth/saml/acme/acs";
const settings = { idpEntityId: IDP } as SamlSettings;
const NOW = Date.parse("2026-11-24T12:00:00Z");
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

const P = 'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"';
const A = 'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"';
const D = 'xmlns:ds="http://www.w3.org/2000/09/xmldsig#"';

function response(o: { status?: string; issuerFormat?: string; inner?: string; signature?: string } = {}) {
  const format = o.issuerFormat ? ` Format="${o.issuerFormat}"` : "";
  return (
    `<samlp:Response ${P} ${A} ${D} Destination="${ACS}" InResponseTo="_req1" ID="_r1" Version="2.0">` +
    `<saml:Issuer${format}>${IDP}</saml:Issuer>${o.signature ?? ""}` +
    `<samlp:Status><samlp:StatusCode Value="${o.status ?? "urn:oasis:names:tc:SAML:2.0:status:Success"}"/></samlp:Status>` +
    (o.inner ?? `<saml:Assertion ID="_a1"><saml:Issuer>${IDP}</saml:Issuer><saml:Conditions/></saml:Assertion>`) +
    `</samlp:Response>`
  );
}

function assertion(data: string, conditions = `<saml:Conditions NotOnOrAfter="${at(10 * 60_000)}"/>`) {
  return (
    `<saml:Assertion ${A} ID="_a1"><saml:Issuer>${IDP}</saml:Issuer><saml:Subject><saml:NameID>alice</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData Recipient="${ACS}" ${data}/></saml:SubjectConfirmation>` +
    `</saml:Subject>${conditions}</saml:Assertion>`
  );
}

describe("checkResponse (the envelope, before signatures)", () => {
  test("a Success from the configured IdP to this ACS passes and names the request it answers", () => {
    expect(checkResponse(response(), settings, ACS)).toEqual({ inResponseTo: "_req1" });
  });

  test("a refusal's nested status and message are in the reason", () => {
    const status = `urn:oasis:names:tc:SAML:2.0:status:Responder"><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:RequestDenied"/></samlp:StatusCode><samlp:StatusMessage>User is not assigned</samlp:StatusMessage><samlp:StatusCode Value="x`;
    const reason = checkResponse(response({ status }), settings, ACS);
    expect(reason).toMatch(/status:Responder, not Success \(urn:oasis:names:tc:SAML:2\.0:status:RequestDenied\)/);
  });

  test("an issuer with a format other than entity is refused", () => {
    expect(checkResponse(response({ issuerFormat: "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress" }), settings, ACS)).toMatch(/format/);
    expect(checkResponse(response({ issuerFormat: "urn:oasis:names:tc:SAML:2.0:nameid-format:entity" }), settings, ACS)).toEqual({ inResponseTo: "_req1" });
  });

  test.each(["http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1", "http://www.w3.org/2000/09/xmldsig#dsa-sha1"])("SHA-1 in any form is refused: %s", (algorithm) => {
    const signature = `<ds:Signature><ds:SignedInfo><ds:SignatureMethod Algorithm="${algorithm}"/></ds:SignedInfo></ds:Signature>`;
    expect(checkResponse(response({ signature }), settings, ACS)).toMatch(/SHA-1/);
  });

  test("a DOCTYPE, or a Status other than exactly one, is refused", () => {
    expect(checkResponse(`<!DOCTYPE samlp:Response>${response()}`, settings, ACS)).toMatch(/DOCTYPE/);
    const status = '<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder"/></samlp:Status>';
    expect(checkResponse(response().replace("</samlp:Status>", `</samlp:Status>${status}`), settings, ACS)).toMatch(/2 Status elements/);
    expect(checkResponse(response().replace(/<samlp:Status>.*<\/samlp:Status>/, ""), settings, ACS)).toMatch(/0 Status elements/);
  });

  test("two assertions, none, or something that is not a Response are refused", () => {
    const one = `<saml:Assertion ID="_a"><saml:Conditions/></saml:Assertion>`;
    expect(checkResponse(response({ inner: one + one }), settings, ACS)).toMatch(/carries 2 assertions/);
    expect(checkResponse(response({ inner: "" }), settings, ACS)).toMatch(/carries 0 assertions/);
    expect(checkResponse(`<saml:Assertion ${A}/>`, settings, ACS)).toMatch(/not a SAML 2\.0 Response/);
    expect(checkResponse("<samlp:Response", settings, ACS)).toMatch(/not a SAML 2\.0 Response/);
  });
});

describe("sameEndpoint: Destination and Recipient are compared as URLs", () => {
  test.each([
    [ACS, true],
    [`${ACS}/`, true],
    ["https://ROSTER.Example/auth/saml/acme/acs", true],
    ["https://roster.example:443/auth/saml/acme/acs", true],
    ["HTTPS://roster.example/auth/saml/acme/acs", true],
    ["https://roster.example/auth/saml/ACME/acs", false],
    ["http://roster.example/auth/saml/acme/acs", false],
    ["https://roster.example:8443/auth/saml/acme/acs", false],
    ["https://roster.example/auth/saml/acme/acs?x=1", false],
    ["https://roster.example.evil/auth/saml/acme/acs", false],
    ["not a url", false],
  ])("%s → %s", (named, same) => expect(sameEndpoint(named, ACS)).toBe(same));
});

describe("checkSignedAssertion (the assertion node-saml verified)", () => {
  const check = (xml: string) => checkSignedAssertion(xml, settings, ACS, "_req1", NOW);

  test("a bearer confirmation for this ACS, valid now, answering this request, passes until the earlier end", () => {
    const until = at(5 * 60_000);
    expect(check(assertion(`NotOnOrAfter="${until}" InResponseTo="_req1"`))).toEqual({ assertionId: "_a1", validUntil: new Date(Date.parse(until) + CLOCK_SKEW_MS) });
  });

  test.each([
    ["no NotOnOrAfter", `InResponseTo="_req1"`, /no NotOnOrAfter/],
    ["a NotOnOrAfter that is not a time", `NotOnOrAfter="soon"`, /not valid dateTimes/],
    ["a NotBefore in the future", `NotBefore="${at(5 * 60_000)}" NotOnOrAfter="${at(10 * 60_000)}"`, /not valid yet/],
    ["expired beyond the clock skew", `NotOnOrAfter="${at(-CLOCK_SKEW_MS - 1)}"`, /expired/],
    ["an answer to another request", `NotOnOrAfter="${at(60_000)}" InResponseTo="_req2"`, /answers request _req2, not _req1/],
  ])("a confirmation with %s is refused", (_name, data, why) => {
    expect(check(assertion(data))).toMatch(why);
  });

  test("an answer to a request is refused in an IdP-initiated response (no InResponseTo)", () => {
    expect(checkSignedAssertion(assertion(`NotOnOrAfter="${at(60_000)}" InResponseTo="_req1"`), settings, ACS, undefined, NOW)).toMatch(/answers request _req1, not none/);
  });

  test("expired within the clock skew still passes", () => {
    expect(check(assertion(`NotOnOrAfter="${at(-CLOCK_SKEW_MS + 1000)}"`))).toMatchObject({ assertionId: "_a1" });
  });
});

describe("checkEncoding: the response's XML must be UTF-8, whatever it declares", () => {
  const declared = (encoding: string, text: string) => Buffer.from(`<?xml version="1.0" encoding="${encoding}"?><Response>${text}</Response>`, "latin1");

  test("UTF-8 passes, and so does a declaration of another encoding over ASCII", () => {
    expect(checkEncoding(Buffer.from("<Response>René 😀</Response>"))).toBeNull();
    expect(checkEncoding(declared("ISO-8859-1", "Rene"))).toBeNull();
  });

  test("bytes that are not UTF-8 are refused, naming the encoding declared when it is another", () => {
    expect(checkEncoding(Buffer.from([0x3c, 0x52, 0x3e, 0xe9, 0x3c, 0x2f, 0x52, 0x3e]))).toBe("the SAML response is not valid UTF-8");
    expect(checkEncoding(declared("UTF-8", "René"))).toBe("the SAML response is not valid UTF-8");
    expect(checkEncoding(declared("ISO-8859-1", "René"))).toBe(
      "the SAML response is not valid UTF-8 (its XML declares ISO-8859-1; Roster reads SAML responses as UTF-8 only: configure the IdP to send UTF-8)",
    );
  });
});
