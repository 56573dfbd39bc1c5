import { ConfigError, DEFAULT_SCIM_EXTENSION_URN, loadConfig, parseDatabaseUrl } from "../src/config/config";

test("defaults: SQLite under ./data, port 4000, PUBLIC_URL from the port", () => {
  const c = loadConfig({});
  expect(c.database).toEqual({ driver: "sqlite", file: expect.stringMatching(/data\/roster\.sqlite$/) });
  expect(c.port).toBe(4000);
  expect(c.publicUrl).toBe("http://localhost:4000");
  expect(c.scim.extensionUrn).toBe(DEFAULT_SCIM_EXTENSION_URN);
  expect(c.scim.logRetention).toEqual({ bodyDays: 30, entryDays: 90 });
  expect(loadConfig({ SCIM_LOG_RETENTION_DAYS: "7", SCIM_LOG_ENTRY_RETENTION_DAYS: "30" }).scim.logRetention).toEqual({ bodyDays: 7, entryDays: 30 });
});

test("database URLs", () => {
  expect(parseDatabaseUrl("mariadb://app:s%40cret@db.internal:3307/roster")).toEqual({ driver: "mariadb", host: "db.internal", port: 3307, user: "app", password: "s@cret", database: "roster" });
  expect(parseDatabaseUrl("mysql://root@127.0.0.1/r")).toMatchObject({ driver: "mysql", port: 3306, user: "root", password: "" });
  expect(parseDatabaseUrl("sqlite::memory:")).toEqual({ driver: "sqlite", file: ":memory:" });
});

test.each([
  [{ PORT: "eighty" }, /PORT/],
  [{ DATABASE_URL: "postgres://x/y" }, /DATABASE_URL: must start with/],
  [{ DATABASE_URL: "mariadb://root@host" }, /DATABASE_URL: mariadb URL needs a database name/],
  [{ PUBLIC_URL: "ftp://x" }, /PUBLIC_URL/],
  [{ LOG_LEVEL: "loud" }, /LOG_LEVEL/],
  [{ SCIM_EXTENSION_URN: "not a urn" }, /SCIM_EXTENSION_URN/],
  [{ SCIM_LOG_ENTRY_RETENTION_DAYS: "0" }, /SCIM_LOG_ENTRY_RETENTION_DAYS/],
])("%j is refused at start, naming the variable", (env, message) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
});

test("several bad variables are all named at once", () => {
  expect(() => loadConfig({ PORT: "x", LOG_LEVEL: "y" })).toThrow(/PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*PORT/);
});
