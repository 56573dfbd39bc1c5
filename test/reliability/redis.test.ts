// REDIS_URL: sessions, the SAML replay cache and rate-limit counters in Redis (a real Redis at
// 127.0.0.1:6379), everything else in the database. Each run of this file (the sqlite and the mariadb
// projects run it in parallel) writes under a key prefix of its own and removes its keys afterwards.
// In CI (CI=true) an unreachable Redis fails this file; elsewhere it is skipped with a loud warning.
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import net from "node:net";
import { createClient } from "redis";
import request from "supertest";
import { loadConfig } from "../../src/config/config";
import { RateLimitCounter } from "../../src/domain/rate-limits/rate-limit-counter.entity";
import { ReplayEntry } from "../../src/domain/replay/replay-entry.entity";
import { Session } from "../../src/domain/sessions/session.entity";
import { IdentityProvider } from "../../src/domain/sso/identity-provider.entity";
import { serviceProviderInfo } from "../../src/domain/sso/identity-provider.service";
import { CORE_USER, expectScimError, patchOp, scimClient } from "../support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { type TestKey, authnRequestId, b64, buildResponseXml, makeSelfSignedCert, signResponse } from "../sso/support/fake-saml-idp";
import { IDP_ISSUER, configureSaml, samlSignIn } from "../sso/support/saml-login";

const REDIS_HOST = "127.0.0.1";
const REDIS_PORT = 6379;
const REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}/0`;

/** Synchronously (jest must know before it collects the tests): does Redis answer PING? */
function redisAnswers(): boolean {
  const probe = `const s=require("net").connect(${REDIS_PORT},"${REDIS_HOST}");s.setTimeout(2000,()=>process.exit(1));s.on("error",()=>process.exit(1));s.on("data",d=>process.exit(String(d).startsWith("+PONG")?0:1));s.write("PING\\r\\n");`;
  return spawnSync(process.execPath, ["-e", probe], { timeout: 5000 }).status === 0;
}

const redisUp = redisAnswers();
const inCi = /^(1|true|yes)$/i.test(process.env.CI ?? "");
if (!redisUp && !inCi) {
  console.warn(`\n\n*** Redis does not answer at ${REDIS_HOST}:${REDIS_PORT}: SKIPPING test/reliability/redis.test.ts (in CI this fails). Start it: redis-server --daemonize yes --port 6379 --save "" ***\n\n`);
}
const describeRedis = redisUp || inCi ? describe : describe.skip;

/** This file's own namespace (both jest projects run it at once). */
const newPrefix = (what: string) => `roster-test:${process.pid}:${crypto.randomBytes(4).toString("hex")}:${what}:`;

/** A client of the test's own, to look at what Roster wrote. */
const inspector = () => {
  const c = createClient({ url: REDIS_URL });
  c.on("error", () => undefined);
  return c;
};
type Inspector = ReturnType<typeof inspector>;
const keysUnder = async (redis: Inspector, prefix: string): Promise<string[]> => {
  const keys: string[] = [];
  for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
  return keys.sort();
};
const dropKeys = async (redis: Inspector, prefix: string) => {
  const keys = await keysUnder(redis, prefix);
  if (keys.length) await redis.del(keys);
};

/** A TCP proxy in front of Redis that the test can cut and restore (a Redis outage). */
class CuttableProxy {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  port = 0;

  async open(port = 0): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(REDIS_PORT, REDIS_HOST);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(port, "127.0.0.1", resolve));
    this.port = (this.server!.address() as net.AddressInfo).port;
  }

  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }

  /** The connections stay open, but nothing passes either way (a partition without a reset). */
  stall(): void {
    for (const s of this.sockets) s.pause();
  }

  resume(): void {
    for (const s of this.sockets) s.resume();
  }
}

const sessionCookie = (setCookie: unknown) => /roster\.sid=[^;]+/.exec(String(setCookie))![0];
const sidOf = (cookie: string) => /^s:([^.]+)\./.exec(decodeURIComponent(cookie.slice("roster.sid=".length)))![1];
const me = (url: string, cookie: string) => fetch(`${url}/auth/me`, { headers: { cookie } });

describeRedis("REDIS_URL set: sessions, replay cache and rate-limit counters in Redis", () => {
  const prefix = newPrefix("main");
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, SCIM_RATE_LIMIT_PER_TOKEN: "3", RATE_LIMIT_WINDOW_SECONDS: "3600" };
  let redis: Inspector;
  let a: TestApp;
  let b: TestApp;
  let t: TestTenant;
  let key: TestKey;
  let n = 0;
  const newUser = () => a.services.users.create(t.ctx, { userName: `r${++n}@redis.test` });

  beforeAll(async () => {
    if (!redisUp) throw new Error(`CI=true and Redis does not answer at ${REDIS_HOST}:${REDIS_PORT}: the Redis tests cannot run (.ci/run starts redis-server)`);
    redis = inspector();
    await redis.connect();
    a = await startTestApp(env);
    // A second instance: the same database, the same Redis (as behind a load balancer).
    b = await startTestApp(env, { shareDatabaseOf: a });
    t = await a.tenant();
    key = makeSelfSignedCert("redis-idp");
    await configureSaml(a, t, key);
  }, 30_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    if (redis?.isOpen) {
      await dropKeys(redis, prefix);
      await redis.close();
    }
  });

  test("SCIM rate limits count in Redis: 429 with Retry-After at the limit, nothing in rate_limit_counters", async () => {
    const token = (await a.services.tokens.create(t.ctx, { name: "redis limits", scope: "scim" })).secret;
    // Both instances count against one limit of 3.
    const statuses = [];
    for (const url of [a.url, b.url, a.url]) statuses.push((await scimClient(url, token).get("/Users?count=1")).status);
    expect(statuses).toEqual([200, 200, 200]);
    const refused = await scimClient(b.url, token).get("/Users?count=1");
    expectScimError(refused, 429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    const counters = (await keysUnder(redis, `${prefix}rate:`)).filter((k) => k.includes("scim"));
    expect(counters.length).toBeGreaterThanOrEqual(1);
    const values = await Promise.all(counters.map((k) => redis.get(k)));
    expect(values.map(Number)).toContain(4);
    expect(await redis.pTTL(counters[0])).toBeGreaterThan(0); // Redis expires the window itself
    expect(await a.dataSource.getRepository(RateLimitCounter).count()).toBe(0);
  });

  test("a lease of rate-limit hits is one INCRBY, and the window's first sets its expiry", async () => {
    const hour = { limit: 600, windowSeconds: 3600 };
    // 600 / 20 = 30 hits, then (600 - 30) / 20 = 28 more for the 31st.
    for (let i = 0; i < 31; i++) expect((await a.services.rateLimiter.hit("lease:redis", hour)).allowed).toBe(true);
    const [key] = (await keysUnder(redis, `${prefix}rate:`)).filter((k) => k.includes("lease:redis"));
    expect(Number(await redis.get(key))).toBe(58);
    const ttl = await redis.pTTL(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3600_000);
  });

  test("SAML replay is refused through Redis, whichever instance the replay reaches", async () => {
    const u = await newUser();
    const sp = serviceProviderInfo(a.config.publicUrl, t.organisation.slug);
    const browser = request.agent(a.url);
    const start = await browser.get(`/auth/saml/${t.organisation.slug}/login`).expect(302);
    const requestId = authnRequestId(start.headers.location);
    expect(await redis.exists(`${prefix}replay:saml-request:${t.organisation.id}:${requestId}`)).toBe(1);
    const xml = signResponse(buildResponseXml({ idpIssuer: IDP_ISSUER, spEntityId: sp.spEntityId, acsUrl: sp.acsUrl, nameId: u.userName, inResponseTo: requestId }), key);
    expect((await browser.post(`/auth/saml/${t.organisation.slug}/acs`).type("form").send({ SAMLResponse: b64(xml) })).status).toBe(303);
    const assertions = await keysUnder(redis, `${prefix}replay:saml-assertion:${t.organisation.id}:`);
    expect(assertions).toHaveLength(1);
    // The same response again, to the other instance: refused.
    const attacker = request.agent(b.url);
    expect((await attacker.post(`/auth/saml/${t.organisation.slug}/acs`).type("form").send({ SAMLResponse: b64(xml) })).status).toBe(401);
    await attacker.get("/auth/me").expect(401);
    // Nothing of it in the database (only the generated secrets, session and cursors', which stay there).
    const rows = await a.dataSource.getRepository(ReplayEntry).find();
    expect(rows.map((r) => r.key).sort()).toEqual(["secret:cursors", "secret:session"]);
  });

  test("an SSO session lives in Redis and works on the second instance", async () => {
    const u = await newUser();
    const { response } = await samlSignIn(a, t, key, u.userName);
    expect(response.status).toBe(303);
    const cookie = sessionCookie(response.headers["set-cookie"]);
    const sid = sidOf(cookie);
    const stored = await redis.get(`${prefix}session:${sid}`);
    expect(JSON.parse(stored!)).toMatchObject({ userId: u.id, organisationId: t.organisation.id });
    expect(await redis.pTTL(`${prefix}session:${sid}`)).toBeGreaterThan(60 * 60_000);
    expect(await redis.sMembers(`${prefix}user-sessions:${u.id}`)).toEqual([sid]);
    expect(await a.dataSource.getRepository(Session).count()).toBe(0);
    const there = await me(b.url, cookie);
    expect(there.status).toBe(200);
    expect(((await there.json()) as { userName: string }).userName).toBe(u.userName);
    // Sign-out on the second instance ends it on both.
    expect((await fetch(`${b.url}/auth/logout`, { method: "POST", headers: { cookie } })).status).toBe(200);
    expect(await redis.exists(`${prefix}session:${sid}`)).toBe(0);
    expect(await redis.sMembers(`${prefix}user-sessions:${u.id}`)).toEqual([]);
    expect((await me(a.url, cookie)).status).toBe(401);
  });

  test("deactivating a user (SCIM, on the other instance) deletes its Redis sessions at once", async () => {
    const u = await newUser();
    const cookies = [];
    for (let i = 0; i < 2; i++) cookies.push(sessionCookie((await samlSignIn(a, t, key, u.userName)).response.headers["set-cookie"]));
    const sids = cookies.map(sidOf);
    expect((await redis.sMembers(`${prefix}user-sessions:${u.id}`)).sort()).toEqual([...sids].sort());
    const scimToken = (await b.services.tokens.create(t.ctx, { name: "redis deactivate", scope: "scim" })).secret;
    const r = await scimClient(b.url, scimToken).patch(`/Users/${u.id}`, patchOp({ op: "replace", path: "active", value: false }));
    expect(r.status).toBe(200);
    // When the PATCH has answered, the sessions are gone from Redis.
    expect(await redis.exists(sids.map((sid) => `${prefix}session:${sid}`))).toBe(0);
    expect(await redis.exists(`${prefix}user-sessions:${u.id}`)).toBe(0);
    for (const cookie of cookies) for (const url of [a.url, b.url]) expect((await me(url, cookie)).status).toBe(401);
  });

  test("deactivation through GraphQL and deletion through the domain end Redis sessions too; a refused one ends none", async () => {
    const [x, y, z] = [await newUser(), await newUser(), await newUser()];
    const [cx, cy, cz] = await Promise.all([x, y, z].map(async (u) => sessionCookie((await samlSignIn(a, t, key, u.userName)).response.headers["set-cookie"])));
    const r = await a.gql(t.adminToken, `mutation($id: ID!) { deactivateUser(id: $id) { active } }`, { id: x.id });
    expect(r.data).toEqual({ deactivateUser: { active: false } });
    expect(await redis.exists(`${prefix}session:${sidOf(cx)}`)).toBe(0);
    await b.services.users.delete({ ...t.ctx, source: "scim" }, y.id);
    expect(await redis.exists(`${prefix}session:${sidOf(cy)}`)).toBe(0);
    expect((await me(b.url, cx)).status).toBe(401);
    expect((await me(a.url, cy)).status).toBe(401);
    // A deactivation whose transaction fails (version mismatch) commits nothing and ends nothing.
    await expect(a.services.users.update(t.ctx, z.id, { active: false }, { expectedVersion: 999 })).rejects.toThrow();
    expect(await redis.exists(`${prefix}session:${sidOf(cz)}`)).toBe(1);
    expect((await me(b.url, cz)).status).toBe(200);
  });

  test("replacing the SAML IdP with another (on the other instance) ends its Redis sessions, deleting it too; a change that keeps the IdP ends none", async () => {
    const mine = await a.tenant();
    const saml = await configureSaml(a, mine, key);
    const u = await a.services.users.create(mine.ctx, { userName: "idp@redis.test" });
    const signIn = async (issuer = IDP_ISSUER) => {
      const { response } = await samlSignIn(a, mine, key, u.userName, {}, undefined, issuer);
      expect(response.status).toBe(303);
      return sessionCookie(response.headers["set-cookie"]);
    };
    const idpSet = `${prefix}idp-sessions:${saml.id}`;
    const [c1, c2] = [await signIn(), await signIn()];
    expect((await redis.sMembers(idpSet)).sort()).toEqual([sidOf(c1), sidOf(c2)].sort());
    expect(JSON.parse((await redis.get(`${prefix}session:${sidOf(c1)}`))!)).toMatchObject({ userId: u.id, identityProviderId: saml.id });
    expect(await redis.pTTL(idpSet)).toBeGreaterThan(60 * 60_000);

    // The same IdP: a rotated certificate added, another user-match attribute.
    const next = makeSelfSignedCert("redis-idp-next");
    await configureSaml(b, mine, key, { idpCertificates: [key.certPem, next.certPem] });
    await configureSaml(b, mine, key, { idpCertificates: [key.certPem, next.certPem], matchBy: "externalId" });
    await configureSaml(b, mine, key);
    expect(await redis.exists([c1, c2].map((c) => `${prefix}session:${sidOf(c)}`))).toBe(2);
    for (const c of [c1, c2]) expect((await me(a.url, c)).status).toBe(200);

    // Another IdP (another entity id), through GraphQL on the other instance: gone from Redis when it answers.
    const replaced = await b.gql(mine.adminToken, `mutation($input: ConfigureSamlInput!) { configureSaml(input: $input) { id } }`, {
      input: { idpSsoUrl: "https://acme.okta.example/sso/saml", idpEntityId: "http://www.okta.com/exkREPLACED", idpCertificates: [key.certPem] },
    });
    expect(replaced.errors).toBeUndefined();
    expect(await redis.exists([c1, c2].map((c) => `${prefix}session:${sidOf(c)}`))).toBe(0);
    expect(await redis.sMembers(idpSet)).toEqual([]);
    for (const c of [c1, c2]) for (const url of [a.url, b.url]) expect((await me(url, c)).status).toBe(401);

    // Deleted: the sessions signed in through the new IdP end as well.
    const c3 = await signIn("http://www.okta.com/exkREPLACED");
    expect((await me(b.url, c3)).status).toBe(200);
    expect((await b.gql(mine.adminToken, "mutation { deleteIdentityProvider(kind: saml) }")).errors).toBeUndefined();
    expect(await redis.exists(`${prefix}session:${sidOf(c3)}`)).toBe(0);
    expect((await me(a.url, c3)).status).toBe(401);
  });

  test("a Redis session whose IdP was replaced while Redis could not be told (or by the CLI, which does not use Redis) is refused by the check on every request", async () => {
    const mine = await a.tenant();
    const saml = await configureSaml(a, mine, key);
    const u = await a.services.users.create(mine.ctx, { userName: "idp-check@redis.test" });
    const { response } = await samlSignIn(a, mine, key, u.userName);
    const cookie = sessionCookie(response.headers["set-cookie"]);
    // A replacement whose Redis step did not happen: only the database changed.
    await a.dataSource.getRepository(IdentityProvider).update({ id: saml.id }, { identityVersion: "replaced-elsewhere" });
    expect(await redis.exists(`${prefix}session:${sidOf(cookie)}`)).toBe(1);
    expect((await me(b.url, cookie)).status).toBe(401);
  });
});

describeRedis("REDIS_URL: start errors and outages", () => {
  let redis: Inspector;
  beforeAll(async () => {
    if (!redisUp) throw new Error(`CI=true and Redis does not answer at ${REDIS_HOST}:${REDIS_PORT}`);
    redis = inspector();
    await redis.connect();
  });
  afterAll(async () => {
    if (redis?.isOpen) await redis.close();
  });

  test("a Redis that cannot be reached at start is a start error naming REDIS_URL", async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(startTestApp({ REDIS_URL: `redis://:s3cret@127.0.0.1:${port}/0`, REDIS_KEY_PREFIX: newPrefix("start") })).rejects.toThrow(
      new RegExp(`REDIS_URL=redis://127\\.0\\.0\\.1:${port}/0`),
    );
    expect(() => loadConfig({ REDIS_URL: "http://127.0.0.1:6379" })).toThrow(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
    expect(loadConfig({}).redis).toBeNull();
    expect(loadConfig({ REDIS_URL }).redis).toEqual({ url: REDIS_URL, keyPrefix: "roster:" });
  }, 20_000);

  test("Redis going away: 503 (never a 500), /readyz says so, and the service recovers by itself", async () => {
    const prefix = newPrefix("outage");
    const proxy = new CuttableProxy();
    await proxy.open();
    // The default limits: how much an instance's lease holds depends on them.
    const limits = { SCIM_RATE_LIMIT_PER_TOKEN: "600", SCIM_RATE_LIMIT_PER_IP: "3000", GRAPHQL_RATE_LIMIT_PER_IP: "1200" };
    const app = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${proxy.port}/0`, REDIS_KEY_PREFIX: prefix, ...limits });
    try {
      const t = await app.tenant();
      const k = makeSelfSignedCert("outage-idp");
      await configureSaml(app, t, k);
      const u = await app.services.users.create(t.ctx, { userName: "outage@redis.test" });
      const cookie = sessionCookie((await samlSignIn(app, t, k, u.userName)).response.headers["set-cookie"]);
      const scim = scimClient(app.url, t.scimToken);
      expect((await scim.get("/Users?count=1")).status).toBe(200);
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200);

      const port = proxy.port;
      await proxy.cut();
      const started = Date.now();
      // SCIM needs Redis only for its rate-limit counters, and serves from this instance's lease of
      // them (at most a twentieth of a limit) until that is used up.
      let served = 0;
      while (served < 200 && (await scim.get("/Users?count=1")).status === 200) served++;
      expect(served).toBeLessThanOrEqual(600 / 20);
      const down = await scim.post("/Users", { schemas: [CORE_USER], userName: "during@redis.test" });
      expectScimError(down, 503);
      expect(down.headers.get("retry-after")).toBe("5");
      expect(down.text).not.toMatch(/at .*\.ts|Error:|stack/i);
      const page = await me(app.url, cookie);
      expect(page.status).toBe(503);
      expect(await page.text()).not.toMatch(/at .*\.ts|stack/i);
      const gql = await app.gql(t.adminToken, "{ users { totalCount } }");
      expect(gql.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
      const ready = await fetch(`${app.url}/readyz`);
      expect([ready.status, ((await ready.json()) as { redis?: string }).redis]).toEqual([503, "unavailable"]);
      expect(Date.now() - started).toBeLessThan(10_000); // fast, not hanging
      // Nothing was written to the database for the refused request.
      expect(await app.services.users.findByUserName(t.ctx, "during@redis.test")).toBeNull();

      await proxy.open(port);
      const deadline = Date.now() + 15_000;
      while ((await fetch(`${app.url}/readyz`)).status !== 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
      expect((await me(app.url, cookie)).status).toBe(200); // the session survived in Redis
      expect((await scim.post("/Users", { schemas: [CORE_USER], userName: "after@redis.test" })).status).toBe(201);
    } finally {
      await app.close();
      await proxy.cut().catch(() => undefined);
      await dropKeys(redis, prefix);
    }
  }, 40_000);

  test("Redis stalled with its connection open: 503 after the command timeout instead of hanging, and normal service once it answers again", async () => {
    const prefix = newPrefix("stall");
    const proxy = new CuttableProxy();
    await proxy.open();
    const app = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${proxy.port}/0`, REDIS_KEY_PREFIX: prefix, SCIM_RATE_LIMIT_PER_TOKEN: "600" });
    try {
      const t = await app.tenant();
      expect((await scimClient(app.url, t.scimToken).get("/Users?count=1")).status).toBe(200);
      proxy.stall();
      // A token not seen before needs its rate-limit counter, in Redis.
      const fresh = (await app.services.tokens.create(t.ctx, { name: "stalled", scope: "scim" })).secret;
      const started = Date.now();
      const stalled = await scimClient(app.url, fresh).get("/Users?count=1");
      expectScimError(stalled, 503);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await fetch(`${app.url}/readyz`)).status).toBe(503);
      proxy.resume();
      const deadline = Date.now() + 10_000;
      let status = 0;
      while (status !== 200 && Date.now() < deadline) status = (await scimClient(app.url, fresh).get("/Users?count=1")).status;
      expect(status).toBe(200);
    } finally {
      await app.close();
      await proxy.cut().catch(() => undefined);
      await dropKeys(redis, prefix);
    }
  }, 40_000);
});

describeRedis("REDIS_URL unset (the default): nothing goes to Redis", () => {
  test("sessions, replay entries and counters are in the database; no Redis connection, no key written", async () => {
    const prefix = newPrefix("unset");
    const app = await startTestApp({ REDIS_KEY_PREFIX: prefix });
    const redis = inspector();
    try {
      if (!redisUp) throw new Error(`CI=true and Redis does not answer at ${REDIS_HOST}:${REDIS_PORT}`);
      await redis.connect();
      expect(app.config.redis).toBeNull();
      expect(app.services.redis).toBeNull();
      const t = await app.tenant();
      const k = makeSelfSignedCert("unset-idp");
      await configureSaml(app, t, k);
      const u = await app.services.users.create(t.ctx, { userName: "db@redis.test" });
      const { browser, response } = await samlSignIn(app, t, k, u.userName);
      expect(response.status).toBe(303);
      await browser.get("/auth/me").expect(200);
      expect((await scimClient(app.url, t.scimToken).get("/Users?count=1")).status).toBe(200);
      expect(await app.dataSource.getRepository(Session).countBy({ userId: u.id })).toBe(1);
      expect(await app.dataSource.getRepository(RateLimitCounter).count()).toBeGreaterThan(0);
      expect((await app.dataSource.getRepository(ReplayEntry).find()).some((r) => r.key.startsWith("saml-assertion:"))).toBe(true);
      expect(await keysUnder(redis, prefix)).toEqual([]);
      await app.services.users.deactivate(t.ctx, u.id);
      expect(await app.dataSource.getRepository(Session).countBy({ userId: u.id })).toBe(0);
    } finally {
      await app.close();
      if (redis.isOpen) await redis.close();
    }
  });
});
