import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";

// A form sends every field at once: a refusal names every invalid field (extensions.fields, each with
// its message), not only the first, so that one answer marks them all. A single invalid field keeps
// the answer it always had: `field` and the message.

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startTestApp();
  t = await app.tenant();
  await app.services.customFields.define(t.ctx, { key: "level", label: "Level", type: "number" });
});
afterAll(() => app.close());

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

  test("the input types' own checks (class-validator): each failing field with its path, not only the first", async () => {
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
