import { randomUUID } from "node:crypto";
import { CORE_USER, ENTERPRISE, expectScimError, patchOp, type ScimClient } from "../support/scim-client";
import type { TestApp, TestTenant } from "../support/test-app";
import { useScimTenant } from "../support/scim-tenant";
import { type Body, fixture } from "./scim-fixtures";

let app: TestApp;
let t: TestTenant;
let c: ScimClient;
let n = 0;

useScimTenant((tenant) => ({ app, t, scim: c } = tenant));

const entraUser = async () => {
  const vars = { userName: `entra-${++n}@contoso.test`, externalId: randomUUID() };
  const r = await c.post("/Users?aadOptscim062020", fixture("entra", "create-user", vars));
  expect(r.status).toBe(201);
  return { ...vars, id: r.body.id as string, body: r.body };
};
const filter = (f: string) => c.get(`/Users?filter=${encodeURIComponent(f)}`);
const memberIds = async (groupId: string) => ((await c.get(`/Groups/${groupId}`)).body.members ?? []).map((m: Body) => m.value).sort();

describe("Entra ID quirks", () => {
  test("Test Connection: userName eq <random guid> → 200 with an empty ListResponse", async () => {
    const r = await filter(`userName eq "${randomUUID()}"`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ schemas: ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
  });

  test("create with null attributes and extra or misspelled schema URNs", async () => {
    const u = await entraUser();
    expect(u.body.schemas).toEqual([CORE_USER, ENTERPRISE]);
    expect(u.body).toMatchObject({
      userName: u.userName,
      externalId: u.externalId,
      active: true,
      displayName: "Test User 7b42",
      name: { familyName: "User", givenName: "Test" },
      preferredLanguage: "en-US",
      emails: [{ value: u.userName, type: "work", primary: true }],
      addresses: [{ formatted: "1 Main St", locality: "Redmond", country: "US", type: "work", primary: true }],
      [ENTERPRISE]: { department: "Finance", employeeNumber: "E-1007" },
    });
    expect(u.body.title).toBeUndefined();
    expect(u.body[ENTERPRISE].manager).toBeUndefined();
    expect(u.body.phoneNumbers).toEqual([{ value: "+1 425 555 0100", type: "work", primary: true }]);
    expect(u.body["urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"]).toBeUndefined();
  });

  test("lookups by externalId eq and by emails[type eq \"work\"].value eq", async () => {
    const u = await entraUser();
    const byExt = await filter(`externalId eq "${u.externalId}"`);
    expect(byExt.body.Resources.map((x: Body) => x.id)).toEqual([u.id]);
    const byMail = await filter(`emails[type eq "work"].value eq "${u.userName}"`);
    expect(byMail.body.Resources.map((x: Body) => x.id)).toEqual([u.id]);
    expect((await filter(`emails[type eq "home"].value eq "${u.userName}"`)).body.totalResults).toBe(0);
  });

  test("disable and enable with string booleans \"False\"/\"True\" and op names in capitals", async () => {
    const u = await entraUser();
    const off = await c.patch(`/Users/${u.id}`, fixture("entra", "patch-disable"));
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect((await filter(`externalId eq "${u.externalId}"`)).body.Resources[0].active).toBe(false);
    const on = await c.patch(`/Users/${u.id}`, fixture("entra", "patch-enable"));
    expect(on.body.active).toBe(true);
  });

  test.each([["True", true], ["False", false], ["true", true], ["false", false]])("string boolean %s for active and primary on create", async (s, b) => {
    const r = await c.post("/Users", { userName: `strbool-${s}-${++n}@x.test`, active: s, emails: [{ value: `sb${n}@x.test`, type: "work", primary: s }] });
    expect(r.status).toBe(201);
    expect(r.body.active).toBe(b);
    expect(r.body.emails[0].primary).toBe(b);
  });

  test("update PATCH: Replace/Add with filtered paths (adds a missing work phone), enterprise URN path", async () => {
    const u = await entraUser();
    await c.patch(`/Users/${u.id}`, patchOp({ op: "remove", path: "phoneNumbers" }));
    const r = await c.patch(`/Users/${u.id}`, fixture("entra", "patch-user-update"));
    expect(r.status).toBe(200);
    const back = (await c.get(`/Users/${u.id}`)).body;
    expect(back.displayName).toBe("Updated Name");
    expect(back.emails).toEqual([{ value: "updated@entra.test", type: "work", primary: true }]);
    expect(back.name.givenName).toBe("Updated");
    expect(back[ENTERPRISE].department).toBe("Marketing");
    expect(back.phoneNumbers).toEqual([{ value: "+1 425 555 0199", type: "work", primary: false }]);
  });

  test("path-less replace with flattened keys (aadOptscim062020): filtered, dotted and URN-qualified keys are paths", async () => {
    const u = await entraUser();
    const externalId = randomUUID();
    const r = await c.patch(`/Users/${u.id}?aadOptscim062020`, fixture("entra", "patch-user-replace-flattened", { email: `flat-${n}@entra.test`, externalId }));
    expect(r.status).toBe(200);
    const back = (await c.get(`/Users/${u.id}`)).body;
    expect(back).toMatchObject({ displayName: "Flat Name", externalId, name: { givenName: "Flat", familyName: "Keys" } });
    expect(back.emails).toEqual([{ value: `flat-${n}@entra.test`, type: "work", primary: true }]);
    expect(back.phoneNumbers).toEqual([
      { value: "+1 425 555 0100", type: "work", primary: true },
      { value: "+1 425 555 0142", type: "mobile", primary: false },
    ]);
    expect(back[ENTERPRISE]).toMatchObject({ employeeNumber: "E-2042", department: "Finance" });
    expect(back["emails[type eq \"work\"].value"]).toBeUndefined();
    const q = await app.gql<Body>(t.adminToken, "query($id: ID!) { user(id: $id) { emails { value type primary } } }", { id: u.id });
    expect(q.data.user.emails).toEqual([{ value: `flat-${n}@entra.test`, type: "work", primary: true }]);
  });

  test("roles as [\"Admin\"], as [{value,type,primary}], and as Entra's JSON-string values", async () => {
    const a = await c.post("/Users", { userName: `roles-a-${++n}@x.test`, roles: ["Admin"] });
    expect(a.status).toBe(201);
    expect(a.body.roles).toEqual([{ value: "admin", display: "admin", primary: true }]);
    const b = await c.post("/Users", { userName: `roles-b-${++n}@x.test`, roles: [{ value: "Member", type: "WindowsAzureActiveDirectoryRole", primary: "True" }] });
    expect(b.status).toBe(201);
    expect(b.body.roles).toEqual([{ value: "member", display: "member", primary: true }]);
    const u = await entraUser();
    const r = await c.patch(`/Users/${u.id}`, fixture("entra", "patch-roles-json", { role: "Admin" }));
    expect(r.status).toBe(200);
    expect(r.body.roles).toEqual([{ value: "admin", display: "admin", primary: true }]);
    const q = await app.gql<Body>(t.adminToken, "query($id: ID!) { user(id: $id) { roles { name } } }", { id: u.id });
    expect(q.data.user.roles).toEqual([{ name: "admin" }]);
  });

  test("the single-role mapping (roles[primary eq \"True\"].value) replaces the user's role, whichever op Entra sends; removing it leaves none", async () => {
    const u = (await c.post("/Users", { userName: `single-role-${++n}@x.test`, roles: [{ primary: true, type: "WindowsAzureActiveDirectoryRole", value: "admin" }] })).body;
    expect(u.roles).toEqual([{ value: "admin", display: "admin", primary: true }]);
    for (const [op, role] of [["Replace", "member"], ["Add", "admin"]] as const) {
      const r = await c.patch(`/Users/${u.id}`, patchOp({ op, path: 'roles[primary eq "True"].value', value: role }));
      expect(r.status).toBe(200);
      expect(r.body.roles).toEqual([{ value: role, display: role, primary: true }]);
    }
    const removed = await c.patch(`/Users/${u.id}`, patchOp({ op: "Remove", path: 'roles[primary eq "True"]' }));
    expect(removed.status).toBe(200);
    expect(removed.body.roles).toBeUndefined();
  });

  test("an unknown role → 400 invalidValue naming it, in every form", async () => {
    const a = await c.post("/Users", { userName: `roles-bad-${++n}@x.test`, roles: ["Wizard"] });
    expectScimError(a, 400, "invalidValue");
    expect(a.body.detail).toMatch(/Wizard/);
    const u = await entraUser();
    const r = await c.patch(`/Users/${u.id}`, fixture("entra", "patch-roles-json", { role: "Sorcerer" }));
    expectScimError(r, 400, "invalidValue");
    expect(r.body.detail).toMatch(/Sorcerer/);
    expect((await c.get(`/Users/${u.id}`)).body.roles).toBeUndefined();
  });

  test("manager as [{$ref, value}] on the bare path manager, and as a bare string id", async () => {
    const boss = await entraUser();
    const boss2 = await entraUser();
    const u = await entraUser();
    const shape = (id: string) => ({ value: id, $ref: `${app.url}/scim/v2/Users/${id}`, displayName: "Test User 7b42" });
    const r = await c.patch(`/Users/${u.id}`, fixture("entra", "patch-manager-array", { managerId: boss.id, managerRef: `${app.url}/scim/v2/Users/${boss.id}` }));
    expect(r.status).toBe(200);
    expect(r.body[ENTERPRISE].manager).toEqual(shape(boss.id));
    const s = await c.patch(`/Users/${u.id}`, fixture("entra", "patch-manager-string", { managerId: boss2.id }));
    expect(s.status).toBe(200);
    expect(s.body[ENTERPRISE].manager).toEqual(shape(boss2.id));
    const created = await c.post("/Users", { userName: `mgr-str-${++n}@x.test`, [ENTERPRISE]: { manager: boss.id } });
    expect(created.status).toBe(201);
    expect(created.body[ENTERPRISE].manager).toEqual(shape(boss.id));
    // The same array on the URN-qualified path, as POST already took it.
    const urnArray = await c.patch(`/Users/${u.id}`, patchOp({ op: "Replace", path: `${ENTERPRISE}:manager`, value: [{ value: boss.id }] }));
    expect(urnArray.status).toBe(200);
    expect(urnArray.body[ENTERPRISE].manager).toEqual(shape(boss.id));
    expectScimError(await c.patch(`/Users/${u.id}`, patchOp({ op: "Replace", path: `${ENTERPRISE}:manager`, value: [{ value: boss.id }, { value: boss2.id }] })), 400, "invalidValue");
    const unknown = await c.patch(`/Users/${u.id}`, fixture("entra", "patch-manager-string", { managerId: "00000000-0000-4000-8000-000000000000" }));
    expect(unknown.status).toBe(400);
    const cleared = await c.patch(`/Users/${u.id}`, patchOp({ op: "Remove", path: `${ENTERPRISE}:manager` }));
    expect(cleared.body[ENTERPRISE].manager).toBeUndefined();
  });

  test("groups with the ADSCIM schema URN; members added with an array, removed with a value array (only those)", async () => {
    const [a, b, d] = [await entraUser(), await entraUser(), await entraUser()];
    const g = await c.post("/Groups", fixture("entra", "create-group", { displayName: "Entra Group", externalId: randomUUID() }));
    expect(g.status).toBe(201);
    expect(g.body.schemas).toEqual(["urn:ietf:params:scim:schemas:core:2.0:Group"]);
    const id = g.body.id;
    expect((await c.patch(`/Groups/${id}`, fixture("entra", "patch-group-add-members", { member1: a.id, member2: b.id }))).status).toBe(204);
    expect((await c.patch(`/Groups/${id}`, fixture("entra", "patch-group-add-members", { member1: d.id, member2: b.id }))).status).toBe(204);
    expect(await memberIds(id)).toEqual([a.id, b.id, d.id].sort());
    expect((await c.patch(`/Groups/${id}`, fixture("entra", "patch-group-remove-members", { member: b.id }))).status).toBe(204);
    expect(await memberIds(id)).toEqual([a.id, d.id].sort());
    expect((await c.patch(`/Groups/${id}`, fixture("entra", "patch-group-rename", { displayName: "Entra Group 2" }))).status).toBe(204);
    expect((await c.get(`/Groups/${id}`)).body.displayName).toBe("Entra Group 2");
    const byExt = await c.get(`/Groups?filter=${encodeURIComponent(`externalId eq "${g.body.externalId}"`)}&excludedAttributes=members`);
    expect(byExt.body.Resources.map((x: Body) => x.id)).toEqual([id]);
  });
  test("a number custom field sent as a string that is exactly a JSON number (Entra sends typed values as strings) is stored as that number and noted; anything else is refused", async () => {
    const EXT = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";
    await app.services.customFields.define(t.ctx, { key: "grade", label: "Grade", type: "number" });
    const r = await c.post("/Users", { userName: `string-number-${++n}@contoso.test`, [EXT]: { grade: "42" } });
    expect([r.status, r.body[EXT]]).toEqual([201, { grade: 42 }]);
    const patched = await c.patch(`/Users/${r.body.id}`, patchOp({ op: "Replace", path: `${EXT}:grade`, value: "-1.5e3" }));
    expect([patched.status, patched.body[EXT]]).toEqual([200, { grade: -1500 }]);
    expect((await c.get(`/Users/${r.body.id}`)).body[EXT]).toEqual({ grade: -1500 });
    expect((await c.get(`/Users?filter=${encodeURIComponent(`${EXT}:grade eq -1500`)}`)).body.Resources.map((u: Body) => u.id)).toEqual([r.body.id]);
    await app.services.provisioningLog.flush();
    const log = await app.services.provisioningLog.list(t.ctx, { resourceId: r.body.id }, { first: 5 });
    // Newest first: the GET, the PATCH, the POST.
    expect(log.items.map((e) => [e.method, e.notes.filter((x) => x.startsWith("string number"))])).toEqual([["GET", []], ["PATCH", [`string number coerced: ${EXT}:grade`]], ["POST", [`string number coerced: ${EXT}:grade`]]]);
    for (const bad of [" 42", "42 ", "0x2A", "+42", "42abc", "", "1e999", "1.", ".5", "Infinity", "NaN", "4 2"]) {
      expectScimError(await c.patch(`/Users/${r.body.id}`, patchOp({ op: "replace", path: `${EXT}:grade`, value: bad })), 400, "invalidValue");
    }
    expect((await c.get(`/Users/${r.body.id}`)).body[EXT]).toEqual({ grade: -1500 });
  });
});
