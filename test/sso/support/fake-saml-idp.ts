// Test-side SAML IdP shaped like Okta: a node-forge self-signed certificate, a SAMLResponse built as a
// string and signed with xml-crypto (the library node-saml verifies with), POSTed to the ACS.
import crypto from "node:crypto";
import zlib from "node:zlib";
import forge from "node-forge";
import { SignedXml } from "xml-crypto";

export interface TestKey {
  certPem: string;
  keyPem: string;
}

export function makeSelfSignedCert(cn = "fake-okta-idp"): TestKey {
  // The RSA key comes from node:crypto (native, fast); node-forge builds the self-signed certificate.
  const pair = crypto.generateKeyPairSync("rsa", { modulusLength: 2048, publicKeyEncoding: { type: "spki", format: "pem" }, privateKeyEncoding: { type: "pkcs8", format: "pem" } });
  return selfSignedCertFor(pair.privateKey, cn);
}

/** A new certificate (serial, validity) over the same key pair: what an IdP gives when it renews a certificate without a new key. */
export function renewCertificate(key: TestKey, cn = "fake-okta-idp-renewed"): TestKey {
  return selfSignedCertFor(key.keyPem, cn);
}

function selfSignedCertFor(privateKeyPem: string, cn: string): TestKey {
  const privateKey = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const keys = { privateKey, publicKey: forge.pki.rsa.setPublicKey(privateKey.n, privateKey.e) };
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = "01" + crypto.randomBytes(8).toString("hex");
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 365 * 86400_000);
  const attrs = [{ name: "commonName", value: cn }];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: privateKeyPem };
}

/** The ID of the AuthnRequest carried by an HTTP-Redirect binding URL. */
export function authnRequestId(location: string): string {
  return /\sID="([^"]+)"/.exec(authnRequestXml(location))![1];
}

export function authnRequestXml(location: string): string {
  return zlib.inflateRawSync(Buffer.from(new URL(location).searchParams.get("SAMLRequest")!, "base64")).toString("utf8");
}

const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

export interface AssertionInput {
  idpIssuer: string;
  spEntityId: string;
  acsUrl: string;
  inResponseTo?: string;
  nameId: string;
  attributes?: Record<string, string>;
  audience?: string;
  destination?: string;
  recipient?: string;
  /** Lifetime from now; negative for an expired assertion. */
  notOnOrAfterMs?: number;
  /** The Response's top-level StatusCode; Success by default. */
  status?: string;
}

export function buildResponseXml(a: AssertionInput): string {
  const now = new Date();
  const later = new Date(now.getTime() + (a.notOnOrAfterMs ?? 5 * 60_000));
  const notBefore = new Date(Math.min(now.getTime(), later.getTime()) - 60_000);
  const rid = "_r" + crypto.randomBytes(16).toString("hex");
  const aid = "_a" + crypto.randomBytes(16).toString("hex");
  const irt = a.inResponseTo ? ` InResponseTo="${a.inResponseTo}"` : "";
  const attrs = Object.entries(a.attributes ?? {})
    .map(
      ([k, v]) =>
        `<saml2:Attribute Name="${k}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified"><saml2:AttributeValue xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="xs:string">${v}</saml2:AttributeValue></saml2:Attribute>`,
    )
    .join("");
  return (
    `<saml2p:Response xmlns:saml2p="urn:oasis:names:tc:SAML:2.0:protocol" Destination="${a.destination ?? a.acsUrl}" ID="${rid}"${irt} IssueInstant="${iso(now)}" Version="2.0">` +
    `<saml2:Issuer xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">${a.idpIssuer}</saml2:Issuer>` +
    `<saml2p:Status><saml2p:StatusCode Value="${a.status ?? "urn:oasis:names:tc:SAML:2.0:status:Success"}"/></saml2p:Status>` +
    `<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion" ID="${aid}" IssueInstant="${iso(now)}" Version="2.0">` +
    `<saml2:Issuer Format="urn:oasis:names:tc:SAML:2.0:nameid-format:entity">${a.idpIssuer}</saml2:Issuer>` +
    `<saml2:Subject><saml2:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified">${a.nameId}</saml2:NameID>` +
    `<saml2:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml2:SubjectConfirmationData${irt} NotOnOrAfter="${iso(later)}" Recipient="${a.recipient ?? a.acsUrl}"/></saml2:SubjectConfirmation></saml2:Subject>` +
    `<saml2:Conditions NotBefore="${iso(notBefore)}" NotOnOrAfter="${iso(later)}"><saml2:AudienceRestriction><saml2:Audience>${a.audience ?? a.spEntityId}</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>` +
    `<saml2:AuthnStatement AuthnInstant="${iso(now)}" SessionIndex="${aid}"><saml2:AuthnContext><saml2:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml2:AuthnContextClassRef></saml2:AuthnContext></saml2:AuthnStatement>` +
    `<saml2:AttributeStatement>${attrs}</saml2:AttributeStatement>` +
    `</saml2:Assertion></saml2p:Response>`
  );
}

const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#";
const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256";

const RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1";
const SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1";

function sign(xml: string, key: TestKey, elem: "Assertion" | "Response", sha1 = false): string {
  const sig = new SignedXml({ privateKey: key.keyPem, publicCert: key.certPem, signatureAlgorithm: sha1 ? RSA_SHA1 : RSA_SHA256, canonicalizationAlgorithm: EXC_C14N });
  const xpath = `//*[local-name(.)='${elem}']`;
  sig.addReference({ xpath, transforms: [ENVELOPED, EXC_C14N], digestAlgorithm: sha1 ? SHA1 : SHA256 });
  sig.computeSignature(xml, { prefix: "ds", location: { reference: `${xpath}/*[local-name(.)='Issuer']`, action: "after" } });
  return sig.getSignedXml();
}

/** Okta's default: the Assertion, then the Response, both signed (RSA-SHA256; `sha1` for a legacy IdP). */
export function signResponse(xml: string, key: TestKey, what: { assertion?: boolean; response?: boolean; sha1?: boolean } = { assertion: true, response: true }): string {
  let out = xml;
  if (what.assertion) out = sign(out, key, "Assertion", what.sha1);
  if (what.response) out = sign(out, key, "Response", what.sha1);
  return out;
}

export const b64 = (xml: string) => Buffer.from(xml, "utf8").toString("base64");
