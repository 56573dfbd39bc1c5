/**
 * Remembers where offset pages end, so that a client paging through a list with startIndex (Okta's
 * import, a SCIM reconciliation) is served by a keyset seek instead of an OFFSET that reads every
 * skipped row: page N costs what page 1 costs. Also keeps a list's total for a few seconds so that
 * every page does not count the whole directory again.
 *
 * Per process and best effort: a miss (another instance, an evicted entry) falls back to OFFSET.
 */
export class PageContinuations {
  /** In least-recently-touched order (a touch moves the entry to the end): eviction takes the first. */
  private readonly lists = new Map<string, { total?: { value: number; until: number }; ends: Map<number, string> }>();

  constructor(
    private readonly maxLists = 500,
    private readonly totalTtlMs = 10_000,
  ) {}

  /** The sort key of the last row before `offset`, when a previous page ended there. */
  seek(list: string, offset: number): string | undefined {
    return this.lists.get(list)?.ends.get(offset);
  }

  remember(list: string, endOffset: number, lastKey: string): void {
    const entry = this.entry(list);
    entry.ends.set(endOffset, lastKey);
    // A long import remembers every page end; bound it.
    if (entry.ends.size > 10_000) entry.ends.delete(entry.ends.keys().next().value!);
  }

  total(list: string): number | undefined {
    const t = this.lists.get(list)?.total;
    return t && t.until > Date.now() ? t.value : undefined;
  }

  rememberTotal(list: string, value: number): void {
    this.entry(list).total = { value, until: Date.now() + this.totalTtlMs };
  }

  /**
   * The total of an offset page: known without counting when a first page came back short,
   * remembered for a few seconds for the pages that follow, counted otherwise.
   */
  async totalFor(list: string | undefined, page: { offset: number; limit: number }, found: number, count: () => Promise<number>): Promise<number> {
    if (page.offset === 0 && found < page.limit) return found;
    const known = list ? this.total(list) : undefined;
    if (known !== undefined) return known;
    const counted = await count();
    if (list) this.rememberTotal(list, counted);
    return counted;
  }

  private entry(list: string) {
    let entry = this.lists.get(list);
    if (entry) this.lists.delete(list);
    else {
      if (this.lists.size >= this.maxLists) this.lists.delete(this.lists.keys().next().value!);
      entry = { ends: new Map() };
    }
    this.lists.set(list, entry);
    return entry;
  }
}
