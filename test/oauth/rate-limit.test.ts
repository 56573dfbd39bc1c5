import { RateLimitCounter } from "../../src/domain/rate-limits/rate-limit-counter.entity";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { newClient, tokenRequest } from "./oauth-support";

const LIMIT = 3;
let app: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  // A day-long window: the test cannot straddle two windows (they are aligned on the epoch).
  app = await startTestApp({ OAUTH_TOKEN_RATE_LIMIT: String(LIMIT), OAUTH_TOKEN_RATE_WINDOW_SECONDS: "86400" });
  tenant = await app.tenant();
});
afterAll(() => app?.close());

/** The app trusts X-Forwarded-For (it runs behind a proxy): each test speaks from its own addresses. */
const from = (ip: string) => ({ "x-forwarded-for": ip });

test("per IP: the fourth request from one address in the window → 429 with Retry-After, whoever it names", async () => {
  const statuses: number[] = [];
  for (let i = 0; i < LIMIT + 1; i++) statuses.push((await tokenRequest(app, { grant_type: "client_credentials", client_id: `rcl_unknown_${i}`, client_secret: "x" }, { headers: from("198.51.100.7") })).status);
  expect(statuses).toEqual([401, 401, 401, 429]);
  const r = await tokenRequest(app, { grant_type: "client_credentials", client_id: "rcl_unknown_9", client_secret: "x" }, { headers: from("198.51.100.7") });
  expect(r.status).toBe(429);
  expect(r.body.error).toBe("temporarily_unavailable");
  const retryAfter = Number(r.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(86400);
  expect(r.headers.get("cache-control")).toBe("no-store");
  // Another address is not affected.
  expect((await tokenRequest(app, { grant_type: "client_credentials", client_id: "rcl_unknown_1", client_secret: "x" }, { headers: from("198.51.100.8") })).status).toBe(401);
});

test("per client: a client's fourth token request in the window → 429 from any address; other clients are unaffected", async () => {
  const a = await newClient(app, tenant, "busy");
  const b = await newClient(app, tenant, "quiet");
  for (let i = 0; i < LIMIT; i++) {
    const r = await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [a.clientId, a.secret], headers: from(`203.0.113.${i + 1}`) });
    expect(r.status).toBe(200);
  }
  const limited = await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [a.clientId, a.secret], headers: from("203.0.113.50") });
  expect(limited.status).toBe(429);
  expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  expect((await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [b.clientId, b.secret], headers: from("203.0.113.51") })).status).toBe(200);
});

test("per client: failed attempts with a client's id do not count against it; anyone knowing the id cannot lock it out", async () => {
  const victim = await newClient(app, tenant, "victim");
  // From many addresses (each under its own per-IP limit), more wrong secrets than the client's limit.
  for (let i = 0; i < LIMIT + 2; i++) {
    const r = await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [victim.clientId, "wrong"], headers: from(`192.0.2.${i + 1}`) });
    expect(r.status).toBe(401);
  }
  expect((await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [victim.clientId, victim.secret], headers: from("192.0.2.200") })).status).toBe(200);
});

test("a body the parser refuses (an unknown Content-Encoding, gzip that is not gzip) → 400 invalid_request, not 500", async () => {
  for (const encoding of ["br2", "gzip"]) {
    const res = await fetch(`${app.url}/oauth/token`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "content-encoding": encoding, ...from(`192.0.2.${encoding.length + 100}`) }, body: "grant_type=client_credentials" });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe("invalid_request");
  }
});

test("the counters are shared (in the database) and atomic: of 20 concurrent hits on a limit of 8, exactly 8 pass, and the refusals write nothing", async () => {
  const now = new Date();
  const results = await Promise.all(Array.from({ length: 20 }, () => app.services.rateLimiter.hit("test:concurrent", { limit: 8, windowSeconds: 3600 }, now)));
  expect(results.filter((r) => r.allowed)).toHaveLength(8);
  expect(results.map((r) => r.remaining).sort((x, y) => y - x).slice(0, 8)).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);
  const rows = await app.dataSource.getRepository(RateLimitCounter).findBy({});
  expect(rows.find((r) => r.key.startsWith("test:concurrent:"))?.count).toBe(8);
  // Expired windows are purged; the next window starts from zero.
  const key = rows.find((x) => x.key.startsWith("test:concurrent:"))!.key;
  const nextWindow = new Date(now.getTime() + 3600_000);
  expect(await app.services.rateLimiter.purgeExpired(nextWindow)).toBeGreaterThanOrEqual(1);
  expect(await app.dataSource.getRepository(RateLimitCounter).findOneBy({ key })).toBeNull();
  const later = await app.services.rateLimiter.hit("test:concurrent", { limit: 8, windowSeconds: 3600 }, nextWindow);
  expect([later.allowed, later.remaining]).toEqual([true, 7]);
});
