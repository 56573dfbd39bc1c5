import session from "express-session";
import type { SessionService } from "../domain/sessions/session.service";
import type { SessionUser } from "./session-user";

type Callback = (err?: unknown) => void;

/**
 * express-session's store over the `sessions` table: any instance can serve any request, and
 * deleting a user's rows (deactivation, in the domain) signs them out everywhere at once.
 * Expired rows are ignored on read and purged from time to time.
 */
export class DatabaseSessionStore extends session.Store {
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

  set(sid: string, sess: session.SessionData, callback?: Callback): void {
    const user = (sess as { passport?: { user?: SessionUser } }).passport?.user;
    this.sessions
      .save(sid, JSON.stringify(sess), this.expiry(sess), { userId: user?.userId ?? null, organisationId: user?.organisationId ?? null })
      .then(() => callback?.(), (err) => callback?.(err));
  }

  touch(sid: string, sess: session.SessionData, callback?: Callback): void {
    this.sessions.touch(sid, this.expiry(sess)).then(() => callback?.(), (err) => callback?.(err));
  }

  destroy(sid: string, callback?: Callback): void {
    this.sessions.destroy(sid).then(() => callback?.(), (err) => callback?.(err));
  }
}
