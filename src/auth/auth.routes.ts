import type { Express, Request } from "express";
import { Router } from "express";
import type { AppConfig } from "../config/config";
import type { Services } from "../domain/services";
import type { Principal } from "../domain/sessions/principal";
import { oidcRoutes } from "./oidc.routes";
import { BACK_TO_CONSOLE, sendPage } from "./pages";
import { samlRoutes } from "./saml.routes";
import { SESSION_COOKIE, mountSessions, sessionUser } from "./sessions";

/**
 * Whether a state-changing request comes from Roster's own pages: the browser says so (Sec-Fetch-Site),
 * or its Origin is PUBLIC_URL's. A request with neither header is not a browser's (curl, a script).
 */
export function fromOwnPage(req: Request, publicOrigin: string): boolean {
  const site = req.get("sec-fetch-site");
  if (site) return site === "same-origin" || site === "none";
  const origin = req.get("origin");
  return origin === undefined || origin === publicOrigin;
}

export interface Auth {
  /** For APIs that accept the session (GraphQL): the signed-in user with their current roles, or null. */
  principal(req: Request): Promise<Principal | null>;
  stop(): void;
}

/** Sessions, SAML and OIDC sign-in, sign-out and `/auth/me`. Mount before the APIs that read the session. */
export async function mountAuth(app: Express, services: Services, config: AppConfig): Promise<Auth> {
  const sessions = await mountSessions(app, services, config);
  app.use(samlRoutes(services, config.publicUrl, sessions));
  app.use(oidcRoutes(services, config.publicUrl, sessions, { allowInsecureRequests: config.sso.allowInsecureOidcRequests, allowPrivateHosts: config.allowPrivateOutboundHosts }));

  const router = Router();
  router.get("/auth/me", async (req, res) => {
    const u = sessionUser(req);
    if (!u) {
      res.status(401).json({ error: "not signed in" });
      return;
    }
    const ctx = { organisationId: u.organisationId, actor: { type: "user" as const, id: u.userId, label: u.userName }, source: "sso" as const, requestId: req.requestId };
    // The organisation as it is now: its slug may have changed since this session began.
    const [user, organisation] = await Promise.all([services.users.find(ctx, u.userId), services.organisations.findById(u.organisationId)]);
    if (!user) {
      res.status(401).json({ error: "not signed in" });
      return;
    }
    const roles = ((await services.roles.rolesOfUsers(ctx, [u.userId])).get(u.userId) ?? []).map((r) => r.name);
    res.set("Cache-Control", "no-store").json({
      id: user.id,
      userName: user.userName,
      displayName: user.displayName,
      organisation: { id: u.organisationId, slug: organisation?.slug ?? u.organisationSlug },
      roles,
      protocol: u.protocol,
      signedInAt: u.signedInAt,
    });
  });

  const logout = async (req: Request, res: import("express").Response) => {
    const u = sessionUser(req);
    if (u) {
      await services.signIn.signedOut(
        { organisationId: u.organisationId, actor: { type: "user", id: u.userId, label: u.userName }, source: "sso", requestId: req.requestId },
        { id: u.userId, userName: u.userName },
      );
    }
    await new Promise<void>((resolve, reject) => (req.session ? req.session.destroy((err) => (err ? reject(err) : resolve())) : resolve()));
    res.clearCookie(SESSION_COOKIE, { path: "/", httpOnly: true, sameSite: "lax", secure: config.publicUrl.startsWith("https://") });
    sendPage(res, 200, "Signed out", [u ? "You are signed out of Roster." : "You were not signed in."], undefined, BACK_TO_CONSOLE);
  };
  // POST only, from Roster's own pages: a GET (any site's <img>) or another site's form must not sign
  // anyone out. SameSite=Lax keeps the cookie off cross-site POSTs, but not off a sibling subdomain's.
  const publicOrigin = new URL(config.publicUrl).origin;
  router.post("/auth/logout", (req, res, next) => {
    if (!fromOwnPage(req, publicOrigin)) {
      req.log.warn({ origin: req.get("origin"), site: req.get("sec-fetch-site") }, "sign-out refused: the request came from another site");
      return sendPage(res, 403, "Sign-out refused", ["This sign-out request came from another site, so it was ignored. Use the Sign out button in Roster."], { action: "/auth/logout", label: "Sign out" });
    }
    logout(req, res).catch(next);
  });
  // An old link or bookmark: a page with the button, signing nobody out by itself.
  router.get("/auth/logout", (_req, res) => sendPage(res, 200, "Sign out", ["Sign out of Roster?"], { action: "/auth/logout", label: "Sign out" }));
  app.use(router);

  return {
    async principal(req) {
      const u = sessionUser(req);
      if (!u) return null;
      const context = { organisationId: u.organisationId, actor: { type: "user" as const, id: u.userId, label: u.userName }, source: "graphql" as const, requestId: req.requestId };
      const roles = (await services.roles.rolesOfUsers(context, [u.userId])).get(u.userId) ?? [];
      return { context, admin: roles.some((r) => r.nameKey === "admin"), userId: u.userId };
    },
    stop: () => sessions.stop(),
  };
}
