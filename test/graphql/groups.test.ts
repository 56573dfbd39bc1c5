import type { TestApp, TestTenant } from "../support/test-app";
import { useTenant } from "../support/test-tenant";

let app: TestApp;
let t: TestTenant;
let other: TestTenant;
const ids: string[] = [];

useTenant((x) => ({ app, t, other } = x), { other: true });
beforeAll(async () => {
  for (let i = 0; i < 6; i++) ids.push((await app.services.users.create(t.ctx, { userName: `m${i}@g.test`, displayName: `Member ${i}` })).id);
});

const GROUP = `id displayName externalId version memberCount members(first: 50) { totalCount nodes { id type display user { userName } group { displayName } } }`;

test("create a group with user and group members; add and remove many at once; audit trail", async () => {
  const inner = await app.gql<{ createGroup: { id: string } }>(t.adminToken, `mutation { createGroup(input: { displayName: "Inner" }) { id } }`);
  const created = await app.gql<{ createGroup: any }>(t.adminToken, `mutation($m: [MemberInput!]) { createGroup(input: { displayName: "Engineering", externalId: "eng", members: $m }) { ${GROUP} } }`, {
    m: [{ id: ids[0] }, { id: inner.data!.createGroup.id, type: "group" }],
  });
  expect(created.errors).toBeUndefined();
  const g = created.data!.createGroup;
  expect(g).toMatchObject({ displayName: "Engineering", externalId: "eng", version: 1, memberCount: 2 });
  expect(g.members.nodes.map((m: any) => [m.type, m.display])).toEqual(expect.arrayContaining([["user", "Member 0"], ["group", "Inner"]]));

  const add = await app.gql<{ addGroupMembers: any }>(t.adminToken, `mutation($g: ID!, $m: [MemberInput!]!) { addGroupMembers(groupId: $g, members: $m) { added removed group { memberCount version } } }`, {
    g: g.id,
    m: [{ id: ids[0] }, { id: ids[1] }, { id: ids[2] }],
  });
  expect(add.data!.addGroupMembers).toEqual({ added: [ids[1], ids[2]], removed: [], group: { memberCount: 4, version: 2 } });

  const remove = await app.gql<{ removeGroupMembers: any }>(t.adminToken, `mutation($g: ID!, $m: [ID!]!) { removeGroupMembers(groupId: $g, memberIds: $m) { added removed group { memberCount } } }`, { g: g.id, m: [ids[1], ids[5]] });
  expect(remove.data!.removeGroupMembers).toEqual({ added: [], removed: [ids[1]], group: { memberCount: 3 } });

  const byMember = await app.gql<{ groups: { nodes: { displayName: string }[] } }>(t.adminToken, `query($m: ID!) { groups(filter: { memberId: $m }) { nodes { displayName } } }`, { m: ids[2] });
  expect(byMember.data!.groups.nodes.map((n) => n.displayName)).toEqual(["Engineering"]);
  const userGroups = await app.gql<{ user: { groups: { displayName: string }[] } }>(t.adminToken, `query($id: ID!) { user(id: $id) { groups { displayName } } }`, { id: ids[0] });
  expect(userGroups.data!.user.groups.map((x) => x.displayName)).toEqual(["Engineering"]);

  const events = await app.gql<{ auditEvents: { nodes: { action: string; changes: any }[] } }>(t.adminToken, `query($id: ID!) { auditEvents(filter: { resourceId: $id }) { nodes { action changes } } }`, { id: g.id });
  expect(events.data!.auditEvents.nodes.map((e) => e.action)).toEqual(["group.members.removed", "group.members.added", "group.created"]);
  expect(events.data!.auditEvents.nodes[1].changes["members.added"].after).toEqual([ids[1], ids[2]]);
});

test("display names are unique per organisation in any letter case", async () => {
  await app.gql(t.adminToken, `mutation { createGroup(input: { displayName: "Sales" }) { id } }`);
  const dup = await app.gql(t.adminToken, `mutation { createGroup(input: { displayName: "SALES" }) { id } }`);
  expect(dup.errors?.[0].extensions).toMatchObject({ code: "CONFLICT", field: "displayName" });
  const elsewhere = await app.gql(other.adminToken, `mutation { createGroup(input: { displayName: "Sales" }) { id } }`);
  expect(elsewhere.errors).toBeUndefined();
});

test("members of another organisation are refused and nothing is added", async () => {
  const foreign = await app.services.users.create(other.ctx, { userName: "foreign@other.test" });
  const g = await app.gql<{ createGroup: { id: string } }>(t.adminToken, `mutation { createGroup(input: { displayName: "Closed" }) { id } }`);
  const r = await app.gql(t.adminToken, `mutation($g: ID!, $m: [MemberInput!]!) { addGroupMembers(groupId: $g, members: $m) { added } }`, { g: g.data!.createGroup.id, m: [{ id: ids[3] }, { id: foreign.id }] });
  expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "members" });
  const after = await app.gql<{ group: { memberCount: number } }>(t.adminToken, `query($g: ID!) { group(id: $g) { memberCount } }`, { g: g.data!.createGroup.id });
  expect(after.data!.group.memberCount).toBe(0);
  const theirGroup = await app.services.groups.create(other.ctx, { displayName: "Theirs" });
  const read = await app.gql<{ group: unknown }>(t.adminToken, `query($g: ID!) { group(id: $g) { id } }`, { g: theirGroup.id });
  expect(read.data!.group).toBeNull();
  const del = await app.gql(t.adminToken, `mutation($g: ID!) { deleteGroup(id: $g) }`, { g: theirGroup.id });
  expect(del.errors?.[0].extensions?.code).toBe("NOT_FOUND");
});

test("members page through a large group by cursor", async () => {
  const g = await app.services.groups.create(t.ctx, { displayName: "Paged", members: ids.map((id) => ({ id })) });
  const seen: string[] = [];
  let after: string | null = null;
  for (;;) {
    const r: any = await app.gql(t.adminToken, `query($g: ID!, $after: String) { group(id: $g) { members(first: 4, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { id } } } }`, { g: g.id, after });
    expect(r.data.group.members.totalCount).toBe(6);
    seen.push(...r.data.group.members.nodes.map((n: { id: string }) => n.id));
    if (!r.data.group.members.pageInfo.hasNextPage) break;
    after = r.data.group.members.pageInfo.endCursor;
  }
  expect(seen).toEqual([...ids].sort());
});

test("a group's member total is its memberCount, read with its row: no COUNT for its pages, and a change shows at once", async () => {
  const g = await app.services.groups.create(t.ctx, { displayName: "Counted", members: ids.slice(0, 4).map((id) => ({ id })) });
  const page = async (after: string | null) => {
    const r: any = await app.gql(t.adminToken, `query($g: ID!, $after: String) { group(id: $g) { members(first: 2, after: $after) { totalCount pageInfo { endCursor } } } }`, { g: g.id, after });
    return r.data.group.members as { totalCount: number; pageInfo: { endCursor: string } };
  };
  /** What `send` returns, and how many COUNT statements its requests sent. */
  const counted = async <T>(send: () => Promise<T>): Promise<[T, number]> => {
    const { result, statements } = await app.statementsOf(send);
    return [result, statements.filter((q) => /COUNT\(/i.test(q)).length];
  };
  const [[first, second], pagesCounts] = await counted(async () => {
    const first = await page(null);
    return [first, await page(first.pageInfo.endCursor)];
  });
  expect([first.totalCount, second.totalCount]).toEqual([4, 4]);
  expect(pagesCounts).toBe(0);
  await app.gql(t.adminToken, `mutation($g: ID!, $u: ID!) { addGroupMembers(groupId: $g, members: [{ id: $u }]) { added } }`, { g: g.id, u: ids[5] });
  const [afterAdd, afterAddCounts] = await counted(() => page(null));
  expect(afterAdd.totalCount).toBe(5);
  expect(afterAddCounts).toBe(0);
  await app.gql(t.adminToken, `mutation($g: ID!, $u: ID!) { removeGroupMembers(groupId: $g, memberIds: [$u]) { removed } }`, { g: g.id, u: ids[5] });
  const [both, bothCounts]: [any, number] = await counted(() => app.gql(t.adminToken, `query($g: ID!) { group(id: $g) { memberCount members(first: 2) { totalCount } } }`, { g: g.id }));
  expect([both.data.group.memberCount, both.data.group.members.totalCount]).toEqual([4, 4]);
  expect(bothCounts).toBe(0);
  // A list of groups shows each one's memberCount with its row: no statement of memberships.
  const [list, listCounts]: [any, number] = await counted(() => app.gql(t.adminToken, `{ groups(first: 50) { nodes { id memberCount } } }`));
  expect(list.data.groups.nodes.find((n: { id: string }) => n.id === g.id).memberCount).toBe(4);
  expect(listCounts).toBe(0);
});

test("update and delete a group; a deleted group leaves the groups that contained it", async () => {
  const parent = await app.services.groups.create(t.ctx, { displayName: "Parent" });
  const child = await app.services.groups.create(t.ctx, { displayName: "Child" });
  await app.services.groups.addMembers(t.ctx, parent.id, [{ id: child.id, type: "group" }]);
  const upd = await app.gql<{ updateGroup: any }>(t.adminToken, `mutation($id: ID!) { updateGroup(id: $id, input: { displayName: "Kid", externalId: null }, expectedVersion: 1) { displayName version } }`, { id: child.id });
  expect(upd.data!.updateGroup).toEqual({ displayName: "Kid", version: 2 });
  await app.gql(t.adminToken, `mutation($id: ID!) { deleteGroup(id: $id) }`, { id: child.id });
  const p = await app.gql<{ group: { memberCount: number } }>(t.adminToken, `query($id: ID!) { group(id: $id) { memberCount } }`, { id: parent.id });
  expect(p.data!.group.memberCount).toBe(0);
  const self = await app.gql(t.adminToken, `mutation($id: ID!) { addGroupMembers(groupId: $id, members: [{ id: $id, type: "group" }]) { added } }`, { id: parent.id });
  expect(self.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
});

test("addGroupMembers refuses a group that would contain itself (itself, a 2-cycle, a 3-cycle) with BAD_USER_INPUT on members, and writes nothing; a diamond is fine", async () => {
  const make = async (displayName: string, ...groups: string[]) => (await app.services.groups.create(t.ctx, { displayName, members: groups.map((id) => ({ id, type: "group" as const })) })).id;
  const add = (groupId: string, members: { id: string; type?: string }[]) =>
    app.gql<{ addGroupMembers: { added: string[] } }>(t.adminToken, `mutation($g: ID!, $m: [MemberInput!]!) { addGroupMembers(groupId: $g, members: $m) { added } }`, { g: groupId, m: members });
  const view = async (id: string) => (await app.gql<{ group: unknown }>(t.adminToken, `query($id: ID!) { group(id: $id) { version members(first: 50) { nodes { id } } } }`, { id })).data!.group;
  const c3 = await make("Cycle C");
  const b3 = await make("Cycle B", c3);
  const a3 = await make("Cycle A", b3);
  const before = await Promise.all([a3, b3, c3].map(view));
  const refusals = [
    [await add(c3, [{ id: ids[4] }, { id: c3, type: "group" }]), `group "Cycle C" (${c3}) would contain itself: a group cannot be a member of itself`],
    [await add(b3, [{ id: ids[4] }, { id: a3, type: "group" }]), `group "Cycle B" (${b3}) would contain itself: the group "Cycle A" (${a3}) being added already contains it ("Cycle A" ⊃ "Cycle B")`],
    [await add(c3, [{ id: ids[4] }, { id: a3, type: "group" }]), `group "Cycle C" (${c3}) would contain itself: the group "Cycle A" (${a3}) being added already contains it ("Cycle A" ⊃ "Cycle B" ⊃ "Cycle C")`],
  ] as const;
  for (const [r, message] of refusals) {
    expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "members" });
    expect(r.errors?.[0].message).toBe(message);
  }
  expect(await Promise.all([a3, b3, c3].map(view))).toEqual(before);
  // A ⊃ B, A ⊃ C, B ⊃ D, C ⊃ D: no group contains itself.
  const d = await make("Diamond D");
  const [b, c] = [await make("Diamond B", d), await make("Diamond C")];
  const a = await make("Diamond A", b);
  expect((await add(c, [{ id: d, type: "group" }])).data?.addGroupMembers.added).toEqual([d]);
  expect((await add(a, [{ id: c, type: "group" }, { id: ids[4] }])).data?.addGroupMembers.added.sort()).toEqual([c, ids[4]].sort());
  expect((await add(d, [{ id: a, type: "group" }])).errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "members" });
});

test("members without type (or with type null) are the user of that id, or else the group: createGroup and addGroupMembers; a type that is given is kept to", async () => {
  const add = (groupId: string, members: { id: string; type?: string | null }[]) =>
    app.gql<{ addGroupMembers: { added: string[] } }>(t.adminToken, `mutation($g: ID!, $m: [MemberInput!]!) { addGroupMembers(groupId: $g, members: $m) { added } }`, { g: groupId, m: members });
  const membersOf = async (id: string) =>
    ((await app.gql<{ group: { version: number; members: { nodes: { id: string; type: string }[] } } }>(t.adminToken, `query($id: ID!) { group(id: $id) { version members(first: 50) { nodes { id type } } } }`, { id })).data!.group);
  const pairs = (g: { members: { nodes: { id: string; type: string }[] } }) => g.members.nodes.map((m) => `${m.type}:${m.id}`).sort();
  const inner = (await app.services.groups.create(t.ctx, { displayName: "Untyped inner" })).id;
  const other1 = (await app.services.groups.create(t.ctx, { displayName: "Untyped other" })).id;
  const created = await app.gql<{ createGroup: { id: string } }>(t.adminToken, `mutation($m: [MemberInput!]) { createGroup(input: { displayName: "Untyped outer", members: $m }) { id } }`, { m: [{ id: inner }, { id: ids[0] }] });
  expect(created.errors).toBeUndefined();
  const outer = created.data!.createGroup.id;
  expect(pairs(await membersOf(outer))).toEqual([`group:${inner}`, `user:${ids[0]}`].sort());

  const added = await add(outer, [{ id: other1, type: null }, { id: ids[1] }]);
  expect(added.errors).toBeUndefined();
  expect(added.data!.addGroupMembers.added.sort()).toEqual([other1, ids[1]].sort());
  const before = await membersOf(outer);
  expect(pairs(before)).toEqual([`group:${inner}`, `group:${other1}`, `user:${ids[0]}`, `user:${ids[1]}`].sort());

  const third = (await app.services.groups.create(t.ctx, { displayName: "Untyped third" })).id;
  const refusals = [
    [await add(outer, [{ id: third, type: "user" }]), `not a user or group of this organisation: ${third}`],
    [await add(outer, [{ id: ids[2], type: "group" }]), `not a user or group of this organisation: ${ids[2]}`],
    [await add(outer, [{ id: third }, { id: "00000000-0000-4000-8000-00000000beef" }]), "not a user or group of this organisation: 00000000-0000-4000-8000-00000000beef"],
    [await add(inner, [{ id: outer }]), `group "Untyped inner" (${inner}) would contain itself: the group "Untyped outer" (${outer}) being added already contains it ("Untyped outer" ⊃ "Untyped inner")`],
  ] as const;
  for (const [r, message] of refusals) {
    expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "members" });
    expect(r.errors?.[0].message).toBe(message);
  }
  expect(await membersOf(outer)).toEqual(before);
});

test("more than 10,000 members in one request (addGroupMembers' members, removeGroupMembers' memberIds, createGroup's members) are refused as BAD_USER_INPUT naming the list, before its items are validated and before any SQL; 10,000 work", async () => {
  const g = (await app.services.groups.create(t.ctx, { displayName: "Bounded" })).id;
  // 10,001 members, the last one's type invalid: the bound is what is reported, not the item (it was `type`).
  const over = [...Array.from({ length: 10_000 }, (_, i) => ({ id: `missing-${i}` })), { id: "last", type: "robot" }];
  const cases = [
    ["addGroupMembers", "mutation($g: ID!, $m: [MemberInput!]!) { addGroupMembers(groupId: $g, members: $m) { added } }", { g, m: over }, "members"],
    ["removeGroupMembers", "mutation($g: ID!, $m: [ID!]!) { removeGroupMembers(groupId: $g, memberIds: $m) { removed } }", { g, m: over.map((m) => m.id) }, "memberIds"],
    ["createGroup", 'mutation($m: [MemberInput!]) { createGroup(input: { displayName: "Too many", members: $m }) { id } }', { m: over }, "members"],
  ] as const;
  for (const [name, mutation, variables, field] of cases) {
    const { result: r, statements } = await app.statementsOf(() => app.gql(t.adminToken, mutation, variables));
    expect([name, r.errors?.[0].message, r.errors?.[0].extensions]).toEqual([name, "at most 10000 members can change in one request", { code: "BAD_USER_INPUT", field }]);
    expect(statements.filter((q) => /\b(users|groups|group_memberships)\b/i.test(q))).toEqual([]);
  }
  // 10,000, the six users over and over: each is added once, removed once.
  const atBound = Array.from({ length: 10_000 }, (_, i) => ids[i % ids.length]);
  const added = await app.gql<{ addGroupMembers: { added: string[] } }>(t.adminToken, cases[0][1], { g, m: atBound.map((id) => ({ id, type: "user" })) });
  expect(added.data?.addGroupMembers.added.sort()).toEqual([...ids].sort());
  const removed = await app.gql<{ removeGroupMembers: { removed: string[] } }>(t.adminToken, cases[1][1], { g, m: atBound });
  expect(removed.data?.removeGroupMembers.removed.sort()).toEqual([...ids].sort());
  const created = await app.gql<{ createGroup: { id: string } }>(t.adminToken, cases[2][1], { m: atBound.map((id) => ({ id })) });
  expect(created.errors).toBeUndefined();
  // An item that is not valid is named by its place in the list (it was named `type` alone).
  const bad = await app.gql(t.adminToken, cases[0][1], { g, m: [{ id: ids[0] }, { id: ids[1], type: "robot" }] });
  expect(bad.errors?.[0].extensions).toEqual({ code: "BAD_USER_INPUT", field: "members.1.type" });
});
