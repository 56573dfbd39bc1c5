import { CORE_GROUP, CORE_USER, expectScimError, scimClient, type ScimClient } from "../support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import type { Body } from "./scim-fixtures";

const LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
let app: TestApp;
let small: TestApp;
let t: TestTenant;
let c: ScimClient;
const userIds: string[] = [];
let groupId = "";

beforeAll(async () => {
  [app, small] = await Promise.all([startTestApp(), startTestApp({ SCIM_MAX_RESULTS: "5" })]);
  t = await app.tenant();
  c = scimClient(app.url, t.scimToken);
  for (let i = 0; i < 25; i++) {
    const r = await c.post("/Users", { userName: `list-${String(i).padStart(2, "0")}@x.test`, name: { familyName: `F${String(24 - i).padStart(2, "0")}` }, title: i % 2 ? "odd" : "even" });
    userIds.push(r.body.id);
  }
  groupId = (await c.post("/Groups", { displayName: "Big list group", members: userIds.slice(0, 10).map((value) => ({ value })) })).body.id;
});
afterAll(() => Promise.all([app?.close(), small?.close()]));

describe("list responses", () => {
  test("ListResponse with integer totalResults, startIndex, itemsPerPage", async () => {
    const r = await c.get("/Users?count=5");
    expect(r.status).toBe(200);
    expect(r.body.schemas).toEqual([LIST]);
    expect(r.body.totalResults).toBe(25);
    expect(r.body.startIndex).toBe(1);
    expect(r.body.itemsPerPage).toBe(5);
    expect(r.body.Resources).toHaveLength(5);
    expect(r.text).toMatch(/"totalResults":25/);
  });

  test("an empty result is 200 with Resources: []", async () => {
    const r = await c.get(`/Users?filter=${encodeURIComponent('userName eq "nobody@x.test"')}`);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ schemas: [LIST], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });
    const g = await c.get(`/Groups?filter=${encodeURIComponent('displayName eq "nope"')}`);
    expect(g.body.Resources).toEqual([]);
  });

  test("startIndex below 1 is treated as 1; count 0 gives only the total", async () => {
    for (const s of ["0", "-5"]) {
      const r = await c.get(`/Users?startIndex=${s}&count=3`);
      expect(r.status).toBe(200);
      expect(r.body.startIndex).toBe(1);
      expect(r.body.Resources.map((x: Body) => x.id)).toEqual((await c.get("/Users?count=3")).body.Resources.map((x: Body) => x.id));
    }
    const zero = await c.get("/Users?count=0");
    expect(zero.body).toEqual({ schemas: [LIST], totalResults: 25, startIndex: 1, itemsPerPage: 0, Resources: [] });
    const past = await c.get("/Users?startIndex=100&count=5");
    expect(past.body).toMatchObject({ totalResults: 25, startIndex: 100, itemsPerPage: 0, Resources: [] });
    // Integers of any size: the count capped, the page past the end.
    const huge = await c.get("/Users?startIndex=99999999999999999999&count=99999999999999999999");
    expect(huge.status).toBe(200);
    expect(huge.body).toMatchObject({ totalResults: 25, itemsPerPage: 0, Resources: [] });
  });

  test("count is capped at maxResults", async () => {
    const tenant = await small.tenant();
    const s = scimClient(small.url, tenant.scimToken);
    for (let i = 0; i < 7; i++) await s.post("/Users", { userName: `cap-${i}@x.test` });
    const r = await s.get("/Users?count=50");
    expect(r.body.totalResults).toBe(7);
    expect(r.body.itemsPerPage).toBe(5);
    expect(r.body.Resources).toHaveLength(5);
    expect((await s.get("/Users")).body.Resources).toHaveLength(5);
    expect((await s.get("/ServiceProviderConfig")).body.filter.maxResults).toBe(5);
  });

  test("paging by 7 with startIndex sees every user exactly once", async () => {
    const seen: string[] = [];
    for (let start = 1; start <= 25; start += 7) {
      const r = await c.get(`/Users?startIndex=${start}&count=7`);
      expect(r.body.startIndex).toBe(start);
      expect(r.body.totalResults).toBe(25);
      seen.push(...r.body.Resources.map((x: Body) => x.id));
    }
    expect(seen).toHaveLength(25);
    expect(new Set(seen)).toEqual(new Set(userIds));
  });

  test("a page asked again after users were added or removed before it is the page at that offset now, not where an earlier walk ended (users and groups)", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    for (const n of ["m1", "m2", "m3", "m4", "m5", "m6"]) {
      await s.post("/Users", { userName: `${n}@x.test` });
      await s.post("/Groups", { displayName: n });
    }
    const names = async (path: string, attr: string) => ((await s.get(path)).body.Resources as Body[]).map((r) => r[attr]);
    for (const [resource, attr, add, remove] of [
      ["Users", "userName", (n: string) => s.post("/Users", { userName: `${n}@x.test` }), "m1@x.test"],
      ["Groups", "displayName", (n: string) => s.post("/Groups", { displayName: n }), "m1"],
    ] as const) {
      const suffix = resource === "Users" ? "@x.test" : "";
      expect(await names(`/${resource}?startIndex=1&count=2`, attr)).toEqual([`m1${suffix}`, `m2${suffix}`]);
      expect(await names(`/${resource}?startIndex=3&count=2`, attr)).toEqual([`m3${suffix}`, `m4${suffix}`]);
      for (const n of ["a1", "a2", "a3"]) await add(n);
      // Three rows now sort before the remembered end of page 1.
      expect(await names(`/${resource}?startIndex=3&count=2`, attr)).toEqual([`a3${suffix}`, `m1${suffix}`]);
      expect(await names(`/${resource}?startIndex=5&count=2`, attr)).toEqual([`m2${suffix}`, `m3${suffix}`]);
      const victim = ((await s.get(`/${resource}?filter=${encodeURIComponent(`${attr} eq "${remove}"`)}`)).body.Resources as Body[])[0];
      await s.delete(`/${resource}/${victim.id}`);
      expect(await names(`/${resource}?startIndex=5&count=2`, attr)).toEqual([`m3${suffix}`, `m4${suffix}`]);
    }
  });

  test("every user on a page is exactly what GET by id shows: emails, phones, roles, custom fields, manager, groups", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    await app.services.customFields.define(tenant.ctx, { key: "badge", label: "Badge", type: "string" });
    const boss = (await s.post("/Users", { userName: "page-boss@x.test", emails: [{ value: "boss@x.test", primary: true }] })).body.id;
    const ids: string[] = [boss];
    for (let i = 0; i < 12; i++) {
      const created = await app.services.users.create(tenant.ctx, {
        userName: `page-${String(i).padStart(2, "0")}@x.test`,
        emails: [{ value: `p${i}@x.test`, type: "work", primary: true }, { value: `p${i}@home.test`, type: "home" }],
        phoneNumbers: i % 3 ? [{ value: `+1 555 01${i}` }] : undefined,
        roles: i % 2 ? ["admin"] : ["member"],
        customFields: i % 4 ? { badge: `B-${i}` } : undefined,
        managerId: i % 5 ? boss : undefined,
      });
      ids.push(created.id);
    }
    await s.post("/Groups", { displayName: "Page group", members: ids.slice(0, 7).map((value) => ({ value })) });
    await s.post("/Groups", { displayName: "Another page group", members: ids.slice(5).map((value) => ({ value })) });
    const listed: Body[] = [];
    for (let start = 1; start <= ids.length; start += 5) listed.push(...(await s.get(`/Users?startIndex=${start}&count=5`)).body.Resources);
    expect(listed.map((r) => r.id).sort()).toEqual([...ids].sort());
    for (const r of listed) expect(r).toEqual((await s.get(`/Users/${r.id}`)).body);
    expect(listed.filter((r) => r.groups?.length === 2)).toHaveLength(2);
    expect(listed.filter((r) => r.roles?.length).length).toBeGreaterThanOrEqual(12);
    // Managers as they are now, on a page and in a filtered lookup (each read with its user's row).
    expect((await s.patch(`/Users/${boss}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "replace", path: "displayName", value: "The Boss" }] })).status).toBe(200);
    const manager = (r: Body) => r["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]?.manager;
    const page = (await s.get("/Users?startIndex=1&count=20")).body.Resources as Body[];
    expect(page.filter((r) => manager(r)).map((r) => manager(r).displayName)).toEqual(Array(9).fill("The Boss"));
    const lookup = (await s.get(`/Users?filter=${encodeURIComponent('userName eq "page-01@x.test"')}`)).body.Resources[0];
    expect(manager(lookup)).toEqual({ value: boss, $ref: `${app.url}/scim/v2/Users/${boss}`, displayName: "The Boss" });
    for (const r of [lookup, ...page]) expect(r).toEqual((await s.get(`/Users/${r.id}`)).body);
  });

  test("sortBy and sortOrder", async () => {
    const asc = await c.get("/Users?sortBy=userName&count=3");
    expect(asc.body.Resources.map((x: Body) => x.userName)).toEqual(["list-00@x.test", "list-01@x.test", "list-02@x.test"]);
    const desc = await c.get("/Users?sortBy=userName&sortOrder=descending&count=2");
    expect(desc.body.Resources.map((x: Body) => x.userName)).toEqual(["list-24@x.test", "list-23@x.test"]);
    const byFamily = await c.get("/Users?sortBy=name.familyName&count=2&attributes=name");
    expect(byFamily.body.Resources.map((x: Body) => x.name.familyName)).toEqual(["F00", "F01"]);
    const g = await c.get("/Groups?sortBy=displayName&sortOrder=descending");
    expect(g.status).toBe(200);
    const bad = await c.get("/Users?sortBy=emails");
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toMatch(/emails/);
  });

  test("sortBy sorts caseExact:false attributes case-insensitively (RFC 7644 §3.4.2.3); ties in userName order", async () => {
    const own = scimClient(app.url, (await app.tenant()).scimToken);
    for (const [userName, displayName] of [["Zed@x.test", "zoe"], ["alice@x.test", "Adam"], ["Bob@x.test", "bea"], ["carl@x.test", "Same"], ["Carla@x.test", "same"]]) {
      expect((await own.post("/Users", { userName, displayName })).status).toBe(201);
    }
    for (const displayName of ["Zeta", "alpha", "Beta"]) expect((await own.post("/Groups", { displayName })).status).toBe(201);
    const names = async (path: string, attr: string) => ((await own.get(path)).body.Resources as Body[]).map((r) => r[attr]);
    expect(await names("/Users?sortBy=userName", "userName")).toEqual(["alice@x.test", "Bob@x.test", "carl@x.test", "Carla@x.test", "Zed@x.test"]);
    expect(await names("/Users?sortBy=userName&sortOrder=descending", "userName")).toEqual(["Zed@x.test", "Carla@x.test", "carl@x.test", "Bob@x.test", "alice@x.test"]);
    expect(await names("/Users?sortBy=displayName", "userName")).toEqual(["alice@x.test", "Bob@x.test", "carl@x.test", "Carla@x.test", "Zed@x.test"]);
    expect(await names("/Users?sortBy=displayName&sortOrder=descending", "displayName")).toEqual(["zoe", "Same", "same", "bea", "Adam"]);
    expect(await names("/Groups?sortBy=displayName", "displayName")).toEqual(["alpha", "Beta", "Zeta"]);
    expect(await names("/Groups?sortBy=displayName&sortOrder=descending", "displayName")).toEqual(["Zeta", "Beta", "alpha"]);
  });

  test("attributes and excludedAttributes on lists and on GET by id", async () => {
    const list = await c.get("/Users?count=2&attributes=title,name.familyName");
    for (const u of list.body.Resources) expect(Object.keys(u).sort()).toEqual(["id", "name", "schemas", "title", "userName"]);
    const one = await c.get(`/Users/${userIds[3]}?attributes=title`);
    expect(one.body).toEqual({ schemas: [CORE_USER], id: userIds[3], userName: "list-03@x.test", title: "odd" });
    const ex = await c.get(`/Users/${userIds[3]}?excludedAttributes=title,meta,name`);
    expect(ex.body.title).toBeUndefined();
    expect(ex.body.meta).toBeUndefined();
    expect(ex.body.name).toBeUndefined();
    expect(ex.body.userName).toBe("list-03@x.test");
    expect(ex.body.id).toBe(userIds[3]);
    const g = await c.get(`/Groups/${groupId}?attributes=displayName`);
    expect(g.body).toEqual({ schemas: [CORE_GROUP], id: groupId, displayName: "Big list group" });
    const gl = await c.get(`/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "Big list group"')}`);
    expect(gl.body.Resources[0].members).toBeUndefined();
    expect(gl.body.Resources[0].displayName).toBe("Big list group");
  });

  test("excludedAttributes=members never touches the membership table", async () => {
    const { statements } = await app.statementsOf(async () => {
      const one = await c.get(`/Groups/${groupId}?excludedAttributes=members`);
      expect(one.body.members).toBeUndefined();
      const list = await c.get("/Groups?excludedAttributes=members");
      expect(list.body.totalResults).toBe(1);
      const attrs = await c.get(`/Groups/${groupId}?attributes=displayName`);
      expect(attrs.body.members).toBeUndefined();
    });
    expect(statements.length).toBeGreaterThan(0);
    expect(statements.filter((s) => /group_memberships/i.test(s))).toEqual([]);
    // Control: with members, the table is read.
    const { result: full, statements: withMembers } = await app.statementsOf(() => c.get(`/Groups/${groupId}`));
    expect(full.body.members).toHaveLength(10);
    expect(withMembers.filter((s) => /group_memberships/i.test(s)).length).toBeGreaterThan(0);
  });

  test("bad list parameters are SCIM errors", async () => {
    expectScimError(await c.get("/Users?sortOrder=sideways"), 400);
    expectScimError(await c.get(`/Users?filter=${encodeURIComponent("userName eq")}`), 400, "invalidFilter");
  });
});

describe("deep paging", () => {
  test("startIndex pages continue by seeking: no OFFSET, and no COUNT after the first page, however deep", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    for (let i = 0; i < 12; i++) await app.services.users.create(tenant.ctx, { userName: `deep${String(i).padStart(2, "0")}@x.test` });
    const seen: string[] = [];
    for (let start = 1; start <= 12; start += 4) {
      const { result: r, statements } = await app.statementsOf(() => s.get(`/Users?startIndex=${start}&count=4`));
      expect(r.body.totalResults).toBe(12);
      seen.push(...r.body.Resources.map((u: { userName: string }) => u.userName));
      const userQueries = statements.filter((q) => /FROM users u\b/.test(q) && /LIMIT 4\b/.test(q));
      expect(userQueries.length).toBeGreaterThan(0);
      if (start > 1) {
        expect(userQueries.some((q) => /OFFSET/i.test(q))).toBe(false);
        expect(userQueries.some((q) => /COUNT\(/i.test(q))).toBe(false);
      }
    }
    expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => `deep${String(i).padStart(2, "0")}@x.test`));
    // A page asked for out of sequence still answers correctly: from the nearest page end before it.
    const jump = await s.get(`/Users?startIndex=7&count=2`);
    expect(jump.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(["deep06@x.test", "deep07@x.test"]);
  });

  test("an import spread over two instances (a load balancer's round robin) seeks every page after each instance's first", async () => {
    const other = await startTestApp({}, { shareDatabaseOf: app });
    try {
      const tenant = await app.tenant();
      const names = Array.from({ length: 30 }, (_, i) => `lb${String(i).padStart(2, "0")}@x.test`);
      for (const userName of names) await app.services.users.create(tenant.ctx, { userName });
      const instances = [app, other];
      const clients = instances.map((i) => scimClient(i.url, tenant.scimToken));
      // Each instance records the statements of the requests it serves.
      const {
        result: { result: seen, statements: onOther },
        statements: onApp,
      } = await app.statementsOf(() =>
        other.statementsOf(async () => {
          const seen: string[] = [];
          for (let page = 0; page < 6; page++) {
            const r = await clients[page % 2].get(`/Users?startIndex=${page * 5 + 1}&count=5`);
            seen.push(...r.body.Resources.map((u: { userName: string }) => u.userName));
          }
          return seen;
        }),
      );
      expect(seen).toEqual(names);
      for (const [n, statements] of [onApp, onOther].entries()) {
        const pages = statements.filter((q) => /^SELECT u\.\*.* FROM users u\b/.test(q) && /LIMIT 5\b/.test(q));
        const skips = statements.filter((q) => /^SELECT u\.userNameKey FROM users u\b/.test(q));
        expect(pages).toHaveLength(3);
        // Its first page has nothing to continue from (the second instance's starts at OFFSET 5) …
        expect(pages[0]).toMatch(n === 0 ? /LIMIT 5 OFFSET 0$/ : /LIMIT 5 OFFSET 5$/);
        // … and each later one skips only the page the other instance served, through the index.
        for (const q of pages.slice(1)) expect(q).toMatch(/userNameKey > \?.* LIMIT 5$/);
        expect(skips).toHaveLength(2);
        for (const q of skips) expect(q).toMatch(/LIMIT 1 OFFSET 4$/);
      }
    } finally {
      await other.close();
    }
  });

  // Clients that ask for several pages at once, and instances behind a load balancer that each see
  // every Nth page of an import, never saw the previous page end: before, each such page was an
  // OFFSET from the first user, so a deep page read every user before it.
  test("pages asked several at once seek from the nearest page end before them and skip only the rows between", async () => {
    const tenant = await app.tenant();
    const s = scimClient(app.url, tenant.scimToken);
    const names = Array.from({ length: 30 }, (_, i) => `conc${String(i).padStart(2, "0")}@x.test`);
    for (const userName of names) await app.services.users.create(tenant.ctx, { userName });
    for (let i = 0; i < 6; i++) await app.services.groups.create(tenant.ctx, { displayName: `Conc group ${i}` });
    const first = await s.get(`/Users?startIndex=1&count=5`);
    await s.get(`/Groups?startIndex=1&count=1&excludedAttributes=members`);
    const {
      result: [pages, groups],
      statements,
    } = await app.statementsOf(async () => [
      await Promise.all([26, 11, 21, 6, 16].map((start) => s.get(`/Users?startIndex=${start}&count=5`))),
      await Promise.all([5, 3, 2, 6, 4].map((start) => s.get(`/Groups?startIndex=${start}&count=1&excludedAttributes=members`))),
    ]);
    const pageNames = [first, ...pages.sort((a, b) => a.body.startIndex - b.body.startIndex)].flatMap((r) => r.body.Resources.map((u: { userName: string }) => u.userName));
    expect(pageNames).toEqual(names);
    expect(groups.map((r) => r.body.Resources[0].displayName)).toEqual(["Conc group 4", "Conc group 2", "Conc group 1", "Conc group 5", "Conc group 3"]);
    const userPages = statements.filter((q) => /^SELECT u\.\*.* FROM users u\b/.test(q) && /LIMIT 5\b/.test(q));
    const userSkips = statements.filter((q) => /^SELECT u\.userNameKey FROM users u\b/.test(q));
    const groupPages = statements.filter((q) => /FROM [`"]?groups[`"]? [`"]?g\b/.test(q) && /LIMIT 1\b/.test(q));
    expect(userPages).toHaveLength(5);
    expect(groupPages).toHaveLength(5);
    // Each user page seeks from a key; where the page before it had not ended yet, that key is found
    // first by skipping through the userName index alone, from the nearest page end.
    for (const q of userPages) expect(q).toMatch(/userNameKey > \?.* LIMIT 5$/);
    for (const q of userSkips) expect(q).toMatch(/userNameKey > \?.* LIMIT 1 OFFSET \d+$/);
    for (const q of groupPages) expect(q).toMatch(/displayNameKey[`"]? > /);
    // At most the rows between the first page and the deepest one are skipped, never the first page's.
    for (const q of [...userSkips, ...groupPages]) expect(Number(/OFFSET (\d+)/.exec(q)?.[1] ?? 0)).toBeLessThan(20);
    // A page past the end, from a remembered end: empty, with the total.
    const past = await s.get(`/Users?startIndex=41&count=5`);
    expect(past.body).toMatchObject({ totalResults: 30, startIndex: 41, itemsPerPage: 0, Resources: [] });
  });
});
