import { CORE_USER, ENTERPRISE, patchOp, scimClient, type ScimClient, type ScimResult } from "../support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { auditActions as auditActionsOf, notesOf as notesOfRequest } from "./provisioning-notes";
import { type Body, fixture } from "./scim-fixtures";

// Who manages an organisation's roles (`rolesManagedBy`). Okta's profile updates are PUTs of the whole
// user; a PUT replaces it (RFC 7644 §3.5.1), so with the default (`identityProvider`) roles assigned in
// the product are cleared by the next push when Okta's profile has no `roles` attribute. With
// `product`, SCIM writes leave roles as they are, and the roles an IdP sends are not applied (noted).

const NOTE = "roles left as they are: the organisation manages roles in the product";
const BULK_REQ = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

let app: TestApp;
/** Manages roles in the product. */
let p: TestTenant;
let pc: ScimClient;
/** The default: roles come from the identity provider. */
let d: TestTenant;
let dc: ScimClient;
let n = 0;

const setRolesManagedBy = async (tenant: TestTenant, value: string) => {
  const r = await app.gql<{ updateOrganisation: { rolesManagedBy: string } }>(tenant.adminToken, `mutation($v: RolesManagedBy!) { updateOrganisation(input: { rolesManagedBy: $v }) { rolesManagedBy } }`, { v: value });
  expect(r.errors).toBeUndefined();
  expect(r.data!.updateOrganisation.rolesManagedBy).toBe(value);
};

beforeAll(async () => {
  app = await startTestApp();
  [p, d] = [await app.tenant(), await app.tenant()];
  [pc, dc] = [scimClient(app.url, p.scimToken), scimClient(app.url, d.scimToken)];
  for (const tenant of [p, d]) for (const name of ["Auditor", "Support"]) await app.services.roles.create(tenant.ctx, { name });
  await setRolesManagedBy(p, "product");
});
afterAll(() => app?.close());

/** A user Okta created (its create-user payload: no roles). */
const oktaUser = async (c: ScimClient) => {
  const vars = { userName: `roles-${++n}@okta.test`, externalId: `00uRoles${n}` };
  const r = await c.post("/Users", fixture("okta", "create-user", vars));
  expect(r.status).toBe(201);
  return { ...vars, id: r.body.id as string };
};

/** Okta's PUT of a profile push: the whole user, with no `roles` unless given. */
const oktaPut = (u: { id: string; userName: string; externalId: string }, overrides: Body = {}) => ({
  schemas: [CORE_USER],
  id: u.id,
  userName: u.userName,
  name: { givenName: "Isabella", familyName: "Ramirez" },
  emails: [{ primary: true, value: u.userName, type: "work" }],
  displayName: "Isabella Ramirez",
  locale: "en-US",
  externalId: u.externalId,
  groups: [],
  password: "q9Lm33vR!",
  active: true,
  ...overrides,
});

const assignRoles = async (tenant: TestTenant, id: string, roles: string[]) => {
  const r = await app.gql<{ assignRoles: { roles: { name: string }[] } }>(tenant.adminToken, `mutation($id: ID!, $r: [String!]!) { assignRoles(userId: $id, roles: $r) { roles { name } } }`, { id, r: roles });
  expect(r.errors).toBeUndefined();
  return r.data!.assignRoles.roles.map((x) => x.name);
};
const gqlRoles = async (tenant: TestTenant, id: string) =>
  (await app.gql<{ user: { roles: { name: string }[] } }>(tenant.adminToken, `query($id: ID!) { user(id: $id) { roles { name } } }`, { id })).data!.user.roles.map((r) => r.name).sort();
const scimRoles = (body: Body) => ((body.roles ?? []) as Body[]).map((r) => r.value as string).sort();
const auditActions = (userId: string) => auditActionsOf(app, userId);

const notesOf = (r: ScimResult) => notesOfRequest(app, r);

describe("rolesManagedBy: product", () => {
  test("Okta's PUT without roles keeps the roles assigned through GraphQL; SCIM GET and GraphQL still show them", async () => {
    const u = await oktaUser(pc);
    expect(await assignRoles(p, u.id, ["Auditor", "Support"])).toEqual(["Auditor", "Support"]);
    const before = await pc.get(`/Users/${u.id}`);
    const put = await pc.put(`/Users/${u.id}`, oktaPut(u, { title: "Guide" }));
    expect(put.status).toBe(200);
    expect(put.body.title).toBe("Guide");
    expect(scimRoles(put.body)).toEqual(["Auditor", "Support"]);
    expect(scimRoles((await pc.get(`/Users/${u.id}`)).body)).toEqual(["Auditor", "Support"]);
    expect(await gqlRoles(p, u.id)).toEqual(["Auditor", "Support"]);
    // One change (the title), and nothing said about roles: none were sent.
    expect(put.body.meta.version).not.toBe(before.body.meta.version);
    expect(await notesOf(put)).not.toContain(NOTE);
    // The next push, the same profile: nothing changes.
    const again = await pc.put(`/Users/${u.id}`, oktaPut(u, { title: "Guide" }));
    expect(again.status).toBe(200);
    expect(again.body.meta.version).toBe(put.body.meta.version);
    expect(scimRoles(again.body)).toEqual(["Auditor", "Support"]);
  });

  test("a PUT with roles leaves the roles as they are, applies the rest, and the provisioning log says so", async () => {
    const u = await oktaUser(pc);
    await assignRoles(p, u.id, ["Auditor"]);
    const put = await pc.put(`/Users/${u.id}`, oktaPut(u, { title: "Lead", roles: [{ value: "Support" }] }));
    expect(put.status).toBe(200);
    expect(put.body.title).toBe("Lead");
    expect(scimRoles(put.body)).toEqual(["Auditor"]);
    expect(await gqlRoles(p, u.id)).toEqual(["Auditor"]);
    expect(await notesOf(put)).toContain(NOTE);
    // Roles that name no role of the organisation (refused with the default) are not even read.
    const unknown = await pc.put(`/Users/${u.id}`, oktaPut(u, { title: "Lead", roles: ["No such role"] }));
    expect(unknown.status).toBe(200);
    expect(unknown.body.meta.version).toBe(put.body.meta.version);
    expect(scimRoles(unknown.body)).toEqual(["Auditor"]);
    expect(await notesOf(unknown)).toContain(NOTE);
  });

  test("a PATCH that only touches roles answers 200 with the unchanged user: same version, no audit event; the rest of a PATCH applies", async () => {
    const u = await oktaUser(pc);
    await assignRoles(p, u.id, ["Auditor"]);
    const before = await pc.get(`/Users/${u.id}`);
    const events = await auditActions(u.id);
    const patches = [
      fixture("entra", "patch-roles-json", { role: "Support" }),
      patchOp({ op: "replace", path: "roles", value: [{ value: "Support" }] }),
      patchOp({ op: "remove", path: "roles" }),
      patchOp({ op: "remove", path: 'roles[value eq "Auditor"]' }),
      patchOp({ op: "replace", path: 'roles[primary eq "True"].value', value: "Support" }),
      patchOp({ op: "add", path: `${CORE_USER}:roles`, value: [{ value: "Support" }] }),
      patchOp({ op: "replace", value: { roles: [{ value: "Support" }] } }),
    ];
    for (const body of patches) {
      const r = await pc.patch(`/Users/${u.id}`, body);
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 200]);
      expect(r.body).toEqual(before.body);
      expect(r.headers.get("etag")).toBe(before.headers.get("etag"));
      expect(await notesOf(r)).toContain(NOTE);
    }
    expect(await auditActions(u.id)).toEqual(events);
    expect(await gqlRoles(p, u.id)).toEqual(["Auditor"]);

    const mixed = await pc.patch(`/Users/${u.id}`, patchOp({ op: "replace", value: { title: "Mixed", roles: [{ value: "Support" }] } }, { op: "add", path: "roles", value: [{ value: "Support" }] }));
    expect(mixed.status).toBe(200);
    expect(mixed.body.title).toBe("Mixed");
    expect(scimRoles(mixed.body)).toEqual(["Auditor"]);
    expect(await notesOf(mixed)).toContain(NOTE);
    expect(await auditActions(u.id)).toEqual([...events, "user.updated"]);
  });

  test("a POST with roles creates the user without them (as when none are sent), noted; GraphQL assigns and unassigns as before", async () => {
    const r = await pc.post("/Users", { schemas: [CORE_USER], userName: `posted-${++n}@okta.test`, roles: [{ value: "Auditor" }, "No such role"] });
    expect(r.status).toBe(201);
    expect(r.body.roles).toBeUndefined();
    expect(await notesOf(r)).toContain(NOTE);
    const plain = await pc.post("/Users", { schemas: [CORE_USER], userName: `posted-${++n}@okta.test` });
    expect(plain.body.roles).toBeUndefined();
    expect(await notesOf(plain)).not.toContain(NOTE);

    expect(await assignRoles(p, r.body.id, ["Support"])).toEqual(["Support"]);
    const un = await app.gql(p.adminToken, `mutation($id: ID!) { unassignRoles(userId: $id, roles: ["support"]) { id } }`, { id: r.body.id });
    expect(un.errors).toBeUndefined();
    expect(await gqlRoles(p, r.body.id)).toEqual([]);
  });

  test("inside /Bulk the same: POST and PUT with roles, PATCH of roles: roles left as they are, noted", async () => {
    const u = await oktaUser(pc);
    await assignRoles(p, u.id, ["Auditor"]);
    const userName = `bulk-${++n}@okta.test`;
    const r = await pc.post("/Bulk", {
      schemas: [BULK_REQ],
      Operations: [
        { method: "POST", path: "/Users", bulkId: "u1", data: { schemas: [CORE_USER], userName, roles: [{ value: "Support" }] } },
        { method: "PUT", path: `/Users/${u.id}`, data: oktaPut(u, { roles: [{ value: "Support" }] }) },
        { method: "PATCH", path: `/Users/${u.id}`, data: patchOp({ op: "add", path: "roles", value: [{ value: "Support" }] }) },
        { method: "PUT", path: `/Users/${u.id}`, data: oktaPut(u) },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.Operations.map((o: Body) => o.status)).toEqual(["201", "200", "200", "200"]);
    const created = (await pc.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).body.Resources[0];
    expect(created.roles).toBeUndefined();
    expect(await gqlRoles(p, u.id)).toEqual(["Auditor"]);
    expect(await notesOf(r)).toContain(NOTE);
  });

  test("/Schemas shows roles as readOnly to this organisation only", async () => {
    const mutability = async (c: ScimClient) => {
      const core = (await c.get(`/Schemas/${CORE_USER}`)).body;
      const roles = core.attributes.find((a: Body) => a.name === "roles");
      return [roles.mutability, ...roles.subAttributes.map((s: Body) => s.mutability)];
    };
    expect(new Set(await mutability(pc))).toEqual(new Set(["readOnly"]));
    expect(new Set(await mutability(dc))).toEqual(new Set(["readWrite"]));
    const listed = (await pc.get("/Schemas")).body.Resources.find((s: Body) => s.id === CORE_USER);
    expect(listed.attributes.find((a: Body) => a.name === "roles").mutability).toBe("readOnly");
    void ENTERPRISE;
  });
});

describe("rolesManagedBy: identityProvider (the default): as before", () => {
  test("Okta's PUT without roles clears the roles assigned through GraphQL; a PUT, PATCH or POST with roles sets them; no note", async () => {
    const u = await oktaUser(dc);
    await assignRoles(d, u.id, ["Auditor", "Support"]);
    const put = await dc.put(`/Users/${u.id}`, oktaPut(u));
    expect(put.status).toBe(200);
    expect(put.body.roles).toBeUndefined();
    expect(await gqlRoles(d, u.id)).toEqual([]);
    expect(await notesOf(put)).not.toContain(NOTE);

    const withRoles = await dc.put(`/Users/${u.id}`, oktaPut(u, { roles: [{ value: "Support" }] }));
    expect(scimRoles(withRoles.body)).toEqual(["Support"]);
    const patched = await dc.patch(`/Users/${u.id}`, fixture("entra", "patch-roles-json", { role: "Auditor" }));
    expect(scimRoles(patched.body)).toEqual(["Auditor", "Support"]);
    expect(await notesOf(patched)).not.toContain(NOTE);
    const unknown = await dc.put(`/Users/${u.id}`, oktaPut(u, { roles: ["No such role"] }));
    expect(unknown.status).toBe(400);

    const posted = await dc.post("/Users", { schemas: [CORE_USER], userName: `posted-${++n}@okta.test`, roles: [{ value: "Auditor" }] });
    expect(scimRoles(posted.body)).toEqual(["Auditor"]);
    expect(await notesOf(posted)).not.toContain(NOTE);
  });

  test("switching back to identityProvider applies at once: the next PUT without roles clears them", async () => {
    const tenant = await app.tenant();
    const c = scimClient(app.url, tenant.scimToken);
    await app.services.roles.create(tenant.ctx, { name: "Auditor" });
    await setRolesManagedBy(tenant, "product");
    const u = await oktaUser(c);
    await assignRoles(tenant, u.id, ["Auditor"]);
    expect(scimRoles((await c.put(`/Users/${u.id}`, oktaPut(u))).body)).toEqual(["Auditor"]);
    await setRolesManagedBy(tenant, "identityProvider");
    expect((await c.put(`/Users/${u.id}`, oktaPut(u))).body.roles).toBeUndefined();
    expect(await gqlRoles(tenant, u.id)).toEqual([]);
  });
});
