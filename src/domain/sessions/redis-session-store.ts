import type { RedisConnection } from "../../platform/redis";
import type { SessionOwner, SessionStore, StoredSession } from "./session.service";

/** SET the session with its TTL; add its id to the owner's set, whose TTL never falls below the session's. */
const SAVE = `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if KEYS[2] then
  redis.call('SADD', KEYS[2], ARGV[3])
  if redis.call('PTTL', KEYS[2]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) end
end
return 1`;

/** Extends a session that still exists (a deleted one stays deleted), and its owner's set with it. */
const TOUCH = `if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return 0 end
if KEYS[2] and redis.call('PTTL', KEYS[2]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[2], ARGV[1]) end
return 1`;

interface RedisSession extends SessionOwner {
  data: string;
}

/**
 * Sessions in Redis (REDIS_URL): `<prefix>session:<sid>` holds the session with its TTL, and
 * `<prefix>user-sessions:<userId>` the ids of a user's sessions, so that ending them all is one
 * SMEMBERS and one DEL. Redis expires both itself (nothing to purge).
 */
export class RedisSessionStore implements SessionStore {
  readonly transactional = false;

  constructor(private readonly redis: RedisConnection) {}

  private sessionKey(id: string): string {
    return this.redis.key("session", id);
  }

  private userKey(userId: string): string {
    return this.redis.key("user-sessions", userId);
  }

  async get(id: string): Promise<StoredSession | null> {
    const key = this.sessionKey(id);
    const [value, ttl] = await this.redis.run((c) => c.multi().get(key).pTTL(key).exec());
    if (typeof value !== "string") return null;
    const stored = JSON.parse(value) as RedisSession;
    return { data: stored.data, expiresAt: new Date(Date.now() + Math.max(0, Number(ttl))) };
  }

  async save(id: string, data: string, expiresAt: Date, owner: SessionOwner): Promise<void> {
    const ttlMs = Math.ceil(expiresAt.getTime() - Date.now());
    if (ttlMs <= 0) return this.destroy(id);
    const value: RedisSession = { data, userId: owner.userId, organisationId: owner.organisationId };
    const keys = owner.userId ? [this.sessionKey(id), this.userKey(owner.userId)] : [this.sessionKey(id)];
    await this.redis.run((c) => c.eval(SAVE, { keys, arguments: [JSON.stringify(value), String(ttlMs), id] }));
  }

  async touch(id: string, expiresAt: Date, owner?: SessionOwner): Promise<void> {
    const ttlMs = Math.ceil(expiresAt.getTime() - Date.now());
    if (ttlMs <= 0) return this.destroy(id);
    const keys = owner?.userId ? [this.sessionKey(id), this.userKey(owner.userId)] : [this.sessionKey(id)];
    await this.redis.run((c) => c.eval(TOUCH, { keys, arguments: [String(ttlMs)] }));
  }

  async destroy(id: string): Promise<void> {
    const key = this.sessionKey(id);
    const value = await this.redis.run((c) => c.getDel(key));
    const userId = typeof value === "string" ? (JSON.parse(value) as RedisSession).userId : null;
    if (userId) await this.redis.run((c) => c.sRem(this.userKey(userId), id));
  }

  async deleteSessionsOfUser(_tx: unknown, userId: string): Promise<number> {
    const userKey = this.userKey(userId);
    const ids = await this.redis.run((c) => c.sMembers(userKey));
    if (ids.length === 0) return 0;
    const [deleted] = await this.redis.run((c) =>
      c
        .multi()
        .del(ids.map((id) => this.sessionKey(id)))
        .sRem(userKey, ids)
        .exec(),
    );
    return Number(deleted);
  }

  async countSessionsOfUsers(userIds: string[]): Promise<number> {
    let n = 0;
    for (const userId of userIds) {
      const ids = await this.redis.run((c) => c.sMembers(this.userKey(userId)));
      if (ids.length) n += await this.redis.run((c) => c.exists(ids.map((id) => this.sessionKey(id))));
    }
    return n;
  }

  async purgeExpired(): Promise<number> {
    return 0;
  }
}
