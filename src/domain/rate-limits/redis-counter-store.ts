import type { RedisConnection } from "../../platform/redis";
import type { CounterStore } from "./rate-limiter";

/** INCRBY, and on a window's first increment PEXPIREAT its end: one atomic script, one round trip. */
const INCREMENT = `local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('PEXPIREAT', KEYS[1], ARGV[1]) end
return n`;

/** Window counters in Redis (REDIS_URL): Redis expires each window's key itself (nothing to purge). */
export class RedisCounterStore implements CounterStore {
  constructor(private readonly redis: RedisConnection) {}

  async increment(key: string, by: number, expiresAt: Date): Promise<number> {
    const n = await this.redis.run((c) => c.eval(INCREMENT, { keys: [this.redis.key("rate", key)], arguments: [String(expiresAt.getTime()), String(by)] }));
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
