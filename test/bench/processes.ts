import { type ChildProcess, fork } from "node:child_process";
import net from "node:net";
import path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");

/** A free loopback port (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface SqlShape {
  sql: string;
  calls: number;
  ms: number;
}

export interface ServerProcess {
  name: string;
  url: string;
  child: ChildProcess;
  /** Statements the child sent to its database so far (Roster only: needs the query-counter preload). */
  queryCount(): Promise<number>;
  /** Time spent per statement shape since the last call (Roster started with sqlTiming only). */
  sqlTiming(): Promise<SqlShape[]>;
  stop(): Promise<void>;
}

interface IpcAnswer {
  type?: string;
  id?: number;
  statements?: number;
  shapes?: SqlShape[];
}

interface StartOptions {
  name: string;
  script: string;
  /** The child's working directory (default: this checkout). */
  cwd?: string;
  env: Record<string, string>;
  execArgv?: string[];
  /** Resolves the port from a line of the child's output, or null while not ready. */
  ready: (line: string) => number | null;
  timeoutMs?: number;
}

/** Starts a Node server as a child process (its own CPU, not the load generator's) and waits until it listens. */
export function startServer(o: StartOptions): Promise<ServerProcess> {
  const child = fork(o.script, [], {
    cwd: o.cwd ?? repoRoot,
    env: { ...process.env, ...o.env },
    execArgv: o.execArgv ?? [],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let output = "";
  let requestSeq = 0;
  const pending = new Map<number, (m: IpcAnswer) => void>();
  child.on("message", (m: IpcAnswer) => {
    if (m?.id !== undefined) pending.get(m.id)?.(m);
  });
  const ask = (type: string) =>
    new Promise<IpcAnswer>((res, rej) => {
      const id = ++requestSeq;
      const t = setTimeout(() => rej(new Error(`${o.name} did not answer ${type} (is the query-counter preloaded?)`)), 5000);
      pending.set(id, (m) => {
        clearTimeout(t);
        pending.delete(id);
        res(m);
      });
      child.send({ type, id });
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${o.name} did not start within ${(o.timeoutMs ?? 60_000) / 1000}s:\n${output.slice(-2000)}`)), o.timeoutMs ?? 60_000);
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (output.length < 200_000) output += text;
      if (settled) return;
      for (const line of text.split("\n")) {
        const port = o.ready(line);
        if (port === null) continue;
        settled = true;
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.on("exit", (code, signal) => {
          if (!stopping && code !== 0) console.error(`\n${o.name} exited unexpectedly (code ${code}, signal ${signal}):\n${output.slice(-2000)}`);
        });
        resolve({
          name: o.name,
          url: `http://127.0.0.1:${port}`,
          child,
          queryCount: async () => (await ask("queryCount")).statements ?? 0,
          sqlTiming: async () => (await ask("sqlTiming")).shapes ?? [],
          stop,
        });
        return;
      }
    };
    let stopping = false;
    const stop = () =>
      new Promise<void>((res) => {
        if (child.exitCode !== null || child.signalCode !== null) return res();
        stopping = true;
        const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
        child.once("exit", () => {
          clearTimeout(kill);
          res();
        });
        child.kill("SIGTERM");
      });
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => fail(new Error(`${o.name} exited with code ${code} before listening:\n${output.slice(-3000)}`)));
    child.on("error", (err) => fail(err));
  });
}

export interface RosterOptions {
  databaseUrl: string;
  /** Write a V8 CPU profile of the Roster process into this directory when it stops, and time SQL statements. */
  profileDir?: string;
  /** Run the build of another checkout (its dist/, built), as `--compare` does; default: this one. */
  checkout?: string;
}

/** `node dist/src/main.js` as the README runs it, with the statement counter preloaded. */
/** Every request limit's maximum (RATE_LIMIT_WINDOW_SECONDS stays 60). */
const BENCH_LIMIT = process.env.BENCH_RATE_LIMIT ?? "1000000";

export async function startRoster(o: RosterOptions): Promise<ServerProcess> {
  const port = await freePort();
  const execArgv = ["-r", path.join(__dirname, "query-counter.js")];
  if (o.profileDir) execArgv.push("--cpu-prof", `--cpu-prof-dir=${o.profileDir}`);
  const checkout = o.checkout ?? repoRoot;
  return startServer({
    name: o.checkout ? `roster (${o.checkout})` : "roster",
    script: path.join(checkout, "dist/src/main.js"),
    cwd: checkout,
    env: { DATABASE_URL: o.databaseUrl, PORT: String(port), HOST: "127.0.0.1", PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: "warn", BOOTSTRAP_DEFAULT_ORG: "false", NODE_ENV: "production", BENCH_SQL_TIMING: o.profileDir ? "1" : "0",
      // The limits on, as deployed, and as high as they go (a million per minute), so that they count
      // every request without refusing the load.
      SCIM_RATE_LIMIT_PER_TOKEN: BENCH_LIMIT, SCIM_RATE_LIMIT_PER_IP: BENCH_LIMIT, GRAPHQL_RATE_LIMIT_PER_IP: BENCH_LIMIT, SHUTDOWN_TIMEOUT_SECONDS: "5" },
    execArgv,
    ready: (line) => (/Roster is listening on port/.test(line) ? port : null),
  });
}

const listening = (line: string) => {
  const m = /listening on (\d+)/.exec(line);
  return m ? Number(m[1]) : null;
};

export function startBareBaseline(): Promise<ServerProcess> {
  return startServer({ name: "baseline:bare", script: path.join(__dirname, "baselines/bare.js"), env: {}, ready: listening });
}

export function startDbBaseline(databaseUrl: string, rows: number): Promise<ServerProcess> {
  return startServer({
    name: "baseline:db",
    script: path.join(__dirname, "baselines/db.js"),
    env: { BASELINE_DB: databaseUrl, BASELINE_ROWS: String(rows), BASELINE_POOL: "8" },
    ready: listening,
    timeoutMs: 300_000,
  });
}
