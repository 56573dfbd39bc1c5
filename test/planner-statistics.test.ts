import { createLogger } from "../src/platform/logger";
import { keepPlannerStatistics } from "../src/platform/planner-statistics";
import { type TestApp, startTestApp } from "./support/test-app";
import { testDriver } from "./support/test-database";

/**
 * SQLite chooses indexes from the statistics ANALYZE leaves in sqlite_stat1; statistics of a much
 * smaller directory made it scan the whole users table for a page's managers. Roster keeps them in
 * step with the data (keepPlannerStatistics); these tests watch the plans change with them.
 */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

const testSqlite = testDriver() === "sqlite" ? test : test.skip;
const testMariadb = testDriver() === "mariadb" ? test : test.skip;

const usersRowCount = async (): Promise<number> => {
  const rows: { stat: string }[] = await app.dataSource.query("SELECT stat FROM sqlite_stat1 WHERE tbl = 'users' AND idx = 'sqlite_autoindex_users_1'");
  return rows.length ? Number(rows[0].stat.split(" ")[0]) : 0;
};

const plan = async (sql: string, params: unknown[]): Promise<string> => {
  const rows: { detail: string }[] = await app.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
  return rows.map((r) => r.detail).join("\n");
};

testSqlite("the app analyses the database when it starts (before any check of this file's own)", async () => {
  const analysed = async () => ((await app.dataSource.query("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")) as unknown[]).length === 1;
  for (let i = 0; i < 50 && !(await analysed()); i++) await new Promise((r) => setTimeout(r, 100));
  expect(await analysed()).toBe(true);
});

testSqlite("once the directory has grown tenfold, a check analyses it again, and a page's managers and emails are read by their keys", async () => {
  const statistics = keepPlannerStatistics(app.services.db, createLogger("silent"), 3_600_000);
  try {
    const t = await app.tenant();
    let manager = await app.services.users.create(t.ctx, { userName: "stats-0@p.test", emails: [{ value: "stats-0@p.test" }] });
    for (let j = 1; j < 10; j++) manager = await app.services.users.create(t.ctx, { userName: `stats-${j}@p.test`, emails: [{ value: `stats-${j}@p.test` }], managerId: manager.id });
    await statistics.check();
    const small = await usersRowCount();
    expect(small).toBeGreaterThanOrEqual(10);
    expect(small).toBeLessThan(50);

    for (let j = 10; j < 600; j++) manager = await app.services.users.create(t.ctx, { userName: `stats-${j}@p.test`, emails: [{ value: `stats-${j}@p.test` }], managerId: manager.id });
    // A page that shows managers and emails reads them by the page's ids.
    app.queries.reset();
    const page = await app.gql<{ users: { nodes: { manager: { userName: string } | null; emails: { value: string }[] }[] } }>(t.adminToken, "{ users(first: 20) { nodes { userName manager { userName } emails { value } } } }");
    expect(page.data!.users.nodes).toHaveLength(20);
    expect(page.data!.users.nodes.filter((u) => u.manager).length).toBeGreaterThan(0);
    const at = (re: RegExp) => {
      const i = app.queries.statements.findIndex((s) => re.test(s));
      expect(i).toBeGreaterThanOrEqual(0);
      return [app.queries.statements[i], app.queries.parameters[i]] as const;
    };
    const [managersSql, managersParams] = at(/FROM users u WHERE u\.organisationId = \? AND u\.id IN \(/);
    const [contactsSql, contactsParams] = at(/FROM "?user_contacts"? .*userId"? IN \(/);
    // With the statistics of ten users, SQLite reads the whole table for a page's managers …
    expect(await plan(managersSql, managersParams)).toMatch(/^SCAN u$/m);

    await statistics.check();
    // … once analysed again, each manager by its primary key, and the emails by the user's index.
    expect(await usersRowCount()).toBeGreaterThanOrEqual(600);
    expect(await plan(managersSql, managersParams)).toMatch(/^SEARCH u USING INDEX sqlite_autoindex_users_1 \(id=\?\)$/m);
    expect(await plan(contactsSql, contactsParams)).toMatch(/USING INDEX IDX_user_contacts_user \(userId=\?\)/);

    // A check with nothing to do leaves the statistics as they are.
    await app.dataSource.query("UPDATE sqlite_stat1 SET stat = stat || ' unordered' WHERE tbl = 'users' AND idx = 'sqlite_autoindex_users_1'");
    await statistics.check();
    expect((await app.dataSource.query("SELECT stat FROM sqlite_stat1 WHERE tbl = 'users' AND idx = 'sqlite_autoindex_users_1'"))[0].stat).toMatch(/ unordered$/);
  } finally {
    await statistics.stop();
  }
});

testMariadb("on MariaDB a check sends nothing: InnoDB keeps its own statistics", async () => {
  const statistics = keepPlannerStatistics(app.services.db, createLogger("silent"));
  // The check's own statements, all it sends (none left out as a request's are); not the app's timers' meanwhile.
  const { statements } = await app.statementsOfCall(async () => {
    await statistics.check();
    await statistics.stop();
  });
  expect(statements).toEqual([]);
});
