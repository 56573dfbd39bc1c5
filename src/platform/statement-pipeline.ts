import { type DataSource, type EntityManager, QueryFailedError, type QueryRunner } from "typeorm";
import { QueryResult } from "typeorm/query-runner/QueryResult";

/** The part of a mysql2 (callback API) connection the pipeline uses. */
interface MysqlConnection {
  query(sql: string, callback: (err: Error | null, results: unknown) => void): void;
  format(sql: string, params: unknown[]): string;
}

/**
 * A MariaDB/MySQL transaction whose statements travel together. On this kind of machine a round
 * trip to the database costs more CPU (syscalls, wake-ups, packets on both sides) than a simple
 * statement itself, and a create or a PATCH used to make five to ten of them. So:
 * - `START TRANSACTION` is not sent on its own: it goes with the first statement;
 * - writes whose results nobody reads (`defer`: inserts, the audit event, …) wait and go with the
 *   next statement that must be answered, or with the `COMMIT`;
 * - a transaction that sent nothing commits nothing.
 * All of it as one multi-statement query per round trip; the server runs them in order and stops at
 * the first error, which fails the transaction (rolled back) like any statement would.
 * Values are bound by mysql2's escaping exactly as in single statements.
 */
/**
 * Deferred statements are sent once they hold about this many characters of SQL and values: one
 * multi-statement query must stay under the server's max_allowed_packet (16 MiB on MariaDB 10.11, 64 MiB
 * on MySQL 8), and a character takes up to three bytes of UTF-8, or two escaped.
 */
export const MAX_DEFERRED_CHARS = 1 << 20;

/** A statement's size in characters, roughly: its text and its values. */
export function statementChars(sql: string, params: unknown[]): number {
  let n = sql.length;
  for (const p of params) n += typeof p === "string" || Buffer.isBuffer(p) ? p.length : 8;
  return n;
}

export class StatementPipeline {
  private pending: { sql: string; params: unknown[] }[] = [];
  private pendingChars = 0;
  private started = false;

  constructor(
    private readonly runner: QueryRunner,
    private readonly dataSource: DataSource,
  ) {
    this.pending.push({ sql: "START TRANSACTION", params: [] });
  }

  /**
   * A write whose result is not needed now: sent with the next statement (or the COMMIT), or at once
   * with what waits when they add up to MAX_DEFERRED_CHARS (a deletion's thousands of audit events).
   */
  async defer(sql: string, params: unknown[]): Promise<void> {
    await this.deferTogether([{ sql, params }]);
  }

  /**
   * Writes deferred as `defer` does, never sent apart: a statement that reads what the one before it
   * did (`ROW_COUNT()`) travels in the same query as that statement.
   */
  async deferTogether(statements: { sql: string; params: unknown[] }[]): Promise<void> {
    for (const { sql, params } of statements) {
      this.dataSource.logger.logQuery(sql, params, this.runner);
      this.pending.push({ sql, params });
      this.pendingChars += statementChars(sql, params);
    }
    if (this.pendingChars >= MAX_DEFERRED_CHARS) await this.send(this.pending.splice(0));
  }

  /** Runs `sql` after everything deferred, in one round trip; its own result is returned. */
  async query(sql: string, params: unknown[] = []): Promise<unknown> {
    this.dataSource.logger.logQuery(sql, params, this.runner);
    const batch = [...this.pending.splice(0), { sql, params }];
    return (await this.send(batch)).at(-1);
  }

  /** Runs several statements after everything deferred, in one round trip; their results in order. */
  async queryMany(statements: { sql: string; params: unknown[] }[]): Promise<unknown[]> {
    for (const st of statements) this.dataSource.logger.logQuery(st.sql, st.params, this.runner);
    const deferred = this.pending.splice(0);
    return (await this.send([...deferred, ...statements])).slice(deferred.length);
  }

  /** Sends what is deferred now (its errors are then the caller's), if anything is. */
  async flush(): Promise<void> {
    if (this.pending.some((s) => s.sql !== "START TRANSACTION")) await this.send(this.pending.splice(0));
  }

  async commit(): Promise<void> {
    // Nothing was ever sent and nothing waits but START: there is no transaction to commit.
    if (!this.started && this.pending.length === 1) {
      this.pending = [];
      return;
    }
    await this.send([...this.pending.splice(0), { sql: "COMMIT", params: [] }]);
  }

  async rollback(): Promise<void> {
    this.pending = [];
    this.pendingChars = 0;
    if (this.started) await this.send([{ sql: "ROLLBACK", params: [] }]);
  }

  private async send(batch: { sql: string; params: unknown[] }[]): Promise<unknown[]> {
    this.pendingChars = 0; // every caller sends all that waited
    const connection = (await this.runner.connect()) as MysqlConnection;
    if (batch.some((s) => s.sql === "START TRANSACTION")) this.started = true;
    const text = batch.map((s) => (s.params.length ? connection.format(s.sql, s.params) : s.sql)).join(";\n");
    return new Promise((resolve, reject) => {
      connection.query(text, (err, results) => {
        if (err) reject(new QueryFailedError(text, [], err));
        else resolve(batch.length === 1 ? [results] : (results as unknown[]));
      });
    });
  }
}

const pipelines = new WeakMap<EntityManager, StatementPipeline>();

/** The pipeline of a transaction's manager, when it has one (MariaDB/MySQL transactions do). */
export const pipelineOf = (manager: EntityManager | undefined): StatementPipeline | undefined => (manager ? pipelines.get(manager) : undefined);

/**
 * `fn` in a pipelined transaction on its own connection. TypeORM's repositories used inside go
 * through the same pipeline: the runner's `query` is routed to it, so the order of statements is the
 * order of the code.
 */
export async function runPipelinedTransaction<T>(dataSource: DataSource, fn: (manager: EntityManager) => Promise<T>): Promise<T> {
  const runner = dataSource.createQueryRunner();
  const pipeline = new StatementPipeline(runner, dataSource);
  // TypeORM must see a transaction (so that it never opens one of its own), without sending START.
  const state = runner as unknown as { isTransactionActive: boolean; transactionDepth: number };
  state.isTransactionActive = true;
  state.transactionDepth = 1;
  const routed = async (sql: string, params?: unknown[], structured?: boolean): Promise<unknown> => {
    const raw = await pipeline.query(sql, params ?? []);
    if (!structured) return raw;
    const result = new QueryResult();
    result.raw = raw;
    if (Array.isArray(raw)) result.records = raw;
    const affected = (raw as { affectedRows?: number } | undefined)?.affectedRows;
    if (affected !== undefined) result.affected = affected;
    return result;
  };
  runner.query = routed as QueryRunner["query"];
  pipelines.set(runner.manager, pipeline);
  try {
    const result = await fn(runner.manager);
    await pipeline.commit();
    return result;
  } catch (err) {
    await pipeline.rollback().catch(() => undefined);
    throw err;
  } finally {
    state.isTransactionActive = false;
    state.transactionDepth = 0;
    await runner.release();
  }
}
