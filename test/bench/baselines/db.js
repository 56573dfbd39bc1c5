// Baseline: node:http doing exactly one statement per request on the same database as Roster.
//   POST  /insert          body {userName}  → one INSERT
//   GET   /select?key=…                     → one SELECT by unique key
//   PATCH /update/<id>                      → one UPDATE by primary key
//   GET   /count                            → the rows /page walks through (read once, with the page starts)
//   GET   /page?n=<p>                       → one SELECT of the p-th 100 rows in key order (a range
//                                             read from the page's first key, as a keyset page is, on
//                                             the unique key, forced: MariaDB read the first pages'
//                                             range, nearly the whole table, by a scan and a sort)
// BASELINE_DB is a mariadb://… URL (mysql2, a small pool) or sqlite:<file> (better-sqlite3, WAL).
// BASELINE_ROWS rows are prefilled (ids b-1 … b-N, userNames u1@bench.test … uN@bench.test).
"use strict";
const http = require("node:http");
const crypto = require("node:crypto");

const url = process.env.BASELINE_DB || "";
const rows = Number(process.env.BASELINE_ROWS || 10000);
const poolSize = Number(process.env.BASELINE_POOL || 8);
const ORG = "00000000-0000-4000-8000-000000000000";

async function openMysql() {
  const mysql = require("mysql2/promise");
  const u = new URL(url);
  const pool = mysql.createPool({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: u.pathname.slice(1),
    connectionLimit: poolSize,
    charset: "utf8mb4_unicode_ci",
    timezone: "Z",
    enableKeepAlive: true,
  });
  await pool.query("DROP TABLE IF EXISTS bench_baseline_users");
  await pool.query(`CREATE TABLE bench_baseline_users (
    id varchar(36) NOT NULL PRIMARY KEY, organisationId varchar(36) NOT NULL, userName varchar(255) NOT NULL,
    userNameKey varchar(255) NOT NULL, active tinyint NOT NULL DEFAULT 1, displayName varchar(255) NULL,
    version int NOT NULL DEFAULT 1, createdAt datetime(3) NOT NULL, updatedAt datetime(3) NOT NULL,
    UNIQUE KEY UQ_bench_baseline_key (organisationId, userNameKey)) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`);
  await pool.query(
    `INSERT INTO bench_baseline_users (id, organisationId, userName, userNameKey, displayName, createdAt, updatedAt)
     SELECT CONCAT('b-', seq), ?, CONCAT('u', seq, '@bench.test'), CONCAT('u', seq, '@bench.test'), CONCAT('User ', seq), NOW(3), NOW(3) FROM seq_1_to_${rows}`,
    [ORG],
  );
  return {
    insert: async (userName) => {
      const id = crypto.randomUUID();
      const now = new Date();
      await pool.execute("INSERT INTO bench_baseline_users (id, organisationId, userName, userNameKey, displayName, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)", [id, ORG, userName, userName.toLowerCase(), userName, now, now]);
      return { id, userName };
    },
    select: async (key) => {
      const [r] = await pool.execute("SELECT * FROM bench_baseline_users WHERE organisationId = ? AND userNameKey = ?", [ORG, key.toLowerCase()]);
      return r[0] || null;
    },
    update: async (id) => {
      const [r] = await pool.execute("UPDATE bench_baseline_users SET active = 0, version = version + 1, updatedAt = ? WHERE id = ?", [new Date(), id]);
      return r.affectedRows;
    },
    keys: async () => (await pool.query("SELECT userNameKey FROM bench_baseline_users WHERE organisationId = ? ORDER BY userNameKey", [ORG]))[0].map((r) => r.userNameKey),
    page: async (from) => (await pool.execute("SELECT * FROM bench_baseline_users FORCE INDEX (UQ_bench_baseline_key) WHERE organisationId = ? AND userNameKey >= ? ORDER BY userNameKey LIMIT 100", [ORG, from]))[0],
    close: () => pool.end(),
  };
}

async function openSqlite() {
  const Database = require("better-sqlite3");
  const db = new Database(url.replace(/^sqlite:/, ""));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec("DROP TABLE IF EXISTS bench_baseline_users");
  db.exec(`CREATE TABLE bench_baseline_users (id varchar(36) PRIMARY KEY NOT NULL, organisationId varchar(36) NOT NULL, userName varchar(255) NOT NULL,
    userNameKey varchar(255) NOT NULL, active boolean NOT NULL DEFAULT 1, displayName varchar(255), version integer NOT NULL DEFAULT 1,
    createdAt datetime NOT NULL, updatedAt datetime NOT NULL)`);
  db.exec("CREATE UNIQUE INDEX UQ_bench_baseline_key ON bench_baseline_users (organisationId, userNameKey)");
  db.prepare(
    `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
     INSERT INTO bench_baseline_users (id, organisationId, userName, userNameKey, displayName, createdAt, updatedAt)
     SELECT 'b-' || n, ?, 'u' || n || '@bench.test', 'u' || n || '@bench.test', 'User ' || n, datetime('now'), datetime('now') FROM seq`,
  ).run(rows, ORG);
  const ins = db.prepare("INSERT INTO bench_baseline_users (id, organisationId, userName, userNameKey, displayName, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?)");
  const sel = db.prepare("SELECT * FROM bench_baseline_users WHERE organisationId = ? AND userNameKey = ?");
  const upd = db.prepare("UPDATE bench_baseline_users SET active = 0, version = version + 1, updatedAt = ? WHERE id = ?");
  const keys = db.prepare("SELECT userNameKey FROM bench_baseline_users WHERE organisationId = ? ORDER BY userNameKey").pluck();
  const page = db.prepare("SELECT * FROM bench_baseline_users WHERE organisationId = ? AND userNameKey >= ? ORDER BY userNameKey LIMIT 100");
  const now = () => new Date().toISOString().replace("T", " ").replace("Z", "");
  return {
    insert: async (userName) => {
      const id = crypto.randomUUID();
      ins.run(id, ORG, userName, userName.toLowerCase(), userName, now(), now());
      return { id, userName };
    },
    select: async (key) => sel.get(ORG, key.toLowerCase()) || null,
    update: async (id) => upd.run(now(), id).changes,
    keys: async () => keys.all(ORG),
    page: async (from) => page.all(ORG, from),
    close: () => db.close(),
  };
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function send(res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  res.end(body);
}

async function main() {
  const store = url.startsWith("sqlite:") ? await openSqlite() : await openMysql();
  // The first key of every 100 rows, read once on the first page request (after the INSERT baseline
  // has added its rows), so that each page is one range read, as Roster's continuing pages are.
  let keyCount = 0;
  let pageStarts = null;
  const pageStart = async (n) => {
    if (!pageStarts) {
      const keys = await store.keys();
      keyCount = keys.length;
      pageStarts = keys.filter((_, i) => i % 100 === 0);
    }
    return pageStarts[n];
  };
  const server = http.createServer(async (req, res) => {
    try {
      const u = new URL(req.url, "http://x");
      const text = await readBody(req);
      if (req.method === "POST" && u.pathname === "/insert") return send(res, 201, await store.insert(JSON.parse(text).userName));
      if (req.method === "GET" && u.pathname === "/select") {
        const row = await store.select(u.searchParams.get("key") || "");
        return send(res, 200, { totalResults: row ? 1 : 0, Resources: row ? [row] : [] });
      }
      if (req.method === "GET" && u.pathname === "/count") {
        await pageStart(0);
        return send(res, 200, { rows: keyCount });
      }
      if (req.method === "GET" && u.pathname === "/page") {
        const from = await pageStart(Number(u.searchParams.get("n")));
        const rows = from === undefined ? [] : await store.page(from);
        return send(res, 200, { itemsPerPage: rows.length, Resources: rows });
      }
      if (req.method === "PATCH" && u.pathname.startsWith("/update/")) {
        const n = await store.update(decodeURIComponent(u.pathname.slice("/update/".length)));
        return n ? send(res, 200, { updated: n }) : send(res, 404, { detail: "not found" });
      }
      send(res, 404, { detail: "no route" });
    } catch (err) {
      send(res, 500, { detail: String(err && err.message) });
    }
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.env.PORT || 0), "127.0.0.1", () => console.log(`listening on ${server.address().port}`));
  process.on("SIGTERM", () => {
    server.close(() => Promise.resolve(store.close()).finally(() => process.exit(0)));
    server.closeAllConnections();
  });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
