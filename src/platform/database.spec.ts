import { isDatabaseUnavailable, positional, retryingDeadlocks } from "./database";
import { DatabaseTimeoutError, serverStatementBound } from "./statement-timeout";

describe("positional (named → ? placeholders)", () => {
  test("names in order, repeated names repeated, quoted text untouched", () => {
    expect(positional("SELECT * FROM t WHERE a = :a AND b LIKE :b ESCAPE '\\\\' AND c = ':not' AND d = :a", "mysql")).toEqual({
      text: "SELECT * FROM t WHERE a = ? AND b LIKE ? ESCAPE '\\\\' AND c = ':not' AND d = ?",
      names: ["a", "b", "a"],
    });
  });

  test("SQLite literals have no backslash escapes: the placeholder after '\\' is still seen", () => {
    expect(positional("SELECT 1 WHERE x LIKE :p ESCAPE '\\' AND y = :q AND z = 'it''s :r'", "sqlite")).toEqual({
      text: "SELECT 1 WHERE x LIKE ? ESCAPE '\\' AND y = ? AND z = 'it''s :r'",
      names: ["p", "q"],
    });
  });
});

describe("retryingDeadlocks", () => {
  const deadlock = () => Object.assign(new Error("Deadlock found when trying to get lock"), { code: "ER_LOCK_DEADLOCK" });

  test("a deadlock victim runs again, twice at most; then its refusal reaches the caller", async () => {
    const retries: number[] = [];
    let calls = 0;
    await expect(retryingDeadlocks(async () => ++calls === 3 ? "done" : Promise.reject(deadlock()), (_e, n) => retries.push(n))).resolves.toBe("done");
    expect(retries).toEqual([1, 2]);
    calls = 0;
    await expect(retryingDeadlocks(async () => (++calls, Promise.reject(deadlock())))).rejects.toMatchObject({ code: "ER_LOCK_DEADLOCK" });
    expect(calls).toBe(3);
  });

  test("other errors, a lock wait timeout among them, are not retried", async () => {
    for (const code of ["ER_LOCK_WAIT_TIMEOUT", "ER_DUP_ENTRY", undefined]) {
      let calls = 0;
      await expect(retryingDeadlocks(async () => (++calls, Promise.reject(Object.assign(new Error("x"), { code }))))).rejects.toThrow("x");
      expect(calls).toBe(1);
    }
    let calls = 0;
    const wrapped = Object.assign(new Error("query failed"), { driverError: { code: "ER_LOCK_DEADLOCK" } });
    await expect(retryingDeadlocks(async () => (++calls === 1 ? Promise.reject(wrapped) : "again"))).resolves.toBe("again");
  });
});

describe("isDatabaseUnavailable", () => {
  test("a statement or a connection the database did not answer in time is a 503, as the driver wraps it or not", () => {
    const timeout = new DatabaseTimeoutError("the database did not answer within 1000 ms; its connection was closed");
    expect(isDatabaseUnavailable(timeout)).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("query failed"), { driverError: timeout }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("Duplicate entry"), { code: "ER_DUP_ENTRY" }))).toBe(false);
  });

  test("a statement the server stopped at its bound (MariaDB 1969, MySQL 3024) is a 503 too; other server errors are not", () => {
    const stopped = Object.assign(new Error("Query execution was interrupted (max_statement_time exceeded)"), { errno: 1969, sqlState: "70100" });
    expect(isDatabaseUnavailable(stopped)).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("query failed"), { driverError: { errno: 3024 } }))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error("Duplicate entry"), { errno: 1062 }))).toBe(false);
  });
});

describe("serverStatementBound", () => {
  test("the server stops a statement before the socket bound: a tenth earlier, at most a second; MariaDB in seconds, MySQL in ms", () => {
    expect(serverStatementBound("5.5.5-10.11.19-MariaDB-0+deb12u1", 30_000)).toBe("SET SESSION max_statement_time = 29");
    expect(serverStatementBound("5.5.5-10.11.19-MariaDB-0+deb12u1", 1_000)).toBe("SET SESSION max_statement_time = 0.9");
    expect(serverStatementBound("8.0.36", 30_000)).toBe("SET SESSION max_execution_time = 29000");
    expect(serverStatementBound("8.0.36", 5)).toBe("SET SESSION max_execution_time = 5");
  });
});
