import path from "node:path";
import { z } from "zod";

/** The product extension URN of the seed documents' product; a deployment replacing it sets SCIM_EXTENSION_URN to it. */
export const DEFAULT_SCIM_EXTENSION_URN = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";

const logLevels = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const environmentSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().min(1).default("0.0.0.0"),
  PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
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
  SCIM_MAX_PAYLOAD_BYTES: z.coerce.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  SCIM_LOG_RETENTION_DAYS: z.coerce.number().int().min(0).max(3650).default(30),
  BOOTSTRAP_DEFAULT_ORG: z.enum(["true", "false"]).default("true").transform((v) => v === "true"),
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
  scim: { extensionUrn: string; maxResults: number; maxPayloadBytes: number; logRetentionDays: number };
  bootstrapDefaultOrganisation: boolean;
}

export class ConfigError extends Error {}

/** Reads and validates the environment; the error names every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = environmentSchema.safeParse(env);
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
      logRetentionDays: e.SCIM_LOG_RETENTION_DAYS,
    },
    bootstrapDefaultOrganisation: e.BOOTSTRAP_DEFAULT_ORG,
  };
}

/** `sqlite:./data/x.sqlite`, `sqlite::memory:`, `mariadb://user:pass@host:3306/db`, `mysql://…`. */
export function parseDatabaseUrl(url: string): DatabaseConfig {
  if (url.startsWith("sqlite:")) {
    const file = url.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (!file) throw new Error("sqlite: needs a file path, e.g. sqlite:./data/roster.sqlite");
    return { driver: "sqlite", file: file === ":memory:" ? file : path.resolve(file) };
  }
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
