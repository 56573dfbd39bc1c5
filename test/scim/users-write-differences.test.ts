import { CORE_USER, ENTERPRISE, patchOp, scimClient, type ScimClient } from "../support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { testDriver } from "../support/test-database";
import type { Body } from "./scim-fixtures";

// A write of a user's emails, phone numbers or roles writes only the rows that differ from those it
// held: rows that stay keep their ids and are not touched (Okta PUTs every user on each profile push,
// mostly with the same lists), and users' copies of their own rows (users.ownDetails) stay equal to
// the tables.

let app: TestApp;
let t: TestTenant;
let c: ScimClient;

beforeAll(async () => {
  app = await startTestApp();
  t = await app.tenant();
  c = scimClient(app.url, t.scimToken);
  for (const name of ["Auditor", "Support"]) await app.services.roles.create(t.ctx, { name });
});
afterAll(() => app?.close());

/** An Okta-shaped full user, as its PUT of each profile push sends it. */
const okta = (userName: string, overrides: Record<string, unknown> = {}) => ({
  schemas: [CORE_USER, ENTERPRISE],
  userName,
  externalId: `00u-${userName}`,
  name: { givenName: "Isabella", familyName: "Ramirez" },
  displayName: "Isabella Ramirez",
  active: true,
  emails: [
    { value: userName, type: "work", primary: true },
    { value: `home-${userName}`, type: "home" },
  ],
  phoneNumbers: [{ value: "+1 555 0100", type: "mobile" }],
  roles: [{ value: "member" }, { value: "Auditor" }],
  [ENTERPRISE]: { department: "Tours" },
  ...overrides,
});

/** The user's contact rows and role ids as the tables hold them. */
async function stored(userId: string) {
  const contacts = (await app.dataSource.query(`SELECT * FROM user_contacts WHERE userId = ?`, [userId])) as Body[];
  const roles = (await app.dataSource.query("SELECT roleId FROM role_assignments WHERE userId = ?", [userId])) as { roleId: string }[];
  return {
    contacts: contacts.map((x) => [x.id, x.kind, Number(x.position), x.value, x.valueKey, x.type ?? null, x.display ?? null, Number(x.primary)]).sort(byId),
    roleIds: roles.map((r) => r.roleId).sort(),
  };
}

/** The same, as the user's copy (users.ownDetails) holds them. */
async function copied(userId: string) {
  const [row] = (await app.dataSource.query("SELECT ownDetails FROM users WHERE id = ?", [userId])) as { ownDetails: unknown }[];
  const own = (typeof row.ownDetails === "string" ? JSON.parse(row.ownDetails) : row.ownDetails) as unknown[][] | null;
  expect(own).not.toBeNull();
  return {
    contacts: own!.filter((r) => r[0] === "c").map(([, n, id, kind, value, valueKey, type, display, primary]) => [id, kind, n, value, valueKey, type, display, primary]).sort(byId),
    roleIds: own!.filter((r) => r[0] === "r").map((r) => String(r[2])).sort(),
  };
}

const byId = (a: unknown[], b: unknown[]) => String(a[0]).localeCompare(String(b[0]));

/** The statements that wrote contacts or role assignments. */
const relatedWrites = (statements: string[]) => statements.filter((s) => /^\s*(INSERT|UPDATE|DELETE)\b/i.test(s) && /\b(user_contacts|role_assignments)\b/.test(s));
/** A request's answer, and the statements it sent (request-statements.ts says what is left out). */
async function sent<T>(request: () => Promise<T>): Promise<[T, string[]]> {
  const { result, statements } = await app.statementsOf(request);
  return [result, statements];
}

const contactIds = async (userId: string) => (await stored(userId)).contacts.map((x) => x[0]);

test("a PUT naming the same emails, phone numbers and roles writes none of their rows: they keep their ids", async () => {
  const u = await c.post("/Users", okta("same@wd.test"));
  expect(u.status).toBe(201);
  const before = await stored(u.body.id);
  expect(before.contacts).toHaveLength(3);
  expect(before.roleIds).toHaveLength(2);

  const [same, sameStatements] = await sent(() => c.put(`/Users/${u.body.id}`, okta("same@wd.test")));
  expect(same.status).toBe(200);
  // Nothing changed: nothing is written at all (the lock and the details are read, and that is all).
  expect(sameStatements.filter((s) => /^\s*(INSERT|UPDATE|DELETE)\b/i.test(s))).toEqual([]);

  // With another attribute changed (a user row's UPDATE and an audit event), the lists are still not written.
  const [renamed, renamedStatements] = await sent(() => c.put(`/Users/${u.body.id}`, okta("same@wd.test", { displayName: "Isa Ramirez" })));
  expect(renamed.status).toBe(200);
  expect(relatedWrites(renamedStatements)).toEqual([]);
  expect(await stored(u.body.id)).toEqual(before);
  expect(await copied(u.body.id)).toEqual(before);
  expect(renamed.body.emails).toEqual(u.body.emails);
  expect(renamed.body.roles).toEqual(u.body.roles);
});

test("a PUT that changes one email updates that row alone, in one statement; a role added or dropped is one INSERT or one DELETE; every other row keeps its id", async () => {
  const u = await c.post("/Users", okta("one@wd.test"));
  const id = u.body.id as string;
  const ids = await contactIds(id);

  const changed = okta("one@wd.test", { emails: [{ value: "one@wd.test", type: "work", primary: true }, { value: "elsewhere@wd.test", type: "home" }] });
  const [r, rStatements] = await sent(() => c.put(`/Users/${id}`, changed));
  expect(r.status).toBe(200);
  // The changed row is updated in place: the same ids, the new value.
  expect(await contactIds(id)).toEqual(ids);
  expect(relatedWrites(rStatements)).toEqual([expect.stringMatching(/^UPDATE user_contacts SET .* WHERE id = \?$/)]);
  // (SCIM shows primary: false as today: the flag is stored for every row.)
  const shown = [{ value: "one@wd.test", type: "work", primary: true }, { value: "elsewhere@wd.test", type: "home", primary: false }];
  expect(r.body.emails).toEqual(shown);
  expect((await c.get(`/Users/${id}`)).body.emails).toEqual(shown);

  const [more, moreStatements] = await sent(() => c.put(`/Users/${id}`, { ...changed, roles: [{ value: "member" }, { value: "Auditor" }, { value: "Support" }] }));
  expect(more.body.roles.map((x: Body) => x.value)).toEqual(["Auditor", "member", "Support"]);
  expect(relatedWrites(moreStatements)).toEqual([expect.stringMatching(/^INSERT INTO role_assignments\b/)]);
  const [fewer, fewerStatements] = await sent(() => c.put(`/Users/${id}`, { ...changed, roles: [{ value: "Support" }] }));
  expect(fewer.body.roles.map((x: Body) => x.value)).toEqual(["Support"]);
  expect(relatedWrites(fewerStatements)).toEqual([expect.stringMatching(/^DELETE FROM role_assignments\b/)]);
  expect(await contactIds(id)).toEqual(ids);
  expect(await copied(id)).toEqual(await stored(id));
});

test("a PUT that changes a value, reorders, moves primary, removes one and adds one: SCIM shows exactly what was sent, the copy equals the tables", async () => {
  const created = okta("mix@wd.test", {
    emails: [
      { value: "mix@wd.test", type: "work", primary: true },
      { value: "b@wd.test", type: "home" },
      { value: "c@wd.test", type: "other", display: "C" },
    ],
    phoneNumbers: [
      { value: "+1 555 0111", type: "work" },
      { value: "+1 555 0222", type: "mobile", primary: true },
    ],
  });
  const u = await c.post("/Users", created);
  const id = u.body.id as string;
  const before = await stored(id);
  const idOf = (value: string) => before.contacts.find((x) => x[3] === value)![0];

  const emails = [
    { value: "c@wd.test", type: "other", primary: true, display: "C" }, // moved first, now primary
    { value: "mix@wd.test", type: "work" }, // no longer primary
    { value: "B2@wd.test", type: "home" }, // its value changed
    { value: "new@wd.test", type: "work" }, // added
  ];
  const phoneNumbers = [{ value: "+1 555 0222", type: "mobile", primary: true }]; // the other removed
  const [r, rStatements] = await sent(() => c.put(`/Users/${id}`, { ...created, emails, phoneNumbers, roles: [{ value: "Auditor" }, { value: "Support" }] }));
  expect(r.status).toBe(200);
  // One UPDATE of the four rows that changed, one DELETE, one INSERT of contacts; one of each for roles.
  expect(relatedWrites(rStatements).map((s) => s.split(" ").slice(0, 3).join(" ")).sort()).toEqual(
    ["DELETE FROM role_assignments", "DELETE FROM user_contacts", "INSERT INTO role_assignments", "INSERT INTO user_contacts", "UPDATE user_contacts SET"].sort(),
  );

  // As sent, in its order; SCIM shows an element's primary flag whether true or false (as today).
  const expectedEmails = emails.map((e) => ({ ...e, primary: e.primary ?? false }));
  const view = (await c.get(`/Users/${id}`)).body;
  for (const shown of [r.body, view]) {
    expect(shown.emails).toEqual(expectedEmails);
    expect(shown.phoneNumbers).toEqual(phoneNumbers);
    expect(shown.roles.map((x: Body) => x.value)).toEqual(["Auditor", "Support"]);
  }
  expect(r.body).toEqual(view);

  const after = await stored(id);
  expect(await copied(id)).toEqual(after);
  const ids = after.contacts.map((x) => x[0]);
  // The rows kept or updated keep their ids; the removed phone's row is gone; one new row.
  for (const value of ["mix@wd.test", "c@wd.test", "+1 555 0222"]) expect(ids).toContain(idOf(value));
  expect(ids).toContain(idOf("b@wd.test")); // now B2@wd.test
  expect(ids).not.toContain(idOf("+1 555 0111"));
  expect(ids.filter((x) => !before.contacts.some((b) => b[0] === x))).toHaveLength(1);
  // Lookups by the new and changed values find the user; by the removed or replaced ones, not.
  const found = async (filter: string) => (await c.get(`/Users?filter=${encodeURIComponent(filter)}`)).body.totalResults;
  expect(await found('emails.value eq "b2@wd.test"')).toBe(1);
  expect(await found('emails.value eq "new@wd.test"')).toBe(1);
  expect(await found('emails.value eq "b@wd.test"')).toBe(0);

  // Once more from the tables alone (no copy): the same view, and the write stores the copy again.
  await app.dataSource.query("UPDATE users SET ownDetails = NULL WHERE id = ?", [id]);
  expect((await c.get(`/Users/${id}`)).body).toEqual(view);
  const swapped = await c.put(`/Users/${id}`, { ...created, emails: [emails[1], emails[0]], phoneNumbers: [] });
  expect(swapped.body.emails.map((e: Body) => e.value)).toEqual(["mix@wd.test", "c@wd.test"]);
  expect(swapped.body.phoneNumbers).toBeUndefined();
  expect(await copied(id)).toEqual(await stored(id));
  expect((await stored(id)).contacts.map((x) => x[0]).sort()).toEqual([idOf("mix@wd.test"), idOf("c@wd.test")].sort());
});

test("PATCH and GraphQL writes go the same way: one changed row, ids kept, the copy equal to the tables", async () => {
  const u = await c.post("/Users", okta("paths@wd.test"));
  const id = u.body.id as string;
  const ids = await contactIds(id);
  const [p, pStatements] = await sent(() => c.patch(`/Users/${id}`, patchOp({ op: "replace", path: 'emails[type eq "home"].value', value: "patched@wd.test" })));
  expect(p.status).toBe(200);
  expect(relatedWrites(pStatements)).toHaveLength(1);
  expect(p.body.emails.map((e: Body) => e.value)).toEqual(["paths@wd.test", "patched@wd.test"]);
  // GraphQL's update reads the contacts it replaces from the tables (no SCIM view before it).
  const [g, gStatements] = await sent(() => app.gql(t.adminToken, `mutation($id: ID!) { updateUser(id: $id, input: { emails: [{ value: "patched@wd.test", type: "home", primary: true }, { value: "paths@wd.test", type: "work" }] }) { emails { value primary } } }`, { id }));
  expect(g.errors).toBeUndefined();
  expect(relatedWrites(gStatements)).toEqual([expect.stringMatching(/^UPDATE user_contacts SET .*CASE id/)]);
  expect((await c.get(`/Users/${id}`)).body.emails).toEqual([
    { value: "patched@wd.test", type: "home", primary: true },
    { value: "paths@wd.test", type: "work", primary: false },
  ]);
  expect(await contactIds(id)).toEqual(ids);
  expect(await copied(id)).toEqual(await stored(id));
});

test("an Okta push: 24 users PUT at once, each with one email changed and a role added or dropped, all answered 200 with their rows in step", async () => {
  const users = await Promise.all(Array.from({ length: 24 }, async (_, i) => (await c.post("/Users", okta(`push-${i}@wd.test`))).body.id as string));
  const rounds = testDriver() === "mariadb" ? 3 : 1;
  for (let round = 0; round < rounds; round++) {
    const answers = await Promise.all(
      users.map((id, i) =>
        c.put(`/Users/${id}`, okta(`push-${i}@wd.test`, {
          emails: [{ value: `push-${i}@wd.test`, type: "work", primary: true }, { value: `home-${round}-${i}@wd.test`, type: "home" }],
          roles: round % 2 ? [{ value: "member" }, { value: "Auditor" }] : [{ value: "member" }, { value: "Auditor" }, { value: "Support" }],
        })),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(users.map(() => 200));
  }
  for (const [i, id] of users.entries()) {
    expect(await copied(id)).toEqual(await stored(id));
    expect((await c.get(`/Users/${id}`)).body.emails[1].value).toBe(`home-${rounds - 1}-${i}@wd.test`);
  }
});
