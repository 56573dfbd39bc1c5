import { CORE_GROUP, patchOp, scimClient, type ScimClient, type ScimResult } from "../support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import type { Body } from "./scim-fixtures";

// Groups with more members than an answer reads at once (SCIM_MEMBERS_IN_MEMORY, 3 here) stream
// them. `whole` shares the database with the default setting (2,000): every answer below is read
// both ways and must be the same resource.
let app: TestApp;
let whole: TestApp;
let t: TestTenant;
let c: ScimClient;
let w: ScimClient;
let n = 0;

beforeAll(async () => {
  app = await startTestApp({ SCIM_MEMBERS_IN_MEMORY: "3" });
  whole = await startTestApp({}, { shareDatabaseOf: app });
  t = await app.tenant();
  c = scimClient(app.url, t.scimToken);
  w = scimClient(whole.url, t.scimToken);
});
afterAll(async () => {
  await whole?.close();
  await app?.close();
});

const newUser = async () => (await c.post("/Users", { userName: `lg-${++n}@x.test`, displayName: `Large ${n}` })).body.id as string;
const users = async (count: number) => {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) ids.push(await newUser());
  return ids;
};
/** The same resource whichever server wrote it (its URLs name the server). */
const portable = (r: ScimResult) => JSON.parse(r.text.split(app.url).join("").split(whole.url).join(""));
const streamed = (r: ScimResult) => r.headers.get("content-length") === null && r.headers.get("transfer-encoding") === "chunked";

describe("groups with more members than an answer holds", () => {
  test("GET streams the members: the same group as a whole answer, members in id order, with display and $ref", async () => {
    const members = await users(8);
    const subgroup = (await c.post("/Groups", { displayName: `Sub ${++n}` })).body.id as string;
    const g = await c.post("/Groups", { displayName: `Large ${++n}`, externalId: `ext-${n}`, members: [...members.map((value) => ({ value })), { value: subgroup, type: "Group" }] });
    expect(g.status).toBe(201);
    const r = await c.get(`/Groups/${g.body.id}`);
    expect(r.status).toBe(200);
    expect(streamed(r)).toBe(true);
    expect(r.headers.get("etag")).toBe(g.headers.get("etag"));
    expect(r.headers.get("content-type")).toMatch(/^application\/scim\+json/);
    const byWhole = await w.get(`/Groups/${g.body.id}`);
    expect(streamed(byWhole)).toBe(false);
    expect(portable(r)).toEqual(portable(byWhole));
    expect(r.body.schemas).toEqual([CORE_GROUP]);
    expect(r.body.externalId).toBe(`ext-${n}`);
    expect(r.body.members.map((m: Body) => m.value)).toEqual([...members, subgroup].sort());
    const sub = r.body.members.find((m: Body) => m.value === subgroup);
    expect(sub).toEqual({ value: subgroup, $ref: `${app.url}/scim/v2/Groups/${subgroup}`, type: "Group", display: `Sub ${n - 1}` });
    expect(r.body.members.find((m: Body) => m.value === members[0])).toMatchObject({ type: "User", display: expect.stringMatching(/^Large /) });
  });

  test("a group at the limit is answered whole; one past it streams", async () => {
    const members = await users(4);
    const atLimit = await c.post("/Groups", { displayName: `At limit ${++n}`, members: members.slice(0, 3).map((value) => ({ value })) });
    const r = await c.get(`/Groups/${atLimit.body.id}`);
    expect(streamed(r)).toBe(false);
    expect(r.body.members).toHaveLength(3);
    expect((await c.patch(`/Groups/${atLimit.body.id}`, patchOp({ op: "add", path: "members", value: [{ value: members[3] }] }))).status).toBe(204);
    const after = await c.get(`/Groups/${atLimit.body.id}`);
    expect(streamed(after)).toBe(true);
    expect(after.body.members.map((m: Body) => m.value).sort()).toEqual([...members].sort());
  });

  test("attributes and excludedAttributes shape every streamed member", async () => {
    const members = await users(5);
    const g = (await c.post("/Groups", { displayName: `Shaped ${++n}`, members: members.map((value) => ({ value })) })).body.id as string;
    for (const query of ["attributes=members.value", "attributes=members", "excludedAttributes=members.display", "attributes=displayName", "excludedAttributes=members"]) {
      const r = await c.get(`/Groups/${g}?${query}`);
      expect(r.status).toBe(200);
      expect(portable(r)).toEqual(portable(await w.get(`/Groups/${g}?${query}`)));
      expect(streamed(r)).toBe(query.includes("members") && query !== "excludedAttributes=members");
    }
    expect((await c.get(`/Groups/${g}?attributes=members.value`)).body.members).toEqual([...members].sort().map((value) => ({ value })));
  });

  test("a list streams each group in turn: empty groups, small ones and large ones", async () => {
    const tag = `List ${++n}`;
    const members = await users(7);
    await c.post("/Groups", { displayName: `${tag} a empty` });
    await c.post("/Groups", { displayName: `${tag} b small`, members: members.slice(0, 2).map((value) => ({ value })) });
    await c.post("/Groups", { displayName: `${tag} c large`, members: members.map((value) => ({ value })) });
    const path = `/Groups?filter=${encodeURIComponent(`displayName sw "${tag}"`)}&sortBy=displayName`;
    const r = await c.get(path);
    expect(r.status).toBe(200);
    expect(streamed(r)).toBe(true);
    expect(portable(r)).toEqual(portable(await w.get(path)));
    expect(r.body).toMatchObject({ totalResults: 3, itemsPerPage: 3, startIndex: 1 });
    expect(r.body.Resources.map((g: Body) => [g.displayName, (g.members ?? []).length])).toEqual([
      [`${tag} a empty`, 0],
      [`${tag} b small`, 2],
      [`${tag} c large`, 7],
    ]);
    expect(r.body.Resources[0].members).toBeUndefined();
    // A page of it, and a page past its end.
    const second = await c.get(`${path}&startIndex=3&count=1`);
    expect(second.body).toMatchObject({ totalResults: 3, itemsPerPage: 1, startIndex: 3 });
    expect(second.body.Resources[0].members).toHaveLength(7);
    expect((await c.get(`${path}&startIndex=4`)).body.Resources ?? []).toEqual([]);
  });

  test("PUT answers with the streamed group; /Bulk reads its id and location without streaming it", async () => {
    const members = await users(5);
    const g = (await c.post("/Groups", { displayName: `Put ${++n}` })).body.id as string;
    const put = await c.put(`/Groups/${g}`, { schemas: [CORE_GROUP], displayName: `Put ${n} renamed`, members: members.map((value) => ({ value })) });
    expect(put.status).toBe(200);
    expect(streamed(put)).toBe(true);
    expect(put.body.displayName).toBe(`Put ${n} renamed`);
    expect(put.body.members.map((m: Body) => m.value)).toEqual([...members].sort());

    const bulk = await c.post("/Bulk", {
      schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
      Operations: [
        { method: "POST", path: "/Groups", bulkId: "big", data: { displayName: `Bulk big ${++n}`, members: members.map((value) => ({ value })) } },
        { method: "POST", path: "/Groups", bulkId: "outer", data: { displayName: `Bulk outer ${n}`, members: [{ type: "Group", value: "bulkId:big" }] } },
      ],
    });
    expect(bulk.status).toBe(200);
    const [big, outer] = bulk.body.Operations as Body[];
    expect(big.status).toBe("201");
    expect(outer.status).toBe("201");
    const bigId = String(big.location).split("/").pop();
    expect(big.location).toBe(`${app.url}/scim/v2/Groups/${bigId}`);
    expect((await c.get(`/Groups/${bigId}`)).body.members).toHaveLength(5);
    expect((await c.get(String(outer.location).slice(`${app.url}/scim/v2`.length))).body.members.map((m: Body) => m.value)).toEqual([bigId]);
  });
});
