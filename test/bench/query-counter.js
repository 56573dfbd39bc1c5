// Preloaded into the Roster child (`node -r …/query-counter.js dist/src/main.js`) by the benchmark:
// counts the calls (round trips) carrying SQL statements that Roster makes, per driver, and answers
// the count over the IPC channel.
// Test tooling only: it wraps the drivers' entry points and changes nothing else.
"use strict";
const counts = { statements: 0, transactionControl: 0 };
const CONTROL = /^\s*(START TRANSACTION|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|SET TRANSACTION|SELECT VERSION\(\))/i;

// With BENCH_SQL_TIMING=1 (the benchmark's --profile), time spent waiting for each statement shape.
const timing = process.env.BENCH_SQL_TIMING === "1";
const shapes = new Map();

const textOf = (sql) => (typeof sql === "string" ? sql : sql && typeof sql.sql === "string" ? sql.sql : "");

/** One call (a round trip); a multi-statement call that carries any statement besides transaction control counts as a statement. */
function count(sql) {
  if (textOf(sql).split(";\n").every((part) => CONTROL.test(part))) counts.transactionControl++;
  else counts.statements++;
}

/** A statement with its values and IN lists folded, so that one shape collects all its calls. */
const shapeOf = (text) =>
  text
    .replace(/'(?:[^'\\]|\\.)*'/g, "?")
    .replace(/\bIN \((?:\s*(?:\?|:\w+|\d+)\s*,?)+\)/gi, "IN (…)")
    .replace(/\s+/g, " ")
    .slice(0, 400);

function timed(text, result) {
  if (!timing || !result || typeof result.once !== "function") return result;
  const t0 = process.hrtime.bigint();
  result.once("end", () => {
    const k = shapeOf(text);
    const s = shapes.get(k) || { calls: 0, ms: 0 };
    s.calls++;
    s.ms += Number(process.hrtime.bigint() - t0) / 1e6;
    shapes.set(k, s);
  });
  return result;
}

function wrap(proto, methods) {
  for (const m of methods) {
    const original = proto[m];
    if (typeof original !== "function") continue;
    proto[m] = function (sql, ...rest) {
      count(sql);
      return timed(textOf(sql), original.call(this, sql, ...rest));
    };
  }
}

try {
  // mysql2: TypeORM's MySQL driver calls query() on pooled connections (all share this prototype).
  const { Connection } = require("mysql2");
  wrap(Object.getPrototypeOf(Connection.prototype), ["query", "execute"]);
} catch {
  /* mysql2 not installed */
}

try {
  // better-sqlite3: TypeORM caches prepared statements, so count executions (run/all/get/iterate).
  const Database = require("better-sqlite3");
  const probe = new Database(":memory:");
  const Statement = Object.getPrototypeOf(probe.prepare("SELECT 1"));
  probe.close();
  for (const m of ["run", "all", "get", "iterate"]) {
    const original = Statement[m];
    Statement[m] = function (...args) {
      count(this.source);
      return original.apply(this, args);
    };
  }
  wrap(Database.prototype, ["exec"]);
} catch {
  /* better-sqlite3 not installed */
}

globalThis.__benchQueryCounts = counts;

if (process.send) {
  process.on("message", (m) => {
    if (m && m.type === "queryCount") process.send({ type: "queryCount", id: m.id, ...counts });
    if (m && m.type === "sqlTiming") {
      process.send({ type: "sqlTiming", id: m.id, shapes: [...shapes].map(([sql, s]) => ({ sql, ...s })).sort((a, b) => b.ms - a.ms) });
      shapes.clear();
    }
  });
  process.channel?.unref();
}
