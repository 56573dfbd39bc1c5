import { CORE_GROUP, expectScimError, patchOp, scimClient, type ScimClient, type ScimResult } from "../support/scim-client";
import { testDriver } from "../support/test-database";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import type { Body } from "./scim-fixtures";

/**
 * RFC 7643 §4.2 makes a member's `type` optional: a member sent without one is the user of that id,
 * or else the group of that id, of the same organisation.
 */

const BULK_REQ = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const UNKNOWN = "00000000-0000-4000-8000-00000000beef";

let app: TestApp;
let t: TestTenant;
let other: TestTenant;
let c: ScimClient;
let n = 0;

beforeAll(async () => {
  app = await startTestApp();
  t = await app.tenant();
  other = await app.tenant();
  c = scimClient(app.url, t.scimToken);
});
afterAll(() => app?.close());

const newUser = async () => (await c.post("/Users", { userName: `untyped-${++n}@x.test` })).body.id as string;
async function newGroup(name: string, members: Body[] = []): Promise<string> {
  const r = await c.post("/Groups", { displayName: `${name} ${++n}`, members });
  expect(r.status).toBe(201);
  return r.body.id as string;
}
const untyped = (...ids: string[]) => ids.map((value) => ({ value }));
/** A group's members as `type:id`, sorted, with its version. */
async function state(id: string) {
  const g = (await c.get(`/Groups/${id}`)).body;
  return { version: g.meta.version, members: ((g.members ?? []) as Body[]).map((m) => `${m.type}:${m.value}`).sort() };
}
const typed = (type: "User" | "Group", ...ids: string[]) => ids.map((id) => `${type}:${id}`);
const sorted = (list: string[]) => [...list].sort();

describe("a member sent without type is the user of that id, or else the group", () => {
  test("POST, PUT, PATCH add, PATCH replace of members and Entra's path-less Replace take an untyped group id as that group", async () => {
    const [inner, user] = [await newGroup("Inner"), await newUser()];
    const created = await c.post("/Groups", { displayName: `Outer ${++n}`, members: untyped(inner) });
    expect(created.status).toBe(201);
    expect(created.body.members).toEqual([{ value: inner, $ref: `${app.url}/scim/v2/Groups/${inner}`, type: "Group", display: expect.any(String) }]);

    const put = await newGroup("Put");
    const r = await c.put(`/Groups/${put}`, { schemas: [CORE_GROUP], displayName: `Put renamed ${n}`, members: untyped(inner) });
    expect(r.status).toBe(200);
    expect((await state(put)).members).toEqual(typed("Group", inner));

    const patched = await newGroup("Patch add", untyped(user));
    expect((await c.patch(`/Groups/${patched}`, patchOp({ op: "add", path: "members", value: untyped(inner) }))).status).toBe(204);
    expect((await state(patched)).members).toEqual(sorted([...typed("Group", inner), ...typed("User", user)]));

    const replaced = await newGroup("Patch replace", untyped(user));
    expect((await c.patch(`/Groups/${replaced}`, patchOp({ op: "replace", path: "members", value: untyped(inner) }))).status).toBe(204);
    expect((await state(replaced)).members).toEqual(typed("Group", inner));

    // Entra: { "op": "Replace", "value": { "members": [...] } } with no path and no type.
    const entra = await newGroup("Entra", untyped(user));
    expect((await c.patch(`/Groups/${entra}`, patchOp({ op: "Replace", value: { displayName: `Entra renamed ${n}`, members: untyped(inner) } }))).status).toBe(204);
    expect((await state(entra)).members).toEqual(typed("Group", inner));
  });

  test("/Bulk: groups created in the request and named by bulkId without type, then PATCH and PUT with untyped groups", async () => {
    const [user, existing] = [await newUser(), await newGroup("Bulk existing")];
    const r = await c.post("/Bulk", {
      schemas: [BULK_REQ],
      Operations: [
        { method: "POST", path: "/Groups", bulkId: "inner", data: { displayName: `Bulk inner ${++n}` } },
        { method: "POST", path: "/Groups", bulkId: "outer", data: { displayName: `Bulk outer ${n}`, members: [{ value: "bulkId:inner" }, { value: user }] } },
        { method: "PATCH", path: "/Groups/bulkId:inner", data: patchOp({ op: "add", path: "members", value: untyped(existing) }) },
        { method: "PUT", path: `/Groups/${existing}`, data: { schemas: [CORE_GROUP], displayName: `Bulk existing ${n}`, members: [{ value: user }] } },
      ],
    });
    expect(r.status).toBe(200);
    const ops = r.body.Operations as Body[];
    expect(ops.map((o) => o.status)).toEqual(["201", "201", "204", "200"]);
    const [inner, outer] = ops.slice(0, 2).map((o) => String(o.location).split("/").pop()!);
    expect((await state(outer)).members).toEqual(sorted([...typed("Group", inner), ...typed("User", user)]));
    expect((await state(inner)).members).toEqual(typed("Group", existing));
    // …and one that would close a cycle (existing ⊃ inner while inner ⊃ existing) is refused as a typed one is.
    const cycle = await c.post("/Bulk", { schemas: [BULK_REQ], Operations: [{ method: "PATCH", path: `/Groups/${existing}`, data: patchOp({ op: "add", path: "members", value: untyped(inner) }) }] });
    expect([cycle.body.Operations[0].status, cycle.body.Operations[0].response.scimType]).toEqual(["400", "invalidValue"]);
    expect(cycle.body.Operations[0].response.detail).toContain("would contain itself");
  });

  test("mixed untyped users and groups in one request, beside typed ones", async () => {
    const [u1, u2, u3] = [await newUser(), await newUser(), await newUser()];
    const [g1, g2] = [await newGroup("Mixed g1"), await newGroup("Mixed g2")];
    const post = await c.post("/Groups", { displayName: `Mixed ${++n}`, members: [...untyped(u1, g1, u2), { value: g2, type: "Group" }] });
    expect(post.status).toBe(201);
    expect((await state(post.body.id)).members).toEqual(sorted([...typed("User", u1, u2), ...typed("Group", g1, g2)]));

    const target = await newGroup("Mixed target");
    expect((await c.patch(`/Groups/${target}`, patchOp({ op: "add", path: "members", value: [...untyped(g1, u1), { value: u2, type: "User" }, ...untyped(g2)] }))).status).toBe(204);
    expect((await state(target)).members).toEqual(sorted([...typed("User", u1, u2), ...typed("Group", g1, g2)]));

    expect((await c.put(`/Groups/${target}`, { schemas: [CORE_GROUP], displayName: `Mixed target ${n}`, members: untyped(u3, g2, u1) })).status).toBe(200);
    expect((await state(target)).members).toEqual(sorted([...typed("User", u1, u3), ...typed("Group", g2)]));

    // An untyped group already a member is left as it is; one removal and untyped additions together.
    const r = await c.patch(`/Groups/${target}`, patchOp({ op: "remove", path: `members[value eq "${u1}"]` }, { op: "add", path: "members", value: untyped(g2, g1, u2) }));
    expect(r.status).toBe(204);
    expect((await state(target)).members).toEqual(sorted([...typed("User", u2, u3), ...typed("Group", g1, g2)]));
  });

  test("an untyped id that is neither a user nor a group of the organisation is refused, naming it, and nothing is written", async () => {
    const [user, group] = [await newUser(), await newGroup("Refused member")];
    const foreign = (await scimClient(app.url, other.scimToken).post("/Groups", { displayName: `Foreign ${++n}` })).body.id as string;
    const target = await newGroup("Refusing", untyped(user));
    const before = await state(target);
    for (const bad of [UNKNOWN, foreign]) {
      const members = [...untyped(user, group), { value: bad }];
      const refused: ScimResult[] = [
        await c.patch(`/Groups/${target}`, patchOp({ op: "replace", path: "displayName", value: `Renamed ${n}` }, { op: "add", path: "members", value: members })),
        await c.patch(`/Groups/${target}`, patchOp({ op: "replace", path: "members", value: members })),
        await c.patch(`/Groups/${target}`, patchOp({ op: "Replace", value: { displayName: `Renamed ${n}`, members } })),
        await c.put(`/Groups/${target}`, { schemas: [CORE_GROUP], displayName: `Renamed ${n}`, members }),
        await c.post("/Groups", { displayName: `Never created ${n}`, members }),
      ];
      for (const r of refused) {
        expectScimError(r, 400, "invalidValue");
        expect(r.body.detail).toBe(`members: not a user or group of this organisation: ${bad}`);
      }
      expect(await state(target)).toEqual(before);
      expect((await c.get(`/Groups?filter=${encodeURIComponent(`displayName eq "Never created ${n}"`)}`)).body.totalResults).toBe(0);
    }
  });

  test("a type that is sent keeps its meaning: a group's id as a User, or a user's id as a Group, is refused", async () => {
    const [user, group] = [await newUser(), await newGroup("Typed")];
    const target = await newGroup("Typed target");
    const before = await state(target);
    const mismatches = [
      [{ value: group, type: "User" }, group],
      [{ value: user, type: "Group" }, user],
      [{ value: group, type: "user" }, group],
    ] as const;
    for (const [member, id] of mismatches) {
      for (const r of [
        await c.patch(`/Groups/${target}`, patchOp({ op: "add", path: "members", value: [member] })),
        await c.put(`/Groups/${target}`, { schemas: [CORE_GROUP], displayName: `Typed target ${n}`, members: [member] }),
        await c.post("/Groups", { displayName: `Typed never ${++n}`, members: [member] }),
      ]) {
        expectScimError(r, 400, "invalidValue");
        expect(r.body.detail).toBe(`members: not a user or group of this organisation: ${id}`);
      }
    }
    expect(await state(target)).toEqual(before);
  });

  test("the cycle check applies to untyped groups: A ⊃ B, then A into B untyped by PATCH, PUT and path-less Replace", async () => {
    const b = await newGroup("Untyped cycle B");
    const a = await newGroup("Untyped cycle A", untyped(b));
    const before = await state(b);
    for (const r of [
      await c.patch(`/Groups/${b}`, patchOp({ op: "add", path: "members", value: untyped(a) })),
      await c.put(`/Groups/${b}`, { schemas: [CORE_GROUP], displayName: `Untyped cycle B ${n}`, members: untyped(a) }),
      await c.patch(`/Groups/${b}`, patchOp({ op: "Replace", value: { members: untyped(a) } })),
      await c.patch(`/Groups/${b}`, patchOp({ op: "add", path: "members", value: untyped(b) })),
    ]) {
      expectScimError(r, 400, "invalidValue");
      expect(r.body.detail).toContain("would contain itself");
    }
    expect(await state(b)).toEqual(before);
    expect((await state(a)).members).toEqual(typed("Group", b));
  });

  test("users without type cost exactly the statements that typed users cost; an untyped group is locked before the group, as a typed one", async () => {
    const target = await newGroup("Cost untyped");
    const statementsOf = async (request: () => Promise<ScimResult>) => {
      const { result, statements } = await app.statementsOf(request);
      expect(result.status).toBe(204);
      return statements;
    };
    // One user (Entra) and several (Okta): MariaDB's share lock of the users, the group's lock, the check; then the insert, the version and the audit event.
    const expected = testDriver() === "mariadb" ? 6 : 5;
    for (const k of [1, 3]) {
      const [a, b] = [await Promise.all(Array.from({ length: k }, newUser)), await Promise.all(Array.from({ length: k }, newUser))];
      const withType = await statementsOf(() => c.patch(`/Groups/${target}`, patchOp({ op: "add", path: "members", value: a.map((value) => ({ value, type: "User" })) })));
      const withoutType = await statementsOf(() => c.patch(`/Groups/${target}`, patchOp({ op: "add", path: "members", value: untyped(...b) })));
      expect(withoutType).toEqual(withType);
      expect(withoutType).toHaveLength(expected);
      // A path-less Replace (its members checked with the group's lock, as an add's): the same again.
      const [g1, g2] = [await newGroup("Cost replace", untyped(await newUser())), await newGroup("Cost replace", untyped(await newUser()))];
      const replaceTyped = await statementsOf(() => c.patch(`/Groups/${g1}`, patchOp({ op: "Replace", value: { members: a.map((value) => ({ value, type: "User" })) } })));
      const replaceUntyped = await statementsOf(() => c.patch(`/Groups/${g2}`, patchOp({ op: "Replace", value: { members: untyped(...b) } })));
      expect(replaceUntyped).toEqual(replaceTyped);
    }
    // An untyped group: on MariaDB its row is share-locked before the group's row, as a typed group's is.
    const member = await newGroup("Cost member");
    const { result, statements, parameters } = await app.statementsOf(() => c.patch(`/Groups/${target}`, patchOp({ op: "add", path: "members", value: untyped(member) })));
    expect(result.status).toBe(204);
    if (testDriver() === "mariadb") {
      const lockOfTarget = statements.findLastIndex((s, i) => /FOR UPDATE/.test(s) && parameters[i].includes(target));
      const lockOfMember = statements.findLastIndex((s, i) => /LOCK IN SHARE MODE/.test(s) && /`groups`/.test(s) && parameters[i].includes(member));
      expect(lockOfMember).toBeGreaterThanOrEqual(0);
      expect(lockOfMember).toBeLessThan(lockOfTarget);
      expect(statements.slice(lockOfTarget + 1).some((s, i) => /LOCK IN SHARE MODE/.test(s) && parameters[lockOfTarget + 1 + i].includes(member))).toBe(false);
    }
    expect((await state(target)).members).toContain(`Group:${member}`);
  });
});

(testDriver() === "mariadb" ? describe : describe.skip)("concurrent requests on MariaDB", () => {
  test("an untyped group added while it is deleted: either refused or added and then taken out, never left behind (10 rounds)", async () => {
    for (let round = 0; round < 10; round++) {
      const [target, member] = [await newGroup("Race target"), await newGroup("Race member")];
      const [add, del] = await Promise.all([c.patch(`/Groups/${target}`, patchOp({ op: "add", path: "members", value: untyped(member) })), c.delete(`/Groups/${member}`)]);
      expect(del.status).toBe(204);
      expect([204, 400]).toContain(add.status);
      expect((await state(target)).members).toEqual([]);
    }
  });
});
