import { gzipSync } from "node:zlib";
import { AccessToken } from "../../src/domain/tokens/access-token.entity";
import { ERROR_SCHEMA, expectScimError, patchOp, scimClient } from "../support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import type { Body } from "./scim-fixtures";

let app: TestApp;
let small: TestApp;
let t: TestTenant;
let other: TestTenant;

beforeAll(async () => {
  [app, small] = await Promise.all([startTestApp(), startTestApp({ SCIM_MAX_PAYLOAD_BYTES: "2048" })]);
  [t, other] = await Promise.all([app.tenant(), app.tenant()]);
});
afterAll(() => Promise.all([app?.close(), small?.close()]));

const expect401 = (r: Awaited<ReturnType<ReturnType<typeof scimClient>["get"]>>) => {
  expectScimError(r, 401);
  expect(r.headers.get("www-authenticate")).toMatch(/^Bearer/);
};

describe("authentication", () => {
  test("no Authorization header → 401 with WWW-Authenticate: Bearer, on every route", async () => {
    const anon = scimClient(app.url, null);
    for (const path of ["/Users", "/Groups", "/ServiceProviderConfig", "/Users/abc", "/Bulk", "/nowhere"]) expect401(await anon.get(path));
    expect401(await anon.post("/Users", { userName: "x" }));
  });

  test("an unknown token → 401", async () => {
    expect401(await scimClient(app.url, "not-a-real-token").get("/Users"));
  });

  test("a revoked token → 401", async () => {
    const issued = await app.services.tokens.create(t.ctx, { name: "to revoke", scope: "scim" });
    const c = scimClient(app.url, issued.secret);
    expect((await c.get("/Users")).status).toBe(200);
    await app.services.tokens.revoke(t.ctx, issued.token.id);
    const r = await c.get("/Users");
    expect401(r);
    expect(r.body.detail).toMatch(/revoked/);
  });

  test("an expired token → 401", async () => {
    const issued = await app.services.tokens.create(t.ctx, { name: "expiring", scope: "scim" });
    await app.dataSource.getRepository(AccessToken).update({ id: issued.token.id }, { expiresAt: new Date(Date.now() - 60_000) });
    const r = await scimClient(app.url, issued.secret).get("/Users");
    expect401(r);
    expect(r.body.detail).toMatch(/expired/);
  });

  test("an admin (GraphQL) token is not a SCIM token → 401", async () => {
    expect401(await scimClient(app.url, t.adminToken).get("/Users"));
  });

  test("SCIM disabled for the organisation → 403 until it is enabled again", async () => {
    const tenant = await app.tenant();
    const c = scimClient(app.url, tenant.scimToken);
    const off = await app.gql(tenant.adminToken, "mutation { updateOrganisation(input: { scimEnabled: false }) { scimEnabled } }");
    expect(off.errors).toBeUndefined();
    const r = await c.get("/Users");
    expectScimError(r, 403);
    expect(r.body.detail).toMatch(/disabled/);
    await app.gql(tenant.adminToken, "mutation { updateOrganisation(input: { scimEnabled: true }) { scimEnabled } }");
    expect((await c.get("/Users")).status).toBe(200);
  });
});

describe("tenancy: another organisation's ids are simply not found", () => {
  test("users and groups of another organisation → 404 exactly like an absent id, for GET/PUT/PATCH/DELETE", async () => {
    const mine = scimClient(app.url, t.scimToken);
    const theirs = scimClient(app.url, other.scimToken);
    const u = await theirs.post("/Users", { userName: "theirs@other.test" });
    const g = await theirs.post("/Groups", { displayName: "Their group" });
    expect([u.status, g.status]).toEqual([201, 201]);
    const absent = "00000000-0000-4000-8000-000000000000";
    const shape = (r: { status: number; body: Body }, id: string) => ({ status: r.status, schemas: r.body.schemas, scimType: r.body.scimType, detail: String(r.body.detail).replace(id, "ID") });
    for (const [type, id, body] of [["Users", u.body.id, { userName: "hijack@x.test" }], ["Groups", g.body.id, { displayName: "hijack" }]] as const) {
      const calls = [
        (x: string) => mine.get(`/${type}/${x}`),
        (x: string) => mine.put(`/${type}/${x}`, body),
        (x: string) => mine.patch(`/${type}/${x}`, patchOp({ op: "replace", path: "externalId", value: "hijack" })),
        (x: string) => mine.delete(`/${type}/${x}`),
      ];
      for (const call of calls) {
        const foreign = await call(id);
        const missing = await call(absent);
        expectScimError(foreign, 404);
        expect(shape(foreign, id)).toEqual(shape(missing, absent));
      }
    }
    // Still there, untouched, for its owner.
    expect((await theirs.get(`/Users/${u.body.id}`)).body.userName).toBe("theirs@other.test");
    expect((await theirs.get(`/Groups/${g.body.id}`)).body.displayName).toBe("Their group");
  });

  test("filters never return another organisation's rows", async () => {
    const mine = scimClient(app.url, t.scimToken);
    const theirs = scimClient(app.url, other.scimToken);
    await theirs.post("/Users", { userName: "shared-name@x.test", externalId: "ext-shared" });
    await theirs.post("/Groups", { displayName: "Shared group name" });
    const users = await mine.get(`/Users?filter=${encodeURIComponent('userName eq "shared-name@x.test" or externalId eq "ext-shared"')}`);
    expect(users.body).toMatchObject({ totalResults: 0, Resources: [] });
    const groups = await mine.get(`/Groups?filter=${encodeURIComponent('displayName eq "Shared group name"')}`);
    expect(groups.body).toMatchObject({ totalResults: 0, Resources: [] });
    expect((await mine.get("/Users?filter=" + encodeURIComponent('userName sw "theirs"'))).body.totalResults).toBe(0);
  });

  test("a group cannot take members from another organisation", async () => {
    const mine = scimClient(app.url, t.scimToken);
    const theirs = scimClient(app.url, other.scimToken);
    const foreign = await theirs.post("/Users", { userName: "foreign-member@x.test" });
    const create = await mine.post("/Groups", { displayName: "Greedy", members: [{ value: foreign.body.id }] });
    expect([400, 404]).toContain(create.status);
    expect(create.body.schemas).toEqual([ERROR_SCHEMA]);
    const g = await mine.post("/Groups", { displayName: "Greedy 2" });
    const add = await mine.patch(`/Groups/${g.body.id}`, patchOp({ op: "add", path: "members", value: [{ value: foreign.body.id }] }));
    expect([400, 404]).toContain(add.status);
    const after = await mine.get(`/Groups/${g.body.id}`);
    expect(after.body.members).toBeUndefined();
  });
});

describe("media types", () => {
  const body = (n: string) => JSON.stringify({ schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: n });

  test.each([
    ["application/scim+json"],
    ["application/scim+json; charset=utf-8"],
    ["application/json"],
    ["application/json; charset=UTF-8"],
  ])("accepts %s and answers application/scim+json", async (type) => {
    const c = scimClient(app.url, t.scimToken);
    const name = `media-${type.replace(/\W/g, "")}@x.test`;
    const r = await c.call("POST", "/Users", body(name), { "content-type": type });
    expect(r.status).toBe(201);
    expect(r.body.userName).toBe(name);
    expect(r.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  });

  test("GET answers application/scim+json", async () => {
    const r = await scimClient(app.url, t.scimToken).get("/Users?count=1");
    expect(r.headers.get("content-type")).toMatch(/^application\/scim\+json/);
  });

  test("malformed JSON → 400 invalidSyntax", async () => {
    const r = await scimClient(app.url, t.scimToken).call("POST", "/Users", '{"userName": "x",', { "content-type": "application/scim+json" });
    expectScimError(r, 400, "invalidSyntax");
  });

  test("a body nested deeper than 32 levels → 400 invalidSyntax, logged, and the process goes on (40,000 levels in a /Bulk overflowed the log's redaction)", async () => {
    const c = scimClient(app.url, t.scimToken);
    // {"Operations":[{"method":"PATCH","path":"/Users/x","data":{"Operations":[{"data": … }]}}]}, 40,000 deep, under 1 MB.
    const levels = 20_000;
    const deep = `{"failOnErrors":1,"Operations":[${'{"data":{"Operations":['.repeat(levels)}${"]}}".repeat(levels)}]}`;
    expect(deep.length).toBeLessThan(1_000_000);
    const r = await c.call("POST", "/Bulk", deep, { "content-type": "application/scim+json" });
    expectScimError(r, 400, "invalidSyntax");
    expect(r.body.detail).toBe("the request body is nested more than 32 levels deep");
    // Exactly 32 is read as usual (a PatchOp that is refused for what it says, not for its depth).
    const at32 = `{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"add","path":"title","value":${"[".repeat(29)}${"]".repeat(29)}}]}`;
    const user = await c.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: `deep-${Date.now()}@example.test` });
    const patched = await c.call("PATCH", `/Users/${user.body.id}`, at32, { "content-type": "application/scim+json" });
    expect(patched.body.detail).not.toMatch(/nested/);
    // Brackets inside strings are text, not nesting.
    const bracketed = await c.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: `brackets-${Date.now()}@example.test`, displayName: `${"[{".repeat(40)}\\"${"}]".repeat(40)}` });
    expect(bracketed.status).toBe(201);
    // The provisioning log recorded the refusal after the response, and the process still answers.
    const entries = await app.services.provisioningLog.list(t.ctx, { status: 400 }, { first: 20 });
    expect(entries.items.find((e) => e.path === "/scim/v2/Bulk" && e.status === 400)).toBeTruthy();
    expect((await c.get("/Users?count=1")).status).toBe(200);
  });

  test("a lone UTF-16 surrogate or a NUL in any string, key or ignored attribute → 400 invalidValue naming where, and nothing is written", async () => {
    const c = scimClient(app.url, t.scimToken);
    const user = (await c.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "surrogate-target@x.test" })).body as Body;
    const sent: [string, string, string, string][] = [
      ["POST", "/Users", '{"userName":"lone\\ud800surrogate@x.test"}', "userName"],
      ["POST", "/Users", '{"userName":"ignored-attr@x.test","foo":"\\udc00"}', "foo"],
      ["POST", "/Users", '{"userName":"nul\\u0000byte@x.test"}', "userName"],
      ["POST", "/Groups", '{"displayName":"g\\udc00"}', "displayName"],
      ["PATCH", `/Users/${user.id}`, `{"schemas":["${patchOp().schemas[0]}"],"Operations":[{"op":"replace","path":"title","value":"bad\\uD800"}]}`, "Operations[0].value"],
      ["PUT", `/Users/${user.id}`, '{"userName":"surrogate-target@x.test","addresses":[{"formatted":"a\\ud800"}]}', "addresses[0].formatted"],
    ];
    for (const [method, path, raw, where] of sent) {
      const r = await c.call(method, path, raw, { "content-type": "application/scim+json" });
      expectScimError(r, 400, "invalidValue");
      expect(r.body.detail).toContain(JSON.stringify(where));
    }
    // A surrogate pair (how ensure_ascii serialisers send an emoji) is text like any other.
    const emoji = await c.call("POST", "/Users", '{"userName":"smile-\\ud83d\\ude00@x.test"}', { "content-type": "application/scim+json" });
    expect(emoji.status).toBe(201);
    expect(emoji.body.userName).toBe("smile-😀@x.test");
    const after = (await c.get(`/Users/${user.id}`)).body as Body;
    expect(after.meta).toEqual(user.meta);
    const names = (await c.get("/Users?count=1000")).body.Resources.map((u: Body) => u.userName);
    expect(names.some((n: string) => /lone|ignored-attr|nul/.test(n))).toBe(false);
    const groups = (await c.get("/Groups?count=1000&excludedAttributes=members")).body.Resources.map((g: Body) => g.displayName);
    expect(groups.some((n: string) => /^g.$/u.test(n))).toBe(false);
  });

  test("bytes that are not UTF-8 (plain or gzip-encoded) → 400 invalidSyntax, and nothing is written (they were stored as U+FFFD)", async () => {
    const c = scimClient(app.url, t.scimToken);
    const user = (await c.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "utf8-target@x.test" })).body as Body;
    // A lone continuation byte, a byte UTF-8 never uses, an overlong "/", a surrogate encoded in UTF-8.
    const bad = [[0x80], [0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80]].map((b) => Buffer.from(b));
    const json = (before: string, b: Buffer, after: string) => Buffer.concat([Buffer.from(before), b, Buffer.from(after)]);
    const send = (method: string, path: string, payload: Buffer, encoding?: string) =>
      fetch(`${app.url}/scim/v2${path}`, {
        method,
        headers: { authorization: `Bearer ${t.scimToken}`, "content-type": "application/scim+json; charset=utf-8", ...(encoding ? { "content-encoding": encoding } : {}) },
        body: encoding === "gzip" ? gzipSync(payload) : payload,
      });
    for (const [i, b] of bad.entries()) {
      const sent: [string, string, Buffer][] = [
        ["POST", "/Users", json(`{"userName":"not-utf8-${i}`, b, '@x.test"}')],
        ["PUT", `/Users/${user.id}`, json('{"userName":"utf8-target@x.test","displayName":"Bad ', b, '"}')],
        ["PATCH", `/Users/${user.id}`, json(`{"schemas":["${patchOp().schemas[0]}"],"Operations":[{"op":"replace","path":"title","value":"Bad `, b, '"}]}')],
      ];
      for (const [method, path, payload] of sent) {
        for (const encoding of [undefined, "gzip"]) {
          const r = await send(method, path, payload, encoding);
          const answer = { status: r.status, headers: r.headers, body: (await r.json()) as Body, text: "" };
          expectScimError(answer, 400, "invalidSyntax");
          expect(answer.body.detail).toBe("the request body is not valid UTF-8");
        }
      }
    }
    const after = (await c.get(`/Users/${user.id}`)).body as Body;
    expect(after.meta).toEqual(user.meta);
    expect([after.displayName, after.title]).toEqual([undefined, undefined]);
    expect((await c.get(`/Users?filter=${encodeURIComponent('userName sw "not-utf8"')}`)).body.totalResults).toBe(0);
    // The same name as valid UTF-8 (é as its two bytes), plain and gzip-encoded, is created.
    for (const encoding of [undefined, "gzip"]) {
      const ok = await send("POST", "/Users", json(`{"userName":"caf`, Buffer.from([0xc3, 0xa9]), `-${encoding ?? "plain"}@x.test"}`), encoding);
      expect(ok.status).toBe(201);
      expect(((await ok.json()) as Body).userName).toBe(`café-${encoding ?? "plain"}@x.test`);
    }
  });

  test("a body that is not JSON (text/plain, a form) → 415, and nothing is created", async () => {
    const c = scimClient(app.url, t.scimToken);
    for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
      const r = await c.call("POST", "/Users", body("media-415@x.test"), { "content-type": type });
      expectScimError(r, 415);
      expect(r.body.detail).toContain(type);
    }
    expect((await c.get(`/Users?filter=${encodeURIComponent('userName eq "media-415@x.test"')}`)).body.totalResults).toBe(0);
  });

  test("JSON in a charset other than UTF-8 → 415; a bare JSON string is not a SCIM message → 400 invalidSyntax", async () => {
    const c = scimClient(app.url, t.scimToken);
    expectScimError(await c.call("POST", "/Users", body("latin1@x.test"), { "content-type": "application/scim+json; charset=iso-8859-1" }), 415);
    expectScimError(await c.call("POST", "/Users", '"just a string"', { "content-type": "application/scim+json" }), 400, "invalidSyntax");
  });

  test("a gzip-encoded body is read; an unknown Content-Encoding → 415", async () => {
    const send = (encoding: string, payload: Buffer) =>
      fetch(`${app.url}/scim/v2/Users`, { method: "POST", headers: { authorization: `Bearer ${t.scimToken}`, "content-type": "application/scim+json", "content-encoding": encoding }, body: payload });
    const r = await send("gzip", gzipSync(body("gzipped@x.test")));
    expect(r.status).toBe(201);
    expect(((await r.json()) as Body).userName).toBe("gzipped@x.test");
    expect((await send("compress", Buffer.from(body("lzw@x.test")))).status).toBe(415);
  });

  test("a body that does not decode as its Content-Encoding says (gzip that is not gzip) → 400 invalidSyntax, not zlib's message, and nothing is created", async () => {
    for (const encoding of ["gzip", "deflate", "br"]) {
      const r = await fetch(`${app.url}/scim/v2/Users`, {
        method: "POST",
        headers: { authorization: `Bearer ${t.scimToken}`, "content-type": "application/scim+json", "content-encoding": encoding },
        body: body(`not-${encoding}@x.test`),
      });
      const answer = { status: r.status, headers: r.headers, body: (await r.json()) as Body, text: "" };
      expectScimError(answer, 400, "invalidSyntax");
      expect(answer.body.detail).toBe(`the request body does not decode as its Content-Encoding (${encoding}) says`);
    }
    const c = scimClient(app.url, t.scimToken);
    expect((await c.get(`/Users?filter=${encodeURIComponent('userName sw "not-"')}`)).body.totalResults).toBe(0);
  });

  test("the base path and resource names are case-insensitive, a trailing slash is the same path, so is a base URL entered with one (//Users), HEAD is a GET without body", async () => {
    const headers = { authorization: `Bearer ${t.scimToken}` };
    const r = await fetch(`${app.url}/SCIM/V2/users/?count=1`, { headers });
    expect(r.status).toBe(200);
    expect(((await r.json()) as Body).schemas).toEqual(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]);
    // An IdP admin who typed the base URL as …/scim/v2/ : the IdP appends /Users to it.
    const created = await fetch(`${app.url}/scim/v2//Users`, { method: "POST", headers: { ...headers, "content-type": "application/scim+json" }, body: JSON.stringify({ userName: "slash@x.test" }) });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as Body).id as string;
    expect((await fetch(`${app.url}/scim/v2//Users/${id}`, { headers })).status).toBe(200);
    expect((await fetch(`${app.url}/scim/v2//Users?filter=${encodeURIComponent('userName eq "slash@x.test"')}`, { headers }).then((x) => x.json()) as Body).totalResults).toBe(1);
    const head = await fetch(`${app.url}/scim/v2/ServiceProviderConfig`, { method: "HEAD", headers });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  test("every SCIM answer, errors too, carries X-Request-Id (the caller's when sane) and X-Content-Type-Options: nosniff", async () => {
    const c = scimClient(app.url, t.scimToken);
    for (const r of [await c.get("/Users?count=1", { "x-request-id": "idp-req-42" }), await c.get("/Users/nope", { "x-request-id": "idp-req-42" })]) {
      expect(r.headers.get("x-request-id")).toBe("idp-req-42");
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect((await c.get("/Users?count=1", { "x-request-id": "bad id with spaces" })).headers.get("x-request-id")).toMatch(/^[A-Za-z0-9_-]{8,}$/);
  });

  test("a body over SCIM_MAX_PAYLOAD_BYTES → 413, and ServiceProviderConfig advertises the limit", async () => {
    const tenant = await small.tenant();
    const c = scimClient(small.url, tenant.scimToken);
    const spc = await c.get("/ServiceProviderConfig");
    expect(spc.body.bulk.maxPayloadSize).toBe(2048);
    const r = await c.post("/Users", { userName: "big@x.test", displayName: "x".repeat(3000) });
    expectScimError(r, 413);
    const ok = await c.post("/Users", { userName: "small@x.test", displayName: "x".repeat(100) });
    expect(ok.status).toBe(201);
  });

  test("an unknown route → SCIM 404 JSON, never HTML", async () => {
    const r = await scimClient(app.url, t.scimToken).get("/Nope/1/2");
    expectScimError(r, 404);
    expect(r.text).not.toMatch(/<html|<!DOCTYPE/i);
  });

  test("/Me, optional in RFC 7644 §3.11, answers 501 as a SCIM error", async () => {
    const c = scimClient(app.url, t.scimToken);
    for (const r of [await c.get("/Me"), await c.call("PATCH", "/Me", { schemas: [] })]) {
      expectScimError(r, 501);
      expect(r.body.detail).toMatch(/\/Me is not supported/);
    }
  });

  test("a known route with the wrong method → 405 with Allow", async () => {
    const c = scimClient(app.url, t.scimToken);
    const r = await c.call("DELETE", "/Users");
    expectScimError(r, 405);
    expect(r.headers.get("allow")).toBe("GET, POST");
    const r2 = await c.call("PUT", "/ServiceProviderConfig", {});
    expectScimError(r2, 405);
    expect(r2.headers.get("allow")).toBe("GET");
  });

  test("unknown query parameters such as Entra's ?aadOptscim062020 are ignored", async () => {
    const c = scimClient(app.url, t.scimToken);
    const created = await c.post("/Users?aadOptscim062020", { userName: "aad-flag@x.test" });
    expect(created.status).toBe(201);
    const r = await c.get(`/Users?aadOptscim062020&filter=${encodeURIComponent('userName eq "aad-flag@x.test"')}`);
    expect(r.status).toBe(200);
    expect(r.body.totalResults).toBe(1);
    expect((await c.get("/ServiceProviderConfig?aadOptscim062020")).status).toBe(200);
  });
});
