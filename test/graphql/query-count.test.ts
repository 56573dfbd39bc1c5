import type { TestApp, TestTenant } from "../support/test-app";
import { useTenant } from "../support/test-tenant";

let app: TestApp;
let t: TestTenant;

const PAGE = `query($first: Int!) { users(first: $first) { totalCount nodes {
  id userName emails { value } phoneNumbers { value } roles { name } customFields groups { id displayName }
  manager { id userName emails { value } } } } }`;

async function seed(n: number, prefix: string) {
  const ctx = t.ctx;
  const boss = await app.services.users.create(ctx, { userName: `${prefix}-boss@q.test`, emails: [{ value: `${prefix}-boss@q.test` }] });
  const groups = [];
  for (let g = 0; g < 5; g++) groups.push(await app.services.groups.create(ctx, { displayName: `${prefix} group ${g}` }));
  for (let i = 0; i < n; i++) {
    const u = await app.services.users.create(ctx, {
      userName: `${prefix}-${String(i).padStart(3, "0")}@q.test`,
      emails: [{ value: `${prefix}-${i}@q.test`, primary: true }],
      phoneNumbers: [{ value: `+1 555 ${i}` }],
      roles: [i % 2 ? "admin" : "member"],
      customFields: { area: `area-${i % 3}` },
      managerId: boss.id,
    });
    await app.services.groups.addMembers(ctx, groups[i % 5].id, [{ id: u.id }]);
  }
}

useTenant((x) => ({ app, t } = x));

test("a page of users with emails, phones, roles, custom fields, groups and manager costs a constant number of SQL queries", async () => {
  await seed(100, "n");
  const counts: Record<number, number> = {};
  let statements: string[] = [];
  for (const first of [10, 100]) {
    await app.gql(t.adminToken, PAGE, { first }); // the organisation's roles and custom fields cached
    const recorded = await app.statementsOf(() => app.gql<{ users: { nodes: { groups: unknown[]; roles: unknown[]; manager: { userName: string } | null }[] } }>(t.adminToken, PAGE, { first }));
    const r = recorded.result;
    statements = recorded.statements;
    expect(r.errors).toBeUndefined();
    const nodes = r.data!.users.nodes;
    expect(nodes).toHaveLength(first);
    expect(nodes.filter((n) => n.manager?.userName === "n-boss@q.test").length).toBeGreaterThan(0);
    counts[first] = statements.length;
  }
  // count, page; per level of users: contacts, role assignments, custom values, managers, roles,
  // field definitions; groups; the managers (second level) again contacts, role assignments, custom values.
  if (process.env.SHOW_SQL) console.log(statements.join("\n"));
  expect(counts[100]).toBe(counts[10]);
  expect(counts[100]).toBeLessThanOrEqual(14);
}, 60_000);

test("a connection counts the directory only when the query asks for totalCount", async () => {
  const { statements } = await app.statementsOf(() => app.gql(t.adminToken, `{ users(first: 5) { nodes { id } } }`));
  expect(statements.filter((q) => /COUNT\(/i.test(q))).toEqual([]);
  // A change to the organisation forgets its cached totals: the next page counts once, the one after does not.
  await app.services.users.create(t.ctx, { userName: "counted@x.test" });
  const counts = async () => {
    const { result: r, statements } = await app.statementsOf(() => app.gql(t.adminToken, `{ users(first: 5) { totalCount } }`));
    return { total: (r.data as { users: { totalCount: number } }).users.totalCount, statements: statements.filter((q) => /COUNT\(/i.test(q)).length };
  };
  const first = await counts();
  expect(first.statements).toBe(1);
  expect(await counts()).toEqual({ total: first.total, statements: 0 });
  await app.services.users.create(t.ctx, { userName: "counted-too@x.test" });
  expect(await counts()).toEqual({ total: first.total + 1, statements: 1 });
});

test("pages that ask for totalCount at once, with no total kept, count the directory once between them", async () => {
  const tenant = await app.tenant();
  for (let i = 0; i < 3; i++) await app.services.users.create(tenant.ctx, { userName: `herd-${i}@x.test` });
  const { result: pages, statements } = await app.statementsOf(() => Promise.all(Array.from({ length: 8 }, () => app.gql<{ users: { totalCount: number } }>(tenant.adminToken, `{ users(first: 2) { totalCount nodes { id } } }`))));
  expect(pages.map((p) => p.data?.users.totalCount)).toEqual(Array(8).fill(3));
  expect(statements.filter((q) => /COUNT\(/i.test(q))).toHaveLength(1);
});
