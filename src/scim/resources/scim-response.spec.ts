import { isProjected, isoTime, projectionOf } from "./scim-response";

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

describe("isoTime", () => {
  test("formats as toISOString does, to the millisecond, in UTC", () => {
    const dates = [new Date(0), new Date("2026-01-02T03:04:05.006Z"), new Date("1999-12-31T23:59:59.999Z"), new Date("2026-11-23T16:46:08.080Z")];
    for (let t = 946_684_800_000; t < 2_000_000_000_000; t += 7_654_321_987) dates.push(new Date(t));
    for (const d of dates) expect(isoTime(d)).toBe(d.toISOString());
    expect(isoTime(new Date("0900-05-06T07:08:09.010Z"))).toBe("0900-05-06T07:08:09.010Z");
  });
});
