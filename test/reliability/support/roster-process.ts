// Roster as a child process (`node dist/src/main.js`), as it runs in production: for the tests that
// need several processes on one database, signals (SIGTERM) and crashes (SIGKILL).
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

const root = path.resolve(__dirname, "../../..");
export const mainJs = path.join(root, "dist", "src", "main.js");
const lockDir = path.join(root, "dist", ".build-lock");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p));
    else if (/\.ts$/.test(entry.name) && !entry.name.endsWith(".spec.ts")) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

const stale = () => !fs.existsSync(mainJs) || fs.statSync(mainJs).mtimeMs < Math.max(newestMtime(path.join(root, "src")), newestMtime(path.join(root, "migrations")));

/**
 * Builds dist/ when a source file is newer than dist/src/main.js, once across parallel jest workers
 * (a lock directory). tsc emits even when a file being edited elsewhere does not typecheck; the
 * typecheck of `npm test` reports that, not this.
 */
export async function ensureBuilt(): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (stale()) {
    fs.mkdirSync(path.dirname(lockDir), { recursive: true });
    let owner = false;
    try {
      fs.mkdirSync(lockDir);
      owner = true;
    } catch {
      // someone else is building; a lock older than 2 minutes is left over from a killed run
      const age = Date.now() - (fs.statSync(lockDir, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) fs.rmSync(lockDir, { recursive: true, force: true });
    }
    if (owner) {
      try {
        if (stale()) spawnSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: root, stdio: "ignore" });
      } finally {
        fs.rmSync(lockDir, { recursive: true, force: true });
      }
      if (!fs.existsSync(mainJs)) throw new Error("npm run build did not produce dist/src/main.js");
      return;
    }
    if (Date.now() > deadline) throw new Error("timed out waiting for another worker's build");
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A port nobody listens on right now (the kernel picks it; we release it for the child). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RosterProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** Everything the process wrote so far (stdout + stderr). */
  output(): string;
  /** Resolves when the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(): Promise<void>;
}

export interface StartOptions {
  databaseUrl: string;
  port?: number;
  publicUrl?: string;
  env?: Record<string, string>;
}

/**
 * Every Roster this test file started that has not exited yet. A test keeps the ones it stops itself;
 * the rest are stopped by the file's teardown below: a Roster whose start succeeded beside one that
 * failed (many-instances' `Promise.all` of two starts) was assigned to nothing, so no afterAll could
 * stop it, and it kept the jest worker alive through its pipes until jest force-killed the worker
 * ("A worker process has failed to exit gracefully"), leaving the Roster itself running. The same
 * for one a failed test had sent SIGTERM and not waited for, whose variable the next test reassigned
 * (graceful-shutdown): it kept the worker up for its SHUTDOWN_TIMEOUT_SECONDS.
 */
const started = new Set<RosterProcess>();

/** Kills every Roster this file started that is still running, and waits until they have exited. */
export async function stopStartedRosters(): Promise<void> {
  await Promise.all([...started].map((roster) => roster.stop()));
}

// Registered once per test file that imports this module (jest evaluates it again for each file):
// it runs after the afterAll hooks of the file's describe blocks and before its own top-level ones
// (declared after the imports), so before the database is dropped, whatever failed earlier.
afterAll(stopStartedRosters);

/** Starts `node dist/src/main.js` on 127.0.0.1 and waits until /readyz answers 200. */
export async function startRoster(options: StartOptions): Promise<RosterProcess> {
  const port = options.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [mainJs], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      DATABASE_URL: options.databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      PUBLIC_URL: options.publicUrl ?? url,
      LOG_LEVEL: "info",
      BOOTSTRAP_DEFAULT_ORG: "false",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  let gone = false;
  const roster: RosterProcess = {
    url,
    port,
    child,
    output: () => out,
    exited,
    stop: async () => {
      if (!gone) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
  started.add(roster);
  void exited.then(() => {
    gone = true;
    started.delete(roster);
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (gone) throw new Error(`Roster exited while starting:\n${out}`);
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`Roster did not become ready within 20 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return roster;
}

/** The JSON log lines a process printed (pino), skipping the human banner. */
export function logLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
