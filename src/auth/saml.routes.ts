import express, { type ErrorRequestHandler, type NextFunction, type Request, type Response, Router } from "express";
import { MultiSamlStrategy, type Profile, ValidateInResponseTo, type VerifiedCallback, generateServiceProviderMetadata } from "@node-saml/passport-saml";
import type { Services } from "../domain/services";
import type { SamlSettings } from "../domain/sso/identity-provider.entity";
import { serviceProviderInfo } from "../domain/sso/identity-provider.service";
import { type IdentityResult, identityFromSaml } from "../domain/sso/identity";
import { NOT_UTF8, assertUtf8Form } from "../platform/utf8-body";
import { safeReturnPath, sendRefusal } from "./pages";
import { CLOCK_SKEW_MS, checkEncoding, checkResponse, checkSignedAssertion } from "./saml-checks";
import type { Sessions, SsoTarget } from "./sessions";

/** AuthnRequest ids wait this long for their response (InResponseTo). */
const REQUEST_TTL_MS = 10 * 60_000;
/** The largest SAML form the ACS reads: a signed response with many attributes is tens of kilobytes. */
const ACS_FORM_LIMIT = "512kb";
/** Okta's "NameID format: Unspecified" (username = email). */
const NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";

const targets = new WeakMap<Request, SsoTarget>();
/** The request each ACS post answers (its Response's InResponseTo, found by `checkResponse`), for `checkSignedAssertion`. */
const answering = new WeakMap<Request, string | undefined>();

/** node-saml says only "Invalid signature": say what Roster expects signed, which is what an IdP admin can change. */
function withSigningHint(message: string, settings: SamlSettings): string {
  if (!/signature/i.test(message)) return message;
  const expected = settings.wantResponseSigned ? "both the Assertion and the Response" : "the Assertion (the Response may be unsigned)";
  return `${message}: Roster expects ${expected} signed with one of the configured certificates`;
}

/**
 * SAML 2.0 for every organisation through one MultiSamlStrategy whose options come from the
 * organisation's settings and the slug the URL used (its current one, or one it gave up):
 * SP-initiated (InResponseTo checked against the shared replay cache) and IdP-initiated (no
 * InResponseTo: the assertion ID is then claimed once). Assertions must be signed, the Response too
 * unless the IdP is configured to sign only assertions.
 */
export function samlRoutes(services: Services, publicUrl: string, sessions: Sessions): Router {
  const strategy = new MultiSamlStrategy(
    {
      name: "roster-saml",
      passReqToCallback: true,
      getSamlOptions(req, done) {
        const target = targets.get(req);
        if (!target) return done(new Error("no SAML identity provider for this request"));
        const settings = target.idp.settings as SamlSettings;
        // The values of the slug the URL used: after a rename, an IdP set up with the old slug's values
        // still sends its responses to the old ACS with the old audience, and an AuthnRequest from the
        // old login URL must name them for that IdP to answer it. Each slug is checked as its own SP.
        const sp = serviceProviderInfo(publicUrl, target.slug);
        done(null, {
          callbackUrl: sp.acsUrl,
          entryPoint: settings.idpSsoUrl,
          issuer: sp.spEntityId,
          audience: sp.spEntityId,
          idpIssuer: settings.idpEntityId,
          idpCert: settings.idpCertificates,
          wantAssertionsSigned: true,
          wantAuthnResponseSigned: settings.wantResponseSigned,
          validateInResponseTo: ValidateInResponseTo.ifPresent,
          requestIdExpirationPeriodMs: REQUEST_TTL_MS,
          cacheProvider: services.replay.samlRequestCache(target.organisation.id, REQUEST_TTL_MS),
          acceptedClockSkewMs: CLOCK_SKEW_MS,
          identifierFormat: NAMEID_UNSPECIFIED,
          disableRequestedAuthnContext: true,
          signatureAlgorithm: "sha256",
          digestAlgorithm: "sha256",
        });
      },
    },
    (req: Request, profile: Profile | null, done: VerifiedCallback) => {
      const target = targets.get(req)!;
      const settings = target.idp.settings as SamlSettings;
      const acsUrl = serviceProviderInfo(publicUrl, target.slug).acsUrl;
      (async (): Promise<IdentityResult> => {
        if (!profile) return { ok: false, reason: "invalid_response", message: "no assertion in the response" };
        const checked = checkSignedAssertion(profile.getAssertionXml?.() ?? "", settings, acsUrl, answering.get(req));
        if (typeof checked === "string") return { ok: false, reason: "invalid_response", message: checked };
        // Every assertion is accepted once, whoever started the login and whichever instance sees it.
        const fresh = await services.replay.claim(`saml-assertion:${target.organisation.id}:${checked.assertionId}`, "consumed", checked.validUntil);
        if (!fresh) return { ok: false, reason: "replayed", message: `assertion ${checked.assertionId} was already used` };
        return identityFromSaml(settings, { nameID: profile.nameID, attributes: (profile.attributes as Record<string, unknown> | undefined) ?? {} });
      })().then(
        (result) => done(null, { result } as Record<string, unknown>),
        (err) => done(err as Error),
      );
    },
    (_req: Request, _profile: Profile | null, done: VerifiedCallback) => done(new Error("SAML single logout is not supported")),
  );

  const router = Router();

  const lookup = async (req: Request, res: Response, next: NextFunction) => {
    const found = await services.identityProviders.forSignIn(String(req.params.org), "saml");
    if (!found) return sendRefusal(res, "not_configured", String(req.params.org));
    targets.set(req, found);
    next();
  };

  router.get("/auth/saml/:org/login", sessions.requireSecureTransport, lookup, (req, res, next) => {
    // `?returnTo=` as the OIDC login reads it (a local path only), sent to the IdP as the RelayState
    // the ACS returns to; a `?RelayState=` given too is kept (node-saml reads it).
    const returnTo = req.query.RelayState === undefined ? safeReturnPath(req.query.returnTo, "") : "";
    sessions.authenticator.authenticate(strategy, { session: false, ...(returnTo ? { additionalParams: { RelayState: returnTo } } : {}) })(req, res, next);
  });

  // The form is read once the organisation is known, so that a form that is not UTF-8 is refused as
  // any SAML response Roster cannot accept is: the sign-in error page, and the refusal in the audit trail.
  const acsForm = express.urlencoded({ extended: false, limit: ACS_FORM_LIMIT, verify: (_req, _res, buf, charset) => assertUtf8Form(buf, charset) });
  // Any form the parser cannot read (body-parser's errors carry a 4xx status) is a response Roster
  // cannot accept: the person sees the sign-in page, not the JSON the app's fallback answers.
  const unreadableForm: ErrorRequestHandler = (err: unknown, req, res, next) => {
    const { type, status } = (err ?? {}) as { type?: unknown; status?: unknown };
    if (typeof status !== "number" || status < 400 || status >= 500) return next(err);
    const target = targets.get(req)!;
    const message =
      type === NOT_UTF8
        ? "the form the identity provider posted is not valid UTF-8"
        : type === "entity.too.large"
          ? `the form the identity provider posted is larger than ${ACS_FORM_LIMIT}`
          : "the form the identity provider posted could not be read (its encoding or character set)";
    req.log.warn({ organisation: target.organisation.slug, err: message }, "SAML response refused");
    sessions.complete(req, res, next, target, { ok: false, reason: "invalid_response", message }).catch(next);
  };

  router.post("/auth/saml/:org/acs", sessions.requireSecureTransport, lookup, acsForm, unreadableForm, (req: Request, res: Response, next: NextFunction) => {
    const target = targets.get(req)!;
    const body = req.body as Record<string, unknown> | undefined;
    if (typeof body?.SAMLResponse !== "string") return sendRefusal(res, "invalid_response", target.organisation.slug);
    const xml = Buffer.from(body.SAMLResponse, "base64");
    const envelope = checkEncoding(xml) ?? checkResponse(xml.toString("utf8"), target.idp.settings as SamlSettings, serviceProviderInfo(publicUrl, target.slug).acsUrl);
    if (typeof envelope === "string") {
      req.log.warn({ organisation: target.organisation.slug, err: envelope }, "SAML response refused");
      return sessions.complete(req, res, next, target, { ok: false, reason: "invalid_response", message: envelope }, body.RelayState).catch(next);
    }
    answering.set(req, envelope.inResponseTo);
    sessions.authenticator.authenticate(strategy, { session: false }, (err: unknown, user: { result?: IdentityResult } | false) => {
      const result: IdentityResult =
        !err && user && user.result ? user.result : { ok: false, reason: "invalid_response", message: err instanceof Error ? withSigningHint(err.message, target.idp.settings as SamlSettings) : "the response was not accepted" };
      if (!result.ok && result.reason === "invalid_response") req.log.warn({ organisation: target.organisation.slug, err: result.message }, "SAML response refused");
      sessions.complete(req, res, next, target, result, body.RelayState).catch(next);
    })(req, res, next);
  });

  // Available before the IdP is configured: the Okta admin needs these values to create the app.
  // A slug the organisation gave up still describes the entity its IdP was set up with (entity id and
  // ACS of that slug): the entity id is this URL, so an IdP that reads it again (metadata refresh)
  // must find the same entity, not be redirected to another one.
  router.get("/auth/saml/:org/metadata", async (req, res) => {
    const holder = await services.organisations.holdingSlug(String(req.params.org));
    if (!holder) return sendRefusal(res, "not_configured", String(req.params.org));
    const sp = serviceProviderInfo(publicUrl, holder.slug);
    const xml = generateServiceProviderMetadata({ issuer: sp.spEntityId, callbackUrl: sp.acsUrl, identifierFormat: NAMEID_UNSPECIFIED, wantAssertionsSigned: true });
    res.type("application/samlmetadata+xml").send(xml);
  });

  return router;
}
