import fc from "fast-check";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { type ScimClient, patchOp, scimClient } from "../support/scim-client";
import { ScimError, parseFilter, parsePatchPath } from "../../src/scim/protocol";

let app: TestApp;
let t: TestTenant;
let scim: ScimClient;
let userId: string;
let groupId: string;

beforeAll(async () => {
  app = await startTestApp();
  t = await app.tenant();
  scim = scimClient(app.url, t.scimToken);
  userId = (await app.services.users.create(t.ctx, { userName: "victim@fuzz.test", emails: [{ value: "victim@fuzz.test", type: "work" }] })).id;
  groupId = (await app.services.groups.create(t.ctx, { displayName: "Fuzzed", members: [{ id: userId }] })).id;
});
afterAll(() => app.close());

const attrs = ["userName", "USERNAME", "name.familyName", "emails", "emails.value", "emails[type eq \"work\"]", "meta.lastModified", "active", "externalId", "id", "groups", "roles", "title",
  "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "urn:ietf:params:scim:schemas:extension:roster:2.0:User:area", "manager", "members", "displayName", "nope", "a.b.c", "[", "]", "\"", "(", ")"];
const ops = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le", "pr", "EQ", "and", "or", "not", "xx", ""];
const values = ["\"x\"", "\"' OR 1=1 --\"", "\"%\"", "\"_\"", "\"\\\\\"", "\"\\\"\"", "true", "false", "null", "42", "-1.5e3", "\"2011-05-13T04:42:34Z\"", "jyoung", "\"\u0000\"", "\"日本\"", "\"); DROP TABLE users; --\""];
const token = fc.oneof(fc.constantFrom(...attrs), fc.constantFrom(...ops), fc.constantFrom(...values), fc.constantFrom("(", ")", "[", "]", " ", "not ("), fc.string({ maxLength: 6 }));
const randomText = fc.array(token, { minLength: 1, maxLength: 12 }).map((parts) => parts.join(" "));
// Well-formed comparisons joined by and/or/not: these mostly parse, so the SQL side is exercised too.
const comparison = fc.tuple(fc.constantFrom("userName", "displayName", "title", "externalId", "emails.value", "name.familyName", "meta.lastModified"), fc.constantFrom("eq", "ne", "co", "sw", "ew", "gt", "lt"), fc.constantFrom(...values.filter((v) => v.startsWith('"'))))
  .map(([a, o, v]) => `${a} ${o} ${v}`);
const wellFormed = fc.array(comparison, { minLength: 1, maxLength: 4 }).chain((cs) => fc.constantFrom(" and ", " or ").map((j) => cs.join(j))).map((f) => (f.length % 3 === 0 ? `not (${f})` : f));
const filterText = fc.oneof(randomText, wellFormed);

async function countRows() {
  const [u] = await app.dataSource.query("SELECT COUNT(*) AS n FROM users");
  const [m] = await app.dataSource.query("SELECT COUNT(*) AS n FROM group_memberships");
  return { users: Number(u.n), members: Number(m.n) };
}

test("generated filters give a result or a 400 invalidFilter, never a 500, never SQL from user text", async () => {
  const before = await countRows();
  const statuses = new Map<number, number>();
  let tried = 0;
  await fc.assert(
    fc.asyncProperty(filterText, fc.constantFrom("/Users", "/Groups"), async (filter, resource) => {
      tried++;
      const r = await scim.get(`${resource}?filter=${encodeURIComponent(filter)}`);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 200) return Array.isArray(r.body.Resources) && Number.isInteger(r.body.totalResults);
      return r.status === 400 && ["invalidFilter", "invalidValue"].includes(r.body.scimType) && !/SQL|sqlite|mysql|at .*\.ts/i.test(r.text);
    }),
    { numRuns: 1500, seed: 20261122 },
  );
  expect(tried).toBe(1500);
  expect(statuses.get(500)).toBeUndefined();
  expect(statuses.get(200)).toBeGreaterThan(0);
  expect(statuses.get(400)).toBeGreaterThan(0);
  expect(await countRows()).toEqual(before);
}, 120_000);

test("generated PATCH paths and values give 200/204 or a 400 SCIM error, never a 500", async () => {
  const path = fc.oneof(fc.constantFrom(...attrs), fc.array(token, { maxLength: 5 }).map((p) => p.join("")));
  const value = fc.oneof(fc.constantFrom<unknown>(null, true, "False", "", "x", 7, [], {}, [{ value: "a@b.c" }], { value: userId }, [{ value: "{\"value\":\"admin\"}" }]), fc.jsonValue({ maxDepth: 2 }));
  const op = fc.constantFrom("add", "remove", "replace", "Add", "REPLACE", "delete", "");
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(op, fc.option(path, { nil: undefined }), value, fc.boolean(), async (o, p, v, onGroup) => {
      const body = patchOp({ op: o, ...(p === undefined ? {} : { path: p }), value: v });
      const r = await scim.patch(onGroup ? `/Groups/${groupId}` : `/Users/${userId}`, body);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status === 200 || r.status === 204) return true;
      return r.status >= 400 && r.status < 500 && r.body?.schemas?.[0] === "urn:ietf:params:scim:api:messages:2.0:Error" && typeof r.body.detail === "string";
    }),
    { numRuns: 1500, seed: 7 },
  );
  expect(statuses.get(500)).toBeUndefined();
  // The user is still there and readable after all of it.
  expect((await scim.get(`/Users/${userId}`)).status).toBe(200);
}, 120_000);

test("injection strings in filter values, userNames and custom fields are stored and matched as data", async () => {
  const evil = ["x' OR '1'='1", "a\"; DROP TABLE users; --", "%", "_", "\\", "Robert'); DELETE FROM groups;--"];
  for (const [i, s] of evil.entries()) {
    const created = await scim.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: `inj${i}${s}`, "urn:ietf:params:scim:schemas:extension:roster:2.0:User": { area: s } });
    expect(created.status).toBe(201);
  }
  for (const [i, s] of evil.entries()) {
    const quoted = JSON.stringify(`inj${i}${s}`);
    const byName = await scim.get(`/Users?filter=${encodeURIComponent(`userName eq ${quoted}`)}`);
    expect(byName.body.totalResults).toBe(1);
    const byField = await scim.get(`/Users?filter=${encodeURIComponent(`urn:ietf:params:scim:schemas:extension:roster:2.0:User:area eq ${JSON.stringify(s)}`)}`);
    expect(byField.body.Resources.map((u: { userName: string }) => u.userName)).toEqual([`inj${i}${s}`]);
  }
  // `co "%"` and `sw "_"` are literal characters, not wildcards.
  const percent = await scim.get(`/Users?filter=${encodeURIComponent('userName co "%"')}`);
  expect(percent.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(["inj2%"]);
  const under = await scim.get(`/Users?filter=${encodeURIComponent('userName ew "_"')}`);
  expect(under.body.Resources.map((u: { userName: string }) => u.userName)).toEqual(["inj3_"]);
  expect((await countRows()).users).toBeGreaterThanOrEqual(7);
});

// The parsers themselves, without HTTP: cheap, so many thousands of cases per run.
describe("the protocol engine's parsers on generated text", () => {
  const pathToken = fc.oneof(
    fc.constantFrom("emails", "members", "name", ".", "familyName", "[", "]", "type", " eq ", " and ", " or ", "not", "(", ")", '"work"', "value", "urn:ietf:params:scim:schemas:core:2.0:User:", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", ":", "$ref", "pr", "true", "\\", "'", "\u0000", "𝔘"),
    fc.string({ maxLength: 4 }),
  );
  const generated = fc.oneof(
    fc.array(pathToken, { maxLength: 14 }).map((p) => p.join("")),
    fc.string({ maxLength: 40 }),
    fc.integer({ min: 1, max: 400 }).map((n) => `${"(".repeat(n)}userName eq "x"${")".repeat(n % 7 === 0 ? n - 1 : n)}`),
    fc.integer({ min: 1, max: 400 }).map((n) => `emails[${"not (".repeat(n)}type eq "work"${")".repeat(n)}].value`),
  );
  const isScimRefusal = (e: unknown, types: string[]) => e instanceof ScimError && e.status === 400 && types.includes(String(e.scimType));

  test("20,000 PATCH paths: a parsed path or a 400 invalidPath/invalidFilter, never another exception", () => {
    let parsed = 0;
    let refused = 0;
    fc.assert(
      fc.property(generated, (text) => {
        try {
          parsePatchPath(text, { maxLength: 4096, maxDepth: 32 });
          parsed++;
          return true;
        } catch (e) {
          refused++;
          return isScimRefusal(e, ["invalidPath", "invalidFilter", "invalidValue", "noTarget"]);
        }
      }),
      { numRuns: 20_000, seed: 42 },
    );
    expect(parsed + refused).toBe(20_000);
    expect(parsed).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });

  test("20,000 filters: an AST or a 400 invalidFilter, never another exception (no stack overflow on deep nesting)", () => {
    let parsed = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.oneof(generated, filterText), (text) => {
        try {
          parseFilter(text, { maxLength: 4096, maxDepth: 32 });
          parsed++;
          return true;
        } catch (e) {
          refused++;
          return isScimRefusal(e, ["invalidFilter", "invalidValue"]);
        }
      }),
      { numRuns: 20_000, seed: 4242 },
    );
    expect(parsed + refused).toBe(20_000);
    expect(parsed).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
