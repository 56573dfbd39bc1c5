import { USER_FIELD_COLUMNS } from "../../src/graphql/users/user.resolver";
import type { TestApp, TestTenant } from "../support/test-app";
import { useTenant } from "../support/test-tenant";

let app: TestApp;
let t: TestTenant;
let other: TestTenant;

useTenant((x) => ({ app, t, other } = x), { other: true });

const USER_FIELDS = `id userName externalId active displayName version name { givenName familyName formatted }
  emails { value type primary } phoneNumbers { value type } addresses { locality country type }
  roles { name } customFields manager { id userName } groups { id displayName } department employeeNumber`;

async function createUser(token: string, input: Record<string, unknown>) {
  return app.gql<{ createUser: Record<string, any> }>(token, `mutation($input: CreateUserInput!) { createUser(input: $input) { ${USER_FIELDS} } }`, { input });
}

describe("users through GraphQL", () => {
  test("every operation needs a token, introspection too (however it is spelled); a caller may introspect", async () => {
    const r = await app.gql(null, "{ users { totalCount } }");
    expect(r.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    const wrongScope = await app.gql(t.scimToken, "{ users { totalCount } }");
    expect(wrongScope.errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
    for (const query of [
      "{ __schema { queryType { name } } }",
      '{ __type(name: "User") { fields { name } } }',
      "query { ...F } fragment F on Query { s: __schema { types { name } } }",
      "{ __typename users { totalCount } __schema { queryType { name } } }",
    ]) {
      for (const token of [null, t.scimToken]) {
        const intro = await app.gql(token, query);
        expect([query, intro.data ?? null, intro.errors?.[0].extensions?.code]).toEqual([query, null, "UNAUTHENTICATED"]);
        expect(intro.errors?.[0].message).toMatch(/introspection needs an admin token/);
      }
    }
    // Answered as any anonymous operation is: 200 with the error, never a 500.
    const raw = await fetch(`${app.url}/graphql`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: "{ __schema { queryType { name } } }" }) });
    expect(raw.status).toBe(200);
    // __typename describes nothing: it stays as open as before.
    expect(await app.gql(null, "{ __typename }")).toMatchObject({ data: { __typename: "Query" } });
    const asAdmin = await app.gql<{ __schema: { queryType: { name: string } } }>(t.adminToken, "{ __schema { queryType { name } } }");
    expect([asAdmin.errors, asAdmin.data?.__schema.queryType.name]).toEqual([undefined, "Query"]);
  });

  test("a list over the domain's bound (emails, phoneNumbers, addresses: 50; roles: 1,000) is refused as BAD_USER_INPUT naming the list, before its items are validated and before any SQL", async () => {
    // 20,000 items, the last one invalid: the bound is what is reported, not the item (emails.19999.value).
    const many = <T>(item: (i: number) => T, last: T, n = 20_000) => [...Array.from({ length: n - 1 }, (_, i) => item(i)), last];
    const cases: [string, Record<string, unknown>, string][] = [
      ["emails", { emails: many((i) => ({ value: `e${i}@many.test` }), { value: "not-an-email" }) }, "at most 50 emails"],
      ["phoneNumbers", { phoneNumbers: many((i) => ({ value: `+1 555 ${i}` }), { value: "" }) }, "at most 50 phoneNumbers"],
      ["addresses", { addresses: many((i) => ({ locality: `Town ${i}` }), { locality: "x".repeat(300) }) }, "at most 50 addresses"],
      ["roles", { roles: Array.from({ length: 40_000 }, (_, i) => `role-${i}`) }, "at most 1000 roles in one request"],
    ];
    const { id } = (await createUser(t.adminToken, { userName: "lists@many.test" })).data!.createUser;
    for (const [field, lists, message] of cases) {
      const { result, statements } = await app.statementsOf(async () => [
        await createUser(t.adminToken, { userName: `${field}@many.test`, ...lists }),
        await app.gql(t.adminToken, "mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }", { id, input: lists }),
      ]);
      for (const r of result) expect([field, r.errors?.[0].message, r.errors?.[0].extensions]).toEqual([field, message, { code: "BAD_USER_INPUT", field }]);
      // Refused by validation: nothing of the users or their lists was read or written.
      expect(statements.filter((q) => /\b(users|user_contacts|roles|user_roles)\b/i.test(q))).toEqual([]);
    }
    const at50 = await createUser(t.adminToken, { userName: "fifty@many.test", emails: Array.from({ length: 50 }, (_, i) => ({ value: `f${i}@many.test` })) });
    expect(at50.data?.createUser.emails).toHaveLength(50);
  });

  test("create with every kind of attribute, then read it back", async () => {
    const boss = await createUser(t.adminToken, { userName: "boss@acme.test" });
    const r = await createUser(t.adminToken, {
      userName: "Jane.Doe@acme.test",
      externalId: "ext-jane",
      displayName: "Jane Doe",
      name: { givenName: "Jane", familyName: "Doe", formatted: "Jane Doe" },
      emails: [{ value: "jane@acme.test", type: "work", primary: true }, { value: "jd@home.test", type: "home" }],
      phoneNumbers: [{ value: "+44 20 7946 0000", type: "work" }],
      addresses: [{ locality: "London", country: "GB", type: "work" }],
      roles: ["ADMIN"],
      customFields: { area: "North", location: "HQ" },
      department: "Sales",
      employeeNumber: "E-1",
      managerId: boss.data!.createUser.id,
    });
    expect(r.errors).toBeUndefined();
    const u = r.data!.createUser;
    expect(u).toMatchObject({
      userName: "Jane.Doe@acme.test",
      externalId: "ext-jane",
      active: true,
      version: 1,
      name: { givenName: "Jane", familyName: "Doe", formatted: "Jane Doe" },
      emails: [{ value: "jane@acme.test", type: "work", primary: true }, { value: "jd@home.test", type: "home", primary: false }],
      phoneNumbers: [{ value: "+44 20 7946 0000", type: "work" }],
      addresses: [{ locality: "London", country: "GB", type: "work" }],
      roles: [{ name: "admin" }],
      customFields: { area: "North", location: "HQ" },
      manager: { userName: "boss@acme.test" },
      department: "Sales",
    });
    const read = await app.gql<{ user: Record<string, any> }>(t.adminToken, `query($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`, { id: u.id });
    expect(read.data!.user).toEqual(u);
  });

  test("userName is unique per organisation in any letter case; another organisation may reuse it", async () => {
    await createUser(t.adminToken, { userName: "dup@acme.test" });
    const again = await createUser(t.adminToken, { userName: "DUP@ACME.TEST" });
    expect(again.errors?.[0].extensions).toMatchObject({ code: "CONFLICT", field: "userName" });
    const elsewhere = await createUser(other.adminToken, { userName: "dup@acme.test" });
    expect(elsewhere.errors).toBeUndefined();
  });

  test("externalId is unique per organisation when set", async () => {
    await createUser(t.adminToken, { userName: "x1@acme.test", externalId: "same" });
    const r = await createUser(t.adminToken, { userName: "x2@acme.test", externalId: "same" });
    expect(r.errors?.[0].extensions).toMatchObject({ code: "CONFLICT", field: "externalId" });
    const noExt1 = await createUser(t.adminToken, { userName: "x3@acme.test" });
    const noExt2 = await createUser(t.adminToken, { userName: "x4@acme.test" });
    expect(noExt1.errors ?? noExt2.errors).toBeUndefined();
  });

  test.each([
    [{ userName: "" }, "userName"],
    [{ userName: "a@b.c", emails: [{ value: "not-an-email" }] }, "emails"],
    [{ userName: "a@b.c", emails: [{ value: "a@b.c", primary: true }, { value: "d@e.f", primary: true }] }, "emails"],
    [{ userName: "a@b.c", roles: ["no-such-role"] }, "roles"],
    [{ userName: "a@b.c", customFields: { nope: "x" } }, "customFields.nope"],
    [{ userName: "a@b.c", managerId: "00000000-0000-0000-0000-000000000000" }, "managerId"],
    [{ userName: "a@b.c", addresses: Array.from({ length: 51 }, (_, i) => ({ locality: `Town ${i}` })) }, "addresses"],
    [{ userName: "a@b.c", addresses: [{ streetAddress: "x".repeat(1025) }] }, "addresses"],
  ])("bad input %j is refused with BAD_USER_INPUT naming %s, and nothing is written", async (input, field) => {
    const before = await app.gql<{ users: { totalCount: number } }>(t.adminToken, "{ users { totalCount } }");
    const r = await createUser(t.adminToken, input);
    expect(r.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(r.errors?.[0].extensions?.field).toContain(field);
    const after = await app.gql<{ users: { totalCount: number } }>(t.adminToken, "{ users { totalCount } }");
    expect(after.data!.users.totalCount).toBe(before.data!.users.totalCount);
  });

  test("update: omitted fields stay, null clears, lists replace, version increases; expectedVersion guards", async () => {
    const u = (await createUser(t.adminToken, { userName: "upd@acme.test", displayName: "Up", title: "Eng", emails: [{ value: "upd@acme.test" }] })).data!.createUser;
    const r = await app.gql<{ updateUser: Record<string, any> }>(
      t.adminToken,
      `mutation($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input, expectedVersion: 1) { ${USER_FIELDS} title } }`,
      { id: u.id, input: { displayName: null, emails: [{ value: "new@acme.test", primary: true }] } },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.updateUser).toMatchObject({ displayName: null, title: "Eng", version: 2, emails: [{ value: "new@acme.test", primary: true }] });
    const stale = await app.gql(t.adminToken, `mutation($id: ID!) { updateUser(id: $id, input: { title: "x" }, expectedVersion: 1) { id } }`, { id: u.id });
    // A conflict a UI tells from a uniqueness clash without parsing the message, with the version to read again.
    expect(stale.errors?.[0].extensions).toEqual({ code: "CONFLICT", reason: "VERSION_MISMATCH", currentVersion: 2 });
  });

  test("deactivate and reactivate are audited as such", async () => {
    const u = (await createUser(t.adminToken, { userName: "leaver@acme.test" })).data!.createUser;
    const d = await app.gql<{ deactivateUser: { active: boolean } }>(t.adminToken, `mutation($id: ID!) { deactivateUser(id: $id) { active } }`, { id: u.id });
    expect(d.data!.deactivateUser.active).toBe(false);
    const inactive = await app.gql<{ users: { nodes: { userName: string }[] } }>(t.adminToken, `{ users(filter: { active: false }) { nodes { userName } } }`);
    expect(inactive.data!.users.nodes.map((n) => n.userName)).toContain("leaver@acme.test");
    await app.gql(t.adminToken, `mutation($id: ID!) { reactivateUser(id: $id) { active } }`, { id: u.id });
    const events = await app.gql<{ auditEvents: { nodes: { action: string; source: string; changes: any }[] } }>(
      t.adminToken,
      `query($id: ID!) { auditEvents(filter: { resourceId: $id }) { nodes { action source changes } } }`,
      { id: u.id },
    );
    expect(events.data!.auditEvents.nodes.map((e) => e.action)).toEqual(["user.reactivated", "user.deactivated", "user.created"]);
    expect(events.data!.auditEvents.nodes[1]).toMatchObject({ source: "graphql", changes: { active: { before: true, after: false } } });
  });

  test("another organisation's user is NOT_FOUND, never its data", async () => {
    const theirs = (await createUser(other.adminToken, { userName: "secret@other.test" })).data!.createUser;
    const read = await app.gql<{ user: unknown }>(t.adminToken, `query($id: ID!) { user(id: $id) { id } }`, { id: theirs.id });
    expect(read.data!.user).toBeNull();
    for (const m of ["updateUser(id: $id, input: { title: \"x\" }) { id }", "deactivateUser(id: $id) { id }", "deleteUser(id: $id)", "assignRoles(userId: $id, roles: [\"admin\"]) { id }"]) {
      const r = await app.gql(t.adminToken, `mutation($id: ID!) { ${m} }`, { id: theirs.id });
      expect(r.errors?.[0].extensions?.code).toBe("NOT_FOUND");
    }
    const asManager = await createUser(t.adminToken, { userName: "m@acme.test", managerId: theirs.id });
    expect(asManager.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "managerId" });
    const list = await app.gql<{ users: { nodes: { userName: string }[] } }>(t.adminToken, `{ users(first: 500) { nodes { userName } } }`);
    expect(list.data!.users.nodes.map((n) => n.userName)).not.toContain("secret@other.test");
  });

  test("roles: assign and unassign by name, in any case", async () => {
    const u = (await createUser(t.adminToken, { userName: "roles@acme.test" })).data!.createUser;
    const a = await app.gql<{ assignRoles: { roles: { name: string }[] } }>(t.adminToken, `mutation($id: ID!) { assignRoles(userId: $id, roles: ["Member", "admin"]) { roles { name } } }`, { id: u.id });
    expect(a.data!.assignRoles.roles.map((r) => r.name)).toEqual(["admin", "member"]);
    const un = await app.gql<{ unassignRoles: { roles: { name: string }[] } }>(t.adminToken, `mutation($id: ID!) { unassignRoles(userId: $id, roles: ["ADMIN"]) { roles { name } } }`, { id: u.id });
    expect(un.data!.unassignRoles.roles.map((r) => r.name)).toEqual(["member"]);
    const byRole = await app.gql<{ users: { nodes: { userName: string }[] } }>(t.adminToken, `{ users(filter: { role: "member" }) { nodes { userName } } }`);
    expect(byRole.data!.users.nodes.map((n) => n.userName)).toEqual(["roles@acme.test"]);
  });

  test("roles: 40,000 names in one request are refused as BAD_USER_INPUT (on SQLite they were a 500: too many SQL variables); an error names 20 unknown roles and counts the rest", async () => {
    const u = (await createUser(t.adminToken, { userName: "many-roles@acme.test" })).data!.createUser;
    const names = Array.from({ length: 40_000 }, (_, i) => `role-${i}`);
    for (const m of ["assignRoles", "unassignRoles"]) {
      const r = await app.gql(t.adminToken, `mutation($id: ID!, $roles: [String!]!) { ${m}(userId: $id, roles: $roles) { id } }`, { id: u.id, roles: names });
      expect(r.errors?.[0]).toMatchObject({ message: "at most 1000 roles in one request", extensions: { code: "BAD_USER_INPUT", field: "roles" } });
    }
    const unknown = await app.gql(t.adminToken, `mutation($id: ID!, $roles: [String!]!) { assignRoles(userId: $id, roles: $roles) { id } }`, { id: u.id, roles: names.slice(0, 30) });
    expect(unknown.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(unknown.errors?.[0].message).toBe(`no role named ${names.slice(0, 20).map((n) => JSON.stringify(n)).join(", ")} and 10 more in this organisation`);
  });

  test("assignRoles' and unassignRoles' roles over 1,000 (distinct, or one name repeated) are refused as BAD_USER_INPUT naming roles before any SQL; 1,000 work", async () => {
    const u = (await createUser(t.adminToken, { userName: "roles-bound@acme.test" })).data!.createUser;
    const change = (m: string, roles: string[]) =>
      app.gql<Record<string, { roles: { name: string }[] }>>(t.adminToken, `mutation($id: ID!, $roles: [String!]!) { ${m}(userId: $id, roles: $roles) { roles { name } } }`, { id: u.id, roles });
    const overs = [Array.from({ length: 1_001 }, (_, i) => `role-${i}`), Array<string>(40_000).fill("member")];
    for (const m of ["assignRoles", "unassignRoles"]) {
      for (const roles of overs) {
        const { result: r, statements } = await app.statementsOf(() => change(m, roles));
        expect([m, roles.length, r.errors?.[0].message, r.errors?.[0].extensions]).toEqual([m, roles.length, "at most 1000 roles in one request", { code: "BAD_USER_INPUT", field: "roles" }]);
        // Refused by validation: the user was not read (assignRoles locked it first) nor the roles looked up.
        expect(statements.filter((q) => /\b(users|roles|role_assignments)\b/i.test(q))).toEqual([]);
      }
    }
    const atBound = Array<string>(1_000).fill("Member");
    expect((await change("assignRoles", atBound)).data?.assignRoles.roles.map((r) => r.name)).toEqual(["member"]);
    expect((await change("unassignRoles", atBound)).data?.unassignRoles.roles).toEqual([]);
  });

  test("custom field values are validated against their definitions", async () => {
    await app.gql(t.adminToken, `mutation { defineCustomField(input: { key: "level", type: "number" }) { key } }`);
    await app.gql(t.adminToken, `mutation { defineCustomField(input: { key: "skills", type: "enum", multiValued: true, options: ["TS", "SQL"] }) { key } }`);
    const u = (await createUser(t.adminToken, { userName: "cf@acme.test" })).data!.createUser;
    const set = (values: unknown) =>
      app.gql<{ setCustomFieldValues: { customFields: Record<string, unknown> } }>(t.adminToken, `mutation($id: ID!, $v: JSONObject!) { setCustomFieldValues(userId: $id, values: $v) { customFields } }`, { id: u.id, v: values });
    const ok = await set({ level: "3", skills: ["ts", "SQL"], area: "West" });
    expect(ok.data!.setCustomFieldValues.customFields).toEqual({ level: 3, skills: ["TS", "SQL"], area: "West" });
    expect((await set({ level: "high" })).errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "customFields.level" });
    expect((await set({ skills: ["Cobol"] })).errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "customFields.skills" });
    expect((await set({ area: ["a", "b"] })).errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "customFields.area" });
    // A date is a day of the calendar (Date.parse rolls February 30th over to March).
    await app.gql(t.adminToken, `mutation { defineCustomField(input: { key: "hired", type: "date" }) { key } }`);
    for (const bad of ["2024-02-30", "2023-02-29", "2024-13-01", "2024-04-31"]) expect((await set({ hired: bad })).errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "customFields.hired" });
    expect((await set({ hired: "2024-02-29" })).data!.setCustomFieldValues.customFields.hired).toBe("2024-02-29");
    await set({ hired: null });
    const cleared = await set({ area: null });
    expect(cleared.data!.setCustomFieldValues.customFields).toEqual({ level: 3, skills: ["TS", "SQL"] });
  });

  test("a number custom field holds a finite JSON number, or a string that is exactly one: hex, spaces, +, '.5', '1.', '1e999', 'NaN', true, {} are refused in every write and in the filter", async () => {
    await app.services.customFields.define(t.ctx, { key: "shoe", type: "number" });
    const u = (await createUser(t.adminToken, { userName: "shoe@acme.test", customFields: { shoe: 42 } })).data!.createUser;
    const set = (values: unknown) =>
      app.gql<{ setCustomFieldValues: { customFields: Record<string, unknown> } }>(t.adminToken, `mutation($id: ID!, $v: JSONObject!) { setCustomFieldValues(userId: $id, values: $v) { customFields } }`, { id: u.id, v: values });
    const bad = ["0x10", "0b11", " 42 ", "42 ", "+42", ".5", "1.", "1e999", "-1e999", "Infinity", "NaN", "4 2", "42abc", true, false, {}];
    for (const v of bad) {
      const refused = [
        await set({ shoe: v }),
        await createUser(t.adminToken, { userName: "shoe-refused@acme.test", customFields: { shoe: v } }),
        await app.gql(t.adminToken, `mutation($id: ID!, $v: JSONObject!) { updateUser(id: $id, input: { customFields: $v }) { id } }`, { id: u.id, v: { shoe: v } }),
      ];
      for (const r of refused) expect([v, r.errors?.[0].extensions?.code, r.errors?.[0].extensions?.field]).toEqual([v, "BAD_USER_INPUT", "customFields.shoe"]);
    }
    // As a literal of the query document, 1e999 is Infinity: refused too.
    expect((await app.gql(t.adminToken, `mutation { setCustomFieldValues(userId: "${u.id}", values: { shoe: 1e999 }) { id } }`)).errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "customFields.shoe" });
    expect((await app.gql(t.adminToken, `{ user(id: "${u.id}") { customFields } }`)).data).toEqual({ user: { customFields: { shoe: 42 } } });
    expect((await app.gql(t.adminToken, `{ users(filter: { userName: "shoe-refused@acme.test" }) { totalCount } }`)).data).toEqual({ users: { totalCount: 0 } });
    // Exactly a JSON number, as a string: that number. "" clears the field, as it does any field.
    expect((await set({ shoe: "-1.5e3" })).data!.setCustomFieldValues.customFields).toEqual({ shoe: -1500 });
    expect((await set({ shoe: 7.25 })).data!.setCustomFieldValues.customFields).toEqual({ shoe: 7.25 });
    const filtered = (value: string) => app.gql<{ users: { nodes: { id: string }[] } }>(t.adminToken, `query($v: String!) { users(filter: { customField: { name: "shoe", value: $v } }) { nodes { id } } }`, { v: value });
    expect((await filtered("7.25")).data!.users.nodes).toEqual([{ id: u.id }]);
    for (const v of ["0x7", " 7.25", "7.25 ", "+7.25", "1e999"]) expect([v, (await filtered(v)).errors?.[0].extensions?.code]).toEqual([v, "BAD_USER_INPUT"]);
    expect((await set({ shoe: "" })).data!.setCustomFieldValues.customFields).toEqual({});
  });

  test("a boolean custom field holds a JSON boolean, a text or enum field a JSON string: 'true', 'False', 42, 1, true are refused in every write, every invalid field named; the filter's text reads 'TRUE'", async () => {
    await app.services.customFields.define(t.ctx, { key: "vip", type: "boolean" });
    await app.services.customFields.define(t.ctx, { key: "nick", type: "string" });
    await app.services.customFields.define(t.ctx, { key: "tier", type: "enum", options: ["1", "Gold"] });
    const u = (await createUser(t.adminToken, { userName: "typed@acme.test", customFields: { vip: true, nick: "Al", tier: "gold" } })).data!.createUser;
    expect(u.customFields).toEqual({ vip: true, nick: "Al", tier: "Gold" });
    const set = (values: unknown) =>
      app.gql<{ setCustomFieldValues: { customFields: Record<string, unknown> } }>(t.adminToken, `mutation($id: ID!, $v: JSONObject!) { setCustomFieldValues(userId: $id, values: $v) { customFields } }`, { id: u.id, v: values });
    const bad: [string, unknown][] = [
      ["vip", "true"], ["vip", "TRUE"], ["vip", "False"], ["vip", 1], ["vip", "yes"],
      ["nick", 42], ["nick", true], ["nick", {}],
      ["tier", 1], ["tier", true],
    ];
    for (const [key, v] of bad) {
      const refused = [
        await set({ [key]: v }),
        await createUser(t.adminToken, { userName: "typed-refused@acme.test", customFields: { [key]: v } }),
        await app.gql(t.adminToken, `mutation($id: ID!, $v: JSONObject!) { updateUser(id: $id, input: { customFields: $v }) { id } }`, { id: u.id, v: { [key]: v } }),
      ];
      for (const r of refused) expect([key, v, r.errors?.[0].extensions?.code, r.errors?.[0].extensions?.field]).toEqual([key, v, "BAD_USER_INPUT", `customFields.${key}`]);
    }
    // Every invalid field at once, as a form sends them.
    const all = await set({ vip: "false", nick: 7, tier: 1 });
    expect(all.errors?.[0].extensions?.fields?.map((f: { field: string }) => f.field)).toEqual(["customFields.vip", "customFields.nick", "customFields.tier"]);
    expect((await app.gql(t.adminToken, `{ user(id: "${u.id}") { customFields } }`)).data).toEqual({ user: { customFields: { vip: true, nick: "Al", tier: "Gold" } } });
    expect((await app.gql(t.adminToken, `{ users(filter: { userName: "typed-refused@acme.test" }) { totalCount } }`)).data).toEqual({ users: { totalCount: 0 } });
    expect((await set({ vip: false, nick: "42", tier: "1" })).data!.setCustomFieldValues.customFields).toEqual({ vip: false, nick: "42", tier: "1" });
    // The filter's value is text (String!): "FALSE" is false there, as it is documented.
    const filtered = (name: string, value: string) => app.gql<{ users: { nodes: { id: string }[] } }>(t.adminToken, `query($n: String!, $v: String!) { users(filter: { customField: { name: $n, value: $v } }) { nodes { id } } }`, { n: name, v: value });
    expect((await filtered("vip", "FALSE")).data!.users.nodes).toEqual([{ id: u.id }]);
    expect((await filtered("tier", "1")).data!.users.nodes).toEqual([{ id: u.id }]);
    expect((await filtered("vip", "maybe")).errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
  });

  test("paging with cursors visits every user once, in userName order; text search", async () => {
    const names = Array.from({ length: 7 }, (_, i) => `page-${String.fromCharCode(103 - i)}@paging.test`);
    for (const n of names) await createUser(t.adminToken, { userName: n, displayName: `Pager ${n}` });
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const r: any = await app.gql(t.adminToken, `query($after: String) { users(first: 3, after: $after, filter: { text: "paging.test" }) { totalCount pageInfo { hasNextPage endCursor } nodes { userName } } }`, { after });
      expect(r.data.users.totalCount).toBe(7);
      seen.push(...r.data.users.nodes.map((n: { userName: string }) => n.userName));
      if (!r.data.users.pageInfo.hasNextPage) break;
      after = r.data.users.pageInfo.endCursor;
    }
    expect(seen).toEqual([...names].sort());
    const bad = await app.gql(t.adminToken, `{ users(first: 100000) { totalCount } }`);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "first" });
  });

  test("an empty page (first: 0) that another follows ends where it began: following it continues there", async () => {
    const filter = `filter: { text: "paging.test" }`;
    const two: any = await app.gql(t.adminToken, `{ users(first: 2, ${filter}) { pageInfo { endCursor } nodes { userName } } }`);
    const after = two.data.users.pageInfo.endCursor;
    const empty: any = await app.gql(t.adminToken, `query($after: String) { users(first: 0, after: $after, ${filter}) { totalCount nodes { userName } pageInfo { hasNextPage endCursor } } }`, { after });
    expect(empty.data.users).toEqual({ totalCount: 7, nodes: [], pageInfo: { hasNextPage: true, endCursor: after } });
    const next: any = await app.gql(t.adminToken, `query($after: String) { users(first: 1, after: $after, ${filter}) { nodes { userName } } }`, { after: empty.data.users.pageInfo.endCursor });
    expect(next.data.users.nodes[0].userName).toBe("page-c@paging.test");
    // At the start, the empty page's null endCursor means the start, which is where it began.
    const atStart: any = await app.gql(t.adminToken, `{ users(first: 0, ${filter}) { pageInfo { hasNextPage endCursor } } }`);
    expect(atStart.data.users.pageInfo).toEqual({ hasNextPage: true, endCursor: null });
    // The audit trail pages the same way.
    const events: any = await app.gql(t.adminToken, `{ auditEvents(first: 1) { pageInfo { endCursor } } }`);
    const emptyEvents: any = await app.gql(t.adminToken, `query($after: String) { auditEvents(first: 0, after: $after) { pageInfo { hasNextPage endCursor } } }`, { after: events.data.auditEvents.pageInfo.endCursor });
    expect(emptyEvents.data.auditEvents.pageInfo).toEqual({ hasNextPage: true, endCursor: events.data.auditEvents.pageInfo.endCursor });
  });

  // Filtered, the page's relations are loaded by ids; unfiltered on MariaDB they come with the page itself.
  test.each([["filtered", true], ["the whole directory", false]])("a page's users carry the same relations as each user read alone, through nodes, edges and fragments (%s)", async (_label, filtered) => {
    const token = filtered ? t.adminToken : (await app.tenant()).adminToken;
    const boss = (await createUser(token, { userName: "lead@relations.test", roles: ["admin"] })).data!.createUser;
    const g = await app.gql<{ createGroup: { id: string } }>(token, `mutation { createGroup(input: { displayName: "Relations" }) { id } }`);
    for (const [i, roles] of [["member"], ["admin", "member"], []].entries()) {
      const u = (await createUser(token, {
        userName: `r${i}@relations.test`,
        emails: [{ value: `r${i}@relations.test`, primary: true }],
        phoneNumbers: i ? [{ value: `+1 555 000${i}` }] : [],
        roles,
        customFields: { area: `area-${i}` },
        managerId: i === 2 ? null : boss.id,
      })).data!.createUser;
      if (i !== 1) await app.gql(token, `mutation($g: ID!, $u: ID!) { addGroupMembers(groupId: $g, members: [{ id: $u }]) { added } }`, { g: g.data!.createGroup.id, u: u.id });
    }
    const alone = await Promise.all(
      ["lead", "r0", "r1", "r2"].map(async (name) => {
        const found = await app.gql<{ users: { nodes: { id: string }[] } }>(token, `query($n: String!) { users(filter: { userName: $n }) { nodes { id } } }`, { n: `${name}@relations.test` });
        return (await app.gql<{ user: Record<string, unknown> }>(token, `query($id: ID!) { user(id: $id) { ${USER_FIELDS} } }`, { id: found.data!.users.nodes[0].id })).data!.user;
      }),
    );
    const page = await app.gql<{ users: { nodes: Record<string, unknown>[]; edges: { node: Record<string, unknown> }[] } }>(
      token,
      `query { users(first: 10${filtered ? `, filter: { text: "relations.test" }` : ""}) { nodes { ...Person } edges { node { ... on User { ${USER_FIELDS} } } } } }
       fragment Person on User { ${USER_FIELDS} }`,
    );
    expect(page.errors).toBeUndefined();
    expect(page.data!.users.nodes).toEqual(alone);
    expect(page.data!.users.edges.map((e) => e.node)).toEqual(alone);
    expect(alone[2]).toMatchObject({ roles: [{ name: "admin" }, { name: "member" }], manager: { userName: "lead@relations.test" }, groups: [], phoneNumbers: [{ value: "+1 555 0001" }] });
  });

  test("a page reads only the columns its fields show, and shows each field as stored whichever others it selects", async () => {
    type Introspected = { name: string; type: { kind: string; name: string | null; ofType: Introspected["type"] | null } };
    const intro = await app.gql<{ __type: { fields: Introspected[] } }>(t.adminToken, `{ __type(name: "User") { fields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`);
    const fields = intro.data!.__type.fields;
    // Every field is known to the column map (an unknown one would read every column: right, but slow).
    expect(fields.map((f) => f.name).filter((n) => !Object.hasOwn(USER_FIELD_COLUMNS, n))).toEqual([]);
    const named = (t: Introspected["type"]): Introspected["type"] => (t.ofType ? named(t.ofType) : t);
    const subfields: Record<string, string> = { User: "{ id userName displayName }" };
    const selectionOf = async (f: Introspected) => {
      const type = named(f.type);
      if (type.kind !== "OBJECT") return f.name;
      if (!subfields[type.name!]) {
        const sub = await app.gql<{ __type: { fields: Introspected[] } }>(t.adminToken, `query($n: String!) { __type(name: $n) { fields { name type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`, { n: type.name });
        subfields[type.name!] = `{ ${sub.data!.__type.fields.filter((s) => named(s.type).kind !== "OBJECT").map((s) => s.name).join(" ")} }`;
      }
      return `${f.name} ${subfields[type.name!]}`;
    };
    const selections = await Promise.all(fields.map(selectionOf));
    const tenant = await app.tenant();
    const token = tenant.adminToken;
    const boss = (await createUser(token, { userName: "cols-boss@columns.test", displayName: "The Boss", title: "CEO" })).data!.createUser;
    for (const userName of ["cols-a@columns.test", "cols-b@columns.test"]) {
      const r = await createUser(token, {
        userName,
        externalId: `ext-${userName}`,
        displayName: "Column Person",
        nickName: "Col",
        title: "Engineer",
        userType: "Employee",
        preferredLanguage: "en-GB",
        locale: "en-GB",
        timezone: "Europe/London",
        profileUrl: "https://example.test/p",
        employeeNumber: "E-7",
        costCenter: "CC",
        organization: "Org",
        division: "Div",
        department: "Dept",
        name: { givenName: "Col", familyName: "Umn", formatted: "Col Umn", middleName: "M", honorificPrefix: "Dr", honorificSuffix: "III" },
        emails: [{ value: userName, type: "work", primary: true }],
        phoneNumbers: [{ value: "+1 555 0100", type: "work" }],
        addresses: [{ locality: "Leeds", country: "GB", type: "work" }],
        roles: ["ADMIN"],
        customFields: { area: "North" },
        managerId: boss.id,
      });
      expect(r.errors).toBeUndefined();
    }
    // The whole directory (one round trip with the details on MariaDB) and a filtered page (read by ids).
    for (const args of ["first: 10", `first: 10, filter: { text: "cols-" }`]) {
      const all = await app.gql<{ users: { nodes: Record<string, unknown>[] } }>(token, `{ users(${args}) { nodes { ${selections.join(" ")} } } }`);
      expect(all.errors).toBeUndefined();
      expect(all.data!.users.nodes).toHaveLength(3);
      expect(all.data!.users.nodes[0]).toMatchObject({ userName: "cols-a@columns.test", title: "Engineer", name: { honorificSuffix: "III" }, manager: { displayName: "The Boss" } });
      for (const [i, field] of fields.entries()) {
        const one = await app.gql<{ users: { nodes: Record<string, unknown>[] } }>(token, `{ users(${args}) { nodes { ${selections[i]} } } }`);
        expect(one.errors).toBeUndefined();
        expect([field.name, one.data!.users.nodes.map((n) => n[field.name])]).toEqual([field.name, all.data!.users.nodes.map((n) => n[field.name])]);
      }
    }
  });

  test("a page's managers show every field the page selects of them, and stay whole wherever else the request shows them", async () => {
    const token = (await app.tenant()).adminToken;
    const chair = (await createUser(token, { userName: "chair@managers.test", displayName: "The Chair", department: "Board" })).data!.createUser;
    const input = { userName: "boss@managers.test", displayName: "The Boss", title: "CEO", department: "Office", employeeNumber: "E-1", roles: ["admin"], emails: [{ value: "boss@managers.test", primary: true }], managerId: chair.id };
    const boss = (await createUser(token, input)).data!.createUser;
    for (const name of ["a", "b"]) await createUser(token, { userName: `${name}@managers.test`, managerId: boss.id });
    // The chair is the boss's manager: read whole as that (its displayName is no field the page selects of managers).
    const WHOLE = "userName displayName title department employeeNumber roles { name } emails { value } manager { userName displayName department }";
    const alone = (await app.gql<{ user: Record<string, unknown> }>(token, `query($id: ID!) { user(id: $id) { ${WHOLE} } }`, { id: boss.id })).data!.user;
    const { result: r, statements } = await app.statementsOf(() =>
      app.gql<{ users: { nodes: any[]; edges: any[] }; user: Record<string, unknown> }>(
        token,
        `query($id: ID!) {
          users(first: 10) { nodes { userName manager { id } boss: manager { ...Boss } } edges { node { manager { ... on User { department } } } } }
          user(id: $id) { ${WHOLE} }
        }
        fragment Boss on User { title employeeNumber roles { name } emails { value } manager { userName displayName department } }`,
        { id: boss.id },
      ),
    );
    expect(r.errors).toBeUndefined();
    const reports = r.data!.users.nodes.filter((n) => n.userName !== "boss@managers.test" && n.userName !== "chair@managers.test");
    expect(reports).toEqual(
      ["a", "b"].map((name) => ({
        userName: `${name}@managers.test`,
        manager: { id: boss.id },
        boss: { title: "CEO", employeeNumber: "E-1", roles: [{ name: "admin" }], emails: [{ value: "boss@managers.test" }], manager: { userName: "chair@managers.test", displayName: "The Chair", department: "Board" } },
      })),
    );
    expect(r.data!.users.nodes.find((n) => n.userName === "boss@managers.test").manager).toEqual({ id: chair.id });
    expect(r.data!.users.nodes.find((n) => n.userName === "chair@managers.test").manager).toBeNull();
    expect(r.data!.users.edges.map((e: any) => e.node.manager?.department ?? null).sort()).toEqual(["Board", "Office", "Office", null]);
    // The same user as a root field, in the same request, shows every field as stored.
    expect(r.data!.user).toEqual(alone);
    expect(alone).toMatchObject({ displayName: "The Boss", department: "Office" });
    // On MariaDB the page's managers come with the page statement: no statement reads them whole.
    if (app.services.db.dialect === "mysql") expect(statements.filter((q) => /SELECT mu\.\*/.test(q))).toEqual([]);
  });

  test("delete removes the user, its memberships and its manager links", async () => {
    const boss = (await createUser(t.adminToken, { userName: "gone-boss@acme.test" })).data!.createUser;
    const report = (await createUser(t.adminToken, { userName: "report@acme.test", managerId: boss.id })).data!.createUser;
    const g = await app.gql<{ createGroup: { id: string } }>(t.adminToken, `mutation($m: [MemberInput!]) { createGroup(input: { displayName: "Deletion", members: $m }) { id } }`, { m: [{ id: boss.id }] });
    const del = await app.gql(t.adminToken, `mutation($id: ID!) { deleteUser(id: $id) }`, { id: boss.id });
    expect(del.errors).toBeUndefined();
    const r = await app.gql<{ user: any; group: any }>(t.adminToken, `query($r: ID!, $g: ID!) { user(id: $r) { manager { id } } group(id: $g) { memberCount } }`, { r: report.id, g: g.data!.createGroup.id });
    expect(r.data).toEqual({ user: { manager: null }, group: { memberCount: 0 } });
  });
});

describe("free-text search on names", () => {
  test("finds a name typed as it is shown, in any case, and accents count, the same on both databases", async () => {
    const tenant = await app.tenant();
    const people: [string, string, string][] = [["ångström@names.test", "Ånders", "Ångström"], ["angstrom@names.test", "Anders", "Angstrom"], ["zoe@names.test", "ZOË", "Łódź"]];
    for (const [userName, givenName, familyName] of people) await app.services.users.create(tenant.ctx, { userName, givenName, familyName, displayName: `${givenName} ${familyName}` });
    const found = async (text: string) => {
      const r = await app.gql<{ users: { nodes: { userName: string }[] } }>(tenant.adminToken, `query($t: String) { users(filter: { text: $t }) { nodes { userName } } }`, { t: text });
      expect(r.errors).toBeUndefined();
      return r.data!.users.nodes.map((n) => n.userName).sort();
    };
    expect(await found("Łódź")).toEqual(["zoe@names.test"]);
    expect(await found("łÓDŹ")).toEqual(["zoe@names.test"]);
    expect(await found("zoë")).toEqual(["zoe@names.test"]);
    expect(await found("ÅNGSTRÖM")).toEqual(["ångström@names.test"]);
    expect(await found("Angstrom")).toEqual(["angstrom@names.test"]);
    // The same columns through a SCIM filter.
    const scim = await fetch(`${app.url}/scim/v2/Users?filter=${encodeURIComponent('name.givenName co "ånd"')}`, { headers: { authorization: `Bearer ${tenant.scimToken}` } });
    expect(((await scim.json()) as { Resources: { userName: string }[] }).Resources.map((u) => u.userName)).toEqual(["ångström@names.test"]);
  });
});

test("profileUrl is an http(s) URL: a javascript: or data: link, which a front end would render, is refused (GraphQL and SCIM)", async () => {
  const tenant = await app.tenant();
  for (const url of ["javascript:alert(1)", " JavaScript:alert(1)", "data:text/html,<script>alert(1)</script>", "//evil.example/p", "vbscript:x"]) {
    const r = await createUser(tenant.adminToken, { userName: `link-${Math.random()}@x.test`, profileUrl: url });
    expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "profileUrl" });
  }
  const scim = await fetch(`${app.url}/scim/v2/Users`, {
    method: "POST",
    headers: { authorization: `Bearer ${tenant.scimToken}`, "content-type": "application/scim+json" },
    body: JSON.stringify({ userName: "scim-link@x.test", profileUrl: "javascript:alert(1)" }),
  });
  expect(scim.status).toBe(400);
  expect(((await scim.json()) as { scimType?: string }).scimType).toBe("invalidValue");
  expect((await createUser(tenant.adminToken, { userName: "ok-link@x.test", profileUrl: "HTTPS://example.test/p" })).errors).toBeUndefined();
});

test("a bad item of a list of inputs is named down to its field, with the constraint's message", async () => {
  const tenant = await app.tenant();
  const bad = async (input: Record<string, unknown>) => (await createUser(tenant.adminToken, { userName: `items-${Math.random()}@x.test`, ...input })).errors?.[0];
  expect(await bad({ emails: [{ value: "ok@x.test" }, { value: "not-an-email" }] })).toMatchObject({ message: expect.stringMatching(/email/), extensions: { code: "BAD_USER_INPUT", field: "emails.1.value" } });
  // An address part's bound is the domain's, as for SCIM (1,024 characters: the addresses are one JSON column).
  expect(await bad({ addresses: [{ country: "c".repeat(1025) }] })).toMatchObject({ message: expect.stringMatching(/country/), extensions: { field: "addresses.0.country" } });
  expect(await bad({ title: "t".repeat(300) })).toMatchObject({ extensions: { field: "title" } });
});

test("an exact filter given an empty string matches nothing, not the whole directory ('is this userName taken?')", async () => {
  const tenant = await app.tenant();
  const someone = await app.services.users.create(tenant.ctx, { userName: "someone@empty.test", externalId: "E1" });
  await app.services.groups.create(tenant.ctx, { displayName: "Somegroup", members: [{ id: someone.id }] });
  for (const filter of ['{ userName: "" }', '{ externalId: "" }', '{ groupId: "" }', '{ role: "" }']) {
    const r = await app.gql<{ users: { totalCount: number } }>(tenant.adminToken, `{ users(filter: ${filter}) { totalCount } }`);
    expect([filter, r.errors, r.data?.users.totalCount]).toEqual([filter, undefined, 0]);
  }
  const groups = await app.gql<{ groups: { totalCount: number } }>(tenant.adminToken, `{ groups(filter: { displayName: "" }) { totalCount } }`);
  expect([groups.errors, groups.data?.groups.totalCount]).toEqual([undefined, 0]);
  expect((await app.gql<{ users: { totalCount: number } }>(tenant.adminToken, `{ users(filter: { text: "" }) { totalCount } }`)).data!.users.totalCount).toBeGreaterThan(0);
});

describe("a document of several mutations", () => {
  // Mutations run one after another, each with its selection: each sees what the ones before it wrote.
  test("a later mutation's selection shows what an earlier one changed (users, roles, custom values)", async () => {
    const boss = await app.services.users.create(t.ctx, { userName: "doc-boss@m.test", title: "Old" });
    const report = await app.services.users.create(t.ctx, { userName: "doc-report@m.test", managerId: boss.id });
    const r = await app.gql<Record<string, any>>(
      t.adminToken,
      `mutation($b: ID!, $c: ID!) {
        a: updateUser(id: $c, input: { department: "d1" }) { manager { title version } }
        b: updateUser(id: $b, input: { title: "New" }) { title version }
        c: updateUser(id: $c, input: { department: "d2" }) { manager { title version } }
        d: assignRoles(userId: $c, roles: ["admin"]) { roles { name } }
        e: unassignRoles(userId: $c, roles: ["admin"]) { roles { name } }
        f: setCustomFieldValues(userId: $c, values: { area: "first" }) { customFields }
        g: setCustomFieldValues(userId: $c, values: { area: "second" }) { customFields }
      }`,
      { b: boss.id, c: report.id },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data!.a.manager).toEqual({ title: "Old", version: boss.version });
    expect(r.data!.c.manager).toEqual({ title: "New", version: r.data!.b.version });
    expect(r.data!.d.roles).toEqual([{ name: "admin" }]);
    expect(r.data!.e.roles).toEqual([]);
    expect(r.data!.f.customFields).toEqual({ area: "first" });
    expect(r.data!.g.customFields).toEqual({ area: "second" });
  });

  test("a group's memberCount after a member is added, then removed", async () => {
    const member = await app.services.users.create(t.ctx, { userName: "doc-member@m.test" });
    const group = await app.services.groups.create(t.ctx, { displayName: "doc-group" });
    const r = await app.gql<Record<string, any>>(
      t.adminToken,
      `mutation($g: ID!, $u: ID!) {
        add: addGroupMembers(groupId: $g, members: [{ id: $u }]) { group { memberCount } }
        remove: removeGroupMembers(groupId: $g, memberIds: [$u]) { group { memberCount } }
      }`,
      { g: group.id, u: member.id },
    );
    expect(r.errors).toBeUndefined();
    expect([r.data!.add.group.memberCount, r.data!.remove.group.memberCount]).toEqual([1, 0]);
  });
});

test("a variable left out inside an input object leaves its field out, as graphql-js does: nothing is cleared", async () => {
  const u = (await createUser(t.adminToken, { userName: "partial-vars@acme.test", title: "Engineer", department: "R&D" })).data!.createUser;
  const update = `mutation($id: ID!, $t: String, $d: String) { updateUser(id: $id, input: { title: $t, department: $d }) { title department } }`;
  const r = await app.gql<{ updateUser: { title: string | null; department: string | null } }>(t.adminToken, update, { id: u.id, d: "Sales" });
  expect(r.errors).toBeUndefined();
  expect(r.data!.updateUser).toEqual({ title: "Engineer", department: "Sales" });
  // Sent as null, it clears.
  const cleared = await app.gql<{ updateUser: { title: string | null } }>(t.adminToken, update, { id: u.id, t: null, d: "Sales" });
  expect(cleared.data!.updateUser.title).toBeNull();
});
