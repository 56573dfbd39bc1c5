import { PageContinuations } from "./page-continuations";

describe("PageContinuations", () => {
  test("a page end is remembered per list and offset", () => {
    const p = new PageContinuations();
    p.remember("org:a", 100, "zed");
    expect(p.seek("org:a", 100)).toBe("zed");
    expect(p.seek("org:a", 200)).toBeUndefined();
    expect(p.seek("org:b", 100)).toBeUndefined();
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
    expect(p.seek("a", 1)).toBe("x");
    expect(p.seek("c", 1)).toBe("w");
    jest.useRealTimers();
  });
});
