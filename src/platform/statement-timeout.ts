import type { DataSource } from "typeorm";

/**
 * MariaDB/MySQL gave no answer in time: the connection it was asked on has been closed (or none
 * could be had). The request may be retried later (503), like any database outage.
 */
export class DatabaseTimeoutError extends Error {
  readonly code = "DATABASE_TIMEOUT";
  constructor(message: string) {
    super(message);
    this.name = "DatabaseTimeoutError";
  }
}

/**
 * On the options object of one `query` (`{ sql, [STATEMENT_TIMEOUT_MS]: 2000 }`): a bound of its own
 * instead of the pool's (the readiness probe's ping).
 */
export const STATEMENT_TIMEOUT_MS = Symbol("roster.statementTimeoutMs");

/** The parts of mysql2's callback API (pool, pooled connection, command) the bound uses. */
interface Command {
  once(event: "end", listener: () => void): unknown;
}
interface PooledConnection {
  query(...args: unknown[]): Command;
  /** mysql2's: the server's greeting, whose version names MariaDB ("5.5.5-10.11.19-MariaDB"). */
  _handshakePacket?: { serverVersion?: string } | null;
  execute(...args: unknown[]): Command;
  stream: { destroyed: boolean; destroy(err: Error): void };
  release(): void;
  [BOUNDED]?: true;
}
interface Pool {
  getConnection(callback: (err: Error | null, connection: PooledConnection) => void): void;
  on(event: "connection" | "acquire", listener: (connection: PooledConnection) => void): unknown;
  [BOUNDED]?: true;
}
const BOUNDED = Symbol("roster.bounded");

/**
 * Bounds every statement Roster sends on `dataSource`'s MariaDB/MySQL pool, and the wait for a
 * pooled connection, to `timeoutMs`. A statement still unanswered then has its connection's socket
 * destroyed: mysql2 fails that statement (and anything queued behind it) with a DatabaseTimeoutError
 * and drops the connection from the pool, so that no later request is handed a connection with a
 * statement still waiting on it; the next ones open fresh connections. Nothing was committed unless
 * the COMMIT itself had already gone out: the rest of the transaction is never sent, and MariaDB
 * rolls the transaction back when it learns that the connection has closed.
 *
 * Why here and not mysql2's own per-query `timeout`: that one answers the caller but leaves the
 * connection as it is, its statement still pending: the pool never gets it back (pool.query), or
 * takes it back and hands it to the next request, whose statement then waits behind the silent one
 * with no bound of its own (a transaction's connection). TypeORM passes it only as one global option
 * (`enableQueryTimeout`), for migrations too. Closing the connection is what makes a silent one
 * harmless, and doing it on the pooled connections covers every way Roster reaches them (its own
 * statements, the transaction pipeline, prepared statements, TypeORM's repositories) in one place.
 *
 * The socket is closed the ordinary way (FIN, not RST): once the network heals, MariaDB learns that
 * its client has gone, ends that session and releases its locks at once; with a reset it could hold
 * them until `wait_timeout`.
 *
 * The server is asked to stop a statement a little before that (`serverStatementBound`): a socket
 * bound alone leaves the statement running on a server that is merely slow (a lock wait, a bad plan),
 * since MariaDB does not notice a closed client until it writes to it: a PATCH refused with a 503
 * kept waiting for its row lock there until `innodb_lock_wait_timeout` (50 s), and a retry queued
 * behind it. Stopped by the server, the statement fails with a timeout error (a 503 too, see
 * isDatabaseUnavailable), and its connection, still sound, stays in the pool.
 *
 * Servers call this after their migrations (which may take long, and are not bounded), the CLI
 * never: a bound is for requests. SQLite runs in the process, with nothing to wait for.
 */
export function boundStatements(dataSource: DataSource, timeoutMs: number, onTimeout: (err: DatabaseTimeoutError) => void = () => undefined): void {
  if (dataSource.options.type === "better-sqlite3" || !(timeoutMs > 0)) return;
  const pool = (dataSource.driver as unknown as { pool?: Pool }).pool;
  if (!pool || pool[BOUNDED]) return;
  pool[BOUNDED] = true;

  // Every connection handed out from now on (new ones when made, idle ones when taken).
  const bound = (connection: PooledConnection) => boundConnection(connection, timeoutMs, onTimeout);
  pool.on("connection", bound);
  pool.on("acquire", bound);

  // Waiting for a connection: the pool is full of statements that do not end, or a new connection
  // hangs in its handshake. A connection that comes after the caller gave up goes back at once.
  const getConnection = pool.getConnection.bind(pool);
  pool.getConnection = (callback) => {
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      callback(new DatabaseTimeoutError(`no database connection within ${timeoutMs} ms`), undefined as unknown as PooledConnection);
    }, timeoutMs);
    getConnection((err, connection) => {
      if (settled) {
        if (!err) connection.release();
        return;
      }
      settled = true;
      clearTimeout(timer);
      callback(err, connection);
    });
  };
}

/**
 * The session setting that makes the server stop a statement after 90% of `timeoutMs` (at most a
 * second before the socket bound), so that a slow statement ends there, answered, before the socket
 * bound closes its connection. MariaDB's `max_statement_time` stops any statement (in seconds);
 * MySQL's `max_execution_time` only read-only SELECTs (in ms).
 */
export function serverStatementBound(serverVersion: string, timeoutMs: number): string {
  const ms = Math.max(1, Math.round(timeoutMs - Math.min(1_000, timeoutMs / 10)));
  return /mariadb/i.test(serverVersion) ? `SET SESSION max_statement_time = ${ms / 1000}` : `SET SESSION max_execution_time = ${ms}`;
}

function boundConnection(connection: PooledConnection, timeoutMs: number, onTimeout: (err: DatabaseTimeoutError) => void): void {
  if (connection[BOUNDED]) return;
  connection[BOUNDED] = true;
  // Queued ahead of whatever the connection was taken for. A server that refuses the setting (a
  // MySQL-compatible one without it) still has the socket bound, so its error is not the caller's.
  connection.query(serverStatementBound(connection._handshakePacket?.serverVersion ?? "", timeoutMs), () => undefined);
  for (const method of ["query", "execute"] as const) {
    const original = connection[method];
    connection[method] = function (this: PooledConnection, ...args: unknown[]) {
      const own = (args[0] as { [STATEMENT_TIMEOUT_MS]?: number } | undefined)?.[STATEMENT_TIMEOUT_MS];
      return watch(connection, original.apply(this, args), own ?? timeoutMs, onTimeout);
    };
  }
}

/** Destroys the connection if `command` has not ended within `ms`. */
function watch(connection: PooledConnection, command: Command, ms: number, onTimeout: (err: DatabaseTimeoutError) => void): Command {
  if (typeof command?.once !== "function") return command;
  const timer = setTimeout(() => {
    if (connection.stream.destroyed) return; // closed already (a network error failed the command)
    const err = new DatabaseTimeoutError(`the database did not answer within ${ms} ms; its connection was closed`);
    connection.stream.destroy(err);
    onTimeout(err);
  }, ms);
  timer.unref();
  command.once("end", () => clearTimeout(timer));
  return command;
}
