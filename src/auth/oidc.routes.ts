import { type NextFunction, type Request, type Response, Router } from "express";
import * as client from "openid-client";
import { Strategy, type AuthenticateOptions, type VerifyFunction } from "openid-client/passport";
import type { Services } from "../domain/services";
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
export function oidcRoutes(services: Services, publicUrl: string, sessions: Sessions, options: { allowInsecureRequests: boolean }): Router {
  const cache = new Map<string, CachedStrategy>();

  const strategyFor = (target: SsoTarget): Promise<RosterOidcStrategy> => {
    const version = settingsVersion(target.idp);
    const hit = cache.get(target.organisation.id);
    if (hit?.version === version) return hit.strategy;
    const settings = target.idp.settings as OidcSettings;
    const secret = target.idp.clientSecret ?? "";
    const sp = serviceProviderInfo(publicUrl, target.organisation.slug);
    const strategy = client
      .discovery(
        new URL(settings.issuer),
        settings.clientId,
        { client_secret: secret },
        client.ClientSecretPost(secret),
        // The id_token's signature is checked against the IdP's JWKS (openid-client otherwise trusts
        // the TLS channel of the token endpoint alone). allowInsecureRequests only when
        // OIDC_ALLOW_INSECURE_REQUESTS=true (tests and local development against http://).
        { execute: [client.enableNonRepudiationChecks, ...(options.allowInsecureRequests ? [client.allowInsecureRequests] : [])] },
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
          { name: `oidc:${target.organisation.id}`, sessionKey: `oidc:${target.organisation.id}`, config, scope: "openid profile email", callbackURL: sp.oidcRedirectUri },
          verify,
        );
      });
    strategy.catch(() => {
      if (cache.get(target.organisation.id)?.strategy === strategy) cache.delete(target.organisation.id);
    });
    cache.set(target.organisation.id, { version, strategy });
    return strategy;
  };

  const router = Router();
  const lookup = async (req: Request, res: Response, next: NextFunction) => {
    const found = await services.identityProviders.forSignIn(String(req.params.org), "oidc");
    if (!found) return sendRefusal(res, "not_configured", String(req.params.org));
    res.locals.sso = found;
    next();
  };

  /** The organisation's OIDC strategy; when discovery fails the refusal page is sent and undefined returned. */
  async function strategyOrRefusal(req: Request, res: Response, target: SsoTarget): Promise<RosterOidcStrategy | undefined> {
    try {
      return await strategyFor(target);
    } catch (err) {
      req.log.error({ err, organisation: target.organisation.slug }, "OIDC discovery failed");
      sendRefusal(res, "invalid_response", target.organisation.slug);
      return undefined;
    }
  }

  router.get("/auth/oidc/:org/login", sessions.requireSecureTransport, lookup, async (req: Request, res: Response, next: NextFunction) => {
    const target = res.locals.sso as SsoTarget;
    const strategy = await strategyOrRefusal(req, res, target);
    if (!strategy) return;
    const returnTo = safeReturnPath(req.query.returnTo, "");
    if (returnTo) (req.session as unknown as Record<string, unknown>).returnTo = returnTo;
    sessions.authenticator.authenticate(strategy, { session: false })(req, res, next);
  });

  router.get("/auth/oidc/:org/callback", sessions.requireSecureTransport, lookup, async (req: Request, res: Response, next: NextFunction) => {
    const target = res.locals.sso as SsoTarget;
    const strategy = await strategyOrRefusal(req, res, target);
    if (!strategy) return;
    const returnTo = (req.session as unknown as Record<string, unknown>).returnTo;
    sessions.authenticator.authenticate(strategy, { session: false }, (err: unknown, user: { result?: IdentityResult } | false, info: unknown) => {
      const message = err instanceof Error ? describeError(err) : ((info as { message?: string } | undefined)?.message ?? "the authorization response was not accepted");
      const result: IdentityResult = err || !user || !user.result ? { ok: false, reason: "invalid_response", message } : user.result;
      if (!result.ok && result.reason === "invalid_response") req.log.warn({ organisation: target.organisation.slug, err: message }, "OIDC callback refused");
      sessions.complete(req, res, next, target, result, returnTo).catch(next);
    })(req, res, next);
  });

  return router;
}
