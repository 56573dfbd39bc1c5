import { RecentTotals } from "./recent-totals";

describe("RecentTotals", () => {
  afterEach(() => jest.useRealTimers());

  test("a total is counted once, kept for the TTL, and forgotten per organisation", async () => {
    jest.useFakeTimers({ now: 0 });
    const totals = new RecentTotals(1000);
    let counted = 0;
    const count = async () => ++counted;
    expect(await totals.get("org1:all", undefined, count)).toBe(1);
    expect(await totals.get("org1:all", undefined, count)).toBe(1);
    jest.setSystemTime(1001);
    expect(await totals.get("org1:all", undefined, count)).toBe(2);
    await totals.get("org2:all", undefined, count);
    totals.forget("org1");
    expect(await totals.get("org1:all", undefined, count)).toBe(4);
    expect(await totals.get("org2:all", undefined, count)).toBe(3);
  });

  test("inside a transaction it counts and keeps nothing; a short first page is its own total", async () => {
    const totals = new RecentTotals();
    let counted = 0;
    const count = async () => ++counted;
    await totals.get("o:x", { manager: true }, count);
    expect(await totals.get("o:x", undefined, count)).toBe(2);
    expect(await totals.ofPage("o:y", { offset: 0, limit: 100 }, 7, count)).toBe(7);
    expect(counted).toBe(2);
    expect(await totals.ofPage("o:y", { offset: 100, limit: 100 }, 100, count)).toBe(3);
  });

  test("requests that miss while a count is on its way share it; a count that a change overtook is not kept", async () => {
    const totals = new RecentTotals();
    let counted = 0;
    const releases: ((n: number) => void)[] = [];
    const count = () => {
      counted++;
      return new Promise<number>((resolve) => releases.push(resolve));
    };
    const waiting = [totals.get("o:all", undefined, count), totals.get("o:all", undefined, count), totals.get("o:all", undefined, count)];
    expect(counted).toBe(1);
    releases[0](10);
    expect(await Promise.all(waiting)).toEqual([10, 10, 10]);
    expect(await totals.get("o:all", undefined, count)).toBe(10);
    expect(counted).toBe(1);

    // A change commits while a count is on its way: the requests after it count again, and the
    // overtaken count answers only those that were already waiting for it, and is not kept.
    totals.forget("o");
    const before = totals.get("o:all", undefined, count);
    totals.forget("o");
    const after = totals.get("o:all", undefined, count);
    expect(counted).toBe(3);
    releases[1](10);
    releases[2](11);
    expect([await before, await after]).toEqual([10, 11]);
    expect(await totals.get("o:all", undefined, count)).toBe(11);
    expect(counted).toBe(3);
  });

  test("a failed count is not kept, and the next request counts again", async () => {
    const totals = new RecentTotals();
    await expect(totals.get("o:all", undefined, () => Promise.reject(new Error("gone")))).rejects.toThrow("gone");
    expect(await totals.get("o:all", undefined, async () => 5)).toBe(5);
  });

  test("several totals at once: the ones not kept and not being counted are counted together, then kept", async () => {
    const totals = new RecentTotals();
    const calls: string[][] = [];
    const countMissing = async (lists: string[]) => {
      calls.push(lists);
      return new Map(lists.map((list) => [list, list.length]));
    };
    await totals.get("o:a", undefined, async () => 100);
    let release!: (n: number) => void;
    const pending = totals.get("o:pending", undefined, () => new Promise<number>((resolve) => (release = resolve)));
    const many = totals.getMany(["o:a", "o:bb", "o:pending", "o:cccc"], undefined, countMissing);
    release(7);
    expect(await many).toEqual(new Map([["o:a", 100], ["o:bb", 4], ["o:pending", 7], ["o:cccc", 6]]));
    expect(await pending).toBe(7);
    expect(calls).toEqual([["o:bb", "o:cccc"]]);
    expect(await totals.getMany(["o:bb", "o:cccc"], undefined, countMissing)).toEqual(new Map([["o:bb", 4], ["o:cccc", 6]]));
    expect(calls).toHaveLength(1);
    // Inside a transaction every total is counted, and nothing is kept from it.
    await totals.getMany(["o:a", "o:z"], { manager: true }, countMissing);
    expect(calls.at(-1)).toEqual(["o:a", "o:z"]);
    await totals.getMany(["o:z"], undefined, countMissing);
    expect(calls.at(-1)).toEqual(["o:z"]);
  });
});
