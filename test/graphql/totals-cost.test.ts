import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import { parse } from "graphql";
import { buildGraphqlSchema } from "../../src/graphql/schema";
import { MAX_QUERY_COST, requestCost } from "../../src/graphql/shared/query-cost.plugin";
import type { TestApp, TestTenant } from "../support/test-app";
import { useTenant } from "../support/test-tenant";

// What a connection's totalCount costs in the request's cost (query-cost.plugin.ts): a COUNT over the
// whole list, charged once per connection, once per page where a page's totals are one statement
// (directReports), and nothing where the total is read with the parent's row (a group's members:
// its memberCount).

let app: TestApp;
let t: TestTenant;
let managerId: string;
let groupId: string;

useTenant((x) => ({ app, t } = x));
beforeAll(async () => {
  const manager = await app.services.users.create(t.ctx, { userName: "boss@totals.test" });
  const reports = [];
  for (const name of ["ada", "bob", "cy"]) reports.push(await app.services.users.create(t.ctx, { userName: `${name}@totals.test`, managerId: manager.id }));
  const group = await app.services.groups.create(t.ctx, { displayName: "Everyone" });
  await app.services.groups.addMembers(t.ctx, group.id, [manager, ...reports].map((u) => ({ id: u.id, type: "user" as const })));
  managerId = manager.id;
  groupId = group.id;
});

type Refusal = { errors?: { message: string; extensions: { code: string; cost: number; maxCost: number } }[]; data?: unknown };
const post = async (query: string, variables: Record<string, unknown> = {}) => {
  const r = await fetch(`${app.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` }, body: JSON.stringify({ query, variables }) });
  return { status: r.status, body: (await r.json()) as Refusal };
};
/** The COUNTs the request sends (a GROUP BY of direct reports' totals is one), and its answer. */
const countsOf = async (query: string, variables: Record<string, unknown> = {}) => {
  const { result, statements } = await app.statementsOf(() => post(query, variables));
  return { ...result, counts: statements.filter((s) => /COUNT\(/i.test(s)) };
};

/**
 * Every query (not mutation) the admin console sends, as its source writes it: the gql(`…`) templates
 * of src/admin/public, their `${NAME}` filled from the constants of the same file (evaluated as the
 * browser does).
 */
function consoleQueries(): string[] {
  const root = path.join(__dirname, "..", "..", "src", "admin", "public");
  const files = fs.readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".js"));
  const queries: string[] = [];
  for (const file of files) {
    const source = fs.readFileSync(path.join(root, file), "utf8");
    const context = vm.createContext({});
    // Declarations that cannot run alone (a function's locals that read others) are left out: a
    // template that needs one fails below, naming it.
    for (const [, name, value] of source.matchAll(/^\s*const (\w+) = ([^;]*?);$/gms)) {
      try {
        context[name] = vm.runInContext(`(${value})`, context);
      } catch {
        // not a constant
      }
    }
    for (const [, template] of source.matchAll(/gql\(\s*(`[^`]*`|"[^"]*")/g)) {
      if (/^.\s*mutation\b/.test(template)) continue;
      queries.push(vm.runInContext(template, context) as string);
    }
  }
  return queries;
}

describe("the cost of totalCount", () => {
  test("every query of the admin console runs, each at most 5% of the limit; so does the README's example", async () => {
    const queries = consoleQueries();
    const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    const examples = [...readme.matchAll(/-d '(\{"query":.*\})'/g)].map(([, body]) => (JSON.parse(body) as { query: string }).query);
    // The console's five lists with their totals (users, groups, a group's members, a resource's
    // history, the provisioning log) among them: the extraction still finds them.
    expect(queries.filter((q) => q.includes("totalCount"))).toHaveLength(5);
    expect(examples).toHaveLength(1);
    const costOf = requestCost(await buildGraphqlSchema());
    const costs: [string, number | undefined][] = [];
    for (const query of [...queries, ...examples]) {
      // An id the query reads: the group's for a group, else the manager's (a user, a resource's history).
      const variables = /\$id\b/.test(query) ? { id: /group\(id/.test(query) ? groupId : managerId } : {};
      const r = await post(query, variables);
      expect([query, r.status, r.body.errors]).toEqual([query, 200, undefined]);
      costs.push([query, costOf(parse(query), undefined, variables)]);
    }
    expect(costs.filter(([, cost]) => !(cost! <= MAX_QUERY_COST / 20))).toEqual([]);
  });

  test("49 totals of different lists in one request run; 50, or 100, are refused with QUERY_TOO_COMPLEX before anything is counted", async () => {
    // Each a different filter: none is the total another alias counts.
    const lists = [(x: string) => `users(first: 0, filter: { text: "${x}" })`, (x: string) => `groups(first: 0, filter: { text: "${x}" })`, (x: string) => `auditEvents(first: 0, filter: { resourceId: "${x}" })`, (x: string) => `provisioningLog(first: 0, filter: { resourceId: "${x}" })`];
    const totals = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `t${i}: ${lists[i % lists.length](`x${i}`)} { totalCount }`).join(" ")} }`;
    for (const [n, cost] of [
      [50, 50_050],
      [100, 100_100],
    ]) {
      const r = await countsOf(totals(n));
      expect(r.status).toBe(400);
      expect(r.body.errors![0].extensions).toEqual({ code: "QUERY_TOO_COMPLEX", cost, maxCost: MAX_QUERY_COST });
      expect(r.counts).toEqual([]);
    }
    const within = await post(totals(49));
    expect(within.body.errors).toBeUndefined();
    expect(Object.values(within.body.data as Record<string, { totalCount: number }>).every((list) => list.totalCount === 0)).toBe(true);
  });

  test("a group's members' totals are read with each group (its memberCount): a page of 100 groups with them costs no total and runs no COUNT", async () => {
    const perGroup = (n: number) => `{ groups(first: ${n}) { nodes { id members(first: 0) { ...Total } } } } fragment Total on GroupMemberConnection { totalCount }`;
    // The page: 1 + 100 × (nodes' 1 + id + members' 1); it cost 100,301 when each group's members were counted.
    expect(requestCost(await buildGraphqlSchema())(parse(perGroup(100)), undefined, {})).toBe(301);
    // A write forgets the organisation's kept totals: a count would run now, if any did.
    await app.services.groups.update(t.ctx, groupId, { externalId: "everyone" });
    const page = await countsOf(perGroup(100));
    expect(page.body).toEqual({ data: { groups: { nodes: [{ id: groupId, members: { totalCount: 4 } }] } } });
    expect(page.counts).toEqual([]);
    const one = await countsOf(`query($g: ID!) { group(id: $g) { memberCount members(first: 2) { totalCount nodes { id } } } }`, { g: groupId });
    expect(one.body.data).toEqual({ group: { memberCount: 4, members: { totalCount: 4, nodes: [expect.anything(), expect.anything()] } } });
    expect(one.counts).toEqual([]);
  });

  test("direct reports' totals, one statement for a page of managers, cost one total however large the page", async () => {
    const query = `{ users(first: 500) { totalCount nodes { userName directReports(first: 5) { totalCount nodes { userName } } } } }`;
    await app.services.users.update(t.ctx, managerId, { title: "Boss" });
    const r = await countsOf(query);
    expect(r.body.errors).toBeUndefined();
    const users = (r.body.data as { users: { totalCount: number; nodes: { userName: string; directReports: { totalCount: number } }[] } }).users;
    expect(users.totalCount).toBe(4);
    expect(users.nodes.map((u) => [u.userName, u.directReports.totalCount])).toEqual([
      ["ada@totals.test", 0],
      ["bob@totals.test", 0],
      ["boss@totals.test", 3],
      ["cy@totals.test", 0],
    ]);
    // The users' total and the reports' totals of the whole page: two counts.
    expect(r.counts).toHaveLength(2);
    // Two totals (2,000) and the page: 1 + 500 × (1 + userName + directReports' 1 + 5 × 2).
    expect(requestCost(await buildGraphqlSchema())(parse(query), undefined, {})).toBe(8_501);
  });
});

describe("what @skip and @include leave out, and the same total asked twice", () => {
  const costOf = async (query: string, variables: Record<string, unknown>) => requestCost(await buildGraphqlSchema())(parse(query), undefined, variables);
  /** A write forgets the organisation's kept totals: a total asked for now is counted. */
  const forgetTotals = () => app.services.users.update(t.ctx, managerId, { title: `Boss ${Math.random()}` });

  test("a totalCount that @skip or @include leaves out (literal, a variable, a variable's default; on the total, a fragment, an inline fragment, the connection) is neither counted nor charged", async () => {
    // Each case: the query, with the variables that leave the total out, then those that keep it; its
    // cost without and with the total; the COUNTs it sends with the total (one, unless read with its parent).
    const cases: [string, (on: boolean) => [string, Record<string, unknown>], [number, number], number?][] = [
      ["literal @skip", (on) => [`{ users(first: 1) { totalCount @skip(if: ${!on}) nodes { id } } }`, {}], [3, 1_003]],
      ["@include from a variable", (on) => [`query($i: Boolean!) { users(first: 1) { totalCount @include(if: $i) nodes { id } } }`, { i: on }], [3, 1_003]],
      ["a variable's default", (on) => [`query($s: Boolean = true) { users(first: 1) { totalCount @skip(if: $s) nodes { id } } }`, on ? { s: false } : {}], [3, 1_003]],
      ["a fragment spread", (on) => [`query($s: Boolean!) { users(first: 1) { ...Total @skip(if: $s) nodes { id } } } fragment Total on UserConnection { totalCount }`, { s: !on }], [3, 1_003]],
      ["inside a fragment", (on) => [`query($s: Boolean!) { groups(first: 1) { ...Total nodes { id } } } fragment Total on GroupConnection { totalCount @skip(if: $s) }`, { s: !on }], [3, 1_003]],
      ["an inline fragment", (on) => [`query($i: Boolean!) { groups(first: 1) { ... @include(if: $i) { totalCount } nodes { id } } }`, { i: on }], [3, 1_003]],
      ["a group's members", (on) => [`query($s: Boolean!) { groups(first: 20) { nodes { members(first: 0) { totalCount @skip(if: $s) } } } }`, { s: !on }], [41, 41], 0],
      ["direct reports", (on) => [`query($s: Boolean!) { users(first: 20) { nodes { directReports(first: 1) { totalCount @skip(if: $s) } } } }`, { s: !on }], [41, 1_041]],
      ["the connection", (on) => [`query($s: Boolean!) { users(first: 1) { nodes { id } } total: groups(first: 0) @skip(if: $s) { totalCount } }`, { s: !on }], [3, 1_004]],
    ];
    for (const [name, make, costs, keptCounts = 1] of cases) {
      await forgetTotals();
      const left = await countsOf(...make(false));
      expect([name, left.status, left.body.errors, JSON.stringify(left.body.data).includes("totalCount"), left.counts]).toEqual([name, 200, undefined, false, []]);
      // The same request keeping its total counts it: nothing else left the COUNT out.
      await forgetTotals();
      const kept = await countsOf(...make(true));
      expect([name, kept.body.errors, JSON.stringify(kept.body.data).includes("totalCount"), kept.counts.length]).toEqual([name, undefined, true, keptCounts]);
      expect([name, await costOf(...make(false)), await costOf(...make(true))]).toEqual([name, ...costs]);
    }
  });

  test("50 totals all left out by @skip run, counting nothing; kept, they are refused", async () => {
    const totals = `query($s: Boolean!) { ${Array.from({ length: 50 }, (_, i) => `t${i}: users(first: 0, filter: { text: "skip${i}" }) { totalCount @skip(if: $s) }`).join(" ")} }`;
    const left = await countsOf(totals, { s: true });
    expect([left.status, left.body.errors, left.counts]).toEqual([200, undefined, []]);
    const kept = await countsOf(totals, { s: false });
    expect([kept.status, kept.body.errors![0].extensions, kept.counts]).toEqual([400, { code: "QUERY_TOO_COMPLEX", cost: 50_050, maxCost: MAX_QUERY_COST }, []]);
  });

  test("the same total asked for twice on one object with the same arguments (aliases, the field twice) is counted once and charged once; a log's, counted each time, is charged each time", async () => {
    const AUDIT = `auditEvents(first: 0, filter: { resourceId: "${managerId}" }) { totalCount }`;
    const LOG = `provisioningLog(first: 0) { totalCount }`;
    // Each case: the query, its variables, the COUNTs it sends, its cost.
    const cases: [string, string, Record<string, unknown>, number, number][] = [
      ["users, aliased", `{ a: users(first: 0) { totalCount } b: users(first: 0) { totalCount } }`, {}, 1, 1_002],
      ["users, the same field twice", `{ users(first: 0) { totalCount } ... on Query { users(first: 0) { totalCount } } }`, {}, 1, 1_002],
      ["users, a filter from a variable and the same literal", `query($f: UserFilterInput) { a: users(first: 0, filter: $f) { totalCount } b: users(first: 0, filter: { text: "ada" }) { totalCount } }`, { f: { text: "ada" } }, 1, 1_002],
      ["users, another filter", `{ a: users(first: 0) { totalCount } b: users(first: 0, filter: { text: "ada" }) { totalCount } }`, {}, 2, 2_002],
      ["groups, aliased", `{ a: groups(first: 0) { totalCount } b: groups(first: 0) { totalCount } }`, {}, 1, 1_002],
      // Read with the group (its memberCount): no COUNT, no total's cost.
      ["a group's members, aliased", `query($id: ID!) { group(id: $id) { a: members(first: 0) { totalCount } b: members(first: 0) { ...Total } } } fragment Total on GroupMemberConnection { totalCount }`, { id: groupId }, 0, 3],
      ["direct reports, aliased", `{ users(first: 10) { nodes { a: directReports(first: 5) { totalCount } b: directReports(first: 5) { totalCount } } } }`, {}, 1, 1_031],
    ];
    for (const [name, query, variables, counts, cost] of cases) {
      await forgetTotals();
      const r = await countsOf(query, variables);
      expect([name, r.status, r.body.errors, r.counts.length, await costOf(query, variables)]).toEqual([name, 200, undefined, counts, cost]);
    }
    // The logs' totals: their recent entries are counted on every call (SettledTotals), so at least
    // twice for two aliases (four when their settled part is not kept: a purge forgets it, at any time).
    for (const [name, list] of [
      ["the audit trail", AUDIT],
      ["the provisioning log", LOG],
    ]) {
      const twice = await countsOf(`{ a: ${list} b: ${list} }`);
      expect([name, twice.body.errors, twice.counts.length >= 2, await costOf(`{ a: ${list} b: ${list} }`, {})]).toEqual([name, undefined, true, 2_002]);
    }
    // 60 aliases of one total run, and count once; of a log's total, they are still refused.
    await forgetTotals();
    const users = await countsOf(`{ ${Array.from({ length: 60 }, (_, i) => `u${i}: users(first: 0) { totalCount }`).join(" ")} }`);
    expect([users.status, users.body.errors, users.counts.length]).toEqual([200, undefined, 1]);
    const logs = await countsOf(`{ ${Array.from({ length: 60 }, (_, i) => `l${i}: ${LOG}`).join(" ")} }`);
    expect([logs.status, logs.body.errors![0].extensions, logs.counts]).toEqual([400, { code: "QUERY_TOO_COMPLEX", cost: 60_060, maxCost: MAX_QUERY_COST }, []]);
  });
});
