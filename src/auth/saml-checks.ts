import { isUtf8 } from "node:buffer";
import { createRequire } from "node:module";
import type { SamlSettings } from "../domain/sso/identity-provider.entity";

// The checks of the Web Browser SSO profile (SAML profiles §4.1.4.2–3) that node-saml leaves to its
// caller, or makes only in some cases. Each returns the reason for a refusal, which goes to the
// audit trail, so an IdP admin can read what to change.

/** Small tolerance for the IdP's clock (NotBefore / NotOnOrAfter). */
export const CLOCK_SKEW_MS = 60_000;

const PROTOCOL = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION = "urn:oasis:names:tc:SAML:2.0:assertion";
const DSIG = "http://www.w3.org/2000/09/xmldsig#";
const SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const ENTITY_FORMAT = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity";
/** rsa-sha1, dsa-sha1, ecdsa-sha1, hmac-sha1 and the sha1 digest: forgeable by collision. */
const SHA1_ALGORITHM = /[#-]sha1$/i;

// The DOM parser node-saml uses. Loaded untyped: its typings pull the browser's DOM library into the
// whole program, which retypes Node's fetch, Request and Response. These few members are all we read.
interface XmlNode {
  readonly nodeType: number;
  readonly firstChild: XmlNode | null;
  readonly nextSibling: XmlNode | null;
  readonly textContent: string | null;
}
interface Element extends XmlNode {
  readonly namespaceURI: string | null;
  readonly localName: string;
  hasAttribute(name: string): boolean;
  getAttribute(name: string): string | null;
}
interface Document extends XmlNode {
  readonly documentElement: Element | null;
  getElementsByTagNameNS(ns: string, name: string): { readonly length: number; item(index: number): Element | null };
}
type ErrorHandler = { warning(): void; error(): void; fatalError(): void };
const { DOMParser } = createRequire(__filename)("@xmldom/xmldom") as { DOMParser: new (options: { errorHandler: ErrorHandler }) => { parseFromString(xml: string, mimeType: string): Document | undefined } };

type Parent = Document | Element;
const DOCUMENT_TYPE_NODE = 10;

function parse(xml: string): Document | null {
  let failed = false;
  const fail = () => {
    failed = true;
  };
  const doc = new DOMParser({ errorHandler: { warning: () => undefined, error: fail, fatalError: fail } }).parseFromString(xml, "text/xml");
  return failed || !doc?.documentElement ? null : doc;
}

/** Direct children only: an element nested deeper (in an Advice, an extension) says nothing here. */
function children(parent: Parent | undefined, ns: string, name: string): Element[] {
  const out: Element[] = [];
  for (let node = parent?.firstChild; node; node = node.nextSibling) {
    const el = node as Element;
    if (node.nodeType === 1 && el.namespaceURI === ns && el.localName === name) out.push(el);
  }
  return out;
}

const text = (el: Element | undefined) => (el?.textContent ?? "").trim();

/**
 * Whether a URL an IdP names (Destination, Recipient) is our ACS URL: compared as URLs (scheme and
 * host in any case, a default port written or not, a trailing slash, which the ACS route also takes),
 * not as strings. An IdP's app set up with `https://Roster.example.com:443/…/acs/` was refused.
 */
export function sameEndpoint(named: string, acsUrl: string): boolean {
  const parse = (u: string) => {
    try {
      const url = new URL(u);
      return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}${url.search}`;
    } catch {
      return null;
    }
  };
  const a = parse(named);
  return a !== null && a === parse(acsUrl);
}
const attribute = (el: Element | undefined, name: string) => (el?.hasAttribute(name) ? el.getAttribute(name)! : undefined);

/**
 * Why a SAMLResponse's XML (its base64 decoded) cannot be read, or null: it must be UTF-8. Roster and
 * node-saml decode it as UTF-8 and hand the text to their parser (xmldom), which never reads the XML
 * declaration's encoding: whatever the response declares, a byte that is not UTF-8 became U+FFFD. A
 * response in ISO-8859-1 with one non-ASCII character then failed its signature (the digest was of the
 * character the IdP wrote), refused as "Invalid signature", which sends an IdP admin to certificates;
 * one whose signer had itself read those bytes as UTF-8 signed in, U+FFFD in its attributes.
 */
export function checkEncoding(xml: Buffer): string | null {
  if (isUtf8(xml)) return null;
  const declared = /^\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][\w.-]*)["']/.exec(xml.subarray(0, 200).toString("latin1"))?.[1];
  const other = declared !== undefined && !/^utf-?8$/i.test(declared);
  return `the SAML response is not valid UTF-8${other ? ` (its XML declares ${declared}; Roster reads SAML responses as UTF-8 only: configure the IdP to send UTF-8)` : ""}`;
}

/**
 * The Response around the assertion, checked before its signatures are: it must be a Success
 * addressed to this ACS by the configured IdP, signed with SHA-256 or better, and carry exactly one
 * plain assertion that has Conditions. Refusing here only ever refuses: what signs someone in is
 * the signed assertion, checked by node-saml and then by `checkSignedAssertion`. Returns the
 * request the response answers, if any.
 */
export function checkResponse(xml: string, settings: SamlSettings, acsUrl: string): { inResponseTo: string | undefined } | string {
  const doc = parse(xml);
  const response = doc?.documentElement;
  if (!doc || !response || response.namespaceURI !== PROTOCOL || response.localName !== "Response") return "the SAMLResponse is not a SAML 2.0 Response";
  // SAML forbids DTDs (core §1.3): nothing in a response may declare entities or defaults.
  for (let node = doc.firstChild; node; node = node.nextSibling) if (node.nodeType === DOCUMENT_TYPE_NODE) return "the response has a DOCTYPE, which SAML forbids";
  const statuses = children(response, PROTOCOL, "Status");
  if (statuses.length !== 1) return `the response has ${statuses.length} Status elements; it must have exactly one`;
  const status = children(statuses[0], PROTOCOL, "StatusCode")[0];
  const statusValue = attribute(status, "Value");
  if (statusValue !== SUCCESS) {
    // node-saml reads the status only when there is no assertion: a refusal carrying one was a sign-in.
    const detail = attribute(children(status, PROTOCOL, "StatusCode")[0], "Value");
    const said = text(children(statuses[0], PROTOCOL, "StatusMessage")[0]);
    return `the response status is ${statusValue ?? "missing"}, not Success${detail ? ` (${detail})` : ""}${said ? `: ${said}` : ""}`;
  }
  const issuer = children(response, ASSERTION, "Issuer")[0];
  if (issuer && text(issuer) !== settings.idpEntityId) return `the response's issuer ${JSON.stringify(text(issuer))} is not the configured IdP ${JSON.stringify(settings.idpEntityId)}`;
  const issuerFormat = attribute(issuer, "Format");
  if (issuerFormat !== undefined && issuerFormat !== ENTITY_FORMAT) return `the response's issuer has format ${issuerFormat}, not ${ENTITY_FORMAT}`;
  const destination = attribute(response, "Destination");
  if (destination !== undefined && !sameEndpoint(destination, acsUrl)) return `response destination ${destination} is not ${acsUrl}`;
  // SAML bindings §3.5.5.2: a signed message names where it is sent, or it could be sent anywhere.
  if (destination === undefined && children(response, DSIG, "Signature").length > 0) return `the signed response has no Destination; it must be ${acsUrl}`;
  for (const name of ["SignatureMethod", "DigestMethod"]) {
    const elements = doc.getElementsByTagNameNS(DSIG, name);
    for (let i = 0; i < elements.length; i++) {
      if (SHA1_ALGORITHM.test(elements.item(i)?.getAttribute("Algorithm") ?? "")) return "the response is signed or digested with SHA-1; configure the IdP to sign with SHA-256";
    }
  }
  if (children(response, ASSERTION, "EncryptedAssertion").length > 0) return "the assertion is encrypted, and Roster does not decrypt assertions: turn assertion encryption off in the IdP's application";
  const assertions = children(response, ASSERTION, "Assertion");
  if (assertions.length !== 1) return `the response carries ${assertions.length} assertions; it must carry exactly one`;
  if (children(assertions[0], ASSERTION, "Conditions").length === 0) return "the assertion has no Conditions; it must restrict its audience to Roster's entity id";
  return { inResponseTo: attribute(response, "InResponseTo") };
}

/** An assertion's xs:dateTime in ms; undefined when absent, NaN when it is not a time. */
const time = (value: string | undefined) => (value === undefined ? undefined : new Date(value).getTime());

/** Why one SubjectConfirmationData cannot confirm the subject now, or null when it can. */
function confirmationRefusal(data: Element, inResponseTo: string | undefined, now: number): string | null {
  const notOnOrAfter = time(attribute(data, "NotOnOrAfter"));
  const notBefore = time(attribute(data, "NotBefore"));
  if (notOnOrAfter === undefined) return "it has no NotOnOrAfter";
  if (Number.isNaN(notOnOrAfter) || (notBefore !== undefined && Number.isNaN(notBefore))) return "its times are not valid dateTimes";
  if (now >= notOnOrAfter + CLOCK_SKEW_MS) return "it expired";
  if (notBefore !== undefined && now + CLOCK_SKEW_MS < notBefore) return "it is not valid yet";
  const answers = attribute(data, "InResponseTo");
  if (answers !== undefined && answers !== inResponseTo) return `it answers request ${answers}, not ${inResponseTo ?? "none"}`;
  return null;
}

/**
 * The assertion node-saml verified the signature of: issued by the configured IdP, with an ID, and
 * confirmed by one bearer SubjectConfirmation that, by itself, names this ACS as Recipient, is valid
 * now and answers this response's request (node-saml checks the time of whichever confirmation it
 * finds first, and the Recipient of none). Returns the assertion's ID and until when it could be
 * accepted, which is how long its replay entry must last.
 */
export function checkSignedAssertion(
  assertionXml: string,
  settings: SamlSettings,
  acsUrl: string,
  inResponseTo: string | undefined,
  now = Date.now(),
): { assertionId: string; validUntil: Date } | string {
  const assertion = parse(assertionXml)?.documentElement;
  if (!assertion || assertion.namespaceURI !== ASSERTION || assertion.localName !== "Assertion") return "the signed element is not an assertion";
  const issuer = text(children(assertion, ASSERTION, "Issuer")[0]);
  if (issuer !== settings.idpEntityId) return `unexpected issuer ${JSON.stringify(issuer)}`;
  const assertionId = attribute(assertion, "ID");
  if (!assertionId) return "the assertion has no ID";
  const conditions = children(assertion, ASSERTION, "Conditions")[0];
  if (!conditions) return "the assertion has no Conditions; it must restrict its audience to Roster's entity id";

  const subject = children(assertion, ASSERTION, "Subject")[0];
  const bearers = children(subject, ASSERTION, "SubjectConfirmation").filter((sc) => attribute(sc, "Method") === BEARER);
  if (bearers.length === 0) return `the assertion has no SubjectConfirmation with method ${BEARER}`;
  const forUs = bearers.flatMap((sc) => children(sc, ASSERTION, "SubjectConfirmationData")).filter((data) => sameEndpoint(attribute(data, "Recipient") ?? "", acsUrl));
  if (forUs.length === 0) return `no bearer SubjectConfirmation for recipient ${acsUrl}`;
  const refusals = forUs.map((data) => confirmationRefusal(data, inResponseTo, now));
  const confirmed = forUs[refusals.indexOf(null)];
  if (!confirmed) return `the bearer subject confirmation for recipient ${acsUrl} is not valid: ${refusals[0]}`;

  const ends = [time(attribute(confirmed, "NotOnOrAfter"))!, time(attribute(conditions, "NotOnOrAfter"))].filter((t): t is number => t !== undefined && !Number.isNaN(t));
  return { assertionId, validUntil: new Date(Math.max(Math.min(...ends), now) + CLOCK_SKEW_MS) };
}
