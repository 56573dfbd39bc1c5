// Database.preparedRows: the hot key reads (a SCIM lookup, GET by id) as prepared statements on
// MariaDB. They must read exactly what the text protocol reads, and join a transaction when in one.
import { QueryFailedError } from "typeorm";
import { Database } from "../src/platform/database";
import { type TestApp, type TestTenant, startTestApp } from "./support/test-app";
import { testDriver } from "./support/test-database";

let app: TestApp;
let t: TestTenant;
let db: Database;
beforeAll(async () => {
  app = await startTestApp();
  t = await app.tenant();
  db = new Database(app.dataSource);
});
afterAll(() => app.close());

const USER_BY_ID = "SELECT u.* FROM users u WHERE u.id = ? AND u.organisationId = ?";

test("a prepared read returns the same row as the text protocol: dates, numbers, nulls, JSON, text", async () => {
  const user = await app.services.users.create(t.ctx, {
    userName: "Prepared.Reader@example.com",
    displayName: "Zoë « Prepared » O'Brien",
    active: false,
    addresses: [{ type: "work", streetAddress: "1 Rue de l'Église", locality: "Paris", primary: true }],
    emails: [{ value: "zoe@example.com", type: "work", primary: true }],
  });
  const [text] = await db.rows(undefined, USER_BY_ID, [user.id, t.organisation.id]);
  const [prepared] = await db.preparedRows(undefined, USER_BY_ID, [user.id, t.organisation.id]);
  expect(prepared).toEqual(text);
  expect(prepared.displayName).toBe("Zoë « Prepared » O'Brien");
  expect(Number(prepared.active)).toBe(0);
  expect(prepared.managerId).toBeNull();
  // A second run of the same text (the cached statement) binds its new values.
  expect(await db.preparedRows(undefined, USER_BY_ID, ["no-such-id", t.organisation.id])).toEqual([]);
  // Another organisation's id finds nothing: the statement is scoped like any other.
  const other = await app.tenant();
  expect(await db.preparedRows(undefined, USER_BY_ID, [user.id, other.organisation.id])).toEqual([]);
});

test("in a transaction, a prepared read sees the transaction's own uncommitted write; after the rollback, nothing of it", async () => {
  const user = await app.services.users.create(t.ctx, { userName: "in-tx@example.com", displayName: "Before" });
  await expect(
    db.transaction({}, async (tx) => {
      await db.write(tx, "UPDATE users SET displayName = ? WHERE id = ?", ["Inside", user.id]);
      const [row] = await db.preparedRows(tx, USER_BY_ID, [user.id, t.organisation.id]);
      expect(row.displayName).toBe("Inside");
      throw new Error("roll back");
    }),
  ).rejects.toThrow("roll back");
  const [row] = await db.preparedRows(undefined, USER_BY_ID, [user.id, t.organisation.id]);
  expect(row.displayName).toBe("Before");
});

test("a statement the server refuses fails as a QueryFailedError, and the pool keeps working", async () => {
  await expect(db.preparedRows(undefined, "SELECT no_such_column FROM users WHERE id = ?", ["x"])).rejects.toBeInstanceOf(QueryFailedError);
  await expect(db.preparedRows(undefined, "SELECT COUNT(*) AS n FROM users WHERE organisationId = ?", [t.organisation.id])).resolves.toHaveLength(1);
});

const testMariadb = testDriver() === "mariadb" ? test : test.skip;

testMariadb("on MariaDB the server executes them as prepared statements (binary protocol)", async () => {
  const executed = async () => Number((await db.rows<{ Value: string }>(undefined, "SHOW GLOBAL STATUS LIKE 'Com_stmt_execute'"))[0].Value);
  const before = await executed();
  for (let i = 0; i < 30; i++) await db.preparedRows(undefined, USER_BY_ID, [`id-${i}`, t.organisation.id]);
  expect((await executed()) - before).toBeGreaterThanOrEqual(30);
});
