import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";

let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  // Apollo decides at construction from NODE_ENV, and jest's "test" hides what a deployment without
  // NODE_ENV=production would show.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "development";
  try {
    app = await startTestApp();
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
  t = await app.tenant();
});
afterAll(() => app.close());

describe("GraphQL error bodies", () => {
  test("never carry a stack trace, whatever is wrong with the request", async () => {
    const json = { "content-type": "application/json" };
    const requests: [string, string, RequestInit][] = [
      ["unknown field, no token", "/graphql", { method: "POST", headers: json, body: JSON.stringify({ query: "{ nope }" }) }],
      ["syntax error", "/graphql", { method: "POST", headers: { ...json, authorization: `Bearer ${t.adminToken}` }, body: JSON.stringify({ query: "{ users(" }) }],
      ["empty body", "/graphql", { method: "POST", headers: json, body: "{}" }],
      ["batch array", "/graphql", { method: "POST", headers: json, body: JSON.stringify([{ query: "{ organisation { id } }" }]) }],
      ["mutation over GET", `/graphql?query=${encodeURIComponent("mutation { deleteRole(id: \"x\") }")}`, { headers: { "apollo-require-preflight": "1" } }],
      ["no content type", "/graphql", { method: "POST", body: JSON.stringify({ query: "{ organisation { id } }" }) }],
    ];
    const leaks: string[] = [];
    for (const [name, path, init] of requests) {
      const r = await fetch(`${app.url}${path}`, init);
      const text = await r.text();
      expect([name, r.status >= 400 || text.includes('"errors"')]).toEqual([name, true]);
      if (text.includes("stacktrace") || /\.(ts|js):\d+|node_modules/.test(text)) leaks.push(name);
    }
    expect(leaks).toEqual([]);
  });
});
