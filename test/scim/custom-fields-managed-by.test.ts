import { CORE_USER, patchOp, scimClient, type ScimClient, type ScimResult } from "../support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { auditActions as auditActionsOf, notesOf as notesOfRequest } from "./provisioning-notes";
import { type Body, fixture } from "./scim-fixtures";

// Who manages a custom field's values (its definition's `managedBy`). Okta's profile updates are PUTs
// of the whole user; a PUT replaces it (RFC 7644 §3.5.1), so with the default (`identityProvider`) a
// value set in the product is cleared by the next push when Okta's profile does not carry the field.
// With `product`, SCIM writes leave that field as it is, and the values an IdP sends are not applied
// (noted). The seeded `department` stays with the identity provider in the same requests.

const note = (key: string) => `custom field ${key} left as it is: the field is managed in the product`;
const BULK_REQ = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

let app: TestApp;
let EXT: string;
/** Has `badge` and `skills` managed in the product. */
let p: TestTenant;
let pc: ScimClient;
/** The default: `badge` managed by the identity provider. */
let d: TestTenant;
let dc: ScimClient;
let n = 0;

const define = async (tenant: TestTenant, input: Body) => {
  const r = await app.gql<{ defineCustomField: { key: string; managedBy: string } }>(tenant.adminToken, `mutation($i: DefineCustomFieldInput!) { defineCustomField(input: $i) { key managedBy } }`, { i: input });
  expect(r.errors).toBeUndefined();
  return r.data!.defineCustomField;
};

beforeAll(async () => {
  app = await startTestApp();
  EXT = app.config.scim.extensionUrn;
  [p, d] = [await app.tenant(), await app.tenant()];
  [pc, dc] = [scimClient(app.url, p.scimToken), scimClient(app.url, d.scimToken)];
  expect(await define(p, { key: "badge", managedBy: "product" })).toEqual({ key: "badge", managedBy: "product" });
  expect(await define(p, { key: "skills", multiValued: true, managedBy: "product" })).toEqual({ key: "skills", managedBy: "product" });
  expect(await define(d, { key: "badge" })).toEqual({ key: "badge", managedBy: "identityProvider" });
});
afterAll(() => app?.close());

/** A user Okta created (its create-user payload: no custom fields). */
const oktaUser = async (c: ScimClient) => {
  const vars = { userName: `fields-${++n}@okta.test`, externalId: `00uFields${n}` };
  const r = await c.post("/Users", fixture("okta", "create-user", vars));
  expect(r.status).toBe(201);
  return { ...vars, id: r.body.id as string };
};

/** Okta's PUT of a profile push: the whole user, with `department` in the product extension and nothing else of it unless given. */
const oktaPut = (u: { id: string; userName: string; externalId: string }, ext: Body = { department: "Sales" }) => ({
  schemas: [CORE_USER, EXT],
  id: u.id,
  userName: u.userName,
  name: { givenName: "Isabella", familyName: "Ramirez" },
  emails: [{ primary: true, value: u.userName, type: "work" }],
  displayName: "Isabella Ramirez",
  externalId: u.externalId,
  groups: [],
  password: "q9Lm33vR!",
  active: true,
  [EXT]: ext,
});

const setValues = async (tenant: TestTenant, id: string, values: Body) => {
  const r = await app.gql(tenant.adminToken, `mutation($id: ID!, $v: JSONObject!) { setCustomFieldValues(userId: $id, values: $v) { id } }`, { id, v: values });
  expect(r.errors).toBeUndefined();
};
const gqlValues = async (tenant: TestTenant, id: string) => (await app.gql<{ user: { customFields: Body } }>(tenant.adminToken, `query($id: ID!) { user(id: $id) { customFields } }`, { id })).data!.user.customFields;
const auditActions = (userId: string) => auditActionsOf(app, userId);

const notesOf = (r: ScimResult) => notesOfRequest(app, r);

describe("managedBy: product", () => {
  test("Okta's PUT without the field keeps the value set through GraphQL; the identity provider's field in the same PUT applies", async () => {
    const u = await oktaUser(pc);
    await setValues(p, u.id, { badge: "B-17", skills: ["go", "sql"], area: "North" });
    const put = await pc.put(`/Users/${u.id}`, oktaPut(u));
    expect(put.status).toBe(200);
    // department sent: set; area not sent: cleared, as before; badge and skills: kept.
    expect(put.body[EXT]).toEqual({ badge: "B-17", department: "Sales", skills: ["go", "sql"] });
    expect((await pc.get(`/Users/${u.id}`)).body[EXT]).toEqual({ badge: "B-17", department: "Sales", skills: ["go", "sql"] });
    expect(await gqlValues(p, u.id)).toEqual({ badge: "B-17", department: "Sales", skills: ["go", "sql"] });
    // Nothing said about the fields: none were sent.
    const notes = await notesOf(put);
    expect(notes).not.toContain(note("badge"));
    expect(notes).not.toContain(note("skills"));
    // The next push, the same profile: nothing changes.
    const again = await pc.put(`/Users/${u.id}`, oktaPut(u));
    expect(again.body.meta.version).toBe(put.body.meta.version);
  });

  test("a PUT with the field leaves its value as it is, applies the rest, and the provisioning log names the field", async () => {
    const u = await oktaUser(pc);
    await setValues(p, u.id, { badge: "B-1" });
    const put = await pc.put(`/Users/${u.id}`, oktaPut(u, { department: "Ops", badge: "B-2", skills: null }));
    expect(put.status).toBe(200);
    expect(put.body[EXT]).toEqual({ badge: "B-1", department: "Ops" });
    expect(await gqlValues(p, u.id)).toEqual({ badge: "B-1", department: "Ops" });
    const notes = await notesOf(put);
    expect(notes).toContain(note("badge"));
    expect(notes).toContain(note("skills"));
    // In any letter case.
    const cased = await pc.put(`/Users/${u.id}`, oktaPut(u, { department: "Ops", BADGE: "B-3" }));
    expect(cased.status).toBe(200);
    expect(cased.body.meta.version).toBe(put.body.meta.version);
    expect(await notesOf(cased)).toContain(note("badge"));
  });

  test("a PATCH that only touches the field answers 200 with the unchanged user: same version, no audit event; the rest of a PATCH applies", async () => {
    const u = await oktaUser(pc);
    await setValues(p, u.id, { badge: "B-1", skills: ["go"] });
    const before = await pc.get(`/Users/${u.id}`);
    const events = await auditActions(u.id);
    const patches: [Body, string][] = [
      [patchOp({ op: "replace", path: `${EXT}:badge`, value: "B-9" }), "badge"],
      [patchOp({ op: "remove", path: `${EXT}:badge` }), "badge"],
      [patchOp({ op: "add", path: `${EXT}:skills`, value: ["rust"] }), "skills"],
      [patchOp({ op: "remove", path: `${EXT}:skills[value eq "go"]` }), "skills"],
      [patchOp({ op: "replace", value: { [`${EXT}:badge`]: "B-9" } }), "badge"],
      [patchOp({ op: "replace", value: { [EXT]: { badge: "B-9" } } }), "badge"],
      [patchOp({ op: "replace", path: EXT, value: { Badge: "B-9" } }), "badge"],
    ];
    for (const [body, key] of patches) {
      const r = await pc.patch(`/Users/${u.id}`, body);
      expect([JSON.stringify(body), r.status]).toEqual([JSON.stringify(body), 200]);
      expect(r.body).toEqual(before.body);
      expect(r.headers.get("etag")).toBe(before.headers.get("etag"));
      expect(await notesOf(r)).toContain(note(key));
    }
    expect(await auditActions(u.id)).toEqual(events);

    const mixed = await pc.patch(`/Users/${u.id}`, patchOp({ op: "replace", value: { [EXT]: { badge: "B-9", department: "Legal" }, title: "Mixed" } }));
    expect(mixed.status).toBe(200);
    expect(mixed.body.title).toBe("Mixed");
    expect(mixed.body[EXT]).toEqual({ badge: "B-1", department: "Legal", skills: ["go"] });
    expect(await notesOf(mixed)).toContain(note("badge"));
    expect(await auditActions(u.id)).toEqual([...events, "user.updated"]);

    // A remove of the whole extension clears the identity provider's fields only.
    const removed = await pc.patch(`/Users/${u.id}`, patchOp({ op: "remove", path: EXT }));
    expect(removed.status).toBe(200);
    expect(removed.body[EXT]).toEqual({ badge: "B-1", skills: ["go"] });
    expect(await notesOf(removed)).toEqual(expect.arrayContaining([note("badge"), note("skills")]));
    expect(await gqlValues(p, u.id)).toEqual({ badge: "B-1", skills: ["go"] });
  });

  test("a POST with the field creates the user without it (as when it is not sent), noted; the identity provider's field applies", async () => {
    const r = await pc.post("/Users", { schemas: [CORE_USER, EXT], userName: `posted-${++n}@okta.test`, [EXT]: { badge: "B-5", department: "Sales" } });
    expect(r.status).toBe(201);
    expect(r.body[EXT]).toEqual({ department: "Sales" });
    expect(await notesOf(r)).toContain(note("badge"));
    const plain = await pc.post("/Users", { schemas: [CORE_USER], userName: `posted-${++n}@okta.test` });
    expect(await notesOf(plain)).not.toContain(note("badge"));
    await setValues(p, r.body.id, { badge: "B-6" });
    expect(await gqlValues(p, r.body.id)).toEqual({ badge: "B-6", department: "Sales" });
  });

  test("inside /Bulk the same: POST and PUT with the field, PATCH of it, PUT without it: left as it is, noted", async () => {
    const u = await oktaUser(pc);
    await setValues(p, u.id, { badge: "B-1" });
    const userName = `bulk-${++n}@okta.test`;
    const r = await pc.post("/Bulk", {
      schemas: [BULK_REQ],
      Operations: [
        { method: "POST", path: "/Users", bulkId: "u1", data: { schemas: [CORE_USER, EXT], userName, [EXT]: { badge: "B-7" } } },
        { method: "PUT", path: `/Users/${u.id}`, data: oktaPut(u, { badge: "B-8" }) },
        { method: "PATCH", path: `/Users/${u.id}`, data: patchOp({ op: "add", path: `${EXT}:badge`, value: "B-9" }) },
        { method: "PUT", path: `/Users/${u.id}`, data: oktaPut(u, { department: "Bulk" }) },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.body.Operations.map((o: Body) => o.status)).toEqual(["201", "200", "200", "200"]);
    const created = (await pc.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).body.Resources[0];
    expect(created[EXT]).toBeUndefined();
    expect(await gqlValues(p, u.id)).toEqual({ badge: "B-1", department: "Bulk" });
    expect(await notesOf(r)).toContain(note("badge"));
  });

  test("/Schemas shows the product-managed fields as readOnly, the others readWrite, to this organisation only", async () => {
    const mutability = async (c: ScimClient) => {
      const ext = (await c.get(`/Schemas/${EXT}`)).body;
      return Object.fromEntries(ext.attributes.filter((a: Body) => ["badge", "skills", "department"].includes(a.name as string)).map((a: Body) => [a.name, a.mutability]));
    };
    expect(await mutability(pc)).toEqual({ badge: "readOnly", skills: "readOnly", department: "readWrite" });
    expect(await mutability(dc)).toEqual({ badge: "readWrite", department: "readWrite" });
    const listed = (await pc.get("/Schemas")).body.Resources.find((s: Body) => s.id === EXT);
    expect(listed.attributes.find((a: Body) => a.name === "badge").mutability).toBe("readOnly");
  });
});

describe("managedBy: identityProvider (the default): as before", () => {
  test("Okta's PUT without the field clears the value set through GraphQL; a PUT, PATCH or POST with it sets it; no note", async () => {
    const u = await oktaUser(dc);
    await setValues(d, u.id, { badge: "B-1" });
    const put = await dc.put(`/Users/${u.id}`, oktaPut(u));
    expect(put.status).toBe(200);
    expect(put.body[EXT]).toEqual({ department: "Sales" });
    expect(await notesOf(put)).not.toContain(note("badge"));
    const withIt = await dc.put(`/Users/${u.id}`, oktaPut(u, { badge: "B-2" }));
    expect(withIt.body[EXT]).toEqual({ badge: "B-2" });
    const patched = await dc.patch(`/Users/${u.id}`, patchOp({ op: "replace", path: `${EXT}:badge`, value: "B-3" }));
    expect(patched.body[EXT]).toEqual({ badge: "B-3" });
    expect(await notesOf(patched)).not.toContain(note("badge"));
    const posted = await dc.post("/Users", { schemas: [CORE_USER, EXT], userName: `posted-${++n}@okta.test`, [EXT]: { badge: "B-4" } });
    expect(posted.body[EXT]).toEqual({ badge: "B-4" });
  });

  test("switching a field back to identityProvider applies at once: the next PUT without it clears it", async () => {
    const tenant = await app.tenant();
    const c = scimClient(app.url, tenant.scimToken);
    await define(tenant, { key: "badge", managedBy: "product" });
    const u = await oktaUser(c);
    await setValues(tenant, u.id, { badge: "B-1" });
    expect((await c.put(`/Users/${u.id}`, oktaPut(u))).body[EXT]).toEqual({ badge: "B-1", department: "Sales" });
    const r = await app.gql(tenant.adminToken, `mutation { updateCustomField(key: "badge", input: { managedBy: identityProvider }) { managedBy } }`);
    expect(r.errors).toBeUndefined();
    expect((await c.put(`/Users/${u.id}`, oktaPut(u))).body[EXT]).toEqual({ department: "Sales" });
  });
});
