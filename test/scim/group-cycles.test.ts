import { CORE_GROUP, expectScimError, patchOp, type ScimClient, type ScimResult } from "../support/scim-client";
import { testDriver } from "../support/test-database";
import type { TestApp } from "../support/test-app";
import { useScimTenant } from "../support/scim-tenant";
import type { Body } from "./scim-fixtures";

const BULK_REQ = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

let app: TestApp;
let c: ScimClient;
let n = 0;

useScimTenant((tenant) => ({ app, scim: c } = tenant));

const newUser = async () => (await c.post("/Users", { userName: `cyc-${++n}@x.test` })).body.id as string;
/** A new group (its name made unique) holding these groups. */
async function group(name: string, ...groups: string[]): Promise<string> {
  const r = await c.post("/Groups", { displayName: `${name} ${++n}`, members: groups.map((value) => ({ value, type: "Group" })) });
  expect(r.status).toBe(201);
  return r.body.id as string;
}
const nameOf = async (id: string) => (await c.get(`/Groups/${id}`)).body.displayName as string;
const asGroups = (...ids: string[]) => ids.map((value) => ({ value, type: "Group" }));
const addGroups = (into: string, ...ids: string[]) => c.patch(`/Groups/${into}`, patchOp({ op: "add", path: "members", value: asGroups(...ids) }));
const state = async (id: string) => {
  const g = (await c.get(`/Groups/${id}`)).body;
  return { displayName: g.displayName, version: g.meta.version, members: ((g.members ?? []) as Body[]).map((m) => m.value).sort() };
};

/** A refusal: 400 invalidValue whose detail names the group that would contain itself (and the one added, with the path). */
function expectCycleRefused(r: ScimResult, names: { target: string; added?: string; path?: string[] }) {
  expectScimError(r, 400, "invalidValue");
  expect(r.body.detail).toContain(`group "${names.target}"`);
  expect(r.body.detail).toContain("would contain itself");
  if (names.added) expect(r.body.detail).toContain(`the group "${names.added}"`);
  if (names.path) expect(r.body.detail).toContain(names.path.map((p) => `"${p}"`).join(" ⊃ "));
}

describe("a group cannot end up containing itself", () => {
  test("as its own member: PATCH add, PUT, Entra's path-less Replace; nothing of the request is written", async () => {
    const self = await group("Self");
    const name = await nameOf(self);
    const user = await newUser();
    const before = await state(self);
    const attempts = [
      c.patch(`/Groups/${self}`, patchOp({ op: "add", path: "members", value: [{ value: user }, ...asGroups(self)] })),
      c.put(`/Groups/${self}`, { schemas: [CORE_GROUP], displayName: `${name} renamed`, members: [{ value: user }, ...asGroups(self)] }),
      c.patch(`/Groups/${self}`, patchOp({ op: "Replace", value: { displayName: `${name} renamed`, members: asGroups(self) } })),
    ];
    for (const r of await Promise.all(attempts)) expectCycleRefused(r, { target: name });
    expect(await state(self)).toEqual(before);
  });

  test("a 2-cycle: B into A while A is in B, by PATCH add, PATCH replace of members, PUT and path-less Replace", async () => {
    const a = await group("Two A");
    const b = await group("Two B", a);
    const [nameA, nameB] = [await nameOf(a), await nameOf(b)];
    const user = await newUser();
    const [beforeA, beforeB] = [await state(a), await state(b)];
    const refused = [
      await addGroups(a, b),
      await c.patch(`/Groups/${a}`, patchOp({ op: "replace", path: "displayName", value: "Two A renamed" }, { op: "add", path: "members", value: [{ value: user }, ...asGroups(b)] })),
      await c.patch(`/Groups/${a}`, patchOp({ op: "replace", path: "members", value: asGroups(b) })),
      await c.put(`/Groups/${a}`, { schemas: [CORE_GROUP], displayName: nameA, members: [{ value: user }, ...asGroups(b)] }),
      await c.patch(`/Groups/${a}`, patchOp({ op: "Replace", value: { members: asGroups(b) } })),
    ];
    for (const r of refused) expectCycleRefused(r, { target: nameA, added: nameB, path: [nameB, nameA] });
    expect([await state(a), await state(b)]).toEqual([beforeA, beforeB]);
  });

  test("a 3-cycle through an intermediate group: A ⊃ B ⊃ C, then A into C by PATCH, PUT and /Bulk", async () => {
    const cc = await group("Three C");
    const b = await group("Three B", cc);
    const a = await group("Three A", b);
    const [nameA, nameB, nameC] = [await nameOf(a), await nameOf(b), await nameOf(cc)];
    const before = await state(cc);
    const cycle = { target: nameC, added: nameA, path: [nameA, nameB, nameC] };
    expectCycleRefused(await addGroups(cc, a), cycle);
    expectCycleRefused(await c.put(`/Groups/${cc}`, { schemas: [CORE_GROUP], displayName: nameC, members: asGroups(a) }), cycle);
    const bulk = await c.post("/Bulk", {
      schemas: [BULK_REQ],
      Operations: [
        { method: "PATCH", path: `/Groups/${cc}`, data: patchOp({ op: "add", path: "members", value: asGroups(a) }) },
        { method: "PUT", path: `/Groups/${cc}`, data: { schemas: [CORE_GROUP], displayName: nameC, members: asGroups(b) } },
      ],
    });
    expect(bulk.status).toBe(200);
    const [patch, put] = bulk.body.Operations as Body[];
    expect([patch.status, patch.response.scimType, put.status, put.response.scimType]).toEqual(["400", "invalidValue", "400", "invalidValue"]);
    expect(patch.response.detail).toContain(`would contain itself: the group "${nameA}"`);
    expect(put.response.detail).toContain(`would contain itself: the group "${nameB}"`);
    expect(await state(cc)).toEqual(before);
  });

  test("/Bulk: groups created in the request, then one PATCHed into the other's member", async () => {
    const r = await c.post("/Bulk", {
      schemas: [BULK_REQ],
      Operations: [
        { method: "POST", path: "/Groups", bulkId: "inner", data: { displayName: "Bulk inner" } },
        { method: "POST", path: "/Groups", bulkId: "outer", data: { displayName: "Bulk outer", members: [{ type: "Group", value: "bulkId:inner" }] } },
        { method: "PATCH", path: "/Groups/bulkId:inner", data: patchOp({ op: "add", path: "members", value: [{ type: "Group", value: "bulkId:outer" }] }) },
      ],
    });
    const ops = r.body.Operations as Body[];
    expect(ops.map((o) => o.status)).toEqual(["201", "201", "400"]);
    expect(ops[2].response).toMatchObject({ scimType: "invalidValue", detail: expect.stringContaining('group "Bulk inner"') });
    expect((await state(ops[0].location.split("/").pop())).members).toEqual([]);
  });

  test("legitimate nesting still works: POST and PATCH of a diamond (A holds B and C, both hold D), and more groups above and beside it", async () => {
    const d = await group("Diamond D");
    const b = await group("Diamond B", d);
    const cc = await group("Diamond C");
    expect((await addGroups(cc, d)).status).toBe(204);
    const a = await group("Diamond A", b, cc);
    // B into C (C ⊃ D and now B ⊃ D through two ways) is no cycle; a group above A holding D too.
    expect((await addGroups(cc, b)).status).toBe(204);
    const top = await group("Diamond top", a, d);
    const user = await newUser();
    expect((await c.put(`/Groups/${d}`, { schemas: [CORE_GROUP], displayName: await nameOf(d), members: [{ value: user }] })).status).toBe(200);
    expect((await state(a)).members).toEqual([b, cc].sort());
    expect((await state(cc)).members).toEqual([b, d].sort());
    expect((await state(top)).members).toEqual([a, d].sort());
    // …and any of them into D is refused.
    for (const above of [a, b, cc, top]) expectScimError(await addGroups(d, above), 400, "invalidValue");
  });

  test(`a group nested more than 32 levels deep takes no group; at 32 it still does`, async () => {
    // chain[0] ⊃ chain[1] ⊃ … ⊃ chain[33]: chain[k] has k groups above it.
    const chain = [await group("Deep 0")];
    for (let i = 1; i <= 33; i++) {
      chain.push(await group(`Deep ${i}`));
      expect((await addGroups(chain[i - 1], chain[i])).status).toBe(204);
    }
    expect((await addGroups(chain[32], await group("Leaf ok"))).status).toBe(204);
    const refused = await addGroups(chain[33], await group("Leaf too deep"));
    expectScimError(refused, 400, "invalidValue");
    expect(refused.body.detail).toContain("is nested more than 32 levels deep");
    // Users are still added to it.
    expect((await c.patch(`/Groups/${chain[33]}`, patchOp({ op: "add", path: "members", value: [{ value: await newUser() }] }))).status).toBe(204);
    // A cycle past the bound is still found when the group added is the one reached.
    expectCycleRefused(await addGroups(chain[33], chain[0]), { target: await nameOf(chain[33]), added: await nameOf(chain[0]) });
  });

  test("adding users costs the statements it cost before, nested group or not; adding a group costs one recursive statement more", async () => {
    const flat = await group("Cost flat");
    const inner = await group("Cost inner");
    const nested = await group("Cost nested", inner);
    await group("Cost above", nested);
    const statementsOf = async (request: () => Promise<ScimResult>) => {
      const { result, statements } = await app.statementsOf(request);
      expect(result.status).toBe(204);
      return statements;
    };
    const addUsers = async (g: string, k: number) => {
      const users = await Promise.all(Array.from({ length: k }, async () => ({ value: await newUser() })));
      return statementsOf(() => c.patch(`/Groups/${g}`, patchOp({ op: "add", path: "members", value: users })));
    };
    // One user (Entra) and several (Okta): MariaDB's share lock of the users, the group's lock, the check; then the insert, the version and the audit event.
    const expected = testDriver() === "mariadb" ? 6 : 5;
    for (const k of [1, 3]) {
      const [onFlat, onNested] = [await addUsers(flat, k), await addUsers(nested, k)];
      expect(onFlat).toHaveLength(expected);
      expect(onNested).toHaveLength(expected);
      expect(onNested.filter((s) => /RECURSIVE/i.test(s))).toEqual([]);
    }
    const withGroup = await statementsOf(() => addGroups(nested, flat));
    expect(withGroup).toHaveLength(expected + 1);
    expect(withGroup.filter((s) => /WITH RECURSIVE/i.test(s))).toHaveLength(1);
  });
});

(testDriver() === "mariadb" ? describe : describe.skip)("concurrent requests on MariaDB", () => {
  test("A into B and B into A at once: one is written, the other refused, never both (10 rounds)", async () => {
    for (let round = 0; round < 10; round++) {
      const [a, b] = [await group("Race A"), await group("Race B")];
      const answers = await Promise.all([addGroups(b, a), addGroups(a, b)]);
      expect(answers.map((r) => r.status).sort()).toEqual([204, 400]);
      const members = [(await state(a)).members, (await state(b)).members];
      expect(members.filter((m) => m.length === 1)).toHaveLength(1);
    }
  });

  test("two requests whose locks do not meet, each closing half of a cycle (X1 ⊃ P2, X2 ⊃ P1; X1 into P1 and X2 into P2), held until both have checked: one is refused", async () => {
    const [p1, p2] = [await group("Cross P1"), await group("Cross P2")];
    const x1 = await group("Cross X1", p2);
    const x2 = await group("Cross X2", p1);
    // Another transaction holds the index ranges both inserts need (shared, as the checks' are), so
    // each request checks and then waits to write; it lets go once both wait.
    const blocker = app.dataSource.createQueryRunner();
    await blocker.connect();
    let answers: ScimResult[];
    try {
      await blocker.startTransaction();
      await blocker.query("SELECT * FROM group_memberships FORCE INDEX (IDX_group_memberships_member) WHERE memberId IN (?, ?) LOCK IN SHARE MODE", [x1, x2]);
      const requests = Promise.all([addGroups(p1, x1), addGroups(p2, x2)]);
      // Both requests have checked and wait to insert their membership.
      for (let waited = 0; waited < 100; waited++) {
        const inserting = (await app.dataSource.query("SHOW FULL PROCESSLIST")).filter((p: Body) => /^INSERT IGNORE INTO group_memberships/.test(p.Info ?? ""));
        if (inserting.length >= 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await blocker.rollbackTransaction();
      answers = await requests;
    } finally {
      await blocker.release();
    }
    expect(answers.map((r) => r.status).sort()).toEqual([204, 400]);
    expect(answers.find((r) => r.status === 400)!.body.detail).toContain("would contain itself");
    const written = [(await state(p1)).members.includes(x1), (await state(p2)).members.includes(x2)];
    expect(written.filter(Boolean)).toHaveLength(1);
  });
});
