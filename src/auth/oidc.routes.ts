import { type NextFunction, type Request, type Response, Router } from "express";
import * as client from "openid-client";
import { Strategy, type AuthenticateOptions, type VerifyFunction } from "openid-client/passport";
import type { Services } from "../domain/services";
import { NonPublicAddressError, publicFetch } from "../platform/public-network";
import type { OidcSettings } from "../domain/sso/identity-provider.entity";
import { serviceProviderInfo, settingsVersion } from "../domain/sso/identity-provider.service";
import { type IdentityResult, identityFromOidc } from "../domain/sso/identity";
import { safeReturnPath, sendRefusal } from "./pages";
import type { Sessions, SsoTarget } from "./sessions";

/**
 * openid-client's strategy sends `state` only when the server does not advertise PKCE and `nonce`
 * only for implicit/hybrid flows; Roster always sends both (with PKCE S256). They are kept in the
 * session and checked by openid-client on the callback.
 */
class RosterOidcStrategy extends Strategy {
  override authorizationRequestParams<T extends AuthenticateOptions>(req: Request, options: T): URLSearchParams {
    const params = new URLSearchParams(super.authorizationRequestParams(req, options) ?? undefined);
    params.set("state", client.randomState());
    params.set("nonce", client.randomNonce());
    return params;
  }
}

/** openid-client wraps the precise reason (e.g. a state mismatch) in `cause`. */
function describeError(err: Error): string {
  const cause = (err as { cause?: unknown }).cause;
  return cause instanceof Error && cause.message !== err.message ? `${err.message}: ${cause.message}` : err.message;
}

/** Entra's answer names the problem in error_description (e.g. AADSTS50105: the user is not assigned the application). */
interface IdpAnswer {
  error?: unknown;
  error_description?: unknown;
}
function idpErrorMessage(answer: IdpAnswer): string {
  return `the identity provider answered ${String(answer.error)}${typeof answer.error_description === "string" && answer.error_description ? `: ${answer.error_description}` : ""}`;
}

/** The NonPublicAddressError behind an openid-client failure (it wraps what the fetch threw), if that was it. */
function hostRefusal(err: unknown): NonPublicAddressError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) if (e instanceof NonPublicAddressError) return e;
  return undefined;
}

/** Discovery documents, key sets and token answers are a few kilobytes. */
const IDP_MAX_BYTES = 512 * 1024;

interface CachedStrategy {
  version: string;
  strategy: Promise<RosterOidcStrategy>;
}

/**
 * OpenID Connect (Entra ID and other certified providers) per organisation: discovery once per
 * organisation and settings version, authorization code flow with PKCE + state + nonce; issuer,
 * audience, signature and expiry of the id_token are verified by openid-client. Entra specifics
 * (tenant `tid`, `oid`) are checked by the domain when matching the identity.
 */
export function oidcRoutes(services: Services, publicUrl: string, sessions: Sessions, options: { allowInsecureRequests: boolean; allowPrivateHosts: boolean }): Router {
  /**
   * By organisation and the slug its URLs used: the redirect URI is that slug's (after a rename, the
   * IdP still has the old one registered, and the code is redeemed with the URI it was sent to). A
   * rename changes no IdP setting, so the slug is part of the key, not of the version.
   */
  const cache = new Map<string, CachedStrategy>();
  // Every request openid-client makes (discovery, the JWKS, the token endpoint, userinfo) goes through
  // it: the issuer is the admin's to choose and its discovery document names the other hosts, so each
  // is checked on the address connected to (loopback, metadata and private ones refused: SSRF).
  const idpFetch = publicFetch({ allowPrivate: options.allowPrivateHosts, maxBytes: IDP_MAX_BYTES });

  const strategyFor = (target: SsoTarget): Promise<RosterOidcStrategy> => {
    const version = settingsVersion(target.idp);
    const key = `${target.organisation.id}:${target.slug}`;
    const hit = cache.get(key);
    if (hit?.version === version) return hit.strategy;
    const settings = target.idp.settings as OidcSettings;
    const secret = target.idp.clientSecret ?? "";
    const sp = serviceProviderInfo(publicUrl, target.slug);
    const strategy = client
      .discovery(
        new URL(settings.issuer),
        settings.clientId,
        { client_secret: secret },
        client.ClientSecretPost(secret),
        // The id_token's signature is checked against the IdP's JWKS (openid-client otherwise trusts
        // the TLS channel of the token endpoint alone). allowInsecureRequests only when
        // OIDC_ALLOW_INSECURE_REQUESTS=true (tests and local development against http://).
        { execute: [client.enableNonRepudiationChecks, ...(options.allowInsecureRequests ? [client.allowInsecureRequests] : [])], [client.customFetch]: idpFetch },
      )
      .then((config) => {
        const verify: VerifyFunction = (tokens, done) => {
          const claims = tokens.claims();
          const result: IdentityResult = claims
            ? identityFromOidc(settings, claims as Record<string, unknown>)
            : { ok: false, reason: "invalid_response", message: "the token response has no id_token" };
          done(null, { result });
        };
        return new RosterOidcStrategy(
          // One flow per organisation and browser at a time, whichever of its slugs started it: the
          // callback is redeemed with this strategy's redirect URI, so a flow sent to one slug's
          // redirect URI and brought to another's fails at the IdP's token endpoint.
          { name: `oidc:${target.organisation.id}:${target.slug}`, sessionKey: `oidc:${target.organisation.id}`, config, scope: "openid profile email", callbackURL: sp.oidcRedirectUri },
          verify,
        );
      });
    strategy.catch(() => {
      if (cache.get(key)?.strategy === strategy) cache.delete(key);
    });
    // An entry of an older version of the same key is replaced here; entries are kept per slug an
    // organisation signs in through, a handful at most (its current slug and the ones it gave up).
    cache.set(key, { version, strategy });
    return strategy;
  };

  const router = Router();
  const lookup = async (req: Request, res: Response, next: NextFunction) => {
    const found = await services.identityProviders.forSignIn(String(req.params.org), "oidc");
    if (!found) return sendRefusal(res, "not_configured", String(req.params.org));
    res.locals.sso = found;
    next();
  };

  /** A request to a host that is not public, refused: audited and logged with the host, the refusal page shown. */
  const refuseHost = (req: Request, res: Response, next: NextFunction, target: SsoTarget, refused: NonPublicAddressError) => {
    const message = `Roster does not fetch from the identity provider's address: ${refused.message}`;
    req.log.warn({ organisation: target.organisation.slug, err: message }, "OIDC sign-in refused: the identity provider's host is not public");
    sessions.complete(req, res, next, target, { ok: false, reason: "idp_host_not_public", message }).catch(next);
  };

  /** The organisation's OIDC strategy; when discovery fails the refusal page is sent and undefined returned. */
  async function strategyOrRefusal(req: Request, res: Response, next: NextFunction, target: SsoTarget): Promise<RosterOidcStrategy | undefined> {
    try {
      return await strategyFor(target);
    } catch (err) {
      const refused = hostRefusal(err);
      if (refused) refuseHost(req, res, next, target, refused);
      else {
        req.log.error({ err, organisation: target.organisation.slug }, "OIDC discovery failed");
        sendRefusal(res, "invalid_response", target.organisation.slug);
      }
      return undefined;
    }
  }

  router.get("/auth/oidc/:org/login", sessions.requireSecureTransport, lookup, async (req: Request, res: Response, next: NextFunction) => {
    const target = res.locals.sso as SsoTarget;
    const strategy = await strategyOrRefusal(req, res, next, target);
    if (!strategy) return;
    const returnTo = safeReturnPath(req.query.returnTo, "");
    if (returnTo) (req.session as unknown as Record<string, unknown>).returnTo = returnTo;
    sessions.authenticator.authenticate(strategy, { session: false })(req, res, next);
  });

  router.get("/auth/oidc/:org/callback", sessions.requireSecureTransport, lookup, async (req: Request, res: Response, next: NextFunction) => {
    const target = res.locals.sso as SsoTarget;
    const strategy = await strategyOrRefusal(req, res, next, target);
    if (!strategy) return;
    const returnTo = (req.session as unknown as Record<string, unknown>).returnTo;
    sessions.authenticator.authenticate(strategy, { session: false }, (err: unknown, user: { result?: IdentityResult } | false, info: unknown) => {
      const refused = hostRefusal(err);
      if (refused) return refuseHost(req, res, next, target, refused);
      const message = err instanceof Error ? describeError(err) : ((info as { message?: string } | undefined)?.message ?? "the authorization response was not accepted");
      // An error the IdP sent back to this browser's own flow (its state is checked first): what it said is the reason.
      // openid-client's strategy turns access_denied into a failure whose info carries the answer; other errors it throws.
      const idpError = err instanceof client.AuthorizationResponseError ? err : !err && !user ? (info as IdpAnswer | undefined) : undefined;
      const result: IdentityResult =
        typeof idpError?.error === "string"
          ? { ok: false, reason: "idp_error", message: idpErrorMessage(idpError) }
          : err || !user || !user.result
            ? { ok: false, reason: "invalid_response", message }
            : user.result;
      if (!result.ok && (result.reason === "invalid_response" || result.reason === "idp_error")) req.log.warn({ organisation: target.organisation.slug, err: result.message }, "OIDC callback refused");
      sessions.complete(req, res, next, target, result, returnTo).catch(next);
    })(req, res, next);
  });

  return router;
}
