import path from "node:path";
import proxyaddr from "proxy-addr";
import { z } from "zod";

/** The product extension URN of the seed documents' product; a deployment replacing it sets SCIM_EXTENSION_URN to it. */
export const DEFAULT_SCIM_EXTENSION_URN = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default("0.0.0.0"),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/ })
    // Every URL Roster shows is built by appending to it: a query or fragment would end up in the middle.
    .refine((v) => !/[?#]/.test(v) && !new URL(v).username, "must be an http:// or https:// URL without credentials, query or fragment, e.g. https://roster.example.com")
    // Roster answers at / (its routes, the paths it redirects to, its admin console's links): under a
    // path, PUBLIC_URL named URLs (SCIM meta.location, the SAML ACS) that Roster does not serve.
    .refine(
      (v) => /^\/*$/.test(new URL(v).pathname),
      "must have no path (Roster serves its routes at /, not under a prefix): give Roster a host name of its own, e.g. https://roster.example.com, and have the proxy forward to it without a path prefix",
    )
    .optional(),
  DATABASE_URL: z
    .string()
    .default("sqlite:./data/roster.sqlite")
    .refine((v) => /^(sqlite:|mariadb:\/\/|mysql:\/\/)/.test(v), "must start with sqlite:, mariadb:// or mysql://"),
  LOG_LEVEL: z.enum(logLevels).default("info"),
  SCIM_EXTENSION_URN: z
    .string()
    .regex(/^urn:[a-z0-9][a-z0-9-]{0,31}:[^\s]+$/i, "must be a URN such as urn:ietf:params:scim:schemas:extension:acme:2.0:User")
    .default(DEFAULT_SCIM_EXTENSION_URN),
  SCIM_MAX_RESULTS: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** Group members one SCIM response reads at once: an answer with more streams them, this many at a time. */
  SCIM_MEMBERS_IN_MEMORY: z.coerce.number().int().min(1).max(1_000_000).default(2000),
  SCIM_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  SCIM_LOG_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  /** Days a provisioning-log entry is kept (its body goes after SCIM_LOG_RETENTION_DAYS); the audit trail keeps its changes. */
  SCIM_LOG_ENTRY_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  BOOTSTRAP_DEFAULT_ORG: z.enum(["true", "false"]).default("true").transform((v) => v === "true"),
  /** Signs session cookies. Unset: generated once and shared by all instances through the database. */
  SESSION_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  SESSION_TTL_HOURS: z.coerce.number().min(0.1).max(24 * 30).default(12),
  /** Tests and local development only: lets openid-client talk to an http:// IdP. Never set in production. */
  OIDC_ALLOW_INSECURE_REQUESTS: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  /** Lifetime of the access tokens /oauth/token issues: 60 minutes to 6 hours. */
  OAUTH_ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(3600, "must be at least 3600 (60 minutes)").max(21600, "must be at most 21600 (6 hours)").default(3600),
  /** Token requests allowed per window, per client and per IP address. */
  OAUTH_TOKEN_RATE_LIMIT: z.coerce.number().int().min(1).max(100_000).default(60),
  OAUTH_TOKEN_RATE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** After a federated credential's JWKS is fetched, an unknown kid does not fetch it again for this long. */
  OAUTH_JWKS_REFRESH_COOLDOWN_SECONDS: z.coerce.number().min(0.1).max(3600).default(30),
  /** Tests and local development only: federated credentials may name an http:// JWKS URL. Never set in production. */
  OAUTH_ALLOW_HTTP_JWKS: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  /**
   * Tests and local development only: hosts an organisation admin configures and Roster fetches from
   * (a federated credential's JWKS, an OIDC issuer and its endpoints) may be loopback or private. Never in production (SSRF).
   */
  ALLOW_PRIVATE_OUTBOUND_HOSTS: z.enum(["true", "false"]).default("false").transform((v) => v === "true"),
  /** Rate limits (requests per RATE_LIMIT_WINDOW_SECONDS; 0 turns one off), counted in the database (or Redis) so all instances share them. */
  RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  SCIM_RATE_LIMIT_PER_TOKEN: z.coerce.number().int().min(0).max(1_000_000).default(600),
  SCIM_RATE_LIMIT_PER_IP: z.coerce.number().int().min(0).max(1_000_000).default(3000),
  GRAPHQL_RATE_LIMIT_PER_IP: z.coerce.number().int().min(0).max(1_000_000).default(1200),
  AUTH_RATE_LIMIT_PER_IP: z.coerce.number().int().min(0).max(1_000_000).default(300),
  /** Failed bearer-token authentications (SCIM, GraphQL) per IP and window; beyond it every attempt from that IP gets 429. */
  AUTH_FAILURE_LIMIT_PER_IP: z.coerce.number().int().min(0).max(1_000_000).default(30),
  /**
   * Seconds a checked SCIM/admin token is trusted before it is read again. A revocation through this
   * instance applies at once; through another instance, within this time. 0 reads it on every request.
   */
  TOKEN_CACHE_SECONDS: z.coerce.number().min(0).max(60).default(2),
  /** Express "trust proxy": which hops' X-Forwarded-For is believed (per-IP limits key on the result). */
  TRUST_PROXY: z
    .string()
    .default("loopback, linklocal, uniquelocal")
    .transform((v, ctx) => {
      try {
        return parseTrustProxy(v);
      } catch (err) {
        ctx.issues.push({ code: "custom", input: v, message: `${(err as Error).message}; expected true, false, a hop count, or addresses and ranges such as "loopback, 10.0.0.0/8"` });
        return z.NEVER;
      }
    }),
  /** Sessions, the replay cache and rate-limit counters in Redis instead of the database (unset: the database). */
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: "must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0" }).optional(),
  /** Every key Roster writes in Redis starts with this (several deployments can share one Redis). */
  REDIS_KEY_PREFIX: z.string().min(1).max(100).default("roster:"),
  /** A request's headers and body must have arrived within this (408 and the connection closed otherwise): slow clients cannot hold connections for Node's 5 minutes. */
  REQUEST_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(30),
  /**
   * MariaDB/MySQL: a statement of the server (a request's, or background upkeep's) unanswered after
   * this long fails (503) and its connection is closed; so does a wait this long for a pooled
   * connection. Migrations and the CLI are not bounded.
   */
  DATABASE_STATEMENT_TIMEOUT_SECONDS: z.coerce.number().min(1).max(3600).default(30),
  /** On SIGTERM, requests in flight get this long to finish before the process exits anyway. */
  SHUTDOWN_TIMEOUT_SECONDS: z.coerce.number().min(1).max(600).default(30),
});

export type DatabaseConfig =
  | { driver: "sqlite"; file: string }
  | { driver: "mariadb" | "mysql"; host: string; port: number; user: string; password: string; database: string };

export interface AppConfig {
  port: number;
  host: string;
  publicUrl: string;
  database: DatabaseConfig;
  logLevel: (typeof logLevels)[number];
  scim: { extensionUrn: string; maxResults: number; maxPayloadBytes: number; logRetention: { bodyDays: number; entryDays: number }; membersInMemory: number };
  bootstrapDefaultOrganisation: boolean;
  sso: { sessionSecret: string | null; sessionTtlMs: number; allowInsecureOidcRequests: boolean };
  oauth: { accessTokenTtlSeconds: number; tokenRateLimit: { limit: number; windowSeconds: number }; jwksRefreshCooldownMs: number; allowHttpJwks: boolean };
  /** ALLOW_PRIVATE_OUTBOUND_HOSTS (tests, development): admin-configured hosts Roster fetches from may be private. */
  allowPrivateOutboundHosts: boolean;
  /** Requests per window; 0 = no limit. */
  rateLimits: { windowSeconds: number; scimPerToken: number; scimPerIp: number; graphqlPerIp: number; authPerIp: number; authFailuresPerIp: number };
  /** TOKEN_CACHE_SECONDS in ms. */
  tokenCacheMs: number;
  /** Express "trust proxy" setting. */
  trustProxy: boolean | number | string;
  shutdownTimeoutMs: number;
  /** DATABASE_STATEMENT_TIMEOUT_SECONDS in ms (MariaDB/MySQL; servers only). */
  databaseStatementTimeoutMs: number;
  /** REQUEST_TIMEOUT_SECONDS in ms: receiving a request's headers and body. */
  requestTimeoutMs: number;
  /** REDIS_URL and REDIS_KEY_PREFIX; null: everything shared lives in the database. */
  redis: { url: string; keyPrefix: string } | null;
}

export class ConfigError extends Error {}

/** Every variable Roster reads (TEST_DATABASE_URL: the tests'). */
export const KNOWN_VARIABLES: readonly string[] = [...Object.keys(environmentSchema.shape), "TEST_DATABASE_URL"];

/** Variables Roster once read under another name. */
const RENAMED_VARIABLES: Readonly<Record<string, string>> = { OAUTH_ALLOW_PRIVATE_JWKS_HOSTS: "ALLOW_PRIVATE_OUTBOUND_HOSTS" };

/**
 * `true`, `false`, a hop count, or a list of addresses, ranges and proxy-addr's names (loopback,
 * linklocal, uniquelocal), as Express's "trust proxy" takes them. Surrounding spaces are ignored (` 1`
 * is the hop count, not the address 0.0.0.1, which proxy-addr would make of it), and a number inside a
 * list is refused for the same reason.
 */
export function parseTrustProxy(value: string): boolean | number | string {
  const v = value.trim();
  if (v === "true") return true;
  if (v === "false") return false;
  if (/^\d+$/.test(v)) return Number(v);
  const entries = v.split(",").map((e) => e.trim());
  if (entries.some((e) => !e)) throw new Error("an empty entry in the list");
  const count = entries.find((e) => /^\d+$/.test(e));
  if (count !== undefined) throw new Error(`"${count}" is not an address (a hop count stands alone)`);
  proxyaddr.compile(entries); // throws "invalid IP address: …"
  return entries.join(", ");
}

/** Levenshtein distance, for the near-miss names below. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row.push(Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    previous = row;
  }
  return previous[b.length]!;
}

/**
 * Variables that look like Roster's but are not read (`DATABASE_URI`, `SCIM_MAX_RESULT`, a renamed one):
 * each would leave its setting at the default (for DATABASE_URI, a fresh SQLite file) without a word.
 * One warning each, naming the variable Roster reads instead.
 */
export function unknownVariableWarnings(env: NodeJS.ProcessEnv): string[] {
  const warnings: string[] = [];
  for (const name of Object.keys(env).sort()) {
    if (KNOWN_VARIABLES.includes(name)) continue;
    const renamed = RENAMED_VARIABLES[name];
    if (renamed) {
      warnings.push(`${name} is no longer read: it was renamed ${renamed}`);
      continue;
    }
    const nearest = KNOWN_VARIABLES.map((known) => ({ known, d: distance(name.toUpperCase(), known) })).sort((x, y) => x.d - y.d)[0]!;
    if (nearest.d <= Math.min(2, Math.floor(nearest.known.length / 4))) warnings.push(`${name} is not a Roster variable and is ignored; did you mean ${nearest.known}?`);
  }
  return warnings;
}

/**
 * Reads and validates the environment; the error names every bad variable. An empty variable counts
 * as unset (its default): `PORT=` in an env file or `PORT: ${PORT}` in a compose file made port 0 (any
 * free port), and an empty rate limit or failure limit made 0, which turns the limit off.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = environmentSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== "")));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const e = parsed.data;
  let database: DatabaseConfig;
  try {
    database = parseDatabaseUrl(e.DATABASE_URL);
  } catch (err) {
    throw new ConfigError(`Invalid configuration:\n  DATABASE_URL: ${(err as Error).message}`);
  }
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, "");
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl,
    database,
    logLevel: e.LOG_LEVEL,
    scim: {
      extensionUrn: e.SCIM_EXTENSION_URN,
      maxResults: e.SCIM_MAX_RESULTS,
      maxPayloadBytes: e.SCIM_MAX_PAYLOAD_BYTES,
      logRetention: { bodyDays: e.SCIM_LOG_RETENTION_DAYS, entryDays: e.SCIM_LOG_ENTRY_RETENTION_DAYS },
      membersInMemory: e.SCIM_MEMBERS_IN_MEMORY,
    },
    bootstrapDefaultOrganisation: e.BOOTSTRAP_DEFAULT_ORG,
    sso: { sessionSecret: e.SESSION_SECRET ?? null, sessionTtlMs: Math.round(e.SESSION_TTL_HOURS * 3_600_000), allowInsecureOidcRequests: e.OIDC_ALLOW_INSECURE_REQUESTS },
    oauth: {
      accessTokenTtlSeconds: e.OAUTH_ACCESS_TOKEN_TTL_SECONDS,
      tokenRateLimit: { limit: e.OAUTH_TOKEN_RATE_LIMIT, windowSeconds: e.OAUTH_TOKEN_RATE_WINDOW_SECONDS },
      jwksRefreshCooldownMs: Math.round(e.OAUTH_JWKS_REFRESH_COOLDOWN_SECONDS * 1000),
      allowHttpJwks: e.OAUTH_ALLOW_HTTP_JWKS,
    },
    allowPrivateOutboundHosts: e.ALLOW_PRIVATE_OUTBOUND_HOSTS,
    rateLimits: {
      windowSeconds: e.RATE_LIMIT_WINDOW_SECONDS,
      scimPerToken: e.SCIM_RATE_LIMIT_PER_TOKEN,
      scimPerIp: e.SCIM_RATE_LIMIT_PER_IP,
      graphqlPerIp: e.GRAPHQL_RATE_LIMIT_PER_IP,
      authPerIp: e.AUTH_RATE_LIMIT_PER_IP,
      authFailuresPerIp: e.AUTH_FAILURE_LIMIT_PER_IP,
    },
    tokenCacheMs: Math.round(e.TOKEN_CACHE_SECONDS * 1000),
    trustProxy: e.TRUST_PROXY,
    shutdownTimeoutMs: Math.round(e.SHUTDOWN_TIMEOUT_SECONDS * 1000),
    requestTimeoutMs: Math.round(e.REQUEST_TIMEOUT_SECONDS * 1000),
    databaseStatementTimeoutMs: Math.round(e.DATABASE_STATEMENT_TIMEOUT_SECONDS * 1000),
    redis: e.REDIS_URL ? { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX } : null,
  };
}

/** `sqlite:./data/x.sqlite`, `sqlite::memory:`, `mariadb://user:pass@host:3306/db`, `mysql://…`. */
export function parseDatabaseUrl(url: string): DatabaseConfig {
  if (url.startsWith("sqlite:")) {
    const file = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (!file) throw new Error("sqlite: needs a file path, e.g. sqlite:./data/roster.sqlite");
    return { driver: "sqlite", file: file === ":memory:" ? file : path.resolve(file) };
  }
  // Options such as ?ssl=true are not read: refused rather than dropped, so that nobody believes the
  // connection uses them. Nothing of the URL is echoed (an unencoded ? or # may sit in a password).
  if (/[?#]/.test(url)) throw new Error("options after ? or # are not supported (Roster would connect without them); a ? or # in a password must be written %3F or %23");
  const u = new URL(url);
  const driver = u.protocol === "mysql:" ? "mysql" : "mariadb";
  const database = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (!database) throw new Error(`${driver} URL needs a database name, e.g. ${driver}://root@127.0.0.1:3306/roster`);
  return {
    driver,
    host: u.hostname || "127.0.0.1",
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password),
    database,
  };
}
