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

/**
 * Fixed-window counters in the database, so every instance counts against one limit: each hit is
 * one atomic upsert (`INSERT … ON CONFLICT/ON DUPLICATE KEY … count + 1`) of the window's row.
 * Keys name what is limited, e.g. `oauth-token:ip:203.0.113.9` or `scim:token:<id>`.
 */
export class RateLimiter {
  private lastPurge = 0;

  constructor(private readonly db: Database) {}

  async hit(key: string, limit: RateLimit, now = new Date()): Promise<RateLimitResult> {
    const windowMs = limit.windowSeconds * 1000;
    const start = Math.floor(now.getTime() / windowMs) * windowMs;
    const resetAt = new Date(start + windowMs);
    const rowKey = `${key}:${start}`.slice(0, 255);
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
    if (now.getTime() - this.lastPurge > PURGE_INTERVAL_MS) {
      this.lastPurge = now.getTime();
      await this.purgeExpired(now).catch(() => undefined);
    }
    const allowed = count <= limit.limit;
    return {
      allowed,
      limit: limit.limit,
      remaining: Math.max(0, limit.limit - count),
      retryAfterSeconds: Math.max(1, Math.ceil((resetAt.getTime() - now.getTime()) / 1000)),
      resetAt,
    };
  }

  /** Where `key` stands in the current window, without counting a request (e.g. "is this IP locked out?"). */
  async peek(key: string, limit: RateLimit, now = new Date()): Promise<RateLimitResult> {
    const windowMs = limit.windowSeconds * 1000;
    const start = Math.floor(now.getTime() / windowMs) * windowMs;
    const resetAt = new Date(start + windowMs);
    const row = await this.db.manager().getRepository(RateLimitCounter).findOneBy({ key: `${key}:${start}`.slice(0, 255) });
    const count = row?.count ?? 0;
    return {
      allowed: count < limit.limit,
      limit: limit.limit,
      remaining: Math.max(0, limit.limit - count),
      retryAfterSeconds: Math.max(1, Math.ceil((resetAt.getTime() - now.getTime()) / 1000)),
      resetAt,
    };
  }

  async purgeExpired(now = new Date()): Promise<number> {
    const r = await this.db.transaction({}, (tx) => tx.manager.getRepository(RateLimitCounter).delete({ expiresAt: LessThan(now) }));
    return r.affected ?? 0;
  }
}
