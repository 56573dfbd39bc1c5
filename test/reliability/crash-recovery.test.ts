// SIGKILL a Roster process in the middle of a large PATCH and of a Bulk request: after a restart each
// change is wholly there or wholly absent, and the audit trail agrees. Then the IdP's retries.
import { CORE_USER, expectScimError, patchOp, scimClient } from "../support/scim-client";
import { type TestDatabase, createTestDatabase, testDriver } from "../support/test-database";
import { type RosterProcess, ensureBuilt, startRoster } from "./support/roster-process";
import { type SharedDatabase, type SharedTenant, openSharedDatabase } from "./support/shared-database";

const MEMBERS = 5000;
let db: TestDatabase;
let shared: SharedDatabase;
let t: SharedTenant;
let memberIds: string[];
let roster: RosterProcess | undefined;
/** Figures for the report, printed at the end. */
const figures = { patchMs: 0, kills: 0, patchWhole: 0, patchAbsent: 0, killedWithRowsWritten: 0, bulkOpsWhole: 0 };

beforeAll(async () => {
  await ensureBuilt();
  db = await createTestDatabase();
  shared = await openSharedDatabase(db.url);
  t = await shared.tenant("crash");
  memberIds = await shared.seedUsers(t.ctx, MEMBERS, "member");
}, 60_000);
afterAll(async () => {
  await roster?.stop();
  await shared?.close();
  await db?.drop();
  console.log(`crash-recovery (${testDriver()}): ${JSON.stringify(figures)}`);
});

const addAll = () => patchOp({ op: "add", path: "members", value: memberIds.map((id) => ({ value: id })) });
const newGroup = async (name: string) => (await shared.services.groups.create(t.ctx, { displayName: name })).id;
const membersOf = (groupId: string) => shared.count("SELECT COUNT(*) AS n FROM group_memberships WHERE groupId = ?", [groupId]);
const auditOf = (groupId: string) => shared.count("SELECT COUNT(*) AS n FROM audit_events WHERE resourceId = ? AND action LIKE 'group.members.%'", [groupId]);
const versionOf = async (groupId: string) => Number((await shared.dataSource.query("SELECT version FROM `groups` WHERE id = ?", [groupId]))[0].version);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * MariaDB only: the group's membership rows as a READ UNCOMMITTED reader sees them. Committed, the
 * group has 0 or all of them; a count in between means a transaction is half-way through its writes.
 */
async function dirtyMembers(groupId: string): Promise<number> {
  const qr = shared.dataSource.createQueryRunner();
  await qr.connect();
  try {
    await qr.query("SET SESSION TRANSACTION ISOLATION LEVEL READ UNCOMMITTED");
    const rows = await qr.query("SELECT COUNT(*) AS n FROM group_memberships WHERE groupId = ?", [groupId]);
    return Number(rows[0].n);
  } finally {
    await qr.query("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ").catch(() => undefined);
    await qr.release();
  }
}

/** After a crash: the group has all of the members or none, with one audit event or none, and the version agrees. */
async function expectWholeOrAbsent(groupId: string): Promise<"whole" | "absent"> {
  const [n, audits, version] = await Promise.all([membersOf(groupId), auditOf(groupId), versionOf(groupId)]);
  expect([0, MEMBERS]).toContain(n);
  expect(audits).toBe(n === 0 ? 0 : 1);
  expect(version).toBe(n === 0 ? 1 : 2);
  return n === 0 ? "absent" : "whole";
}

let patchMs = 0;

test(`a PATCH adding ${MEMBERS} members survives SIGKILL at any moment: all of them or none, and the audit trail agrees`, async () => {
  roster = await startRoster({ databaseUrl: db.url });
  const scim = scimClient(roster.url, t.scimToken);
  // Calibration: the whole PATCH, uninterrupted.
  const calibration = await newGroup("calibration");
  const started = Date.now();
  const ok = await scim.patch(`/Groups/${calibration}`, addAll());
  patchMs = Date.now() - started;
  figures.patchMs = patchMs;
  expect(ok.status).toBe(204);
  expect(await expectWholeOrAbsent(calibration)).toBe("whole");

  const moments: (number | "rows-written")[] = [0.2, 0.6];
  if (testDriver() === "mariadb") moments.unshift("rows-written");
  for (const moment of moments) {
    const groupId = await newGroup(`killed at ${moment}`);
    const inFlight = scimClient(roster.url, t.scimToken).patch(`/Groups/${groupId}`, addAll()).catch((e: unknown) => e);
    let sawWrites = false;
    if (moment === "rows-written") {
      // Kill exactly while the transaction has written some of the rows and not committed.
      for (const until = Date.now() + patchMs * 3 + 2000; Date.now() < until && !sawWrites; ) {
        const n = await dirtyMembers(groupId);
        sawWrites = n > 0 && n < MEMBERS;
        if (n === MEMBERS) break;
      }
    } else {
      await sleep(Math.max(5, Math.round(patchMs * moment)));
    }
    roster.child.kill("SIGKILL");
    await roster.exited;
    figures.kills++;
    const answer = await inFlight;
    roster = await startRoster({ databaseUrl: db.url });
    const outcome = await expectWholeOrAbsent(groupId);
    figures[outcome === "whole" ? "patchWhole" : "patchAbsent"]++;
    // Killed while the rows were written and not yet committed: the membership rows, the version
    // bump, the audit event and the COMMIT travel in one packet (StatementPipeline), so the database
    // may still commit all of it after the process is gone; never part of it (expectWholeOrAbsent).
    if (sawWrites) figures.killedWithRowsWritten++;
    // A client that got a 204 before the kill must find the change there.
    if (answer && typeof answer === "object" && "status" in answer && (answer as { status: number }).status === 204) expect(outcome).toBe("whole");
  }
  expect(figures.kills).toBe(moments.length);
}, 90_000);

test("SIGKILL during a Bulk request: every completed operation is whole and audited, none is half-applied", async () => {
  roster ??= await startRoster({ databaseUrl: db.url });
  const ops = 200;
  const body = {
    schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
    Operations: Array.from({ length: ops }, (_, i) => ({
      method: "POST",
      path: "/Users",
      bulkId: `b${i}`,
      data: { schemas: [CORE_USER], userName: `bulk${i}@crash.test`, emails: [{ value: `bulk${i}@crash.test`, type: "work", primary: true }], displayName: `Bulk ${i}` },
    })),
  };
  const scim = scimClient(roster.url, t.scimToken);
  const pending = scim.post("/Bulk", body).catch((e: unknown) => e);
  // Kill once some operations are committed and others are not.
  const until = Date.now() + 20_000;
  while (Date.now() < until && (await shared.count("SELECT COUNT(*) AS n FROM users WHERE userName LIKE 'bulk%@crash.test'")) < 20) await sleep(5);
  roster.child.kill("SIGKILL");
  await roster.exited;
  figures.kills++;
  await pending;
  roster = await startRoster({ databaseUrl: db.url });

  const users: { id: string; userName: string }[] = await shared.dataSource.query("SELECT id, userName FROM users WHERE userName LIKE 'bulk%@crash.test'");
  expect(users.length).toBeGreaterThanOrEqual(20);
  expect(users.length).toBeLessThan(ops);
  // Operations run in order: what exists is exactly the first N of them.
  const indices = users.map((u) => Number(/^bulk(\d+)@/.exec(u.userName)![1])).sort((a, b) => a - b);
  expect(indices).toEqual(indices.map((_, i) => i));
  for (const u of users) {
    expect(await shared.count("SELECT COUNT(*) AS n FROM user_contacts WHERE userId = ?", [u.id])).toBe(1);
    expect(await shared.count("SELECT COUNT(*) AS n FROM audit_events WHERE resourceId = ? AND action = 'user.created'", [u.id])).toBe(1);
  }
  // No audit event for a user that is not there (a rolled-back operation left nothing behind).
  const orphanAudits = await shared.count(
    "SELECT COUNT(*) AS n FROM audit_events a WHERE a.action = 'user.created' AND a.organisationId = ? AND NOT EXISTS (SELECT 1 FROM users u WHERE u.id = a.resourceId)",
    [t.ctx.organisationId],
  );
  expect(orphanAudits).toBe(0);
  figures.bulkOpsWhole = users.length;

  // The IdP retries the whole Bulk: the operations already applied answer 409, the rest are created.
  const retry = await scimClient(roster.url, t.scimToken).post("/Bulk", body);
  expect(retry.status).toBe(200);
  const statuses = retry.body.Operations.map((o: { status: string }) => Number(o.status));
  expect(statuses.filter((s: number) => s === 409)).toHaveLength(users.length);
  expect(statuses.filter((s: number) => s === 201)).toHaveLength(ops - users.length);
  expect(await shared.count("SELECT COUNT(*) AS n FROM users WHERE userName LIKE 'bulk%@crash.test'")).toBe(ops);
}, 60_000);

test("retries are safe: a repeated POST is a 409 with the user findable; a repeated PATCH gives the same state and version", async () => {
  roster ??= await startRoster({ databaseUrl: db.url });
  const scim = scimClient(roster.url, t.scimToken);
  const user = { schemas: [CORE_USER], userName: "retry@crash.test", emails: [{ value: "retry@crash.test", type: "work" }] };
  const first = await scim.post("/Users", user);
  expect(first.status).toBe(201);
  const again = await scim.post("/Users", user);
  expectScimError(again, 409, "uniqueness");
  const found = await scim.get(`/Users?filter=${encodeURIComponent('userName eq "retry@crash.test"')}`);
  expect(found.body.totalResults).toBe(1);
  expect(found.body.Resources[0].id).toBe(first.body.id);

  // The PATCH killed above, retried until it has gone through once: then repeating it changes nothing.
  const groupId = await newGroup("retried");
  const r1 = await scim.patch(`/Groups/${groupId}`, addAll());
  expect(r1.status).toBe(204);
  const etag = r1.headers.get("etag");
  const r2 = await scim.patch(`/Groups/${groupId}`, addAll());
  expect(r2.status).toBe(204);
  // Documented: a PATCH that changes nothing does not bump the version (same ETag), so If-Match retries hold.
  expect(r2.headers.get("etag")).toBe(etag);
  expect(await membersOf(groupId)).toBe(MEMBERS);
  expect(await auditOf(groupId)).toBe(1);
  const dupes = await shared.count("SELECT COUNT(*) AS n FROM (SELECT memberId FROM group_memberships WHERE groupId = ? GROUP BY memberId HAVING COUNT(*) > 1) d", [groupId]);
  expect(dupes).toBe(0);

  // The same for a user PATCH: the second identical replace leaves the version where the first put it.
  const p = patchOp({ op: "replace", path: "displayName", value: "Retried" });
  const u1 = await scim.patch(`/Users/${first.body.id}`, p);
  const u2 = await scim.patch(`/Users/${first.body.id}`, p);
  expect(u1.status).toBe(200);
  expect(u2.body.displayName).toBe("Retried");
  expect(u2.headers.get("etag")).toBe(u1.headers.get("etag"));
}, 60_000);
