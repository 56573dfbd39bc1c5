import { isStorableText } from "../shared/storable-text";
import type { OidcSettings, SamlSettings } from "./identity-provider.entity";

/** Who the IdP says signed in, reduced to what matching needs; built only from verified messages. */
export interface VerifiedIdentity {
  protocol: "saml" | "oidc";
  /** The value of the configured identifier (NameID, an assertion attribute, or an id_token claim). */
  identifier: string;
  /** An email address the IdP vouches for (signed SAML attribute, or an OIDC email with email_verified). */
  email: string | null;
  displayName: string | null;
  /** Given and family names, for a just-in-time user (Okta's firstName/lastName, Entra's claims). */
  givenName: string | null;
  familyName: string | null;
  /** A userName to give a just-in-time user matched by externalId. */
  userNameHint: string | null;
}

export type RefusalReason =
  | "not_provisioned"
  | "provisioning_refused"
  | "deactivated"
  | "ambiguous"
  | "wrong_tenant"
  | "missing_identifier"
  | "unverified_email"
  | "invalid_response"
  /** The IdP answered the authorization request with an error (Entra: the user is not assigned the application, consent denied). */
  | "idp_error"
  /** Roster would not fetch from the IdP: its issuer, or an endpoint its discovery names, is not a public address. */
  | "idp_host_not_public"
  | "replayed"
  | "not_configured";

export type IdentityResult = { ok: true; identity: VerifiedIdentity } | { ok: false; reason: RefusalReason; message: string };

/** The claim types Entra (and ADFS) name SAML attributes with. */
const WS_CLAIMS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims";
const MS_CLAIMS = "http://schemas.microsoft.com/identity/claims";

/** A claim or attribute as text; none when absent, blank, or not text Roster can store (U+0000, a lone surrogate: an id_token's JSON can carry both). */
const str = (v: unknown): string | null => {
  if (Array.isArray(v)) v = v[0];
  return typeof v === "string" && v.trim() !== "" && isStorableText(v) ? v.trim() : null;
};

/** From a SAML assertion whose signature, audience, recipient and lifetime were already verified. */
export function identityFromSaml(settings: SamlSettings, profile: { nameID?: string | null; attributes?: Record<string, unknown> }): IdentityResult {
  const attrs = profile.attributes ?? {};
  const identifier = settings.identifierSource === "nameID" ? str(profile.nameID) : str(attrs[settings.identifierSource]);
  if (!identifier) return { ok: false, reason: "missing_identifier", message: `the assertion carries no ${settings.identifierSource}` };
  // Everything in a signed assertion is vouched for by the IdP.
  const email = str(attrs.email) ?? str(attrs.mail) ?? str(attrs["urn:oid:0.9.2342.19200300.100.1.3"]) ?? (settings.matchBy === "email" ? identifier : null);
  const displayName = str(attrs.displayName) ?? str(attrs.name) ?? str(attrs[`${MS_CLAIMS}/displayname`]) ?? null;
  // Okta's attribute statements are usually firstName/lastName; Entra sends the claim URIs.
  const givenName = str(attrs.firstName) ?? str(attrs.givenName) ?? str(attrs[`${WS_CLAIMS}/givenname`]) ?? null;
  const familyName = str(attrs.lastName) ?? str(attrs.surname) ?? str(attrs.familyName) ?? str(attrs[`${WS_CLAIMS}/surname`]) ?? null;
  return { ok: true, identity: { protocol: "saml", identifier, email, displayName, givenName, familyName, userNameHint: email } };
}

/**
 * From id_token claims that openid-client verified (signature, issuer, audience, expiry, nonce).
 * Entra: the `tid` claim must equal the configured tenant; `oid` is the stable user id; an `email`
 * claim is used only when the IdP says it is verified (Entra's `email` is user-editable otherwise).
 */
export function identityFromOidc(settings: OidcSettings, claims: Record<string, unknown>): IdentityResult {
  if (settings.tenantId) {
    const tid = str(claims.tid);
    if (!tid || tid.toLowerCase() !== settings.tenantId.toLowerCase())
      return { ok: false, reason: "wrong_tenant", message: `the token was issued for tenant ${tid ?? "(none)"}, not the configured tenant` };
  }
  const verifiedEmail = claims.email_verified === true || claims.xms_edov === true ? str(claims.email) : null;
  // Users found by email address are found only by a verified one: another claim (preferred_username,
  // upn) is whatever the IdP lets its users choose, and named anyone's address. configureOidc now
  // refuses the pairing; this holds for settings stored before it did.
  if (settings.matchBy === "email" && settings.claim !== "email")
    return { ok: false, reason: "not_configured", message: `matching by email needs the email claim (email_verified), not ${settings.claim}` };
  if (settings.claim === "email" && !verifiedEmail)
    return { ok: false, reason: "unverified_email", message: "the identity provider does not vouch for the email claim (email_verified is not true)" };
  const identifier = settings.claim === "email" ? verifiedEmail : str(claims[settings.claim]);
  if (!identifier) return { ok: false, reason: "missing_identifier", message: `the id_token carries no ${settings.claim} claim` };
  return {
    ok: true,
    identity: {
      protocol: "oidc",
      identifier,
      email: verifiedEmail,
      displayName: str(claims.name),
      givenName: str(claims.given_name),
      familyName: str(claims.family_name),
      userNameHint: str(claims.preferred_username) ?? str(claims.upn) ?? verifiedEmail,
    },
  };
}
