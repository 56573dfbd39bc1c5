/**
 * Something every request of an organisation reads and that rarely changes (custom field
 * definitions, roles), kept for a few seconds per organisation. A change made through this process
 * forgets the entry at once; other instances see it within `ttlMs`. A read inside a transaction may
 * see uncommitted rows: it is returned, never kept.
 */
export class OrganisationCache<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();

  constructor(private readonly ttlMs: number) {}

  /** The cached value, or `load`'s; `fresh` skips the cache (the caller knows it is behind). */
  async get(ctx: { organisationId: string; manager?: unknown }, load: () => Promise<T>, fresh = false): Promise<T> {
    const hit = this.entries.get(ctx.organisationId);
    if (!fresh && hit && hit.until > Date.now()) return hit.value;
    const value = await load();
    if (!ctx.manager) this.entries.set(ctx.organisationId, { value, until: Date.now() + this.ttlMs });
    return value;
  }

  forget(organisationId: string): void {
    this.entries.delete(organisationId);
  }
}
