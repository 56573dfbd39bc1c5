import { patchOp, scimClient, type ScimClient, type ScimResult } from "../support/scim-client";
import { testDriver } from "../support/test-database";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { useScimTenant } from "../support/scim-tenant";
import type { Body } from "./scim-fixtures";
import FLAT_READS from "./fixtures/flat-user-reads.json";

// A user's SCIM `groups` lists the groups it is in directly ("type": "direct") and through nested
// groups ("type": "indirect"), each once (RFC 7643 §4.1.2); filters on groups stay direct-only.

let app: TestApp;
let t: TestTenant;
let c: ScimClient;
let n = 0;

useScimTenant((tenant) => ({ app, t, scim: c } = tenant));

const newUser = async (client = c) => {
  const r = await client.post("/Users", { userName: `ind-${++n}@x.test` });
  expect(r.status).toBe(201);
  return { id: r.body.id as string, userName: r.body.userName as string };
};
/** A new group (its name made unique) with these members (users or groups: `type` given for groups). */
async function group(name: string, members: { value: string; type?: string }[] = [], client = c): Promise<{ id: string; name: string }> {
  const r = await client.post("/Groups", { displayName: `${name} ${++n}`, members });
  expect(r.status).toBe(201);
  return { id: r.body.id as string, name: r.body.displayName as string };
}
const asGroup = (g: { id: string }) => ({ value: g.id, type: "Group" });
const asUser = (u: { id: string }) => ({ value: u.id });
const ref = (g: { id: string; name: string }, type: "direct" | "indirect") => ({ value: g.id, $ref: `${app.url}/scim/v2/Groups/${g.id}`, display: g.name, type });
/** What a user's groups say, as (display, type) pairs in order. */
const typesOf = (groups: Body[] | undefined) => (groups ?? []).map((g) => [g.display, g.type]);

/** The statements a request sends (request-statements.ts says what is left out). */
async function statementsOf(request: () => Promise<ScimResult>, status = 200, on = app): Promise<string[]> {
  const { result, statements } = await on.statementsOf(request);
  expect(result.status).toBe(status);
  return statements;
}

/** The probe of whether a user's groups are in groups (beside the group rows, or the details union's `n` part), or the walk above them. */
const NESTING = /group_memberships pm|RECURSIVE/i;

/**
 * A user in two groups of a flat organisation, read every way SCIM reads users: the statements of
 * each request. (fixtures/flat-user-reads.json holds what the code before indirect groups sent.)
 */
async function flatReads(client: ScimClient): Promise<Record<string, string[]>> {
  const u = await newUser(client);
  await group("Flat read 1", [asUser(u)], client);
  await group("Flat read 2", [asUser(u)], client);
  await client.get(`/Users/${u.id}`); // the organisation's roles and custom fields cached
  const filter = (f: string) => encodeURIComponent(f);
  return {
    get: await statementsOf(() => client.get(`/Users/${u.id}`)),
    lookup: await statementsOf(() => client.get(`/Users?filter=${filter(`userName eq "${u.userName}"`)}`)),
    page: await statementsOf(() => client.get(`/Users?count=5&filter=${filter(`userName sw "${u.userName}"`)}`)),
    directory: await statementsOf(() => client.get(`/Users?count=100`)),
    search: await statementsOf(() => client.post("/Users/.search", { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: `userName eq "${u.userName}"` })),
    patch: await statementsOf(() => client.patch(`/Users/${u.id}`, patchOp({ op: "replace", path: "title", value: `t${++n}` }))),
    put: await statementsOf(() => client.put(`/Users/${u.id}`, { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: u.userName, title: `t${++n}` })),
  };
}

describe("a user's groups, direct and indirect", () => {
  test("an organisation without nesting: the groups are as before, each direct", async () => {
    const u = await newUser();
    const [b, a] = [await group("Flat B", [asUser(u)]), await group("Flat A", [asUser(u)])];
    const r = await c.get(`/Users/${u.id}`);
    expect(r.body.groups).toEqual([ref(a, "direct"), ref(b, "direct")]);
  });

  test("a chain A ⊃ B ⊃ user: B direct, A indirect, in GET, a lookup, a list, /.search, PATCH and PUT answers", async () => {
    const u = await newUser();
    const b = await group("Chain B", [asUser(u)]);
    const a = await group("Chain A", [asGroup(b)]);
    const expected = [ref(b, "direct"), ref(a, "indirect")];
    expect((await c.get(`/Users/${u.id}`)).body.groups).toEqual(expected);
    const lookup = await c.get(`/Users?filter=${encodeURIComponent(`userName eq "${u.userName}"`)}`);
    expect(lookup.body.Resources[0].groups).toEqual(expected);
    const list = await c.get(`/Users?count=1000`);
    expect(list.body.Resources.find((r: Body) => r.id === u.id).groups).toEqual(expected);
    const search = await c.post("/Users/.search", { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: `userName eq "${u.userName}"`, attributes: ["groups"] });
    expect(search.body.Resources[0].groups).toEqual(expected);
    const patched = await c.patch(`/Users/${u.id}`, patchOp({ op: "replace", path: "title", value: "Engineer" }));
    expect(patched.status).toBe(200);
    expect(patched.body.groups).toEqual(expected);
    const put = await c.put(`/Users/${u.id}`, { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: u.userName, title: "Lead" });
    expect(put.status).toBe(200);
    expect(put.body.groups).toEqual(expected);
    // Asked for by attributes, and left out by excludedAttributes, as before.
    expect((await c.get(`/Users/${u.id}?attributes=groups.type`)).body.groups).toEqual([{ type: "direct" }, { type: "indirect" }]);
    expect((await c.get(`/Users/${u.id}?excludedAttributes=groups`)).body.groups).toBeUndefined();
  });

  test("a diamond (A ⊃ B, A ⊃ C, B ⊃ D, C ⊃ D ∋ user) lists each group once; three levels up too", async () => {
    const u = await newUser();
    const d = await group("Dia D", [asUser(u)]);
    const [b, cc] = [await group("Dia B", [asGroup(d)]), await group("Dia C", [asGroup(d)])];
    const a = await group("Dia A", [asGroup(b), asGroup(cc)]);
    const top = await group("Dia Top", [asGroup(a), asGroup(d)]);
    expect((await c.get(`/Users/${u.id}`)).body.groups).toEqual([ref(d, "direct"), ref(a, "indirect"), ref(b, "indirect"), ref(cc, "indirect"), ref(top, "indirect")]);
  });

  test("a user direct in A and in B, where A ⊃ B: both direct, never also indirect", async () => {
    const u = await newUser();
    const b = await group("Both B", [asUser(u)]);
    const a = await group("Both A", [asUser(u), asGroup(b)]);
    const above = await group("Both Above", [asGroup(a)]);
    expect(typesOf((await c.get(`/Users/${u.id}`)).body.groups)).toEqual([
      [a.name, "direct"],
      [b.name, "direct"],
      [above.name, "indirect"],
    ]);
  });

  test("a user in more groups than a lookup brings with its row (51): the indirect ones too", async () => {
    const u = await newUser();
    const direct = [];
    for (let i = 0; i < 51; i++) direct.push(await group(`Many ${String(i).padStart(2, "0")}`, [asUser(u)]));
    const above = await group("Many above", [asGroup(direct[50])]);
    const r = await c.get(`/Users/${u.id}`);
    expect(r.body.groups).toHaveLength(52);
    expect(r.body.groups.at(-1)).toEqual(ref(above, "indirect"));
    expect(r.body.groups.filter((g: Body) => g.type === "direct")).toHaveLength(51);
  });

  test("removing a member, a nested group or a group changes the indirect groups", async () => {
    const u = await newUser();
    const b = await group("Change B", [asUser(u)]);
    const a = await group("Change A", [asGroup(b)]);
    const x = await group("Change X", [asGroup(a)]);
    const groups = async () => typesOf((await c.get(`/Users/${u.id}`)).body.groups);
    expect(await groups()).toEqual([
      [b.name, "direct"],
      [a.name, "indirect"],
      [x.name, "indirect"],
    ]);
    // A no longer in X.
    expect((await c.patch(`/Groups/${x.id}`, patchOp({ op: "remove", path: `members[value eq "${a.id}"]` }))).status).toBe(204);
    expect(await groups()).toEqual([
      [b.name, "direct"],
      [a.name, "indirect"],
    ]);
    // X back above A, then A deleted: X is no longer reached.
    expect((await c.patch(`/Groups/${x.id}`, patchOp({ op: "add", path: "members", value: [asGroup(a)] }))).status).toBe(204);
    expect(await groups()).toHaveLength(3);
    expect((await c.delete(`/Groups/${a.id}`)).status).toBe(204);
    expect(await groups()).toEqual([[b.name, "direct"]]);
    // The user removed from B: no groups at all.
    expect((await c.patch(`/Groups/${b.id}`, patchOp({ op: "remove", path: `members[value eq "${u.id}"]` }))).status).toBe(204);
    expect((await c.get(`/Users/${u.id}`)).body.groups).toBeUndefined();
  });

  test("another organisation's groups never appear, even through membership rows that cross organisations", async () => {
    const other = await app.tenant();
    const o = scimClient(app.url, other.scimToken);
    const u = await newUser();
    const b = await group("Mine B", [asUser(u)]);
    const a = await group("Mine A", [asGroup(b)]);
    const theirs = await group("Theirs", [], o);
    const theirsAbove = await group("Theirs above", [asGroup(theirs)], o);
    // Rows no API writes: B in the other organisation's group (scoped to either organisation), and the other organisation's group in A.
    const now = new Date().toISOString().slice(0, 23).replace("T", " ");
    const insert = "INSERT INTO group_memberships (groupId, memberId, organisationId, memberType, createdAt) VALUES (?, ?, ?, 'group', ?)";
    await app.dataSource.query(insert, [theirs.id, b.id, other.organisation.id, now]);
    await app.dataSource.query(insert, [theirsAbove.id, a.id, t.organisation.id, now]);
    expect((await c.get(`/Users/${u.id}`)).body.groups).toEqual([ref(b, "direct"), ref(a, "indirect")]);
    // Their user in their group sees none of ours.
    const v = await newUser(o);
    expect((await o.patch(`/Groups/${theirs.id}`, patchOp({ op: "add", path: "members", value: [asUser(v)] }))).status).toBe(204);
    expect(typesOf((await o.get(`/Users/${v.id}`)).body.groups)).toEqual([
      [theirs.name, "direct"],
      [theirsAbove.name, "indirect"],
    ]);
  });

  test("filters on groups match direct memberships only", async () => {
    const u = await newUser();
    const b = await group("Filter B", [asUser(u)]);
    const a = await group("Filter A", [asGroup(b)]);
    const ids = async (filter: string) => ((await c.get(`/Users?filter=${encodeURIComponent(filter)}`)).body.Resources ?? []).map((r: Body) => r.id);
    expect(await ids(`groups.value eq "${b.id}"`)).toEqual([u.id]);
    expect(await ids(`groups.value eq "${a.id}"`)).toEqual([]);
    expect(await ids(`groups[value eq "${a.id}"]`)).toEqual([]);
  });

  test("/Schemas describes groups with direct and indirect types", async () => {
    const core = await c.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User");
    const groups = core.body.attributes.find((a: Body) => a.name === "groups");
    expect(groups.description).toMatch(/nested groups/);
    expect(groups.description).toMatch(/direct memberships only/);
    const type = groups.subAttributes.find((s: Body) => s.name === "type");
    expect(type).toMatchObject({ canonicalValues: ["direct", "indirect"], mutability: "readOnly" });
    expect(type.description).toMatch(/indirect/);
  });
});

describe("what reading a user's groups costs", () => {
  // Measured on the code before indirect groups: GET /Users/{id}, a lookup by userName, a page (one user, no COUNT), a PATCH.
  const FLAT = testDriver() === "mariadb" ? { get: 1, lookup: 1, page: 2, patch: 4 } : { get: 2, lookup: 2, page: 2, patch: 4 };

  test("an organisation without nesting: byte for byte the statements of before indirect groups, no probe of nesting", async () => {
    // An organisation of its own: the other tests nest groups in theirs.
    const reads = await flatReads(scimClient(app.url, (await app.tenant()).scimToken));
    expect(reads).toEqual(FLAT_READS[testDriver() === "mariadb" ? "mariadb" : "sqlite"]);
    expect({ get: reads.get.length, lookup: reads.lookup.length, page: reads.page.length, patch: reads.patch.length }).toEqual(FLAT);
    expect(Object.values(reads).flat().filter((s) => NESTING.test(s))).toEqual([]);
  });

  test("a user in a nested group: one recursive statement more", async () => {
    const u = await newUser();
    const b = await group("Cost nested B", [asUser(u)]);
    await group("Cost nested A", [asGroup(b)]);
    await c.get(`/Users/${u.id}`);
    const get = await statementsOf(() => c.get(`/Users/${u.id}`));
    const lookup = await statementsOf(() => c.get(`/Users?filter=${encodeURIComponent(`userName eq "${u.userName}"`)}`));
    const page = await statementsOf(() => c.get(`/Users?count=5&filter=${encodeURIComponent(`userName sw "${u.userName}"`)}`));
    const patch = await statementsOf(() => c.patch(`/Users/${u.id}`, patchOp({ op: "replace", path: "title", value: `t${++n}` })));
    expect({ get: get.length, lookup: lookup.length, page: page.length, patch: patch.length }).toEqual({ get: FLAT.get + 1, lookup: FLAT.lookup + 1, page: FLAT.page + 1, patch: FLAT.patch + 1 });
    for (const statements of [get, lookup, page, patch]) expect(statements.filter((s) => /WITH RECURSIVE/i.test(s))).toHaveLength(1);
  });
});

describe("the organisation's hasNestedGroups flag", () => {
  // A token check trusted for a minute: what a read sees right after the nesting is not the cache running out.
  let cached: TestApp;
  beforeAll(async () => {
    cached = await startTestApp({ TOKEN_CACHE_SECONDS: "60" });
  });
  afterAll(() => cached?.close());

  test("set in the database when a group goes into a group; the indirect groups show at once on that instance; kept once the nesting is gone", async () => {
    const tenant = await cached.tenant();
    const client = scimClient(cached.url, tenant.scimToken);
    const flag = async () => Number((await cached.dataSource.query("SELECT hasNestedGroups FROM organisations WHERE id = ?", [tenant.organisation.id]))[0].hasNestedGroups);
    const u = await newUser(client);
    const b = await group("Flag B", [asUser(u)], client);
    const a = await group("Flag A", [], client);
    const read = async () => {
      const statements = await statementsOf(() => client.get(`/Users/${u.id}`), 200, cached);
      return { groups: typesOf((await client.get(`/Users/${u.id}`)).body.groups), probed: statements.some((s) => NESTING.test(s)) };
    };
    // Flat: no probe (and the token check with the flag false is now cached for a minute).
    expect(await read()).toEqual({ groups: [[b.name, "direct"]], probed: false });
    expect(await flag()).toBe(0);

    expect((await client.patch(`/Groups/${a.id}`, patchOp({ op: "add", path: "members", value: [asGroup(b)] }))).status).toBe(204);
    expect(await flag()).toBe(1);
    expect(await read()).toEqual({
      groups: [
        [b.name, "direct"],
        [a.name, "indirect"],
      ],
      probed: true,
    });
    const lookup = await client.get(`/Users?filter=${encodeURIComponent(`userName eq "${u.userName}"`)}`);
    expect(typesOf(lookup.body.Resources[0].groups)).toEqual([
      [b.name, "direct"],
      [a.name, "indirect"],
    ]);

    // The nesting removed: the flag stays, and the reads keep probing (finding nothing).
    expect((await client.patch(`/Groups/${a.id}`, patchOp({ op: "remove", path: `members[value eq "${b.id}"]` }))).status).toBe(204);
    expect(await flag()).toBe(1);
    expect(await read()).toEqual({ groups: [[b.name, "direct"]], probed: true });
  });

  test("first nestings at once, as PATCH and as POST, beside updateOrganisation: all succeed and the flag is set", async () => {
    const tenant = await cached.tenant();
    const client = scimClient(cached.url, tenant.scimToken);
    const pairs = await Promise.all(Array.from({ length: 4 }, async () => [await group("Race outer", [], client), await group("Race inner", [], client)]));
    const statuses = await Promise.all([
      ...pairs.map(([outer, inner]) => client.patch(`/Groups/${outer.id}`, patchOp({ op: "add", path: "members", value: [asGroup(inner)] })).then((r) => r.status)),
      ...pairs.map(([, inner]) => client.post("/Groups", { displayName: `Race new ${++n}`, members: [asGroup(inner)] }).then((r) => r.status)),
      cached.gql(tenant.adminToken, `mutation { updateOrganisation(input: { name: "Raced ${++n}" }) { name } }`).then((r) => (r.errors ? 500 : r.status)),
    ]);
    expect(statuses).toEqual([...pairs.map(() => 204), ...pairs.map(() => 201), 200]);
    expect(Number((await cached.dataSource.query("SELECT hasNestedGroups FROM organisations WHERE id = ?", [tenant.organisation.id]))[0].hasNestedGroups)).toBe(1);
  });
});
