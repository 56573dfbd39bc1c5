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
});
