import { createHash } from "node:crypto";
import type { EntityManager } from "typeorm";
import type { Database } from "../../platform/database";
import { RateLimitCounter } from "./rate-limit-counter.entity";

export interface RateLimit {
  /** Requests allowed per window. */
  limit: number;
  windowSeconds: number;
}

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  /** Requests left in this window after this one (0 once refused). */
  remaining: number;
  /** Seconds until the window resets (for Retry-After). */
  retryAfterSeconds: number;
  resetAt: Date;
}

/** Expired counters are deleted at most this often, by whichever instance notices first. */
const PURGE_INTERVAL_MS = 10 * 60_000;

/** Where the window counters live: the database (default) or Redis (REDIS_URL). */
export interface CounterStore {
  /** Adds `by` to the counter `key` (created at `by`, gone after `expiresAt`) and returns the new count. */
  increment(key: string, by: number, expiresAt: Date): Promise<number>;
  /** The counter's value, 0 when there is none. */
  get(key: string): Promise<number>;
  purgeExpired(now?: Date): Promise<number>;
}

/**
 * Counters in the database: each increment is one atomic upsert (`INSERT … ON CONFLICT/ON DUPLICATE
 * KEY … count + n`) of the window's row.
 */
export class DatabaseCounterStore implements CounterStore {
  private lastPurge = 0;

  constructor(private readonly db: Database) {}

  async increment(rowKey: string, by: number, resetAt: Date): Promise<number> {
    // One statement: the upsert also returns the new count, through RETURNING on SQLite and
    // LAST_INSERT_ID(expr) on MySQL/MariaDB (0 = the row was new).
    const upsert = async (manager: EntityManager): Promise<number> => {
      const driver = manager.connection.driver;
      const metadata = manager.connection.getMetadata(RateLimitCounter);
      const table = driver.escape(metadata.tableName);
      const [k, c, e] = ["key", "count", "expiresAt"].map((n) => driver.escape(n));
      const [sql, params] = driver.escapeQueryWithParameters(
        this.db.dialect === "mysql"
          ? `INSERT INTO ${table} (${k}, ${c}, ${e}) VALUES (:key, :by, :expiresAt) ON DUPLICATE KEY UPDATE ${c} = LAST_INSERT_ID(${c} + :by)`
          : `INSERT INTO ${table} (${k}, ${c}, ${e}) VALUES (:key, :by, :expiresAt) ON CONFLICT (${k}) DO UPDATE SET ${c} = ${c} + :by RETURNING ${c}`,
        { key: rowKey, by, expiresAt: driver.preparePersistentValue(resetAt, metadata.findColumnWithPropertyName("expiresAt")!) },
      );
      const result = (await manager.query(sql, params)) as { insertId?: number } | { count: number }[];
      if (Array.isArray(result)) return Number(result[0].count);
      return Number(result.insertId) || by;
    };
    // SQLite: through the write queue (one shared connection); MySQL: a single autocommit statement.
    const count = this.db.dialect === "sqlite" ? await this.db.transaction({}, (tx) => upsert(tx.manager)) : await upsert(this.db.manager());
    const now = Date.now();
    if (now - this.lastPurge > PURGE_INTERVAL_MS) {
      this.lastPurge = now;
      // Beside the request, not in front of it: the request that notices answers at once.
      void this.purgeExpired(new Date(now)).catch(() => undefined);
    }
    return count;
  }

  async get(rowKey: string): Promise<number> {
    const row = await this.db.manager().getRepository(RateLimitCounter).findOneBy({ key: rowKey });
    return row?.count ?? 0;
  }

  /** A thousand at a time (`Database.deleteExpired`): a backlog holds no request's increment behind it. */
  purgeExpired(now = new Date()): Promise<number> {
    return this.db.deleteExpired("rate_limit_counters", "key", "IDX_rate_limit_counters_expiresAt", now);
  }
}

/**
 * What one instance reserved of a window's counter: the shared count right after its last
 * reservation, and how many of the hits it reserved are not used yet.
 */
interface Lease {
  shared: number;
  /** When `shared` was read (ms); 0: never. */
  sharedAt: number;
  left: number;
  resetAt: number;
  /** The shared count had reached the limit: nothing more can be reserved in this window. */
  spent: boolean;
  reserving?: Promise<void>;
}

/** A lease is at most this share of what is left below the limit (so 1 within 40 hits of it). */
const LEASE_SHARE = 20;
/**
 * A lease is sized from the shared count read at most this long ago; otherwise it is one hit, which
 * reads the count (an instance that was idle, or new, must not take a twentieth of the whole limit
 * from a window that others have nearly used up).
 */
const FRESH_MS = 1_000;
/** Keys longer than this are counted under their SHA-256 (the row key holds 255 characters). */
const MAX_PLAIN_KEY = 200;
/** Windows remembered per instance; past that, a new key is counted without a lease. */
const MAX_LEASES = 10_000;

/**
 * Fixed-window counters shared by every instance, over a `CounterStore` (the database, or Redis when
 * REDIS_URL is set), so every instance counts against one limit. Keys name what is limited, e.g.
 * `oauth-token:ip:203.0.113.9` or `scim:token:<id>`.
 *
 * Hits are taken from leases, not counted one write at a time: an instance adds a lease of hits to
 * the shared counter in one increment and uses them locally. A lease is at most a twentieth of what
 * was left below the limit (so one at a time near it), as the instance read the counter within
 * FRESH_MS. A write per hit, two per SCIM request (per IP and per token), had held lookups to 0.56×
 * the rate (`npm run bench -- --compare`, limits on).
 * - The counter never admits more than the limit, on any number of instances; one instance admits
 *   exactly the limit.
 * - With several, a client can be refused while other instances still hold unused hits: at most a
 *   twentieth of what was left (FRESH_MS before) when each reserved them.
 * - Once the shared count has reached the limit, the rest of the window is refused without a write.
 */
export class RateLimiter {
  private readonly leases = new Map<string, Lease>();
  private nextSweep = 0;

  constructor(private readonly store: CounterStore) {}

  private window(key: string, limit: RateLimit, now: Date) {
    const windowMs = limit.windowSeconds * 1000;
    const start = Math.floor(now.getTime() / windowMs) * windowMs;
    // Cutting a long key (an address from X-Forwarded-For) would cut off the window: one counter for ever.
    const name = key.length > MAX_PLAIN_KEY ? `sha256:${createHash("sha256").update(key).digest("hex")}` : key;
    return { counterKey: `${name}:${start}`, resetAt: new Date(start + windowMs) };
  }

  private result(count: number, allowed: boolean, limit: RateLimit, resetAt: Date, now: Date): RateLimitResult {
    return {
      allowed,
      limit: limit.limit,
      remaining: Math.max(0, limit.limit - count),
      retryAfterSeconds: Math.max(1, Math.ceil((resetAt.getTime() - now.getTime()) / 1000)),
      resetAt,
    };
  }

  async hit(key: string, limit: RateLimit, now = new Date()): Promise<RateLimitResult> {
    const { counterKey, resetAt } = this.window(key, limit, now);
    const lease = this.leaseFor(counterKey, resetAt, now);
    if (!lease) {
      const count = await this.store.increment(counterKey, 1, resetAt);
      return this.result(count, count <= limit.limit, limit, resetAt, now);
    }
    for (;;) {
      if (lease.left > 0) {
        lease.left--;
        return this.result(lease.shared - lease.left, true, limit, resetAt, now);
      }
      if (lease.spent) return this.result(limit.limit, false, limit, resetAt, now);
      // One reservation at a time per window: the others wait for it, then take from it.
      if (lease.reserving) await lease.reserving.catch(() => undefined);
      else await (lease.reserving = this.reserve(lease, counterKey, limit.limit, resetAt).finally(() => (lease.reserving = undefined)));
    }
  }

  private async reserve(lease: Lease, counterKey: string, limit: number, resetAt: Date): Promise<void> {
    const fresh = Date.now() - lease.sharedAt < FRESH_MS;
    const size = fresh ? Math.max(1, Math.floor((limit - lease.shared) / LEASE_SHARE)) : 1;
    const shared = await this.store.increment(counterKey, size, resetAt);
    lease.shared = Math.max(lease.shared, shared);
    lease.sharedAt = Date.now();
    lease.left += Math.min(size, Math.max(0, limit - (shared - size)));
    if (shared >= limit) lease.spent = true;
  }

  /** This instance's lease on `counterKey`, forgetting ended windows; null when too many are kept. */
  private leaseFor(counterKey: string, resetAt: Date, now: Date): Lease | null {
    const kept = this.leases.get(counterKey);
    if (kept) return kept;
    if (now.getTime() >= this.nextSweep) {
      this.nextSweep = now.getTime() + 10_000;
      for (const [k, l] of this.leases) if (l.resetAt <= now.getTime() && !l.reserving) this.leases.delete(k);
    }
    if (this.leases.size >= MAX_LEASES) return null;
    const lease: Lease = { shared: 0, sharedAt: 0, left: 0, resetAt: resetAt.getTime(), spent: false };
    this.leases.set(counterKey, lease);
    return lease;
  }

  /**
   * Where `key` stands in the current window, without counting a request (e.g. "is this IP locked
   * out?"): the shared count, less what this instance reserved and has not used.
   */
  async peek(key: string, limit: RateLimit, now = new Date()): Promise<RateLimitResult> {
    const { counterKey, resetAt } = this.window(key, limit, now);
    const count = (await this.store.get(counterKey)) - (this.leases.get(counterKey)?.left ?? 0);
    return this.result(count, count < limit.limit, limit, resetAt, now);
  }

  /**
   * Gives back the hits this instance reserved and did not use, in windows that have not ended (at
   * shutdown: a restarted instance would otherwise leave them counted, and every instance would refuse
   * that many early until the window ends). Best effort: a counter that cannot be written keeps them.
   */
  async release(now = new Date()): Promise<void> {
    const unused = [...this.leases].filter(([, l]) => l.left > 0 && l.resetAt > now.getTime());
    this.leases.clear();
    await Promise.allSettled(unused.map(([counterKey, l]) => this.store.increment(counterKey, -l.left, new Date(l.resetAt))));
  }

  purgeExpired(now = new Date()): Promise<number> {
    return this.store.purgeExpired(now);
  }
}
