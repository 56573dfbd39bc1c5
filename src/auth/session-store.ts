import session from "express-session";
import type { SessionService } from "../domain/sessions/session.service";
import type { SessionUser } from "./session-user";

type Callback = (err?: unknown) => void;

/**
 * express-session's store over the domain's shared sessions (the `sessions` table, or Redis when
 * REDIS_URL is set): any instance can serve any request, and deleting a user's sessions
 * (deactivation, in the domain) signs them out everywhere at once. Expired sessions are never read.
 */
export class SharedSessionStore extends session.Store {
  constructor(
    private readonly sessions: SessionService,
    private readonly ttlMs: number,
  ) {
    super();
  }

  private expiry(sess: session.SessionData): Date {
    const cookieExpiry = sess.cookie?.expires ? new Date(sess.cookie.expires) : null;
    return cookieExpiry && !Number.isNaN(cookieExpiry.getTime()) ? cookieExpiry : new Date(Date.now() + this.ttlMs);
  }

  get(sid: string, callback: (err: unknown, session?: session.SessionData | null) => void): void {
    this.sessions.get(sid).then(
      (row) => callback(null, row ? (JSON.parse(row.data) as session.SessionData) : null),
      (err) => callback(err),
    );
  }

  private owner(sess: session.SessionData) {
    const user = (sess as { passport?: { user?: SessionUser } }).passport?.user;
    return { userId: user?.userId ?? null, organisationId: user?.organisationId ?? null };
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
