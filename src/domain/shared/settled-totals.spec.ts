import { SettledTotals } from "./settled-totals";

describe("SettledTotals", () => {
  /** A log whose entries are times (ms); counts what falls in [from, before). */
  const logOf = (times: number[]) => {
    const calls: [number | null, number | null][] = [];
    const count = async (from: Date | null, before: Date | null) => {
      calls.push([from?.getTime() ?? null, before?.getTime() ?? null]);
      return times.filter((t) => (from === null || t >= from.getTime()) && (before === null || t < before.getTime())).length;
    };
    return { times, calls, count };
  };

  test("counts the settled part once and the part since each time; recounts it after keepMs or forget", async () => {
    const totals = new SettledTotals(60_000, 600_000);
    const log = logOf([1_000, 50_000, 100_000]);
    expect(await totals.total("o:a", log.count, 100_000)).toBe(3);
    expect(log.calls).toEqual([[null, 40_000], [40_000, null]]);
    log.times.push(150_000);
    expect(await totals.total("o:a", log.count, 160_000)).toBe(4);
    expect(log.calls.slice(2)).toEqual([[40_000, null]]);
    // keepMs later: the settled part again, from a later point.
    expect(await totals.total("o:a", log.count, 700_000)).toBe(4);
    expect(log.calls.slice(3)).toEqual([[null, 640_000], [640_000, null]]);
    log.times.shift();
    totals.forget();
    expect(await totals.total("o:a", log.count, 710_000)).toBe(3);
    expect(log.calls.slice(5)).toEqual([[null, 650_000], [650_000, null]]);
  });

  test("keeps at most maxEntries lists", async () => {
    const totals = new SettledTotals(60_000, 600_000, 2);
    const log = logOf([1]);
    for (const list of ["o:a", "o:b", "o:c", "o:a"]) await totals.total(list, log.count, 100_000);
    // a was dropped for c, so it is counted whole again.
    expect(log.calls.filter(([from]) => from === null)).toHaveLength(4);
  });
});
