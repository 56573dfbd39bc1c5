// Starting `node dist/src/main.js` when something is wrong with where it should listen.
import { spawn } from "node:child_process";
import net from "node:net";
import { createServices } from "../../src/domain/services";
import { openDatabase } from "../../src/platform/boot";
import { Database } from "../../src/platform/database";
import { type TestDatabase, createTestDatabase } from "../support/test-database";
import { ensureBuilt, freePort, mainJs, startRoster } from "./support/roster-process";

let db: TestDatabase;
beforeAll(async () => {
  await ensureBuilt();
  db = await createTestDatabase();
}, 60_000);
afterAll(async () => {
  await db?.drop();
});

/** Runs the server until it exits by itself (it should: it cannot listen). */
function runToExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [mainJs], { env: { PATH: process.env.PATH ?? "", LOG_LEVEL: "info", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")));
  child.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  return new Promise((resolve) =>
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    }),
  );
}

test("first start with the port in use: one line naming PORT, exit 1, nothing created; the next start creates `default` and prints its secrets", async () => {
  const blocker = net.createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => blocker.listen(port, "127.0.0.1", resolve));
  try {
    const failed = await runToExit({ DATABASE_URL: db.url, PORT: String(port), HOST: "127.0.0.1", BOOTSTRAP_DEFAULT_ORG: "true" });
    expect(failed.code).toBe(1);
    expect(failed.output).toMatch(`Roster failed to start: port ${port} on 127.0.0.1 is already in use by another process (PORT, HOST)`);
    expect(failed.output).not.toMatch(/Unhandled 'error' event|at Server\./);
    // Created before the failed listen, the organisation's secrets were never shown, and no later start showed any.
    const ds = await openDatabase({ database: db.config });
    try {
      expect(await createServices(new Database(ds)).organisations.count()).toBe(0);
    } finally {
      await ds.destroy();
    }
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
  const roster = await startRoster({ databaseUrl: db.url, port, env: { BOOTSTRAP_DEFAULT_ORG: "true" } });
  try {
    // /readyz answers as soon as it listens; the banner follows once `default` is created.
    for (let i = 0; i < 200 && !roster.output().includes("SCIM token"); i++) await new Promise((r) => setTimeout(r, 50));
    expect(roster.output()).toMatch(/admin token \(GraphQL, Authorization: Bearer …\): rst_admin_/);
    expect(roster.output()).toMatch(new RegExp(`Roster is listening on port ${port} `));
  } finally {
    await roster.stop();
  }
});

test("HOST that is not an address of this machine: one line naming HOST, exit 1", async () => {
  const failed = await runToExit({ DATABASE_URL: db.url, PORT: String(await freePort()), HOST: "192.0.2.1", BOOTSTRAP_DEFAULT_ORG: "false" });
  expect(failed.code).toBe(1);
  expect(failed.output.trim()).toBe("Roster failed to start: 192.0.2.1 is not an address of this machine (HOST)");
});

test("a database Roster cannot open: one line naming DATABASE_URL and the server (never the password), exit 1", async () => {
  const port = String(await freePort());
  const missing = await runToExit({ DATABASE_URL: "mariadb://root@127.0.0.1:3306/roster_no_such_database", PORT: port, BOOTSTRAP_DEFAULT_ORG: "false" });
  expect(missing.code).toBe(1);
  expect(missing.output.trim()).toMatch(/^Roster failed to start: could not open the database, mariadb 127\.0\.0\.1:3306\/roster_no_such_database \(DATABASE_URL\): Unknown database 'roster_no_such_database'$/);
  const wrongPassword = await runToExit({ DATABASE_URL: "mariadb://root:s3cret-pw@127.0.0.1:3306/test", PORT: port, BOOTSTRAP_DEFAULT_ORG: "false" });
  expect(wrongPassword.code).toBe(1);
  expect(wrongPassword.output.trim()).toMatch(/^Roster failed to start: could not open the database, mariadb 127\.0\.0\.1:3306\/test \(DATABASE_URL\): Access denied/);
  expect(wrongPassword.output).not.toContain("s3cret-pw");
  const notADirectory = await runToExit({ DATABASE_URL: `sqlite:${mainJs}/roster.sqlite`, PORT: port, BOOTSTRAP_DEFAULT_ORG: "false" });
  expect(notADirectory.code).toBe(1);
  expect(notADirectory.output.trim()).toMatch(/^Roster failed to start: could not open the database, SQLite .*roster\.sqlite \(DATABASE_URL\): /);
});
