import crypto from "node:crypto";
import { LessThan, MoreThan } from "typeorm";
import type { Database } from "../../platform/database";
import { isUniqueViolation } from "../../platform/database";
import { ReplayEntry } from "./replay-entry.entity";

/** node-saml's cache interface, restated structurally so that the domain does not depend on node-saml. */
export interface SamlCacheProvider {
  saveAsync(key: string, value: string): Promise<{ value: string; createdAt: number } | null>;
  getAsync(key: string): Promise<string | null>;
  removeAsync(key: string | null): Promise<string | null>;
}

/** `9999-12-31`: for values that never expire (the generated session secret). */
export const NEVER_EXPIRES = new Date(Date.UTC(9999, 11, 31));

/** Where single-use values live: the database (default) or Redis (REDIS_URL). */
export interface ReplayStore {
  /** True for the first claim of a live key; false when it is already claimed and not yet expired. */
  claim(key: string, value: string, expiresAt: Date): Promise<boolean>;
  /** The live value of a key, or null. */
  get(key: string): Promise<string | null>;
  /** Removes a key; returns its value when it was live. */
  take(key: string): Promise<string | null>;
  purgeExpired(now?: Date): Promise<number>;
}

/**
 * Single-use values shared by every instance, in the database: a value is claimed by INSERTing its
 * key, and the primary key makes the second claim fail, whichever instance makes it. Expired rows
 * are ignored by reads, replaced by a new claim and purged.
 */
export class DatabaseReplayStore implements ReplayStore {
  constructor(private readonly db: Database) {}

  async claim(key: string, value: string, expiresAt: Date): Promise<boolean> {
    const row: ReplayEntry = { key, value: value.slice(0, 1024), expiresAt };
    try {
      await this.db.transaction({}, (tx) => tx.manager.getRepository(ReplayEntry).insert(row));
      return true;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    // Taken: only an expired holder may be replaced (deleting it is itself a conditional, atomic write).
    const removed = await this.db.transaction({}, (tx) => tx.manager.getRepository(ReplayEntry).delete({ key, expiresAt: LessThan(new Date()) }));
    if (!removed.affected) return false;
    try {
      await this.db.transaction({}, (tx) => tx.manager.getRepository(ReplayEntry).insert(row));
      return true;
    } catch (err) {
      if (isUniqueViolation(err)) return false;
      throw err;
    }
  }

  async get(key: string): Promise<string | null> {
    const row = await this.db.manager().getRepository(ReplayEntry).findOneBy({ key, expiresAt: MoreThan(new Date()) });
    return row?.value ?? null;
  }

  async take(key: string): Promise<string | null> {
    const value = await this.get(key);
    await this.db.transaction({}, (tx) => tx.manager.getRepository(ReplayEntry).delete({ key }));
    return value;
  }

  /** A thousand at a time (`Database.deleteExpired`): a backlog holds no claim behind it. */
  purgeExpired(now = new Date()): Promise<number> {
    return this.db.deleteExpired("replay_entries", "key", "IDX_replay_entries_expiresAt", now);
  }
}

/** Keys are at most this long as stored (the column holds 255 characters). */
const MAX_STORED_KEY = 200;

/**
 * A key as stored: a longer one (an IdP's assertion ID has no length limit) keeps its start, to stay
 * readable, and ends with its SHA-256, so that two long keys never meet where a cut would make them.
 */
export function storedKey(key: string): string {
  return key.length <= MAX_STORED_KEY ? key : `${key.slice(0, MAX_STORED_KEY - 72)}#sha256:${crypto.createHash("sha256").update(key).digest("hex")}`;
}

/**
 * The replay cache every instance shares (SAML AuthnRequest and assertion ids, OAuth assertion
 * `jti`s) over a `ReplayStore`: the database, or Redis when REDIS_URL is set. Durable secrets (the
 * generated session secret) always stay in the database: Redis may be flushed or restarted empty.
 */
export class ReplayCache {
  constructor(
    private readonly store: ReplayStore,
    private readonly durable: ReplayStore = store,
  ) {}

  /** True for the first claim of a live key; false when it is already claimed and not yet expired. */
  claim(key: string, value: string, expiresAt: Date): Promise<boolean> {
    return this.store.claim(storedKey(key), value, expiresAt);
  }

  /** The live value of a key, or null (expired entries count as absent). */
  get(key: string): Promise<string | null> {
    return this.store.get(storedKey(key));
  }

  /** Removes a key; returns its value when it was live. */
  take(key: string): Promise<string | null> {
    return this.store.take(storedKey(key));
  }

  async purgeExpired(now = new Date()): Promise<number> {
    const purged = await this.store.purgeExpired(now);
    return this.durable === this.store ? purged : purged + (await this.durable.purgeExpired(now));
  }

  /**
   * The shared cache node-saml keeps AuthnRequest ids in (InResponseTo validation): a response
   * handled by another instance than the one that sent the request still finds its id.
   */
  samlRequestCache(namespace: string, ttlMs: number): SamlCacheProvider {
    const k = (key: string) => `saml-request:${namespace}:${key}`;
    return {
      saveAsync: async (key, value) => {
        const createdAt = Date.now();
        return (await this.claim(k(key), value, new Date(createdAt + ttlMs))) ? { value, createdAt } : null;
      },
      getAsync: (key) => this.get(k(key)),
      removeAsync: async (key) => (key ? this.take(k(key)) : null),
    };
  }

  /**
   * A secret every instance shares, generated once and kept here under `secret:<name>` (never
   * expiring), always in the database: the session secret when SESSION_SECRET is not configured
   * (every instance signs and checks cookies alike), the cursors' (`secret:cursors`).
   */
  async sharedSecret(name: string, generate: () => string): Promise<string> {
    const key = `secret:${name}`;
    const existing = await this.durable.get(key);
    if (existing) return existing;
    await this.durable.claim(key, generate(), NEVER_EXPIRES);
    const value = await this.durable.get(key);
    if (!value) throw new Error(`could not read the shared secret ${key}`);
    return value;
  }
}
