import { X509Certificate, createHash } from "node:crypto";
import type { EntityManager } from "typeorm";
import type { Database } from "../../platform/database";
import { nonPublicTarget } from "../../platform/public-network";
import { newId } from "../../platform/ids";
import type { RequestContext } from "../../platform/request-context";
import type { AuditService } from "../audit/audit.service";
import { diffFields } from "../audit/audit.service";
import type { Organisation } from "../organisations/organisation.entity";
import { organisationHoldingSlug } from "../organisations/organisation.service";
import { DomainError, invalidInput, notFound } from "../shared/domain-error";
import { IdentityProvider, type IdentityProviderKind, type OidcSettings, type SamlSettings, type UserMatch } from "./identity-provider.entity";
import { characterCount } from "../shared/text-length";

export const userMatches: readonly UserMatch[] = ["userName", "email", "externalId"];
export const oidcClaims: readonly OidcSettings["claim"][] = ["preferred_username", "email", "upn", "oid"];

export interface SamlInput {
  idpSsoUrl: string;
  idpEntityId: string;
  /** One or two PEM certificates (two while the IdP rotates its signing key). */
  idpCertificates: string[];
  identifierSource?: string;
  matchBy?: UserMatch;
  wantResponseSigned?: boolean;
  justInTimeProvisioning?: boolean;
}

export interface OidcInput {
  issuer: string;
  tenantId?: string | null;
  clientId: string;
  /** Write-only. Required the first time; left out later, the stored one is kept. */
  clientSecret?: string | null;
  claim?: OidcSettings["claim"];
  matchBy?: UserMatch;
  justInTimeProvisioning?: boolean;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  fingerprint256: string;
}

/** Roster's side of the federation, for an organisation: what an IdP admin pastes into Okta or Entra. */
export interface ServiceProviderInfo {
  spEntityId: string;
  acsUrl: string;
  metadataUrl: string;
  samlLoginUrl: string;
  oidcRedirectUri: string;
  oidcLoginUrl: string;
  logoutUrl: string;
}

export function serviceProviderInfo(publicUrl: string, slug: string): ServiceProviderInfo {
  const base = publicUrl.replace(/\/+$/, "");
  const saml = `${base}/auth/saml/${encodeURIComponent(slug)}`;
  const oidc = `${base}/auth/oidc/${encodeURIComponent(slug)}`;
  return {
    // The metadata URL doubles as the SP entity id: unique per organisation and resolvable.
    spEntityId: `${saml}/metadata`,
    acsUrl: `${saml}/acs`,
    metadataUrl: `${saml}/metadata`,
    samlLoginUrl: `${saml}/login`,
    oidcRedirectUri: `${oidc}/callback`,
    oidcLoginUrl: `${oidc}/login`,
    logoutUrl: `${base}/auth/logout`,
  };
}

export function certificateInfo(pem: string): CertificateInfo {
  const c = new X509Certificate(pem);
  return { subject: c.subject, issuer: c.issuer, notBefore: new Date(c.validFrom), notAfter: new Date(c.validTo), fingerprint256: c.fingerprint256 };
}

/** Cache key of an IdP's settings: changes whenever they are written. */
export const settingsVersion = (idp: IdentityProvider) => `${idp.id}:${idp.updatedAt.getTime()}`;

/** SHA-256 of a certificate's public key (SPKI, DER): the signing key itself, whichever certificate carries it. */
export function signingKeyOf(pem: string): string {
  return createHash("sha256").update(new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" })).digest("hex");
}

/**
 * Whether settings `after` still trust the identity provider that `before` trusted, i.e. whether
 * the people signed in through `before` were vouched for by the IdP that `after` names. When not,
 * the configuration was replaced with another IdP and their sessions end.
 *
 * SAML: the IdP is who signs the assertions under its entity id. The same entity id with at least
 * one signing key in common (compared as public keys, so a certificate renewed over the same key is
 * the same) is the same IdP: a rotation adds the next certificate, then removes the old one, and
 * never loses the overlap. Another entity id, or only keys the previous settings did not trust, is
 * another IdP (a compromised key replaced outright ends what it signed in).
 * OIDC: the IdP is the issuer (whose keys sign the id_tokens), the directory (`tenantId`, checked
 * against `tid`) and the application registered there (`clientId`, the tokens' audience: another
 * registration has its own assigned users and sign-in policies). The same three are the same IdP.
 *
 * Not the IdP's identity, so changing them signs nobody out: the SSO URL (where browsers are sent;
 * it vouches for nobody), how a person is matched to a user (identifierSource, claim, matchBy),
 * wantResponseSigned, the client secret (Roster's credential at the IdP, not the IdP's), just-in-time
 * provisioning and enabled.
 */
export function sameIdentityProvider(kind: IdentityProviderKind, before: SamlSettings | OidcSettings, after: SamlSettings | OidcSettings): boolean {
  if (kind === "saml") {
    const [b, a] = [before as SamlSettings, after as SamlSettings];
    if (b.idpEntityId !== a.idpEntityId) return false;
    const trusted = new Set(b.idpCertificates.map(signingKeyOf));
    return a.idpCertificates.some((pem) => trusted.has(signingKeyOf(pem)));
  }
  const [b, a] = [before as OidcSettings, after as OidcSettings];
  return b.issuer === a.issuer && (b.tenantId ?? null) === (a.tenantId ?? null) && b.clientId === a.clientId;
}

export function isLoopbackUrl(u: URL): boolean {
  return u.hostname === "127.0.0.1" || u.hostname === "localhost" || u.hostname === "[::1]";
}

function validUrl(field: string, value: string): string {
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw invalidInput(field, `${field} must be an absolute URL`);
  }
  if (u.protocol !== "https:" && !(u.protocol === "http:" && isLoopbackUrl(u))) throw invalidInput(field, `${field} must be an https:// URL`);
  if (u.username || u.password) throw invalidInput(field, `${field} must not carry credentials`);
  return value.trim(); // as given: an OIDC issuer must match the discovery document exactly
}

function validText(field: string, value: string | undefined | null, max: number): string {
  const v = (value ?? "").trim();
  if (!v) throw invalidInput(field, `${field} is required`);
  if (characterCount(v) > max) throw invalidInput(field, `${field} is longer than ${max} characters`);
  return v;
}

function validCertificates(pems: string[]): string[] {
  const list = pems.map((p) => p.trim()).filter(Boolean);
  if (list.length === 0) throw invalidInput("idpCertificates", "at least one IdP signing certificate is required");
  if (list.length > 2) throw invalidInput("idpCertificates", "at most two IdP certificates (the current one and the next one)");
  return list.map((pem, i) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(pem.includes("-----BEGIN") ? pem : `-----BEGIN CERTIFICATE-----\n${pem.replace(/\s+/g, "")}\n-----END CERTIFICATE-----`);
    } catch {
      // Okta's "Identity Provider metadata" and Entra's "Federation Metadata XML" are not certificates.
      if (/<(\w+:)?EntityDescriptor\b/.test(pem))
        throw invalidInput(
          `idpCertificates[${i}]`,
          `certificate ${i + 1} is the IdP's SAML metadata XML, not a certificate: give its signing certificate (PEM, e.g. Okta's "Download certificate", or the text of the metadata's <X509Certificate>), and its SSO URL and entity id as idpSsoUrl and idpEntityId`,
        );
      throw invalidInput(`idpCertificates[${i}]`, `certificate ${i + 1} is not a PEM X.509 certificate`);
    }
    if (new Date(cert.validTo).getTime() < Date.now()) throw invalidInput(`idpCertificates[${i}]`, `certificate ${i + 1} (${cert.subject}) expired on ${new Date(cert.validTo).toISOString()}`);
    return cert.toString();
  });
}

function validMatch(value: string | undefined, fallback: UserMatch): UserMatch {
  const v = value ?? fallback;
  if (!userMatches.includes(v as UserMatch)) throw invalidInput("matchBy", `matchBy must be one of ${userMatches.join(", ")}`);
  return v as UserMatch;
}

/** Per-organisation SAML and OIDC settings. The OIDC client secret is write-only: no method returns it to an adapter. */
export class IdentityProviderService {
  /**
   * Run inside the transaction that deletes an IdP configuration or replaces it with another IdP
   * (`sameIdentityProvider`): the sessions signed in through it end (see createServices).
   */
  readonly onIdentityEnded: ((tx: RequestContext & { manager: EntityManager }, identityProviderId: string) => Promise<void>)[] = [];

  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    /** ALLOW_PRIVATE_OUTBOUND_HOSTS (tests, development): an OIDC issuer may name a loopback or private host. */
    private readonly allowPrivateHosts = false,
  ) {}

  list(ctx: RequestContext): Promise<IdentityProvider[]> {
    return this.db.manager(ctx).getRepository(IdentityProvider).find({ where: { organisationId: ctx.organisationId }, order: { kind: "ASC" } });
  }

  find(ctx: RequestContext, kind: IdentityProviderKind): Promise<IdentityProvider | null> {
    return this.db.manager(ctx).getRepository(IdentityProvider).findOneBy({ organisationId: ctx.organisationId, kind });
  }

  async get(ctx: RequestContext, kind: IdentityProviderKind): Promise<IdentityProvider> {
    const idp = await this.find(ctx, kind);
    if (!idp) throw notFound("IdentityProvider", kind);
    return idp;
  }

  /**
   * For the sign-in routes: the organisation the URL's slug names (its current slug, or one it gave
   * up: see `organisationHoldingSlug`) and its enabled IdP of that kind, or null. `slug` is the one
   * the URL used: Roster's SP values for this sign-in (ACS URL, audience, redirect URI) are that slug's.
   */
  async forSignIn(slug: string, kind: IdentityProviderKind): Promise<{ organisation: Organisation; idp: IdentityProvider; slug: string; former: boolean } | null> {
    const holder = await organisationHoldingSlug(this.db.manager(), slug);
    if (!holder) return null;
    const idp = await this.db.manager().getRepository(IdentityProvider).findOneBy({ organisationId: holder.organisation.id, kind, enabled: true });
    return idp ? { ...holder, idp } : null;
  }

  async configureSaml(ctx: RequestContext, input: SamlInput): Promise<IdentityProvider> {
    const identifierSource = (input.identifierSource ?? "nameID").trim() || "nameID";
    if (identifierSource !== "nameID" && !/^[\w:./-]{1,256}$/.test(identifierSource))
      throw invalidInput("identifierSource", "identifierSource must be nameID or the name of an assertion attribute");
    const settings: SamlSettings = {
      idpSsoUrl: validUrl("idpSsoUrl", input.idpSsoUrl),
      idpEntityId: validText("idpEntityId", input.idpEntityId, 1024),
      idpCertificates: validCertificates(input.idpCertificates),
      identifierSource,
      matchBy: validMatch(input.matchBy, "userName"),
      wantResponseSigned: input.wantResponseSigned ?? true,
    };
    return this.write(ctx, "saml", settings, { justInTimeProvisioning: input.justInTimeProvisioning });
  }

  async configureOidc(ctx: RequestContext, input: OidcInput): Promise<IdentityProvider> {
    const issuer = validUrl("issuer", input.issuer);
    // Roster fetches discovery, keys and tokens from it, inside its own network: no loopback, metadata
    // or private hosts (SSRF). Checked again at every sign-in request, on the address connected to.
    const privateHost = this.allowPrivateHosts ? null : await nonPublicTarget(new URL(issuer));
    if (privateHost) throw invalidInput("issuer", `the issuer must name a public host: ${privateHost} (loopback, link-local and private addresses are refused)`);
    const tenantId = input.tenantId?.trim() || null;
    if (tenantId && !/^[A-Za-z0-9._-]{1,64}$/.test(tenantId)) throw invalidInput("tenantId", "tenantId must be the directory (tenant) id, e.g. a GUID");
    if (!tenantId && new URL(issuer).hostname === "login.microsoftonline.com")
      throw invalidInput("tenantId", "an Entra ID issuer needs the tenant id: the tid claim of every token is checked against it");
    const claim = input.claim ?? (tenantId ? "oid" : "preferred_username");
    if (!oidcClaims.includes(claim)) throw invalidInput("claim", `claim must be one of ${oidcClaims.join(", ")}`);
    const matchBy = validMatch(input.matchBy, claim === "oid" ? "externalId" : claim === "email" ? "email" : "userName");
    if (claim === "oid" && matchBy !== "externalId") throw invalidInput("matchBy", "the oid claim matches users by externalId");
    if (matchBy === "email" && claim !== "email") throw invalidInput("matchBy", "matching by email needs claim email: only the email claim is checked for email_verified");
    const settings: OidcSettings = { issuer, tenantId, clientId: validText("clientId", input.clientId, 255), claim, matchBy };
    const secret = input.clientSecret?.trim() ? validText("clientSecret", input.clientSecret, 1024) : undefined;
    return this.write(ctx, "oidc", settings, { justInTimeProvisioning: input.justInTimeProvisioning, clientSecret: secret });
  }

  private write(
    ctx: RequestContext,
    kind: IdentityProviderKind,
    settings: SamlSettings | OidcSettings,
    extra: { justInTimeProvisioning?: boolean; clientSecret?: string },
  ): Promise<IdentityProvider> {
    return this.db.transaction(ctx, async (tx) => {
      const repo = tx.manager.getRepository(IdentityProvider);
      const existing = await repo.findOneBy({ organisationId: tx.organisationId, kind });
      const now = new Date();
      if (kind === "oidc" && !existing?.clientSecret && !extra.clientSecret) throw invalidInput("clientSecret", "clientSecret is required");
      // Decided before `existing` takes the new settings (`idp` is the same object then).
      const replaced = existing !== null && !sameIdentityProvider(kind, existing.settings, settings);
      const idp: IdentityProvider = existing ?? {
        id: newId(),
        organisationId: tx.organisationId,
        kind,
        enabled: true,
        settings,
        identityVersion: newId(),
        clientSecret: null,
        justInTimeProvisioning: false,
        createdAt: now,
        updatedAt: now,
      };
      const before = existing ? { ...describeSettings(existing), justInTimeProvisioning: existing.justInTimeProvisioning } : {};
      const secretChanged = extra.clientSecret !== undefined && extra.clientSecret !== existing?.clientSecret;
      idp.settings = settings;
      if (extra.clientSecret !== undefined) idp.clientSecret = extra.clientSecret;
      if (extra.justInTimeProvisioning !== undefined) idp.justInTimeProvisioning = extra.justInTimeProvisioning;
      const changes = diffFields(before, { ...describeSettings(idp), justInTimeProvisioning: idp.justInTimeProvisioning });
      // The secret itself never reaches the audit trail: only the fact that it changed.
      if (secretChanged) changes.clientSecret = { before: existing?.clientSecret ? "(set)" : null, after: "(set, changed)" };
      // The same settings again (an admin saving the form unchanged): nothing written, nothing audited.
      if (existing && Object.keys(changes).length === 0) return existing;
      if (replaced) {
        idp.identityVersion = newId();
        changes.sessionsEnded = { before: null, after: true };
      }
      idp.updatedAt = existing && existing.updatedAt.getTime() >= now.getTime() ? new Date(existing.updatedAt.getTime() + 1) : now;
      await repo.save(idp);
      if (replaced) for (const hook of this.onIdentityEnded) await hook(tx, idp.id);
      await this.audit.record(tx, { action: existing ? "sso.idp.updated" : "sso.idp.configured", resourceType: "IdentityProvider", resourceId: idp.id, changes });
      return idp;
    });
  }

  setEnabled(ctx: RequestContext, kind: IdentityProviderKind, enabled: boolean): Promise<IdentityProvider> {
    return this.change(ctx, kind, enabled ? "sso.idp.enabled" : "sso.idp.disabled", (idp) => ({ enabled: [idp.enabled, enabled] }), (idp) => (idp.enabled = enabled));
  }

  setJustInTimeProvisioning(ctx: RequestContext, kind: IdentityProviderKind, on: boolean): Promise<IdentityProvider> {
    return this.change(ctx, kind, "sso.idp.updated", (idp) => ({ justInTimeProvisioning: [idp.justInTimeProvisioning, on] }), (idp) => (idp.justInTimeProvisioning = on));
  }

  private change(ctx: RequestContext, kind: IdentityProviderKind, action: string, diff: (idp: IdentityProvider) => Record<string, [unknown, unknown]>, apply: (idp: IdentityProvider) => void) {
    return this.db.transaction(ctx, async (tx) => {
      const repo = tx.manager.getRepository(IdentityProvider);
      const idp = await repo.findOneBy({ organisationId: tx.organisationId, kind });
      if (!idp) throw notFound("IdentityProvider", kind);
      const d = diff(idp);
      // Already so: nothing written, nothing audited.
      if (Object.values(d).every(([before, after]) => before === after)) return idp;
      apply(idp);
      idp.updatedAt = new Date(Math.max(Date.now(), idp.updatedAt.getTime() + 1));
      await repo.save(idp);
      await this.audit.record(tx, {
        action,
        resourceType: "IdentityProvider",
        resourceId: idp.id,
        changes: Object.fromEntries(Object.entries(d).map(([k, [before, after]]) => [k, { before, after }])),
      });
      return idp;
    });
  }

  async delete(ctx: RequestContext, kind: IdentityProviderKind): Promise<void> {
    await this.db.transaction(ctx, async (tx) => {
      const repo = tx.manager.getRepository(IdentityProvider);
      const idp = await repo.findOneBy({ organisationId: tx.organisationId, kind });
      if (!idp) throw notFound("IdentityProvider", kind);
      await repo.delete({ id: idp.id, organisationId: tx.organisationId });
      for (const hook of this.onIdentityEnded) await hook(tx, idp.id);
      // What went, field by field (diffFields only compares the fields of its second argument).
      const settings = { ...describeSettings(idp), enabled: idp.enabled, justInTimeProvisioning: idp.justInTimeProvisioning, ...(idp.clientSecret ? { clientSecret: "(set)" } : {}) };
      await this.audit.record(tx, {
        action: "sso.idp.deleted",
        resourceType: "IdentityProvider",
        resourceId: idp.id,
        changes: {
          ...Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, { before: v ?? null, after: null }])),
          // Everyone signed in through it was signed out (in this transaction, or right after it with Redis).
          sessionsEnded: { before: null, after: true },
        },
      });
    });
  }
}

/** The settings as an admin may see them (certificates summarised, no secret). */
export function describeSettings(idp: IdentityProvider): Record<string, unknown> {
  if (idp.kind === "saml") {
    const s = idp.settings as SamlSettings;
    return { ...s, idpCertificates: s.idpCertificates.map((pem) => certificateInfo(pem).fingerprint256) };
  }
  return { ...(idp.settings as OidcSettings) };
}

export function assertKind(value: string): IdentityProviderKind {
  if (value !== "saml" && value !== "oidc") throw new DomainError("INVALID_INPUT", "kind must be saml or oidc", { field: "kind" });
  return value;
}
