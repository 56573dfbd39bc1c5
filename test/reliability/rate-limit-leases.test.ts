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
const counterWrites = () => app.queries.statements.filter((s) => /rate_limit_counters/.test(s) && /^\s*INSERT/i.test(s)).length;
const sharedCount = async (key: string) => (await app.dataSource.getRepository(RateLimitCounter).findBy({})).find((r) => r.key.startsWith(`${key}:`))?.count;
const anotherInstance = () => new RateLimiter(new DatabaseCounterStore(app.services.db));

test("one instance: of 1,000 concurrent hits on a limit of 600 exactly 600 pass, in a fraction of the writes, and the refusals write nothing", async () => {
  const limiter = anotherInstance();
  const now = new Date();
  app.queries.reset();
  const first = await Promise.all(Array.from({ length: 1000 }, () => limiter.hit("lease:one", HOUR, now)));
  expect(first.filter((r) => r.allowed)).toHaveLength(600);
  expect(first.filter((r) => r.allowed && r.remaining === 0)).toHaveLength(1);
  expect(await sharedCount("lease:one")).toBe(600);
  // 600 hits one by one were 600 writes; leases of a twentieth of what is left take ~100.
  const writes = counterWrites();
  expect(writes).toBeGreaterThan(1);
  expect(writes).toBeLessThan(150);
  const later = await Promise.all(Array.from({ length: 50 }, () => limiter.hit("lease:one", HOUR, now)));
  expect(later.every((r) => !r.allowed && r.remaining === 0 && r.retryAfterSeconds > 0)).toBe(true);
  expect(counterWrites()).toBe(writes);
});

test("several instances never admit more than the limit; hits another instance reserved and did not use are the most it refuses early", async () => {
  const [a, b] = [anotherInstance(), anotherInstance()];
  const now = new Date();
  // a reserves a lease of 600 / 20 = 30 and uses one.
  expect((await a.hit("lease:two", HOUR, now)).allowed).toBe(true);
  expect(await sharedCount("lease:two")).toBe(30);
  // b can take what is left: 570.
  const onB = await Promise.all(Array.from({ length: 700 }, () => b.hit("lease:two", HOUR, now)));
  expect(onB.filter((r) => r.allowed)).toHaveLength(570);
  // a still holds 29, then is refused: 600 in all.
  const onA = await Promise.all(Array.from({ length: 100 }, () => a.hit("lease:two", HOUR, now)));
  expect(onA.filter((r) => r.allowed)).toHaveLength(29);
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
