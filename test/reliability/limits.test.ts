// Hostile input: every documented limit answers with its documented SCIM error; rate limits per
// token and per IP (429 + Retry-After); failed authentications are audited and lock an IP out.
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { CORE_USER, expectScimError, patchOp, scimClient } from "../support/scim-client";

let app: TestApp;
let ipCounter = 0;
/** Each test speaks from addresses of its own (the app trusts X-Forwarded-For from loopback). */
const newIp = () => `203.0.113.${++ipCounter}`;
const from = (ip: string) => ({ "x-forwarded-for": ip });

beforeAll(async () => {
  app = await startTestApp({
    SCIM_MAX_RESULTS: "5",
    SCIM_RATE_LIMIT_PER_TOKEN: "6",
    SCIM_RATE_LIMIT_PER_IP: "10",
    GRAPHQL_RATE_LIMIT_PER_IP: "4",
    AUTH_RATE_LIMIT_PER_IP: "3",
    AUTH_FAILURE_LIMIT_PER_IP: "5",
    RATE_LIMIT_WINDOW_SECONDS: "3600",
  });
});
afterAll(() => app.close());

describe("each limit gets its documented SCIM error", () => {
  let t: TestTenant;
  let userId: string;
  let groupId: string;
  beforeAll(async () => {
    t = await app.tenant();
    userId = (await app.services.users.create(t.ctx, { userName: "limits@limits.test" })).id;
    groupId = (await app.services.groups.create(t.ctx, { displayName: "Limits" })).id;
  });
  // A fresh IP and token per request keeps the rate limits out of these cases.
  const call = async (method: string, path: string, body?: unknown) => {
    const token = (await app.services.tokens.create(t.ctx, { name: "limits", scope: "scim" })).secret;
    return scimClient(app.url, token).call(method, path, body, from(newIp()));
  };

  test("body larger than SCIM_MAX_PAYLOAD_BYTES (1 MiB by default) → 413", async () => {
    const r = await call("POST", "/Users", { schemas: [CORE_USER], userName: "big@limits.test", displayName: "x".repeat(1_100_000) });
    expectScimError(r, 413);
  });

  test("filter longer than 4096 characters → 400 invalidFilter; nested deeper than 32 → 400 invalidFilter", async () => {
    expectScimError(await call("GET", `/Users?filter=${encodeURIComponent(`userName eq "${"a".repeat(4100)}"`)}`), 400, "invalidFilter");
    const deep = `${"(".repeat(40)}userName eq "a"${")".repeat(40)}`;
    expectScimError(await call("GET", `/Users?filter=${encodeURIComponent(deep)}`), 400, "invalidFilter");
    const deepNot = `${"not (".repeat(40)}userName eq "a"${")".repeat(40)}`;
    expectScimError(await call("GET", `/Groups?filter=${encodeURIComponent(deepNot)}`), 400, "invalidFilter");
    // Just under the limits is answered.
    expect((await call("GET", `/Users?filter=${encodeURIComponent(`${"(".repeat(20)}userName eq "a"${")".repeat(20)}`)}`)).status).toBe(200);
  });

  test("more than 1000 operations in a PATCH → 400 tooMany; in a Bulk → 413", async () => {
    const ops = Array.from({ length: 1001 }, () => ({ op: "replace", path: "displayName", value: "x" }));
    expectScimError(await call("PATCH", `/Users/${userId}`, patchOp(...ops)), 400, "tooMany");
    const bulk = { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: Array.from({ length: 1001 }, (_, i) => ({ method: "DELETE", path: `/Users/x${i}` })) };
    expectScimError(await call("POST", "/Bulk", bulk), 413);
  });

  test("more than 10,000 members in one request → 400 invalidValue, nothing written", async () => {
    const members = Array.from({ length: 10_001 }, (_, i) => ({ value: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}` }));
    const r = await call("PATCH", `/Groups/${groupId}`, patchOp({ op: "add", path: "members", value: members }));
    expectScimError(r, 400, "invalidValue");
    expect(r.body.detail).toMatch(/10000/);
    expect(Number((await app.dataSource.query("SELECT COUNT(*) AS n FROM group_memberships WHERE groupId = ?", [groupId]))[0].n)).toBe(0);
    const put = await call("PUT", `/Groups/${groupId}`, { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Limits", members });
    expectScimError(put, 400, "invalidValue");
    const post = await call("POST", "/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Too big", members });
    expectScimError(post, 400, "invalidValue");
    expect(Number((await app.dataSource.query("SELECT COUNT(*) AS n FROM `groups` WHERE displayName = 'Too big'"))[0].n)).toBe(0);
  });

  test("count above SCIM_MAX_RESULTS is capped (RFC 7644 §3.4.2.4), a negative count is 0", async () => {
    for (let i = 0; i < 7; i++) await app.services.users.create(t.ctx, { userName: `page${i}@limits.test` });
    const r = await call("GET", "/Users?count=100000");
    expect(r.status).toBe(200);
    expect(r.body.itemsPerPage).toBe(5);
    expect(r.body.Resources).toHaveLength(5);
    expect(r.body.totalResults).toBeGreaterThanOrEqual(8);
    const none = await call("GET", "/Users?count=-3");
    expect(none.body.Resources ?? []).toHaveLength(0);
  });
});

describe("rate limits", () => {
  test("per SCIM token: beyond SCIM_RATE_LIMIT_PER_TOKEN → 429 SCIM error with Retry-After; another token is unaffected; the 429 is in the provisioning log", async () => {
    const t = await app.tenant();
    const statuses: number[] = [];
    let last;
    for (let i = 0; i < 8; i++) {
      last = await scimClient(app.url, t.scimToken).get("/Users", from(newIp()));
      statuses.push(last.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429, 429]);
    expectScimError(last!, 429);
    expect(Number(last!.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(last!.headers.get("retry-after"))).toBeLessThanOrEqual(3600);
    const other = (await app.services.tokens.create(t.ctx, { name: "second", scope: "scim" })).secret;
    expect((await scimClient(app.url, other).get("/Users", from(newIp()))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    const log = await app.services.provisioningLog.list(t.ctx, { status: 429 }, { first: 10 });
    expect(log.items.length).toBeGreaterThanOrEqual(2);
  });

  test("per IP on /scim/v2: beyond SCIM_RATE_LIMIT_PER_IP → 429 whatever the token; another IP is unaffected", async () => {
    const ip = newIp();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const t = await app.tenant();
      statuses.push((await scimClient(app.url, t.scimToken).get("/ServiceProviderConfig", from(ip))).status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429]);
    const t = await app.tenant();
    expect((await scimClient(app.url, t.scimToken).get("/ServiceProviderConfig", from(newIp()))).status).toBe(200);
  });

  test("per IP on /graphql (RATE_LIMITED, Retry-After) and on /auth", async () => {
    const t = await app.tenant();
    const ip = newIp();
    const gql = () => fetch(`${app.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}`, ...from(ip) }, body: JSON.stringify({ query: "{ organisation { slug } }" }) });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await gql());
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 429]);
    expect(Number(answers[4].headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await answers[4].json()) as any).errors[0].extensions.code).toBe("RATE_LIMITED");

    const authIp = newIp();
    const auth = [];
    for (let i = 0; i < 4; i++) auth.push((await fetch(`${app.url}/auth/me`, { headers: from(authIp) })).status);
    expect(auth).toEqual([401, 401, 401, 429]);
  });
});

describe("brute force of tokens is useless", () => {
  test("after AUTH_FAILURE_LIMIT_PER_IP bad tokens an IP's further bad tokens get 429, uncounted and unaudited; a good token from it still works; other IPs are unaffected", async () => {
    const t = await app.tenant();
    const ip = newIp();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await scimClient(app.url, `rst_scim_guess${i}`).get("/Users", from(ip))).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const locked = await scimClient(app.url, "rst_scim_guess-again").get("/Users", from(ip));
    expectScimError(locked, 429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(locked.headers.get("www-authenticate")).toBeNull();
    // A known but revoked token from the locked-out IP: 429 too, and no new audited refusal.
    const revoked = await app.services.tokens.create(t.ctx, { name: "stale okta", scope: "scim" });
    await app.services.tokens.revoke(t.ctx, revoked.token.id);
    expectScimError(await scimClient(app.url, revoked.secret).get("/Users", from(ip)), 429);
    expect((await app.services.audit.list(t.ctx, { action: "token.refused" }, { first: 10 })).items).toEqual([]);
    // Okta and Entra call from egress addresses shared by all their customers: one customer's stale
    // token must not stop another's provisioning, over SCIM or GraphQL.
    expect((await scimClient(app.url, t.scimToken).get("/Users", from(ip))).status).toBe(200);
    const gql = (token: string) => fetch(`${app.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}`, ...from(ip) }, body: JSON.stringify({ query: "{ organisation { slug } }" }) });
    const good = await gql(t.adminToken);
    expect(good.status).toBe(200);
    expect(((await good.json()) as any).data.organisation.slug).toBe(t.organisation.slug);
    // Bad GraphQL bearer tokens from the same IP are locked out too (failures are counted across APIs).
    const bad = await gql("rst_admin_guess");
    expect(bad.status).toBe(429);
    expect(((await bad.json()) as any).errors[0].extensions.code).toBe("RATE_LIMITED");
    expect((await scimClient(app.url, "rst_scim_guess-elsewhere").get("/Users", from(newIp()))).status).toBe(401);
  });

  test("bad tokens sent at once from one IP: exactly AUTH_FAILURE_LIMIT_PER_IP are answered 401 and audited, the rest 429", async () => {
    const t = await app.tenant();
    const ip = newIp();
    const revoked = await app.services.tokens.create(t.ctx, { name: "stale entra", scope: "scim" });
    await app.services.tokens.revoke(t.ctx, revoked.token.id);
    const responses = await Promise.all(Array.from({ length: 20 }, () => scimClient(app.url, revoked.secret).get("/Users", from(ip))));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(15).fill(429)]);
    expect((await app.services.audit.list(t.ctx, { action: "token.refused" }, { first: 50 })).items).toHaveLength(5);
  });

  test("a revoked or expired token is refused and audited in its organisation; bad GraphQL admin tokens too", async () => {
    const t = await app.tenant();
    const revoked = await app.services.tokens.create(t.ctx, { name: "old okta", scope: "scim" });
    await app.services.tokens.revoke(t.ctx, revoked.token.id);
    const r = await scimClient(app.url, revoked.secret).get("/Users", from(newIp()));
    expectScimError(r, 401);
    expect(r.body.detail).toBe("the token is revoked");
    const revokedAdmin = await app.services.tokens.create(t.ctx, { name: "old admin", scope: "admin" });
    await app.services.tokens.revoke(t.ctx, revokedAdmin.token.id);
    const g = await fetch(`${app.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${revokedAdmin.secret}`, ...from(newIp()) }, body: JSON.stringify({ query: "{ organisation { slug } }" }) });
    expect(((await g.json()) as any).errors[0].extensions.code).toBe("UNAUTHENTICATED");
    const events = await app.services.audit.list(t.ctx, { action: "token.refused" }, { first: 10 });
    expect(events.items.map((e) => [e.resourceId, e.source, e.changes?.reason?.after])).toEqual(
      expect.arrayContaining([
        [revoked.token.id, "scim", "revoked"],
        [revokedAdmin.token.id, "graphql", "revoked"],
      ]),
    );
    // Secrets are looked up by their SHA-256 only: the stored row holds no secret.
    const rows = await app.dataSource.query("SELECT * FROM access_tokens WHERE id = ?", [revoked.token.id]);
    expect(JSON.stringify(rows)).not.toContain(revoked.secret);
    expect(JSON.stringify(rows)).not.toContain(revoked.secret.slice(12));
  });
});
