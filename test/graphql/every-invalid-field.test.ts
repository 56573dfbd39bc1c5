import type { TestApp, TestTenant } from "../support/test-app";
import { useTenant } from "../support/test-tenant";

// A form sends every field at once: a refusal names every invalid field (extensions.fields, each with
// its message), not only the first, so that one answer marks them all. A single invalid field keeps
// the answer it always had: `field` and the message.

let app: TestApp;
let t: TestTenant;

useTenant((x) => ({ app, t } = x));
beforeAll(async () => {
  await app.services.customFields.define(t.ctx, { key: "level", label: "Level", type: "number" });
});

const createUser = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }";
const countUsers = async (text: string) => (await app.gql<{ users: { totalCount: number } }>(t.adminToken, `{ users(filter: { text: ${JSON.stringify(text)} }) { totalCount } }`)).data!.users.totalCount;

describe("every invalid field in one answer", () => {
  test("the domain's rules: a blank userName, a bad profileUrl and a second bad email, all named; nothing written", async () => {
    const r = await app.gql(t.adminToken, createUser, {
      i: { userName: "   ", profileUrl: "javascript:alert(1)", emails: [{ value: "fine@every.test" }, { value: "also-fine@every.test", primary: true }, { value: "third@every.test", primary: true }] },
    });
    expect(r.errors).toHaveLength(1);
    const e = r.errors![0];
    expect(e.extensions).toEqual({
      code: "BAD_USER_INPUT",
      field: "userName",
      fields: [
        { field: "userName", message: "userName must not be empty" },
        { field: "profileUrl", message: "profileUrl must be an http:// or https:// URL" },
        { field: "emails", message: "at most one of emails can be primary" },
      ],
    });
    expect(e.message).toBe("userName must not be empty; profileUrl must be an http:// or https:// URL; at most one of emails can be primary");
    expect(await countUsers("every.test")).toBe(0);
  });

  test("the items of lists: each failing field with its path, not only the first", async () => {
    const r = await app.gql(t.adminToken, createUser, { i: { userName: "shape@every.test", emails: [{ value: "not-an-email" }], phoneNumbers: [{ value: "" }], title: "t".repeat(300) } });
    const e = r.errors![0];
    expect(e.extensions?.code).toBe("BAD_USER_INPUT");
    expect(e.extensions?.fields?.map((f) => f.field)).toEqual(["title", "emails.0.value", "phoneNumbers.0.value"]);
    expect(e.extensions?.field).toBe("title");
    for (const f of e.extensions!.fields!) expect(e.message).toContain(f.message);
    expect(await countUsers("shape@every.test")).toBe(0);
  });

  test("custom field values: an unknown key and a value of the wrong type, both named", async () => {
    const created = await app.gql<{ createUser: { id: string } }>(t.adminToken, "mutation { createUser(input: { userName: \"custom@every.test\" }) { id } }");
    const id = created.data!.createUser.id;
    const r = await app.gql(t.adminToken, "mutation($id: ID!, $v: JSONObject!) { setCustomFieldValues(userId: $id, values: $v) { id } }", { id, v: { level: "high", shoeSize: 42 } });
    expect(r.errors![0].extensions).toEqual({
      code: "BAD_USER_INPUT",
      field: "customFields.level",
      fields: [
        { field: "customFields.level", message: '"level" expects a number, got "high"' },
        { field: "customFields.shoeSize", message: 'no custom field "shoeSize" is defined in this organisation' },
      ],
    });
  });

  test("a custom field definition, a role and the organisation: every invalid field of each", async () => {
    const field = await app.gql(t.adminToken, "mutation { defineCustomField(input: { key: \"lives9\", label: \" \", type: \"string\", options: [\"a\"] }) { id } }");
    expect(field.errors![0].extensions?.fields?.map((f) => f.field)).toEqual(["label", "options"]);
    const role = await app.gql(t.adminToken, "mutation { createRole(input: { name: \" \", permissions: [\"ok.read\", \"not ok\"] }) { id } }");
    expect(role.errors![0].extensions?.fields?.map((f) => f.field)).toEqual(["name", "permissions"]);
    const org = await app.gql(t.adminToken, "mutation { updateOrganisation(input: { name: \"\", slug: \"-Bad-\" }) { slug } }");
    expect(org.errors![0].extensions?.fields?.map((f) => f.field)).toEqual(["name", "slug"]);
    // Nothing of it was written.
    const after = await app.gql<{ organisation: { name: string; slug: string }; roles: { name: string }[]; customFieldDefinitions: { key: string }[] }>(
      t.adminToken,
      "{ organisation { name slug } roles { name } customFieldDefinitions { key } }",
    );
    expect(after.data!.organisation).toEqual({ name: t.organisation.name, slug: t.organisation.slug });
    expect(after.data!.customFieldDefinitions.map((d) => d.key)).not.toContain("lives9");
  });

  test("one invalid field answers as it always did: field and message, no list", async () => {
    const r = await app.gql(t.adminToken, createUser, { i: { userName: "   " } });
    expect(r.errors![0].extensions).toEqual({ code: "BAD_USER_INPUT", field: "userName" });
    expect(r.errors![0].message).toBe("userName must not be empty");
  });
});

// The input types' own checks (class-validator) run before the resolver. Those that repeated a domain
// rule (lengths, formats) are the domain's alone; those that stay (a list's bound, a null where null
// means nothing, a member's type) are reported with the domain's problems with the other fields.
// Before, a form learned the first kind only, and had to save again to learn the second.
describe("every invalid field in one answer, whichever layer found it", () => {
  const fieldsOf = (r: { errors?: { extensions?: { fields?: { field: string }[] } }[] }) => r.errors?.[0].extensions?.fields?.map((f) => f.field);
  const names = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  test("createUser: lengths and formats the input type checked, with the domain's rules, in the input's order; nothing written", async () => {
    const r = await app.gql(t.adminToken, createUser, {
      i: { userName: "   ", name: { givenName: "g".repeat(300) }, title: "t".repeat(300), profileUrl: "javascript:alert(1)", emails: [{ value: "layers@every.test", primary: true }, { value: "not-an-email" }], phoneNumbers: [{ value: "+1 555", type: "t".repeat(65) }] },
    });
    expect(r.errors).toHaveLength(1);
    expect(r.errors![0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(fieldsOf(r)).toEqual(["userName", "name.givenName", "title", "profileUrl", "emails.1.value", "phoneNumbers.0.type"]);
    expect(r.errors![0].extensions?.field).toBe("userName");
    expect(await countUsers("layers@every.test")).toBe(0);
  });

  test("createUser: a list over its bound (checked before its items) with the other fields' problems", async () => {
    const emails = names(51, "bound").map((n) => ({ value: `${n}@every.test` }));
    const r = await app.gql(t.adminToken, createUser, { i: { userName: "  ", title: "t".repeat(300), emails } });
    expect(r.errors![0].extensions?.fields).toEqual([
      { field: "userName", message: "userName must not be empty" },
      { field: "title", message: "title is at most 255 characters" },
      { field: "emails", message: "at most 50 emails" },
    ]);
    expect(r.errors![0].message).toBe("userName must not be empty; title is at most 255 characters; at most 50 emails");
  });

  test("updateUser: a null where null means nothing, with the domain's rules; the user is unchanged", async () => {
    const created = await app.gql<{ createUser: { id: string; version: number } }>(t.adminToken, 'mutation { createUser(input: { userName: "update-layers@every.test" }) { id version } }');
    const { id, version } = created.data!.createUser;
    const r = await app.gql(t.adminToken, "mutation($id: ID!, $i: UpdateUserInput!) { updateUser(id: $id, input: $i) { id } }", {
      id,
      i: { externalId: "x".repeat(300), active: null, profileUrl: "data:text/html,x", phoneNumbers: [{ value: "+1 555", display: "d".repeat(256) }] },
    });
    expect(fieldsOf(r)).toEqual(["externalId", "active", "profileUrl", "phoneNumbers.0.display"]);
    expect(r.errors![0].extensions?.fields?.[1]).toEqual({ field: "active", message: "active cannot be null: leave it out to keep it" });
    const after = await app.gql<{ user: { version: number; externalId: string | null } }>(t.adminToken, "query($id: ID!) { user(id: $id) { version externalId } }", { id });
    expect(after.data!.user).toEqual({ version, externalId: null });
  });

  test("createGroup and updateGroup: the name, the externalId and a member's type, the member named by its place; nothing written", async () => {
    const user = await app.services.users.create(t.ctx, { userName: "member@every.test" });
    const r = await app.gql(t.adminToken, "mutation($i: CreateGroupInput!) { createGroup(input: $i) { id } }", {
      i: { displayName: "   ", externalId: "e".repeat(300), members: [{ id: user.id }, { id: user.id, type: "robot" }] },
    });
    expect(fieldsOf(r)).toEqual(["displayName", "externalId", "members.1.type"]);
    expect(r.errors![0].extensions?.fields?.[2]).toEqual({ field: "members.1.type", message: "type must be one of the following values: user, group" });
    // One bad member alone: named by its place, as addGroupMembers names it (it had been `members`).
    const one = await app.gql(t.adminToken, "mutation($i: CreateGroupInput!) { createGroup(input: $i) { id } }", { i: { displayName: "One bad member", members: [{ id: user.id }, { id: user.id, type: "robot" }] } });
    expect(one.errors![0].extensions).toEqual({ code: "BAD_USER_INPUT", field: "members.1.type" });
    const group = await app.services.groups.create(t.ctx, { displayName: "Layers" });
    const u = await app.gql(t.adminToken, "mutation($id: ID!) { updateGroup(id: $id, input: { displayName: \"  \", externalId: \"" + "e".repeat(300) + "\" }) { id } }", { id: group.id });
    expect(fieldsOf(u)).toEqual(["displayName", "externalId"]);
    const groups = await app.gql<{ groups: { nodes: { displayName: string; externalId: string | null; version: number }[] } }>(t.adminToken, "{ groups { nodes { displayName externalId version } } }");
    expect(groups.data!.groups.nodes.map((g) => g.displayName)).not.toContain("One bad member");
    expect(groups.data!.groups.nodes.find((g) => g.displayName === "Layers")).toEqual({ displayName: "Layers", externalId: null, version: group.version });
  });

  test("a custom field definition: the key and type, with the label; the options' bound with the others", async () => {
    const define = "mutation($i: DefineCustomFieldInput!) { defineCustomField(input: $i) { key options } }";
    const r = await app.gql(t.adminToken, define, { i: { key: "9lives", type: "colour", label: " " } });
    expect(fieldsOf(r)).toEqual(["key", "type", "label"]);
    const over = await app.gql(t.adminToken, define, { i: { key: "shade", type: "enum", label: " ", options: names(1001, "o") } });
    expect(over.errors![0].extensions?.fields).toEqual([
      { field: "label", message: "label must be 1-255 characters" },
      { field: "options", message: "an enum field has at most 1000 options" },
    ]);
    // One bound, the domain's: 1,000 options (GraphQL had refused more than 500).
    const defined = await app.gql<{ defineCustomField: { options: string[] } }>(t.adminToken, define, { i: { key: "shade", type: "enum", options: names(1000, "o") } });
    expect(defined.errors).toBeUndefined();
    expect(defined.data!.defineCustomField.options).toHaveLength(1000);
    const update = "mutation($i: UpdateCustomFieldInput!) { updateCustomField(key: \"shade\", input: $i) { options version } }";
    const u = await app.gql(t.adminToken, update, { i: { label: "  ", options: names(1001, "o"), managedBy: null } });
    expect(fieldsOf(u)).toEqual(["label", "options", "managedBy"]);
    expect(u.errors![0].extensions?.fields?.[1].message).toBe("an enum field has at most 1000 options");
    const updated = await app.gql<{ updateCustomField: { options: string[]; version: number } }>(t.adminToken, update, { i: { options: names(800, "p") } });
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateCustomField).toEqual({ options: names(800, "p"), version: 2 });
    // The domain's own rules of an update, every one at once: the label and the options (it had stopped at the label).
    const both = await app.gql(t.adminToken, update, { i: { label: " ", options: ["a", "A"] } });
    expect(fieldsOf(both)).toEqual(["label", "options"]);
  });

  test("a role: the name's and description's lengths with the permissions; the permissions' bound with the name", async () => {
    const r = await app.gql(t.adminToken, "mutation($i: CreateRoleInput!) { createRole(input: $i) { id } }", { i: { name: "r".repeat(129), description: "d".repeat(1025), permissions: ["ok.read", "not ok"] } });
    expect(r.errors![0].extensions?.fields).toEqual([
      { field: "name", message: "role name must be 1-128 characters" },
      { field: "description", message: "description is at most 1024 characters" },
      { field: "permissions", message: 'invalid permission "not ok": use letters, digits and . : _ - *' },
    ]);
    const role = await app.services.roles.create(t.ctx, { name: "layered" });
    const update = "mutation($id: ID!, $i: UpdateRoleInput!) { updateRole(id: $id, input: $i) { id } }";
    const bound = await app.gql(t.adminToken, update, { id: role.id, i: { name: " ", permissions: names(201, "p") } });
    expect(bound.errors![0].extensions?.fields).toEqual([
      { field: "name", message: "role name must be 1-128 characters" },
      { field: "permissions", message: "a role has at most 200 permissions" },
    ]);
    // The domain's rules of an update, every one at once (it had stopped at the name).
    const both = await app.gql(t.adminToken, update, { id: role.id, i: { name: " ", permissions: ["not ok"] } });
    expect(fieldsOf(both)).toEqual(["name", "permissions"]);
    const roles = await app.gql<{ roles: { name: string; version: number }[] }>(t.adminToken, "{ roles { name version } }");
    expect(roles.data!.roles.find((x) => x.name.startsWith("r".repeat(10)))).toBeUndefined();
    expect(roles.data!.roles.find((x) => x.name === "layered")?.version).toBe(role.version);
  });

  test("the organisation: the slug's format with a blank name; a null flag with the domain's rules", async () => {
    const update = "mutation($i: UpdateOrganisationInput!) { updateOrganisation(input: $i) { slug } }";
    const r = await app.gql(t.adminToken, update, { i: { name: "   ", slug: "Not a slug!" } });
    expect(fieldsOf(r)).toEqual(["name", "slug"]);
    const flag = await app.gql(t.adminToken, update, { i: { name: "n".repeat(256), scimEnabled: null } });
    expect(flag.errors![0].extensions?.fields).toEqual([
      { field: "name", message: "name must be 1-255 characters" },
      { field: "scimEnabled", message: "scimEnabled cannot be null: leave it out to keep it" },
    ]);
    const after = await app.gql<{ organisation: { name: string; slug: string; version: number } }>(t.adminToken, "{ organisation { name slug version } }");
    expect(after.data!.organisation).toMatchObject({ name: t.organisation.name, slug: t.organisation.slug });
  });

  test("one invalid field a former input check found answers as ever: field and message, no list", async () => {
    const r = await app.gql(t.adminToken, createUser, { i: { userName: "single@every.test", title: "t".repeat(300) } });
    expect(r.errors![0].extensions).toEqual({ code: "BAD_USER_INPUT", field: "title" });
    expect(r.errors![0].message).toBe("title is at most 255 characters");
    const bound = await app.gql(t.adminToken, createUser, { i: { userName: "single@every.test", emails: names(51, "e").map((n) => ({ value: `${n}@every.test` })) } });
    expect(bound.errors![0].extensions).toEqual({ code: "BAD_USER_INPUT", field: "emails" });
  });
});
