import session from "express-session";
import type { SessionService } from "../domain/sessions/session.service";
import type { SessionUser } from "./session-user";

type Callback = (err?: unknown) => void;

/**
 * express-session's store over the domain's shared sessions (the `sessions` table, or Redis when
 * REDIS_URL is set): any instance can serve any request, and deleting a user's sessions
 * (deactivation, in the domain) or an IdP's (its configuration deleted or replaced) signs them out
 * everywhere at once. Expired sessions are never read.
 */
export class SharedSessionStore extends session.Store {
  constructor(
    private readonly sessions: SessionService,
    private readonly ttlMs: number,
  ) {
    super();
  }

  /**
   * SESSION_TTL_HOURS after sign-in, however often the session is used. express-session moves the
   * cookie's expiry forward on every request (and touches the store with it), so a stolen cookie
   * used once per TTL would otherwise never expire.
   */
  private signedInUntil(sess: session.SessionData): number | null {
    const signedInAt = Date.parse((sess as { passport?: { user?: SessionUser } }).passport?.user?.signedInAt ?? "");
    return Number.isNaN(signedInAt) ? null : signedInAt + this.ttlMs;
  }

  private expiry(sess: session.SessionData): Date {
    const cookieExpiry = sess.cookie?.expires ? new Date(sess.cookie.expires).getTime() : NaN;
    const until = Number.isNaN(cookieExpiry) ? Date.now() + this.ttlMs : cookieExpiry;
    return new Date(Math.min(until, this.signedInUntil(sess) ?? until));
  }

  get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): void {
    this.sessions.get(sid).then(
      (row) => {
        const sess = row ? (JSON.parse(row.data) as session.SessionData) : null;
        const until = sess ? this.signedInUntil(sess) : null;
        callback(null, until !== null && until <= Date.now() ? null : sess);
      },
      (err) => callback(err),
    );
  }

  private owner(sess: session.SessionData) {
    const user = (sess as { passport?: { user?: SessionUser } }).passport?.user;
    return { userId: user?.userId ?? null, organisationId: user?.organisationId ?? null, identityProviderId: user?.identityProviderId ?? null };
  }

  set(sid: string, sess: session.SessionData, callback?: Callback): void {
    this.sessions.save(sid, JSON.stringify(sess), this.expiry(sess), this.owner(sess)).then(() => callback?.(), (err) => callback?.(err));
  }

  touch(sid: string, sess: session.SessionData, callback?: Callback): void {
    this.sessions.touch(sid, this.expiry(sess), this.owner(sess)).then(() => callback?.(), (err) => callback?.(err));
  }

  destroy(sid: string, callback?: Callback): void {
    this.sessions.destroy(sid).then(() => callback?.(), (err) => callback?.(err));
  }
}
