// A password compared in a SCIM filter or a PATCH path never comes back in an error's detail, and
// never reaches the provisioning log (its errorDetail, its path with the query string, or a body),
// where an organisation's admins read it for weeks. The error still names the attribute and where
// the problem is. Filters that name no secret attribute keep echoing what they got.
import type { ProvisioningLogEntry } from "../../src/domain/provisioning-log/provisioning-log-entry.entity";
import { PATCH_OP, type ScimClient, expectScimError, patchOp, scimClient } from "../support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";

const SECRET = "Hunter2-Sekret";
const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

async function tenant(): Promise<{ t: TestTenant; c: ScimClient; userId: string }> {
  const t = await app.tenant();
  const c = scimClient(app.url, t.scimToken);
  const user = await app.services.users.create(t.ctx, { userName: "someone@x.test", emails: [{ value: "someone@x.test", type: "work" }] });
  return { t, c, userId: user.id };
}

/** The tenant's log entries, oldest first (written once each response is out: wait for them). */
async function logOf(t: TestTenant, expected: number): Promise<ProvisioningLogEntry[]> {
  for (let i = 0; i < 100; i++) {
    const page = await app.services.provisioningLog.list(t.ctx, {}, { first: 500 });
    if (page.totalCount >= expected) return [...page.items].reverse();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`expected ${expected} provisioning log entries`);
}

/** Nothing of the secret anywhere in the entry, its path decoded included. */
function expectNoSecret(entry: ProvisioningLogEntry) {
  const text = JSON.stringify(entry) + decodeURIComponent(entry.path);
  expect(text).not.toContain(SECRET);
  expect(text).not.toContain("Sekret");
}

describe("GET ?filter= comparing a password", () => {
  test.each([
    ["an unquoted value", `password eq ${SECRET}`, /unquoted value at position 13/],
    ["a word after the comparison", `password eq "x" ${SECRET}`, /unexpected word at position 17/],
    ["a string after the comparison", `password eq "x" "${SECRET}"`, /unexpected string at position 17/],
    ["the value first", `"${SECRET}" eq password`, /expected an attribute path at position 1, found a string/],
    ["a malformed number", `password eq 12${SECRET}`, /invalid number at position 13/],
    ["a word as the operator", `password ${SECRET} "x"`, /unknown operator at position 10/],
    ["a URN-qualified password", `urn:ietf:params:scim:schemas:core:2.0:User:password eq ${SECRET}`, /unquoted value at position 56/],
    ["a password inside a value filter", `emails[value eq "a@x.test" and password eq ${SECRET}]`, /unquoted value at position 44/],
  ])("%s: the detail names the attribute and the position, not the value; neither the log's errorDetail nor its path holds it", async (_name, filter, detail) => {
    const { t, c } = await tenant();
    const r = await c.get(`/Users?filter=${encodeURIComponent(filter)}`);
    expectScimError(r, 400, "invalidFilter");
    expect(r.body.detail).toMatch(detail);
    expect(r.body.detail).toContain('"password"');
    expect(r.body.detail).not.toContain(SECRET);
    expect(r.body.detail).not.toContain("Sekret");
    const [entry] = await logOf(t, 1);
    expect(entry.errorDetail).toBe(r.body.detail);
    expectNoSecret(entry);
    expect(decodeURIComponent(entry.path)).toMatch(/^\/scim\/v2\/Users\?filter=.*password/);
  });

  test("a well-formed filter on password is refused without its value, and the log's path keeps the filter with the value redacted", async () => {
    const { t, c } = await tenant();
    const filter = `userName eq "someone@x.test" and password eq "${SECRET}"`;
    const r = await c.get(`/Users?count=5&filter=${encodeURIComponent(filter)}&startIndex=1`);
    expectScimError(r, 400, "invalidFilter");
    expect(r.body.detail).toMatch(/"password" cannot be used in a filter/);
    const [entry] = await logOf(t, 1);
    expectNoSecret(entry);
    expect(entry.path).toBe(`/scim/v2/Users?count=5&filter=${encodeURIComponent('userName eq "someone@x.test" and password eq "[redacted]"')}&startIndex=1`);
  });

  test("POST /Users/.search: the same, and the body in the log has the filter's password value redacted", async () => {
    const { t, c } = await tenant();
    const r = await c.post("/Users/.search", { schemas: [SEARCH], filter: `password eq "${SECRET}"` });
    expectScimError(r, 400, "invalidFilter");
    const malformed = await c.post("/Users/.search", { schemas: [SEARCH], filter: `password eq ${SECRET}` });
    expectScimError(malformed, 400, "invalidFilter");
    expect(malformed.body.detail).not.toContain(SECRET);
    const [first, second] = await logOf(t, 2);
    for (const entry of [first, second]) expectNoSecret(entry);
    expect(first.requestBody).toEqual({ schemas: [SEARCH], filter: 'password eq "[redacted]"' });
    expect(second.requestBody).toMatchObject({ filter: "password eq [redacted]" });
  });

  test("a filter that names no secret attribute still echoes what was wrong, in the detail and in the log", async () => {
    const { t, c } = await tenant();
    const r = await c.get(`/Users?filter=${encodeURIComponent("userName eq bob")}`);
    expectScimError(r, 400, "invalidFilter");
    expect(r.body.detail).toMatch(/unquoted value "bob" at position 13/);
    const [entry] = await logOf(t, 1);
    expect(entry.path).toBe(`/scim/v2/Users?filter=${encodeURIComponent("userName eq bob")}`);
  });
});

describe("PATCH paths comparing a password", () => {
  test.each([
    ["a value filter on password", `password[value eq "${SECRET}"]`, "invalidPath", /"password\[value eq \\?"\[redacted\]\\?"\]" cannot filter it/, true],
    ["password inside another attribute's value filter", `emails[value eq "someone@x.test" and password eq "${SECRET}"]`, "invalidPath", /emails\[value eq "someone@x.test" and password eq "\[redacted\]"\]/, false],
    ["a malformed path", `password[value eq "${SECRET}"`, "invalidPath", /expected "\]" at position 35/, true],
    ["a filter as the path", `password eq "${SECRET}"`, "invalidPath", /unexpected word at position 10/, true],
    ["an unquoted value in the value filter", `password[value eq ${SECRET}]`, "invalidFilter", /unquoted value at position 19/, true],
  ])("%s: the detail and the log hold no value compared with password", async (_name, path, scimType, detail, setsPassword) => {
    const { t, c, userId } = await tenant();
    const r = await c.patch(`/Users/${userId}`, patchOp({ op: "replace", path, value: "New-Passw0rd-Value" }));
    expectScimError(r, 400, scimType);
    expect(r.body.detail).toMatch(detail);
    expect(r.body.detail).toContain("password");
    expect(r.body.detail).not.toContain(SECRET);
    const [entry] = await logOf(t, 1);
    expectNoSecret(entry);
    // An operation whose path targets the password sets one: its value is redacted too (the other one's is an email address).
    expect(JSON.stringify(entry.requestBody).includes("New-Passw0rd-Value")).toBe(!setsPassword);
  });

  test("/Bulk: a PATCH operation's path is redacted in the logged body, and its error says no more", async () => {
    const { t, c, userId } = await tenant();
    const r = await c.post("/Bulk", {
      schemas: [BULK],
      Operations: [{ method: "PATCH", path: `/Users/${userId}`, data: { schemas: [PATCH_OP], Operations: [{ op: "remove", path: `password[value eq "${SECRET}"]` }] } }],
    });
    expect(r.status).toBe(200);
    expect(JSON.stringify(r.body)).not.toContain(SECRET);
    const [entry] = await logOf(t, 1);
    expectNoSecret(entry);
    expect(JSON.stringify(entry.requestBody)).toContain('password[value eq \\"[redacted]\\"]');
  });
});
