import type { CustomFieldDefinition } from "../custom-fields/custom-field-definition.entity";
import type { Role } from "../roles/role.entity";
import { userDetailsFromRows } from "./user-details.sql";

const row = (k: string, userId: string, n: number, a: string, b: unknown = null, c: unknown = null, g: unknown = null) => ({ k, userId, n, a, b, c, d: c, e: null, f: null, g });

describe("userDetailsFromRows", () => {
  test("each user's lists in the API's orders, whatever order the rows come in; rows of other users are left out", () => {
    const roles = new Map<string, Role>([
      ["r-b", { id: "r-b", name: "Beta", nameKey: "beta" } as Role],
      ["r-a", { id: "r-a", name: "alpha", nameKey: "alpha" } as Role],
    ]);
    const definitions = new Map<string, CustomFieldDefinition>([["f", { id: "f", key: "area", type: "string", multiValued: true } as CustomFieldDefinition]]);
    const rows = [
      row("g", "u1", 0, "g-z", "Zeta", "zeta"),
      row("c", "u2", 1, "c3", "email", "second@x.test"),
      row("v", "u1", 2, "f", "third"),
      row("g", "u2", 0, "g-a", "Alpha", "alpha"),
      row("c", "u1", 1, "c2", "email", "b@x.test"),
      row("r", "u1", 0, "r-b"),
      row("g", "u1", 0, "g-a", "Alpha", "alpha"),
      row("c", "u1", 0, "c1", "email", "a@x.test", 1),
      row("v", "u1", 0, "f", "first"),
      row("c", "u1", 0, "c4", "phone", "+1 555 0100"),
      row("r", "u1", 0, "r-a"),
      row("m", "u2", 0, "boss", "boss@x.test", "The Boss"),
      row("g", "other", 0, "g-b", "Beta", "beta"),
      row("c", "u2", 0, "c5", "email", "first@x.test"),
      row("v", "u1", 1, "f", "second"),
      row("r", "u2", 0, "r-unknown"),
    ];
    const details = userDetailsFromRows(rows, "o", ["u1", "u2", "u3"], definitions, roles);
    expect([...details.keys()]).toEqual(["u1", "u2", "u3"]);
    const u1 = details.get("u1")!;
    expect(u1.emails.map((c) => [c.value, c.position, c.primary])).toEqual([
      ["a@x.test", 0, true],
      ["b@x.test", 1, false],
    ]);
    expect(u1.phoneNumbers.map((c) => c.value)).toEqual(["+1 555 0100"]);
    expect(u1.roles.map((r) => r.name)).toEqual(["alpha", "Beta"]);
    expect(u1.customFields).toEqual({ area: ["first", "second", "third"] });
    expect(u1.groups).toEqual([
      { id: "g-a", displayName: "Alpha" },
      { id: "g-z", displayName: "Zeta" },
    ]);
    expect(u1.manager).toBeNull();
    const u2 = details.get("u2")!;
    expect(u2.emails.map((c) => c.value)).toEqual(["first@x.test", "second@x.test"]);
    expect(u2.roles).toEqual([]);
    expect(u2.groups).toEqual([{ id: "g-a", displayName: "Alpha" }]);
    expect(u2.manager).toEqual({ id: "boss", userName: "boss@x.test", displayName: "The Boss" });
    expect(details.get("u3")).toEqual({ emails: [], phoneNumbers: [], roles: [], customFields: {}, groups: [], manager: null });
  });
});
