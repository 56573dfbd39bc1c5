import { CORE_GROUP, expectScimError, patchOp, type ScimClient } from "../support/scim-client";
import type { TestApp, TestTenant } from "../support/test-app";
import { useScimTenant } from "../support/scim-tenant";
import type { Body } from "./scim-fixtures";

let app: TestApp;
let t: TestTenant;
let c: ScimClient;
let n = 0;

useScimTenant((tenant) => ({ app, t, scim: c } = tenant));

const newUser = async () => (await c.post("/Users", { userName: `gm-${++n}@x.test`, displayName: `Member ${n}` })).body.id as string;
const memberIds = async (groupId: string) => ((await c.get(`/Groups/${groupId}`)).body.members ?? []).map((m: Body) => m.value).sort();

/** What a request did to a group, as the GraphQL audit trail and the provisioning log show it. */
async function eventsOf(requestId: string): Promise<{ action: string; resourceId: string; changes: Body }[]> {
  const r = await app.gql<Body>(t.adminToken, `query($r: String) { auditEvents(filter: { requestId: $r }) { nodes { action resourceId changes } } }`, { r: requestId });
  return r.data!.auditEvents.nodes;
}

describe("a group write is one change: one new version, one audit event", () => {
  const sorted = (ids: string[]) => [...ids].sort();

  test("PUT with a new name and a new member list: version +1, one group.updated with both, and the log shows that one event", async () => {
    const [a, b, d, e] = [await newUser(), await newUser(), await newUser(), await newUser()];
    const g = (await c.post("/Groups", { displayName: "One put", externalId: "op-1", members: [{ value: a }, { value: b }] })).body;
    expect(g.meta.version).toBe('W/"1"');
    const r = await c.put(`/Groups/${g.id}`, { displayName: "One put v2", externalId: "op-2", members: [{ value: b }, { value: d }, { value: e }] }, { "if-match": g.meta.version });
    expect(r.status).toBe(200);
    expect([r.headers.get("etag"), r.body.meta.version]).toEqual(['W/"2"', 'W/"2"']);
    expect((await c.get(`/Groups/${g.id}`)).body.meta.version).toBe('W/"2"');
    const events = await eventsOf(r.headers.get("x-request-id")!);
    expect(events).toHaveLength(1);
    const [event] = events;
    expect([event.action, event.resourceId]).toEqual(["group.updated", g.id]);
    expect(Object.keys(event.changes).sort()).toEqual(["displayName", "externalId", "members.added", "members.removed"]);
    expect(event.changes.displayName).toEqual({ before: "One put", after: "One put v2" });
    expect(event.changes.externalId).toEqual({ before: "op-1", after: "op-2" });
    expect(sorted(event.changes["members.added"].after)).toEqual(sorted([d, e]));
    expect(event.changes["members.removed"].before).toEqual([a]);
    // The provisioning log's entry of the PUT lists the same one event.
    await app.services.provisioningLog.flush();
    const log = await app.gql<Body>(t.adminToken, `query($id: ID) { provisioningLog(filter: { resourceId: $id, method: "PUT" }) { nodes { requestId auditEvents { action } } } }`, { id: g.id });
    expect(log.data!.provisioningLog.nodes).toEqual([{ requestId: r.headers.get("x-request-id"), auditEvents: [{ action: "group.updated" }] }]);
    // The same PUT again changes nothing: same version, no event.
    const again = await c.put(`/Groups/${g.id}`, { displayName: "One put v2", externalId: "op-2", members: [{ value: e }, { value: d }, { value: b }] }, { "if-match": r.headers.get("etag")! });
    expect([again.status, again.headers.get("etag")]).toEqual([200, 'W/"2"']);
    expect(await eventsOf(again.headers.get("x-request-id")!)).toEqual([]);
  });

  test("PATCH that replaces the displayName (or externalId) and adds or removes members: version +1, one group.updated with both", async () => {
    const [a, b, d] = [await newUser(), await newUser(), await newUser()];
    const g = (await c.post("/Groups", { displayName: "One patch", members: [{ value: a }] })).body.id as string;
    const r = await c.patch(`/Groups/${g}`, patchOp({ op: "replace", path: "displayName", value: "One patch v2" }, { op: "add", path: "members", value: [{ value: b }, { value: d }] }), { "if-match": 'W/"1"' });
    expect([r.status, r.headers.get("etag")]).toEqual([204, 'W/"2"']);
    const [event, ...more] = await eventsOf(r.headers.get("x-request-id")!);
    expect(more).toEqual([]);
    expect(event.action).toBe("group.updated");
    expect(event.changes.displayName).toEqual({ before: "One patch", after: "One patch v2" });
    expect(event.changes["members.added"]).toEqual({ before: null, after: sorted([b, d]) });
    expect(event.changes["members.removed"]).toBeUndefined();
    // externalId and a removal, asking for the resource back (200 with it).
    const r2 = await c.patch(`/Groups/${g}?excludedAttributes=members`, patchOp({ op: "add", path: "externalId", value: "p-ext" }, { op: "remove", path: `members[value eq "${a}"]` }), { "if-match": r.headers.get("etag")! });
    expect([r2.status, r2.headers.get("etag"), r2.body.meta.version, r2.body.externalId]).toEqual([200, 'W/"3"', 'W/"3"', "p-ext"]);
    const events = await eventsOf(r2.headers.get("x-request-id")!);
    expect(events.map((e) => [e.action, e.changes])).toEqual([["group.updated", { externalId: { before: null, after: "p-ext" }, "members.removed": { before: [a], after: null } }]]);
    expect(await memberIds(g)).toEqual(sorted([b, d]));
    // A path-less replace of both (Entra's shape): one change too.
    const r3 = await c.patch(`/Groups/${g}`, patchOp({ op: "Replace", value: { displayName: "One patch v3", members: [{ value: a }] } }));
    expect(r3.headers.get("etag")).toBe('W/"4"');
    const [replaced, ...others] = await eventsOf(r3.headers.get("x-request-id")!);
    expect([replaced.action, others]).toEqual(["group.updated", []]);
    expect([replaced.changes["members.added"].after, sorted(replaced.changes["members.removed"].before)]).toEqual([[a], sorted([b, d])]);
  });

  test("members-only PATCHes: one event of members.added / .removed / .changed each, version +1; one that changes nothing keeps the version and records nothing", async () => {
    const [a, b, d] = [await newUser(), await newUser(), await newUser()];
    const g = (await c.post("/Groups", { displayName: "Members only", members: [{ value: a }] })).body.id as string;
    const step = async (ops: unknown[], version: string, actions: string[]) => {
      const r = await c.patch(`/Groups/${g}`, patchOp(...ops));
      expect([r.status, r.headers.get("etag")]).toEqual([204, version]);
      const events = await eventsOf(r.headers.get("x-request-id")!);
      expect(events.map((e) => e.action)).toEqual(actions);
      return events[0]?.changes;
    };
    expect(await step([{ op: "add", path: "members", value: [{ value: b }] }], 'W/"2"', ["group.members.added"])).toEqual({ "members.added": { before: null, after: [b] } });
    expect(await step([{ op: "remove", path: `members[value eq "${b}"]` }], 'W/"3"', ["group.members.removed"])).toEqual({ "members.removed": { before: [b], after: null } });
    // Nothing changes: an existing member added, an absent one removed, the same name with an existing member.
    await step([{ op: "add", path: "members", value: [{ value: a }] }], 'W/"3"', []);
    await step([{ op: "remove", path: "members", value: [{ value: b }] }], 'W/"3"', []);
    await step([{ op: "replace", path: "displayName", value: "Members only" }, { op: "add", path: "members", value: [{ value: a }] }], 'W/"3"', []);
    await step([{ op: "remove", path: `members[value eq "${a}"]` }, { op: "add", path: "members", value: [{ value: a }] }], 'W/"3"', []);
    // A removal and an addition in one request: one change.
    expect(await step([{ op: "remove", path: "members", value: [{ value: a }] }, { op: "add", path: "members", value: [{ value: d }] }], 'W/"4"', ["group.members.changed"])).toEqual({
      "members.added": { before: null, after: [d] },
      "members.removed": { before: [a], after: null },
    });
    expect(await memberIds(g)).toEqual([d]);
    expect((await c.get(`/Groups/${g}`)).body.meta.version).toBe('W/"4"');
  });

  test("If-Match with the ETag each write returns is accepted by the next write; the one before it is refused", async () => {
    const [a, b, d, e] = [await newUser(), await newUser(), await newUser(), await newUser()];
    const g = (await c.post("/Groups", { displayName: "Chained" })).body;
    let etag = g.meta.version as string;
    const writes: [string, () => Promise<{ status: number; headers: Headers }>][] = [
      ["PUT name + members", () => c.put(`/Groups/${g.id}`, { displayName: "Chained 2", members: [{ value: a }, { value: b }] }, { "if-match": etag })],
      ["PATCH name + add", () => c.patch(`/Groups/${g.id}`, patchOp({ op: "replace", path: "displayName", value: "Chained 3" }, { op: "add", path: "members", value: [{ value: d }] }), { "if-match": etag })],
      ["PATCH remove + add", () => c.patch(`/Groups/${g.id}`, patchOp({ op: "remove", path: `members[value eq "${a}"]` }, { op: "add", path: "members", value: [{ value: e }] }), { "if-match": etag })],
      ["PATCH externalId + remove", () => c.patch(`/Groups/${g.id}`, patchOp({ op: "replace", path: "externalId", value: "chained" }, { op: "remove", path: `members[value eq "${b}"]` }), { "if-match": etag })],
    ];
    for (const [i, [what, write]] of writes.entries()) {
      const previous = etag;
      const r = await write();
      expect([what, r.status < 300]).toEqual([what, true]);
      etag = r.headers.get("etag")!;
      expect([what, etag]).toEqual([what, `W/"${i + 2}"`]);
      // The ETag read before this write no longer matches.
      expectScimError(await c.patch(`/Groups/${g.id}`, patchOp({ op: "replace", path: "displayName", value: "stale" }), { "if-match": previous }), 412);
    }
    expect((await c.get(`/Groups/${g.id}`, { "if-none-match": etag })).status).toBe(304);
  });
});

describe("groups", () => {
  test("a user's groups read the same through a lookup, GET by id and a list, in a few groups and in more than fifty", async () => {
    const manager = await newUser();
    const userName = `many-groups-${++n}@x.test`;
    const user = (await c.post("/Users", { userName, emails: [{ value: userName, primary: true }], "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": { manager: { value: manager } } })).body.id as string;
    const groups: { id: string; name: string }[] = [];
    const joinGroups = async (count: number) => {
      for (let i = 0; i < count; i++) {
        const name = `Many ${String(groups.length).padStart(3, "0")} ${n}`;
        const g = await c.post("/Groups", { displayName: name, members: [{ value: user }] });
        groups.push({ id: g.body.id, name });
      }
    };
    const expected = () => groups.map((g) => ({ value: g.id, $ref: `${app.url}/scim/v2/Groups/${g.id}`, display: g.name, type: "direct" }));
    const readAllWays = async () => {
      const byId = (await c.get(`/Users/${user}`)).body;
      const lookup = (await c.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName.toUpperCase()}"`)}`)).body;
      const byIdFilter = (await c.get(`/Users?filter=${encodeURIComponent(`id eq "${user}"`)}`)).body;
      const list = (await c.get(`/Users?filter=${encodeURIComponent(`userName sw "many-groups-"`)}`)).body;
      expect(lookup.totalResults).toBe(1);
      for (const body of [byId, lookup.Resources[0], byIdFilter.Resources[0], list.Resources[0]]) {
        expect(body.id).toBe(user);
        expect(body.emails).toEqual([{ value: userName, primary: true }]);
        expect(body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"].manager.value).toBe(manager);
        expect(body.groups ?? []).toEqual(expected());
      }
    };
    await readAllWays();
    await joinGroups(3);
    await readAllWays();
    await joinGroups(50);
    await readAllWays();
    // A lookup that asks for no groups, and one past the first (and only) result.
    expect((await c.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&excludedAttributes=groups`)).body.Resources[0].groups).toBeUndefined();
    const second = (await c.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}&startIndex=2`)).body;
    expect(second.totalResults).toBe(1);
    expect(second.Resources ?? []).toEqual([]);
  });

  test("POST with members, GET, meta and member references", async () => {
    const [a, b] = [await newUser(), await newUser()];
    const r = await c.post("/Groups", { schemas: [CORE_GROUP], displayName: "Tour Guides", externalId: "g-ext-1", members: [{ value: a }, { value: b, type: "User" }] });
    expect(r.status).toBe(201);
    expect(r.headers.get("location")).toBe(`${app.url}/scim/v2/Groups/${r.body.id}`);
    expect(r.headers.get("etag")).toBe(r.body.meta.version);
    expect(r.body).toMatchObject({ schemas: [CORE_GROUP], displayName: "Tour Guides", externalId: "g-ext-1" });
    expect(r.body.meta).toMatchObject({ resourceType: "Group", location: `${app.url}/scim/v2/Groups/${r.body.id}` });
    expect(r.body.members.sort((x: Body, y: Body) => x.value.localeCompare(y.value))).toEqual(
      [a, b].sort().map((id) => ({ value: id, $ref: `${app.url}/scim/v2/Users/${id}`, type: "User", display: expect.stringMatching(/^Member \d+$/) })),
    );
    const got = await c.get(`/Groups/${r.body.id}`);
    expect(got.body).toEqual(r.body);
    // Users show their groups (read-only).
    expect((await c.get(`/Users/${a}`)).body.groups).toEqual([{ value: r.body.id, $ref: `${app.url}/scim/v2/Groups/${r.body.id}`, display: "Tour Guides", type: "direct" }]);
  });

  test("PUT replaces name and the whole membership", async () => {
    const [a, b, d] = [await newUser(), await newUser(), await newUser()];
    const g = await c.post("/Groups", { displayName: "Put me", members: [{ value: a }, { value: b }] });
    const r = await c.put(`/Groups/${g.body.id}`, { displayName: "Put me v2", members: [{ value: d }] });
    expect(r.status).toBe(200);
    expect(r.body.displayName).toBe("Put me v2");
    expect(await memberIds(g.body.id)).toEqual([d]);
    const empty = await c.put(`/Groups/${g.body.id}`, { displayName: "Put me v3" });
    expect(empty.body.members).toBeUndefined();
    expect(await memberIds(g.body.id)).toEqual([]);
  });

  test("PATCH members as deltas: add only those, remove only those, remove by filter, replace with [] empties", async () => {
    const [a, b, d, e] = [await newUser(), await newUser(), await newUser(), await newUser()];
    const g = (await c.post("/Groups", { displayName: "Deltas", members: [{ value: a }] })).body.id;
    const add = await c.patch(`/Groups/${g}`, patchOp({ op: "add", path: "members", value: [{ value: b }, { value: d }] }));
    expect(add.status).toBe(204);
    expect(add.text).toBe("");
    expect(await memberIds(g)).toEqual([a, b, d].sort());
    await c.patch(`/Groups/${g}`, patchOp({ op: "remove", path: "members", value: [{ value: b }] }));
    expect(await memberIds(g)).toEqual([a, d].sort());
    await c.patch(`/Groups/${g}`, patchOp({ op: "remove", path: `members[value eq "${a}"]` }));
    expect(await memberIds(g)).toEqual([d]);
    await c.patch(`/Groups/${g}`, patchOp({ op: "add", path: "members", value: [{ value: e }, { value: d }] }));
    expect(await memberIds(g)).toEqual([d, e].sort());
    await c.patch(`/Groups/${g}`, patchOp({ op: "replace", path: "members", value: [] }));
    expect(await memberIds(g)).toEqual([]);
    await c.patch(`/Groups/${g}`, patchOp({ op: "replace", path: "members", value: [{ value: a }] }));
    expect(await memberIds(g)).toEqual([a]);
    await c.patch(`/Groups/${g}`, patchOp({ op: "remove", path: "members" }));
    expect(await memberIds(g)).toEqual([]);
  });

  test("PATCH that removes and adds the same member in one request keeps it; adds inside a value without path count too", async () => {
    const [a, b] = [await newUser(), await newUser()];
    const g = (await c.post("/Groups", { displayName: "Remove then add", members: [{ value: a }] })).body.id;
    // The members to add are checked with the group's lock, before any removal of the same request runs.
    expect((await c.patch(`/Groups/${g}`, patchOp({ op: "remove", path: `members[value eq "${a}"]` }, { op: "add", path: "members", value: [{ value: a }] }))).status).toBe(204);
    expect(await memberIds(g)).toEqual([a]);
    expect((await c.patch(`/Groups/${g}`, patchOp({ op: "replace", path: "members", value: [] }, { op: "Add", value: { members: [{ value: a }, { value: b, type: "User" }] } }))).status).toBe(204);
    expect(await memberIds(g)).toEqual([a, b].sort());
    // A member already there plus a new one: only the new one is reported added.
    const d = await newUser();
    await c.patch(`/Groups/${g}`, patchOp({ op: "add", value: { Members: [{ value: a }, { value: d }] } }));
    expect(await memberIds(g)).toEqual([a, b, d].sort());
    const [event] = await app.services.audit.list(t.ctx, { resourceId: g }, { first: 1 }).then((s) => s.items);
    expect(event.changes).toEqual({ "members.added": { before: null, after: [d] } });
  });

  test("PATCH with attributes answers 200 with the group; rename and externalId", async () => {
    const g = (await c.post("/Groups", { displayName: "Rename me" })).body;
    const r = await c.patch(`/Groups/${g.id}?excludedAttributes=members`, patchOp({ op: "replace", path: "displayName", value: "Renamed" }, { op: "add", path: "externalId", value: "ext-r" }));
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: g.id, displayName: "Renamed", externalId: "ext-r" });
    expect(r.headers.get("etag")).toBe('W/"2"');
  });

  test("a group member can be a group; unknown member ids are refused atomically", async () => {
    const inner = (await c.post("/Groups", { displayName: "Inner" })).body.id;
    const outer = (await c.post("/Groups", { displayName: "Outer", members: [{ value: inner, type: "Group" }] })).body;
    expect(outer.members).toEqual([{ value: inner, $ref: `${app.url}/scim/v2/Groups/${inner}`, type: "Group", display: "Inner" }]);
    const a = await newUser();
    const bad = await c.patch(`/Groups/${outer.id}`, patchOp({ op: "add", path: "members", value: [{ value: a }, { value: "00000000-0000-4000-8000-000000000000" }] }));
    expect([400, 404]).toContain(bad.status);
    expect(await memberIds(outer.id)).toEqual([inner]);
  });

  test("deleting a member (a group or a user) changes each group that held it: a new ETag and a later lastModified", async () => {
    const inner = (await c.post("/Groups", { displayName: "Deleted inner" })).body.id as string;
    const user = await newUser();
    const outer = (await c.post("/Groups", { displayName: "Holds the deleted", members: [{ value: inner, type: "Group" }, { value: user }] })).body.id as string;
    const other = (await c.post("/Groups", { displayName: "Holds neither" })).body.id as string;
    const before = await c.get(`/Groups/${outer}`);
    for (const [gone, path, version] of [[inner, "Groups", 2], [user, "Users", 3]] as const) {
      await new Promise((r) => setTimeout(r, 5));
      expect((await c.delete(`/${path}/${gone}`)).status).toBe(204);
      const after = await c.get(`/Groups/${outer}`, { "if-none-match": before.headers.get("etag")! });
      expect(after.status).toBe(200);
      expect(after.headers.get("etag")).toBe(`W/"${version}"`);
      expect((after.body.members ?? []).map((m: Body) => m.value)).not.toContain(gone);
      expect(Date.parse(after.body.meta.lastModified)).toBeGreaterThan(Date.parse(before.body.meta.lastModified));
    }
    expect((await c.get(`/Groups/${other}`, { "if-none-match": 'W/"1"' })).status).toBe(304);
  });

  test("If-Match on groups; duplicate displayName → 409 uniqueness", async () => {
    const g = (await c.post("/Groups", { displayName: "Unique G" })).body;
    expectScimError(await c.patch(`/Groups/${g.id}`, patchOp({ op: "replace", path: "displayName", value: "x" }), { "if-match": 'W/"5"' }), 412);
    expectScimError(await c.put(`/Groups/${g.id}`, { displayName: "x" }, { "if-match": 'W/"5"' }), 412);
    expectScimError(await c.delete(`/Groups/${g.id}`, { "if-match": 'W/"5"' }), 412);
    expect((await c.get(`/Groups/${g.id}`, { "if-none-match": 'W/"1"' })).status).toBe(304);
    // A list matches when any of its tags does (RFC 9110 §13.1.1); If-None-Match: * on an existing group → 412.
    expectScimError(await c.put(`/Groups/${g.id}`, { displayName: "Unique G" }, { "if-none-match": "*" }), 412);
    expectScimError(await c.patch(`/Groups/${g.id}`, patchOp({ op: "replace", path: "externalId", value: "x" }), { "if-none-match": "*" }), 412);
    expect((await c.put(`/Groups/${g.id}`, { displayName: "Unique G" }, { "if-match": 'W/"5", W/"1"' })).status).toBe(200);
    expect((await c.patch(`/Groups/${g.id}`, patchOp({ op: "replace", path: "externalId", value: "ext-g" }), { "if-match": 'W/"1", W/"2"' })).status).toBe(204);
    expectScimError(await c.delete(`/Groups/${g.id}`, { "if-match": 'W/"8", W/"9"' }), 412);
    // DELETE honours If-None-Match as PUT and PATCH do: a matching tag, or *, is 412.
    expectScimError(await c.delete(`/Groups/${g.id}`, { "if-none-match": "*" }), 412);
    expectScimError(await c.delete(`/Groups/${g.id}`, { "if-none-match": 'W/"2"' }), 412);
    expect((await c.get(`/Groups/${g.id}`)).body.meta.version).toBe('W/"2"');
    expectScimError(await c.post("/Groups", { displayName: "Unique G" }), 409, "uniqueness");
    // A rename onto another group's name, with a member added in the same PATCH: 409, nothing of it kept.
    const other = (await c.post("/Groups", { displayName: "Other G" })).body;
    const a = await newUser();
    const clash = await c.patch(`/Groups/${other.id}`, patchOp({ op: "replace", path: "displayName", value: "unique g" }, { op: "add", path: "members", value: [{ value: a }] }));
    expectScimError(clash, 409, "uniqueness");
    expectScimError(await c.put(`/Groups/${other.id}`, { displayName: "UNIQUE G", members: [{ value: a }] }), 409, "uniqueness");
    const after = (await c.get(`/Groups/${other.id}`)).body;
    expect([after.displayName, after.members ?? [], after.meta.version]).toEqual(["Other G", [], 'W/"1"']);
    expect((await c.delete(`/Groups/${g.id}`, { "if-none-match": 'W/"1"' })).status).toBe(204);
    expectScimError(await c.get(`/Groups/${g.id}`), 404);
  });

  test("group filters: displayName, externalId, members[value eq …], members eq", async () => {
    const a = await newUser();
    const g1 = (await c.post("/Groups", { displayName: "Filter Alpha", externalId: "F-1", members: [{ value: a }] })).body.id;
    const g2 = (await c.post("/Groups", { displayName: "filter beta", externalId: "f-2" })).body.id;
    const ids = async (f: string) => {
      const r = await c.get(`/Groups?filter=${encodeURIComponent(f)}`);
      expect(r.status).toBe(200);
      return r.body.Resources.map((x: Body) => x.id).sort();
    };
    expect(await ids('displayName eq "filter alpha"')).toEqual([g1]);
    expect(await ids(`id eq "${g2}"`)).toEqual([g2]);
    // A lookup's one group, and nothing past it.
    const lookup = (await c.get(`/Groups?filter=${encodeURIComponent('displayName eq "FILTER BETA"')}&excludedAttributes=members`)).body;
    expect([lookup.totalResults, lookup.Resources[0].id, lookup.Resources[0].displayName, lookup.Resources[0].meta.version]).toEqual([1, g2, "filter beta", 'W/"1"']);
    const past = (await c.get(`/Groups?filter=${encodeURIComponent('displayName eq "filter beta"')}&startIndex=2`)).body;
    expect([past.totalResults, past.Resources ?? []]).toEqual([1, []]);
    expect(await ids('displayName sw "Filter "')).toEqual([g1, g2].sort());
    expect(await ids('externalId eq "F-1"')).toEqual([g1]);
    expect(await ids('externalId eq "f-1"')).toEqual([]);
    expect(await ids(`members[value eq "${a}"]`)).toEqual([g1]);
    expect(await ids(`members eq "${a}"`)).toEqual([g1]);
    expect(await ids(`displayName sw "filter" and not (members[value eq "${a}"])`)).toEqual([g2]);
    // RFC 7644 §3.4.2.2: pr on a multi-valued attribute is "has a value".
    expect(await ids('displayName sw "filter" and members pr')).toEqual([g1]);
    expect(await ids('displayName sw "filter" and not (members pr)')).toEqual([g2]);
    const bad = await c.get(`/Groups?filter=${encodeURIComponent('owner eq "x"')}`);
    expectScimError(bad, 400, "invalidFilter");
    expect(bad.body.detail).toMatch(/owner/);
  });

  test("every group change is audited with source scim", async () => {
    const a = await newUser();
    const g = (await c.post("/Groups", { displayName: "Audited G" })).body.id;
    await c.patch(`/Groups/${g}`, patchOp({ op: "add", path: "members", value: [{ value: a }] }));
    await c.patch(`/Groups/${g}`, patchOp({ op: "replace", path: "displayName", value: "Audited G2" }));
    await c.delete(`/Groups/${g}`);
    const r = await app.gql<Body>(t.adminToken, `query($id: ID) { auditEvents(filter: { resourceId: $id }) { nodes { action source } } }`, { id: g });
    const events = r.data.auditEvents.nodes;
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(new Set(events.map((e: Body) => e.source))).toEqual(new Set(["scim"]));
    expect(events.map((e: Body) => e.action)).toEqual(expect.arrayContaining(["group.created", "group.members.added", "group.updated", "group.deleted"]));
  });
});
