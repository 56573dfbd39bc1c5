// Purges of expired sessions, replay entries and rate-limit counters: a backlog goes a thousand rows
// a statement, so a write to the same table never waits behind the whole purge (on MariaDB it waited
// for all of it, 1.0–1.8 s for 300,000 rows; on SQLite the process stalled as long). Real database
// (both passes).
import { DatabaseCounterStore } from "../../src/domain/rate-limits/rate-limiter";
import { type TestApp, startTestApp } from "../support/test-app";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

const BACKLOG = 2500;
const PAST = new Date("2026-01-01T00:00:00.000Z");

/** `n` rows of `table` through one INSERT (values bound), expired unless `expiresAt` says otherwise. */
async function seed(table: "sessions" | "replay_entries" | "rate_limit_counters", prefix: string, n: number, expiresAt = PAST): Promise<void> {
  const db = app.services.db;
  const q = (c: string) => (db.dialect === "mysql" ? `\`${c}\`` : `"${c}"`);
  const columns = table === "sessions" ? ["id", "data", "expiresAt", "updatedAt"] : table === "replay_entries" ? ["key", "value", "expiresAt"] : ["key", "count", "expiresAt"];
  const row = (i: number) => (table === "sessions" ? [`${prefix}${i}`, "{}", expiresAt, expiresAt] : table === "replay_entries" ? [`${prefix}${i}`, "x", expiresAt] : [`${prefix}${i}`, 3, expiresAt]);
  for (let from = 0; from < n; from += 1000) {
    const rows = Array.from({ length: Math.min(1000, n - from) }, (_, i) => row(from + i));
    const sql = `INSERT INTO ${table} (${columns.map(q).join(", ")}) VALUES ${rows.map(() => `(${columns.map(() => "?").join(", ")})`).join(", ")}`;
    await db.transaction({}, (tx) => db.rows(tx, sql, rows.flat()));
  }
}

const count = async (table: string, prefix: string) => {
  const db = app.services.db;
  const key = table === "sessions" ? "id" : db.dialect === "mysql" ? "`key`" : '"key"';
  const [{ n }] = await db.rows<{ n: number }>(undefined, `SELECT COUNT(*) AS n FROM ${table} WHERE ${key} LIKE ?`, [`${prefix}%`]);
  return Number(n);
};

test.each([
  ["sessions", () => app.services.sessions.purgeExpired()],
  ["replay_entries", () => app.services.replay.purgeExpired()],
  ["rate_limit_counters", () => app.services.rateLimiter.purgeExpired()],
] as const)("a backlog of expired %s goes a thousand a statement; live rows stay", async (table, purge) => {
  await seed(table, "old:", BACKLOG);
  await seed(table, "live:", 3, new Date(Date.now() + 3600_000));
  // The purge's own statements: not those of the app's purge timers, which may run meanwhile.
  const { result, statements, parameters } = await app.statementsOfCall(purge);
  expect(result).toBe(BACKLOG);
  expect(await count(table, "old:")).toBe(0);
  expect(await count(table, "live:")).toBe(3);
  // One DELETE of all 2,500 before: on MariaDB every write to the table waited for it. Now a thousand
  // keys (and the time) a statement, and no other DELETE of the table.
  const deletes = parameters.filter((_, i) => new RegExp(`^\\s*DELETE FROM \\W?${table}\\b`, "i").test(statements[i]));
  expect(deletes.map((p) => p.length)).toEqual([1001, 1001, 501]);
  expect(await purge()).toBe(0);
});

test("the request that notices the counters are due for a purge does not wait for it", async () => {
  const store = new DatabaseCounterStore(app.services.db);
  let started!: () => void;
  const purgeStarted = new Promise<void>((resolve) => (started = resolve));
  let release!: () => void;
  // A purge that runs until the test releases it (a backlog's).
  store.purgeExpired = () => {
    started();
    return new Promise<number>((resolve) => (release = () => resolve(0)));
  };
  let answered = false;
  const hit = store.increment("purge-beside:ip:203.0.113.7", 1, new Date(Date.now() + 60_000)).then((n) => {
    answered = true;
    return n;
  });
  await purgeStarted;
  await new Promise((resolve) => setImmediate(resolve));
  // Before, the increment awaited the purge: it answered only once the purge ended.
  expect(answered).toBe(true);
  release();
  expect(await hit).toBe(1);
});
