import net from "node:net";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { expectScimError, scimClient } from "../support/scim-client";
import { testDriver } from "../support/test-database";

/** A TCP proxy in front of MariaDB that the test can cut and restore, as a network or server outage. */
class CuttableProxy {
  private server?: net.Server;
  private sockets = new Set<net.Socket>();
  port = 0;

  constructor(private readonly target: { host: string; port: number }) {}

  async open(port = 0): Promise<void> {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.target.port, this.target.host);
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
}

// An embedded SQLite file cannot go away: this scenario is about a database server.
const describeServer = testDriver() === "mariadb" ? describe : describe.skip;

describeServer("the database goes away and comes back", () => {
  let app: TestApp;
  let t: TestTenant;
  const proxy = new CuttableProxy({ host: "127.0.0.1", port: 3306 });

  beforeAll(async () => {
    await proxy.open();
    app = await startTestApp({}, { rewriteDatabaseUrl: (url) => url.replace(/@127\.0\.0\.1:3306\//, `@127.0.0.1:${proxy.port}/`) });
    t = await app.tenant();
  });
  afterAll(async () => {
    await app.close();
    await proxy.cut();
  });

  test("SCIM answers 503 fast while it is gone, /readyz says so, and the service recovers without a restart", async () => {
    const scim = scimClient(app.url, t.scimToken);
    const userName = "before@outage.test";
    expect((await scim.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName })).status).toBe(201);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);

    const port = proxy.port;
    await proxy.cut();
    const started = Date.now();
    const during = await scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`);
    expectScimError(during, 503);
    expect(during.headers.get("retry-after")).toBe("5");
    expect(during.text).not.toMatch(/ECONNREFUSED|mysql|at .*\.(ts|js)/i);
    const write = await scim.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "during@outage.test" });
    expectScimError(write, 503);
    expect(Date.now() - started).toBeLessThan(10_000);
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "unavailable", database: "mysql" });
    expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    // GraphQL says so with a code of its own, retryable, and nothing of the driver's error.
    const gql = await app.gql(t.adminToken, "{ users(first: 1) { totalCount } }");
    expect(gql.errors?.[0]?.extensions?.code).toBe("SERVICE_UNAVAILABLE");
    expect(JSON.stringify(gql)).not.toMatch(/ECONNREFUSED|mysql|at .*\.(ts|js)/i);

    await proxy.open(port);
    let recovered = 0;
    for (let i = 0; i < 50 && recovered !== 200; i++) {
      recovered = (await scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`)).status;
      if (recovered !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(200);
    expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    const after = await scim.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "during@outage.test" });
    expect(after.status).toBe(201);
  }, 60_000);
});
