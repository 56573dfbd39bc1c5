export interface Continuation {
  /** The sort key of the last row of a remembered page, at or before the page's start. */
  key: string;
  /** Rows between that page's end and the asked offset (0 when it ended exactly there). */
  skip: number;
}

/**
 * Remembers where offset pages end, so that a client paging through a list with startIndex (Okta's
 * import, a SCIM reconciliation) is served by a keyset seek instead of an OFFSET that reads every
 * skipped row: page N costs what page 1 costs. (A list's total is kept by RecentTotals.)
 *
 * A page whose own start was not remembered (clients paging with several requests at once, or
 * instances behind a load balancer each seeing every Nth page) seeks from the nearest remembered end
 * before it and skips only the rows between: OFFSET 200 from there instead of OFFSET 500,000 from
 * the start. Per process and best effort: with nothing remembered before it, a page uses OFFSET.
 *
 * A page end holds only while the rows before it stay as they were: a change to the organisation
 * through this process forgets its lists (`forget`), and an end older than `maxAgeMs` is not used
 * (a change through another instance holds for that long at most). Kept for ever, an end remembered
 * by an earlier walk put a later page after rows added or removed since: a reconciliation skipped
 * or repeated users.
 */
export class PageContinuations {
  /** In least-recently-touched order (a touch moves the entry to the end): eviction takes the first. */
  private readonly lists = new Map<string, { ends: Map<number, { key: string; at: number }> }>();

  constructor(
    private readonly maxLists = 500,
    private readonly maxAgeMs = 60_000,
  ) {}

  /** Where to continue a page starting at `offset`: the nearest remembered page end at or before it. */
  seek(list: string, offset: number): Continuation | undefined {
    const ends = this.lists.get(list)?.ends;
    if (!ends) return undefined;
    const fresh = Date.now() - this.maxAgeMs;
    const exact = ends.get(offset);
    if (exact !== undefined && exact.at >= fresh) return { key: exact.key, skip: 0 };
    let nearest = 0;
    for (const [end, { at }] of ends) if (end < offset && end > nearest && at >= fresh) nearest = end;
    return nearest > 0 ? { key: ends.get(nearest)!.key, skip: offset - nearest } : undefined;
  }

  remember(list: string, endOffset: number, lastKey: string): void {
    const entry = this.entry(list);
    entry.ends.delete(endOffset);
    entry.ends.set(endOffset, { key: lastKey, at: Date.now() });
    // A long import remembers every page end; bound it.
    if (entry.ends.size > 10_000) entry.ends.delete(entry.ends.keys().next().value!);
  }

  /** Forgets the organisation's lists (keys start with its id and a colon), after a change to it. */
  forget(organisationId: string): void {
    const prefix = `${organisationId}:`;
    for (const list of this.lists.keys()) if (list.startsWith(prefix)) this.lists.delete(list);
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
