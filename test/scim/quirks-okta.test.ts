import { ProvisioningLogEntry } from "../../src/domain/provisioning-log/provisioning-log-entry.entity";
import { ENTERPRISE, expectScimError, patchOp, type ScimClient } from "../support/scim-client";
import type { TestApp, TestTenant } from "../support/test-app";
import { useScimTenant } from "../support/scim-tenant";
import { type Body, fixture } from "./scim-fixtures";

let app: TestApp;
let t: TestTenant;
let c: ScimClient;
let n = 0;

useScimTenant((tenant) => ({ app, t, scim: c } = tenant));

const oktaUser = async () => {
  const vars = { userName: `okta-${++n}@okta.test`, externalId: `00u${n}abcDEF` };
  const r = await c.post("/Users", fixture("okta", "create-user", vars));
  expect(r.status).toBe(201);
  return { ...vars, id: r.body.id as string, body: r.body };
};
const memberIds = async (groupId: string) => ((await c.get(`/Groups/${groupId}`)).body.members ?? []).map((m: Body) => m.value).sort();

describe("Okta quirks", () => {
  test("create with a random password and groups: []: both ignored, the password never stored, returned or logged", async () => {
    const u = await oktaUser();
    expect(u.body).toMatchObject({ userName: u.userName, externalId: u.externalId, active: true, name: { givenName: "Isabella", familyName: "Ramirez" }, locale: "en-US" });
    expect(u.body.password).toBeUndefined();
    expect(u.body.groups).toBeUndefined();
    const again = await c.get(`/Users/${u.id}?attributes=password`);
    expect(again.body.password).toBeUndefined();
    expect(JSON.stringify((await c.get(`/Users/${u.id}`)).body)).not.toContain("x8Kd02nZqT");
    // Not in any table: the users row, nor the provisioning log.
    const dump = JSON.stringify(await app.dataSource.query("SELECT * FROM users WHERE id = ?", [u.id]));
    expect(dump).not.toContain("x8Kd02nZqT");
    await app.services.provisioningLog.flush();
    const logs = await app.dataSource.getRepository(ProvisioningLogEntry).findBy({ organisationId: t.organisation.id, resourceId: u.id, method: "POST" });
    expect(logs).toHaveLength(1);
    expect(JSON.stringify(logs[0].requestBody)).not.toContain("x8Kd02nZqT");
    expect((logs[0].requestBody as Body).password).toBe("[redacted]");
  });

  test("deactivate with the path-less {op: replace, value: {active: false}}", async () => {
    const u = await oktaUser();
    const r = await c.patch(`/Users/${u.id}`, fixture("okta", "patch-deactivate"));
    expect(r.status).toBe(200);
    expect(r.body.active).toBe(false);
    expect((await c.get(`/Users/${u.id}`)).body.active).toBe(false);
    const q = await app.gql<Body>(t.adminToken, "query($id: ID!) { user(id: $id) { active } }", { id: u.id });
    expect(q.data.user.active).toBe(false);
  });

  test("deactivate by PUT with active: false, id/meta/groups/password sent back ignored", async () => {
    const u = await oktaUser();
    const r = await c.put(`/Users/${u.id}`, fixture("okta", "put-user-deactivate", { id: u.id, userName: u.userName, externalId: u.externalId }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: u.id, active: false, userName: u.userName, displayName: "Isabella Ramirez" });
    expect(r.body.password).toBeUndefined();
  });

  test("Import Users: lookups by userName eq, paging with startIndex/count", async () => {
    const u = await oktaUser();
    const r = await c.get(`/Users?filter=${encodeURIComponent(`userName eq "${u.userName}"`)}&startIndex=1&count=100`);
    expect(r.body.totalResults).toBe(1);
    expect(r.body.Resources[0].id).toBe(u.id);
  });

  test("Push Groups: POST with members sets the membership", async () => {
    const [a, b] = [await oktaUser(), await oktaUser()];
    const r = await c.post("/Groups", fixture("okta", "create-group", { displayName: "Okta Push", member1: a.id, member2: b.id }));
    expect(r.status).toBe(201);
    expect(await memberIds(r.body.id)).toEqual([a.id, b.id].sort());
  });

  test("PUT of a group with members sets the membership", async () => {
    const [a, b] = [await oktaUser(), await oktaUser()];
    const g = await c.post("/Groups", fixture("okta", "create-group", { displayName: "Okta Put", member1: a.id, member2: b.id }));
    const r = await c.put(`/Groups/${g.body.id}`, fixture("okta", "put-group", { id: g.body.id, displayName: "Okta Put renamed", member1: b.id }));
    expect(r.status).toBe(200);
    expect(r.body.displayName).toBe("Okta Put renamed");
    expect(await memberIds(g.body.id)).toEqual([b.id]);
  });

  test("rename with {op: replace, value: {id: <same id>, displayName}}", async () => {
    const g = await c.post("/Groups", { displayName: "Okta Old Name" });
    const r = await c.patch(`/Groups/${g.body.id}`, fixture("okta", "patch-group-rename", { id: g.body.id, displayName: "Okta New Name" }));
    expect(r.status).toBe(204);
    const back = await c.get(`/Groups/${g.body.id}`);
    expect(back.body.displayName).toBe("Okta New Name");
    expect(back.body.id).toBe(g.body.id);
    // A different id in the value is a mutability error, and nothing changes.
    const bad = await c.patch(`/Groups/${g.body.id}`, fixture("okta", "patch-group-rename", { id: "someone-else", displayName: "Hijack" }));
    expectScimError(bad, 400, "mutability");
    expect((await c.get(`/Groups/${g.body.id}`)).body.displayName).toBe("Okta New Name");
  });

  test("add members with an array adds only those; remove members[value eq …] removes one; replace [] empties", async () => {
    const [a, b, d] = [await oktaUser(), await oktaUser(), await oktaUser()];
    const g = (await c.post("/Groups", { displayName: "Okta Members", members: [{ value: d.id }] })).body.id;
    expect((await c.patch(`/Groups/${g}`, fixture("okta", "patch-group-add-members", { member1: a.id, member2: b.id }))).status).toBe(204);
    expect(await memberIds(g)).toEqual([a.id, b.id, d.id].sort());
    expect((await c.patch(`/Groups/${g}`, fixture("okta", "patch-group-remove-member", { member: a.id }))).status).toBe(204);
    expect(await memberIds(g)).toEqual([b.id, d.id].sort());
    expect((await c.patch(`/Groups/${g}`, fixture("okta", "patch-group-replace-members-empty"))).status).toBe(204);
    expect(await memberIds(g)).toEqual([]);
  });

  test("manager as {value} on the enterprise extension comes back as {value, $ref, displayName}", async () => {
    const boss = await oktaUser();
    const u = await oktaUser();
    const r = await c.patch(`/Users/${u.id}`, patchOp({ op: "replace", value: { [`${ENTERPRISE}:manager`]: { value: boss.id } } }));
    expect(r.status).toBe(200);
    expect(r.body[ENTERPRISE].manager).toEqual({ value: boss.id, $ref: `${app.url}/scim/v2/Users/${boss.id}`, displayName: "Isabella Ramirez" });
  });
});
