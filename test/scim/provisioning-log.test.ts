import type { ProvisioningLogEntry } from "../../src/domain/provisioning-log/provisioning-log-entry.entity";
import { LOG_COLUMNS, ProvisioningLogService } from "../../src/domain/provisioning-log/provisioning-log.service";
import { ENTERPRISE, patchOp, scimClient, type ScimClient } from "../support/scim-client";
import type { TestApp, TestTenant } from "../support/test-app";
import { useScimTenant } from "../support/scim-tenant";
import { type Body, fixture, operationsNotAnswering } from "./scim-fixtures";

let app: TestApp;
let t: TestTenant;
let c: ScimClient;

useScimTenant((tenant) => ({ app, t, scim: c } = tenant));

/** The entries of one tenant, oldest first; the log is written once the response is out, so wait for it. */
async function entries(tenant: TestTenant, expected: number): Promise<ProvisioningLogEntry[]> {
  for (let i = 0; i < 50; i++) {
    const page = await app.services.provisioningLog.list(tenant.ctx, {}, { first: 500 });
    if (page.totalCount >= expected) return [...page.items].reverse();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`expected ${expected} provisioning log entries`);
}

const day = 86400_000;
const now = new Date();

/** An entry of `tenant`'s log, `daysAgo` old, with a body. */
function oldEntry(tenant: TestTenant, requestId: string, daysAgo: number) {
  return {
    organisationId: tenant.ctx.organisationId,
    requestId,
    tokenId: null,
    tokenLabel: "purge test",
    method: "POST",
    path: "/scim/v2/Users",
    status: 201,
    durationMs: 1,
    resourceType: null,
    resourceId: null,
    notes: [],
    scimType: null,
    errorDetail: null,
    requestBody: { requestId },
    occurredAt: new Date(now.getTime() - daysAgo * day),
  };
}

const requestIdsOf = async (tenant: TestTenant): Promise<string[]> =>
  ((await app.dataSource.query("SELECT requestId FROM provisioning_log_entries WHERE organisationId = ? ORDER BY requestId", [tenant.ctx.organisationId])) as { requestId: string }[]).map((r) => r.requestId);

/** The statement reads the log by (organisation, time): a range of the index on MariaDB (and from the index alone, `onlyIndex`: it holds the primary key), `sqlitePlan` on SQLite. */
async function expectTimeIndex(sql: string, params: unknown[], sqlitePlan: RegExp, onlyIndex = false): Promise<void> {
  if (app.services.db.dialect === "mysql") {
    const [row]: { key: string | null; type: string; Extra: string }[] = await app.dataSource.query(`EXPLAIN ${sql}`, params);
    expect(row).toMatchObject({ key: "IDX_provisioning_log_organisation_time", type: "range" });
    if (onlyIndex) expect(row.Extra).toMatch(/Using index/);
  } else {
    const rows: { detail: string }[] = await app.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
    expect(rows.map((r) => r.detail)).toContainEqual(expect.stringMatching(sqlitePlan));
  }
}

describe("provisioning log", () => {
  test("bodies go after the retention period; after a process's first purge, each reads only the entries come of age since, by each organisation's time index", async () => {
    const tenant = await app.tenant();
    // A process of its own (a purge remembers the cutoff of the one before), with 30 days' retention for bodies.
    const log = new ProvisioningLogService(app.services.db, { bodyDays: 30, entryDays: 3650 });
    for (const [tag, daysAgo] of [["a", 40], ["b", 29], ["c", 27], ["d", 1]] as const) void log.record(oldEntry(tenant, `purge-${tag}`, daysAgo));
    await log.settled();
    const kept = async () =>
      ((await app.dataSource.query("SELECT requestId, requestBody FROM provisioning_log_entries WHERE organisationId = ? ORDER BY requestId", [tenant.ctx.organisationId])) as { requestId: string; requestBody: unknown }[])
        .filter((r) => r.requestBody !== null)
        .map((r) => r.requestId);
    // The process's first write of the log ran its first purge: everything older than 30 days.
    expect(await kept()).toEqual(["purge-b", "purge-c", "purge-d"]);
    // Two days later: only the entries between the two cutoffs, read by (organisation, time).
    app.queries.reset();
    expect(await log.purgeBodies(new Date(now.getTime() + 2 * day))).toBe(1);
    expect(await kept()).toEqual(["purge-c", "purge-d"]);
    const at = app.queries.statements.findIndex((sql) => /^UPDATE [`"]?provisioning_log_entries/.test(sql));
    await expectTimeIndex(app.queries.statements[at], app.queries.parameters[at], /USING INDEX IDX_provisioning_log_organisation_time \(organisationId=\? AND occurredAt>\? AND occurredAt<\?\)/);
    // A purge whose cutoff has not moved reads nothing.
    app.queries.reset();
    expect(await log.purgeBodies(new Date(now.getTime() + 2 * day))).toBe(0);
    expect(app.queries.statements.filter((q) => /^UPDATE/.test(q))).toEqual([]);
  });

  test("an entry the database refuses loses no other entry of its batch", async () => {
    const tenant = await app.tenant();
    const log = new ProvisioningLogService(app.services.db, { bodyDays: 30, entryDays: 3650 });
    const outcomes = ["ok-1", "refused", "ok-2", "ok-3"].map((tag) => {
      // NOT NULL on both databases: the batch's single INSERT fails as a whole.
      const entry = tag === "refused" ? { ...oldEntry(tenant, tag, 0), method: null as unknown as string } : oldEntry(tenant, tag, 0);
      return log.record(entry).then(() => "written", () => "refused");
    });
    await log.settled();
    expect(await Promise.all(outcomes)).toEqual(["written", "refused", "written", "written"]);
    expect(await requestIdsOf(tenant)).toEqual(["ok-1", "ok-2", "ok-3"]);
  });

  test("entries go after their own retention period, in every organisation; the rest stay", async () => {
    const [one, other] = [await app.tenant(), await app.tenant()];
    const log = new ProvisioningLogService(app.services.db, { bodyDays: 30, entryDays: 90 });
    for (const [tenant, tag, daysAgo] of [[one, "a", 100], [one, "b", 91], [one, "c", 89], [one, "d", 1], [other, "e", 95], [other, "f", 30]] as const) void log.record(oldEntry(tenant, `entry-${tag}`, daysAgo));
    // The process's first write ran its first purge.
    await log.settled();
    expect(await requestIdsOf(one)).toEqual(["entry-c", "entry-d"]);
    expect(await requestIdsOf(other)).toEqual(["entry-f"]);
    expect(await log.purgeEntries(new Date(now.getTime() + 2 * day))).toBe(1);
    expect(await requestIdsOf(one)).toEqual(["entry-d"]);
    // A request's entry goes; the changes it made stay in the audit trail, which has no retention.
    const created = await scimClient(app.url, one.scimToken).post("/Users", { userName: "outlives-its-entry@x.test" });
    await app.services.provisioningLog.flush();
    const [entry] = (await app.services.provisioningLog.list(one.ctx, { resourceId: created.body.id }, { first: 1 })).items;
    await log.purgeEntries(new Date(Date.now() + 91 * day));
    expect(await requestIdsOf(one)).toEqual([]);
    const events = await app.services.audit.list(one.ctx, { requestId: entry.requestId }, { first: 10 });
    expect(events.items.map((e) => [e.action, e.resourceId])).toEqual([["user.created", created.body.id]]);
  });

  test("a backlog of old entries goes a thousand at a time, found through the time index, and a stopping process stops between statements", async () => {
    const tenant = await app.tenant();
    const log = new ProvisioningLogService(app.services.db, { bodyDays: 30, entryDays: 90 });
    // Written through a log that keeps everything (its first write runs its first purge too).
    const writer = new ProvisioningLogService(app.services.db, { bodyDays: 3650, entryDays: 3650 });
    for (let i = 0; i < 2500; i++) void writer.record(oldEntry(tenant, `backlog-${i}`, 120));
    void writer.record(oldEntry(tenant, "recent", 10));
    await writer.settled();
    app.queries.reset();
    const purging = log.purgeEntries();
    void log.stop();
    expect(await purging).toBe(1000);
    expect(await requestIdsOf(tenant)).toHaveLength(1501);
    const deletes = app.queries.statements.filter((q) => /^DELETE FROM provisioning_log_entries/.test(q));
    expect(deletes).toHaveLength(1);
    const at = app.queries.statements.findIndex((q) => /^SELECT id FROM provisioning_log_entries/.test(q));
    // Even when the statistics say most of the log is old (taken now, before the purge has finished).
    if (app.services.db.dialect === "sqlite") await app.dataSource.query("ANALYZE");
    await expectTimeIndex(app.queries.statements[at], app.queries.parameters[at], /USING INDEX IDX_provisioning_log_organisation_time \(organisationId=\? AND occurredAt<\?\)/, true);
    // Another process finishes the job: 1,000 and 500, in two deletes.
    const next = new ProvisioningLogService(app.services.db, { bodyDays: 30, entryDays: 90 });
    app.queries.reset();
    expect(await next.purgeEntries()).toBe(1500);
    expect(app.queries.statements.filter((q) => /^DELETE FROM provisioning_log_entries/.test(q))).toHaveLength(2);
    expect(await requestIdsOf(tenant)).toEqual(["recent"]);
  });

  test("a process's first purge of bodies drops a backlog a thousand at a time, by primary key, reading each old entry once", async () => {
    const tenant = await app.tenant();
    const writer = new ProvisioningLogService(app.services.db, { bodyDays: 3650, entryDays: 3650 });
    for (let i = 0; i < 2500; i++) void writer.record({ ...oldEntry(tenant, `bodies-${i}`, 40 + (i % 7)), requestBody: { userName: `u${i}` } });
    void writer.record({ ...oldEntry(tenant, "bodies-recent", 10), requestBody: { userName: "recent" } });
    await writer.settled();
    app.queries.reset();
    const first = new ProvisioningLogService(app.services.db, { bodyDays: 30, entryDays: 3650 });
    expect(await first.purgeBodies()).toBeGreaterThanOrEqual(2500);
    const kept = await app.services.db.rows<{ requestId: string }>(undefined, "SELECT requestId FROM provisioning_log_entries WHERE organisationId = ? AND requestBody IS NOT NULL", [tenant.organisation.id]);
    expect(kept.map((r) => r.requestId)).toEqual(["bodies-recent"]);
    // One UPDATE of every old entry before: on MariaDB the log's writes waited for all of it.
    const updates = app.queries.statements.filter((q) => /^\s*UPDATE\W+provisioning_log_entries/i.test(q));
    expect(updates.length).toBeGreaterThanOrEqual(3);
    expect(updates.every((q) => /WHERE id IN \(/.test(q))).toBe(true);
    const reads = app.queries.statements.map((sql, i) => [sql, app.queries.parameters[i]] as const).filter(([sql, params]) => /^SELECT id, occurredAt/.test(sql) && /IDX_provisioning_log_organisation_time/.test(sql) && params[0] === tenant.organisation.id);
    // Each read starts after the last entry the one before found (a bound on occurredAt, not the organisation's whole past).
    expect(reads.length).toBeGreaterThanOrEqual(3);
    expect(reads.slice(1).every(([sql]) => /occurredAt >= \?/.test(sql))).toBe(true);
    expect(await first.purgeBodies()).toBe(0);
  });

  test("a total counts the settled entries once, then only those since, through the time index; a purge of entries recounts", async () => {
    const tenant = await app.tenant();
    const log = new ProvisioningLogService(app.services.db, { bodyDays: 3650, entryDays: 90 });
    const failed = (e: ReturnType<typeof oldEntry>) => ({ ...e, status: 409, scimType: "uniqueness" });
    for (const [tag, daysAgo] of [["a", 100], ["b", 2], ["c", 2], ["d", 0]] as const) void log.record(oldEntry(tenant, `total-${tag}`, daysAgo));
    void log.record(failed(oldEntry(tenant, "total-e", 2)));
    // (The log's first write ran its first purge: "a", 100 days old, is gone.)
    await log.settled();
    const total = async (query = {}) => {
      app.queries.reset();
      const page = await log.list(tenant.ctx, query, { first: 2 });
      return { total: page.totalCount, counts: app.queries.statements.map((sql, i) => [sql, app.queries.parameters[i]] as const).filter(([sql]) => /COUNT/i.test(sql)) };
    };
    // The first count of a list: the settled part, then the part since.
    const first = await total();
    expect(first.total).toBe(4);
    expect(first.counts.map(([sql]) => /occurredAt\W* < /.test(sql) || /occurredAt\W* >= /.test(sql))).toEqual([true, true]);
    // Later ones: only the entries since, read as a range of the (organisation, time) index.
    void log.record(oldEntry(tenant, "total-f", 0));
    await log.settled();
    const later = await total();
    expect(later.total).toBe(5);
    expect(later.counts).toHaveLength(1);
    expect(later.counts[0][0]).toMatch(/occurredAt\W* >= /);
    await expectTimeIndex(later.counts[0][0], [...later.counts[0][1]], /USING (?:COVERING )?INDEX IDX_provisioning_log_organisation_time \(organisationId=\? AND occurredAt>\?\)/);
    // Each filter has its own total.
    expect((await total({ failedOnly: true })).total).toBe(1);
    // Entries deleted by this process's purge are recounted: 89 days on, those 2 days old go (and older ones of other tests).
    expect(await log.purgeEntries(new Date(now.getTime() + 89 * day))).toBeGreaterThanOrEqual(3);
    const purged = await total();
    expect(purged.total).toBe(2);
    expect(purged.counts).toHaveLength(2);
  });

  test("a process that records nothing still purges on time: bodies and entries past their retention go", async () => {
    const tenant = await app.tenant();
    const writer = new ProvisioningLogService(app.services.db, { bodyDays: 3650, entryDays: 3650 });
    for (const [tag, daysAgo] of [["old", 120], ["body", 40], ["new", 1]] as const) void writer.record({ ...oldEntry(tenant, `idle-${tag}`, daysAgo), requestBody: { userName: "x" } });
    await writer.settled();
    // Only the purge's clock is fake (the database's timers stay real): no SCIM request reaches this process.
    jest.useFakeTimers({ doNotFake: ["Date", "hrtime", "nextTick", "performance", "queueMicrotask", "setImmediate", "clearImmediate", "setTimeout", "clearTimeout"] });
    try {
      const idle = new ProvisioningLogService(app.services.db, { bodyDays: 30, entryDays: 90 });
      jest.advanceTimersByTime(60 * 60_000);
      await idle.settled();
      await idle.stop();
    } finally {
      jest.useRealTimers();
    }
    // Before, a purge started only from a write of the log: an idle process never purged.
    expect(await requestIdsOf(tenant)).toEqual(["idle-body", "idle-new"]);
    const bodies = await app.services.db.rows<{ requestId: string; requestBody: unknown }>(undefined, "SELECT requestId, requestBody FROM provisioning_log_entries WHERE organisationId = ? ORDER BY requestId", [tenant.organisation.id]);
    expect(bodies.map((b) => [b.requestId, b.requestBody === null])).toEqual([["idle-body", true], ["idle-new", false]]);
  });

  test("every SCIM request leaves exactly one entry with method, path, status, duration, token label and resource", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    const u = await s.post("/Users", { userName: "logged@x.test" });
    await s.get(`/Users/${u.body.id}`);
    await s.get("/Users?filter=" + encodeURIComponent('userName eq "logged@x.test"'));
    await s.patch(`/Users/${u.body.id}`, patchOp({ op: "replace", path: "title", value: "T" }));
    await s.delete(`/Users/${u.body.id}`);
    await s.get("/ServiceProviderConfig");
    const log = await entries(tenant, 6);
    expect(log).toHaveLength(6);
    expect(log.map((e) => [e.method, e.status])).toEqual([["POST", 201], ["GET", 200], ["GET", 200], ["PATCH", 200], ["DELETE", 204], ["GET", 200]]);
    expect(log[0]).toMatchObject({ path: "/scim/v2/Users", resourceType: "User", resourceId: u.body.id, scimType: null, errorDetail: null, tokenLabel: expect.stringMatching(/^test scim \(rst_/) });
    expect(log[1].path).toBe(`/scim/v2/Users/${u.body.id}`);
    for (const e of log) {
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
      expect(e.durationMs).toBeLessThan(10_000);
      expect(e.tokenLabel).not.toContain(tenant.scimToken);
    }
    expect(log[3].requestBody).toEqual(patchOp({ op: "replace", path: "title", value: "T" }));
    expect(log[1].requestBody).toBeNull();
    expect(log[0].occurredAt.getTime()).toBeLessThanOrEqual(Date.now());
    // The log's INSERT is written out by hand: it must name every column of the entity.
    const columns = app.dataSource.getMetadata("ProvisioningLogEntry").columns.map((col) => col.databaseName);
    expect([...LOG_COLUMNS].sort()).toEqual(columns.sort());
  });

  test("errors are logged with status, scimType and detail", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    await s.post("/Users", { userName: "err@x.test" });
    await s.post("/Users", { userName: "ERR@x.test" });
    await s.get(`/Users?filter=${encodeURIComponent("externalId eq jyoung")}`);
    await s.get("/Users/00000000-0000-4000-8000-000000000000");
    const log = await entries(tenant, 4);
    expect(log.slice(1).map((e) => [e.status, e.scimType])).toEqual([[409, "uniqueness"], [400, "invalidFilter"], [404, null]]);
    expect(log[1].errorDetail).toMatch(/userName/);
    expect(log[2].errorDetail).toMatch(/jyoung/);
    const failed = await app.services.provisioningLog.list(tenant.ctx, { failedOnly: true }, { first: 10 });
    expect(failed.totalCount).toBe(3);
  });

  test("notes say how the request was read: op name lower-cased, string boolean coerced, Entra role JSON unwrapped", async () => {
    const u = await c.post("/Users", { userName: "notes@x.test", active: "True" });
    await c.patch(`/Users/${u.body.id}`, fixture("entra", "patch-disable"));
    await c.patch(`/Users/${u.body.id}`, fixture("entra", "patch-roles-json", { role: "Admin" }));
    await c.patch(`/Users/${u.body.id}`, patchOp({ op: "replace", path: "manager", value: [{ value: u.body.id }] }));
    const log = (await app.services.provisioningLog.list(t.ctx, { resourceId: u.body.id }, { first: 10 })).items.reverse();
    expect(log).toHaveLength(4);
    expect(log[0].notes).toContain("string boolean coerced: active");
    expect(log[1].notes).toEqual(expect.arrayContaining(["op name lower-cased", "string boolean coerced: active"]));
    expect(log[2].notes).toEqual(expect.arrayContaining(["op name lower-cased", "Entra role JSON unwrapped"]));
    expect(log[3].notes).toContain("bare manager path read as enterprise manager");
    void ENTERPRISE;
  });

  test("notes stop at 50 and one that says more were left out: a body of thousands of unknown attributes and schemas, a path-less PATCH of thousands of URN keys", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    const many = (make: (i: number) => string) => Array.from({ length: 8000 }, (_, i) => make(i));
    const unknown = Object.fromEntries(many((i) => `unknown${i}`).map((k) => [k, 1]));
    const u = await s.post("/Users", { schemas: many((i) => `urn:example:${i}`), userName: "many-notes@x.test", ...unknown });
    expect(u.status).toBe(201);
    const patched = await s.patch(`/Users/${u.body.id}`, patchOp({ op: "replace", value: Object.fromEntries(many((i) => `urn:example:${i}:a`).map((k) => [k, 1])) }));
    expect(patched.status).toBe(200);
    const log = await entries(tenant, 2);
    for (const e of log) {
      expect(e.notes).toHaveLength(51);
      expect(e.notes[50]).toBe("further notes left out");
      expect(new Set(e.notes).size).toBe(51);
    }
    expect(log[0].notes).toContain("unknown attribute ignored: unknown0");
  });

  test("bodies are redacted: no password, no secret", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    await s.post("/Users", fixture("okta", "create-user", { userName: "redact@x.test", externalId: "00uRedact" }));
    await s.patch("/Users/00000000-0000-4000-8000-000000000000", patchOp({ op: "replace", value: { password: "hunter2-secret", title: "x" } }));
    const log = await entries(tenant, 2);
    const text = JSON.stringify(log.map((e) => e.requestBody));
    expect(text).not.toContain("x8Kd02nZqT");
    expect(text).not.toContain("hunter2-secret");
    expect((log[0].requestBody as Body).password).toBe("[redacted]");
    expect((log[0].requestBody as Body).userName).toBe("redact@x.test");
    expect((log[1].requestBody as Body).Operations[0].value).toEqual({ password: "[redacted]", title: "x" });
  });

  test("a body refused before it is read (415, invalid JSON, 413) is in the log like any other answer", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    expect((await s.call("POST", "/Users", '{"userName":"x@x.test"}', { "content-type": "text/plain" })).status).toBe(415);
    expect((await s.call("POST", "/Users", "{bad", { "content-type": "application/scim+json" })).status).toBe(400);
    expect((await s.call("POST", "/Users", JSON.stringify({ userName: "big@x.test", title: "x".repeat(1_100_000) }))).status).toBe(413);
    const log = await entries(tenant, 3);
    expect(log.map((e) => [e.method, e.path, e.status, e.scimType])).toEqual([
      ["POST", "/scim/v2/Users", 415, null],
      ["POST", "/scim/v2/Users", 400, "invalidSyntax"],
      ["POST", "/scim/v2/Users", 413, null],
    ]);
    expect(log.every((e) => e.requestBody === null && e.errorDetail)).toBe(true);
  });

  test("a PATCH that names the password in its path (any case, URN-qualified, inside /Bulk) leaves no password in the log", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    const id = "00000000-0000-4000-8000-000000000000";
    await s.patch(`/Users/${id}`, patchOp(
      { op: "replace", path: "password", value: "Sup3rSecretPW1" },
      { op: "replace", path: "urn:ietf:params:scim:schemas:core:2.0:User:password", value: "Sup3rSecretPW3" },
      { op: "Replace", path: "PASSWORD", value: "Sup3rSecretPW4" },
      { op: "replace", path: "title", value: "kept" },
    ));
    await s.post("/Bulk", { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: [{ method: "PATCH", path: `/Users/${id}`, data: patchOp({ op: "replace", path: "password", value: "Sup3rSecretPW5" }) }] });
    const log = await entries(tenant, 2);
    const text = JSON.stringify(log.map((e) => e.requestBody));
    expect(text).not.toMatch(/Sup3rSecret/);
    expect((log[0].requestBody as Body).Operations.map((o: Body) => o.value)).toEqual(["[redacted]", "[redacted]", "[redacted]", "kept"]);
  });

  test("a password named by its URN-qualified name (a key of a body or of a path-less PATCH value), or by a path with spaces around it, leaves no password in the log", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    const password = "urn:ietf:params:scim:schemas:core:2.0:User:password";
    const created = await s.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "urn-password@x.test", [password]: "Sup3rSecretPW1" });
    expect(created.status).toBe(201);
    const user = created.body as { id: string };
    expect((await s.patch(`/Users/${user.id}`, patchOp({ op: "replace", value: { [password]: "Sup3rSecretPW2", title: "kept" } }))).status).toBe(200);
    expect((await s.patch(`/Users/${user.id}`, patchOp({ op: "replace", path: "password ", value: "Sup3rSecretPW3" }))).status).toBe(200);
    const log = await entries(tenant, 3);
    expect(JSON.stringify(log.map((e) => e.requestBody))).not.toMatch(/Sup3rSecret/);
    expect((log[0].requestBody as Body)[password]).toBe("[redacted]");
    expect((log[1].requestBody as Body).Operations[0].value).toEqual({ [password]: "[redacted]", title: "kept" });
    expect((log[2].requestBody as Body).Operations[0].value).toBe("[redacted]");
  });

  test("a PATCH operation whose member names are in another case (\"Path\": \"password\", as the engine accepts) leaves no password in the log", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    const created = await s.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "path-case@x.test" });
    const id = (created.body as { id: string }).id;
    const ops = [{ Op: "replace", Path: "password", Value: "Sup3rSecretPW1" }, { op: "replace", PATH: "Password", VALUE: "Sup3rSecretPW2" }, { op: "replace", Path: "title", Value: "kept" }];
    expect((await s.patch(`/Users/${id}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: ops })).status).toBe(200);
    const log = await entries(tenant, 2);
    expect(JSON.stringify(log.map((e) => e.requestBody))).not.toMatch(/Sup3rSecret/);
    expect((log[1].requestBody as Body).Operations).toEqual([
      { Op: "replace", Path: "password", Value: "[redacted]" },
      { op: "replace", PATH: "Password", VALUE: "[redacted]" },
      { op: "replace", Path: "title", Value: "kept" },
    ]);
  });

  test("the log can be filtered by status, method and token; other organisations' requests are not in it", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    await s.get("/Users");
    await s.post("/Users", { userName: "" });
    await entries(tenant, 2);
    expect((await app.services.provisioningLog.list(tenant.ctx, { status: 400 }, { first: 10 })).totalCount).toBe(1);
    expect((await app.services.provisioningLog.list(tenant.ctx, { method: "get" }, { first: 10 })).totalCount).toBe(1);
    const mine = await app.services.provisioningLog.list(tenant.ctx, {}, { first: 10 });
    expect(mine.items.every((e) => e.organisationId === tenant.organisation.id)).toBe(true);
    expect(mine.totalCount).toBe(2);
    const tokenId = mine.items[0].tokenId!;
    expect((await app.services.provisioningLog.list(tenant.ctx, { tokenId }, { first: 10 })).totalCount).toBe(2);
  });

  test("unauthenticated requests are not attributed to any organisation", async () => {
    const tenant = await app.tenant();
    await scimClient(app.url, "bogus").get("/Users");
    await scimClient(app.url, tenant.scimToken).get("/Groups");
    const log = await entries(tenant, 1);
    expect(log.map((e) => e.path)).toEqual(["/scim/v2/Groups"]);
  });

  test("through GraphQL provisioningLog: entries with notes, errors and the audit events each request caused", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    const u = await s.post("/Users", { userName: "gql-log@x.test" });
    await s.patch(`/Users/${u.body.id}`, fixture("okta", "patch-deactivate"));
    await s.post("/Users", { userName: "GQL-LOG@x.test" });
    await entries(tenant, 3);
    const q = `query($filter: ProvisioningLogFilterInput) { provisioningLog(filter: $filter, first: 10) { totalCount nodes { method path status notes scimType errorDetail tokenLabel requestBody resourceId auditEvents { action source resourceId } } } }`;
    const all = await app.gql<Body>(tenant.adminToken, q, {});
    expect(all.errors).toBeUndefined();
    const nodes = [...all.data.provisioningLog.nodes].reverse();
    expect(nodes.map((e: Body) => [e.method, e.status])).toEqual([["POST", 201], ["PATCH", 200], ["POST", 409]]);
    expect(nodes[0].auditEvents).toEqual([{ action: "user.created", source: "scim", resourceId: u.body.id }]);
    expect(nodes[1].auditEvents.map((e: Body) => [e.action, e.source])).toEqual([["user.deactivated", "scim"]]);
    expect(nodes[2]).toMatchObject({ scimType: "uniqueness", auditEvents: [] });
    // The entries' audit events in one statement (not one per entry); the total counted only when asked.
    app.queries.reset();
    expect((await app.gql<Body>(tenant.adminToken, q, {})).data).toEqual(all.data);
    expect(app.queries.statements.filter((sql) => /audit_events/.test(sql))).toHaveLength(1);
    expect(app.queries.statements.filter((sql) => /COUNT\(/i.test(sql))).toHaveLength(1);
    app.queries.reset();
    const withoutTotal = await app.gql<Body>(tenant.adminToken, q.replace("totalCount ", ""), {});
    expect(withoutTotal.data.provisioningLog.nodes).toEqual(all.data.provisioningLog.nodes);
    expect(app.queries.statements.filter((sql) => /COUNT\(/i.test(sql))).toEqual([]);
    // A page that does not show the bodies does not read them (the console's list; a /Bulk body is megabytes).
    const pageOf = (sql: string) => /FROM [`"]?provisioning_log_entries/.test(sql) && !/COUNT\(/i.test(sql);
    expect(app.queries.statements.filter(pageOf).every((sql) => /requestBody/.test(sql))).toBe(true);
    app.queries.reset();
    const light = await app.gql<Body>(tenant.adminToken, q.replace("requestBody ", ""), {});
    expect(light.data.provisioningLog.nodes).toEqual(all.data.provisioningLog.nodes.map(({ requestBody: _, ...rest }: Body) => rest));
    const lightPages = app.queries.statements.filter(pageOf);
    expect(lightPages).toHaveLength(1);
    expect(lightPages[0]).not.toMatch(/requestBody/);
    const failed = await app.gql<Body>(tenant.adminToken, q, { filter: { failedOnly: true } });
    expect(failed.data.provisioningLog.totalCount).toBe(1);
    // A filter sent as null filters nothing (it matched no entry: status = NULL).
    expect((await app.gql<Body>(tenant.adminToken, q, { filter: { status: null, method: null, tokenId: null } })).data.provisioningLog.totalCount).toBe(3);
    // Another organisation's admin does not see these entries.
    const otherAdmin = await app.gql<Body>(t.adminToken, q, { filter: { resourceId: u.body.id } });
    expect(otherAdmin.data.provisioningLog.totalCount).toBe(0);
  });

  test("a resource's history finds every /Bulk that touched it, whichever of its operations did; pages run across both; a purge takes the Bulk's resources with it", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    const bulk = (...Operations: Body[]) => s.post("/Bulk", { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations });
    const target = (await s.post("/Users", { userName: "bulk-target@x.test" })).body.id;
    const title = (value: string) => patchOp({ op: "replace", path: "title", value });
    const many = await bulk(
      { method: "POST", path: "/Users", bulkId: "a", data: { userName: "bulk-a@x.test" } },
      { method: "POST", path: "/Users", bulkId: "b", data: { userName: "bulk-b@x.test" } },
      { method: "PATCH", path: `/Users/${target}`, data: title("from the third operation") },
      { method: "POST", path: "/Users", bulkId: "c", data: { userName: "bulk-c@x.test" } },
      { method: "PATCH", path: "/Users/bulkId:a", data: title("a again") },
      { method: "PATCH", path: `/Users/${crypto.randomUUID()}`, data: title("nobody") },
    );
    expect(many.body.Operations.map((o: Body) => o.status)).toEqual(["201", "201", "200", "201", "200", "404"]);
    const c = (await s.get(`/Users?filter=${encodeURIComponent('userName eq "bulk-c@x.test"')}`)).body.Resources[0].id;
    await bulk({ method: "PATCH", path: `/Users/${target}`, data: title("a Bulk of one") });
    await s.patch(`/Users/${target}`, title("alone"));
    await bulk({ method: "POST", path: "/Users", bulkId: "d", data: { userName: "bulk-d@x.test" } }, { method: "POST", path: "/Users", bulkId: "e", data: { userName: "bulk-e@x.test" } });
    await entries(tenant, 6);
    const q = `query($filter: ProvisioningLogFilterInput, $after: String) { provisioningLog(filter: $filter, first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor } nodes { method path resourceId auditEvents { action resourceId } } } }`;
    const history = async (resourceId: string) => {
      const seen: Body[] = [];
      let after: string | null = null;
      for (;;) {
        const r: Body = await app.gql<Body>(tenant.adminToken, q, { filter: { resourceId }, after });
        expect(r.errors).toBeUndefined();
        seen.push(...r.data.provisioningLog.nodes.map((n: Body) => ({ ...n, totalCount: r.data.provisioningLog.totalCount })));
        if (!r.data.provisioningLog.pageInfo.hasNextPage) return seen;
        after = r.data.provisioningLog.pageInfo.endCursor;
      }
    };
    // Newest first, one a page: the PATCH, the Bulk of one (its entry names its resource), the Bulk of
    // six operations (it touched five resources: its entry names none), the POST.
    const ofTarget = await history(target);
    expect(ofTarget.map((n) => [n.method, n.path, n.resourceId, n.totalCount])).toEqual([
      ["PATCH", `/scim/v2/Users/${target}`, target, 4],
      ["POST", "/scim/v2/Bulk", target, 4],
      ["POST", "/scim/v2/Bulk", null, 4],
      ["POST", "/scim/v2/Users", target, 4],
    ]);
    expect(ofTarget[2].auditEvents.filter((e: Body) => e.resourceId === target)).toEqual([{ action: "user.updated", resourceId: target }]);
    // The user created by the Bulk's fourth operation: that Bulk is its history.
    expect((await history(c)).map((n) => [n.method, n.path, n.resourceId])).toEqual([["POST", "/scim/v2/Bulk", null]]);
    const [manyEntry] = (await app.services.provisioningLog.list(tenant.ctx, { resourceId: c }, { first: 1 })).items;
    const resourcesOf = async (entryId: string) => ((await app.dataSource.query("SELECT resourceId FROM provisioning_log_resources WHERE entryId = ?", [entryId])) as { resourceId: string }[]).length;
    expect(await resourcesOf(manyEntry.id)).toBe(5);
    // Other filters apply to the Bulks as to the rest.
    expect((await app.gql<Body>(tenant.adminToken, q, { filter: { resourceId: target, method: "PATCH" } })).data.provisioningLog.totalCount).toBe(1);
    // Another organisation's admin finds none of it.
    expect((await app.gql<Body>(t.adminToken, q, { filter: { resourceId: c } })).data.provisioningLog.totalCount).toBe(0);
    // The purge of old entries deletes a Bulk's resources with its entry.
    await new ProvisioningLogService(app.services.db, { bodyDays: 30, entryDays: 90 }).purgeEntries(new Date(Date.now() + 91 * day));
    expect(await requestIdsOf(tenant)).toEqual([]);
    expect(await resourcesOf(manyEntry.id)).toBe(0);
  });

  test("a /Bulk of 1,000 operations (maxOperations) writes its entry and the 1,000 resources it touched in one more INSERT; its history is read by index", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    const Operations = Array.from({ length: 1000 }, (_, i) => ({ method: "POST", path: "/Users", bulkId: `u${i}`, data: { userName: `bulk-${i}@x.test` } }));
    app.queries.reset();
    const r = await s.post("/Bulk", { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations });
    expect(operationsNotAnswering(r.body.Operations, "201")).toEqual({ count: 0 });
    await app.services.provisioningLog.flush();
    const logWrites = app.queries.statements.filter((sql) => /^(INSERT INTO|DELETE FROM|UPDATE) [`"]?provisioning_log/.test(sql)).map((sql) => /^\w+ \w+ [`"]?(\w+)/.exec(sql)![1]);
    expect(logWrites).toEqual(["provisioning_log_entries", "provisioning_log_resources"]);
    const last = r.body.Operations[999].location.split("/").pop();
    app.queries.reset();
    const history = await app.services.provisioningLog.list(tenant.ctx, { resourceId: last }, { first: 10 });
    expect(history.items.map((e) => [e.path, e.resourceId])).toEqual([["/scim/v2/Bulk", null]]);
    const lookup = app.queries.statements.findIndex((sql) => /FROM [`"]?provisioning_log_resources/.test(sql));
    if (app.services.db.dialect === "mysql") {
      const [plan]: { key: string | null; Extra: string }[] = await app.dataSource.query(`EXPLAIN ${app.queries.statements[lookup]}`, app.queries.parameters[lookup]);
      expect(plan).toMatchObject({ key: "IDX_provisioning_log_resources_resource", Extra: expect.stringMatching(/Using index/) });
    } else {
      const plan: { detail: string }[] = await app.dataSource.query(`EXPLAIN QUERY PLAN ${app.queries.statements[lookup]}`, app.queries.parameters[lookup]);
      expect(plan.map((p) => p.detail)).toContainEqual(expect.stringMatching(/USING COVERING INDEX IDX_provisioning_log_resources_resource/));
    }
    // Nothing here is timed, but the Bulk alone took up to 19.5 s of jest's 30 s in this file on MariaDB
    // with the load average at 8-10 (2 cores): its own bound, so a slow machine is not a red run.
  }, 90_000);

  test("through GraphQL provisioningLogEntry: one entry by id, with its body and changes; another organisation's id is null", async () => {
    const tenant = await app.tenant();
    const u = await scimClient(app.url, tenant.scimToken).post("/Users", { userName: "one-entry@x.test", password: "hunter2" });
    const [entry] = await entries(tenant, 1);
    const q = `query($id: ID!) { provisioningLogEntry(id: $id) { id method status requestBody auditEvents { action resourceId changes } } }`;
    const one = await app.gql<Body>(tenant.adminToken, q, { id: entry.id });
    expect(one.errors).toBeUndefined();
    expect(one.data.provisioningLogEntry).toMatchObject({ id: entry.id, method: "POST", status: 201, requestBody: { userName: "one-entry@x.test", password: "[redacted]" } });
    expect(one.data.provisioningLogEntry.auditEvents).toEqual([{ action: "user.created", resourceId: u.body.id, changes: expect.objectContaining({ userName: expect.anything() }) }]);
    expect((await app.gql<Body>(t.adminToken, q, { id: entry.id })).data).toEqual({ provisioningLogEntry: null });
    expect((await app.gql<Body>(tenant.adminToken, q, { id: crypto.randomUUID() })).data).toEqual({ provisioningLogEntry: null });
  });
});
