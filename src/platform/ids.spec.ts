import { newId, newRequestId, newTimeOrderedId } from "./ids";

test("time-ordered ids are UUIDv7 and sort in creation order, also within one millisecond", () => {
  const ids = Array.from({ length: 5000 }, () => newTimeOrderedId(1_800_000_000_000));
  expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect([...ids].sort()).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
  const later = newTimeOrderedId(1_800_000_000_000 + 10_000);
  expect(later > ids.at(-1)!).toBe(true);
});

test("request ids are 12 URL-safe characters and do not repeat across pool refills", () => {
  const ids = Array.from({ length: 2000 }, () => newRequestId());
  expect(ids.every((id) => /^[A-Za-z0-9_-]{12}$/.test(id))).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
});

test("row ids are time-ordered UUIDs: new rows append to a table's primary key", () => {
  const ids = Array.from({ length: 3000 }, () => newId());
  expect(ids.every((id) => /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id))).toBe(true);
  expect([...ids].sort()).toEqual(ids);
  expect(new Set(ids).size).toBe(ids.length);
});
