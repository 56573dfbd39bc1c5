/**
 * `npm run bench`: Roster against the machine's own limits (issue 5). Roster and the baselines run
 * as child processes; this process seeds, generates load over keep-alive HTTP, prints a table and
 * writes bench-results/<timestamp>.json. See README "Benchmarks".
 *
 *   --concurrency N   client concurrency (default 8; the Entra cycle always runs at 1)
 *   --quick           small sizes, well under a minute (CI runs it so that it never rots)
 *   --full            adds the 1,000,000-user lookup
 *   --sqlite          Roster (and the one-statement baseline) on SQLite instead of MariaDB
 *   --keep            keep the benchmark database
 *   --profile         write a V8 CPU profile of the Roster process (bench-results/profiles/)
 *   --only a,b        run only these scenarios: create,lookup,write,membership,paging,entra,graphql
 *   --buffer-pool-mb N  MariaDB's InnoDB buffer pool for the run (default 1024; restored afterwards);
 *                     0 measures the server as it is configured
 *   --compare DIR     instead of the scenarios: this build against another checkout's (built, e.g. a
 *                     worktree of an earlier commit) on one database, in alternating slices (compare.ts);
 *                     --only picks among create, lookup, write, membership, graphql
 *   --repeat N        the whole run N times, each on a fresh database, then each row's ratios side by
 *                     side with their median and in how many runs its target was met
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import "reflect-metadata";
import mysql from "mysql2/promise";
import { loadConfig } from "../../src/config/config";
import { createServices } from "../../src/domain/services";
import { openDatabase } from "../../src/platform/boot";
import { Database } from "../../src/platform/database";
import { type ServerProcess, repoRoot, startBareBaseline, startDbBaseline, startRoster } from "./processes";
import { localDatabasePid, settle } from "./cpu";
import { type Row, printSummary, printTable, summarise, writeJson } from "./report";
import {
  type BenchContext,
  type LookupResult,
  type Sizes,
  baselineBare,
  createUsers,
  deactivateAndPut,
  entraCycle,
  graphql,
  lookupGrowth,
  lookups,
  membership,
  oauthLookups,
  paging,
  verifySeed,
} from "./scenarios";
import { Seeder, createTenant } from "./seed";
import { compareBuilds } from "./compare";

const SCENARIOS = ["create", "lookup", "write", "membership", "paging", "entra", "graphql"] as const;
/** The scenarios `--compare` measures on both builds. */
const COMPARED = ["create", "lookup", "write", "membership", "graphql"];

interface Options {
  concurrency: number;
  quick: boolean;
  full: boolean;
  sqlite: boolean;
  keep: boolean;
  profile: boolean;
  only: Set<string>;
  mariadb: string;
  bufferPoolMb: number;
  /** Another checkout (built) to measure against, in alternating slices on one database. */
  compare?: string;
  /** Runs of the whole benchmark, one after another (summarised by report.summarise). */
  repeat: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { concurrency: 8, quick: false, full: false, sqlite: false, keep: false, profile: false, only: new Set(SCENARIOS), mariadb: process.env.BENCH_MARIADB_URL ?? "mariadb://root@127.0.0.1:3306", bufferPoolMb: 1024, repeat: 1 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--quick") o.quick = true;
    else if (a === "--full") o.full = true;
    else if (a === "--sqlite") o.sqlite = true;
    else if (a === "--keep") o.keep = true;
    else if (a === "--profile") o.profile = true;
    else if (a.startsWith("--concurrency")) {
      o.concurrency = Number(value());
      if (!Number.isInteger(o.concurrency) || o.concurrency < 1) throw new Error("--concurrency must be a positive integer");
    } else if (a.startsWith("--only")) {
      o.only = new Set(value().split(",").map((s) => s.trim()));
      for (const s of o.only) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}; one of ${SCENARIOS.join(", ")}`);
    } else if (a.startsWith("--mariadb")) o.mariadb = value();
    else if (a.startsWith("--compare")) {
      o.compare = path.resolve(value());
      if (!fs.existsSync(path.join(o.compare, "dist/src/main.js"))) throw new Error(`--compare: ${o.compare}/dist/src/main.js not found (run npm run build there first)`);
    }
    else if (a.startsWith("--repeat")) {
      o.repeat = Number(value());
      if (!Number.isInteger(o.repeat) || o.repeat < 1) throw new Error("--repeat must be a positive integer");
    } else if (a.startsWith("--buffer-pool-mb")) {
      o.bufferPoolMb = Number(value());
      if (!Number.isInteger(o.bufferPoolMb) || o.bufferPoolMb < 0) throw new Error("--buffer-pool-mb must be a whole number of MiB (0: as configured)");
    }
    else if (a === "--help" || a === "-h") {
      console.log(fs.readFileSync(__filename, "utf8").split("*/")[0]);
      process.exit(0);
    } else throw new Error(`unknown option ${a} (see --help)`);
  }
  if (o.compare && !COMPARED.some((s) => o.only.has(s))) throw new Error(`--compare measures ${COMPARED.join(", ")}: --only names none of them`);
  // A compare already alternates both builds within one run; repeating it is running it again.
  if (o.compare && o.repeat > 1) throw new Error("--repeat does not combine with --compare");
  return o;
}

function sizesFor(o: Options): Sizes {
  if (o.quick)
    return { creates: 150, lookups: 300, deactivates: 150, puts: 60, memberAdds: 40, groupReads: 150, graphql: 40, warmup: 20, lookupSizes: [1000, 5000], groupSizes: [100, 1000, 5000], entraUsers: 200, entraGroups: 4, pagingBudgetMs: 10_000 };
  return {
    creates: 3000,
    lookups: 5000,
    deactivates: 3000,
    puts: 1000,
    memberAdds: 500,
    groupReads: 2000,
    graphql: 400,
    // Unmeasured requests before each load. 200 left the JIT cold: a fresh Roster spent 1.28 ms of
    // CPU per lookup over the next 5,000 requests and 0.88-0.92 ms over the 5,000 after those.
    warmup: 1500,
    lookupSizes: [10_000, 100_000, ...(o.full ? [1_000_000] : [])],
    groupSizes: [1000, 10_000, 100_000],
    entraUsers: 10_000,
    entraGroups: 100,
    pagingBudgetMs: 180_000,
  };
}

interface RunOutcome {
  stamp: string;
  rows: Row[];
  file: string;
  failed: boolean;
}

/** One whole benchmark run on a database of its own. */
async function runOnce(o: Options): Promise<RunOutcome> {
  const sizes = sizesFor(o);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "_");
  const dbName = `roster_bench_${stamp}`;
  const t0 = Date.now();
  const log = (msg: string) => console.log(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s] ${msg}`);
  const resultsDir = path.join(repoRoot, "bench-results");
  const cleanups: (() => Promise<void>)[] = [];
  let admin: mysql.Connection | undefined;

  let databaseUrl: string;
  let baselineUrl: string;
  let bufferPool = "n/a";
  if (o.sqlite) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${dbName}-`));
    databaseUrl = `sqlite:${path.join(dir, "roster.sqlite")}`;
    baselineUrl = `sqlite:${path.join(dir, "baseline.sqlite")}`;
    cleanups.push(async () => {
      if (o.keep) log(`kept ${dir}`);
      else fs.rmSync(dir, { recursive: true, force: true });
    });
  } else {
    const server = new URL(o.mariadb);
    admin = await mysql.createConnection({ host: server.hostname, port: Number(server.port || 3306), user: decodeURIComponent(server.username || "root"), password: decodeURIComponent(server.password) });
    await admin.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    databaseUrl = `${o.mariadb.replace(/\/+$/, "")}/${dbName}`;
    baselineUrl = databaseUrl;
    // The directory of 100k users with its contacts, roles and memberships is ~300 MB: with MariaDB's
    // default 128 MiB buffer pool, pages and lookups at 100k measured mostly page reads (paging 3,100
    // rows/s vs 6,800 with the data in memory). A production server is sized for its working set.
    const [[pool]] = (await admin.query("SELECT @@innodb_buffer_pool_size AS bytes")) as unknown as [[{ bytes: string }]];
    const configuredMb = Math.round(Number(pool.bytes) / 1048576);
    bufferPool = `${configuredMb} MiB as configured`;
    if (o.bufferPoolMb > 0 && o.bufferPoolMb !== configuredMb) {
      await admin.query(`SET GLOBAL innodb_buffer_pool_size = ${o.bufferPoolMb * 1048576}`);
      bufferPool = `${o.bufferPoolMb} MiB for this run (configured: ${configuredMb} MiB, restored afterwards)`;
      cleanups.push(async () => {
        await admin!.query(`SET GLOBAL innodb_buffer_pool_size = ${configuredMb * 1048576}`);
      });
    }
    cleanups.push(async () => {
      if (o.keep) log(`kept database ${dbName}`);
      else await admin!.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
      await admin!.end();
    });
  }
  const driver = o.sqlite ? "SQLite" : "MariaDB";
  log(`Roster benchmark on ${driver}${o.quick ? " (quick)" : o.full ? " (full)" : ""}, concurrency ${o.concurrency}, ${os.cpus().length} CPUs, ${databaseUrl}`);
  if (!o.sqlite) log(`InnoDB buffer pool: ${bufferPool}`);

  const servers: ServerProcess[] = [];
  let failed = false;
  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  try {
    // This process's own connection: migrations, tenants, bulk seeding (test tooling, not load).
    const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: "silent", BOOTSTRAP_DEFAULT_ORG: "false" });
    const dataSource = await openDatabase(config);
    cleanups.unshift(() => dataSource.destroy());
    const services = createServices(new Database(dataSource));
    const dir = await createTenant(services, "dir");
    const entra = await createTenant(services, "entra");
    const creates = await createTenant(services, "create");
    const seeder = new Seeder(dataSource, dir, o.sqlite);
    await seeder.prepareRoles(services);

    const profileDir = o.profile ? path.join(resultsDir, "profiles", stamp) : undefined;
    const roster = await startRoster({ databaseUrl, profileDir });
    servers.push(roster);
    const bare = await startBareBaseline();
    servers.push(bare);
    const baseRows = Math.max(...sizes.lookupSizes.filter((s) => s <= 100_000));
    log(`baseline servers: prefilling ${baseRows} rows`);
    const db = await startDbBaseline(baselineUrl, baseRows);
    servers.push(db);
    log(`roster ${roster.url}, baselines ${bare.url} ${db.url}`);

    const ctx: BenchContext = { concurrency: o.concurrency, roster, bare, db, dir, seeder, sizes, rows, raw, log, sqlTiming: o.profile };
    ctx.databasePid = o.sqlite ? null : localDatabasePid(o.mariadb);
    if (admin) ctx.globalQuestions = async () => Number(((await admin!.query("SHOW GLOBAL STATUS LIKE 'Questions'"))[0] as { Value: string }[])[0].Value);
    const want = (s: (typeof SCENARIOS)[number]) => o.only.has(s);

    const grow = async (n: number) => {
      if (seeder.userCount >= n) return;
      const started = Date.now();
      await seeder.growTo(n, (k) => {
        if (k % 50_000 === 0) log(`  seeded ${k} users`);
      });
      log(`  directory at ${n} users (seeded in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    };
    await grow(Math.min(sizes.lookupSizes[0], 1000));
    await verifySeed(ctx, 14);

    if (o.compare) {
      // Both builds are measured on processes started together, after the migrations: measured on the
      // process that ran them and the seed's checks, this build read 5-20% dearer per request than
      // itself in an A/A run (--compare against a checkout of the same commit).
      const mine = await startRoster({ databaseUrl, profileDir });
      const other = await startRoster({ databaseUrl, checkout: o.compare });
      servers.push(mine, other);
      ctx.roster = mine;
      ctx.other = other;
      log(`compare: this build ${mine.url} against ${o.compare} ${other.url}`);
      await grow(sizes.lookupSizes[1]);
      // A group, so that lookups and GraphQL pages show memberships (its members are the first users).
      const groupId = want("membership") || want("graphql") || want("lookup") ? await seeder.group(`Bench group ${sizes.groupSizes[0]}`, 0, sizes.groupSizes[0]) : null;
      const waited = await settle(ctx.databasePid);
      log(waited === null ? "  MariaDB still busy after 120 s: measuring anyway" : `  MariaDB settled after ${waited.toFixed(0)} s`);
      await compareBuilds(ctx, other, creates, groupId, { create: want("create"), lookup: want("lookup"), write: want("write"), membership: want("membership"), graphql: want("graphql") });
    } else {
      log("8. baselines");
      await baselineBare(ctx);

      if (want("create")) {
        log("1. create user");
        await createUsers(ctx, creates);
      }

      const lookupResults: LookupResult[] = [];
      const [small, large] = sizes.lookupSizes;
      for (const size of [small, large]) {
        await grow(size);
        if (want("lookup") || (want("graphql") && size === large)) {
          log(`2. lookup @${size}`);
          lookupResults.push(await lookups(ctx, size, baseRows));
        }
      }
      if (lookupResults.length > 1) lookupGrowth(ctx, lookupResults.filter((r) => r.size <= large));
      if (want("lookup")) {
        log("2. lookup with an OAuth access token");
        await oauthLookups(ctx, services);
      }

      let nextFree = 0;
      if (want("write")) {
        log("3. deactivate / PUT");
        // Users from the middle of the directory: not in the membership groups' add ranges.
        nextFree = await deactivateAndPut(ctx, Math.floor(large / 2) + 1, baseRows);
      }
      void nextFree;

      if (want("membership")) {
        log("4. membership");
        const adds = sizes.memberAdds + sizes.warmup;
        const maxGroup = Math.max(...sizes.groupSizes);
        await grow(maxGroup + adds);
        const groups: { size: number; id: string; addFrom: number }[] = [];
        for (const size of sizes.groupSizes) {
          const started = Date.now();
          // The largest group takes users [0, size) and adds from beyond; smaller ones add right after their members.
          const id = await seeder.group(`Bench group ${size}`, 0, size);
          groups.push({ size, id, addFrom: size });
          log(`  group of ${size} members seeded in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        }
        await membership(ctx, groups, baseRows);
      }

      if (want("paging")) {
        log("5. paging");
        await paging(ctx);
      }

      if (want("entra")) {
        log("6. Entra-style initial cycle");
        await entraCycle(ctx, entra, baseRows);
      }

      if (want("graphql")) {
        log("7. GraphQL page");
        await graphql(ctx);
      }

      if (o.full && want("lookup")) {
        const size = sizes.lookupSizes[2];
        await grow(size);
        log(`2. lookup @${size}`);
        const r = await lookups(ctx, size, baseRows);
        lookupGrowth(ctx, [lookupResults[0], r]);
      }
    }
  } catch (err) {
    failed = true;
    console.error(`\nbenchmark failed: ${(err as Error).stack ?? err}`);
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => undefined);
    for (const c of cleanups) await c().catch((e: unknown) => console.error(`cleanup: ${(e as Error).message}`));
  }

  const table = printTable(rows);
  console.log(`\nRoster benchmark, ${driver}${o.sqlite ? "" : ` (InnoDB buffer pool ${bufferPool})`}, concurrency ${o.concurrency}${o.quick ? ", quick" : ""}${o.full ? ", full" : ""} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  console.log(table);
  const file = writeJson(resultsDir, stamp, { stamp, driver, options: { ...o, only: [...o.only] }, sizes, machine: { cpus: os.cpus().length, node: process.version, bufferPool }, rows, raw });
  console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
  if (o.profile) console.log(`CPU profile of Roster in bench-results/profiles/${stamp}/ (summarise: ts-node --transpile-only test/bench/profile-summary.ts <file>)`);
  return { stamp, rows, file, failed };
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const runs: RunOutcome[] = [];
  for (let i = 1; i <= o.repeat; i++) {
    if (o.repeat > 1) console.log(`\n=== run ${i} of ${o.repeat} ===`);
    const run = await runOnce(o);
    runs.push(run);
    if (run.failed) break;
  }
  if (o.repeat > 1 && runs.length > 1) {
    const summary = summarise(runs.map((r) => r.rows));
    console.log(`\nRoster benchmark, ${runs.length} runs (${runs.map((r) => r.stamp).join(", ")}): each row's ratio per run, their median, and the runs that met the target\n`);
    console.log(printSummary(summary));
    const file = writeJson(path.join(repoRoot, "bench-results"), `${runs[0].stamp}_repeat${runs.length}`, { runs: runs.map((r) => path.relative(repoRoot, r.file)), summary });
    console.log(`\nwrote ${path.relative(process.cwd(), file)}`);
  }
  process.exit(runs.some((r) => r.failed) ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
