import { PageContinuations } from "./page-continuations";

describe("PageContinuations", () => {
  test("a page end is remembered per list and offset", () => {
    const p = new PageContinuations();
    p.remember("org:a", 100, "zed");
    expect(p.seek("org:a", 100)).toEqual({ key: "zed", skip: 0 });
    expect(p.seek("org:a", 50)).toBeUndefined();
    expect(p.seek("org:b", 100)).toBeUndefined();
  });

  test("a page with no remembered start continues from the nearest end before it, skipping the rows between", () => {
    const p = new PageContinuations();
    p.remember("org:a", 300, "c");
    p.remember("org:a", 100, "a");
    p.remember("org:a", 700, "e");
    expect(p.seek("org:a", 200)).toEqual({ key: "a", skip: 100 });
    expect(p.seek("org:a", 600)).toEqual({ key: "c", skip: 300 });
    expect(p.seek("org:a", 701)).toEqual({ key: "e", skip: 1 });
    expect(p.seek("org:a", 99)).toBeUndefined();
  });

  test("the least recently used list is evicted beyond the bound", () => {
    jest.useFakeTimers({ now: 0 });
    const p = new PageContinuations(2);
    p.remember("a", 1, "x");
    jest.setSystemTime(10);
    p.remember("b", 1, "y");
    jest.setSystemTime(20);
    p.seek("a", 1);
    p.remember("a", 2, "z"); // touches a
    jest.setSystemTime(30);
    p.remember("c", 1, "w");
    expect(p.seek("b", 1)).toBeUndefined();
    expect(p.seek("a", 1)).toEqual({ key: "x", skip: 0 });
    expect(p.seek("c", 1)).toEqual({ key: "w", skip: 0 });
    jest.useRealTimers();
  });
});

describe("PageContinuations: a page end holds while nothing changed", () => {
  afterEach(() => jest.useRealTimers());

  test("a change to the organisation forgets its lists, and only its lists", () => {
    const p = new PageContinuations();
    p.remember("org1:users", 100, "a");
    p.remember("org1:users?active", 100, "b");
    p.remember("org10:users", 100, "c");
    p.forget("org1");
    expect(p.seek("org1:users", 100)).toBeUndefined();
    expect(p.seek("org1:users?active", 200)).toBeUndefined();
    expect(p.seek("org10:users", 100)).toEqual({ key: "c", skip: 0 });
  });

  test("an end older than maxAgeMs is not used, for its own page or to skip from; remembering it again renews it", () => {
    jest.useFakeTimers({ now: 0 });
    const p = new PageContinuations(10, 1_000);
    p.remember("o:l", 100, "old");
    jest.setSystemTime(600);
    p.remember("o:l", 200, "newer");
    jest.setSystemTime(1_200);
    expect(p.seek("o:l", 100)).toBeUndefined();
    expect(p.seek("o:l", 150)).toBeUndefined();
    expect(p.seek("o:l", 250)).toEqual({ key: "newer", skip: 50 });
    p.remember("o:l", 100, "again");
    expect(p.seek("o:l", 150)).toEqual({ key: "again", skip: 50 });
    expect(p.seek("o:l", 100)).toEqual({ key: "again", skip: 0 });
  });
});
