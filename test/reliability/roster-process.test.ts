// The Roster child processes of a test file are all gone at its end, even one no variable holds: a
// live child keeps the jest worker from exiting ("A worker process has failed to exit gracefully").
import type { ChildProcess } from "node:child_process";
import { type TestDatabase, createTestDatabase } from "../support/test-database";
import { ensureBuilt, mainJs, startRoster } from "./support/roster-process";

let db: TestDatabase;
beforeAll(async () => {
  await ensureBuilt();
  db = await createTestDatabase();
}, 60_000);

/** The `node dist/src/main.js` children of this jest worker that are still running. */
function rosterChildren(): ChildProcess[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  const isRoster = (h: unknown): h is ChildProcess => Array.isArray((h as ChildProcess).spawnargs) && (h as ChildProcess).spawnargs.includes(mainJs);
  // An exited child's handle is listed until its close completes, a turn of the event loop later.
  return handles.filter(isRoster).filter((child) => child.exitCode === null && child.signalCode === null);
}

// Declared after the imports, so after roster-process's own afterAll: it sees what that one left.
afterAll(async () => {
  const left = rosterChildren();
  // Never leave one running, even when this fails.
  for (const child of left) child.kill("SIGKILL");
  await Promise.all(left.map((child) => new Promise((resolve) => child.once("exit", resolve))));
  await db?.drop();
  expect(left.map((child) => child.pid)).toEqual([]);
});

test("a Roster started beside one that fails to start (both in one Promise.all, as many-instances' beforeAll does) is stopped by the file's teardown", async () => {
  // SQLite under a file, not a directory: that one exits at once.
  await expect(Promise.all([startRoster({ databaseUrl: db.url }), startRoster({ databaseUrl: `sqlite:${mainJs}/roster.sqlite` })])).rejects.toThrow(/Roster exited while starting/);
  // The other one is running (or still starting) and nothing in this file can stop it.
  expect(rosterChildren()).toHaveLength(1);
});
