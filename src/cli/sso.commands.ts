import fs from "node:fs";
import { loadConfig } from "../config/config";
import type { OidcSettings, SamlSettings, UserMatch } from "../domain/sso/identity-provider.entity";
import { certificateInfo, oidcClaims, serviceProviderInfo, userMatches } from "../domain/sso/identity-provider.service";
import { type CliCommand, CliUsageError, required } from "./cli-command";
import { orgContext } from "./core.commands";

const optional = (opts: Record<string, string | boolean>, name: string): string | undefined => (typeof opts[name] === "string" ? (opts[name] as string) : undefined);

function matchBy(opts: Record<string, string | boolean>): UserMatch | undefined {
  const v = optional(opts, "match-by");
  if (v !== undefined && !userMatches.includes(v as UserMatch)) throw new CliUsageError(`--match-by must be one of ${userMatches.join(", ")}`);
  return v as UserMatch | undefined;
}

function readFileFor(what: string, path: string): string {
  try {
    return fs.readFileSync(path, "utf8");
  } catch (err) {
    throw new CliUsageError(`cannot read ${what} file ${path}: ${(err as Error).message}`);
  }
}

const readCert = (path: string) => readFileFor("certificate", path);

/**
 * The client secret from --client-secret-file (a file, or /dev/stdin from a pipe), which keeps it out
 * of `ps` and the shell's history, or from --client-secret; the line end a file or echo adds is not part of it.
 */
function clientSecret(opts: Record<string, string | boolean>): string | undefined {
  const file = optional(opts, "client-secret-file");
  const given = optional(opts, "client-secret");
  if (file !== undefined && given !== undefined) throw new CliUsageError("give --client-secret-file or --client-secret, not both");
  if (file === undefined) return given;
  const secret = readFileFor("client secret", file).replace(/\r?\n$/, "");
  if (!secret) throw new CliUsageError(`the client secret file ${file} is empty`);
  return secret;
}

const jit = (opts: Record<string, string | boolean>) => (opts.jit ? true : opts["no-jit"] ? false : undefined);

export const ssoCommands: CliCommand[] = [
  {
    name: "sso saml",
    usage: "sso saml --org S --idp-sso-url U --idp-entity-id E --idp-cert-file F [--idp-cert-file-2 F2] [--identifier nameID|<attr>] [--match-by userName|email|externalId] [--assertion-only-signed] [--jit|--no-jit]",
    summary: "configure SAML sign-in (Okta or any SAML 2.0 IdP) for an organisation",
    options: ["org", "idp-sso-url", "idp-entity-id", "idp-cert-file", "idp-cert-file-2", "identifier", "match-by"],
    flags: ["assertion-only-signed", "jit", "no-jit"],
    async run(opts, services, io) {
      const ctx = await orgContext(services, required(opts, "org"), io);
      const certs = [readCert(required(opts, "idp-cert-file"))];
      const second = optional(opts, "idp-cert-file-2");
      if (second) certs.push(readCert(second));
      const idp = await services.identityProviders.configureSaml(ctx, {
        idpSsoUrl: required(opts, "idp-sso-url"),
        idpEntityId: required(opts, "idp-entity-id"),
        idpCertificates: certs,
        identifierSource: optional(opts, "identifier"),
        matchBy: matchBy(opts),
        wantResponseSigned: opts["assertion-only-signed"] ? false : undefined,
        justInTimeProvisioning: jit(opts),
      });
      const s = idp.settings as SamlSettings;
      io.out(`saml configured for ${opts.org}: identifier=${s.identifierSource} matchBy=${s.matchBy} certificates=${s.idpCertificates.length} enabled=${idp.enabled}`);
    },
  },
  {
    name: "sso oidc",
    usage: "sso oidc --org S --issuer URL --client-id ID --client-secret-file F|--client-secret SECRET [--tenant-id TID] [--claim preferred_username|email|upn|oid] [--match-by userName|email|externalId] [--jit|--no-jit]",
    summary: "configure OpenID Connect sign-in (Entra ID or another OIDC provider) for an organisation",
    options: ["org", "issuer", "client-id", "client-secret", "client-secret-file", "tenant-id", "claim", "match-by"],
    flags: ["jit", "no-jit"],
    async run(opts, services, io) {
      const claim = optional(opts, "claim");
      if (claim !== undefined && !oidcClaims.includes(claim as OidcSettings["claim"])) throw new CliUsageError(`--claim must be one of ${oidcClaims.join(", ")}`);
      const ctx = await orgContext(services, required(opts, "org"), io);
      const idp = await services.identityProviders.configureOidc(ctx, {
        issuer: required(opts, "issuer"),
        clientId: required(opts, "client-id"),
        clientSecret: clientSecret(opts),
        tenantId: optional(opts, "tenant-id"),
        claim: claim as OidcSettings["claim"] | undefined,
        matchBy: matchBy(opts),
        justInTimeProvisioning: jit(opts),
      });
      const s = idp.settings as OidcSettings;
      io.out(`oidc configured for ${opts.org}: issuer=${s.issuer} tenant=${s.tenantId ?? "-"} claim=${s.claim} matchBy=${s.matchBy} enabled=${idp.enabled}`);
    },
  },
  {
    name: "sso show",
    usage: "sso show --org S [--public-url URL]",
    summary: "show an organisation's sign-in settings and Roster's SSO URLs (never the client secret)",
    options: ["org", "public-url"],
    async run(opts, services, io) {
      const slug = required(opts, "org");
      const publicUrl = optional(opts, "public-url") ?? loadConfig(process.env).publicUrl;
      const ctx = await orgContext(services, slug, io);
      const org = await services.organisations.get(ctx);
      const sp = serviceProviderInfo(publicUrl, org.slug);
      io.out(`SP entity id:        ${sp.spEntityId}`);
      io.out(`ACS URL (POST):      ${sp.acsUrl}`);
      io.out(`SP metadata:         ${sp.metadataUrl}`);
      io.out(`OIDC redirect URI:   ${sp.oidcRedirectUri}`);
      io.out(`Sign-in (SAML/OIDC): ${sp.samlLoginUrl}  ${sp.oidcLoginUrl}`);
      // An IdP set up before a rename still signs people in through the slug's old URLs.
      for (const former of await services.organisations.formerSlugs(ctx)) {
        const old = serviceProviderInfo(publicUrl, former.slug);
        io.out("");
        io.out(`still accepted, former slug ${former.slug} (given up ${former.retiredAt.toISOString()}):`);
        io.out(`  SP entity id:      ${old.spEntityId}`);
        io.out(`  ACS URL (POST):    ${old.acsUrl}`);
        io.out(`  OIDC redirect URI: ${old.oidcRedirectUri}`);
      }
      const idps = await services.identityProviders.list(ctx);
      if (idps.length === 0) io.out("no identity provider configured");
      for (const idp of idps) {
        io.out("");
        io.out(`${idp.kind}\tenabled=${idp.enabled}\tjit=${idp.justInTimeProvisioning}`);
        if (idp.kind === "saml") {
          const s = idp.settings as SamlSettings;
          io.out(`  idp sso url:   ${s.idpSsoUrl}`);
          io.out(`  idp entity id: ${s.idpEntityId}`);
          io.out(`  identifier:    ${s.identifierSource} (match by ${s.matchBy}); response signed: ${s.wantResponseSigned}`);
          for (const pem of s.idpCertificates) {
            const c = certificateInfo(pem);
            io.out(`  certificate:   ${c.subject.replace(/\n/g, ", ")} expires ${c.notAfter.toISOString()} sha256 ${c.fingerprint256}`);
          }
        } else {
          const s = idp.settings as OidcSettings;
          io.out(`  issuer:        ${s.issuer}`);
          io.out(`  tenant id:     ${s.tenantId ?? "-"}`);
          io.out(`  client id:     ${s.clientId}  (client secret ${idp.clientSecret ? "set" : "not set"})`);
          io.out(`  claim:         ${s.claim} (match by ${s.matchBy})`);
        }
      }
    },
  },
  {
    name: "sso delete",
    usage: "sso delete --org S --kind saml|oidc",
    summary: "remove an organisation's SAML or OIDC sign-in: nobody signs in through it any more, and everyone signed in through it is signed out",
    options: ["org", "kind"],
    async run(opts, services, io) {
      const kind = required(opts, "kind");
      if (kind !== "saml" && kind !== "oidc") throw new CliUsageError(`--kind must be saml or oidc, not "${kind}"`);
      const ctx = await orgContext(services, required(opts, "org"), io);
      await services.identityProviders.delete(ctx, kind);
      io.out(`${kind} sign-in removed for ${opts.org}; the sessions it had signed in are ended`);
    },
  },
];
