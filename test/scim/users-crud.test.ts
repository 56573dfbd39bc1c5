import { CORE_USER, ENTERPRISE, expectScimError, patchOp, type ScimClient } from "../support/scim-client";
import type { TestApp, TestTenant } from "../support/test-app";
import { useScimTenant } from "../support/scim-tenant";
import type { Body } from "./scim-fixtures";

let app: TestApp;
let t: TestTenant;
let c: ScimClient;

useScimTenant((tenant) => ({ app, t, scim: c } = tenant));

const full = (userName: string) => ({
  schemas: [CORE_USER, ENTERPRISE],
  userName,
  externalId: `ext-${userName}`,
  name: { givenName: "Barbara", familyName: "Jensen", formatted: "Ms. Barbara J Jensen" },
  displayName: "Babs Jensen",
  nickName: "Babs",
  title: "Tour Guide",
  locale: "en-US",
  timezone: "America/Los_Angeles",
  active: true,
  emails: [{ value: `${userName}`, type: "work", primary: true }, { value: "babs@home.test", type: "home" }],
  phoneNumbers: [{ value: "555-555-8377", type: "work" }],
  addresses: [{ type: "work", streetAddress: "100 Universal City Plaza", locality: "Hollywood", region: "CA", postalCode: "91608", country: "USA", primary: true }],
  [ENTERPRISE]: { employeeNumber: "701984", costCenter: "4130", organization: "Universal Studios", division: "Theme Park", department: "Tour Operations" },
});

describe("users: create, read, replace, delete", () => {
  test("POST creates the user: 201, Location, ETag, meta with absolute location", async () => {
    const r = await c.post("/Users", full("bjensen@example.com"));
    expect(r.status).toBe(201);
    const id = r.body.id;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers.get("location")).toBe(`${app.url}/scim/v2/Users/${id}`);
    expect(r.headers.get("etag")).toBe('W/"1"');
    expect(r.body).toMatchObject({
      schemas: [CORE_USER, ENTERPRISE],
      userName: "bjensen@example.com",
      externalId: "ext-bjensen@example.com",
      name: { givenName: "Barbara", familyName: "Jensen", formatted: "Ms. Barbara J Jensen" },
      displayName: "Babs Jensen",
      nickName: "Babs",
      title: "Tour Guide",
      active: true,
      emails: [{ value: "bjensen@example.com", type: "work", primary: true }, { value: "babs@home.test", type: "home" }],
      phoneNumbers: [{ value: "555-555-8377", type: "work" }],
      addresses: [{ type: "work", streetAddress: "100 Universal City Plaza", locality: "Hollywood", region: "CA", postalCode: "91608", country: "USA", primary: true }],
      [ENTERPRISE]: { employeeNumber: "701984", costCenter: "4130", organization: "Universal Studios", division: "Theme Park", department: "Tour Operations" },
    });
    expect(r.body.meta).toEqual({ resourceType: "User", created: r.body.meta.created, lastModified: r.body.meta.lastModified, location: `${app.url}/scim/v2/Users/${id}`, version: 'W/"1"' });
    expect(Date.parse(r.body.meta.created)).toBeGreaterThan(Date.now() - 60_000);
    expect(r.body.meta.lastModified).toBe(r.body.meta.created);
    const got = await c.get(`/Users/${id}`);
    expect(got.status).toBe(200);
    expect(got.headers.get("etag")).toBe('W/"1"');
    expect(got.body).toEqual(r.body);
  });

  test("If-None-Match with the current ETag → 304; with an old one → 200", async () => {
    const u = await c.post("/Users", { userName: "etag@x.test" });
    const same = await c.get(`/Users/${u.body.id}`, { "if-none-match": 'W/"1"' });
    expect(same.status).toBe(304);
    expect(same.text).toBe("");
    await c.patch(`/Users/${u.body.id}`, patchOp({ op: "replace", path: "title", value: "New" }));
    const changed = await c.get(`/Users/${u.body.id}`, { "if-none-match": 'W/"1"' });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).toBe('W/"2"');
    expect(changed.body.meta.version).toBe('W/"2"');
  });

  test("deleting a manager changes each report: no manager, a new ETag and a later lastModified", async () => {
    const boss = await c.post("/Users", { userName: "etag-boss@x.test" });
    const report = await c.post("/Users", { userName: "etag-report@x.test", [ENTERPRISE]: { manager: { value: boss.body.id } } });
    const bystander = await c.post("/Users", { userName: "etag-bystander@x.test" });
    const before = await c.get(`/Users/${report.body.id}`);
    expect(before.body[ENTERPRISE].manager.value).toBe(boss.body.id);
    await new Promise((r) => setTimeout(r, 5));
    expect((await c.delete(`/Users/${boss.body.id}`)).status).toBe(204);
    const after = await c.get(`/Users/${report.body.id}`, { "if-none-match": before.headers.get("etag")! });
    expect(after.status).toBe(200);
    expect(after.body[ENTERPRISE]?.manager).toBeUndefined();
    expect(after.headers.get("etag")).toBe('W/"2"');
    expect(Date.parse(after.body.meta.lastModified)).toBeGreaterThan(Date.parse(before.body.meta.lastModified));
    // Only the reports.
    expect((await c.get(`/Users/${bystander.body.id}`, { "if-none-match": 'W/"1"' })).status).toBe(304);
  });

  test("If-Match mismatch → 412 on PUT, PATCH and DELETE; a match goes through", async () => {
    const u = await c.post("/Users", { userName: "ifmatch@x.test" });
    const id = u.body.id;
    expectScimError(await c.put(`/Users/${id}`, { userName: "ifmatch@x.test", title: "x" }, { "if-match": 'W/"9"' }), 412);
    expectScimError(await c.patch(`/Users/${id}`, patchOp({ op: "replace", path: "title", value: "x" }), { "if-match": 'W/"9"' }), 412);
    expectScimError(await c.delete(`/Users/${id}`, { "if-match": 'W/"9"' }), 412);
    expect((await c.get(`/Users/${id}`)).body.meta.version).toBe('W/"1"');
    const put = await c.put(`/Users/${id}`, { userName: "ifmatch@x.test", title: "x" }, { "if-match": 'W/"1"' });
    expect(put.status).toBe(200);
    expect(put.headers.get("etag")).toBe('W/"2"');
    const patch = await c.patch(`/Users/${id}`, patchOp({ op: "replace", path: "title", value: "y" }), { "if-match": 'W/"2"' });
    expect(patch.status).toBe(200);
    expect(patch.body.title).toBe("y");
    expect((await c.delete(`/Users/${id}`, { "if-match": 'W/"3"' })).status).toBe(204);
  });

  test("If-Match with a list matches when any tag does; If-None-Match on a write → 412 when it matches", async () => {
    const id = (await c.post("/Users", { userName: "ifmatch-list@x.test" })).body.id;
    expectScimError(await c.put(`/Users/${id}`, { userName: "ifmatch-list@x.test" }, { "if-none-match": "*" }), 412);
    expectScimError(await c.patch(`/Users/${id}`, patchOp({ op: "replace", path: "title", value: "x" }), { "if-none-match": 'W/"7", W/"1"' }), 412);
    expectScimError(await c.put(`/Users/${id}`, { userName: "ifmatch-list@x.test" }, { "if-match": 'W/"7", W/"8"' }), 412);
    expectScimError(await c.delete(`/Users/${id}`, { "if-match": 'W/"7", "x"' }), 412);
    // DELETE honours If-None-Match as PUT and PATCH do (RFC 9110 §13.1.2): a matching tag, or *, is 412.
    expectScimError(await c.delete(`/Users/${id}`, { "if-none-match": "*" }), 412);
    expectScimError(await c.delete(`/Users/${id}`, { "if-none-match": 'W/"7", W/"1"' }), 412);
    expect((await c.get(`/Users/${id}`)).body.meta.version).toBe('W/"1"');
    const put = await c.put(`/Users/${id}`, { userName: "ifmatch-list@x.test", title: "a" }, { "if-match": 'W/"1", W/"3"', "if-none-match": 'W/"3"' });
    expect([put.status, put.headers.get("etag")]).toEqual([200, 'W/"2"']);
    const patch = await c.patch(`/Users/${id}`, patchOp({ op: "replace", path: "title", value: "b" }), { "if-match": 'W/"1", W/"2"' });
    expect([patch.status, patch.headers.get("etag")]).toEqual([200, 'W/"3"']);
    expect((await c.delete(`/Users/${id}`, { "if-match": 'W/"2",W/"3"', "if-none-match": 'W/"2"' })).status).toBe(204);
    expectScimError(await c.put(`/Users/${id}`, { userName: "ifmatch-list@x.test" }, { "if-none-match": "*" }), 404);
  });

  test("PUT replaces: readWrite attributes left out are cleared; id, meta and groups sent back are ignored", async () => {
    const u = await c.post("/Users", full("put-clear@x.test"));
    const id = u.body.id;
    const g = await c.post("/Groups", { displayName: "PUT keeps me", members: [{ value: id }] });
    const r = await c.put(`/Users/${id}`, {
      schemas: [CORE_USER],
      id: "11111111-1111-4111-8111-111111111111",
      userName: "put-clear@x.test",
      name: { givenName: "Barb" },
      groups: [{ value: "22222222-2222-4222-8222-222222222222" }],
      meta: { resourceType: "User", created: "2001-01-01T00:00:00Z", version: 'W/"77"' },
    });
    expect(r.status).toBe(200);
    expect(r.body.id).toBe(id);
    expect(r.body.name).toEqual({ givenName: "Barb" });
    for (const gone of ["externalId", "displayName", "nickName", "title", "locale", "timezone", "emails", "phoneNumbers", "addresses", ENTERPRISE]) expect(r.body[gone]).toBeUndefined();
    expect(r.body.schemas).toEqual([CORE_USER]);
    expect(r.body.meta.created).toBe(u.body.meta.created);
    expect(r.body.meta.version).toBe('W/"2"');
    expect(r.body.groups).toEqual([{ value: g.body.id, $ref: `${app.url}/scim/v2/Groups/${g.body.id}`, display: "PUT keeps me", type: "direct" }]);
    expect((await c.get(`/Users/${id}`)).body).toEqual(r.body);
  });

  test("a PUT naming the roles the user holds (any case, any order) resolves and writes no roles; one that changes them does", async () => {
    const u = await c.post("/Users", { userName: "put-roles@x.test", roles: [{ value: "member" }, { value: "admin" }] });
    expect((await c.get(`/Users/${u.body.id}`)).body.roles.map((r: Body) => r.value)).toEqual(["admin", "member"]);
    const rolesStatements = (statements: string[]) => statements.filter((s) => /\broles\b|role_assignments/.test(s));
    const { result: same, statements: sameStatements } = await app.statementsOf(() => c.put(`/Users/${u.body.id}`, { userName: "put-roles@x.test", displayName: "Renamed", roles: [{ value: "Member" }, { value: "ADMIN" }, { value: "member" }] }));
    expect(same.status).toBe(200);
    expect(same.body.roles.map((r: Body) => r.value)).toEqual(["admin", "member"]);
    expect(rolesStatements(sameStatements)).toEqual([]);
    const [renamed] = await app.services.audit.list(t.ctx, { resourceId: u.body.id, action: "user.updated" }, { first: 1 }).then((p) => p.items);
    expect(Object.keys(renamed.changes ?? {})).toEqual(["displayName"]);
    const { result: fewer, statements: fewerStatements } = await app.statementsOf(() => c.put(`/Users/${u.body.id}`, { userName: "put-roles@x.test", displayName: "Renamed", roles: [{ value: "member" }] }));
    expect(fewer.body.roles.map((r: Body) => r.value)).toEqual(["member"]);
    expect(rolesStatements(fewerStatements).some((s) => /role_assignments/.test(s))).toBe(true);
    expect((await c.get(`/Users/${u.body.id}`)).body.roles.map((r: Body) => r.value)).toEqual(["member"]);
    expectScimError(await c.put(`/Users/${u.body.id}`, { userName: "put-roles@x.test", roles: [{ value: "member" }, { value: "no-such-role" }] }), 400);
  });

  test("PUT honours active: false (Okta deactivates by PUT), and the user stays readable and filterable", async () => {
    const u = await c.post("/Users", { userName: "deact-put@x.test", externalId: "deact-put" });
    const r = await c.put(`/Users/${u.body.id}`, { userName: "deact-put@x.test", externalId: "deact-put", active: false });
    expect(r.body.active).toBe(false);
    const got = await c.get(`/Users/${u.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body.active).toBe(false);
    const list = await c.get(`/Users?filter=${encodeURIComponent('externalId eq "deact-put"')}`);
    expect(list.body.totalResults).toBe(1);
    expect(list.body.Resources[0].active).toBe(false);
    const inactive = await c.get(`/Users?filter=${encodeURIComponent('active eq false and userName eq "deact-put@x.test"')}`);
    expect(inactive.body.Resources.map((x: Body) => x.id)).toEqual([u.body.id]);
  });

  test("clearing active (PATCH remove, PATCH replace with null, PUT or POST with null) → 400 invalidValue; a deactivated user stays off", async () => {
    const u = await c.post("/Users", { userName: "stay-off@x.test", active: false });
    const id = u.body.id;
    const refusals = [
      await c.patch(`/Users/${id}`, patchOp({ op: "remove", path: "active" })),
      await c.patch(`/Users/${id}`, patchOp({ op: "replace", path: "active", value: null })),
      await c.patch(`/Users/${id}`, patchOp({ op: "replace", value: { active: null } })),
      await c.put(`/Users/${id}`, { userName: "stay-off@x.test", active: null }),
      await c.post("/Users", { userName: "born-null@x.test", active: null }),
    ];
    for (const r of refusals) {
      expectScimError(r, 400, "invalidValue");
      expect(r.body.detail).toMatch(/send true or false/);
    }
    const back = await c.get(`/Users/${id}`);
    expect(back.body.active).toBe(false);
    expect(back.body.meta.version).toBe('W/"1"');
  });

  test("a PUT that leaves active out keeps it: a profile update never reactivates a deactivated user; a POST without it creates an active one", async () => {
    const u = await c.post("/Users", { userName: "put-no-active@x.test", displayName: "Before" });
    expect(u.body.active).toBe(true);
    await c.patch(`/Users/${u.body.id}`, patchOp({ op: "replace", path: "active", value: false }));
    const put = await c.put(`/Users/${u.body.id}`, { userName: "put-no-active@x.test", displayName: "After" });
    expect(put.status).toBe(200);
    expect([put.body.active, put.body.displayName]).toEqual([false, "After"]);
    expect((await c.get(`/Users/${u.body.id}`)).body.active).toBe(false);
    // Sent, it applies, either way.
    expect((await c.put(`/Users/${u.body.id}`, { userName: "put-no-active@x.test", active: true })).body.active).toBe(true);
    expect((await c.put(`/Users/${u.body.id}`, { userName: "put-no-active@x.test" })).body.active).toBe(true);
  });

  test("a user deactivated through SCIM is inactive in GraphQL at once", async () => {
    const u = await c.post("/Users", { userName: "gql-sees@x.test" });
    const q = "query($id: ID!) { user(id: $id) { active version } }";
    expect((await app.gql<Body>(t.adminToken, q, { id: u.body.id })).data.user).toEqual({ active: true, version: 1 });
    await c.patch(`/Users/${u.body.id}`, patchOp({ op: "replace", path: "active", value: false }));
    expect((await app.gql<Body>(t.adminToken, q, { id: u.body.id })).data.user).toEqual({ active: false, version: 2 });
  });

  test("duplicate userName in any letter case → 409 uniqueness", async () => {
    expect((await c.post("/Users", { userName: "Dupe@X.test" })).status).toBe(201);
    for (const name of ["Dupe@X.test", "dupe@x.test", "DUPE@X.TEST"]) {
      const r = await c.post("/Users", { userName: name });
      expectScimError(r, 409, "uniqueness");
      expect(r.body.detail).toMatch(/userName/);
    }
    const other = await c.post("/Users", { userName: "other-dupe@x.test" });
    expectScimError(await c.put(`/Users/${other.body.id}`, { userName: "DUPE@x.test" }), 409, "uniqueness");
    expectScimError(await c.patch(`/Users/${other.body.id}`, patchOp({ op: "replace", path: "userName", value: "dupe@X.TEST" })), 409, "uniqueness");
  });

  test("lengths count characters, as MariaDB's varchar does: 255 emoji fit, 256 do not", async () => {
    const emoji = (n: number) => "😀".repeat(n);
    const u = await c.post("/Users", { userName: `${emoji(128)}@x.test`, displayName: emoji(255), name: { honorificPrefix: emoji(64) } });
    expect(u.status).toBe(201);
    const back = (await c.get(`/Users/${u.body.id}`)).body;
    expect([back.userName, back.displayName, back.name.honorificPrefix]).toEqual([`${emoji(128)}@x.test`, emoji(255), emoji(64)]);
    const tooLong = await c.post("/Users", { userName: emoji(256) });
    expectScimError(tooLong, 400, "invalidValue");
    expect(tooLong.body.detail).toMatch(/userName is at most 255 characters/);
    expectScimError(await c.post("/Users", { userName: "emoji-title@x.test", title: emoji(256) }), 400, "invalidValue");
    const g = await c.post("/Groups", { displayName: emoji(255) });
    expect([g.status, g.body.displayName]).toEqual([201, emoji(255)]);
  });

  test("a contact's type (64) and display (255) fit their columns; longer is 400 naming them, on every database", async () => {
    const emoji = (n: number) => "😀".repeat(n);
    const fits = await c.post("/Users", { userName: "contact-sizes@x.test", emails: [{ value: "a@x.test", type: emoji(64), display: emoji(255) }], phoneNumbers: [{ value: "+1 555", type: emoji(64) }] });
    expect(fits.status).toBe(201);
    expect([fits.body.emails[0].type, fits.body.emails[0].display]).toEqual([emoji(64), emoji(255)]);
    for (const [contacts, where] of [
      [{ emails: [{ value: "b@x.test", type: "t".repeat(65) }] }, /emails\[0\]\.type is at most 64 characters/],
      [{ phoneNumbers: [{ value: "+1 555" }, { value: "+1 556", display: "d".repeat(256) }] }, /phoneNumbers\[1\]\.display is at most 255 characters/],
    ] as const) {
      const r = await c.post("/Users", { userName: "contact-too-long@x.test", ...contacts });
      expectScimError(r, 400, "invalidValue");
      expect(r.body.detail).toMatch(where);
    }
    expectScimError(await c.patch(`/Users/${fits.body.id}`, patchOp({ op: "add", path: "emails", value: [{ value: "c@x.test", type: "t".repeat(65) }] })), 400, "invalidValue");
    expect((await c.get(`/Users?filter=${encodeURIComponent('userName eq "contact-too-long@x.test"')}`)).body.totalResults).toBe(0);
  });

  test("userName is required; an empty body is invalid", async () => {
    expectScimError(await c.post("/Users", { schemas: [CORE_USER], displayName: "no name" }), 400, "invalidValue");
    expectScimError(await c.post("/Users", [1, 2]), 400, "invalidSyntax");
  });

  test("DELETE → 204, then 404 on every verb", async () => {
    const u = await c.post("/Users", { userName: "gone@x.test" });
    const del = await c.delete(`/Users/${u.body.id}`);
    expect(del.status).toBe(204);
    expect(del.text).toBe("");
    expectScimError(await c.get(`/Users/${u.body.id}`), 404);
    expectScimError(await c.delete(`/Users/${u.body.id}`), 404);
    expectScimError(await c.patch(`/Users/${u.body.id}`, patchOp({ op: "replace", path: "title", value: "x" })), 404);
    expectScimError(await c.put(`/Users/${u.body.id}`, { userName: "gone@x.test" }), 404);
  });

  test("every SCIM change leaves audit events with source scim", async () => {
    const u = await c.post("/Users", { userName: "audited@x.test" });
    const id = u.body.id;
    await c.patch(`/Users/${id}`, patchOp({ op: "replace", path: "title", value: "Audited" }));
    await c.put(`/Users/${id}`, { userName: "audited@x.test", title: "Put" });
    await c.delete(`/Users/${id}`);
    const r = await app.gql<Body>(t.adminToken, `query($id: ID) { auditEvents(filter: { resourceId: $id }, first: 50) { nodes { action source actorType actorLabel } } }`, { id });
    expect(r.errors).toBeUndefined();
    const events = r.data.auditEvents.nodes;
    expect(events.map((e: Body) => e.action).sort()).toEqual(["user.created", "user.deleted", "user.updated", "user.updated"]);
    for (const e of events) {
      expect(e.source).toBe("scim");
      expect(e.actorType).toBe("token");
      expect(e.actorLabel).toMatch(/^test scim \(/);
    }
  });
});
