import type { EntityManager } from "typeorm";
import type { Database } from "../../platform/database";

/**
 * Something every request of an organisation reads and that rarely changes (custom field
 * definitions, roles), kept for a few seconds per organisation. A change made through this process
 * forgets the entry at once; other instances see it within `ttlMs`. A read inside a transaction may
 * see that transaction's uncommitted rows: it is kept once the transaction commits (a rolled-back
 * one keeps nothing), so that a stream of writes (an IdP deactivating people) reads it once, not on
 * every request. At most `maxOrganisations` are kept, the least recently loaded going first: a process
 * serving many tenants does not keep one value for every tenant it has ever served.
 */
export class OrganisationCache<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();
  /** Counts `forget`s per organisation: a value read before one is not kept after it. */
  private readonly generations = new Map<string, number>();

  constructor(
    private readonly db: Pick<Database, "afterCommit">,
    private readonly ttlMs: number,
    private readonly maxOrganisations = 10_000,
  ) {}

  /** The cached value, or `load`'s; `fresh` skips the cache (the caller knows it is behind). */
  async get(ctx: { organisationId: string; manager?: EntityManager }, load: () => Promise<T>, fresh = false): Promise<T> {
    const organisationId = ctx.organisationId;
    const hit = this.entries.get(organisationId);
    if (!fresh && hit && hit.until > Date.now()) return hit.value;
    const generation = this.generations.get(organisationId) ?? 0;
    const value = await load();
    const keep = async () => {
      if ((this.generations.get(organisationId) ?? 0) !== generation) return;
      this.entries.delete(organisationId);
      if (this.entries.size >= this.maxOrganisations) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(organisationId, { value, until: Date.now() + this.ttlMs });
    };
    await this.db.afterCommit(ctx, keep);
    return value;
  }

  forget(organisationId: string): void {
    this.entries.delete(organisationId);
    this.generations.set(organisationId, (this.generations.get(organisationId) ?? 0) + 1);
  }
}
