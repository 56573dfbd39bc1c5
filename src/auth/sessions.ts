import crypto from "node:crypto";
import { type Express, type NextFunction, type Request, type RequestHandler, type Response, Router } from "express";
import session from "express-session";
import { Passport } from "passport";
import type { AppConfig } from "../config/config";
import type { Services } from "../domain/services";
import type { IdentityProvider } from "../domain/sso/identity-provider.entity";
import type { IdentityResult } from "../domain/sso/identity";
import type { Organisation } from "../domain/organisations/organisation.entity";
import type { RequestContext } from "../platform/request-context";
import { safeReturnPath, sendRefusal } from "./pages";
import { SharedSessionStore } from "./session-store";
import type { SessionUser } from "./session-user";

export const SESSION_COOKIE = "roster.sid";

export interface SsoTarget {
  organisation: Organisation;
  idp: IdentityProvider;
  /**
   * The slug the sign-in URL used: the organisation's current one, or one it gave up (`former`),
   * whose URLs its IdP may still use. Roster's SP values for the sign-in (ACS URL, audience,
   * redirect URI) are this slug's, never another one's.
   */
  slug: string;
  former: boolean;
}

/** The context of a sign-in attempt: the organisation whose IdP answered, source `sso`. */
export function signInContext(req: Request, target: { organisation: Organisation; idp: { kind: string } }): RequestContext {
  return { organisationId: target.organisation.id, actor: { type: "system", id: null, label: `sso:${target.idp.kind}` }, source: "sso", requestId: req.requestId };
}

export interface Sessions {
  authenticator: InstanceType<typeof Passport>;
  /** Matches a verified identity to a user, then signs the browser in (or shows the refusal page). */
  complete(req: Request, res: Response, next: NextFunction, target: SsoTarget, result: IdentityResult, returnTo?: unknown): Promise<void>;
  /** First on every sign-in route: refuses a sign-in whose session cookie the browser would never get. */
  requireSecureTransport: RequestHandler;
  stop(): void;
}

/**
 * Server-side sessions in the database (or Redis, REDIS_URL), an HTTP-only SameSite=Lax cookie (Secure when PUBLIC_URL is
 * https), Passport on top. On every request with a signed-in session the user is looked up again,
 * with the IdP configuration it signed in through (one statement, primary keys): a user deactivated,
 * or an IdP deleted or replaced, on another instance signs the session out at once.
 */
export async function mountSessions(app: Express, services: Services, config: AppConfig): Promise<Sessions> {
  // SESSION_SECRET, or one generated on first start and kept in replay_entries (`secret:session`,
  // expiring 9999-12-31) so that every instance signs and checks cookies with the same secret.
  const secret = config.sso.sessionSecret ?? (await services.replay.sharedSecret("session", () => crypto.randomBytes(48).toString("base64url")));
  const secure = config.publicUrl.startsWith("https://");
  const sessionMiddleware = session({
    name: SESSION_COOKIE,
    secret,
    store: new SharedSessionStore(services.sessions, config.sso.sessionTtlMs),
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: "lax", secure, maxAge: config.sso.sessionTtlMs, path: "/" },
  });

  const authenticator = new Passport();
  authenticator.serializeUser((user, done) => done(null, user));
  authenticator.deserializeUser((stored: SessionUser, done) => {
    services.signIn.stillSignedIn(stored).then(
      (user) => done(null, user ? ({ ...stored, userName: user.userName } as Express.User) : false),
      (err) => done(err),
    );
  });
  const withSession = Router();
  withSession.use(sessionMiddleware, authenticator.initialize(), authenticator.session());
  // An API call that carries no session cookie (a product's backend with a bearer token) has no
  // session to load: measured at 1.2 ms of CPU per GraphQL request for an empty session it never saves.
  // A request target that is not a path (`OPTIONS * HTTP/1.1`, RFC 9112 §3.2.4) has no session either:
  // express-session skips a path outside its cookie's "/", and Passport then threw a 500.
  app.use((req: Request, res: Response, next: NextFunction) =>
    (req.path === "/graphql" && !hasCookie(req, SESSION_COOKIE)) || !req.path.startsWith("/") ? next() : withSession(req, res, next),
  );

  const purge = setInterval(() => {
    void services.sessions.purgeExpired().catch(() => undefined);
    void services.replay.purgeExpired().catch(() => undefined);
  }, 10 * 60_000);
  purge.unref();

  // express-session silently drops a Secure cookie on a request it sees as http: behind a TLS proxy
  // whose X-Forwarded-Proto it does not trust (TRUST_PROXY), a sign-in was audited as signed_in and
  // signed nobody in. Refused before anything is verified or recorded, with a page and a log that say why.
  const requireSecureTransport: RequestHandler = (req, res, next) => {
    if (!secure || req.secure) return next();
    req.log.error(
      { publicUrl: config.publicUrl, forwardedProto: req.get("x-forwarded-proto") ?? null, peer: req.socket.remoteAddress, trustProxy: config.trustProxy },
      "sign-in refused: PUBLIC_URL is https but this request arrived as http, so the Secure session cookie cannot be set; " +
        "the TLS proxy must send X-Forwarded-Proto: https and TRUST_PROXY must include its address (or hop count)",
    );
    sendRefusal(res, "insecure_transport", "");
  };

  const complete: Sessions["complete"] = async (req, res, next, target, result, returnTo) => {
    const ctx = signInContext(req, target);
    const org = target.organisation.slug;
    const via = target.former ? { formerSlug: target.slug } : {};
    if (!result.ok) {
      await services.signIn.refuse(ctx, target.idp, result.reason, result.message, via);
      req.log.info({ organisation: org, ...via, reason: result.reason }, "sso sign-in refused");
      return sendRefusal(res, result.reason, org);
    }
    const outcome = await services.signIn.signIn(ctx, target.idp, result.identity, via);
    if (!outcome.ok) {
      req.log.info({ organisation: org, ...via, reason: outcome.reason }, "sso sign-in refused");
      return sendRefusal(res, outcome.reason, org);
    }
    const user: SessionUser = {
      userId: outcome.user.id,
      organisationId: target.organisation.id,
      organisationSlug: org,
      userName: outcome.user.userName,
      protocol: target.idp.kind,
      identityProviderId: target.idp.id,
      // As read when this sign-in began: a replacement meanwhile leaves this session refused.
      identityVersion: target.idp.identityVersion,
      roles: outcome.roles,
      signedInAt: new Date().toISOString(),
    };
    // passport 0.7 regenerates the session on logIn (no session fixation).
    req.logIn(user as Express.User, (err) => {
      if (err) return next(err);
      req.log.info({ organisation: org, ...via, userId: user.userId }, "sso sign-in");
      res.redirect(303, safeReturnPath(returnTo, undefined, config.publicUrl));
    });
  };

  return { authenticator, complete, requireSecureTransport, stop: () => clearInterval(purge) };
}

export function sessionUser(req: Request): SessionUser | null {
  return (req.user as SessionUser | undefined) ?? null;
}

/** Whether the request carries the cookie `name` (its value is the session middleware's to check). */
export function hasCookie(req: Request, name: string): boolean {
  return (req.headers.cookie ?? "").split(";").some((c) => c.trimStart().startsWith(`${name}=`));
}
