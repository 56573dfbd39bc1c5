import { containingGroupsOf, indirectGroupsOf } from "./indirect-groups";

/** Rows as containingGroupsSql returns them: (child, parent) with the parent's name (its key the name). */
const parentsOf = (...pairs: [string, string][]) => containingGroupsOf(pairs.map(([child, id]) => ({ child, id, displayName: id.toUpperCase(), displayNameKey: id })));
const names = (direct: string[], parents: ReturnType<typeof parentsOf>) => indirectGroupsOf(direct.map((id) => ({ id, displayName: id.toUpperCase() })), parents).map((g) => g.displayName);

describe("indirectGroupsOf", () => {
  it("walks up a chain, by name", () => {
    expect(names(["c"], parentsOf(["c", "b"], ["b", "a"]))).toEqual(["A", "B"]);
  });

  it("lists a group reached by several paths once (a diamond; the same pair read at two depths)", () => {
    expect(names(["d"], parentsOf(["d", "b"], ["d", "c"], ["b", "a"], ["c", "a"], ["b", "a"]))).toEqual(["A", "B", "C"]);
  });

  it("never lists a direct group as indirect", () => {
    expect(names(["a", "b"], parentsOf(["b", "a"], ["a", "top"]))).toEqual(["TOP"]);
  });

  it("ends on a cycle stored before cycles were refused", () => {
    expect(names(["c"], parentsOf(["c", "b"], ["b", "a"], ["a", "b"]))).toEqual(["A", "B"]);
    expect(names(["c"], new Map())).toEqual([]);
  });
});
