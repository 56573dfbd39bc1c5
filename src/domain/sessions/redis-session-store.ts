import type { RedisConnection } from "../../platform/redis";
import type { SessionOwner, SessionStore, StoredSession } from "./session.service";

/**
 * SET the session (KEYS[1]) with its TTL; add its id to its owners' sets (KEYS[2..]: its user's, its
 * identity provider's), whose TTL never falls below the session's.
 */
const SAVE = `redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
for i = 2, #KEYS do
  redis.call('SADD', KEYS[i], ARGV[3])
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
end
return 1`;

/** Extends a session that still exists (a deleted one stays deleted), and its owners' sets with it. */
const TOUCH = `if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return 0 end
for i = 2, #KEYS do
  if redis.call('PTTL', KEYS[i]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[i], ARGV[1]) end
end
return 1`;

interface RedisSession extends SessionOwner {
  data: string;
}

/**
 * Sessions in Redis (REDIS_URL): `<prefix>session:<sid>` holds the session with its TTL,
 * `<prefix>user-sessions:<userId>` the ids of a user's sessions and `<prefix>idp-sessions:<id>` those
 * signed in through an identity provider configuration, so that ending them all is one SMEMBERS and
 * one DEL. Redis expires them all itself (nothing to purge).
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

  private identityProviderKey(identityProviderId: string): string {
    return this.redis.key("idp-sessions", identityProviderId);
  }

  /** The session's key, then the sets it is a member of. */
  private keysOf(id: string, owner: SessionOwner | undefined): string[] {
    const keys = [this.sessionKey(id)];
    if (owner?.userId) keys.push(this.userKey(owner.userId));
    if (owner?.identityProviderId) keys.push(this.identityProviderKey(owner.identityProviderId));
    return keys;
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
    const value: RedisSession = { data, userId: owner.userId, organisationId: owner.organisationId, identityProviderId: owner.identityProviderId ?? null };
    await this.redis.run((c) => c.eval(SAVE, { keys: this.keysOf(id, owner), arguments: [JSON.stringify(value), String(ttlMs), id] }));
  }

  async touch(id: string, expiresAt: Date, owner?: SessionOwner): Promise<void> {
    const ttlMs = Math.ceil(expiresAt.getTime() - Date.now());
    if (ttlMs <= 0) return this.destroy(id);
    await this.redis.run((c) => c.eval(TOUCH, { keys: this.keysOf(id, owner), arguments: [String(ttlMs)] }));
  }

  async destroy(id: string): Promise<void> {
    const key = this.sessionKey(id);
    const value = await this.redis.run((c) => c.getDel(key));
    if (typeof value !== "string") return;
    const sets = this.keysOf(id, JSON.parse(value) as RedisSession).slice(1);
    if (sets.length)
      await this.redis.run((c) => {
        const m = c.multi();
        for (const set of sets) m.sRem(set, id);
        return m.exec();
      });
  }

  deleteSessionsOfUser(_tx: unknown, userId: string): Promise<number> {
    return this.deleteMembers(this.userKey(userId));
  }

  deleteSessionsOfIdentityProvider(_tx: unknown, identityProviderId: string): Promise<number> {
    return this.deleteMembers(this.identityProviderKey(identityProviderId));
  }

  /** Deletes the sessions whose ids the set holds (a user's, an IdP's), and those ids from the set. */
  private async deleteMembers(setKey: string): Promise<number> {
    const ids = await this.redis.run((c) => c.sMembers(setKey));
    if (ids.length === 0) return 0;
    const [deleted] = await this.redis.run((c) =>
      c
        .multi()
        .del(ids.map((id) => this.sessionKey(id)))
        .sRem(setKey, ids)
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
