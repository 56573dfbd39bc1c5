import { In, MoreThan } from "typeorm";
import type { EntityManager } from "typeorm";
import type { Database } from "../../platform/database";
import { Session } from "./session.entity";

export interface StoredSession {
  data: string;
  expiresAt: Date;
}

export interface SessionOwner {
  userId: string | null;
  organisationId: string | null;
  /** The identity provider configuration the user signed in through (absent: not signed in, or signed in before it was recorded). */
  identityProviderId?: string | null;
}

/** Where browser sessions live: the database (default) or Redis (REDIS_URL). */
export interface SessionStore {
  /**
   * True when the sessions are rows of the database: a user's sessions then end inside the
   * transaction that deactivates the user. Otherwise they end right after it commits.
   */
  readonly transactional: boolean;
  get(id: string): Promise<StoredSession | null>;
  save(id: string, data: string, expiresAt: Date, owner: SessionOwner): Promise<void>;
  touch(id: string, expiresAt: Date, owner?: SessionOwner): Promise<void>;
  destroy(id: string): Promise<void>;
  /** `tx`: the deactivating transaction (database store; the count is then unknown: 0); the Redis store is not transactional and ignores it. */
  deleteSessionsOfUser(tx: { manager: EntityManager } | null, userId: string): Promise<number>;
  /** The same for the sessions signed in through an identity provider configuration (deleted, or replaced with another IdP). */
  deleteSessionsOfIdentityProvider(tx: { manager: EntityManager } | null, identityProviderId: string): Promise<number>;
  countSessionsOfUsers(userIds: string[]): Promise<number>;
  purgeExpired(now?: Date): Promise<number>;
}

/** Sessions as rows of the `sessions` table. Expired rows are never returned. */
export class DatabaseSessionStore implements SessionStore {
  readonly transactional = true;

  constructor(private readonly db: Database) {}

  async get(id: string): Promise<StoredSession | null> {
    const row = await this.db.manager().getRepository(Session).findOneBy({ id, expiresAt: MoreThan(new Date()) });
    return row ? { data: row.data, expiresAt: row.expiresAt } : null;
  }

  async save(id: string, data: string, expiresAt: Date, owner: SessionOwner): Promise<void> {
    await this.db.transaction({}, async (tx) => {
      const repo = tx.manager.getRepository(Session);
      const identityProviderId = owner.identityProviderId ?? null;
      const row: Session = { id, data, expiresAt, updatedAt: new Date(), userId: owner.userId, organisationId: owner.organisationId, identityProviderId };
      const updated = await repo.update({ id }, { data, expiresAt, updatedAt: row.updatedAt, userId: owner.userId, organisationId: owner.organisationId, identityProviderId });
      if (!updated.affected) await repo.insert(row);
    });
  }

  async touch(id: string, expiresAt: Date): Promise<void> {
    await this.db.transaction({}, (tx) => tx.manager.getRepository(Session).update({ id, expiresAt: MoreThan(new Date()) }, { expiresAt, updatedAt: new Date() }));
  }

  async destroy(id: string): Promise<void> {
    await this.db.transaction({}, (tx) => tx.manager.getRepository(Session).delete({ id }));
  }

  async deleteSessionsOfUser(tx: { manager: EntityManager } | null, userId: string): Promise<number> {
    if (tx) {
      // Part of the deactivating transaction: sent with its other writes (the count is not known then).
      await this.db.write(tx, "DELETE FROM sessions WHERE userId = ?", [userId]);
      return 0;
    }
    const r = await this.db.manager().getRepository(Session).delete({ userId });
    return r.affected ?? 0;
  }

  async deleteSessionsOfIdentityProvider(tx: { manager: EntityManager } | null, identityProviderId: string): Promise<number> {
    if (tx) {
      // Part of the transaction that deletes or replaces the IdP configuration, sent with its other writes.
      await this.db.write(tx, "DELETE FROM sessions WHERE identityProviderId = ?", [identityProviderId]);
      return 0;
    }
    const r = await this.db.manager().getRepository(Session).delete({ identityProviderId });
    return r.affected ?? 0;
  }

  async countSessionsOfUsers(userIds: string[]): Promise<number> {
    if (userIds.length === 0) return 0;
    return this.db.manager().getRepository(Session).countBy({ userId: In(userIds), expiresAt: MoreThan(new Date()) });
  }

  /** A thousand at a time (`Database.deleteExpired`): a backlog holds no sign-in behind it. */
  purgeExpired(now = new Date()): Promise<number> {
    return this.db.deleteExpired("sessions", "id", "IDX_sessions_expiresAt", now);
  }
}

/**
 * Browser sessions shared by every instance (in the database, or in Redis when REDIS_URL is set), so
 * that any instance serves any request and ending a user's sessions (deactivation), or those signed
 * in through an IdP (its configuration deleted or replaced), takes effect everywhere at once.
 * Expired sessions are never returned.
 */
export class SessionService {
  constructor(private readonly store: SessionStore) {}

  /** See `SessionStore.transactional`. */
  get transactional(): boolean {
    return this.store.transactional;
  }

  get(id: string): Promise<StoredSession | null> {
    return this.store.get(id);
  }

  /** Insert or replace. The owner (`userId`/`organisationId`) is kept so that a user's sessions can be found. */
  save(id: string, data: string, expiresAt: Date, owner: SessionOwner): Promise<void> {
    return this.store.save(id, data, expiresAt, owner);
  }

  /** Extends a live session; a session deleted meanwhile (sign-out elsewhere, deactivation) stays deleted. */
  touch(id: string, expiresAt: Date, owner?: SessionOwner): Promise<void> {
    return this.store.touch(id, expiresAt, owner);
  }

  destroy(id: string): Promise<void> {
    return this.store.destroy(id);
  }

  /**
   * Ends every session of a user. Database store: called inside the transaction that deactivates or
   * deletes the user. Redis store: called once that transaction has committed (`tx` is ignored).
   */
  deleteSessionsOfUser(tx: { manager: EntityManager } | null, userId: string): Promise<number> {
    return this.store.deleteSessionsOfUser(tx, userId);
  }

  /**
   * Ends every session signed in through an identity provider configuration, the same way: inside
   * the transaction that deletes it or replaces it with another IdP (database store), or once that
   * transaction has committed (Redis store).
   */
  deleteSessionsOfIdentityProvider(tx: { manager: EntityManager } | null, identityProviderId: string): Promise<number> {
    return this.store.deleteSessionsOfIdentityProvider(tx, identityProviderId);
  }

  countSessionsOfUsers(userIds: string[]): Promise<number> {
    return this.store.countSessionsOfUsers(userIds);
  }

  purgeExpired(now = new Date()): Promise<number> {
    return this.store.purgeExpired(now);
  }
}
