import { In, LessThan, MoreThan } from "typeorm";
import type { EntityManager } from "typeorm";
import type { Database } from "../../platform/database";
import { Session } from "./session.entity";

export interface StoredSession {
  data: string;
  expiresAt: Date;
}

/**
 * Browser sessions in the database, so that any instance serves any request and ending a user's
 * sessions (deactivation) takes effect everywhere at once. Expired rows are never returned.
 */
export class SessionService {
  constructor(private readonly db: Database) {}

  async get(id: string): Promise<StoredSession | null> {
    const row = await this.db.manager().getRepository(Session).findOneBy({ id, expiresAt: MoreThan(new Date()) });
    return row ? { data: row.data, expiresAt: row.expiresAt } : null;
  }

  /** Insert or replace. `userId`/`organisationId` are kept in columns so that a user's sessions can be found. */
  async save(id: string, data: string, expiresAt: Date, owner: { userId: string | null; organisationId: string | null }): Promise<void> {
    await this.db.transaction({}, async (tx) => {
      const repo = tx.manager.getRepository(Session);
      const row: Session = { id, data, expiresAt, updatedAt: new Date(), userId: owner.userId, organisationId: owner.organisationId };
      const updated = await repo.update({ id }, { data, expiresAt, updatedAt: row.updatedAt, userId: owner.userId, organisationId: owner.organisationId });
      if (!updated.affected) await repo.insert(row);
    });
  }

  /** Extends a live session; a session deleted meanwhile (sign-out elsewhere, deactivation) stays deleted. */
  async touch(id: string, expiresAt: Date): Promise<void> {
    await this.db.transaction({}, (tx) => tx.manager.getRepository(Session).update({ id, expiresAt: MoreThan(new Date()) }, { expiresAt, updatedAt: new Date() }));
  }

  async destroy(id: string): Promise<void> {
    await this.db.transaction({}, (tx) => tx.manager.getRepository(Session).delete({ id }));
  }

  /** Ends every session of a user; called inside the transaction that deactivates or deletes the user. */
  async deleteSessionsOfUser(tx: { manager: EntityManager }, userId: string): Promise<number> {
    const r = await tx.manager.getRepository(Session).delete({ userId });
    return r.affected ?? 0;
  }

  async countSessionsOfUsers(userIds: string[]): Promise<number> {
    if (userIds.length === 0) return 0;
    return this.db.manager().getRepository(Session).countBy({ userId: In(userIds), expiresAt: MoreThan(new Date()) });
  }

  async purgeExpired(now = new Date()): Promise<number> {
    const r = await this.db.transaction({}, (tx) => tx.manager.getRepository(Session).delete({ expiresAt: LessThan(now) }));
    return r.affected ?? 0;
  }
}
