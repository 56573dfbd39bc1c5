// MariaDB's connection stays open but the server stops answering (a partition without a reset, a
// frozen server, a stalled proxy): requests must not wait for ever. Roster reaches MariaDB through a
// proxy this test stalls; DATABASE_STATEMENT_TIMEOUT_SECONDS is 1 here (30 by default) so that it is quick.
import mysql from "mysql2/promise";
import { parseDatabaseUrl } from "../../src/config/config";
import { ReplayEntry } from "../../src/domain/replay/replay-entry.entity";
import { CORE_USER, expectScimError, patchOp } from "../support/scim-client";
import { testDatabaseUrl, testDriver } from "../support/test-database";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { StallingProxy } from "./support/stalling-proxy";

const BOUND_MS = 1_000;
/** How long a request may take while MariaDB is silent: the statement bound, plus acquiring a connection, plus slack for a busy CI machine. */
const ANSWERED_WITHIN_MS = 2 * BOUND_MS + 3_000;
/** The old code never answered: give up on a request after this long rather than hang the test. */
const GIVE_UP_MS = 15_000;

// An embedded SQLite file cannot stall: this scenario is about a database server.
const describeServer = testDriver() === "mariadb" ? describe : describe.skip;

/** fetch, but a request that hangs fails the test instead of holding it until jest's timeout. */
const timedFetch = (url: string, init: RequestInit = {}) => fetch(url, { ...init, signal: AbortSignal.timeout(GIVE_UP_MS) });

async function scimCall(app: TestApp, token: string, method: string, path: string, body?: unknown) {
  const res = await timedFetch(`${app.url}/scim/v2${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/scim+json" } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text ? JSON.parse(text) : undefined };
}

async function gqlCall(app: TestApp, token: string, query: string) {
  const res = await timedFetch(`${app.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
  return (await res.json()) as { data?: unknown; errors?: { extensions?: { code?: string } }[] };
}

/** A connection of the test's own, straight to MariaDB (not through the proxy). */
async function direct(database: string) {
  const server = parseDatabaseUrl(testDatabaseUrl());
  if (server.driver === "sqlite") throw new Error("TEST_DATABASE_URL must name a MariaDB server");
  return mysql.createConnection({ host: server.host, port: server.port, user: server.user, password: server.password, database });
}

async function eventually(what: string, check: () => Promise<boolean>, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describeServer("MariaDB stalls with its connections open", () => {
  let app: TestApp;
  let t: TestTenant;
  let proxy: StallingProxy;
  let logLines: string[];

  beforeEach(async () => {
    const server = parseDatabaseUrl(testDatabaseUrl()) as { host: string; port: number };
    proxy = new StallingProxy({ host: server.host, port: server.port });
    await proxy.open();
    logLines = [];
    app = await startTestApp(
      { DATABASE_STATEMENT_TIMEOUT_SECONDS: String(BOUND_MS / 1000), LOG_LEVEL: "warn" },
      { rewriteDatabaseUrl: (url) => url.replace(/@([^@/]+):(\d+)\//, `@127.0.0.1:${proxy.port}/`), logDestination: { write: (line) => void logLines.push(line) } },
    );
    t = await app.tenant();
  });
  afterEach(async () => {
    proxy.resume();
    await app?.close();
    await proxy.close();
  });

  test("SCIM 503, GraphQL SERVICE_UNAVAILABLE and /readyz 503 within the bound; nothing written; stalled connections dropped; service returns by itself", async () => {
    const scim = (method: string, path: string, body?: unknown) => scimCall(app, t.scimToken, method, path, body);
    expect((await scim("POST", "/Users", { schemas: [CORE_USER], userName: "before@stall.test" })).status).toBe(201);
    expect((await gqlCall(app, t.adminToken, "{ users(first: 1) { totalCount } }")).errors).toBeUndefined();
    expect((await timedFetch(`${app.url}/readyz`)).status).toBe(200);
    // Idle pooled connections for each request below, as a busy server keeps them: the requests above,
    // one after the other, may have left only two, and a request that opens a new connection during the
    // stall sends nothing on it (its handshake never ends), so it would not count among those stalled.
    await Promise.all(Array.from({ length: 4 }, () => app.services.db.rows(undefined, "SELECT SLEEP(0.05)")));

    proxy.stall();
    const started = Date.now();
    const took: Record<string, number> = {};
    const timed = async <T>(name: string, p: Promise<T>): Promise<T> => {
      const r = await p;
      took[name] = Date.now() - started;
      return r;
    };
    const [read, write, gql, ready] = await Promise.all([
      timed("scim read", scim("GET", `/Users?filter=${encodeURIComponent('userName eq "before@stall.test"')}`)),
      timed("scim write", scim("POST", "/Users", { schemas: [CORE_USER], userName: "during@stall.test" })),
      timed("graphql", gqlCall(app, t.adminToken, "{ users(first: 1) { totalCount } }")),
      timed("readyz", timedFetch(`${app.url}/readyz`)),
    ]);
    for (const r of [read, write]) {
      expectScimError(r, 503);
      expect(r.headers.get("retry-after")).toBe("5");
      expect(r.text).not.toMatch(/mysql|PROTOCOL|at .*\.(ts|js)/i);
    }
    expect(gql.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
    expect(JSON.stringify(gql)).not.toMatch(/mysql|PROTOCOL|at .*\.(ts|js)/i);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "unavailable", database: "mysql" });
    for (const [name, ms] of Object.entries(took)) expect([name, ms < ANSWERED_WITHIN_MS]).toEqual([name, true]);
    expect((await timedFetch(`${app.url}/healthz`)).status).toBe(200);

    // Every connection that was sent something during the stall has been closed by Roster: none of
    // them goes back to the pool with a statement still waiting on it.
    const stalled = proxy.connections.filter((c) => c.heldFromClient > 0);
    expect(stalled.length).toBeGreaterThanOrEqual(3); // the SCIM read, the SCIM write, the GraphQL request (and /readyz's ping)
    await eventually("every stalled connection closed", async () => stalled.every((c) => c.clientClosed), 2_000);
    // Each one said so in the log, for whoever runs it.
    const closed = logLines.map((l) => JSON.parse(l) as { level: number; msg: string; err?: { message: string } }).filter((l) => /did not answer a statement in time/.test(l.msg));
    expect(closed.length).toBeGreaterThanOrEqual(3);
    expect(closed[0]).toMatchObject({ level: 40, err: { message: "the database did not answer within 1000 ms; its connection was closed" } });

    proxy.resume();
    // Back by itself, on fresh connections, without a restart.
    await eventually("SCIM answers 200 again", async () => (await scim("GET", "/Users?count=1")).status === 200);
    expect((await timedFetch(`${app.url}/readyz`)).status).toBe(200);
    expect((await gqlCall(app, t.adminToken, "{ users(first: 1) { totalCount } }")).errors).toBeUndefined();
    // On connections that were not stalled: new ones, or idle ones the stall never reached (the four
    // opened before it may outnumber the requests during it; a full CI run once reused those only, and
    // a check that a connection was opened after the stall failed: 5 before, 5 after).
    expect(stalled.every((c) => c.clientClosed)).toBe(true);
    expect(proxy.connections.filter((c) => !c.clientClosed && !stalled.includes(c)).length).toBeGreaterThan(0);
    // The refused POST wrote nothing, and may be sent again.
    const found = await scim("GET", `/Users?filter=${encodeURIComponent('userName eq "during@stall.test"')}`);
    expect(found.body.totalResults).toBe(0);
    expect((await scim("POST", "/Users", { schemas: [CORE_USER], userName: "during@stall.test" })).status).toBe(201);
  }, 60_000);

  test("a statement MariaDB is slow to answer (a row lock held elsewhere) is stopped by MariaDB itself: 503, nothing left waiting on the server, its connection kept", async () => {
    const scim = (method: string, path: string, body?: unknown) => scimCall(app, t.scimToken, method, path, body);
    const created = await scim("POST", "/Users", { schemas: [CORE_USER], userName: "locked@stall.test" });
    expect(created.status).toBe(201);
    const name = (app.database.config as { database: string }).database;
    const holder = await direct(name);
    try {
      await holder.query("START TRANSACTION");
      await holder.query("SELECT id FROM users WHERE id = ? FOR UPDATE", [created.body.id]);
      const started = Date.now();
      const refused = await scim("PATCH", `/Users/${created.body.id}`, patchOp({ op: "replace", value: { active: false } }));
      expectScimError(refused, 503);
      expect(refused.headers.get("retry-after")).toBe("5");
      expect(Date.now() - started).toBeLessThan(ANSWERED_WITHIN_MS);
      // Had Roster only closed its connection, MariaDB would still be waiting there for the row lock
      // (until innodb_lock_wait_timeout, 50 s), holding its own locks, and the IdP's retry would queue behind it.
      const [waits] = await holder.query("SELECT COUNT(*) AS n FROM information_schema.INNODB_LOCK_WAITS");
      expect(Number((waits as { n: number }[])[0]!.n)).toBe(0);
      // Stopped and answered by the server, the connection was sound: none closed, none logged.
      expect(proxy.connections.filter((c) => c.clientClosed)).toEqual([]);
      expect(logLines.filter((l) => /did not answer a statement in time/.test(l))).toEqual([]);
      await holder.query("ROLLBACK");
    } finally {
      await holder.end();
    }
    // Nothing of the refused PATCH was written; sent again, it applies.
    expect((await scim("GET", `/Users/${created.body.id}`)).body.active).toBe(true);
    const again = await scim("PATCH", `/Users/${created.body.id}`, patchOp({ op: "replace", value: { active: false } }));
    expect([again.status, again.body.active]).toEqual([200, false]);
  }, 30_000);

  test("a /Bulk whose operations the database refuses for now: each its own 503, the others applied, and one log line with how many and the first one's error", async () => {
    const scim = (method: string, path: string, body?: unknown) => scimCall(app, t.scimToken, method, path, body);
    const [locked, free] = await Promise.all(["bulk-locked@stall.test", "bulk-free@stall.test"].map(async (userName) => (await scim("POST", "/Users", { schemas: [CORE_USER], userName })).body.id as string));
    const holder = await direct((app.database.config as { database: string }).database);
    try {
      await holder.query("START TRANSACTION");
      await holder.query("SELECT id FROM users WHERE id = ? FOR UPDATE", [locked]);
      const deactivate = (id: string) => ({ method: "PATCH", path: `/Users/${id}`, data: patchOp({ op: "replace", value: { active: false } }) });
      const r = await scim("POST", "/Bulk", { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: [deactivate(locked), deactivate(free), deactivate(locked)] });
      expect(r.status).toBe(200);
      expect((r.body.Operations as { status: string }[]).map((o) => o.status)).toEqual(["503", "200", "503"]);
      await holder.query("ROLLBACK");
    } finally {
      await holder.end();
    }
    // The client's 503s say "retry later"; the log says why, once for the Bulk (it had said nothing).
    const lines = logLines.map((l) => JSON.parse(l) as { level: number; msg: string; count?: number; firstIndex?: number; err?: { message: string } }).filter((l) => /of a \/Bulk answered 503/.test(l.msg));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, count: 2, firstIndex: 0, err: { message: expect.stringMatching(/max_statement_time|lock|timeout/i) } });
    expect((await scim("GET", `/Users/${free}`)).body.active).toBe(false);
    expect((await scim("GET", `/Users/${locked}`)).body.active).toBe(true);
  }, 30_000);

  test("every way Roster reaches MariaDB is bounded: its own statements, prepared statements, snapshot reads, TypeORM's repositories, a connection's handshake", async () => {
    const db = app.services.db;
    // Idle pooled connections, as a busy server keeps them.
    await Promise.all(Array.from({ length: 4 }, () => db.rows(undefined, "SELECT SLEEP(0.05)")));
    proxy.stall();
    const started = Date.now();
    const outcomes = await Promise.all(
      [
        db.rows(undefined, "SELECT 1 AS x"),
        db.preparedRows(undefined, "SELECT ? AS x", [2]),
        db.rowsTogether(undefined, [["SELECT 3 AS x", []], ["SELECT 4 AS x", []]]),
        db.writeAlone("DELETE FROM replay_entries WHERE `key` = ?", ["nothing"]),
        app.dataSource.getRepository(ReplayEntry).findOneBy({ key: "nothing" }),
        // More than the idle connections: these wait for new ones, whose handshake never ends.
        ...Array.from({ length: 4 }, () => db.rows(undefined, "SELECT 5 AS x")),
      ].map((p) => p.then(() => "answered", (err: unknown) => (err as { code?: string }).code ?? String(err))),
    );
    expect(outcomes).toEqual(outcomes.map(() => "DATABASE_TIMEOUT"));
    expect(Date.now() - started).toBeLessThan(ANSWERED_WITHIN_MS);
  }, 30_000);

  test("a transaction cut off half-way by the stall is never committed: the connection is gone and MariaDB rolls it back", async () => {
    const db = app.services.db;
    const name = (app.database.config as { database: string }).database;
    const key = `stall-test:${Date.now()}`;
    let threadId = 0;
    const started = Date.now();
    const attempt = db.transaction({}, async (tx) => {
      // Written and answered: MariaDB holds the row in an open transaction.
      await db.write(tx, "INSERT INTO replay_entries (`key`, value, expiresAt) VALUES (?, ?, ?)", [key, "v", new Date(Date.now() + 60_000)]);
      const [row] = await db.rows<{ id: number | string }>(tx, "SELECT CONNECTION_ID() AS id");
      threadId = Number(row!.id);
      proxy.stall();
      // Never answered: the rest of the transaction, COMMIT included, is never sent.
      await db.rows(tx, "SELECT COUNT(*) AS n FROM replay_entries");
      await db.write(tx, "INSERT INTO replay_entries (`key`, value, expiresAt) VALUES (?, ?, ?)", [`${key}:2`, "v", new Date(Date.now() + 60_000)]);
    });
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([attempt.then(() => "committed", (err: unknown) => err), new Promise((r) => (timer = setTimeout(() => r("still waiting"), GIVE_UP_MS)))]);
    clearTimeout(timer);
    expect(outcome).toMatchObject({ code: "DATABASE_TIMEOUT" });
    expect(Date.now() - started).toBeLessThan(ANSWERED_WITHIN_MS);

    const mariadb = await direct(name);
    try {
      // While the network is still cut, MariaDB cannot know: its transaction is still open with the
      // first row written (half-way), uncommitted and seen by nobody.
      const [open] = await mariadb.query("SELECT trx_rows_modified AS n FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id = ?", [threadId]);
      expect((open as { n: number }[]).map((r) => Number(r.n))).toEqual([1]);
      const [during] = await mariadb.query("SELECT COUNT(*) AS n FROM replay_entries WHERE `key` LIKE ?", [`${key}%`]);
      expect(Number((during as { n: number }[])[0]!.n)).toBe(0);
      proxy.resume();
      // Once it hears of the closed connection, MariaDB ends that session and rolls its transaction back.
      await eventually("MariaDB ends the abandoned session", async () => {
        const [rows] = await mariadb.query("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE ID = ?", [threadId]);
        return Number((rows as { n: number }[])[0]!.n) === 0;
      });
      const [after] = await mariadb.query("SELECT COUNT(*) AS n FROM replay_entries WHERE `key` LIKE ?", [`${key}%`]);
      expect(Number((after as { n: number }[])[0]!.n)).toBe(0);
      // Not even held by a lock: the same key can be written at once.
      await mariadb.query("SET SESSION innodb_lock_wait_timeout = 1");
      await mariadb.query("INSERT INTO replay_entries (`key`, value, expiresAt) VALUES (?, 'v', NOW())", [key]);
    } finally {
      await mariadb.end();
    }
    // And Roster itself writes again, on a fresh connection.
    let deleted = -1;
    await eventually("Roster writes again", () => db.writeAlone("DELETE FROM replay_entries WHERE `key` = ?", [key]).then((n) => ((deleted = n), true), () => false));
    expect(deleted).toBe(1);
  }, 60_000);
});
