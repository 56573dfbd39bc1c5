// SIGTERM: stop accepting, finish the requests in flight (with their status), close the pool, exit 0.
import net from "node:net";
import { CORE_USER, scimClient } from "../support/scim-client";
import { startTestApp } from "../support/test-app";
import { type TestDatabase, createTestDatabase, testDriver } from "../support/test-database";
import { type RosterProcess, ensureBuilt, logLines, startRoster } from "./support/roster-process";
import { type SharedDatabase, type SharedTenant, openSharedDatabase } from "./support/shared-database";

let db: TestDatabase;
let shared: SharedDatabase;
let t: SharedTenant;
let roster: RosterProcess | undefined;

beforeAll(async () => {
  await ensureBuilt();
  db = await createTestDatabase();
  shared = await openSharedDatabase(db.url);
  t = await shared.tenant("shutdown");
}, 60_000);
afterAll(async () => {
  await roster?.stop();
  await shared?.close();
  await db?.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const connectRefused = (port: number) =>
  new Promise<string>((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.on("connect", () => {
      s.destroy();
      resolve("connected");
    });
    s.on("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
  });

test("SIGTERM during a large Bulk: the Bulk completes with its status, new connections are refused, the pool closes, exit 0", async () => {
  roster = await startRoster({ databaseUrl: db.url, env: { SHUTDOWN_TIMEOUT_SECONDS: "20" } });
  const scim = scimClient(roster.url, t.scimToken);
  // A keep-alive connection that was used before: it must not hold the process open.
  expect((await scim.get("/ServiceProviderConfig")).status).toBe(200);

  // Long enough to be in flight when the signal lands (SQLite commits faster than MariaDB).
  const ops = testDriver() === "sqlite" ? 1000 : 300;
  const bulk = scim.post("/Bulk", {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
    Operations: Array.from({ length: ops }, (_, i) => ({ method: "POST", path: "/Users", bulkId: `u${i}`, data: { schemas: [CORE_USER], userName: `slow${i}@shutdown.test` } })),
  });
  // The Bulk is being processed (some users exist, not all) when the signal arrives.
  const until = Date.now() + 15_000;
  while (Date.now() < until && (await shared.count("SELECT COUNT(*) AS n FROM users WHERE userName LIKE 'slow%'")) < 5) await sleep(5);
  const before = await shared.count("SELECT COUNT(*) AS n FROM users WHERE userName LIKE 'slow%'");
  expect(before).toBeGreaterThan(0);
  expect(before).toBeLessThan(ops);
  const signalled = Date.now();
  roster.child.kill("SIGTERM");

  // New connections are refused as soon as shutdown has begun.
  while (!roster.output().includes("shutting down") && Date.now() - signalled < 5000) await sleep(5);
  expect(await connectRefused(roster.port)).toBe("ECONNREFUSED");

  const answer = await bulk;
  expect(answer.status).toBe(200);
  expect(answer.body.Operations).toHaveLength(ops);
  expect(answer.body.Operations.every((o: { status: string }) => o.status === "201")).toBe(true);

  const exit = await roster.exited;
  expect(exit).toEqual({ code: 0, signal: null });
  expect(Date.now() - signalled).toBeLessThan(20_000);
  const logs = logLines(roster.output());
  const messages = logs.map((l) => l.msg);
  expect(messages).toEqual(expect.arrayContaining(["shutting down: no new connections, finishing requests in flight", "database pool closed", "stopped"]));
  expect(logs.find((l) => l.msg === "shutting down: no new connections, finishing requests in flight")?.inFlight).toBeGreaterThanOrEqual(1);
  // The pool closed only after the Bulk had been answered.
  const at = (l: Record<string, unknown> | undefined) => Date.parse(String(l?.time));
  expect(at(logs.find((l) => l.msg === "database pool closed"))).toBeGreaterThanOrEqual(at(logs.find((l) => l.path === "/scim/v2/Bulk" && l.status === 200)));
  roster = undefined;

  // Nothing lost: every user of the Bulk, and its provisioning-log entry written after the response.
  expect(await shared.count("SELECT COUNT(*) AS n FROM users WHERE userName LIKE 'slow%'")).toBe(ops);
  expect(await shared.count("SELECT COUNT(*) AS n FROM provisioning_log_entries WHERE path LIKE '%/Bulk' AND status = 200")).toBe(1);
}, 45_000);

test("an idle process exits 0 at once on SIGTERM", async () => {
  // A long timeout, so that "at once" (nothing to wait for) is told apart from "when the timeout ends" on a slow machine too.
  roster = await startRoster({ databaseUrl: db.url, env: { SHUTDOWN_TIMEOUT_SECONDS: "120" } });
  expect((await fetch(`${roster.url}/readyz`)).status).toBe(200);
  const signalled = Date.now();
  roster.child.kill("SIGTERM");
  const exit = await roster.exited;
  expect(exit).toEqual({ code: 0, signal: null });
  expect(Date.now() - signalled).toBeLessThan(30_000);
  roster = undefined;
}, 60_000);

test("once draining has begun, /readyz answers 503 (load balancers stop routing) while /healthz stays 200", async () => {
  const app = await startTestApp();
  try {
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    app.drain();
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: "draining" });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
  } finally {
    await app.close();
  }
});
