import fs from "node:fs";
import path from "node:path";
import { DataSource, type DataSourceOptions, type Logger as TypeormLogger } from "typeorm";
import type { DatabaseConfig } from "../config/config";
import { entities } from "../domain/entities";

/** The repository root, whether running from src/ (ts-node, jest) or from dist/src/. */
const projectRoot = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? "../../.." : "../..");
const migrationsRoot = __dirname.includes(`${path.sep}dist${path.sep}`)
  ? path.join(projectRoot, "dist", "migrations")
  : path.join(projectRoot, "migrations");

/** MariaDB and MySQL share one migration set: ids are varchar(36), never native uuid columns. */
export function migrationsDirectory(driver: DatabaseConfig["driver"]): string {
  return path.join(migrationsRoot, driver === "sqlite" ? "sqlite" : "mysql");
}

export interface DataSourceExtras {
  /** Sees every SQL statement (the query-count tests use it). */
  logger?: TypeormLogger;
}

/**
 * Prepared statements each pooled connection keeps (`Database.preparedRows`). The server counts them
 * against max_prepared_stmt_count (16,382 by default) across all connections: 20 connections × 64
 * leaves room for a dozen app processes on one database.
 */
export const MAX_PREPARED_STATEMENTS = 64;

export function dataSourceOptions(db: DatabaseConfig, extras: DataSourceExtras = {}): DataSourceOptions {
  const common = {
    entities,
    ...(extras.logger ? { logger: extras.logger, logging: ["query" as const] } : {}),
    synchronize: false,
    migrationsRun: false,
    migrations: [path.join(migrationsDirectory(db.driver), "*.{ts,js}")],
  };
  if (db.driver === "sqlite") {
    if (db.file !== ":memory:") fs.mkdirSync(path.dirname(db.file), { recursive: true });
    return {
      ...common,
      type: "better-sqlite3",
      database: db.file,
      enableWAL: db.file !== ":memory:",
      timeout: 10_000,
      prepareDatabase: (sqlite: { pragma(s: string): unknown; function(name: string, options: { deterministic: boolean }, fn: (v: unknown) => unknown): unknown }) => {
        sqlite.pragma("foreign_keys = ON");
        sqlite.pragma("synchronous = NORMAL");
        // Case-insensitive filters on text without a key column (SqlWhereBuilder.folded): SQLite's own LOWER folds ASCII only.
        sqlite.function("roster_lower", { deterministic: true }, (v) => (typeof v === "string" ? v.toLowerCase() : v));
      },
    };
  }
  return {
    ...common,
    // `mariadb` keeps migration:generate stable on MariaDB (with `mysql` it diffs DEFAULT NULL forever).
    type: db.driver,
    host: db.host,
    port: db.port,
    username: db.user,
    password: db.password,
    database: db.database,
    charset: "utf8mb4_unicode_ci",
    timezone: "Z",
    poolSize: 20,
    // StatementPipeline sends a transaction's statements in one round trip. Every value is still
    // bound through mysql2's escaping and identifiers come from code, never from input.
    multipleStatements: true,
    extra: { connectionLimit: 20, enableKeepAlive: true, connectTimeout: 5_000, maxPreparedStatements: MAX_PREPARED_STATEMENTS },
  };
}

export function createDataSource(db: DatabaseConfig, extras: DataSourceExtras = {}): DataSource {
  return new DataSource(dataSourceOptions(db, extras));
}

export function isSqlite(ds: DataSource): boolean {
  return ds.options.type === "better-sqlite3";
}
