import { positional } from "./database";

describe("positional (named → ? placeholders)", () => {
  test("names in order, repeated names repeated, quoted text untouched", () => {
    expect(positional("SELECT * FROM t WHERE a = :a AND b LIKE :b ESCAPE '\\\\' AND c = ':not' AND d = :a", "mysql")).toEqual({
      text: "SELECT * FROM t WHERE a = ? AND b LIKE ? ESCAPE '\\\\' AND c = ':not' AND d = ?",
      names: ["a", "b", "a"],
    });
  });

  test("SQLite literals have no backslash escapes: the placeholder after '\\' is still seen", () => {
    expect(positional("SELECT 1 WHERE x LIKE :p ESCAPE '\\' AND y = :q AND z = 'it''s :r'", "sqlite")).toEqual({
      text: "SELECT 1 WHERE x LIKE ? ESCAPE '\\' AND y = ? AND z = 'it''s :r'",
      names: ["p", "q"],
    });
  });
});
