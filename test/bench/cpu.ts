import { execFileSync } from "node:child_process";
import fs from "node:fs";

/**
 * CPU time of processes on this machine, from /proc/<pid>/stat (user + system). Throughput on a shared
 * 2-core machine swings by a fifth between runs; the CPU a request costs each process moves far less,
 * and says where a shortfall is: in Node or in the database. Linux only: elsewhere every reading is null.
 */
let ticksPerSecond: number | undefined;

function msPerTick(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return 1000 / ticksPerSecond;
}

/** CPU milliseconds per request of a server and of a local database; null where not measured. */
export interface CpuPerRequest {
  serverMs: number | null;
  databaseMs: number | null;
}

/** CPU milliseconds the process has used so far; null when it cannot be read. */
export function cpuMs(pid: number | null | undefined): number | null {
  if (!pid) return null;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): state is 3rd, utime 14th, stime 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * msPerTick();
  } catch {
    return null;
  }
}

/** The pid of the MariaDB/MySQL server when it runs on this machine (the database URL is loopback), else null. */
export function localDatabasePid(databaseUrl: string): number | null {
  const host = new URL(databaseUrl).hostname;
  if (!["127.0.0.1", "localhost", "::1", "[::1]"].includes(host)) return null;
  for (const name of ["mariadbd", "mysqld"]) {
    try {
      const pid = Number(execFileSync("pgrep", ["-x", "-o", name], { encoding: "utf8" }).trim());
      if (pid && cpuMs(pid) !== null) return pid;
    } catch {
      // not running under that name
    }
  }
  return null;
}

/** CPU per request of the server and of the database over what `run` sends (`requests` of them). */
export async function cpuPerRequest<T>(pids: { server?: number | null; database?: number | null }, requests: number, run: () => Promise<T>): Promise<{ result: T; cpu: CpuPerRequest }> {
  const s0 = cpuMs(pids.server);
  const d0 = cpuMs(pids.database);
  const result = await run();
  const s1 = cpuMs(pids.server);
  const d1 = cpuMs(pids.database);
  const per = (a: number | null, b: number | null) => (a === null || b === null || requests === 0 ? null : (b - a) / requests);
  return { result, cpu: { serverMs: per(s0, s1), databaseMs: per(d0, d1) } };
}

/**
 * Waits until a process is nearly idle (under `maxMsPerSecond` of CPU over a second), at most
 * `timeoutMs`; resolves to the seconds waited, or null when it did not settle. After a bulk seed,
 * MariaDB's background work (purge, page flushing) goes on for a while, and whatever is measured
 * then pays for it.
 */
export async function settle(pid: number | null | undefined, maxMsPerSecond = 30, timeoutMs = 120_000): Promise<number | null> {
  if (!pid) return 0;
  const started = Date.now();
  for (;;) {
    const before = cpuMs(pid);
    await new Promise((r) => setTimeout(r, 1000));
    const used = (cpuMs(pid) ?? 0) - (before ?? 0);
    if (used <= maxMsPerSecond) return (Date.now() - started) / 1000;
    if (Date.now() - started > timeoutMs) return null;
  }
}
