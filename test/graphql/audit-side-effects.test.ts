import { CORE_GROUP, CORE_USER, ENTERPRISE, type ScimClient } from "../support/scim-client";
import type { TestApp, TestTenant } from "../support/test-app";
import { useScimTenant } from "../support/scim-tenant";

// A deletion changes the resources that referred to what it deleted (reports, groups, holders of a
// role or a custom field): each of them gets an audit event of its own, in the same request, with
// the before/after of what changed in it, as its version moves.

let app: TestApp;
let t: TestTenant;
let c: ScimClient;

useScimTenant((tenant) => ({ app, t, scim: c } = tenant));

type Event = { action: string; resourceType: string; resourceId: string; changes: Record<string, { before: unknown; after: unknown }>; source: string; requestId: string };

async function history(resourceId: string): Promise<Event[]> {
  const r = await app.gql<{ auditEvents: { nodes: Event[] } }>(
    t.adminToken,
    `query($id: ID) { auditEvents(filter: { resourceId: $id }) { nodes { action resourceType resourceId changes source requestId } } }`,
    { id: resourceId },
  );
  expect(r.errors).toBeUndefined();
  return r.data!.auditEvents.nodes;
}

async function version(path: string): Promise<string> {
  const r = await c.get(path);
  expect(r.status).toBe(200);
  return r.body.meta.version;
}

describe("audit trail: the effects of a deletion on other resources", () => {
  test("a user deleted while managing others and in groups: each report and each group gets an event", async () => {
    const manager = (await c.post("/Users", { schemas: [CORE_USER], userName: "boss@side.test" })).body.id;
    const report = (await c.post("/Users", { schemas: [CORE_USER, ENTERPRISE], userName: "report@side.test", [ENTERPRISE]: { manager: { value: manager } } })).body.id;
    const bystander = (await c.post("/Users", { schemas: [CORE_USER], userName: "bystander@side.test" })).body.id;
    const group = (await c.post("/Groups", { schemas: [CORE_GROUP], displayName: "side-team", members: [{ value: manager }, { value: bystander }] })).body.id;
    const del = await c.delete(`/Users/${manager}`);
    expect(del.status).toBe(204);
    const requestId = del.headers.get("x-request-id");

    expect(await version(`/Users/${report}`)).toBe('W/"2"');
    const [reportEvent] = await history(report);
    expect(reportEvent).toMatchObject({ action: "user.updated", resourceType: "User", source: "scim", requestId, changes: { managerId: { before: manager, after: null } } });
    expect(await history(bystander)).toHaveLength(1);

    expect(await version(`/Groups/${group}`)).toBe('W/"2"');
    const [groupEvent] = await history(group);
    expect(groupEvent).toMatchObject({ action: "group.members.removed", resourceType: "Group", source: "scim", requestId, changes: { "members.removed": { before: [manager], after: null } } });
  });

  test("a group deleted while a member of another: the other group gets an event", async () => {
    const child = (await c.post("/Groups", { schemas: [CORE_GROUP], displayName: "side-child" })).body.id;
    const parent = (await c.post("/Groups", { schemas: [CORE_GROUP], displayName: "side-parent", members: [{ value: child, type: "Group" }] })).body.id;
    const del = await c.delete(`/Groups/${child}`);
    expect(del.status).toBe(204);
    expect(await version(`/Groups/${parent}`)).toBe('W/"2"');
    const [event] = await history(parent);
    expect(event).toMatchObject({ action: "group.members.removed", requestId: del.headers.get("x-request-id"), changes: { "members.removed": { before: [child], after: null } } });
  });

  test("a role deleted while held: each holder gets an event with its roles before and after", async () => {
    for (const name of ["side-doomed", "side-kept"]) expect((await app.gql(t.adminToken, `mutation($n: String!) { createRole(input: { name: $n }) { id } }`, { n: name })).errors).toBeUndefined();
    const holder = (await c.post("/Users", { schemas: [CORE_USER], userName: "holder@side.test", roles: [{ value: "side-kept" }, { value: "side-doomed" }] })).body.id;
    const roles = await app.gql<{ roles: { id: string; name: string }[] }>(t.adminToken, `{ roles { id name } }`);
    const doomed = roles.data!.roles.find((r) => r.name === "side-doomed")!.id;
    const del = await app.gql(t.adminToken, `mutation($id: ID!) { deleteRole(id: $id) }`, { id: doomed });
    expect(del.errors).toBeUndefined();
    expect(await version(`/Users/${holder}`)).toBe('W/"2"');
    const [event] = await history(holder);
    expect(event).toMatchObject({ action: "user.updated", resourceType: "User", source: "graphql", changes: { roles: { before: ["side-doomed", "side-kept"], after: ["side-kept"] } } });
    const [deleted] = await history(doomed);
    expect(event.requestId).toBe(deleted.requestId);
  });

  test("a custom field deleted while held: each holder gets an event with the value it lost", async () => {
    const def = await app.gql(t.adminToken, `mutation { defineCustomField(input: { key: "sideSkills", type: "string", multiValued: true }) { id } }`);
    expect(def.errors).toBeUndefined();
    const holder = (await app.gql<{ createUser: { id: string } }>(t.adminToken, `mutation { createUser(input: { userName: "skilled@side.test", customFields: { sideSkills: ["go", "sql"] } }) { id } }`)).data!.createUser.id;
    const other = (await app.gql<{ createUser: { id: string } }>(t.adminToken, `mutation { createUser(input: { userName: "unskilled@side.test" }) { id } }`)).data!.createUser.id;
    const del = await app.gql(t.adminToken, `mutation { deleteCustomField(key: "sideSkills") }`);
    expect(del.errors).toBeUndefined();
    expect(await version(`/Users/${holder}`)).toBe('W/"2"');
    const [event] = await history(holder);
    expect(event).toMatchObject({ action: "user.updated", source: "graphql", changes: { "customFields.sideSkills": { before: ["go", "sql"], after: null } } });
    expect(await history(other)).toHaveLength(1);
  });
});

test("deleting a custom field whose holders hold 17 MB of values: one event per holder, in statements that fit the server's max_allowed_packet (16 MiB on MariaDB)", async () => {
  const tenant = await app.tenant();
  await app.services.customFields.define(tenant.ctx, { key: "notes", label: "Notes", type: "string", multiValued: true });
  const values = (i: number) => Array.from({ length: 100 }, (_, k) => `${i}-${k}-${"n".repeat(2000)}`);
  const holders: string[] = [];
  for (let i = 0; i < 85; i += 5)
    holders.push(...(await Promise.all(Array.from({ length: 5 }, (_, k) => app.services.users.create(tenant.ctx, { userName: `big-${i + k}@x.test`, customFields: { notes: values(i + k) } })))).map((u) => u.id));
  const r = await app.gql(tenant.adminToken, `mutation { deleteCustomField(key: "notes") }`);
  expect(r.errors).toBeUndefined();
  expect((await app.services.customFields.list(tenant.ctx)).map((d) => d.key)).not.toContain("notes");
  const events = await app.services.audit.list(tenant.ctx, { action: "user.updated" }, { first: 100 }, { count: true });
  expect(events.totalCount).toBe(85);
  const one = events.items.find((e) => e.resourceId === holders[3])!;
  expect((one.changes?.["customFields.notes"]?.before as string[])[99]).toBe(values(3)[99]);
});
