import { type EntityManager, LessThan } from "typeorm";
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
  /** Adds one to the counter `key` (created at 1, gone after `expiresAt`) and returns the new count. */
  increment(key: string, expiresAt: Date): Promise<number>;
  /** The counter's value, 0 when there is none. */
  get(key: string): Promise<number>;
  purgeExpired(now?: Date): Promise<number>;
}

/**
 * Counters in the database: each hit is one atomic upsert (`INSERT … ON CONFLICT/ON DUPLICATE KEY …
 * count + 1`) of the window's row.
 */
export class DatabaseCounterStore implements CounterStore {
  private lastPurge = 0;

  constructor(private readonly db: Database) {}

  async increment(rowKey: string, resetAt: Date): Promise<number> {
    // One statement per hit (it runs on every API request): the upsert also returns the new count,
    // through RETURNING on SQLite and LAST_INSERT_ID(expr) on MySQL/MariaDB (0 = the row was new).
    const upsert = async (manager: EntityManager): Promise<number> => {
      const driver = manager.connection.driver;
      const metadata = manager.connection.getMetadata(RateLimitCounter);
      const table = driver.escape(metadata.tableName);
      const [k, c, e] = ["key", "count", "expiresAt"].map((n) => driver.escape(n));
      const [sql, params] = driver.escapeQueryWithParameters(
        this.db.dialect === "mysql"
          ? `INSERT INTO ${table} (${k}, ${c}, ${e}) VALUES (:key, 1, :expiresAt) ON DUPLICATE KEY UPDATE ${c} = LAST_INSERT_ID(${c} + 1)`
          : `INSERT INTO ${table} (${k}, ${c}, ${e}) VALUES (:key, 1, :expiresAt) ON CONFLICT (${k}) DO UPDATE SET ${c} = ${c} + 1 RETURNING ${c}`,
        { key: rowKey, expiresAt: driver.preparePersistentValue(resetAt, metadata.findColumnWithPropertyName("expiresAt")!) },
      );
      const result = (await manager.query(sql, params)) as { insertId?: number } | { count: number }[];
      if (Array.isArray(result)) return Number(result[0].count);
      return Number(result.insertId) || 1;
    };
    // SQLite: through the write queue (one shared connection); MySQL: a single autocommit statement.
    const count = this.db.dialect === "sqlite" ? await this.db.transaction({}, (tx) => upsert(tx.manager)) : await upsert(this.db.manager());
    const now = Date.now();
    if (now - this.lastPurge > PURGE_INTERVAL_MS) {
      this.lastPurge = now;
      await this.purgeExpired(new Date(now)).catch(() => undefined);
    }
    return count;
  }

  async get(rowKey: string): Promise<number> {
    const row = await this.db.manager().getRepository(RateLimitCounter).findOneBy({ key: rowKey });
    return row?.count ?? 0;
  }

  async purgeExpired(now = new Date()): Promise<number> {
    const r = await this.db.transaction({}, (tx) => tx.manager.getRepository(RateLimitCounter).delete({ expiresAt: LessThan(now) }));
    return r.affected ?? 0;
  }
}

/**
 * Fixed-window counters shared by every instance, over a `CounterStore` (the database, or Redis when
 * REDIS_URL is set), so every instance counts against one limit. Keys name what is limited, e.g.
 * `oauth-token:ip:203.0.113.9` or `scim:token:<id>`.
 */
export class RateLimiter {
  constructor(private readonly store: CounterStore) {}

  private window(key: string, limit: RateLimit, now: Date) {
    const windowMs = limit.windowSeconds * 1000;
    const start = Math.floor(now.getTime() / windowMs) * windowMs;
    return { counterKey: `${key}:${start}`.slice(0, 255), resetAt: new Date(start + windowMs) };
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
    const count = await this.store.increment(counterKey, resetAt);
    return this.result(count, count <= limit.limit, limit, resetAt, now);
  }

  /** Where `key` stands in the current window, without counting a request (e.g. "is this IP locked out?"). */
  async peek(key: string, limit: RateLimit, now = new Date()): Promise<RateLimitResult> {
    const { counterKey, resetAt } = this.window(key, limit, now);
    const count = await this.store.get(counterKey);
    return this.result(count, count < limit.limit, limit, resetAt, now);
  }

  purgeExpired(now = new Date()): Promise<number> {
    return this.store.purgeExpired(now);
  }
}
