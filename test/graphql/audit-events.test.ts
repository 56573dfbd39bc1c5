import { newRequestId } from "../../src/platform/ids";
import type { RequestContext } from "../../src/platform/request-context";
import { CORE_USER, scimClient } from "../support/scim-client";
import type { TestApp, TestTenant } from "../support/test-app";
import { useTenant } from "../support/test-tenant";

// GraphQL auditEvents filtered by who made the change: an event records its actor's kind, id and
// label (actorType, actorId, actorLabel).

let app: TestApp;
let t: TestTenant;
let other: TestTenant;

useTenant((x) => ({ app, t, other } = x), { other: true });

interface Event {
  action: string;
  actorType: string;
  actorId: string | null;
  actorLabel: string;
  resourceId: string | null;
  source: string;
}
const EVENTS = `query($filter: AuditEventFilterInput, $first: Int = 50) { auditEvents(filter: $filter, first: $first) { totalCount nodes { action actorType actorId actorLabel resourceId source } } }`;

async function events(tenant: TestTenant, filter: Record<string, unknown>): Promise<{ totalCount: number; nodes: Event[] }> {
  const r = await app.gql<{ auditEvents: { totalCount: number; nodes: Event[] } }>(tenant.adminToken, EVENTS, { filter });
  expect(r.errors).toBeUndefined();
  return r.data!.auditEvents;
}

describe("auditEvents filtered by actor", () => {
  // In one organisation: users created by its SCIM token, a role by its admin token (GraphQL), a user
  // by a signed-in user (as the console's session makes them), and the system's own events (the tokens).
  let scimActor: { id: string; label: string };
  let adminActor: { id: string; label: string };
  const person = { type: "user" as const, id: "0b5c7d1e-0000-4000-8000-00000000a11c", label: "alice@actors.test" };
  let personUser: string;

  beforeAll(async () => {
    const c = scimClient(app.url, t.scimToken);
    for (const name of ["one", "two", "three"]) expect((await c.post("/Users", { schemas: [CORE_USER], userName: `${name}@actors.test` })).status).toBe(201);
    expect((await app.gql(t.adminToken, `mutation { createRole(input: { name: "auditors" }) { id } }`)).errors).toBeUndefined();
    const ctx: RequestContext = { organisationId: t.organisation.id, actor: person, source: "graphql", requestId: newRequestId() };
    personUser = (await app.services.users.create(ctx, { userName: "made-by-alice@actors.test" })).id;
    const all = await events(t, {});
    const by = (source: string) => all.nodes.find((e) => e.source === source && e.actorType === "token")!;
    scimActor = { id: by("scim").actorId!, label: by("scim").actorLabel };
    adminActor = { id: by("graphql").actorId!, label: by("graphql").actorLabel };
    expect(scimActor.id).not.toBe(adminActor.id);
    // The other organisation's own SCIM writes, which no filter of this one shows.
    expect((await scimClient(app.url, other.scimToken).post("/Users", { schemas: [CORE_USER], userName: "elsewhere@actors.test" })).status).toBe(201);
  });

  test("by id: that token's events only, newest first, counted", async () => {
    const scim = await events(t, { actor: { id: scimActor.id } });
    expect(scim.totalCount).toBe(3);
    expect(scim.nodes.map((e) => [e.action, e.actorType, e.actorId, e.actorLabel, e.source])).toEqual(Array(3).fill(["user.created", "token", scimActor.id, scimActor.label, "scim"]));
    const admin = await events(t, { actor: { id: adminActor.id } });
    expect(admin.nodes.map((e) => [e.action, e.actorId])).toEqual([["role.created", adminActor.id]]);
  });

  test("by kind, by label, and by several parts, each of which must match", async () => {
    const users = await events(t, { actor: { type: "user" } });
    expect(users.nodes.map((e) => [e.action, e.actorType, e.actorId, e.actorLabel, e.resourceId])).toEqual([["user.created", "user", person.id, person.label, personUser]]);
    expect((await events(t, { actor: { label: person.label } })).nodes.map((e) => e.resourceId)).toEqual([personUser]);
    expect((await events(t, { actor: { type: "user", id: person.id, label: person.label } })).totalCount).toBe(1);
    const system = await events(t, { actor: { type: "system" } });
    expect(system.totalCount).toBeGreaterThanOrEqual(2); // the organisation and its two tokens
    expect(new Set(system.nodes.map((e) => `${e.actorType} ${e.actorId} ${e.actorLabel}`))).toEqual(new Set(["system null system"]));
    expect((await events(t, { actor: { type: "token" } })).totalCount).toBe(4);
    expect((await events(t, { actor: { label: scimActor.label } })).totalCount).toBe(3);
    // A part that does not match leaves nothing.
    expect((await events(t, { actor: { type: "user", id: scimActor.id } })).totalCount).toBe(0);
    expect((await events(t, { actor: { id: scimActor.id, label: adminActor.label } })).totalCount).toBe(0);
    // With the other filters.
    expect((await events(t, { actor: { id: scimActor.id }, action: "role.created" })).totalCount).toBe(0);
    expect((await events(t, { actor: { type: "token" }, source: "graphql" })).nodes.map((e) => e.action)).toEqual(["role.created"]);
  });

  test("pages through one actor's events", async () => {
    const first = await app.gql<{ auditEvents: { pageInfo: { endCursor: string; hasNextPage: boolean }; nodes: { resourceId: string }[] } }>(
      t.adminToken,
      `query($id: ID) { auditEvents(first: 2, filter: { actor: { id: $id } }) { pageInfo { endCursor hasNextPage } nodes { resourceId } } }`,
      { id: scimActor.id },
    );
    expect(first.data!.auditEvents.pageInfo.hasNextPage).toBe(true);
    const rest = await app.gql<{ auditEvents: { pageInfo: { hasNextPage: boolean }; nodes: { resourceId: string }[] } }>(
      t.adminToken,
      `query($id: ID, $after: String) { auditEvents(first: 2, after: $after, filter: { actor: { id: $id } }) { pageInfo { hasNextPage } nodes { resourceId } } }`,
      { id: scimActor.id, after: first.data!.auditEvents.pageInfo.endCursor },
    );
    expect(rest.data!.auditEvents.pageInfo.hasNextPage).toBe(false);
    const all = (await events(t, { actor: { id: scimActor.id } })).nodes.map((e) => e.resourceId);
    expect([...first.data!.auditEvents.nodes, ...rest.data!.auditEvents.nodes].map((e) => e.resourceId)).toEqual(all);
  });

  test("scoped by organisation: another organisation's actor id or label finds nothing of it", async () => {
    const theirs = (await events(other, { source: "scim" })).nodes[0];
    expect(theirs).toMatchObject({ action: "user.created", actorType: "token" });
    expect((await events(t, { actor: { id: theirs.actorId } })).totalCount).toBe(0);
    expect((await events(other, { actor: { id: scimActor.id } })).totalCount).toBe(0);
    expect((await events(other, { actor: { type: "user" } })).totalCount).toBe(0);
    expect((await events(other, { actor: { id: theirs.actorId } })).nodes.map((e) => e.resourceId)).toEqual([theirs.resourceId]);
  });

  test.each([
    ["an unknown kind", { type: "robot" }, "type"],
    ["a label longer than an event keeps", { label: "x".repeat(256) }, "label"],
    ["an id longer than an id", { id: "x".repeat(37) }, "id"],
  ])("refuses %s with BAD_USER_INPUT", async (_name, actor, field) => {
    const r = await app.gql(t.adminToken, EVENTS, { filter: { actor } });
    expect(r.errors?.[0].extensions).toEqual({ code: "BAD_USER_INPUT", field: `actor.${field}` });
  });

  test("by id, the page is read through the (organisationId, actorId, occurredAt) index, newest first", async () => {
    app.queries.reset();
    await events(t, { actor: { id: scimActor.id } });
    const at = app.queries.statements.findIndex((s) => /FROM .audit_events.* ORDER BY/.test(s));
    const [sql, params] = [app.queries.statements[at], app.queries.parameters[at]];
    if (app.services.db.dialect === "mysql") {
      const [plan] = await app.dataSource.query(`EXPLAIN ${sql}`, params);
      expect(plan).toMatchObject({ key: "IDX_audit_events_actor", type: "ref" });
      expect(plan.Extra ?? "").not.toMatch(/filesort/);
    } else {
      const plan: { detail: string }[] = await app.dataSource.query(`EXPLAIN QUERY PLAN ${sql}`, params);
      // Ordered by occurredAt; only ties on it are sorted by id (a temporary B-tree for the last term, as with every time index).
      expect(plan.map((p) => p.detail)).toEqual(["SEARCH e USING INDEX IDX_audit_events_actor (organisationId=? AND actorId=?)", "USE TEMP B-TREE FOR LAST TERM OF ORDER BY"]);
    }
  });
});
