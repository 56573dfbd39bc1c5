import { ConfigError, DEFAULT_SCIM_EXTENSION_URN, loadConfig, parseDatabaseUrl, unknownVariableWarnings } from "../src/config/config";

test("defaults: SQLite under ./data, port 4000, PUBLIC_URL from the port", () => {
  const c = loadConfig({});
  expect(c.database).toEqual({ driver: "sqlite", file: expect.stringMatching(/data\/roster\.sqlite$/) });
  expect(c.port).toBe(4000);
  expect(c.publicUrl).toBe("http://localhost:4000");
  expect(c.scim.extensionUrn).toBe(DEFAULT_SCIM_EXTENSION_URN);
  expect(c.scim.logRetention).toEqual({ bodyDays: 30, entryDays: 90 });
  expect(c.databaseStatementTimeoutMs).toBe(30_000);
  expect(loadConfig({ DATABASE_STATEMENT_TIMEOUT_SECONDS: "2.5" }).databaseStatementTimeoutMs).toBe(2_500);
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
  [{ DATABASE_STATEMENT_TIMEOUT_SECONDS: "0" }, /DATABASE_STATEMENT_TIMEOUT_SECONDS/],
  [{ DATABASE_STATEMENT_TIMEOUT_SECONDS: "soon" }, /DATABASE_STATEMENT_TIMEOUT_SECONDS/],
])("%j is refused at start, naming the variable", (env, message) => {
  expect(() => loadConfig(env)).toThrow(ConfigError);
  expect(() => loadConfig(env)).toThrow(message);
});

test("several bad variables are all named at once", () => {
  expect(() => loadConfig({ PORT: "x", LOG_LEVEL: "y" })).toThrow(/PORT[\s\S]*LOG_LEVEL|LOG_LEVEL[\s\S]*PORT/);
});

test("an empty variable is an unset one: its default, never 0 (port 0, a limit turned off)", () => {
  const c = loadConfig({ PORT: "", SCIM_RATE_LIMIT_PER_TOKEN: "", AUTH_FAILURE_LIMIT_PER_IP: " ", SCIM_LOG_RETENTION_DAYS: "", TOKEN_CACHE_SECONDS: "", SESSION_SECRET: "", REDIS_URL: "" });
  expect(c.port).toBe(4000);
  expect(c.publicUrl).toBe("http://localhost:4000");
  expect(c.rateLimits).toMatchObject({ scimPerToken: 600, authFailuresPerIp: 30 });
  expect(c.scim.logRetention.bodyDays).toBe(30);
  expect(c.tokenCacheMs).toBe(2000);
  expect(c.sso.sessionSecret).toBeNull();
  expect(c.redis).toBeNull();
  expect(loadConfig({ SCIM_RATE_LIMIT_PER_TOKEN: "0" }).rateLimits.scimPerToken).toBe(0);
});

test("TRUST_PROXY: true, false, a hop count (spaces around it ignored) or a list of addresses and ranges", () => {
  expect(loadConfig({}).trustProxy).toBe("loopback, linklocal, uniquelocal");
  expect(loadConfig({ TRUST_PROXY: "true" }).trustProxy).toBe(true);
  expect(loadConfig({ TRUST_PROXY: "false" }).trustProxy).toBe(false);
  // proxy-addr reads " 1" as the address 0.0.0.1: the hop count was meant
  expect(loadConfig({ TRUST_PROXY: " 1 " }).trustProxy).toBe(1);
  expect(loadConfig({ TRUST_PROXY: "10.0.0.0/8,  loopback " }).trustProxy).toBe("10.0.0.0/8, loopback");
});

test.each([["True"], ["yes"], ["10.0.0.0/33"], ["1, 2"], ["loopback,,10.0.0.1"]])("TRUST_PROXY=%j is refused at start, naming the variable and what it takes", (value) => {
  expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(ConfigError);
  expect(() => loadConfig({ TRUST_PROXY: value })).toThrow(/TRUST_PROXY: .*expected true, false, a hop count/);
});

test.each([["https://roster.example.com/?tenant=a"], ["https://roster.example.com#x"], ["https://user:pw@roster.example.com"]])("PUBLIC_URL=%j (URLs are built by appending to it) is refused", (value) => {
  expect(() => loadConfig({ PUBLIC_URL: value })).toThrow(/PUBLIC_URL: must be an http:\/\/ or https:\/\/ URL without credentials, query or fragment/);
});

test.each([["https://roster.example.com/roster"], ["https://roster.example.com/roster/"], ["http://localhost:4000/scim/v2"]])("PUBLIC_URL=%j (a path: Roster serves its routes at /) is refused, naming the variable", (value) => {
  expect(() => loadConfig({ PUBLIC_URL: value })).toThrow(/PUBLIC_URL: must have no path \(Roster serves its routes at \/, not under a prefix\)/);
});

test.each([["https://roster.example.com/", "https://roster.example.com"], ["https://roster.example.com//", "https://roster.example.com"], ["http://127.0.0.1:4000", "http://127.0.0.1:4000"]])("PUBLIC_URL=%j without a path is kept as %j", (value, kept) => {
  expect(loadConfig({ PUBLIC_URL: value }).publicUrl).toBe(kept);
});

test("DATABASE_URL options (?ssl=true) are refused, not dropped, and nothing of the URL is echoed", () => {
  expect(() => loadConfig({ DATABASE_URL: "mariadb://app:pw@db.internal/roster?ssl=true" })).toThrow(/DATABASE_URL: options after \? or # are not supported/);
  let message = "";
  try {
    loadConfig({ DATABASE_URL: "mariadb://app:se?cret@db.internal/roster" });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toMatch(/%3F/);
  expect(message).not.toMatch(/cret/);
});

test("variables that look like Roster's but are not read are named, with the one Roster reads", () => {
  expect(unknownVariableWarnings({ DATABASE_URI: "mariadb://x/y", SCIM_MAX_RESULT: "10", port: "80", OAUTH_ALLOW_PRIVATE_JWKS_HOSTS: "true", PATH: "/bin", HOME: "/root", HOSTNAME: "h", REDIS_PORT: "tcp://10.0.0.1:6379", NODE_ENV: "production", DATABASE_URL: "sqlite:x" })).toEqual([
    "DATABASE_URI is not a Roster variable and is ignored; did you mean DATABASE_URL?",
    "OAUTH_ALLOW_PRIVATE_JWKS_HOSTS is no longer read: it was renamed ALLOW_PRIVATE_OUTBOUND_HOSTS",
    "SCIM_MAX_RESULT is not a Roster variable and is ignored; did you mean SCIM_MAX_RESULTS?",
    "port is not a Roster variable and is ignored; did you mean PORT?",
  ]);
});
