/**
 * Remembers where offset pages end, so that a client paging through a list with startIndex (Okta's
 * import, a SCIM reconciliation) is served by a keyset seek instead of an OFFSET that reads every
 * skipped row: page N costs what page 1 costs. (A list's total is kept by RecentTotals.)
 *
 * Per process and best effort: a miss (another instance, an evicted entry) falls back to OFFSET.
 */
export class PageContinuations {
  /** In least-recently-touched order (a touch moves the entry to the end): eviction takes the first. */
  private readonly lists = new Map<string, { ends: Map<number, string> }>();

  constructor(private readonly maxLists = 500) {}

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
