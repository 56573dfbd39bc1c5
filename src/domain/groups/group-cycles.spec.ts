import { AncestorWalk, type ParentRow } from "./group-cycles";

/** Rows as the walk returns them: each group with each of its parents (or null). */
const rows = (edges: Record<string, string[]>): ParentRow[] =>
  Object.entries(edges).flatMap(([id, parents]): ParentRow[] => (parents.length ? parents.map((parent) => ({ id, parent })) : [{ id, parent: null }]));

describe("AncestorWalk", () => {
  test("walks up through the groups containing the start, a diamond once, with the path down from each", () => {
    // top ⊃ a; a ⊃ b, a ⊃ c; b ⊃ d, c ⊃ d: walked up from d.
    const walk = new AncestorWalk("d");
    walk.learn(rows({ d: ["b", "c"], b: ["a"], c: ["a"], a: ["top"], top: [] }));
    expect(walk.unread()).toEqual([]);
    expect(["d", "b", "c", "a", "top"].every((g) => walk.contains(g))).toBe(true);
    expect(walk.contains("elsewhere")).toBe(false);
    expect(walk.pathFrom("top")).toEqual(["top", "a", "b", "d"]);
    expect(walk.tooDeep).toBe(false);
  });

  test("a cycle already stored ends the walk", () => {
    const walk = new AncestorWalk("a");
    walk.learn(rows({ a: ["b"], b: ["a"] }));
    expect(walk.unread()).toEqual([]);
    expect(walk.pathFrom("b")).toEqual(["b", "a"]);
  });

  test("a parent the snapshot's walk did not reach is to be read, then walked (its read rows may be none)", () => {
    const walk = new AncestorWalk("p1");
    // The walk saw p1 ⊂ x2; the locking read beside it found x2 ⊂ p2, committed since the snapshot.
    walk.learn(rows({ p1: ["x2"], x2: ["p2"] }));
    expect(walk.unread()).toEqual(["p2"]);
    walk.learn([{ id: "p2", parent: "x1" }], ["p2"]);
    expect(walk.unread()).toEqual(["x1"]);
    walk.learn([], ["x1"]);
    expect(walk.unread()).toEqual([]);
    expect(walk.pathFrom("x1")).toEqual(["x1", "p2", "x2", "p1"]);
  });

  test("past the depth bound: the parents of the last level are known (a cycle there is found) but a longer chain is too deep", () => {
    const chain = (k: number) => Object.fromEntries(Array.from({ length: k + 1 }, (_, i) => [`g${i}`, i < k ? [`g${i + 1}`] : []]));
    const atBound = new AncestorWalk("g0", 3);
    atBound.learn(rows(chain(3)));
    expect([atBound.tooDeep, atBound.contains("g3")]).toEqual([false, true]);
    const past = new AncestorWalk("g0", 3);
    past.learn(rows(chain(4)));
    expect([past.tooDeep, past.contains("g4"), past.unread()]).toEqual([true, true, []]);
  });
});
