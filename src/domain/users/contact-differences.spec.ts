import { contactDifferences } from "./contact-differences";
import { type ContactKind, type UserContact, contactValueKey } from "./user-contact.entity";

/** `value[:type][!]` (! = primary), at its position in the list; ids are "old-<i>" or "new-<i>". */
function rows(prefix: string, kind: ContactKind, ...specs: string[]): UserContact[] {
  return specs.map((spec, position) => {
    const primary = spec.endsWith("!");
    const [value, type = null] = spec.replace(/!$/, "").split(":");
    return { id: `${prefix}-${kind}-${position}`, organisationId: "o", userId: "u", kind, position, value, valueKey: contactValueKey(value), type, primary, display: null };
  });
}

/** The differences, written short: ids kept or new, and what each statement changes. */
function differences(before: UserContact[], after: UserContact[]) {
  const d = contactDifferences(before, after);
  return {
    rows: d.rows.map((r) => `${r.id} ${r.value}`),
    updated: d.updated.map((u) => `${u.row.id}: ${u.columns.join(",")}`),
    inserted: d.inserted.map((r) => r.id),
    deleted: d.deletedIds,
  };
}

const old = (...specs: string[]) => rows("old", "email", ...specs);
const next = (...specs: string[]) => rows("new", "email", ...specs);

test.each([
  ["the same list: nothing written, every id kept", old("a:work!", "b:home"), next("a:work!", "b:home"), { rows: ["old-email-0 a", "old-email-1 b"], updated: [], inserted: [], deleted: [] }],
  ["one value changed: that row updated in place", old("a:work!", "b:home"), next("a:work!", "c:home"), { rows: ["old-email-0 a", "old-email-1 c"], updated: ["old-email-1: value,valueKey"], inserted: [], deleted: [] }],
  ["a value's case changed: its key is the same, its value updated", old("A@x:work"), next("a@x:work"), { rows: ["old-email-0 a@x"], updated: ["old-email-0: value"], inserted: [], deleted: [] }],
  ["reordered, primary moved: positions and flags updated, values kept", old("a:work!", "b:home"), next("b:home!", "a:work"), { rows: ["old-email-1 b", "old-email-0 a"], updated: ["old-email-1: position,primary", "old-email-0: position,primary"], inserted: [], deleted: [] }],
  ["type changed only", old("a:work"), next("a:home"), { rows: ["old-email-0 a"], updated: ["old-email-0: type"], inserted: [], deleted: [] }],
  ["one removed: the others keep their rows, the later one moves up", old("a", "b", "c"), next("a", "c"), { rows: ["old-email-0 a", "old-email-2 c"], updated: ["old-email-2: position"], inserted: [], deleted: ["old-email-1"] }],
  ["one added at the end: one insert", old("a"), next("a", "b"), { rows: ["old-email-0 a", "new-email-1 b"], updated: [], inserted: ["new-email-1"], deleted: [] }],
  ["cleared: every row deleted", old("a", "b"), next(), { rows: [], updated: [], inserted: [], deleted: ["old-email-0", "old-email-1"] }],
  ["from none: every row inserted", old(), next("a", "b"), { rows: ["new-email-0 a", "new-email-1 b"], updated: [], inserted: ["new-email-0", "new-email-1"], deleted: [] }],
  ["the same value twice: each keeps a row of its own", old("a:work", "a:home"), next("a:home", "a:work"), { rows: ["old-email-1 a", "old-email-0 a"], updated: ["old-email-1: position", "old-email-0: position"], inserted: [], deleted: [] }],
  ["a value kept, another changed: the kept one by its value and type first, then the other in order", old("a:home", "a:work"), next("a:work", "b"), { rows: ["old-email-1 a", "old-email-0 b"], updated: ["old-email-1: position", "old-email-0: position,value,valueKey,type"], inserted: [], deleted: [] }],
  ["an equal row is kept untouched before a same-value one is updated", old("b", "a:home", "a:work"), next("x", "a:home", "a:other"), { rows: ["old-email-0 x", "old-email-1 a", "old-email-2 a"], updated: ["old-email-0: value,valueKey", "old-email-2: type"], inserted: [], deleted: [] }],
  ["removed, changed and added: unmatched rows pair in order, the rest inserted", old("a!", "b", "c"), next("c!", "a", "x", "y", "z"), {
    rows: ["old-email-2 c", "old-email-0 a", "old-email-1 x", "new-email-3 y", "new-email-4 z"],
    updated: ["old-email-2: position,primary", "old-email-0: position,primary", "old-email-1: position,value,valueKey"],
    inserted: ["new-email-3", "new-email-4"],
    deleted: [],
  }],
])("%s", (_name, before, after, expected) => {
  expect(differences(before, after)).toEqual(expected);
});

test("rows pair only within their kind", () => {
  const before = [...rows("old", "email", "a"), ...rows("old", "phone", "1")];
  const after = [...rows("new", "email", "a", "b"), ...rows("new", "phone")];
  expect(differences(before, after)).toEqual({ rows: ["old-email-0 a", "new-email-1 b"], updated: [], inserted: ["new-email-1"], deleted: ["old-phone-0"] });
});

test("the rows after are the rows given, with the ids of those kept", () => {
  const after = next("c!", "a");
  const d = contactDifferences(old("a!", "b"), after);
  expect(d.rows.map(({ id: _id, ...r }) => r)).toEqual(after.map(({ id: _id, ...r }) => r));
});
