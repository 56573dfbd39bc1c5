import type { RedisConnection } from "../../platform/redis";
import type { CounterStore } from "./rate-limiter";

/** INCR, and on the first hit of a window PEXPIREAT its end: one atomic script, one round trip. */
const INCREMENT = `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
return n`;

/** Window counters in Redis (REDIS_URL): Redis expires each window's key itself (nothing to purge). */
export class RedisCounterStore implements CounterStore {
  constructor(private readonly redis: RedisConnection) {}

  async increment(key: string, expiresAt: Date): Promise<number> {
    const n = await this.redis.run((c) => c.eval(INCREMENT, { keys: [this.redis.key("rate", key)], arguments: [String(expiresAt.getTime())] }));
    return Number(n);
  }

  async get(key: string): Promise<number> {
    const v = await this.redis.run((c) => c.get(this.redis.key("rate", key)));
    return v === null ? 0 : Number(v);
  }

  async purgeExpired(): Promise<number> {
    return 0;
  }
}
