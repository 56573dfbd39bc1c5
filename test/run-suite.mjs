#!/usr/bin/env node
// `npm test`: typecheck, lint, then jest — unit specs, the integration suite on SQLite, and the same
// suite on MariaDB at TEST_DATABASE_URL. Without a reachable MariaDB, a developer gets a loud warning
// and the SQLite pass; in CI (CI=true) that is a failure, never a silent skip.
import { spawnSync } from "node:child_process";
import mysql from "mysql2/promise";

const args = process.argv.slice(2);
const quick = args.includes("--no-static");
const jestArgs = args.filter((a) => a !== "--no-static");
const url = process.env.TEST_DATABASE_URL ?? "mariadb://root@127.0.0.1:3306/test";
const ci = /^(1|true|yes)$/i.test(process.env.CI ?? "");

function run(title, cmd, cmdArgs) {
  console.log(`\n▶ ${title}`);
  const r = spawnSync(cmd, cmdArgs, { stdio: "inherit", env: process.env });
  if (r.status !== 0) {
    console.error(`✖ ${title} failed`);
    process.exit(r.status ?? 1);
  }
}

async function mariadbReachable() {
  try {
    const u = new URL(url);
    const c = await mysql.createConnection({ host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username || "root"), password: decodeURIComponent(u.password), connectTimeout: 3000 });
    await c.query("SELECT 1");
    await c.end();
    return true;
  } catch (err) {
    return err;
  }
}

if (!quick) {
  run("typecheck (tsc --noEmit)", "npx", ["tsc", "-p", "tsconfig.json", "--noEmit"]);
  run("typecheck admin console (tsc -p tsconfig.admin.json)", "npx", ["tsc", "-p", "tsconfig.admin.json"]);
  run("lint (eslint)", "npx", ["eslint", "."]);
}

const reachable = await mariadbReachable();
const projects = ["unit", "sqlite"];
if (reachable === true) {
  projects.push("mariadb");
} else {
  const banner = [
    "",
    "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
    `!! MariaDB is not reachable at ${url}`,
    `!! (${reachable?.code ?? reachable?.message ?? reachable})`,
    "!! The MariaDB half of the suite cannot run. Start it with:",
    "!!   start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd",
    "!! or point TEST_DATABASE_URL at a server.",
    "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!",
    "",
  ].join("\n");
  console.error(banner);
  if (ci) {
    console.error("CI=true: a suite without its database tests is not green. Failing.");
    process.exit(1);
  }
  console.error("Not in CI: running the unit and SQLite passes only.\n");
}

run(`jest (${projects.join(", ")})`, "npx", ["jest", ...jestArgs, "--selectProjects", ...projects]);
