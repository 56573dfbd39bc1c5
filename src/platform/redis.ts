import { ErrorReply, createClient } from "redis";

/**
 * Commands that get no answer within this long fail (and the request gets a 503), rather than hang.
 * node-redis's own `timeout` stops counting once a command is written, so a connection that stays
 * open and silent (a partition without a reset, a frozen server) held requests for ever: `run` races
 * every call against this too.
 */
const COMMAND_TIMEOUT_MS = 2_000;
/** At start: this many failed connection attempts and Roster does not start. */
const START_ATTEMPTS = 3;

function newClient(url: string, state: { ready: boolean }) {
  return createClient({
    url,
    // While disconnected, commands fail at once (503) instead of waiting in a queue.
    disableOfflineQueue: true,
    commandOptions: { timeout: COMMAND_TIMEOUT_MS },
    socket: {
      connectTimeout: 5_000,
      // Before the first connection: give up after a few attempts (the start fails). Afterwards: retry for ever.
      // (A new Error, not `cause`: node-redis tests `instanceof Error`, which fails for errors from another realm, as under jest.)
      reconnectStrategy: (retries: number, cause: Error) =>
        !state.ready && retries >= START_ATTEMPTS ? new Error(cause?.message || String(cause), { cause }) : Math.min(100 * 2 ** retries, 2_000),
    },
  });
}

export type RedisClient = ReturnType<typeof newClient>;

/** Redis cannot be reached (as opposed to refusing a command): the request may be retried later. */
export class RedisUnavailableError extends Error {
  readonly code = "REDIS_UNAVAILABLE";
  constructor(cause: unknown) {
    super(`Redis is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = "RedisUnavailableError";
  }
}

/** `redis://user:secret@host:6379/0` → `redis://host:6379/0`: never print a password. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}

/**
 * One Redis connection (REDIS_URL), its key prefix (REDIS_KEY_PREFIX) and error mapping: a command
 * that fails because Redis is away throws `RedisUnavailableError` (503 to the client, like a
 * database outage); commands are not queued while disconnected, they fail at once.
 */
export class RedisConnection {
  private constructor(
    readonly client: RedisClient,
    readonly prefix: string,
  ) {}

  /** Connects or throws an error naming REDIS_URL (a start error). */
  static async connect(url: string, prefix: string, onError: (err: unknown) => void = () => undefined): Promise<RedisConnection> {
    const state = { ready: false };
    const client = newClient(url, state);
    // Without a listener an 'error' event would end the process; the commands themselves report failures.
    client.on("error", (err: unknown) => {
      if (state.ready) onError(err);
    });
    try {
      await client.connect();
      await client.ping();
    } catch (err) {
      if (client.isOpen) client.destroy();
      throw new Error(`could not connect to Redis at REDIS_URL=${redactRedisUrl(url)}: ${err instanceof Error ? err.message || err.name : String(err)}`, { cause: err });
    }
    state.ready = true;
    return new RedisConnection(client, prefix);
  }

  /** The namespaced key. */
  key(...parts: string[]): string {
    return this.prefix + parts.join(":");
  }

  /** Runs commands; a connection failure becomes `RedisUnavailableError`, a command refused by Redis stays as it is. */
  async run<T>(fn: (client: RedisClient) => Promise<T>): Promise<T> {
    if (!this.client.isReady) throw new RedisUnavailableError(new Error("not connected"));
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnavailableError(new Error(`no answer within ${COMMAND_TIMEOUT_MS} ms`))), COMMAND_TIMEOUT_MS);
    });
    const answer = fn(this.client);
    try {
      return await Promise.race([answer, silence]);
    } catch (err) {
      if (err instanceof RedisUnavailableError) {
        // Its answer may still come, or fail, when the connection wakes up: nobody waits for it.
        answer.catch(() => undefined);
        throw err;
      }
      if (err instanceof ErrorReply) throw err;
      throw new RedisUnavailableError(err);
    } finally {
      clearTimeout(timer);
    }
  }

  async ping(): Promise<void> {
    await this.run((c) => c.ping());
  }

  async close(): Promise<void> {
    if (this.client.isOpen) await this.client.close().catch(() => (this.client.isOpen ? this.client.destroy() : undefined));
  }
}
