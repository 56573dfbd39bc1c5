import type { TestApp, TestTenant } from "../support/test-app";
import { useTenant } from "../support/test-tenant";

// User.groups lists direct groups as before; groups(includeIndirect: true) adds the groups a user is
// in through nested groups (direct: false), each once, for a page in a constant number of statements.

let app: TestApp;
let t: TestTenant;

useTenant((x) => ({ app, t } = x));

const group = async (name: string, members: { id: string; type?: "user" | "group" }[] = []) => {
  const g = await app.services.groups.create(t.ctx, { displayName: name });
  if (members.length) await app.services.groups.addMembers(t.ctx, g.id, members);
  return g;
};
const asGroup = (g: { id: string }) => ({ id: g.id, type: "group" as const });

type Ref = { displayName: string; direct: boolean };
const USER = `query($id: ID!) { user(id: $id) { groups { displayName direct } all: groups(includeIndirect: true) { displayName direct } } }`;

test("groups stays direct; groups(includeIndirect: true) adds the indirect groups once, direct ones first", async () => {
  const u = await app.services.users.create(t.ctx, { userName: "gql-ind@x.test" });
  const d = await group("D", [{ id: u.id }]);
  const [b, c] = [await group("B", [asGroup(d)]), await group("C", [asGroup(d)])];
  const a = await group("A", [asGroup(b), asGroup(c)]);
  // Direct in E too, which A also contains: E is direct only.
  const e = await group("E", [{ id: u.id }]);
  await app.services.groups.addMembers(t.ctx, a.id, [asGroup(e)]);
  const r = await app.gql<{ user: { groups: Ref[]; all: Ref[] } }>(t.adminToken, USER, { id: u.id });
  expect(r.errors).toBeUndefined();
  expect(r.data!.user.groups).toEqual([
    { displayName: "D", direct: true },
    { displayName: "E", direct: true },
  ]);
  expect(r.data!.user.all).toEqual([
    { displayName: "D", direct: true },
    { displayName: "E", direct: true },
    { displayName: "A", direct: false },
    { displayName: "B", direct: false },
    { displayName: "C", direct: false },
  ]);
  // includeIndirect: false (or null) is the default.
  const plain = await app.gql<{ user: { groups: Ref[] } }>(t.adminToken, `query($id: ID!) { user(id: $id) { groups(includeIndirect: false) { displayName } } }`, { id: u.id });
  expect(plain.data!.user.groups.map((g) => g.displayName)).toEqual(["D", "E"]);
  // A removed from the directory: B, C and D stay, A goes.
  await app.services.groups.delete(t.ctx, a.id);
  const after = await app.gql<{ user: { all: Ref[] } }>(t.adminToken, USER, { id: u.id });
  expect(after.data!.user.all.map((g) => [g.displayName, g.direct])).toEqual([
    ["D", true],
    ["E", true],
    ["B", false],
    ["C", false],
  ]);
});

test("a page of users with groups(includeIndirect: true) costs the same number of statements at 10 and at 100 users", async () => {
  const tenant = await app.tenant();
  const ctx = tenant.ctx;
  const top = await app.services.groups.create(ctx, { displayName: "page top" });
  const groups = [];
  for (let g = 0; g < 5; g++) {
    const mid = await app.services.groups.create(ctx, { displayName: `page mid ${g}` });
    await app.services.groups.addMembers(ctx, top.id, [{ id: mid.id, type: "group" }]);
    const leaf = await app.services.groups.create(ctx, { displayName: `page leaf ${g}` });
    await app.services.groups.addMembers(ctx, mid.id, [{ id: leaf.id, type: "group" }]);
    groups.push(leaf);
  }
  const users = [];
  for (let i = 0; i < 100; i++) users.push(await app.services.users.create(ctx, { userName: `page-${String(i).padStart(3, "0")}@x.test` }));
  for (let g = 0; g < 5; g++) await app.services.groups.addMembers(ctx, groups[g].id, users.filter((_, i) => i % 5 === g).map((u) => ({ id: u.id })));
  const PAGE = `query($first: Int!) { users(first: $first) { nodes { id groups(includeIndirect: true) { displayName direct } } } }`;
  const counts: Record<number, string[]> = {};
  for (const first of [10, 100]) {
    await app.gql(tenant.adminToken, PAGE, { first }); // the organisation's cached reads out of the measurement
    const { result: r, statements } = await app.statementsOf(() => app.gql<{ users: { nodes: { groups: Ref[] }[] } }>(tenant.adminToken, PAGE, { first }));
    expect(r.errors).toBeUndefined();
    expect(r.data!.users.nodes).toHaveLength(first);
    for (const [i, node] of r.data!.users.nodes.entries()) {
      expect(node.groups).toEqual([
        { displayName: `page leaf ${i % 5}`, direct: true },
        { displayName: `page mid ${i % 5}`, direct: false },
        { displayName: "page top", direct: false },
      ]);
    }
    counts[first] = statements;
  }
  if (process.env.SHOW_SQL) console.log(counts[10].length, counts[100].length, counts[100].join("\n"));
  expect(counts[100].length).toBe(counts[10].length);
  // The page, its users' direct groups (each saying whether it is in a group), the groups above them.
  expect(counts[100]).toHaveLength(3);
  expect(counts[100].filter((s) => /WITH RECURSIVE/i.test(s))).toHaveLength(1);
  // The page without includeIndirect reads no more than before: no recursive statement, no probe.
  const { statements } = await app.statementsOf(() => app.gql(tenant.adminToken, PAGE.replace("groups(includeIndirect: true) { displayName direct }", "groups { displayName }"), { first: 100 }));
  // (The probe is EXISTS beside a group row, or the details union's part `n` on group_memberships pm.)
  expect(statements.filter((s) => /RECURSIVE|EXISTS|group_memberships pm/i.test(s))).toEqual([]);
}, 60_000);
