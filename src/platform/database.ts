import type { DataSource, EntityManager } from "typeorm";
import { isSqlite } from "./data-source";
import { runInTransaction } from "./transactions";

export type SqlDialect = "sqlite" | "mysql";

/** The one door to the database for the domain layer: managers, transactions, the SQL dialect. */
export class Database {
  readonly dialect: SqlDialect;

  constructor(readonly dataSource: DataSource) {
    this.dialect = isSqlite(dataSource) ? "sqlite" : "mysql";
  }

  manager(ctx?: { manager?: EntityManager }): EntityManager {
    return ctx?.manager ?? this.dataSource.manager;
  }

  /** Work to do once a transaction has committed (see `afterCommit`), by the transaction's manager. */
  private readonly commitHooks = new WeakMap<EntityManager, (() => Promise<void>)[]>();

  /** Joins the transaction already open in `ctx`, or opens one: a write and its audit event commit together. */
  async transaction<C extends { manager?: EntityManager }, T>(ctx: C, fn: (ctx: C & { manager: EntityManager }) => Promise<T>): Promise<T> {
    if (ctx.manager) return fn(ctx as C & { manager: EntityManager });
    const hooks: (() => Promise<void>)[] = [];
    const result = await runInTransaction(this.dataSource, (manager) => {
      this.commitHooks.set(manager, hooks);
      return fn({ ...ctx, manager });
    });
    // Committed: run what was left for this moment (a rolled-back transaction runs none of it).
    for (const hook of hooks) await hook();
    return result;
  }

  /**
   * Runs `hook` once the transaction of `ctx` has committed, before `transaction()` returns to its
   * caller (e.g. ending a deactivated user's sessions in Redis). Outside a transaction opened by
   * `transaction()`, it runs at once.
   */
  async afterCommit(ctx: { manager?: EntityManager }, hook: () => Promise<void>): Promise<void> {
    const hooks = ctx.manager ? this.commitHooks.get(ctx.manager) : undefined;
    if (hooks) hooks.push(hook);
    else await hook();
  }

  /**
   * Plain rows of one parameterised statement (`?` placeholders). The hot read paths (token check,
   * SCIM lookups, detail loads) use it to skip the query builder, which profiling showed to cost
   * more CPU than the database round trip itself. Values are bound, never spliced into the SQL.
   */
  rows<T = Record<string, unknown>>(ctx: { manager?: EntityManager } | undefined, sql: string, params: unknown[] = []): Promise<T[]> {
    return this.manager(ctx).query(sql, params.map((v) => this.bindable(v)));
  }

  /** The same with `:name` parameters (as SqlWhereBuilder produces them). */
  rowsNamed<T = Record<string, unknown>>(ctx: { manager?: EntityManager } | undefined, sql: string, params: Record<string, unknown>): Promise<T[]> {
    const [query, bound] = this.dataSource.driver.escapeQueryWithParameters(sql, params);
    return this.manager(ctx).query(query, bound);
  }

  /** `?, ?, ?` for an IN list of n values. */
  static placeholders(n: number): string {
    return Array.from({ length: n }, () => "?").join(", ");
  }

  /** better-sqlite3 binds neither booleans nor Dates; TypeORM stores SQLite datetimes as UTC text. */
  bindable(value: unknown): unknown {
    if (typeof value === "boolean") return value ? 1 : 0;
    if (value instanceof Date && this.dialect === "sqlite") return value.toISOString().replace("T", " ").replace("Z", "");
    return value;
  }

  async ping(): Promise<void> {
    await this.dataSource.query("SELECT 1");
  }
}

/** A unique index refused the row: both drivers, one answer. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; message?: string; driverError?: { code?: string } };
  const code = e?.code ?? e?.driverError?.code;
  return (
    code === "ER_DUP_ENTRY" ||
    code === "SQLITE_CONSTRAINT_UNIQUE" ||
    code === "SQLITE_CONSTRAINT_PRIMARYKEY" ||
    /UNIQUE constraint failed|Duplicate entry/.test(String(e?.message ?? ""))
  );
}

const UNAVAILABLE = new Set(["REDIS_UNAVAILABLE", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "PROTOCOL_CONNECTION_LOST", "ER_CON_COUNT_ERROR", "ENOTFOUND", "EHOSTUNREACH"]);

/**
 * The database (or Redis, when REDIS_URL is set: `RedisUnavailableError`) cannot be reached, as
 * opposed to refusing a statement: the request may be retried later.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string }; message?: string };
  const code = e?.code ?? e?.driverError?.code;
  return (!!code && UNAVAILABLE.has(code)) || /Connection lost|connect ECONNREFUSED|Pool is closed/i.test(String(e?.message ?? ""));
}
