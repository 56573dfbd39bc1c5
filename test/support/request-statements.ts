import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * The SQL statements of HTTP requests, for the tests that count what a request costs.
 *
 * A statement is the request's when the request's own work sent it: each request the test app serves
 * runs in an async context of its own (AsyncLocalStorage), and the app's TypeORM logger asks whose
 * context a statement is sent from. So background work is left out by construction, whatever its SQL:
 * its timers were set outside any request (a timer or promise inherits the context it was made in). Matching statements by their text missed the ones nobody
 * had listed yet: CI found the provisioning log purge's `SELECT Organisation.id FROM organisations`
 * inside a measured request (57c1c49).
 *
 * Left out, the one list (NOT_THE_REQUESTS below, and two rules):
 * - statements sent outside any request: every timer-driven source in src, which are
 *   - the provisioning log's purge clock (ProvisioningLogService, every 5 min: the walk of organisations,
 *     reads of old entries, their UPDATEs and DELETEs), set when the services are created;
 *   - SSO sessions' and the replay cache's purge (src/auth/sessions.ts, every 10 min);
 *   - SQLite's planner statistics (src/platform/planner-statistics.ts, every minute; PRAGMA optimize,
 *     sent straight to the connection, which TypeORM's logger does not even see);
 *   - whatever a test itself calls on the services while it records (`recordCall` records such a call's own);
 *   (The other timers in src send no SQL: statement and Redis time-outs, main.ts's idle-connection
 *   closer. Caches are read-through, none is refreshed on a timer: the token cache, the organisation's
 *   roles and custom fields, the totals.)
 * - statements a request sends once its response is finished ('finish'): work a request leaves behind,
 *   whose timing is not the request's: the provisioning log's entry (one INSERT for the batch of
 *   requests its 25 ms timer gathers, provisioning-log.service.ts) and the purge a flush starts when
 *   one is due (a fresh process's first flush: the walk of organisations CI found);
 * - requests that began before the recording started (their late work included);
 * - the statements NOT_THE_REQUESTS names, sent from within the request but decided by what happened
 *   before it rather than by what it asks: transaction control and connection checks (how many a driver
 *   sends is its own business: the MariaDB pipeline sends none of its own), the token check (answered
 *   by the token cache for TOKEN_CACHE_SECONDS, its lastUsedAt written at most once a minute), and
 *   rate-limit counters (a lease is reserved by whichever request finds the last one spent, and that
 *   request also starts the counters' purge now and then, rate-limiter.ts).
 * Not left out: work a request starts beside itself that runs before its response is finished, other
 * than the above. The one such source is a read of the provisioning log (`list` flushes the log first,
 * and a flush starts the hourly purge when it is due); no test counts the statements of those reads.
 */
export const NOT_THE_REQUESTS: readonly { why: string; statement: RegExp }[] = [
  { why: "transaction control and connection checks", statement: /^\s*((START TRANSACTION|BEGIN|COMMIT|ROLLBACK)\b|SELECT (VERSION\(\)|1)\s*$)/i },
  { why: "the token check (its cache, its lastUsedAt)", statement: /\baccess_tokens\b/i },
  { why: "rate-limit counters (leases, their purge)", statement: /\brate_limit_counters\b/i },
];

/** The statements the recorded requests sent, in order, with their bound values. */
export interface RecordedStatements {
  statements: string[];
  parameters: unknown[][];
}

interface Recording extends RecordedStatements {
  requests: number;
}

interface ServedRequest {
  /** The recording under way when the request arrived, if any. */
  recording: Recording | undefined;
  finished: boolean;
  /** A call the test made itself (`recordCall`): every statement it sends is kept, NOT_THE_REQUESTS too. */
  call?: true;
}

const servedRequests = new AsyncLocalStorage<ServedRequest>();

/** The request (or recorded call) whose work is running now, until its response is finished. */
function servedNow(): ServedRequest | undefined {
  const served = servedRequests.getStore();
  return served && !served.finished && served.recording ? served : undefined;
}

/** Whether `sql`, sent now, is one a recording keeps. */
const kept = (served: ServedRequest | undefined, sql: string): served is ServedRequest => served !== undefined && (served.call === true || isTheRequests(sql));

/** Whether `sql`, sent now, counts as a statement of a recorded request (for a test that hooks the driver itself). */
export function sentByRecordedRequest(sql: string): boolean {
  return kept(servedNow(), sql);
}

const isTheRequests = (sql: string) => !NOT_THE_REQUESTS.some((n) => n.statement.test(sql));

/** One per test app: its server serves through `serve`, its TypeORM logger reports to `observe`. */
export class RequestStatements {
  private recording: Recording | undefined;

  /** The app's request handler, each request in an async context of its own. */
  serve(handler: (req: IncomingMessage, res: ServerResponse) => void): (req: IncomingMessage, res: ServerResponse) => void {
    return (req, res) => {
      const served: ServedRequest = { recording: this.recording, finished: false };
      if (served.recording) served.recording.requests++;
      res.once("finish", () => (served.finished = true));
      res.once("close", () => (served.finished = true));
      servedRequests.run(served, () => handler(req, res));
    };
  }

  /** Every statement the app sends, from the logger: kept when a recorded request sent it. */
  observe(sql: string, parameters: unknown[] | undefined): void {
    const served = servedNow();
    if (!kept(served, sql)) return;
    served.recording!.statements.push(sql);
    served.recording!.parameters.push(parameters ?? []);
  }

  /**
   * The statements of the HTTP requests the app begins to serve while `send` runs (one, or several
   * sent together), less what is left out above; with what `send` returned.
   */
  async record<T>(send: () => Promise<T>): Promise<RecordedStatements & { result: T }> {
    if (this.recording) throw new Error("statements are already being recorded: one recording at a time");
    const recording: Recording = { statements: [], parameters: [], requests: 0 };
    this.recording = recording;
    try {
      const result = await send();
      // Nothing served is nothing measured: a test that counts no statements must have sent a request.
      if (recording.requests === 0) throw new Error("no HTTP request reached the app while recording");
      return { result, statements: recording.statements, parameters: recording.parameters };
    } finally {
      this.recording = undefined;
    }
  }

  /**
   * The statements `call` sends, through its own async work (as a request's are found), for a test that
   * calls the services itself (a purge, the planner's check): all of them, NOT_THE_REQUESTS included,
   * as a call has no token check or lease of a request's, and its transactions are its own. Background
   * work, and the HTTP requests served meanwhile, are left out by construction.
   */
  async recordCall<T>(call: () => Promise<T>): Promise<RecordedStatements & { result: T }> {
    const served: ServedRequest = { recording: { statements: [], parameters: [], requests: 0 }, finished: false, call: true };
    try {
      const result = await servedRequests.run(served, call);
      return { result, statements: served.recording!.statements, parameters: served.recording!.parameters };
    } finally {
      served.finished = true;
    }
  }
}
