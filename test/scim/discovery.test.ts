import { ENTERPRISE, expectScimError, scimClient } from "../support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import type { Body } from "./scim-fixtures";

const ROSTER_URN = "urn:ietf:params:scim:schemas:extension:roster:2.0:User";
const LOOOP_URN = "urn:ietf:params:scim:schemas:extension:Looop:2.0:User";
const SEED_FIELDS = ["area", "custom_1", "custom_2", "custom_3", "department", "location", "position"];

let app: TestApp;
let looop: TestApp;
let t: TestTenant;

beforeAll(async () => {
  [app, looop] = await Promise.all([startTestApp(), startTestApp({ SCIM_EXTENSION_URN: LOOOP_URN })]);
  t = await app.tenant();
});
afterAll(() => Promise.all([app?.close(), looop?.close()]));

describe("discovery", () => {
  test("ServiceProviderConfig tells what is implemented", async () => {
    const r = await scimClient(app.url, t.scimToken).get("/ServiceProviderConfig");
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    expect(r.body.schemas).toEqual(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]);
    expect(r.body.patch).toEqual({ supported: true });
    expect(r.body.bulk).toEqual({ supported: true, maxOperations: 1000, maxPayloadSize: 1024 * 1024 });
    expect(r.body.filter).toEqual({ supported: true, maxResults: 1000 });
    expect(r.body.changePassword).toEqual({ supported: false });
    expect(r.body.sort).toEqual({ supported: true });
    expect(r.body.etag).toEqual({ supported: true });
    expect(r.body.authenticationSchemes).toEqual([
      expect.objectContaining({ type: "oauthbearertoken", primary: true }),
      expect.objectContaining({ type: "oauth2", documentationUri: `${app.url}/.well-known/oauth-authorization-server` }),
    ]);
    expect(r.body.meta).toMatchObject({ resourceType: "ServiceProviderConfig", location: `${app.url}/scim/v2/ServiceProviderConfig` });
  });

  test("ResourceTypes: User (both extensions) and Group, each also by id", async () => {
    const c = scimClient(app.url, t.scimToken);
    const r = await c.get("/ResourceTypes");
    expect(r.status).toBe(200);
    expect(r.body.schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]);
    expect(r.body.totalResults).toBe(2);
    expect(r.body.Resources.map((x: Body) => x.id).sort()).toEqual(["Group", "User"]);
    const user = await c.get("/ResourceTypes/User");
    expect(user.body).toMatchObject({ id: "User", name: "User", endpoint: "/Users", schema: "urn:ietf:params:scim:schemas:core:2.0:User" });
    expect(user.body.schemaExtensions).toEqual([
      { schema: ENTERPRISE, required: false },
      { schema: ROSTER_URN, required: false },
    ]);
    expect(user.body.meta.location).toBe(`${app.url}/scim/v2/ResourceTypes/User`);
    const group = await c.get("/ResourceTypes/Group");
    expect(group.body).toMatchObject({ id: "Group", endpoint: "/Groups", schema: "urn:ietf:params:scim:schemas:core:2.0:Group" });
    expect(group.body.schemaExtensions ?? []).toEqual([]);
    expectScimError(await c.get("/ResourceTypes/Device"), 404);
  });

  test("Schemas lists core User, enterprise, the product extension and Group; each by URN", async () => {
    const c = scimClient(app.url, t.scimToken);
    const r = await c.get("/Schemas");
    expect(r.body.Resources.map((s: Body) => s.id)).toEqual(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE, ROSTER_URN, "urn:ietf:params:scim:schemas:core:2.0:Group"]);
    const core = await c.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User");
    const names = core.body.attributes.map((a: Body) => a.name);
    expect(names).toEqual(expect.arrayContaining(["userName", "name", "emails", "active", "roles", "groups"]));
    expect(names).not.toContain("x509Certificates");
    expect(core.body.attributes.find((a: Body) => a.name === "userName")).toMatchObject({ uniqueness: "server", required: true, caseExact: false });
    expect(core.body.attributes.find((a: Body) => a.name === "groups")).toMatchObject({ mutability: "readOnly" });
    const ent = await c.get(`/Schemas/${ENTERPRISE}`);
    expect(ent.body.attributes.map((a: Body) => a.name).sort()).toEqual(["costCenter", "department", "division", "employeeNumber", "manager", "organization"]);
    const group = await c.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:Group");
    // Enforced: a second group of the same displayName is 409 uniqueness (test/scim/groups.test.ts).
    expect(group.body.attributes.find((a: Body) => a.name === "displayName")).toMatchObject({ uniqueness: "server", required: true, caseExact: false });
    expectScimError(await c.get("/Schemas/urn:nope"), 404);
  });

  test("the product extension lists the organisation's custom fields and follows defineCustomField", async () => {
    const tenant = await app.tenant();
    const c = scimClient(app.url, tenant.scimToken);
    const before = await c.get(`/Schemas/${ROSTER_URN}`);
    expect(before.status).toBe(200);
    expect(before.body.attributes.map((a: Body) => a.name).sort()).toEqual(SEED_FIELDS);
    expect(before.body.attributes.find((a: Body) => a.name === "area")).toMatchObject({ type: "string", multiValued: false, mutability: "readWrite" });
    const def = await app.gql(tenant.adminToken, 'mutation { defineCustomField(input: { key: "shoe_size", type: "number", label: "Shoe size" }) { key } }');
    expect(def.errors).toBeUndefined();
    const after = await c.get(`/Schemas/${ROSTER_URN}`);
    expect(after.body.attributes.map((a: Body) => a.name).sort()).toEqual([...SEED_FIELDS, "shoe_size"].sort());
    expect(after.body.attributes.find((a: Body) => a.name === "shoe_size")).toMatchObject({ type: "decimal", description: "Shoe size" });
    // Another organisation does not see it.
    const others = await scimClient(app.url, t.scimToken).get(`/Schemas/${ROSTER_URN}`);
    expect(others.body.attributes.map((a: Body) => a.name)).not.toContain("shoe_size");
    // And the field is writable through SCIM at once.
    const u = await c.post("/Users", { userName: "shoe@x.test", [ROSTER_URN]: { shoe_size: 42, area: "North" } });
    expect(u.status).toBe(201);
    expect(u.body[ROSTER_URN]).toEqual({ shoe_size: 42, area: "North" });
  });

  test("SCIM_EXTENSION_URN replaces the product extension's URN everywhere", async () => {
    const tenant = await looop.tenant();
    const c = scimClient(looop.url, tenant.scimToken);
    const rt = await c.get("/ResourceTypes/User");
    expect(rt.body.schemaExtensions.map((e: Body) => e.schema)).toEqual([ENTERPRISE, LOOOP_URN]);
    const schema = await c.get(`/Schemas/${LOOOP_URN}`);
    expect(schema.body.attributes.map((a: Body) => a.name).sort()).toEqual(SEED_FIELDS);
    expectScimError(await c.get(`/Schemas/${ROSTER_URN}`), 404);
    const u = await c.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User", LOOOP_URN], userName: "looop@x.test", [LOOOP_URN]: { position: "Lead" } });
    expect(u.body[LOOOP_URN]).toEqual({ position: "Lead" });
    expect(u.body.schemas).toContain(LOOOP_URN);
    const f = await c.get(`/Users?filter=${encodeURIComponent(`${LOOOP_URN}:position eq "Lead"`)}`);
    expect(f.body.totalResults).toBe(1);
  });
});
