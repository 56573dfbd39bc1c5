import type { RedisConnection } from "../../platform/redis";
import { NEVER_EXPIRES, type ReplayStore } from "./replay-cache";

/**
 * Single-use values in Redis (REDIS_URL): a claim is `SET key value NX PX ttl`, so the second claim
 * fails whichever instance makes it, and Redis expires the key itself (nothing to purge).
 */
export class RedisReplayStore implements ReplayStore {
  constructor(private readonly redis: RedisConnection) {}

  private key(key: string): string {
    return this.redis.key("replay", key);
  }

  async claim(key: string, value: string, expiresAt: Date): Promise<boolean> {
    const ttlMs = expiresAt.getTime() - Date.now();
    // Already expired: as in the database, such a claim succeeds and holds nothing.
    if (ttlMs <= 0) return true;
    const options = expiresAt.getTime() >= NEVER_EXPIRES.getTime() ? { NX: true as const } : { NX: true as const, PX: Math.ceil(ttlMs) };
    const reply = await this.redis.run((c) => c.set(this.key(key), value.slice(0, 1024), options));
    return reply === "OK";
  }

  async get(key: string): Promise<string | null> {
    return this.redis.run((c) => c.get(this.key(key)));
  }

  async take(key: string): Promise<string | null> {
    return this.redis.run((c) => c.getDel(this.key(key)));
  }

  async purgeExpired(): Promise<number> {
    return 0;
  }
}
