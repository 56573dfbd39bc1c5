/**
 * Credential checks kept for a short while (TOKEN_CACHE_SECONDS), so that every request does not pay
 * for one: static tokens (TokenService) and Roster's OAuth access tokens (AccessTokenIssuer).
 * - A value is kept for `ms` at most, and never past the time `keepUntil` gives for it (null: not
 *   kept, e.g. a refusal: guesses must not fill memory).
 * - `forget` drops the values it matches, and a check that was reading meanwhile keeps nothing: it
 *   may have read the row as it was before the revocation that called `forget`.
 * - At most `max` values; past that, all are dropped.
 */
export class TrustedChecks<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();
  /** Moves at every `forget`. */
  private generation = 0;

  constructor(
    private readonly ms: number,
    private readonly max = 10_000,
  ) {}

  /** The value kept for `key` if still trusted, else `read()`'s, kept as `keepUntil` allows. */
  async remember(key: string, read: () => Promise<V>, keepUntil: (value: V) => number | null): Promise<V> {
    const now = Date.now();
    const kept = this.entries.get(key);
    if (kept && kept.until > now) return kept.value;
    const generation = this.generation;
    const value = await read();
    const limit = this.ms > 0 && generation === this.generation ? keepUntil(value) : null;
    if (limit === null) this.entries.delete(key);
    else {
      if (this.entries.size >= this.max) this.entries.clear();
      this.entries.set(key, { value, until: Math.min(now + this.ms, limit) });
    }
    return value;
  }

  forget(match: (value: V) => boolean): void {
    this.generation++;
    for (const [key, entry] of this.entries) if (match(entry.value)) this.entries.delete(key);
  }
}
