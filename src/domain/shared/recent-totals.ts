/**
 * Totals (COUNTs) of lists for a few seconds. Counting a large directory costs more than reading a
 * page of it, and a UI (GraphQL totalCount) or an IdP paging with startIndex asks for it every page. Any audited change to an organisation made
 * through this process forgets that organisation's totals once it commits; a change made through
 * another instance shows within `ttlMs`.
 *
 * Requests that miss while a count is on its way wait for that count instead of starting their own:
 * when a total of 100,000 users expired under eight concurrent GraphQL pages, each counted (25 ms of
 * MariaDB each), every 5 s.
 */
export class RecentTotals {
  private readonly entries = new Map<string, { value: number; until: number }>();
  private readonly counting = new Map<string, Promise<number>>();

  constructor(
    private readonly ttlMs = 5_000,
    private readonly maxEntries = 1_000,
  ) {}

  /** The total of `list` (keys start with the organisation id and a colon); counted inside a transaction, never kept from one. */
  async get(list: string, inTransaction: unknown, count: () => Promise<number>): Promise<number> {
    if (inTransaction) return count();
    const hit = this.entries.get(list);
    if (hit && hit.until > Date.now()) return hit.value;
    const pending = this.counting.get(list);
    if (pending) return pending;
    const counted = count();
    this.counting.set(list, counted);
    try {
      const value = await counted;
      // Kept unless forgotten meanwhile: a change that committed during the count may be missing from it.
      if (this.counting.get(list) === counted) {
        if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
        this.entries.set(list, { value, until: Date.now() + this.ttlMs });
      }
      return value;
    } finally {
      if (this.counting.get(list) === counted) this.counting.delete(list);
    }
  }

  /**
   * The totals of several lists: those neither kept nor being counted are counted together, by one
   * call of `countMissing` (one GROUP BY, say), and then kept as `get` keeps a total.
   */
  async getMany(lists: string[], inTransaction: unknown, countMissing: (lists: string[]) => Promise<Map<string, number>>): Promise<Map<string, number>> {
    if (inTransaction) return countMissing(lists);
    const now = Date.now();
    const missing = lists.filter((list) => !((this.entries.get(list)?.until ?? 0) > now) && !this.counting.has(list));
    const together = missing.length ? countMissing(missing) : undefined;
    // `get` keeps each total and shares it with requests asking meanwhile. A total that expired
    // since the filter above (the clock moved) is not in the shared count: it is counted alone.
    const countOf = (list: string) => async () => {
      const counted = missing.includes(list) ? await together! : await countMissing([list]);
      return counted.get(list) ?? 0;
    };
    const values = await Promise.all(lists.map((list) => this.get(list, undefined, countOf(list))));
    return new Map(lists.map((list, i) => [list, values[i]]));
  }

  /**
   * The total of an offset page of `list` (undefined: not keyable, always counted): known without
   * counting when a first page came back short, kept for the pages that follow otherwise.
   */
  async ofPage(list: string | undefined, page: { offset: number; limit: number }, found: number, count: () => Promise<number>): Promise<number> {
    if (page.offset === 0 && found < page.limit) return found;
    return list ? this.get(list, undefined, count) : count();
  }

  forget(organisationId: string): void {
    for (const map of [this.entries, this.counting]) for (const key of map.keys()) if (key.startsWith(`${organisationId}:`)) map.delete(key);
  }
}
