import { nestingDeeperThan } from "./json-depth";

const deeper = (json: string, max: number) => nestingDeeperThan(Buffer.from(json), max);

describe("nestingDeeperThan", () => {
  test.each([
    ["{}", 1, false],
    ["{}", 0, true],
    ['{"a":[{"b":[]}]}', 4, false],
    ['{"a":[{"b":[]}]}', 3, true],
    ["[[],[],[]]", 2, false],
    // Depth, not the count of brackets: siblings close before the next opens.
    [`[${"[],".repeat(100)}[]]`, 2, false],
  ] as const)("%s within %i → %s", (json, max, expected) => expect(deeper(json, max)).toBe(expected));

  test("brackets inside strings are text, escaped quotes do not end the string, and an escaped backslash does", () => {
    expect(deeper(JSON.stringify({ a: "[[[[[[{{{{" }), 1)).toBe(false);
    expect(deeper(JSON.stringify({ a: 'say \\"[[[[ and \\" {{{{' }), 1)).toBe(false);
    expect(deeper(JSON.stringify({ a: "\\" }) + "", 1)).toBe(false);
    expect(deeper('{"a":"\\\\",' + '"b":[[[]]]}', 3)).toBe(true);
    expect(deeper('{"a":"\\"[[[[",' + '"b":[]}', 2)).toBe(false);
  });

  test("agrees with a walk of the parsed value", () => {
    const depthOf = (v: unknown): number => (v !== null && typeof v === "object" ? 1 + Math.max(0, ...Object.values(v as object).map(depthOf)) : 0);
    const samples = [{ schemas: ["x"], Operations: [{ op: "add", path: "members", value: [{ value: "1", display: "[x]" }] }] }, { a: [[[["}"]]]], b: { c: { d: "{{" } } }, []];
    for (const v of samples) {
      const json = JSON.stringify(v);
      const d = depthOf(v);
      expect([deeper(json, d), deeper(json, d - 1)]).toEqual([false, true]);
    }
  });
});
