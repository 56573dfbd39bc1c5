import http from "node:http";
import type { CpuPerRequest } from "./cpu";

/** One HTTP answer, body read whole. */
export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Req {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/**
 * A keep-alive HTTP client with at most `sockets` connections to one origin: every scenario and
 * every baseline goes through the same one, so ratios compare servers, not clients.
 */
export class Client {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    readonly baseUrl: string,
    sockets: number,
    private readonly defaults: Record<string, string> = {},
  ) {
    const u = new URL(baseUrl);
    this.host = u.hostname;
    this.port = Number(u.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets, scheduling: "fifo" });
  }

  request(r: Req): Promise<Answer> {
    return this.exchange(r);
  }

  /** A request timed to its first and its last byte (milliseconds), its body kept. */
  timed(r: Req): Promise<Answer & { firstByteMs: number; totalMs: number; bytes: number }> {
    const t0 = process.hrtime.bigint();
    const since = () => Number(process.hrtime.bigint() - t0) / 1e6;
    let firstByteMs = NaN;
    return this.exchange(r, () => (firstByteMs = since())).then((a) => ({ ...a, firstByteMs, totalMs: since(), bytes: Buffer.byteLength(a.body) }));
  }

  /** One request and its whole answer; `onFirstByte` is called when the answer's first bytes arrive. */
  private exchange(r: Req, onFirstByte?: () => void): Promise<Answer> {
    const payload = r.body === undefined ? undefined : typeof r.body === "string" ? r.body : JSON.stringify(r.body);
    const headers: Record<string, string | number> = { ...this.defaults, ...r.headers };
    if (payload !== undefined) {
      headers["content-type"] ??= "application/scim+json";
      headers["content-length"] = Buffer.byteLength(payload);
    }
    return new Promise((resolve, reject) => {
      const req = http.request({ agent: this.agent, host: this.host, port: this.port, method: r.method, path: r.path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => {
          if (chunks.length === 0) onFirstByte?.();
          chunks.push(c);
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      });
      req.on("error", reject);
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** A request that must answer `expect` (a status or a list of them); the body parsed as JSON when there is one. */
  async json<T = Record<string, unknown>>(r: Req, expect: number | number[] = 200): Promise<T> {
    const a = await this.request(r);
    const ok = Array.isArray(expect) ? expect.includes(a.status) : a.status === expect;
    if (!ok) throw new Error(`${r.method} ${r.path}: expected ${expect}, got ${a.status}: ${a.body.slice(0, 300)}`);
    return (a.body ? JSON.parse(a.body) : {}) as T;
  }

  close(): void {
    this.agent.destroy();
  }
}

export interface LoadResult {
  requests: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  /** Requests per second over the whole run (after warm-up). */
  rate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** CPU milliseconds per measured request of the server and of a local database; null where not measured. */
  cpu?: CpuPerRequest;
  /** Every measured request's latency, sorted (dropped before a result is written out). */
  latencies?: number[];
}

export interface LoadSpec {
  /** Number of measured requests. */
  requests: number;
  concurrency: number;
  /** Requests sent first and not measured (JIT, pools, caches). */
  warmup?: number;
  /** The i-th request; warm-up requests get negative indexes (-warmup … -1). */
  make: (i: number) => Req;
  /** Statuses that count as success. */
  expect: number | number[];
  /** Extra check of a successful answer (throw to count it as an error). */
  check?: (a: Answer, i: number) => void;
}

/** Nearest-rank percentile of a sorted list (milliseconds). */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Closed-loop load: `concurrency` workers, each sending its next request when the previous one answered. */
export async function runLoad(client: Client, spec: LoadSpec): Promise<LoadResult> {
  const expect = Array.isArray(spec.expect) ? spec.expect : [spec.expect];
  const warm = spec.warmup ?? 0;
  let errors = 0;
  let firstError: string | undefined;
  const one = async (i: number, record: boolean, latencies: number[]) => {
    const req = spec.make(i);
    const t0 = process.hrtime.bigint();
    try {
      const a = await client.request(req);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (!expect.includes(a.status)) throw new Error(`${req.method} ${req.path} → ${a.status} ${a.body.slice(0, 200)}`);
      spec.check?.(a, i);
      if (record) latencies.push(ms);
    } catch (err) {
      if (!record) throw err;
      errors++;
      firstError ??= (err as Error).message;
    }
  };
  const drive = async (from: number, to: number, record: boolean, latencies: number[]) => {
    let next = from;
    const worker = async () => {
      while (next < to) await one(next++, record, latencies);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(spec.concurrency, to - from)) }, worker));
  };
  if (warm > 0) await drive(-warm, 0, false, []);
  const latencies: number[] = [];
  const t0 = process.hrtime.bigint();
  await drive(0, spec.requests, true, latencies);
  const elapsedMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { requests: spec.requests, errors, firstError, ...timings(latencies, elapsedMs) };
}

/** Rate and percentiles of measured latencies (sorted here) over `elapsedMs`. */
function timings(latencies: number[], elapsedMs: number): Pick<LoadResult, "elapsedMs" | "rate" | "p50" | "p90" | "p99" | "max" | "latencies"> {
  latencies.sort((a, b) => a - b);
  return {
    elapsedMs,
    rate: (latencies.length / elapsedMs) * 1000,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    latencies,
  };
}

/** Loads run one after another as one: rates over their summed time, percentiles over all their requests, CPU weighted by requests. */
export function combineLoads(parts: LoadResult[]): LoadResult {
  const requests = parts.reduce((n, p) => n + p.requests, 0);
  const weighted = (key: keyof CpuPerRequest) => (parts.some((p) => p.cpu?.[key] === null || p.cpu?.[key] === undefined) ? null : parts.reduce((n, p) => n + p.cpu![key]! * p.requests, 0) / requests);
  return {
    requests,
    errors: parts.reduce((n, p) => n + p.errors, 0),
    firstError: parts.find((p) => p.firstError)?.firstError,
    ...timings(
      parts.flatMap((p) => p.latencies ?? []),
      parts.reduce((n, p) => n + p.elapsedMs, 0),
    ),
    cpu: { serverMs: weighted("serverMs"), databaseMs: weighted("databaseMs") },
  };
}

/** Latency statistics of a list of samples (milliseconds). */
export function stats(samples: number[]): { p50: number; p99: number; mean: number } {
  const s = [...samples].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
}
