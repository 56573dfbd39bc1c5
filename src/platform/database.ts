import { type DataSource, type EntityManager, QueryFailedError } from "typeorm";
import { isSqlite } from "./data-source";
import { pipelineOf } from "./statement-pipeline";
import { type DatabaseTimeoutError, STATEMENT_TIMEOUT_MS, boundStatements } from "./statement-timeout";
import { runInTransaction } from "./transactions";

export type SqlDialect = "sqlite" | "mysql";

/** Expired rows (sessions, replay entries, rate-limit counters) a purge deletes in one statement. */
export const EXPIRED_DELETED_A_STATEMENT = 1000;

/** Rows a write affected: mysql2 answers a result header, TypeORM's structured result `affected`. */
function affectedRows(result: unknown): number {
  const r = result as { affectedRows?: number; affected?: number };
  return r?.affectedRows ?? r?.affected ?? 0;
}

/** The readiness probe's ping waits at most this long (or the statement bound, when shorter). */
export const PING_TIMEOUT_MS = 5_000;

export interface DatabaseOptions {
  /**
   * MariaDB/MySQL: a statement unanswered after this long fails (503) and its connection is closed,
   * as is the wait for a pooled connection (see boundStatements). Servers set it
   * (DATABASE_STATEMENT_TIMEOUT_SECONDS); unset (the CLI, the benchmark's seeding), nothing is bounded.
   */
  statementTimeoutMs?: number;
  /** Told of each statement that got no answer in time (its connection has been closed). */
  onStatementTimeout?: (err: DatabaseTimeoutError) => void;
}

/** The one door to the database for the domain layer: managers, transactions, the SQL dialect. */
export class Database {
  readonly dialect: SqlDialect;
  private readonly pingTimeoutMs: number;

  constructor(
    readonly dataSource: DataSource,
    options: DatabaseOptions = {},
  ) {
    this.dialect = isSqlite(dataSource) ? "sqlite" : "mysql";
    this.pingTimeoutMs = Math.min(PING_TIMEOUT_MS, options.statementTimeoutMs ?? Infinity);
    if (options.statementTimeoutMs && this.dialect === "mysql") boundStatements(dataSource, options.statementTimeoutMs, options.onStatementTimeout);
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
    const bound = params.map((v) => this.bindable(v));
    if (this.dialect === "mysql") return this.mysqlRows<T>(ctx, sql, bound);
    return this.manager(ctx).query(sql, bound);
  }

  /**
   * One write statement of its own, outside any caller's transaction: on SQLite through the write
   * queue (its one connection, where every write waits its turn), on MariaDB/MySQL one autocommit
   * statement. Returns how many rows it affected.
   */
  async writeAlone(sql: string, params: unknown[] = []): Promise<number> {
    const bound = params.map((v) => this.bindable(v));
    const result = this.dialect === "sqlite" ? await this.transaction({}, (tx) => tx.manager.queryRunner!.query(sql, bound, true)) : await this.mysqlRows(undefined, sql, bound);
    return affectedRows(result);
  }

  /**
   * `rows` of a statement whose text never varies (no IN list of a varying length): on MariaDB/MySQL
   * outside a transaction, a server-side prepared statement, kept per pooled connection (at most
   * MAX_PREPARED_STATEMENTS, the least recently used closed first). The server no longer parses it
   * and both sides skip the text protocol: a SCIM lookup's two statements, sent alone by mysql2 at
   * concurrency 8, cost MariaDB about 90 µs of CPU prepared against 190 µs as one multi-statement
   * text query, and Node about 70 against 120. In a transaction (its pipeline) and on SQLite, the
   * same as `rows`.
   */
  preparedRows<T = Record<string, unknown>>(ctx: { manager?: EntityManager } | undefined, sql: string, params: unknown[] = []): Promise<T[]> {
    if (this.dialect !== "mysql" || ctx?.manager) return this.rows<T>(ctx, sql, params);
    const bound = params.map((v) => this.bindable(v));
    this.dataSource.logger.logQuery(sql, bound);
    const pool = (this.dataSource.driver as unknown as { pool: MysqlPreparing }).pool;
    return new Promise<T[]>((resolve, reject) => {
      pool.execute(sql, bound, (err, rows) => (err ? reject(new QueryFailedError(sql, bound, err)) : resolve(rows as T[])));
    });
  }

  /**
   * The rows of several statements that do not depend on each other: one round trip in a MariaDB
   * transaction (see StatementPipeline), one after the other elsewhere.
   */
  async rowsMany(ctx: { manager?: EntityManager } | undefined, statements: [sql: string, params: unknown[]][]): Promise<Record<string, unknown>[][]> {
    const pipeline = pipelineOf(ctx?.manager);
    const bound = statements.map(([sql, params]) => ({ sql, params: params.map((v) => this.bindable(v)) }));
    if (pipeline) return (await pipeline.queryMany(bound)) as Record<string, unknown>[][];
    const results: Record<string, unknown>[][] = [];
    for (const st of bound) results.push(await this.rows(ctx, st.sql, st.params));
    return results;
  }

  /**
   * The rows of several reads that must see the same state of the database (a page of users and
   * the details of that page). In a transaction: its pipeline. On MariaDB otherwise: one round trip,
   * `START TRANSACTION READ ONLY; …; COMMIT` on one pooled connection (one snapshot for all of them).
   * Elsewhere (SQLite) one after the other, which a write may come between: callers that need one
   * snapshot there read by ids (a page, then its users' details by their ids). A single statement
   * is its own snapshot: it runs alone.
   */
  async rowsTogether(ctx: { manager?: EntityManager } | undefined, statements: [sql: string, params: unknown[]][]): Promise<Record<string, unknown>[][]> {
    if (ctx?.manager || this.dialect !== "mysql" || statements.length === 1) return this.rowsMany(ctx, statements);
    const pool = (this.dataSource.driver as unknown as { pool: MysqlPool }).pool;
    for (const [sql, params] of statements) this.dataSource.logger.logQuery(sql, params);
    const connection = await new Promise<MysqlPoolConnection>((resolve, reject) => pool.getConnection((err, c) => (err ? reject(err) : resolve(c))));
    const reads = statements.map(([sql, params]) => connection.format(sql, params.map((v) => this.bindable(v))));
    const text = ["START TRANSACTION READ ONLY", ...reads, "COMMIT"].join(";\n");
    try {
      const results = await new Promise<unknown[]>((resolve, reject) => connection.query(text, [], (err, r) => (err ? reject(new QueryFailedError(text, [], err)) : resolve(r as unknown[]))));
      return results.slice(1, -1) as Record<string, unknown>[][];
    } catch (err) {
      // A statement failed half-way: the connection must not go back to the pool inside the transaction.
      await new Promise<void>((resolve) => connection.query("ROLLBACK", [], () => resolve()));
      throw err;
    } finally {
      connection.release();
    }
  }

  /**
   * A write whose result the caller does not read (an insert, the audit event). In a MariaDB/MySQL
   * transaction it waits and travels with the transaction's next statement or its COMMIT (see
   * StatementPipeline): an error it causes fails the transaction there. Elsewhere it runs at once.
   */
  async write(ctx: { manager?: EntityManager } | undefined, sql: string, params: unknown[] = []): Promise<void> {
    const pipeline = pipelineOf(ctx?.manager);
    if (pipeline) await pipeline.defer(sql, params.map((v) => this.bindable(v)));
    else await this.rows(ctx, sql, params);
  }

  /**
   * A write, then `next`: a statement that uses how many rows the write affected, given to it as an
   * SQL expression (`affected.sql`, its values `affected.params` bound where it stands). In a
   * MariaDB/MySQL transaction both are deferred as `write` is and travel together, `next` reading
   * `ROW_COUNT()` right after the write on the same connection: no round trip. Elsewhere the write
   * runs at once and its count of affected rows is bound as a value. Either way it is the count of
   * rows the write changed (an INSERT IGNORE's ignored rows, a DELETE's rows already gone are not in
   * it), never one read before the write.
   */
  async writeThen(ctx: { manager?: EntityManager }, write: [sql: string, params: unknown[]], next: (affected: { sql: string; params: unknown[] }) => [sql: string, params: unknown[]]): Promise<void> {
    const pipeline = pipelineOf(ctx.manager);
    if (pipeline) {
      const [sql, params] = next({ sql: "ROW_COUNT()", params: [] });
      await pipeline.deferTogether([
        { sql: write[0], params: write[1].map((v) => this.bindable(v)) },
        { sql, params: params.map((v) => this.bindable(v)) },
      ]);
      return;
    }
    const bound = write[1].map((v) => this.bindable(v));
    // SQLite answers a write's count only in TypeORM's structured result, which needs the transaction's runner.
    const runner = ctx.manager?.queryRunner;
    if (this.dialect === "sqlite" && !runner) throw new Error("writeThen runs in a transaction");
    const result = this.dialect === "sqlite" ? await runner!.query(write[0], bound, true) : await this.rows(ctx, write[0], bound);
    await this.write(ctx, ...next({ sql: "?", params: [affectedRows(result)] }));
  }

  /** The same with `:name` parameters (as SqlWhereBuilder produces them). */
  rowsNamed<T = Record<string, unknown>>(ctx: { manager?: EntityManager } | undefined, sql: string, params: Record<string, unknown>): Promise<T[]> {
    return this.rows<T>(ctx, ...this.positional(sql, params));
  }

  /** A statement with `:name` parameters as `?` placeholders and their values in order. */
  positional(sql: string, params: Record<string, unknown>): [sql: string, values: unknown[]] {
    const { text, names } = positional(sql, this.dialect);
    return [text, names.map((n) => params[n])];
  }

  /**
   * Sends the writes `write` deferred in this transaction now. A service that maps a statement's
   * error (a unique index → CONFLICT) calls it before returning into a transaction it joined, whose
   * COMMIT would otherwise surface the error outside that mapping.
   */
  async flush(ctx: { manager?: EntityManager }): Promise<void> {
    await pipelineOf(ctx.manager)?.flush();
  }

  /**
   * mysql2's callback API straight on the transaction's connection or the pool. TypeORM's query
   * runner wraps every call in a promise connection that captures a stack trace, broadcasts events
   * and times it: on the hot paths that cost more CPU than the statement. Logged (and counted by the
   * tests' logger) as TypeORM would; errors wrapped the same way (QueryFailedError with driverError).
   */
  private async mysqlRows<T>(ctx: { manager?: EntityManager } | undefined, sql: string, params: unknown[]): Promise<T[]> {
    const pipeline = pipelineOf(ctx?.manager);
    if (pipeline) return (await pipeline.query(sql, params)) as T[];
    const runner = ctx?.manager?.queryRunner;
    this.dataSource.logger.logQuery(sql, params, runner);
    const target: MysqlQueryable = runner ? await runner.connect() : (this.dataSource.driver as unknown as { pool: MysqlQueryable }).pool;
    return new Promise<T[]>((resolve, reject) => {
      target.query(sql, params, (err, rows) => (err ? reject(new QueryFailedError(sql, params, err)) : resolve(rows as T[])));
    });
  }

  /**
   * Which of these rows of an organisation exist, as one statement: on MariaDB their rows stay
   * share-locked until COMMIT (a concurrent deletion waits, or is seen), read by primary key alone
   * (through the organisation's index, the lock covered every row it passed). SQLite serialises
   * writes already.
   */
  existingIdsSql(table: string, ids: readonly string[], organisationId: string): [string, unknown[]] {
    const [byKey, lock] = this.dialect === "mysql" ? [" FORCE INDEX (PRIMARY)", " LOCK IN SHARE MODE"] : ["", ""];
    return [`SELECT id FROM ${table}${byKey} WHERE id IN (${Database.placeholders(ids.length)}) AND organisationId = ?${lock}`, [...ids, organisationId]];
  }

  /**
   * Deletes the rows of `table` whose `expiresAt` is before `now`, EXPIRED_DELETED_A_STATEMENT at a
   * time: their keys through the `expiresAt` index (no row read, nothing locked), then a DELETE by
   * primary key that checks `expiresAt` again (a key claimed anew meanwhile stays). One DELETE of a
   * backlog held the table's writes behind it: on MariaDB a session save, a replay claim or a
   * rate-limit increment waited for the whole purge (1.0–1.8 s for 300,000 rows); on SQLite the
   * process answered nothing for as long (0.65–0.9 s). Each statement is short, and the event loop
   * turns between them. Returns how many rows went.
   */
  async deleteExpired(table: string, keyColumn: string, expiresAtIndex: string, now: Date): Promise<number> {
    const key = this.dialect === "mysql" ? `\`${keyColumn}\`` : `"${keyColumn}"`;
    const from = this.dialect === "mysql" ? `${table} FORCE INDEX (${expiresAtIndex})` : `${table} INDEXED BY ${expiresAtIndex}`;
    // MariaDB: each SELECT starts after the last key the one before found (the index holds
    // (expiresAt, key)): from the start, it stepped over every row deleted before it, not yet purged
    // by InnoDB, and a backlog's purge slowed as it went. SQLite's index loses a deleted row at once.
    const seek = this.dialect === "mysql" ? ` AND (expiresAt > ? OR (expiresAt = ? AND ${key} > ?)) ORDER BY expiresAt, ${key}` : "";
    const first = `SELECT expiresAt AS e, ${key} AS k FROM ${from} WHERE expiresAt < ?${this.dialect === "mysql" ? ` ORDER BY expiresAt, ${key}` : ""} LIMIT ${EXPIRED_DELETED_A_STATEMENT}`;
    const next = `SELECT expiresAt AS e, ${key} AS k FROM ${from} WHERE expiresAt < ?${seek} LIMIT ${EXPIRED_DELETED_A_STATEMENT}`;
    let deleted = 0;
    let last: { e: unknown; k: string } | undefined;
    for (;;) {
      const rows = await this.rows<{ e: unknown; k: string }>(undefined, last && seek ? next : first, last && seek ? [now, last.e, last.e, last.k] : [now]);
      const keys = rows.map((r) => r.k);
      last = rows.at(-1);
      if (keys.length > 0) {
        deleted += await this.writeAlone(`DELETE FROM ${table} WHERE ${key} IN (${Database.placeholders(keys.length)}) AND expiresAt < ?`, [...keys, now]);
      }
      if (keys.length < EXPIRED_DELETED_A_STATEMENT) return deleted;
      await new Promise((resolve) => setImmediate(resolve));
    }
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

  /** The database answers (the readiness probe): with a statement bound, on MariaDB/MySQL within PING_TIMEOUT_MS, or it fails. */
  async ping(): Promise<void> {
    if (this.dialect !== "mysql") {
      await this.dataSource.query("SELECT 1");
      return;
    }
    // On a connection of its own: pool.query would hand mysql2's command, not these options, to the bound.
    const pool = (this.dataSource.driver as unknown as { pool: MysqlPool }).pool;
    const connection = await new Promise<MysqlPoolConnection>((resolve, reject) => pool.getConnection((err, c) => (err ? reject(err) : resolve(c))));
    try {
      await new Promise<void>((resolve, reject) => connection.query({ sql: "SELECT 1", [STATEMENT_TIMEOUT_MS]: this.pingTimeoutMs }, [], (err) => (err ? reject(new QueryFailedError("SELECT 1", [], err)) : resolve())));
    } finally {
      connection.release();
    }
  }
}

interface MysqlQueryable {
  query(sql: string | { sql: string; [STATEMENT_TIMEOUT_MS]?: number }, params: unknown[], callback: (err: Error | null, rows: unknown) => void): void;
}

interface MysqlPreparing {
  execute(sql: string, params: unknown[], callback: (err: Error | null, rows: unknown) => void): void;
}

interface MysqlPoolConnection extends MysqlQueryable {
  format(sql: string, params: unknown[]): string;
  release(): void;
}

interface MysqlPool {
  getConnection(callback: (err: Error | null, connection: MysqlPoolConnection) => void): void;
}

const positionalCache = { mysql: new Map<string, { text: string; names: string[] }>(), sqlite: new Map<string, { text: string; names: string[] }>() };
/** A quoted literal (skipped) or a `:name` placeholder; MySQL escapes quotes with backslashes, SQLite does not. */
const PLACEHOLDER = { mysql: /'(?:[^'\\]|\\.|'')*'|:([A-Za-z_][A-Za-z0-9_]*)/g, sqlite: /'(?:[^']|'')*'|:([A-Za-z_][A-Za-z0-9_]*)/g };

/** `:name` placeholders → `?` and the names in order (quoted text is left alone); cached per SQL text. */
export function positional(sql: string, dialect: SqlDialect): { text: string; names: string[] } {
  const cache = positionalCache[dialect];
  let hit = cache.get(sql);
  if (!hit) {
    const names: string[] = [];
    const text = sql.replace(PLACEHOLDER[dialect], (m, name: string | undefined) => {
      if (!name) return m;
      names.push(name);
      return "?";
    });
    hit = { text, names };
    if (cache.size > 5_000) cache.clear();
    cache.set(sql, hit);
  }
  return hit;
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

/**
 * MariaDB rolled the statement's transaction back to break a deadlock, or gave up waiting for a row
 * lock: nothing was written, and the same request may succeed when retried.
 */
export function isLockConflict(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  const code = e?.code ?? e?.driverError?.code;
  return code === "ER_LOCK_DEADLOCK" || code === "ER_LOCK_WAIT_TIMEOUT";
}

/** MariaDB chose this statement's transaction as a deadlock's victim and rolled it back whole. */
export function isDeadlock(err: unknown): boolean {
  const e = err as { code?: string; driverError?: { code?: string } };
  return (e?.code ?? e?.driverError?.code) === "ER_LOCK_DEADLOCK";
}

/**
 * Runs `attempt` again, at most `retries` times after a short random pause, when its transaction was
 * a deadlock's victim: MariaDB rolled it back, so nothing of it remains, and the retry usually
 * passes once the other transaction has committed (MySQL's manual asks applications to retry).
 * Only for work made of whole transactions from inputs it does not change, such as a request's
 * handler; a lock wait timeout has already waited, and is not retried.
 */
export async function retryingDeadlocks<T>(attempt: () => Promise<T>, onRetry?: (err: unknown, retry: number) => void, retries = 2): Promise<T> {
  for (let retry = 1; ; retry++) {
    try {
      return await attempt();
    } catch (err) {
      if (retry > retries || !isDeadlock(err)) throw err;
      onRetry?.(err, retry);
      await new Promise((r) => setTimeout(r, retry * (2 + Math.random() * 18)));
    }
  }
}

/** The server stopped a statement at the session's bound (serverStatementBound): MariaDB 1969, MySQL 3024. mysql2 names neither. */
const SERVER_STOPPED_STATEMENT = new Set([1969, 3024]);
const UNAVAILABLE = new Set(["REDIS_UNAVAILABLE", "DATABASE_TIMEOUT", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "PROTOCOL_CONNECTION_LOST", "ER_CON_COUNT_ERROR", "ENOTFOUND", "EHOSTUNREACH"]);

/**
 * The database (or Redis, when REDIS_URL is set: `RedisUnavailableError`) cannot be reached, or gave
 * no answer in time (`DatabaseTimeoutError`, or the server stopped the statement at its bound), as opposed to refusing a statement: the request may be
 * retried later.
 */
export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; errno?: number; driverError?: { code?: string; errno?: number }; message?: string };
  const code = e?.code ?? e?.driverError?.code;
  const errno = e?.errno ?? e?.driverError?.errno;
  return (!!code && UNAVAILABLE.has(code)) || (!!errno && SERVER_STOPPED_STATEMENT.has(errno)) || /Connection lost|connect ECONNREFUSED|Pool is closed/i.test(String(e?.message ?? ""));
}
