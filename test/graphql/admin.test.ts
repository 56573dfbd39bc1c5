import type { TestApp, TestTenant } from "../support/test-app";
import { useTenant } from "../support/test-tenant";
import { makeSelfSignedCert } from "../sso/support/fake-saml-idp";
import { configureSaml, samlSignIn } from "../sso/support/saml-login";

let app: TestApp;
let t: TestTenant;
let other: TestTenant;

useTenant((x) => ({ app, t, other } = x), { other: true });

describe("access tokens", () => {
  test("the secret is shown once; only its hash is stored; a revoked token stops working at once", async () => {
    const created = await app.gql<{ createAccessToken: { secret: string; token: any } }>(
      t.adminToken,
      `mutation { createAccessToken(input: { name: "second admin", scope: "admin", expiresInDays: 30 }) { secret token { id name scope prefix active expiresAt } } }`,
    );
    const { secret, token } = created.data!.createAccessToken;
    expect(secret).toMatch(/^rst_admin_[A-Za-z0-9_-]{43}$/);
    expect(secret.startsWith(token.prefix)).toBe(true);
    expect(token).toMatchObject({ name: "second admin", scope: "admin", active: true });
    expect(new Date(token.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 86400_000);
    const rows = await app.dataSource.query("SELECT * FROM access_tokens WHERE id = ?", [token.id]);
    expect(JSON.stringify(rows)).not.toContain(secret);
    expect(rows[0].secretHash).toMatch(/^[0-9a-f]{64}$/);

    const works = await app.gql<{ organisation: { id: string } }>(secret, `{ organisation { id } }`);
    expect(works.data!.organisation.id).toBe(t.organisation.id);
    const list = await app.gql<{ accessTokens: Record<string, unknown>[] }>(t.adminToken, `{ accessTokens { id name prefix lastUsedAt } }`);
    expect(list.data!.accessTokens.find((x) => x.id === token.id)?.lastUsedAt).toBeTruthy();
    expect(JSON.stringify(list)).not.toContain(secret);

    await app.gql(t.adminToken, `mutation($id: ID!) { revokeAccessToken(id: $id) { revokedAt active } }`, { id: token.id });
    const refused = await app.gql(secret, `{ organisation { id } }`);
    expect(refused.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
  });

  test("a check that read the token before a revocation through this instance committed does not keep it trusted", async () => {
    const { secret } = await app.services.tokens.create(t.ctx, { name: "in flight", scope: "admin" });
    const inFlight = app.services.tokens.check(secret, "admin"); // reads the row, as it was before the revocation
    app.services.tokens.forget({ tokenId: "the revocation, committing meanwhile" });
    expect(await inFlight).toMatchObject({ ok: true });
    const again = await app.statementsOfCall(() => app.services.tokens.check(secret, "admin"));
    expect(again.result).toMatchObject({ ok: true });
    // Read again, not answered from what the in-flight check read (it was not cached).
    expect(again.statements.filter((q) => /FROM access_tokens/.test(q))).toHaveLength(1);
  });

  test("another organisation's token cannot be revoked or seen", async () => {
    const theirs = (await app.gql<{ accessTokens: { id: string }[] }>(other.adminToken, `{ accessTokens { id } }`)).data!.accessTokens[0];
    const r = await app.gql(t.adminToken, `mutation($id: ID!) { revokeAccessToken(id: $id) { id } }`, { id: theirs.id });
    expect(r.errors?.[0].extensions?.code).toBe("NOT_FOUND");
    const mine = await app.gql<{ accessTokens: { id: string }[] }>(t.adminToken, `{ accessTokens { id } }`);
    expect(mine.data!.accessTokens.map((x) => x.id)).not.toContain(theirs.id);
  });

  test("a bad scope is refused before anything is written", async () => {
    const r = await app.gql(t.adminToken, `mutation { createAccessToken(input: { name: "x", scope: "root" }) { secret } }`);
    expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "scope" });
  });
});

describe("roles", () => {
  test("built-ins exist, cannot be renamed or deleted; custom roles have unique names", async () => {
    const roles = await app.gql<{ roles: { name: string; builtIn: boolean; id: string }[] }>(t.adminToken, `{ roles { id name builtIn } }`);
    expect(roles.data!.roles.map((r) => [r.name, r.builtIn])).toEqual([["admin", true], ["member", true]]);
    const admin = roles.data!.roles[0];
    expect((await app.gql(t.adminToken, `mutation($id: ID!) { deleteRole(id: $id) }`, { id: admin.id })).errors?.[0].extensions?.code).toBe("FORBIDDEN");
    expect((await app.gql(t.adminToken, `mutation($id: ID!) { updateRole(id: $id, input: { name: "boss" }) { id } }`, { id: admin.id })).errors?.[0].extensions?.code).toBe("FORBIDDEN");

    const c = await app.gql<{ createRole: { id: string; permissions: string[] } }>(t.adminToken, `mutation { createRole(input: { name: "Auditor", description: "reads", permissions: ["audit:read", "audit:read"] }) { id permissions } }`);
    expect(c.data!.createRole.permissions).toEqual(["audit:read"]);
    expect((await app.gql(t.adminToken, `mutation { createRole(input: { name: "AUDITOR" }) { id } }`)).errors?.[0].extensions).toMatchObject({ code: "CONFLICT", field: "name" });
    expect((await app.gql(t.adminToken, `mutation { createRole(input: { name: "x", permissions: ["no spaces allowed"] }) { id } }`)).errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "permissions" });

    const u = await app.services.users.create(t.ctx, { userName: "auditor@r.test", roles: ["auditor"] });
    const bystander = await app.services.users.create(t.ctx, { userName: "not-an-auditor@r.test" });
    await new Promise((r) => setTimeout(r, 5));
    await app.gql(t.adminToken, `mutation($id: ID!) { deleteRole(id: $id) }`, { id: c.data!.createRole.id });
    // Its holders changed: their roles, version and updatedAt; nobody else did.
    const after = await app.gql<{ holder: { roles: unknown[]; version: number; updatedAt: string }; bystander: { version: number } }>(
      t.adminToken,
      `query($id: ID!, $other: ID!) { holder: user(id: $id) { roles { name } version updatedAt } bystander: user(id: $other) { version } }`,
      { id: u.id, other: bystander.id },
    );
    expect(after.data!.holder).toMatchObject({ roles: [], version: u.version + 1 });
    expect(Date.parse(after.data!.holder.updatedAt)).toBeGreaterThan(u.updatedAt.getTime());
    expect(after.data!.bystander.version).toBe(bystander.version);
  });
});

describe("custom fields", () => {
  test("a new organisation starts with the seed documents' fields", async () => {
    const r = await app.gql<{ customFieldDefinitions: { key: string; type: string }[] }>(t.adminToken, `{ customFieldDefinitions { key type } }`);
    expect(r.data!.customFieldDefinitions.map((d) => d.key)).toEqual(["area", "custom_1", "custom_2", "custom_3", "department", "location", "position"]);
    expect(new Set(r.data!.customFieldDefinitions.map((d) => d.type))).toEqual(new Set(["string"]));
  });

  test("an input's field defaults apply to an input given as a variable, as to one written inline", async () => {
    const define = `mutation($i: DefineCustomFieldInput!) { defineCustomField(input: $i) { key type } }`;
    const byVariable = await app.gql<{ defineCustomField: { key: string; type: string } }>(t.adminToken, define, { i: { key: "vartype" } });
    expect(byVariable.errors).toBeUndefined();
    expect(byVariable.data!.defineCustomField).toEqual({ key: "vartype", type: "string" });
    const inline = await app.gql<{ defineCustomField: { key: string; type: string } }>(t.adminToken, `mutation { defineCustomField(input: { key: "inlinetype" }) { key type } }`);
    expect(inline.data!.defineCustomField).toEqual({ key: "inlinetype", type: "string" });
  });

  test("the definition's audit event holds the values stored (multiValued a boolean on both databases)", async () => {
    const def = await app.gql<{ defineCustomField: { id: string } }>(t.adminToken, `mutation { defineCustomField(input: { key: "auditedDef", type: "number" }) { id } }`);
    const [event] = (await app.services.audit.list(t.ctx, { resourceId: def.data!.defineCustomField.id }, { first: 5 })).items;
    expect(event).toMatchObject({ action: "customField.defined", changes: { key: { before: null, after: "auditedDef" }, type: { before: null, after: "number" }, multiValued: { before: null, after: false } } });
  });

  test("managedBy: identityProvider by default; an admin sets it on define or update, audited, moving the version; nobody else can", async () => {
    const tenant = await app.tenant();
    const READ = `{ customFieldDefinitions { key managedBy version } }`;
    const read = async (key: string) => (await app.gql<{ customFieldDefinitions: { key: string; managedBy: string; version: number }[] }>(tenant.adminToken, READ)).data!.customFieldDefinitions.find((d) => d.key === key);
    expect(await read("area")).toEqual({ key: "area", managedBy: "identityProvider", version: 1 });
    const SET = `mutation($v: CustomFieldManagedBy!, $e: Int) { updateCustomField(key: "area", input: { managedBy: $v }, expectedVersion: $e) { managedBy version } }`;

    // Refused: no token, a SCIM token, a signed-in user who is not an admin, a value that is not one, a stale version.
    expect((await app.gql(null, SET, { v: "product" })).errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    expect((await app.gql(tenant.scimToken, SET, { v: "product" })).errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    const key = makeSelfSignedCert("okta");
    await configureSaml(app, tenant, key);
    const viewer = await app.services.users.create(tenant.ctx, { userName: "viewer@fields.test" });
    const { browser } = await samlSignIn(app, tenant, key, viewer.userName);
    expect((await browser.post("/graphql").send({ query: SET, variables: { v: "product" } }).expect(200)).body.errors[0].extensions.code).toBe("FORBIDDEN");
    expect((await app.gql(tenant.adminToken, SET, { v: "idp" })).errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect((await app.gql(tenant.adminToken, SET, { v: "product", e: 2 })).errors?.[0].extensions?.code).toBe("CONFLICT");
    expect(await read("area")).toEqual({ key: "area", managedBy: "identityProvider", version: 1 });

    const set = await app.gql<{ updateCustomField: { managedBy: string; version: number } }>(tenant.adminToken, SET, { v: "product", e: 1 });
    expect(set.data!.updateCustomField).toEqual({ managedBy: "product", version: 2 });
    await app.gql(tenant.adminToken, SET, { v: "product" }); // no change: same version, no event
    expect(await read("area")).toEqual({ key: "area", managedBy: "product", version: 2 });
    const defined = await app.gql<{ defineCustomField: { id: string; managedBy: string; version: number } }>(tenant.adminToken, `mutation { defineCustomField(input: { key: "badge", managedBy: product }) { id managedBy version } }`);
    expect(defined.data!.defineCustomField).toMatchObject({ managedBy: "product", version: 1 });
    const events = await app.gql<{ auditEvents: { nodes: { action: string; source: string; changes: any }[] } }>(
      tenant.adminToken,
      `{ auditEvents(filter: { resourceType: "CustomFieldDefinition" }) { nodes { action source changes } } }`,
    );
    expect(events.data!.auditEvents.nodes.find((e) => e.action === "customField.updated")).toEqual({ action: "customField.updated", source: "graphql", changes: { managedBy: { before: "identityProvider", after: "product" } } });
    expect(events.data!.auditEvents.nodes.filter((e) => e.action === "customField.updated")).toHaveLength(1);
    expect(events.data!.auditEvents.nodes.find((e) => e.action === "customField.defined")!.changes.managedBy).toEqual({ before: null, after: "product" });
    // Another organisation's field is its own.
    expect((await app.gql<{ customFieldDefinitions: { key: string; managedBy: string }[] }>(other.adminToken, READ)).data!.customFieldDefinitions.find((d) => d.key === "area")!.managedBy).toBe("identityProvider");
  });

  test("define, update and delete; keys are unique and well-formed; enum needs options; type is fixed", async () => {
    const def = await app.gql<{ defineCustomField: any }>(t.adminToken, `mutation { defineCustomField(input: { key: "grade", label: "Grade", type: "enum", options: ["A", "B"] }) { key label type options multiValued } }`);
    expect(def.data!.defineCustomField).toEqual({ key: "grade", label: "Grade", type: "enum", options: ["A", "B"], multiValued: false });
    expect((await app.gql(t.adminToken, `mutation { defineCustomField(input: { key: "grade" }) { key } }`)).errors?.[0].extensions?.code).toBe("CONFLICT");
    // In any letter case, on every database (SQLite's index is case-exact), as values are written.
    expect((await app.gql(t.adminToken, `mutation { defineCustomField(input: { key: "GRADE", type: "boolean" }) { key } }`)).errors?.[0].extensions?.code).toBe("CONFLICT");
    const byOtherCase = await app.gql<{ updateCustomField: { key: string; label: string } }>(t.adminToken, `mutation { updateCustomField(key: "Grade", input: { label: "Grade" }) { key label } }`);
    expect(byOtherCase.data!.updateCustomField).toEqual({ key: "grade", label: "Grade" });
    expect((await app.gql(t.adminToken, `mutation { defineCustomField(input: { key: "1bad" }) { key } }`)).errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "key" });
    expect((await app.gql(t.adminToken, `mutation { defineCustomField(input: { key: "e", type: "enum" }) { key } }`)).errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "options" });
    // Options that values could not tell apart (any letter case), or longer than a value may be.
    for (const options of ['["x", "X"]', `["${"o".repeat(2049)}"]`]) {
      expect((await app.gql(t.adminToken, `mutation { defineCustomField(input: { key: "e", type: "enum", options: ${options} }) { key } }`)).errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "options" });
    }
    const upd = await app.gql<{ updateCustomField: any }>(t.adminToken, `mutation { updateCustomField(key: "grade", input: { label: "Pay grade", options: ["A", "B", "C"] }) { label options } }`);
    expect(upd.data!.updateCustomField).toEqual({ label: "Pay grade", options: ["A", "B", "C"] });
    const u = await app.services.users.create(t.ctx, { userName: "graded@cf.test", customFields: { grade: "c" } });
    expect((await app.services.users.details(t.ctx, [u])).get(u.id)!.customFields).toEqual({ grade: "C" });
    // An option a user holds cannot be removed (nobody could set that value again); the others can.
    const dropHeld = await app.gql(t.adminToken, `mutation { updateCustomField(key: "grade", input: { options: ["A", "B"] }) { options } }`);
    expect(dropHeld.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "options" });
    expect(dropHeld.errors?.[0].message).toContain('"C"');
    expect((await app.gql<{ updateCustomField: any }>(t.adminToken, `mutation { updateCustomField(key: "grade", input: { options: ["a", "C"] }) { options } }`)).data!.updateCustomField).toEqual({ options: ["a", "C"] });
    await new Promise((r) => setTimeout(r, 5));
    await app.gql(t.adminToken, `mutation { deleteCustomField(key: "grade") }`);
    expect((await app.services.users.details(t.ctx, [u])).get(u.id)!.customFields).toEqual({});
    // The holder's values changed: a new version and updatedAt.
    const holder = await app.services.users.get(t.ctx, u.id);
    expect(holder.version).toBe(u.version + 1);
    expect(holder.updatedAt.getTime()).toBeGreaterThan(u.updatedAt.getTime());
    const gone = await app.gql(t.adminToken, `mutation { updateCustomField(key: "grade", input: { label: "x" }) { key } }`);
    expect(gone.errors?.[0].extensions?.code).toBe("NOT_FOUND");
  });
});

describe("organisation", () => {
  test("read and update the caller's organisation only; audit events filter by action and source", async () => {
    const r = await app.gql<{ updateOrganisation: any }>(t.adminToken, `mutation { updateOrganisation(input: { name: "Renamed", scimEnabled: false }) { id name scimEnabled slug } }`);
    expect(r.data!.updateOrganisation).toMatchObject({ id: t.organisation.id, name: "Renamed", scimEnabled: false });
    const theirs = await app.gql<{ organisation: { name: string } }>(other.adminToken, `{ organisation { name } }`);
    expect(theirs.data!.organisation.name).toBe("Test organisation");
    const bad = await app.gql(t.adminToken, `mutation { updateOrganisation(input: { slug: "Not A Slug" }) { id } }`);
    expect(bad.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    const taken = await app.gql(t.adminToken, `mutation($s: String!) { updateOrganisation(input: { slug: $s }) { id } }`, { s: other.organisation.slug });
    expect(taken.errors?.[0].extensions?.code).toBe("CONFLICT");
    const events = await app.gql<{ auditEvents: { nodes: { action: string; source: string; changes: any }[] } }>(t.adminToken, `{ auditEvents(filter: { action: "organisation.updated", source: "graphql" }) { nodes { action source changes } } }`);
    expect(events.data!.auditEvents.nodes).toEqual([{ action: "organisation.updated", source: "graphql", changes: { name: { before: "Test organisation", after: "Renamed" }, scimEnabled: { before: true, after: false } } }]);
    await app.gql(t.adminToken, `mutation { updateOrganisation(input: { scimEnabled: true }) { id } }`);
  });

  test("rolesManagedBy: identityProvider by default; an admin changes it through updateOrganisation, audited; nobody else can", async () => {
    const tenant = await app.tenant();
    const read = async () => (await app.gql<{ organisation: { rolesManagedBy: string } }>(tenant.adminToken, `{ organisation { rolesManagedBy } }`)).data!.organisation.rolesManagedBy;
    const SET = `mutation($v: RolesManagedBy!) { updateOrganisation(input: { rolesManagedBy: $v }) { rolesManagedBy } }`;
    expect(await read()).toBe("identityProvider");

    // Refused: no token, a SCIM token, a signed-in user who is not an admin, a value that is not one.
    expect((await app.gql(null, SET, { v: "product" })).errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    expect((await app.gql(tenant.scimToken, SET, { v: "product" })).errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    const key = makeSelfSignedCert("okta");
    await configureSaml(app, tenant, key);
    const viewer = await app.services.users.create(tenant.ctx, { userName: "viewer@roles.test" });
    const { browser } = await samlSignIn(app, tenant, key, viewer.userName);
    const asViewer = await browser.post("/graphql").send({ query: SET, variables: { v: "product" } }).expect(200);
    expect(asViewer.body.errors[0].extensions.code).toBe("FORBIDDEN");
    expect((await app.gql(tenant.adminToken, SET, { v: "idp" })).errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(await read()).toBe("identityProvider");

    const set = await app.gql<{ updateOrganisation: { rolesManagedBy: string } }>(tenant.adminToken, SET, { v: "product" });
    expect(set.data!.updateOrganisation.rolesManagedBy).toBe("product");
    expect(await read()).toBe("product");
    await app.gql(tenant.adminToken, SET, { v: "product" }); // no change: no event
    const events = await app.gql<{ auditEvents: { nodes: { action: string; source: string; changes: any }[] } }>(
      tenant.adminToken,
      `{ auditEvents(filter: { action: "organisation.updated" }) { nodes { action source changes } } }`,
    );
    expect(events.data!.auditEvents.nodes).toEqual([{ action: "organisation.updated", source: "graphql", changes: { rolesManagedBy: { before: "identityProvider", after: "product" } } }]);
    // Another organisation's setting is its own.
    expect((await app.gql<{ organisation: { rolesManagedBy: string } }>(other.adminToken, `{ organisation { rolesManagedBy } }`)).data!.organisation.rolesManagedBy).toBe("identityProvider");
  });

  test("a slug an organisation gave up stays reserved to it (its IdP may still send sign-ins there): no other organisation takes it, by rename or creation; it can take it back", async () => {
    const [first, second, third] = ["one", "two", "three"].map((n) => `gave-${n}-${process.pid}`);
    const b = await app.tenant(first);
    const a = await app.tenant();
    const rename = (who: string, slug: string) => app.gql<{ updateOrganisation: { slug: string } }>(who, `mutation($s: String!) { updateOrganisation(input: { slug: $s }) { slug } }`, { s: slug });
    expect((await rename(b.adminToken, second)).data!.updateOrganisation.slug).toBe(second);

    const taken = await rename(a.adminToken, first);
    expect(taken.errors?.[0].extensions?.code).toBe("CONFLICT");
    expect(taken.errors?.[0].message).toMatch(/belonged to another organisation and stays reserved to it/);
    expect((await app.gql<{ organisation: { slug: string } }>(a.adminToken, `{ organisation { slug } }`)).data!.organisation.slug).toBe(a.organisation.slug);
    await expect(app.services.organisations.create({ actor: { type: "system", id: null, label: "t" }, source: "cli", requestId: "t" }, { slug: first, name: "Squatter" })).rejects.toMatchObject({ code: "CONFLICT" });

    // b takes its first slug back; the one it leaves is now reserved to it.
    expect((await rename(b.adminToken, first)).data!.updateOrganisation.slug).toBe(first);
    expect((await rename(a.adminToken, second)).errors?.[0].extensions?.code).toBe("CONFLICT");
    expect((await rename(a.adminToken, third)).data!.updateOrganisation.slug).toBe(third);
    expect((await rename(b.adminToken, second)).data!.updateOrganisation.slug).toBe(second);
  });
});
