import { type TestApp, type TestTenant, startTestApp } from "./support/test-app";

let app: TestApp;
let t: TestTenant;
beforeAll(async () => {
  app = await startTestApp();
  t = await app.tenant();
});
afterAll(() => app.close());

test("40 concurrent creates through GraphQL: distinct names all land, duplicates lose cleanly, the audit trail agrees", async () => {
  const names = Array.from({ length: 30 }, (_, i) => `c${i}@conc.test`);
  const dupes = Array.from({ length: 10 }, () => "same@conc.test");
  const results = await Promise.all(
    [...names, ...dupes].map((userName) => app.gql<{ createUser: { id: string } }>(t.adminToken, `mutation($u: String!) { createUser(input: { userName: $u, emails: [{ value: $u }] }) { id } }`, { u: userName })),
  );
  const ok = results.filter((r) => !r.errors);
  const conflicts = results.filter((r) => r.errors?.[0].extensions?.code === "CONFLICT");
  expect(ok).toHaveLength(31);
  expect(conflicts).toHaveLength(9);
  const count = await app.gql<{ users: { totalCount: number } }>(t.adminToken, `{ users(filter: { text: "conc.test" }) { totalCount } }`);
  expect(count.data!.users.totalCount).toBe(31);
  const created = await app.services.audit.list(t.ctx, { action: "user.created" }, { first: 100 });
  expect(created.totalCount).toBe(31);
});

test("concurrent membership changes of one group keep every member, once", async () => {
  const group = await app.services.groups.create(t.ctx, { displayName: "Busy" });
  const users = await Promise.all(Array.from({ length: 20 }, (_, i) => app.services.users.create(t.ctx, { userName: `g${i}@conc.test` })));
  // Each user is added twice, by two racing requests.
  await Promise.all(
    [...users, ...users].map((u) => app.gql(t.adminToken, `mutation($g: ID!, $u: ID!) { addGroupMembers(groupId: $g, members: [{ id: $u }]) { added } }`, { g: group.id, u: u.id })),
  );
  const members = await app.services.groups.members(t.ctx, group.id, { first: 100 });
  expect(members.totalCount).toBe(20);
  expect(new Set(members.items.map((m) => m.id))).toEqual(new Set(users.map((u) => u.id)));
  const g = await app.services.groups.get(t.ctx, group.id);
  const added = await app.services.audit.list(t.ctx, { action: "group.members.added", resourceId: group.id }, { first: 100 });
  expect(added.totalCount).toBe(20);
  expect(g.version).toBe(21);
});
