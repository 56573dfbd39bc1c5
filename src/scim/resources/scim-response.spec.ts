import { isProjected, projectionOf } from "./scim-response";

describe("isProjected", () => {
  test("absent or empty lists (a list query parses an absent parameter as []) select the default attributes: nothing to project", () => {
    expect(isProjected({})).toBe(false);
    expect(isProjected({ attributes: [], excludedAttributes: [] })).toBe(false);
    expect(isProjected(projectionOf({ startIndex: "1" }))).toBe(false);
  });
  test("any attribute named in either list projects", () => {
    expect(isProjected({ attributes: ["userName"] })).toBe(true);
    expect(isProjected({ attributes: [], excludedAttributes: ["groups"] })).toBe(true);
    expect(isProjected(projectionOf({ ExcludedAttributes: "members" }))).toBe(true);
  });
});
