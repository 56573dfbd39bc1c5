import { scimClient } from "./support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "./support/test-app";

/**
 * The plans the database picks for the statements that must not grow with the directory. A plan
 * that reads an index by its first column only, skipping rows one by one to reach a page, costs
 * nothing in a small test database and seconds in a large one: EXPLAIN shows it at any size, where
 * no timing in a test could.
 */
let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startTestApp();
  t = await app.tenant();
});
afterAll(() => app.close());

/** The columns of the index a statement's read of `users u` is bounded by. */
async function boundColumns(sql: string, params: unknown[]): Promise<string[]> {
  if (app.services.db.dialect === "mysql") {
    const [row] = await app.dataSource.query(`EXPLAIN FORMAT=JSON ${sql}`, params);
    const plan = JSON.parse(row.EXPLAIN) as { query_block: { nested_loop: { table: { key: string; access_type: string; used_key_parts: string[] } }[] } };
    const { table } = plan.query_block.nested_loop[0];
    expect(table.key).toBe("UQ_users_organisation_userNameKey");
    return table.access_type === "range" || table.access_type === "ref" ? table.used_key_parts : [];
  }
  const rows: { detail: string }[] = await app.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
  const m = rows.map((r) => /USING (?:COVERING )?INDEX UQ_users_organisation_userNameKey \(([^)]*)\)/.exec(r.detail)).find(Boolean);
  return m ? m[1].split(" AND ").map((c) => c.replace(/[=<>?]+/g, "")) : [];
}

test("paging through the directory seeks each page's first user: the userName index is read as a range, not skipped through", async () => {
  for (let j = 0; j < 250; j++) await app.services.users.create(t.ctx, { userName: `plan-${String(j).padStart(4, "0")}@p.test` });
  const c = scimClient(app.url, t.scimToken);
  const pages: { sql: string; params: unknown[] }[] = [];
  for (const startIndex of [1, 101, 201]) {
    app.queries.reset();
    const r = await c.get(`/Users?startIndex=${startIndex}&count=100`);
    expect(r.status).toBe(200);
    const at = app.queries.statements.findIndex((s) => /^SELECT u\.\*.* FROM users u/.test(s));
    pages.push({ sql: app.queries.statements[at], params: app.queries.parameters[at] });
  }
  // Pages after the first continue from the previous page's last userName (a seek, no OFFSET) …
  for (const p of pages.slice(1)) expect(p.sql).toMatch(/userNameKey > \?.* LIMIT 100$/);
  // … and the database bounds its read by both columns of the index.
  for (const p of pages.slice(1)) expect(await boundColumns(p.sql, p.params)).toEqual(["organisationId", "userNameKey"]);
  // A page whose start no page ended at (asked while the page before was in flight) finds its first
  // key from the nearest page end by the userName index alone (covering: no user row is read) …
  app.queries.reset();
  expect((await c.get(`/Users?startIndex=151&count=50`)).status).toBe(200);
  const skip = app.queries.statements.findIndex((s) => /^SELECT u\.userNameKey FROM users u/.test(s));
  const [skipSql, skipParams] = [app.queries.statements[skip], app.queries.parameters[skip]];
  expect(skipSql).toMatch(/LIMIT 1 OFFSET 49$/);
  expect(await boundColumns(skipSql, skipParams)).toEqual(["organisationId", "userNameKey"]);
  if (app.services.db.dialect === "mysql") {
    const [plan] = await app.dataSource.query(`EXPLAIN ${skipSql}`, skipParams);
    expect(plan.Extra).toMatch(/Using index/);
  } else {
    const plan: { detail: string }[] = await app.dataSource.query(`EXPLAIN QUERY PLAN ${skipSql}`, skipParams);
    expect(plan.map((r) => r.detail).join("\n")).toMatch(/USING COVERING INDEX UQ_users_organisation_userNameKey/);
  }
  // … and the page itself then seeks from that key.
  expect(app.queries.statements.find((s) => /^SELECT u\.\*.* FROM users u/.test(s))).toMatch(/userNameKey > \?.* LIMIT 50$/);
  // The GraphQL connection pages the same way.
  const first = (await app.gql<{ users: { pageInfo: { endCursor: string } } }>(t.adminToken, `{ users(first: 100) { pageInfo { endCursor } } }`)).data!;
  app.queries.reset();
  await app.gql(t.adminToken, `query($after: String) { users(first: 100, after: $after) { nodes { id } } }`, { after: first.users.pageInfo.endCursor });
  // (It reads only the columns the query shows.)
  const at = app.queries.statements.findIndex((s) => /^SELECT u\.id, [^;]* FROM users u/.test(s));
  expect(await boundColumns(app.queries.statements[at], app.queries.parameters[at])).toEqual(["organisationId", "userNameKey"]);
});

/** The details statement `at` of app.queries reads each of the `expected` aliases by the index named, scanning none. */
async function expectReadByIndex(at: number, expected: Record<string, string>): Promise<void> {
  expect(at).toBeGreaterThanOrEqual(0);
  const [sql, params] = [app.queries.statements[at], app.queries.parameters[at]];
  if (app.services.db.dialect === "mysql") {
    const rows: { table: string; type: string; key: string | null }[] = await app.dataSource.query(`EXPLAIN ${sql}`, params);
    // (`u` is also the page statement itself, read by userName inside each derived table.)
    const read = rows.filter((r) => r.table in expected && r.key !== "UQ_users_organisation_userNameKey");
    expect(new Set(read.map((r) => r.table))).toEqual(new Set(Object.keys(expected)));
    for (const r of read) expect({ table: r.table, type: r.type, key: r.key }).toEqual({ table: r.table, type: expect.not.stringMatching(/^ALL$/), key: expected[r.table] });
    expect(rows.filter((r) => r.type === "ALL" && !r.table.startsWith("<derived") && r.table !== "g")).toEqual([]);
  } else {
    const rows: { detail: string }[] = await app.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
    for (const alias of Object.keys(expected)) expect(rows.map((r) => r.detail)).not.toContain(`SCAN ${alias}`);
  }
}

test("a page's details read every table by the user's index, never by scanning it", async () => {
  const tenant = await app.tenant();
  const c = scimClient(app.url, tenant.scimToken);
  const boss = await app.services.users.create(tenant.ctx, { userName: "plan-boss@p.test" });
  const group = await app.services.groups.create(tenant.ctx, { displayName: "Plan details" });
  for (let j = 0; j < 30; j++) {
    const u = await app.services.users.create(tenant.ctx, { userName: `plan-d${j}@p.test`, emails: [{ value: `d${j}@p.test` }], roles: ["member"], managerId: boss.id });
    await app.services.groups.addMembers(tenant.ctx, group.id, [{ id: u.id }]);
  }
  // Contacts, roles and custom values come with the users' rows (ownDetails): only groups are read beside the page.
  app.queries.reset();
  expect((await c.get("/Users?count=20")).status).toBe(200);
  expect(app.queries.statements.filter((s) => /user_contacts|role_assignments|custom_field_values/.test(s))).toEqual([]);
  await expectReadByIndex(app.queries.statements.findIndex((s) => s.startsWith("SELECT 'g'")), { m: "IDX_group_memberships_member" });
  const pageStatements = [...app.queries.statements];
  const pageParameters = [...app.queries.parameters];
  // Without the copies (users written before it existed, holders of a deleted role), the tables, by the user's index.
  await app.dataSource.query("UPDATE users SET ownDetails = NULL WHERE organisationId = ?", [tenant.ctx.organisationId]);
  app.queries.reset();
  expect((await c.get("/Users?count=20")).status).toBe(200);
  await expectReadByIndex(app.queries.statements.findIndex((s) => s.startsWith("SELECT 'c'")), { c: "IDX_user_contacts_user", ra: "PRIMARY", v: "IDX_custom_field_values_user" });
  // The managers come with the page statement, each by its primary key.
  const page = pageStatements.findIndex((s) => /^SELECT u\.\*.* LEFT JOIN users mu /.test(s));
  expect(page).toBeGreaterThanOrEqual(0);
  if (app.services.db.dialect === "mysql") {
    const rows: { table: string; type: string; key: string | null }[] = await app.dataSource.query(`EXPLAIN ${pageStatements[page]}`, pageParameters[page]);
    expect(rows.find((r) => r.table === "mu")).toMatchObject({ type: "eq_ref", key: "PRIMARY" });
  } else {
    const rows: { detail: string }[] = await app.dataSource.query(`EXPLAIN QUERY PLAN ${pageStatements[page]}`, pageParameters[page]);
    expect(rows.map((r) => r.detail)).toContainEqual(expect.stringMatching(/^SEARCH mu USING INDEX \S+ \(id=\?\)/));
  }
});

test("a lookup reads its user by the userName index, its memberships by the member's index and each group by its key", async () => {
  const tenant = await app.tenant();
  const c = scimClient(app.url, tenant.scimToken);
  const user = await app.services.users.create(tenant.ctx, { userName: "plan-lookup@p.test" });
  for (let j = 0; j < 5; j++) {
    const group = await app.services.groups.create(tenant.ctx, { displayName: `Plan lookup ${j}` });
    await app.services.groups.addMembers(tenant.ctx, group.id, [{ id: user.id }]);
  }
  app.queries.reset();
  const r = await c.get(`/Users?filter=${encodeURIComponent('userName eq "plan-lookup@p.test"')}`);
  expect(r.body.Resources[0].groups).toHaveLength(5);
  // The statement that reads the user also reads its groups (MariaDB), or they follow by the user's id.
  const at = app.queries.statements.findIndex((s) => /^SELECT u\.\*.* FROM users u/.test(s));
  expect(at).toBeGreaterThanOrEqual(0);
  if (app.services.db.dialect !== "mysql") return;
  expect(app.queries.statements.filter((s) => /\busers\b|group_memberships/.test(s))).toHaveLength(1);
  const rows: { table: string; type: string; key: string | null }[] = await app.dataSource.query(`EXPLAIN ${app.queries.statements[at]}`, app.queries.parameters[at]);
  const plan = Object.fromEntries(rows.map((row) => [row.table, { type: row.type, key: row.key }]));
  expect(plan.u).toEqual({ type: "const", key: "UQ_users_organisation_userNameKey" });
  expect(plan.m).toEqual({ type: "ref", key: "IDX_group_memberships_member" });
  expect(plan.g).toEqual({ type: "eq_ref", key: "PRIMARY" });
  expect(plan.mu.type).not.toBe("ALL");
});

test("a lookup by externalId reads the user by the (organisation, externalIdKey) index, then compares the case exactly", async () => {
  const tenant = await app.tenant();
  const c = scimClient(app.url, tenant.scimToken);
  for (let j = 0; j < 30; j++) await app.services.users.create(tenant.ctx, { userName: `plan-x${j}@p.test`, externalId: `Ext-${j}` });
  app.queries.reset();
  expect((await c.get(`/Users?filter=${encodeURIComponent('externalId eq "Ext-7"')}`)).body.Resources.map((u: { userName: string }) => u.userName)).toEqual(["plan-x7@p.test"]);
  expect((await c.get(`/Users?filter=${encodeURIComponent('externalId eq "ext-7"')}`)).body.totalResults).toBe(0);
  const at = app.queries.statements.findIndex((s) => /^SELECT u\.\*.* FROM users u/.test(s));
  expect(at).toBeGreaterThanOrEqual(0);
  const [sql, params] = [app.queries.statements[at], app.queries.parameters[at]];
  if (app.services.db.dialect === "mysql") {
    const rows: { table: string; type: string; key: string | null }[] = await app.dataSource.query(`EXPLAIN ${sql}`, params);
    expect(rows.find((r) => r.table === "u")).toMatchObject({ type: "const", key: "UQ_users_organisation_externalIdKey" });
  } else {
    const rows: { detail: string }[] = await app.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
    expect(rows.map((r) => r.detail)).toContainEqual(expect.stringMatching(/^SEARCH u USING INDEX UQ_users_organisation_externalIdKey \(organisationId=\? AND externalIdKey=\?\)/));
  }
});

test("a userName sw filter reads the userName index as a range (MariaDB): it matches the key column, not LOWER(userName)", async () => {
  const tenant = await app.tenant();
  const c = scimClient(app.url, tenant.scimToken);
  for (let j = 0; j < 40; j++) await app.services.users.create(tenant.ctx, { userName: `Plan-S${j}@p.test` });
  app.queries.reset();
  const r = await c.get(`/Users?filter=${encodeURIComponent('userName sw "plan-s1"')}&count=100`);
  expect(r.body.Resources.map((u: { userName: string }) => u.userName).sort()).toEqual(["Plan-S1@p.test", ...Array.from({ length: 10 }, (_, j) => `Plan-S1${j}@p.test`)].sort());
  const at = app.queries.statements.findIndex((s) => /^SELECT u\.\*.* FROM users u/.test(s));
  const [sql, params] = [app.queries.statements[at], app.queries.parameters[at]];
  expect(sql).toMatch(/u\.userNameKey LIKE \?/);
  if (app.services.db.dialect === "mysql") expect(await boundColumns(sql, params)).toEqual(["organisationId", "userNameKey"]);
});

test("a resource's provisioning log is read by the (organisation, resource, time) index, not by scanning the organisation's log", async () => {
  const tenant = await app.tenant();
  const c = scimClient(app.url, tenant.scimToken);
  const ids: string[] = [];
  for (let j = 0; j < 20; j++) ids.push((await c.post("/Users", { userName: `plan-log${j}@p.test` })).body.id);
  for (const id of ids.slice(0, 5)) expect((await c.patch(`/Users/${id}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "active", value: false }] })).status).toBe(200);
  app.queries.reset();
  const r = await app.gql<{ provisioningLog: { edges: { node: { method: string; resourceId: string } }[] } }>(tenant.adminToken, `query($id: ID!) { provisioningLog(first: 10, filter: { resourceId: $id }) { edges { node { method resourceId } } } }`, { id: ids[3] });
  expect(r.data!.provisioningLog.edges.map((e) => e.node)).toEqual([
    { method: "PATCH", resourceId: ids[3] },
    { method: "POST", resourceId: ids[3] },
  ]);
  const at = app.queries.statements.findIndex((s) => /FROM [`"]?provisioning_log_entries/.test(s) && /resourceId/.test(s));
  expect(at).toBeGreaterThanOrEqual(0);
  await expectReadByResource(app.queries.statements[at], app.queries.parameters[at], "IDX_provisioning_log_resource");
});

test("a resource's audit trail (the console's user and group pages: by resourceId alone) is read by the (organisation, resource, time) index", async () => {
  const tenant = await app.tenant();
  const ids: string[] = [];
  for (let j = 0; j < 20; j++) ids.push((await app.services.users.create(tenant.ctx, { userName: `plan-audit${j}@p.test` })).id);
  await app.services.users.update(tenant.ctx, ids[4], { displayName: "Audited" });
  app.queries.reset();
  const r = await app.gql<{ auditEvents: { totalCount: number; nodes: { action: string }[] } }>(tenant.adminToken, `query($id: ID!) { auditEvents(first: 10, filter: { resourceId: $id }) { totalCount nodes { action } } }`, { id: ids[4] });
  expect(r.data!.auditEvents).toEqual({ totalCount: 2, nodes: [{ action: "user.updated" }, { action: "user.created" }] });
  const reads = app.queries.statements.map((sql, i) => [sql, app.queries.parameters[i]] as const).filter(([sql]) => /FROM [`"]?audit_events/.test(sql) && /resourceId/.test(sql));
  expect(reads.length).toBeGreaterThanOrEqual(1);
  for (const [sql, params] of reads) await expectReadByResource(sql, params, "IDX_audit_events_resource");
  // The next total counts only the events since its settled part (the trail is only appended to).
  await app.services.users.update(tenant.ctx, ids[4], { displayName: "Audited again" });
  app.queries.reset();
  const again = await app.gql<{ auditEvents: { totalCount: number } }>(tenant.adminToken, `query($id: ID!) { auditEvents(first: 10, filter: { resourceId: $id }) { totalCount } }`, { id: ids[4] });
  expect(again.data!.auditEvents.totalCount).toBe(3);
  const counts = app.queries.statements.filter((sql) => /COUNT/i.test(sql) && /audit_events/.test(sql));
  expect(counts).toHaveLength(1);
  expect(counts[0]).toMatch(/occurredAt\W* >= /);
});

/** A log's statement reads it by `index` on (organisationId, resourceId, …): a ref (a range, with a time bound) without filesort on MariaDB. */
async function expectReadByResource(sql: string, params: unknown[], index: string): Promise<void> {
  if (app.services.db.dialect === "mysql") {
    const [row]: { key: string | null; type: string; Extra: string | null }[] = await app.dataSource.query(`EXPLAIN ${sql}`, params);
    expect(row).toMatchObject({ key: index, type: expect.stringMatching(/^(ref|range)$/) });
    expect(row.Extra ?? "").not.toMatch(/filesort/);
  } else {
    const rows: { detail: string }[] = await app.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
    expect(rows.map((x) => x.detail)).toContainEqual(expect.stringMatching(new RegExp(`USING (?:COVERING )?INDEX ${index} \\(organisationId=\\? AND resourceId=\\?(?: AND occurredAt[<>]\\?)?\\)`)));
  }
}

test("a role filter reads the role's holders by the role's index: a rare role among many users is found without reading them all", async () => {
  const tenant = await app.tenant();
  await app.services.roles.create(tenant.ctx, { name: "Plan-Rare" });
  const holders: string[] = [];
  for (let j = 0; j < 200; j++) {
    const rare = j % 90 === 7;
    const u = await app.services.users.create(tenant.ctx, { userName: `plan-role${String(j).padStart(3, "0")}@p.test`, roles: rare ? ["member", "plan-rare"] : ["member"] });
    if (rare) holders.push(u.userName);
  }
  app.queries.reset();
  const r = await app.gql<{ users: { totalCount: number; nodes: { userName: string }[] } }>(tenant.adminToken, `{ users(first: 50, filter: { role: "PLAN-RARE" }) { totalCount nodes { userName } } }`);
  expect(r.data!.users).toEqual({ totalCount: 3, nodes: holders.map((userName) => ({ userName })) });
  const reads = app.queries.statements.map((sql, i) => [sql, app.queries.parameters[i]] as const).filter(([sql]) => /FROM users u/.test(sql) && /role_assignments/.test(sql));
  expect(reads.length).toBeGreaterThanOrEqual(1);
  for (const [sql, params] of reads) {
    if (app.services.db.dialect === "mysql") {
      // The holders first, by (roleId, userId); then each user by its primary key.
      const rows: { table: string; type: string; key: string | null }[] = await app.dataSource.query(`EXPLAIN ${sql}`, params);
      expect(rows[0]).toMatchObject({ table: "ra", type: "ref", key: "IDX_role_assignments_role" });
      expect(rows.find((x) => x.table === "u")).toMatchObject({ type: "eq_ref", key: "PRIMARY" });
    } else {
      const rows: { detail: string }[] = await app.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
      expect(rows.map((x) => x.detail)).toContainEqual(expect.stringMatching(/USING (?:COVERING )?INDEX IDX_role_assignments_role \(roleId=\?/));
    }
  }
  // A role nobody defined: nobody holds it, and everybody does not (SCIM filters name roles too).
  const none = await app.gql<{ users: { totalCount: number } }>(tenant.adminToken, `{ users(filter: { role: "nosuch" }) { totalCount } }`);
  expect(none.data!.users.totalCount).toBe(0);
  const c = scimClient(app.url, tenant.scimToken);
  const scimHolders = await c.get(`/Users?filter=${encodeURIComponent('roles[value eq "plan-rare"]')}&attributes=userName`);
  expect(scimHolders.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(holders);
  expect((await c.get(`/Users?filter=${encodeURIComponent('not (roles[value eq "nosuch"])')}&count=0`)).body.totalResults).toBe(200);
});

test("filters by department, costCenter, manager and custom field value read their users by an index, not the organisation's users; a department's pages seek by it", async () => {
  const tenant = await app.tenant();
  const boss = await app.services.users.create(tenant.ctx, { userName: "plan-boss@p.test" });
  for (let j = 0; j < 200; j++) {
    await app.services.users.create(tenant.ctx, {
      userName: `plan-dept${String(j).padStart(3, "0")}@p.test`,
      department: `Dept ${j % 10}`,
      costCenter: `CC ${j % 40}`,
      managerId: j % 20 === 0 ? boss.id : null,
      customFields: { area: `area ${j % 20}` },
    });
  }
  // Statistics as Roster keeps them on SQLite (keepPlannerStatistics; MariaDB keeps its own).
  if (app.services.db.dialect === "sqlite") await app.dataSource.query("ANALYZE");
  // The read of `users u` in a statement: the index it is bounded by, and its key parts (MariaDB), or SQLite's plan.
  const usersRead = async (sql: string, params: unknown[]) => {
    if (app.services.db.dialect === "mysql") {
      const rows: { table: string; type: string; key: string | null; Extra: string }[] = await app.dataSource.query(`EXPLAIN ${sql}`, params);
      return rows;
    }
    const rows: { detail: string }[] = await app.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
    return rows.map((r) => r.detail);
  };
  const page = async (filter: string, after?: string) => {
    app.queries.reset();
    const r = await app.gql<{ users: { totalCount: number; nodes: { userName: string }[]; pageInfo: { endCursor: string } } }>(
      tenant.adminToken,
      `query($after: String) { users(first: 5, after: $after, filter: ${filter}) { totalCount nodes { userName } pageInfo { endCursor } } }`,
      { after },
    );
    expect(r.errors).toBeUndefined();
    const at = app.queries.statements.findIndex((s) => /^SELECT u\.id, [^;]* FROM users u/.test(s));
    const count = app.queries.statements.findIndex((s) => /^SELECT COUNT\(\*\) AS n FROM users u/.test(s));
    return { data: r.data!.users, sql: app.queries.statements[at], params: app.queries.parameters[at], countSql: app.queries.statements[count], countParams: app.queries.parameters[count] };
  };
  const keyed = async (filter: string, index: string, total: number) => {
    const first = await page(filter);
    expect(first.data.totalCount).toBe(total);
    const next = await page(filter, first.data.pageInfo.endCursor);
    expect(next.sql).toMatch(/userNameKey > \?/);
    for (const [sql, params] of [[first.sql, first.params], [next.sql, next.params], [first.countSql, first.countParams]] as const) {
      const plan = await usersRead(sql, params);
      if (app.services.db.dialect === "mysql") {
        const u = (plan as { table: string; type: string; key: string | null; Extra: string }[]).find((x) => x.table === "u")!;
        expect([sql, u.key]).toEqual([sql, index]);
        expect(u.Extra).not.toMatch(/filesort/);
      } else expect(plan).toContainEqual(expect.stringMatching(new RegExp(`USING (?:COVERING )?INDEX ${index} \\(organisationId=\\? AND \\w+=\\?`)));
    }
  };
  await keyed(`{ department: "DEPT 3" }`, "IDX_users_organisation_departmentKey", 20);
  await keyed(`{ costCenter: "cc 7" }`, "IDX_users_organisation_costCenterKey", 5);
  await keyed(`{ managerId: "${boss.id}" }`, "IDX_users_organisation_manager", 10);
  // User.directReports: each manager's first page by the same index (a UNION ALL of one read per manager).
  app.queries.reset();
  const reports = await app.gql<{ users: { nodes: { directReports: { nodes: { id: string }[] } }[] } }>(
    tenant.adminToken,
    `{ users(first: 3, filter: { userName: "plan-boss@p.test" }) { nodes { directReports(first: 3) { nodes { id } } } } }`,
  );
  expect(reports.data!.users.nodes[0].directReports.nodes).toHaveLength(3);
  const at = app.queries.statements.findIndex((s) => /UNION ALL|managerId = \? ORDER BY u\.userNameKey LIMIT 4/.test(s));
  const plan = await usersRead(app.queries.statements[at], app.queries.parameters[at]);
  if (app.services.db.dialect === "mysql") expect((plan as { table: string; key: string | null }[]).filter((x) => x.table === "u").map((x) => x.key)).toEqual(["IDX_users_organisation_manager"]);
  else expect(plan).toContainEqual(expect.stringMatching(/USING INDEX IDX_users_organisation_manager \(organisationId=\? AND managerId=\?\)/));
  // The custom value's holders by (organisation, field, valueKey).
  const holders = await page(`{ customField: { name: "area", value: "area 7" } }`);
  expect(holders.data.totalCount).toBe(10);
  if (app.services.db.dialect === "mysql") {
    const h = (await usersRead(holders.sql, holders.params)) as { table: string; type: string; key: string | null }[];
    expect(h.find((x) => x.table === "v")).toMatchObject({ key: "IDX_custom_field_values_lookup" });
    expect(h.find((x) => x.table === "u")).toMatchObject({ type: "eq_ref", key: "PRIMARY" });
  } else {
    expect(await usersRead(holders.sql, holders.params)).toContainEqual(expect.stringMatching(/USING (?:COVERING )?INDEX IDX_custom_field_values_lookup \(organisationId=\? AND fieldId=\? AND valueKey=\?/));
  }
});
