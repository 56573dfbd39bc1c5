import type { DataSource, EntityManager } from "typeorm";
import { isSqlite } from "./data-source";
import { runPipelinedTransaction } from "./statement-pipeline";

const sqliteQueues = new WeakMap<DataSource, Promise<unknown>>();

/**
 * Runs `fn` in a database transaction. TypeORM's better-sqlite3 driver shares one query runner, so
 * two concurrent transactions would interleave on one connection (typeorm#1884): on SQLite write
 * units are queued and run one at a time, which is also what SQLite itself allows.
 */
export function runInTransaction<T>(ds: DataSource, fn: (manager: EntityManager) => Promise<T>): Promise<T> {
  if (!isSqlite(ds)) return runPipelinedTransaction(ds, fn);
  const run = (sqliteQueues.get(ds) ?? Promise.resolve()).then(() => ds.transaction(fn));
  sqliteQueues.set(
    ds,
    run.catch(() => undefined),
  );
  return run;
}
