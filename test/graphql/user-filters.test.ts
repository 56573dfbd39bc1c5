import type { TestApp, TestTenant } from "../support/test-app";
import { useTenant } from "../support/test-tenant";
import type { UserChanges } from "../../src/domain/users/user.service";

let app: TestApp;
let a: TestTenant;
let b: TestTenant;

interface Node {
  id: string;
  userName: string;
}
interface Page {
  totalCount: number;
  nodes: Node[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const LIST = `query($filter: UserFilterInput, $first: Int, $after: String) {
  users(filter: $filter, first: $first, after: $after) { totalCount nodes { id userName } pageInfo { hasNextPage endCursor } } }`;

async function list(t: TestTenant, filter: Record<string, unknown>, first = 100, after?: string | null) {
  const r = await app.gql<{ users: Page }>(t.adminToken, LIST, { filter, first, after });
  return r;
}

async function names(t: TestTenant, filter: Record<string, unknown>): Promise<string[]> {
  const r = await list(t, filter);
  expect(r.errors).toBeUndefined();
  return r.data!.users.nodes.map((n) => n.userName);
}

/** The same directory in both organisations: the same departments, field names, values and user names. */
async function seed(t: TestTenant) {
  const ctx = t.ctx;
  await app.services.customFields.define(ctx, { key: "level", type: "number" });
  await app.services.customFields.define(ctx, { key: "tier", type: "enum", options: ["Gold", "Silver"] });
  const make = (userName: string, changes: UserChanges = {}) => app.services.users.create(ctx, { userName, ...changes });
  const boss = await make("boss@f.test", { department: "Management", division: "HQ", costCenter: "CC-1", organization: "Acme" });
  const other = await make("other-boss@f.test", { department: "Management" });
  const users = {
    boss,
    other,
    ada: await make("ada@f.test", { managerId: boss.id, department: "Engineering", division: "Product", costCenter: "CC-7", organization: "Acme", customFields: { area: "North", level: 3, tier: "Gold" } }),
    bob: await make("bob@f.test", { managerId: boss.id, department: "ENGINEERING", division: "product", costCenter: "cc-7", organization: "ACME", customFields: { area: "north", level: 2, tier: "Silver" } }),
    cy: await make("cy@f.test", { managerId: boss.id, department: "Sales", active: false, customFields: { area: "North", level: 3 } }),
    dee: await make("dee@f.test", { managerId: other.id, department: "Engineering", customFields: { area: "South", tier: "gold" } }),
    eve: await make("eve@f.test", { department: "Engineering Ops", customFields: { area: "North East" } }),
  };
  return users;
}

let usersA: Awaited<ReturnType<typeof seed>>;
let usersB: Awaited<ReturnType<typeof seed>>;

useTenant((x) => ({ app, t: a, other: b } = x), { other: true });
beforeAll(async () => {
  usersA = await seed(a);
  usersB = await seed(b);
}, 120_000);

describe("users(filter:) by manager, department, division, costCenter, organization and custom field", () => {
  test("managerId lists the manager's direct reports", async () => {
    expect(await names(a, { managerId: usersA.boss.id })).toEqual(["ada@f.test", "bob@f.test", "cy@f.test"]);
    expect(await names(a, { managerId: usersA.other.id })).toEqual(["dee@f.test"]);
    expect(await names(a, { managerId: usersA.ada.id })).toEqual([]);
    expect(await names(a, { managerId: "no-such-user" })).toEqual([]);
  });

  test("department, division, costCenter and organization are equal in any case, never contained", async () => {
    expect(await names(a, { department: "engineering" })).toEqual(["ada@f.test", "bob@f.test", "dee@f.test"]);
    expect(await names(a, { department: "Engineering" })).toEqual(["ada@f.test", "bob@f.test", "dee@f.test"]);
    expect(await names(a, { department: "Engineer" })).toEqual([]);
    expect(await names(a, { department: "engineering ops" })).toEqual(["eve@f.test"]);
    expect(await names(a, { division: "PRODUCT" })).toEqual(["ada@f.test", "bob@f.test"]);
    expect(await names(a, { costCenter: "cc-7" })).toEqual(["ada@f.test", "bob@f.test"]);
    expect(await names(a, { organization: "acme" })).toEqual(["ada@f.test", "bob@f.test", "boss@f.test"]);
  });

  test("customField matches the stored value of that field exactly, typed as the field is", async () => {
    expect(await names(a, { customField: { name: "area", value: "North" } })).toEqual(["ada@f.test", "cy@f.test"]);
    expect(await names(a, { customField: { name: "area", value: "north" } })).toEqual(["bob@f.test"]);
    expect(await names(a, { customField: { name: "area", value: "Nor" } })).toEqual([]);
    // The field's key in any case; a number as a number (3.0 is stored as 3); an enum option in any case.
    expect(await names(a, { customField: { name: "LEVEL", value: "3.0" } })).toEqual(["ada@f.test", "cy@f.test"]);
    expect(await names(a, { customField: { name: "tier", value: "GOLD" } })).toEqual(["ada@f.test", "dee@f.test"]);
    // The enterprise column and the seeded custom field of the same name are different things.
    expect(await names(a, { customField: { name: "department", value: "Engineering" } })).toEqual([]);
  });

  test("an unknown custom field, or a value its type refuses, is BAD_USER_INPUT naming it", async () => {
    const unknown = await list(a, { customField: { name: "shoeSize", value: "42" } });
    expect(unknown.data).toBeNull();
    expect(unknown.errors).toHaveLength(1);
    expect(unknown.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "filter.customField" });
    expect(unknown.errors![0].message).toBe('no custom field "shoeSize" is defined in this organisation');
    const notANumber = await list(a, { customField: { name: "level", value: "high" } });
    expect(notANumber.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "filter.customField" });
    expect(notANumber.errors![0].message).toBe('"level" expects a number, got "high"');
    // A field defined only in the other organisation is unknown here.
    await app.services.customFields.define(b.ctx, { key: "onlyInB" });
    const elsewhere = await list(a, { customField: { name: "onlyInB", value: "x" } });
    expect(elsewhere.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT" });
    expect(elsewhere.errors![0].message).toContain('"onlyInB"');
  });

  test("filters combine (all must hold), with the existing ones too", async () => {
    expect(await names(a, { managerId: usersA.boss.id, department: "engineering" })).toEqual(["ada@f.test", "bob@f.test"]);
    expect(await names(a, { managerId: usersA.boss.id, customField: { name: "area", value: "North" } })).toEqual(["ada@f.test", "cy@f.test"]);
    expect(await names(a, { managerId: usersA.boss.id, customField: { name: "area", value: "North" }, active: true })).toEqual(["ada@f.test"]);
    expect(await names(a, { department: "ENGINEERING", customField: { name: "tier", value: "gold" }, text: "dee" })).toEqual(["dee@f.test"]);
    expect(await names(a, { department: "engineering", division: "product", costCenter: "CC-7", organization: "Acme", customField: { name: "level", value: "2" } })).toEqual(["bob@f.test"]);
  });

  test("nothing crosses organisations: the same department, field names and values, and another organisation's manager id", async () => {
    expect(await names(b, { department: "engineering" })).toEqual(["ada@f.test", "bob@f.test", "dee@f.test"]);
    const inB = (await list(b, { department: "engineering" })).data!.users.nodes.map((n) => n.id);
    expect(inB).toEqual([usersB.ada.id, usersB.bob.id, usersB.dee.id]);
    const inA = (await list(a, { department: "engineering", customField: { name: "area", value: "North" } })).data!.users.nodes.map((n) => n.id);
    expect(inA).toEqual([usersA.ada.id]);
    // A's manager id, asked in B (and B's in A): nobody.
    expect(await names(b, { managerId: usersA.boss.id })).toEqual([]);
    expect(await names(a, { managerId: usersB.boss.id })).toEqual([]);
    const totals = await list(a, { organization: "acme" });
    expect(totals.data!.users.totalCount).toBe(3);
  });

  test("a filtered list pages by its cursor: every matching user exactly once, in order, totals agree", async () => {
    const t = await app.tenant();
    const boss = await app.services.users.create(t.ctx, { userName: "zz-boss@p.test" });
    const expected: string[] = [];
    for (let i = 0; i < 23; i++) {
      const userName = `p-${String(i).padStart(2, "0")}@p.test`;
      const inDept = i % 3 !== 0;
      await app.services.users.create(t.ctx, { userName, department: inDept ? (i % 2 ? "Research" : "RESEARCH") : "Other", managerId: i % 5 ? boss.id : null, customFields: { area: i % 4 ? "East" : "West" } });
      if (inDept && i % 5 && i % 4) expected.push(userName);
    }
    const filter = { department: "research", managerId: boss.id, customField: { name: "area", value: "East" } };
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const r = await list(t, filter, 4, after);
      expect(r.errors).toBeUndefined();
      const p = r.data!.users;
      expect(p.totalCount).toBe(expected.length);
      seen.push(...p.nodes.map((n) => n.userName));
      if (!p.pageInfo.hasNextPage) break;
      after = p.pageInfo.endCursor;
    }
    expect(expected.length).toBeGreaterThan(8);
    expect(seen).toEqual(expected);
  });
});

const REPORTS = `query($id: ID!, $first: Int, $after: String) { user(id: $id) {
  directReports(first: $first, after: $after) { totalCount nodes { userName manager { id } } pageInfo { hasNextPage endCursor } } } }`;

describe("User.directReports", () => {
  test("a connection of the user's direct reports in userName order, paged by its cursor, within the organisation", async () => {
    const first = await app.gql<{ user: { directReports: Omit<Page, "nodes"> & { nodes: (Node & { manager: { id: string } })[] } } }>(a.adminToken, REPORTS, { id: usersA.boss.id, first: 2 });
    expect(first.errors).toBeUndefined();
    const p1 = first.data!.user.directReports;
    expect(p1.totalCount).toBe(3);
    expect(p1.nodes.map((n) => n.userName)).toEqual(["ada@f.test", "bob@f.test"]);
    expect(p1.nodes.every((n) => n.manager.id === usersA.boss.id)).toBe(true);
    expect(p1.pageInfo.hasNextPage).toBe(true);
    const second = await app.gql<{ user: { directReports: Page } }>(a.adminToken, REPORTS, { id: usersA.boss.id, first: 2, after: p1.pageInfo.endCursor });
    expect(second.data!.user.directReports.nodes.map((n) => n.userName)).toEqual(["cy@f.test"]);
    expect(second.data!.user.directReports.pageInfo.hasNextPage).toBe(false);
    const none = await app.gql<{ user: { directReports: Page } }>(a.adminToken, REPORTS, { id: usersA.ada.id, first: 2 });
    expect(none.data!.user.directReports).toEqual({ totalCount: 0, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
    // B's boss has B's reports only (the same names, other ids).
    const inB = await app.gql<{ user: { directReports: Page } }>(b.adminToken, `query($id: ID!) { user(id: $id) { directReports { nodes { id } } } }`, { id: usersB.boss.id });
    expect(inB.data!.user.directReports.nodes.map((n) => n.id)).toEqual([usersB.ada.id, usersB.bob.id, usersB.cy.id]);
    const bad = await app.gql(a.adminToken, REPORTS, { id: usersA.boss.id, first: 2, after: "not a cursor" });
    expect(bad.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    // A cursor of one manager's reports is not one of another's (nor of the users list).
    const elsewhere = await app.gql(a.adminToken, REPORTS, { id: usersA.other.id, first: 2, after: p1.pageInfo.endCursor });
    expect(elsewhere.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
    const asUsers = await list(a, { managerId: usersA.boss.id }, 2, p1.pageInfo.endCursor);
    expect(asUsers.errors![0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "after" });
  });

  test("a page of managers with their direct reports costs a constant number of SQL round trips", async () => {
    const t = await app.tenant();
    const group = await app.services.groups.create(t.ctx, { displayName: "Reports" });
    for (let m = 0; m < 100; m++) {
      const manager = await app.services.users.create(t.ctx, { userName: `m-${String(m).padStart(3, "0")}@r.test`, department: "Leads" });
      for (let r = 0; r < 3; r++) {
        const report = await app.services.users.create(t.ctx, { userName: `r-${String(m).padStart(3, "0")}-${r}@r.test`, managerId: manager.id, emails: [{ value: `r-${m}-${r}@r.test` }] });
        if (r === 0) await app.services.groups.addMembers(t.ctx, group.id, [{ id: report.id }]);
      }
    }
    const PAGE = `query($first: Int!) { users(first: $first, filter: { department: "leads" }) { nodes { userName
      directReports(first: 2) { totalCount nodes { userName emails { value } groups { displayName } manager { userName } } pageInfo { hasNextPage } } } } }`;
    type Managers = { users: { nodes: { userName: string; directReports: { totalCount: number; nodes: { userName: string; emails: { value: string }[]; groups: { displayName: string }[]; manager: { userName: string } }[]; pageInfo: { hasNextPage: boolean } } }[] } };
    const counts: Record<number, number> = {};
    let statements: string[] = [];
    for (const first of [10, 100]) {
      await app.gql(t.adminToken, PAGE, { first }); // the organisation's cached reads out of the measurement
      const recorded = await app.statementsOf(() => app.gql<Managers>(t.adminToken, PAGE, { first }));
      const r = recorded.result;
      statements = recorded.statements;
      expect(r.errors).toBeUndefined();
      const nodes = r.data!.users.nodes;
      expect(nodes).toHaveLength(first);
      for (const [i, n] of nodes.entries()) {
        const m = String(i).padStart(3, "0");
        expect(n.directReports.totalCount).toBe(3);
        expect(n.directReports.pageInfo.hasNextPage).toBe(true);
        expect(n.directReports.nodes.map((x) => x.userName)).toEqual([`r-${m}-0@r.test`, `r-${m}-1@r.test`]);
        expect(n.directReports.nodes.map((x) => x.manager.userName)).toEqual([n.userName, n.userName]);
        expect(n.directReports.nodes[0].groups).toEqual([{ displayName: "Reports" }]);
        expect(n.directReports.nodes[1].emails).toEqual([{ value: `r-${i}-1@r.test` }]);
      }
      counts[first] = statements.length;
    }
    if (process.env.SHOW_SQL) console.log(counts, statements.join("\n"));
    expect(counts[100]).toBe(counts[10]);
    // The page, the reports and their totals, their contacts, groups and managers.
    expect(counts[100]).toBeLessThanOrEqual(6);
  }, 180_000);
});
