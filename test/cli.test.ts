import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { runCli } from "../src/cli/run-cli";
import { openDatabase } from "../src/platform/boot";
import { createServices } from "../src/domain/services";
import { Database } from "../src/platform/database";
import { type TestDatabase, createTestDatabase } from "./support/test-database";

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

async function cliOn(databaseUrl: string, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, { DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" });
  return { code, out, err: err.join("\n") };
}

const cli = (...argv: string[]) => cliOn(db.url, ...argv);

test("org create/list, token create (prints only the secret)/list/revoke, on the server's DATABASE_URL", async () => {
  const created = await cli("org", "create", "--slug", "acme", "--name", "Acme Inc");
  expect(created.code).toBe(0);
  expect((await cli("org", "list")).out.join("\n")).toMatch(/\tacme\tAcme Inc\tscim=on$/m);

  const token = await cli("token", "create", "--org", "acme", "--scope", "scim", "--name", "okta", "--expires-in", "90d");
  expect(token.code).toBe(0);
  expect(token.out).toHaveLength(1);
  expect(token.out[0]).toMatch(/^rst_scim_[A-Za-z0-9_-]{43}$/);

  const ds = await openDatabase({ database: db.config });
  try {
    const services = createServices(new Database(ds));
    const check = await services.tokens.check(token.out[0], "scim");
    expect(check.ok).toBe(true);
    if (!check.ok) return;
    expect(check.token.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 89 * 86400_000);
    const list = await cli("token", "list", "--org", "acme");
    expect(list.out.join("\n")).toContain(check.token.id);
    expect(list.out.join("\n")).not.toContain(token.out[0]);
    expect((await cli("token", "revoke", "--org", "acme", "--id", check.token.id)).code).toBe(0);
    // This process checked the token before the CLI (another process) revoked it: its cached check
    // holds for TOKEN_CACHE_SECONDS at most; a fresh check sees the revocation.
    expect((await createServices(new Database(ds), { tokenCacheMs: 0 }).tokens.check(token.out[0], "scim"))).toMatchObject({ ok: false, reason: "revoked" });
    const audit = await services.audit.list({ organisationId: check.organisation.id, actor: { type: "system", id: null, label: "t" }, source: "cli", requestId: "t" }, { source: "cli" }, { first: 10 });
    expect(audit.items.map((e) => e.action)).toEqual(["token.revoked", "token.created", "organisation.created"]);
  } finally {
    await ds.destroy();
  }
});

test.each([
  [["token", "create", "--org", "acme", "--scope", "root", "--name", "x"], 2, /--scope must be one of scim, admin/],
  [["token", "create", "--org", "nope", "--scope", "scim", "--name", "x"], 1, /Organisation "nope" not found/],
  [["token", "create", "--scope", "scim", "--name", "x"], 2, /--org is required/],
  [["token", "create", "--org", "acme", "--scope", "scim", "--name", "x", "--expires-in", "soon"], 1, /not a duration/],
  // 0 meant "no expiry": a token that never expired.
  [["token", "create", "--org", "acme", "--scope", "scim", "--name", "x", "--expires-in", "0d"], 1, /must be in the future/],
  [["token", "create", "--org", "acme", "--scope", "scim", "--name", "x", "--expires-in", "99999d"], 1, /expires within 3650 days/],
  // Past Date's range: an invalid Date passed every comparison and was stored as NULL (never expires) or NaN.
  [["token", "create", "--org", "acme", "--scope", "scim", "--name", "x", "--expires-in", "300000y"], 1, /expires within 3650 days/],
  [["token", "create", "--org", "acme", "--scope", "scim", "--name", "x", "--expires-in", "99999999999999999y"], 1, /expires within 3650 days/],
  [["org", "create", "--slug", "Bad Slug", "--name", "x"], 1, /slug must be/],
  [["org", "create", "--slug", "x", "--name", "y", "--colour", "red"], 2, /Unknown option '--colour'/],
  [["frobnicate"], 2, /unknown command: frobnicate/],
])("roster %j exits %i with a clear message", async (argv, code, message) => {
  if (!(await cli("org", "list")).out.join().includes("acme")) await cli("org", "create", "--slug", "acme", "--name", "Acme");
  const r = await cli(...argv);
  expect(r.code).toBe(code);
  expect(r.err).toMatch(message);
});

test("on a database whose schema is behind, a command refuses and changes nothing; `roster migrate` applies what is pending; an empty database is set up by any command", async () => {
  const other = await createTestDatabase();
  const on = (...argv: string[]) => cliOn(other.url, ...argv);
  try {
    expect((await on("org", "create", "--slug", "older", "--name", "Older")).code).toBe(0);
    // The schema as an older release left it: its last migration not applied.
    const ds = await openDatabase({ database: other.config });
    const last = ds.migrations.map((m) => m.name!).sort((a, b) => Number(a.match(/\d{13}/)![0]) - Number(b.match(/\d{13}/)![0])).at(-1)!;
    await ds.undoLastMigration({ transaction: "each" });
    const applied = async () => ((await ds.query("SELECT name FROM migrations")) as { name: string }[]).map((r) => r.name);
    expect(await applied()).not.toContain(last);

    const refused = await on("token", "create", "--org", "older", "--scope", "scim", "--name", "x");
    expect(refused.code).toBe(1);
    expect(refused.out).toEqual([]);
    expect(refused.err).toContain(`the database's schema is older than this release: 1 migration is pending (${last})`);
    expect(refused.err).toMatch(/Nothing was changed.*`roster migrate`/);
    expect(await applied()).not.toContain(last);
    expect(await ds.query("SELECT id FROM access_tokens")).toEqual([]);

    const migrated = await on("migrate");
    expect([migrated.code, migrated.out]).toEqual([0, [`applied ${last}`]]);
    expect(await applied()).toContain(last);
    expect((await on("migrate")).out).toEqual(["the schema is up to date"]);
    expect((await on("token", "create", "--org", "older", "--scope", "scim", "--name", "x")).code).toBe(0);
    await ds.destroy();
  } finally {
    await other.drop();
  }
});

test("a bad DATABASE_URL is named in the error", async () => {
  const err: string[] = [];
  const code = await runCli(["org", "list"], { out: () => undefined, err: (l) => err.push(l) }, { DATABASE_URL: "postgres://x" });
  expect(code).toBe(2);
  expect(err.join("\n")).toMatch(/DATABASE_URL: must start with sqlite:, mariadb:\/\/ or mysql:\/\//);
});

test("the compiled `roster` binary prints only the secret on stdout, so scripts can capture it", () => {
  const root = path.resolve(__dirname, "..");
  const main = path.join(root, "dist/src/cli/main.js");
  if (!fs.existsSync(main)) {
    const build = spawnSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, encoding: "utf8" });
    expect(build.status).toBe(0);
  }
  const env = { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: "silent" };
  spawnSync(process.execPath, [main, "org", "create", "--slug", "bin", "--name", "Bin"], { env, encoding: "utf8" });
  const r = spawnSync(process.execPath, [main, "token", "create", "--org", "bin", "--scope", "admin", "--name", "ci"], { env, encoding: "utf8" });
  expect(r.status).toBe(0);
  expect(r.stdout).toMatch(/^rst_admin_[A-Za-z0-9_-]{43}\n$/);
});

test("help that was asked for goes to stdout (exit 0), one command's help is its own usage; a mistake's help goes to stderr (exit 2)", async () => {
  const all = await cli("--help");
  expect(all).toMatchObject({ code: 0, err: "" });
  expect(all.out.join("\n")).toMatch(/roster token create --org S/);
  const one = await cli("token", "create", "--help");
  expect(one).toMatchObject({ code: 0, err: "" });
  expect(one.out.join("\n")).toMatch(/^create a token; prints only the secret, once\nusage: roster token create --org S/);
  expect(one.out.join("\n")).not.toMatch(/org create/);
  const wrong = await cli("frobnicate");
  expect(wrong.code).toBe(2);
  expect(wrong.out).toEqual([]);
  expect(wrong.err).toMatch(/roster token create/);
});

test("a mistyped variable (DATABASE_URI) is named on stderr, stdout stays the command's own", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(["org", "list"], { out: (l) => out.push(l), err: (l) => err.push(l) }, { DATABASE_URL: db.url, DATABASE_URI: "mariadb://elsewhere/roster", LOG_LEVEL: "silent" });
  expect(code).toBe(0);
  expect(err).toEqual(["warning: DATABASE_URI is not a Roster variable and is ignored; did you mean DATABASE_URL?"]);
  expect(out.join("\n")).not.toMatch(/DATABASE_URI/);
});
