import type { Database } from "./database";
import type { Logger } from "./logger";

/** How often SQLite is asked whether its statistics are stale: a check with nothing to do costs ~10 µs. */
export const STATISTICS_CHECK_MS = 60_000;

export interface PlannerStatistics {
  /** Runs one check now (the timer's work); resolves when it is done. */
  check(): Promise<void>;
  /** No more checks; resolves once the one under way (if any) is done. */
  stop(): Promise<void>;
}

/**
 * Keeps SQLite's query-planner statistics (sqlite_stat1) in step with the data, as SQLite recommends
 * for long-lived connections: `PRAGMA optimize=0x10002` at start, which analyses every table that
 * needs it, then `PRAGMA optimize` every minute, which re-analyses a table once its size has moved
 * about tenfold since its statistics (SQLite bounds each analysis; ~20 ms for 100k users).
 *
 * Why: to choose an index SQLite reads these statistics. Without any, it took `organisationId = ?`
 * for as selective as a list of ten primary keys and read all 100,000 users of the organisation to
 * find a page's managers (38 ms), and the page's emails the same way (27 ms). Statistics of a much
 * smaller table are worse still: with those of 10 users it scanned the whole table.
 * MariaDB keeps its own statistics current (innodb_stats_auto_recalc): there this does nothing.
 */
export function keepPlannerStatistics(db: Database, logger: Logger, everyMs = STATISTICS_CHECK_MS): PlannerStatistics {
  if (db.dialect !== "sqlite") return { check: async () => undefined, stop: async () => undefined };
  // better-sqlite3's one connection. Straight to it rather than through TypeORM: this is upkeep, not
  // a statement of a request (the tests count those, and a tick may land among them).
  const connection = (db.dataSource.driver as unknown as { databaseConnection: { exec(sql: string): void } }).databaseConnection;
  let pragma = "PRAGMA optimize=0x10002";
  let last: Promise<void> = Promise.resolve();
  const check = (): Promise<void> => {
    // In a transaction of the write queue: ANALYZE writes sqlite_stat1, on the connection every write shares.
    last = db.transaction({}, async () => connection.exec(pragma)).then(
      () => {
        pragma = "PRAGMA optimize";
      },
      (err: unknown) => logger.warn({ err }, "could not update SQLite's query-planner statistics"),
    );
    return last;
  };
  void check();
  const timer = setInterval(() => void check(), everyMs);
  timer.unref();
  return {
    check,
    stop: () => {
      clearInterval(timer);
      return last;
    },
  };
}
