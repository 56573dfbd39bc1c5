import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";

// What a connection's totalCount costs in the request's cost (query-cost.plugin.ts): a COUNT over the
// whole list, charged once per connection, and once per parent where each parent counts its own
// (a group's members), once per page where a page's totals are one statement (directReports).

let app: TestApp;
let t: TestTenant;
let groupId: string;

beforeAll(async () => {
  app = await startTestApp();
  t = await app.tenant();
  const manager = await app.services.users.create(t.ctx, { userName: "boss@totals.test" });
  const reports = [];
  for (const name of ["ada", "bob", "cy"]) reports.push(await app.services.users.create(t.ctx, { userName: `${name}@totals.test`, managerId: manager.id }));
  const group = await app.services.groups.create(t.ctx, { displayName: "Everyone" });
  await app.services.groups.addMembers(t.ctx, group.id, [manager, ...reports].map((u) => ({ id: u.id, type: "user" as const })));
  groupId = group.id;
});
afterAll(() => app.close());

type Refusal = { errors?: { message: string; extensions: { code: string } }[]; data?: unknown };
const post = async (query: string, variables: Record<string, unknown> = {}) => {
  const r = await fetch(`${app.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` }, body: JSON.stringify({ query, variables }) });
  return { status: r.status, body: (await r.json()) as Refusal };
};
const counts = () => app.queries.statements.filter((s) => /COUNT\(/i.test(s));

describe("the cost of totalCount", () => {
  test("a group's members without totalCount are not counted", async () => {
    // A write forgets the organisation's kept totals: a count would run now.
    await app.services.groups.update(t.ctx, groupId, { externalId: "everyone" });
    app.queries.reset();
    const r = await post(`{ groups(first: 10) { nodes { members(first: 2) { nodes { id } } } } }`);
    expect(r.body.errors).toBeUndefined();
    expect(counts()).toEqual([]);
    const counted = await post(`{ groups(first: 10) { nodes { members(first: 2) { totalCount } } } }`);
    expect(counted.body).toEqual({ data: { groups: { nodes: [{ members: { totalCount: 4 } }] } } });
  });
});
