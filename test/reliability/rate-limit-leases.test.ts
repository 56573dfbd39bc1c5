// Rate limits over the shared counter, taken in leases: an instance adds a lease of hits to the
// window's counter in one write and uses them locally. Real database (both passes); a second
// RateLimiter over the same database stands for a second instance.
import { DatabaseCounterStore, RateLimiter } from "../../src/domain/rate-limits/rate-limiter";
import { RateLimitCounter } from "../../src/domain/rate-limits/rate-limit-counter.entity";
import { type TestApp, startTestApp } from "../support/test-app";

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app?.close());

const HOUR = { limit: 600, windowSeconds: 3600 };
/** The counter writes (INSERT … ON DUPLICATE KEY / ON CONFLICT) the hits sent themselves, and the hits' answers. */
const hitsAndWrites = async <T>(hits: () => Promise<T>) => {
  const { result, statements } = await app.statementsOfCall(hits);
  return { result, writes: statements.filter((s) => /^INSERT INTO\s+\W?rate_limit_counters\b/i.test(s.trim())).length };
};
const sharedCount = async (key: string) => (await app.dataSource.getRepository(RateLimitCounter).findBy({})).find((r) => r.key.startsWith(`${key}:`))?.count;
const anotherInstance = () => new RateLimiter(new DatabaseCounterStore(app.services.db));

test("one instance: of 1,000 concurrent hits on a limit of 600 exactly 600 pass, in a fraction of the writes, and the refusals write nothing", async () => {
  const limiter = anotherInstance();
  const now = new Date();
  const { result: first, writes } = await hitsAndWrites(() => Promise.all(Array.from({ length: 1000 }, () => limiter.hit("lease:one", HOUR, now))));
  expect(first.filter((r) => r.allowed)).toHaveLength(600);
  expect(first.filter((r) => r.allowed && r.remaining === 0)).toHaveLength(1);
  expect(await sharedCount("lease:one")).toBe(600);
  // 600 hits one by one were 600 writes; leases of a twentieth of what is left take ~100.
  expect(writes).toBeGreaterThan(1);
  expect(writes).toBeLessThan(150);
  const later = await hitsAndWrites(() => Promise.all(Array.from({ length: 50 }, () => limiter.hit("lease:one", HOUR, now))));
  expect(later.result.every((r) => !r.allowed && r.remaining === 0 && r.retryAfterSeconds > 0)).toBe(true);
  expect(later.writes).toBe(0);
});

test("several instances never admit more than the limit; hits another instance reserved and did not use are the most it refuses early", async () => {
  const [a, b] = [anotherInstance(), anotherInstance()];
  const now = new Date();
  // a's first hit reads the counter (a lease of one), its second reserves (600 - 1) / 20 = 29.
  for (let i = 0; i < 2; i++) expect((await a.hit("lease:two", HOUR, now)).allowed).toBe(true);
  expect(await sharedCount("lease:two")).toBe(30);
  // b can take what is left: 570.
  const onB = await Promise.all(Array.from({ length: 700 }, () => b.hit("lease:two", HOUR, now)));
  expect(onB.filter((r) => r.allowed)).toHaveLength(570);
  // a still holds 28, then is refused: 600 in all.
  const onA = await Promise.all(Array.from({ length: 100 }, () => a.hit("lease:two", HOUR, now)));
  expect(onA.filter((r) => r.allowed)).toHaveLength(28);
});

test("an instance that is new (or was idle) reads the counter with a lease of one hit, so it does not take a twentieth of the limit from a window others nearly used up", async () => {
  const [a, b, c] = [anotherInstance(), anotherInstance(), anotherInstance()];
  const now = new Date();
  for (let i = 0; i < 575; i++) await a.hit("lease:late", HOUR, now);
  expect((await c.hit("lease:late", HOUR, now)).allowed).toBe(true);
  expect(await sharedCount("lease:late")).toBeLessThanOrEqual(580);
  // The 24 left go to whoever asks, not to c's lease.
  let admitted = 0;
  for (let i = 0; i < 100; i++) admitted += Number((await (i % 2 ? a : b).hit("lease:late", HOUR, now)).allowed);
  expect(admitted).toBe(24);
  expect((await c.hit("lease:late", HOUR, now)).allowed).toBe(false);
});

test("a key too long for the counter's row is counted under its hash, window by window", async () => {
  const limiter = anotherInstance();
  const now = new Date();
  const long = `long:${"2001:db8::1,".repeat(40)}`;
  const once = { limit: 1, windowSeconds: 3600 };
  expect((await limiter.hit(long, once, now)).allowed).toBe(true);
  expect((await limiter.hit(long, once, now)).allowed).toBe(false);
  // Another instance, the next window: a counter of its own (the window was cut off the key before).
  expect((await anotherInstance().hit(long, once, new Date(now.getTime() + 3600_000))).allowed).toBe(true);
  const rows = (await app.dataSource.getRepository(RateLimitCounter).findBy({})).filter((r) => r.key.startsWith("sha256:"));
  expect(rows.map((r) => r.key.length)).toEqual([rows[0].key.length, rows[0].key.length]);
  expect(new Set(rows.map((r) => r.key)).size).toBe(2);
});

test("three instances hit at random: at most the limit, and all but a few of it", async () => {
  const limiters = [app.services.rateLimiter, anotherInstance(), anotherInstance()];
  const now = new Date();
  const results = await Promise.all(Array.from({ length: 900 }, (_, i) => limiters[(i * 7 + (i >> 3)) % 3].hit("lease:three", HOUR, now)));
  const allowed = results.filter((r) => r.allowed).length;
  expect(allowed).toBeLessThanOrEqual(600);
  // Each instance keeps receiving to the end, so it uses what it reserved.
  expect(allowed).toBeGreaterThanOrEqual(590);
});

test("the next window starts from zero; peek counts what this instance reserved but did not use as unused", async () => {
  const limiter = anotherInstance();
  const now = new Date();
  for (let i = 0; i < 3; i++) await limiter.hit("lease:peek", HOUR, now);
  expect(await sharedCount("lease:peek")).toBe(30);
  expect((await limiter.peek("lease:peek", HOUR, now)).remaining).toBe(597);
  // Another instance sees the lease as used.
  expect((await anotherInstance().peek("lease:peek", HOUR, now)).remaining).toBe(570);
  const next = await limiter.hit("lease:peek", HOUR, new Date(now.getTime() + 3600_000));
  expect([next.allowed, next.remaining]).toEqual([true, 599]);
});

test("release gives back the hits an instance reserved and did not use (at shutdown), so the others may admit them; ended windows are left alone", async () => {
  const [a, b] = [anotherInstance(), anotherInstance()];
  const now = new Date();
  for (let i = 0; i < 2; i++) await a.hit("lease:release", HOUR, now);
  expect(await sharedCount("lease:release")).toBe(30);
  await a.release(now);
  expect(await sharedCount("lease:release")).toBe(2);
  // b may now admit all 598 that nobody used; without the release, 570.
  const onB = await Promise.all(Array.from({ length: 700 }, () => b.hit("lease:release", HOUR, now)));
  expect(onB.filter((r) => r.allowed)).toHaveLength(598);
  expect(await sharedCount("lease:release")).toBe(600);

  // A lease of a window that has ended is not written back.
  const c = anotherInstance();
  for (let i = 0; i < 2; i++) await c.hit("lease:ended", HOUR, now);
  await c.release(new Date(now.getTime() + 3600_000));
  expect(await sharedCount("lease:ended")).toBe(30);
});

test("an app that stops gives its unused hits back: the counters hold exactly the requests it answered", async () => {
  // A second instance on this file's database, which its close does not drop.
  const stopping = await startTestApp({ SCIM_RATE_LIMIT_PER_TOKEN: "600", SCIM_RATE_LIMIT_PER_IP: "600" }, { shareDatabaseOf: app });
  const t = await stopping.tenant();
  const counters = async () => (await app.dataSource.getRepository(RateLimitCounter).find()).filter((r) => r.key.startsWith("scim:")).map((r) => r.count);
  for (let i = 0; i < 3; i++) expect((await fetch(`${stopping.url}/scim/v2/Users?count=1`, { headers: { authorization: `Bearer ${t.scimToken}` } })).status).toBe(200);
  const before = await counters();
  expect(before).toHaveLength(2); // per token and per IP
  expect(Math.min(...before)).toBeGreaterThan(3); // leases reserved beyond the three requests
  await stopping.close();
  expect(await counters()).toEqual([3, 3]);
});
