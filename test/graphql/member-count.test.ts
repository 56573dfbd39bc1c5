import { CORE_GROUP, CORE_USER, type ScimClient, patchOp } from "../support/scim-client";
import { useScimTenant } from "../support/scim-tenant";
import { testDriver } from "../support/test-database";
import type { TestApp, TestTenant } from "../support/test-app";

// A group's memberCount is kept on its row (groups.memberCount) by every write of its memberships,
// and GraphQL's memberCount and members { totalCount } read it. After each kind of write, every
// group's stored count must be what SELECT COUNT(*) over group_memberships says, and GraphQL must
// show that count.

let app: TestApp;
let t: TestTenant;
let c: ScimClient;
useScimTenant((x) => ({ app, t, scim: c } = x));

const BULK_REQ = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const groupsTable = () => (testDriver() === "mariadb" ? "`groups`" : '"groups"');
let n = 0;
const users = (...ids: string[]) => ids.map((value) => ({ value, type: "User" }));

async function newUser(): Promise<string> {
  const r = await c.post("/Users", { schemas: [CORE_USER], userName: `count-${++n}@x.test` });
  expect(r.status).toBe(201);
  return r.body.id;
}
const newUsers = (k: number) => Promise.all(Array.from({ length: k }, newUser));

async function newGroup(displayName: string, members: { value: string; type?: string }[] = []): Promise<string> {
  const r = await c.post("/Groups", { schemas: [CORE_GROUP], displayName: `${displayName} ${++n}`, members });
  expect(r.status).toBe(201);
  return r.body.id;
}

/** Every group of the organisation: its stored memberCount and the count of its memberships. */
async function storedAndCounted(): Promise<{ id: string; kept: number; counted: number }[]> {
  const rows: { id: string; kept: unknown; counted: unknown }[] = await app.dataSource.query(
    `SELECT g.id, g.memberCount AS kept, (SELECT COUNT(*) FROM group_memberships m WHERE m.groupId = g.id) AS counted FROM ${groupsTable()} g WHERE g.organisationId = ?`,
    [t.organisation.id],
  );
  return rows.map((r) => ({ id: String(r.id), kept: Number(r.kept), counted: Number(r.counted) }));
}

/** Every group's memberCount is its count of memberships, stored and as GraphQL shows it (memberCount, members' totalCount). */
async function expectExact(after: string): Promise<void> {
  const rows = await storedAndCounted();
  expect({ after, wrong: rows.filter((r) => r.kept !== r.counted) }).toEqual({ after, wrong: [] });
  const r = await app.gql<{ groups: { nodes: { id: string; memberCount: number; members: { totalCount: number } }[] } }>(
    t.adminToken,
    `{ groups(first: 500) { nodes { id memberCount members(first: 0) { totalCount } } } }`,
  );
  expect(r.errors).toBeUndefined();
  const counted = new Map(rows.map((row) => [row.id, row.counted]));
  const shown = r.data!.groups.nodes.filter((g) => g.memberCount !== counted.get(g.id) || g.members.totalCount !== counted.get(g.id));
  expect({ after, shown }).toEqual({ after, shown: [] });
}

async function countOf(groupId: string): Promise<number> {
  const r = await app.gql<{ group: { memberCount: number } }>(t.adminToken, `query($g: ID!) { group(id: $g) { memberCount } }`, { g: groupId });
  return r.data!.group.memberCount;
}

test("GraphQL createGroup, addGroupMembers, removeGroupMembers and updateGroup", async () => {
  const [a, b, d, e] = await newUsers(4);
  const inner = await newGroup("Inner");
  const created = await app.gql<{ createGroup: { id: string; memberCount: number; members: { totalCount: number } } }>(
    t.adminToken,
    `mutation($m: [MemberInput!]) { createGroup(input: { displayName: "GraphQL made", members: $m }) { id memberCount members(first: 0) { totalCount } } }`,
    // A member named twice, and one without type.
    { m: [{ id: a, type: "user" }, { id: a }, { id: b }, { id: inner, type: "group" }] },
  );
  expect(created.errors).toBeUndefined();
  const g = created.data!.createGroup.id;
  expect(created.data!.createGroup).toMatchObject({ memberCount: 3, members: { totalCount: 3 } });
  await expectExact("createGroup");

  // Two already there (one twice), two new.
  const add = await app.gql<{ addGroupMembers: { added: string[]; group: { memberCount: number } } }>(
    t.adminToken,
    `mutation($g: ID!, $m: [MemberInput!]!) { addGroupMembers(groupId: $g, members: $m) { added group { memberCount } } }`,
    { g, m: [{ id: a }, { id: b }, { id: b }, { id: d }, { id: e }] },
  );
  expect(add.data!.addGroupMembers).toEqual({ added: [d, e], group: { memberCount: 5 } });
  await expectExact("addGroupMembers");
  // Nothing new: no change.
  await app.gql(t.adminToken, `mutation($g: ID!, $m: [MemberInput!]!) { addGroupMembers(groupId: $g, members: $m) { added } }`, { g, m: [{ id: a }] });
  await expectExact("addGroupMembers of a member already there");

  // One there, one not, one named twice.
  const remove = await app.gql<{ removeGroupMembers: { removed: string[]; group: { memberCount: number } } }>(
    t.adminToken,
    `mutation($g: ID!, $m: [ID!]!) { removeGroupMembers(groupId: $g, memberIds: $m) { removed group { memberCount } } }`,
    { g, m: [d, d, "not-a-member"] },
  );
  expect(remove.data!.removeGroupMembers).toEqual({ removed: [d], group: { memberCount: 4 } });
  await expectExact("removeGroupMembers");

  const renamed = await app.gql<{ updateGroup: { memberCount: number } }>(t.adminToken, `mutation($g: ID!) { updateGroup(id: $g, input: { displayName: "GraphQL renamed" }) { memberCount } }`, { g });
  expect(renamed.data!.updateGroup.memberCount).toBe(4);
  await expectExact("updateGroup");
  // A refused write (a member that does not exist) changes nothing.
  const refused = await app.gql(t.adminToken, `mutation($g: ID!, $m: [MemberInput!]!) { addGroupMembers(groupId: $g, members: $m) { added } }`, { g, m: [{ id: "00000000-0000-4000-8000-000000000000" }] });
  expect(refused.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  await expectExact("a refused addGroupMembers");
});

test("SCIM POST, PUT and PATCH: add, remove by value and by filtered path, replace, Entra's path-less Replace", async () => {
  const [a, b, d, e, f] = await newUsers(5);
  const nested = await newGroup("Nested");
  const g = await newGroup("Scim", [...users(a, b), { value: nested, type: "Group" }]);
  await expectExact("POST");
  expect(await countOf(g)).toBe(3);

  const put = await c.put(`/Groups/${g}`, { schemas: [CORE_GROUP], displayName: "Scim put", members: users(b, d, e) });
  expect(put.status).toBe(200);
  await expectExact("PUT");
  expect(await countOf(g)).toBe(3);

  const patches: [string, unknown][] = [
    ["add, one already there", { op: "add", path: "members", value: users(b, f) }],
    ["Okta's filtered remove", { op: "remove", path: `members[value eq "${f}"]` }],
    ["a filtered remove of no member", { op: "remove", path: `members[value eq "${a}"]` }],
    ["Entra's Remove with a value", { op: "Remove", path: "members", value: [{ value: e }, { value: a }] }],
    ["Entra's Add without type", { op: "Add", path: "members", value: [{ value: a }, { value: nested }] }],
    ["replace of members", { op: "replace", path: "members", value: users(a, d, e, f) }],
    ["Entra's path-less Replace", { op: "Replace", value: { displayName: "Scim replaced", members: users(b, d) } }],
    ["remove of every member", { op: "remove", path: "members" }],
  ];
  for (const [name, op] of patches) {
    const r = await c.patch(`/Groups/${g}`, patchOp(op));
    expect([name, r.status]).toEqual([name, 204]);
    await expectExact(name);
  }
  expect(await countOf(g)).toBe(0);
  // Several operations in one PATCH.
  const r = await c.patch(`/Groups/${g}`, patchOp({ op: "add", path: "members", value: users(a, b, d) }, { op: "remove", path: `members[value eq "${b}"]` }, { op: "add", path: "members", value: users(e) }));
  expect(r.status).toBe(204);
  await expectExact("one PATCH of several operations");
  expect(await countOf(g)).toBe(3);
});

test("/Bulk: a group created with members made in the same request, a PATCH, a user's deletion", async () => {
  const [a, b] = await newUsers(2);
  const holder = await newGroup("Bulk holder", users(a, b));
  const r = await c.post("/Bulk", {
    schemas: [BULK_REQ],
    Operations: [
      { method: "POST", path: "/Users", bulkId: "u1", data: { userName: `bulk-${++n}@x.test` } },
      { method: "POST", path: "/Groups", bulkId: "g1", data: { displayName: `Bulk made ${++n}`, members: [{ value: "bulkId:u1" }, { value: a }, { value: a }] } },
      { method: "PATCH", path: `/Groups/${holder}`, data: patchOp({ op: "add", path: "members", value: [{ value: "bulkId:u1" }, { value: "bulkId:g1" }] }) },
      { method: "DELETE", path: `/Users/${b}` },
    ],
  });
  expect(r.status).toBe(200);
  expect(r.body.Operations.map((o: { status: string }) => o.status)).toEqual(["201", "201", "204", "204"]);
  await expectExact("Bulk");
  // a, the new user and the new group (b was deleted).
  expect(await countOf(holder)).toBe(3);
});

test("concurrent adds of the same members from several requests count each once; concurrent removes too", async () => {
  const members = await newUsers(6);
  const g = await newGroup("Busy", users(members[0]));
  // Each member added by four racing requests: SCIM PATCH and GraphQL, with members already there.
  const adds = members.flatMap((m) => [
    () => c.patch(`/Groups/${g}`, patchOp({ op: "add", path: "members", value: users(m, members[0]) })),
    () => c.patch(`/Groups/${g}`, patchOp({ op: "add", path: "members", value: [{ value: m }] })),
    () => app.gql(t.adminToken, `mutation($g: ID!, $m: [MemberInput!]!) { addGroupMembers(groupId: $g, members: $m) { added } }`, { g, m: [{ id: m }] }),
    () => app.gql(t.adminToken, `mutation($g: ID!, $m: [MemberInput!]!) { addGroupMembers(groupId: $g, members: $m) { added } }`, { g, m: [{ id: m }, { id: members[1] }] }),
  ]);
  const answers = await Promise.all(adds.map((send) => send()));
  expect(answers.filter((a) => a.status >= 300 || ("errors" in a && a.errors))).toEqual([]);
  await expectExact("concurrent adds");
  expect(await countOf(g)).toBe(6);
  // Each removed by three racing requests, while others are added.
  const more = await newUsers(2);
  await Promise.all([
    ...members.slice(0, 4).flatMap((m) => [
      () => c.patch(`/Groups/${g}`, patchOp({ op: "remove", path: `members[value eq "${m}"]` })),
      () => c.patch(`/Groups/${g}`, patchOp({ op: "remove", path: "members", value: [{ value: m }] })),
      () => app.gql(t.adminToken, `mutation($g: ID!, $m: [ID!]!) { removeGroupMembers(groupId: $g, memberIds: $m) { removed } }`, { g, m: [m] }),
    ]),
    ...more.map((m) => () => c.patch(`/Groups/${g}`, patchOp({ op: "add", path: "members", value: users(m) }))),
  ].map((send) => send()));
  await expectExact("concurrent removes and adds");
  expect(await countOf(g)).toBe(4);
});

test("deleting a user takes one member from each of its groups; deleting a group nested in others takes one from each of them", async () => {
  const [a, b, d] = await newUsers(3);
  const nested = await newGroup("Deleted nested", users(a, b));
  const first = await newGroup("Holds a", [...users(a, d), { value: nested, type: "Group" }]);
  const second = await newGroup("Holds a too", [...users(a, b), { value: nested, type: "Group" }]);
  const untouched = await newGroup("Holds d", users(d));
  await expectExact("the groups' creation");

  expect((await c.delete(`/Users/${a}`)).status).toBe(204);
  await expectExact("a SCIM user deletion");
  expect([await countOf(first), await countOf(second), await countOf(nested), await countOf(untouched)]).toEqual([2, 2, 1, 1]);

  const deleted = await app.gql(t.adminToken, `mutation($u: ID!) { deleteUser(id: $u) }`, { u: b });
  expect(deleted.errors).toBeUndefined();
  await expectExact("a GraphQL user deletion");
  expect([await countOf(first), await countOf(second), await countOf(nested)]).toEqual([2, 1, 0]);

  expect((await c.delete(`/Groups/${nested}`)).status).toBe(204);
  await expectExact("a nested group's SCIM deletion");
  expect([await countOf(first), await countOf(second), await countOf(untouched)]).toEqual([1, 0, 1]);

  const inner = await newGroup("Inner to delete");
  await c.patch(`/Groups/${first}`, patchOp({ op: "add", path: "members", value: [{ value: inner, type: "Group" }] }));
  const gone = await app.gql(t.adminToken, `mutation($g: ID!) { deleteGroup(id: $g) }`, { g: inner });
  expect(gone.errors).toBeUndefined();
  await expectExact("a nested group's GraphQL deletion");
  expect(await countOf(first)).toBe(1);
});

test("a write of over 1,000 members (statements of a thousand each), then their replacement", async () => {
  const many: string[] = [];
  for (let i = 0; i < 1001; i += 100) many.push(...(await Promise.all(Array.from({ length: Math.min(100, 1001 - i) }, () => app.services.users.create(t.ctx, { userName: `many-${++n}@x.test` })))).map((u) => u.id));
  const g = await newGroup("Large", users(many[0]));
  expect((await c.patch(`/Groups/${g}`, patchOp({ op: "add", path: "members", value: users(...many) }))).status).toBe(204);
  await expectExact("an add of 1,001 members");
  expect(await countOf(g)).toBe(1001);
  expect((await c.patch(`/Groups/${g}`, patchOp({ op: "Replace", value: { members: users(many[5]) } }))).status).toBe(204);
  await expectExact("a replace that removes 1,000");
  expect(await countOf(g)).toBe(1);
});
