// The request log: one line per request, with the path asked for and the id answered in X-Request-Id.
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";

let app: TestApp;
let t: TestTenant;
const lines: string[] = [];

beforeAll(async () => {
  app = await startTestApp({ LOG_LEVEL: "info" }, { logDestination: { write: (line: string) => void lines.push(line) } });
  t = await app.tenant();
});
afterAll(() => app.close());

test("every request is logged once, at its own path, with the request id it was answered", async () => {
  const requests: [string, RequestInit][] = [
    ["/graphql", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` }, body: JSON.stringify({ query: "{ organisation { slug } }" }) }],
    ["/scim/v2/Users?count=1", { headers: { authorization: `Bearer ${t.scimToken}` } }],
    ["/oauth/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials&client_id=nobody&client_secret=x" }],
    ["/admin/", {}],
    ["/readyz", {}],
    ["/nowhere", {}],
  ];
  for (const [path, init] of requests) {
    const r = await fetch(`${app.url}${path}`, init);
    await r.arrayBuffer();
    const id = r.headers.get("x-request-id");
    // the line is written on 'finish', which can follow the client's last byte
    for (let i = 0; i < 100 && !lines.some((l) => l.includes(`"requestId":"${id}"`) && l.includes('"msg":"request"')); i++) await new Promise((res) => setTimeout(res, 10));
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.requestId === id && l.msg === "request");
    expect(logged.map((l) => [l.method, l.path, l.status])).toEqual([[init.method ?? "GET", path.split("?")[0], r.status]]);
  }
});
