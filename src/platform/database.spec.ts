import { isDatabaseUnavailable, positional, retryingDeadlocks } from "./database";
import { DatabaseTimeoutError } from "./statement-timeout";

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
});
