import { gzipSync } from "node:zlib";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";

let app: TestApp;
let t: TestTenant;
/** Every line the app logs (at trace level): what a bad request leaves in the logs. */
const logLines: string[] = [];

beforeAll(async () => {
  // Apollo decides at construction from NODE_ENV, and jest's "test" hides what a deployment without
  // NODE_ENV=production would show.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "development";
  try {
    app = await startTestApp({ LOG_LEVEL: "trace" }, { logDestination: { write: (line: string) => void logLines.push(line) } });
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

describe("bad variables", () => {
  const SECRET = "oidc-client-secret-that-must-not-be-logged";
  const cases: [string, string, Record<string, unknown>, Record<string, unknown>?][] = [
    ["Int given a string", "query($f: Int!) { users(first: $f) { totalCount } }", { f: "ten" }],
    ["Int! given null", "query($f: Int!) { users(first: $f) { totalCount } }", { f: null }],
    ["Int! left out", "query($f: Int!) { users(first: $f) { totalCount } }", {}],
    ["input without its required field", "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }", { i: {} }],
    ["input with an unknown field", "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }", { i: { userName: "u@v.test", shoeSize: 42 } }],
    ["bad enum value", "mutation($k: IdentityProviderKind!) { deleteIdentityProvider(kind: $k) }", { k: "ldap" }],
    ["bad DateTimeISO", "query($s: DateTimeISO) { auditEvents(filter: { since: $s }) { totalCount } }", { s: "yesterday" }],
    ["bad JSONObject", "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }", { i: { userName: "j@v.test", customFields: [1, 2] } }],
    ["a secret in a bad input", "mutation($i: ConfigureOidcInput!) { configureOidc(input: $i) { kind } }", { i: { issuer: "https://idp.test", clientId: "c", clientSecret: SECRET, nope: true } }],
  ];

  test.each(cases)("%s: BAD_USER_INPUT, nothing logged as an error, no value in the logs", async (_name, query, variables) => {
    logLines.length = 0;
    const r = await app.gql(t.adminToken, query, variables);
    expect(r.errors?.[0].extensions?.code).toBe("BAD_USER_INPUT");
    expect(r.data ?? undefined).toBeUndefined();
    const logged = logLines.join("\n");
    expect(logLines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
    for (const value of [SECRET, "ten", "shoeSize", "ldap", "yesterday"]) expect([value, logged.includes(value)]).toEqual([value, false]);
  });

  test("an operationName the document does not have: Apollo's OPERATION_RESOLUTION_FAILURE, not logged as an error", async () => {
    logLines.length = 0;
    const r = await fetch(`${app.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ query: "query A { organisation { id } }", operationName: "B" }),
    });
    const body = (await r.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0].extensions?.code).toBe("OPERATION_RESOLUTION_FAILURE");
    expect(logLines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
  });

  test("automatic persisted queries (a hash that does not match, another version, a hash alone): PERSISTED_QUERY_NOT_SUPPORTED, not an internal error logged as one", async () => {
    logLines.length = 0;
    const query = "{ organisation { id } }";
    for (const persistedQuery of [{ version: 1, sha256Hash: "x" }, { version: 2, sha256Hash: "x" }, { version: 1, sha256Hash: "0".repeat(64) }]) {
      const r = await fetch(`${app.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` },
        body: JSON.stringify(persistedQuery.sha256Hash === "x" ? { query, extensions: { persistedQuery } } : { extensions: { persistedQuery } }),
      });
      const body = (await r.json()) as { errors?: { extensions?: { code?: string } }[] };
      expect(body.errors?.map((e) => e.extensions?.code)).toEqual(["PERSISTED_QUERY_NOT_SUPPORTED"]);
    }
    expect(logLines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50)).toEqual([]);
  });

  test("good variables still arrive coerced (DateTimeISO, enum, ID from a number)", async () => {
    const since = await app.gql<{ auditEvents: { totalCount: number } }>(t.adminToken, "query($s: DateTimeISO) { auditEvents(filter: { since: $s }) { totalCount } }", { s: "2000-01-01T00:00:00Z" });
    expect(since.errors).toBeUndefined();
    expect(since.data!.auditEvents.totalCount).toBeGreaterThan(0);
    const none = await app.gql(t.adminToken, "mutation($k: IdentityProviderKind!) { deleteIdentityProvider(kind: $k) }", { k: "oidc" });
    expect(none.errors?.[0]).toMatchObject({ message: expect.stringContaining('"oidc"'), extensions: { code: "NOT_FOUND" } });
    const missing = await app.gql(t.adminToken, "query($id: ID!) { user(id: $id) { id } }", { id: 12345 });
    expect(missing).toMatchObject({ data: { user: null }, status: 200 });
  });
});

describe("null for an optional input field", () => {
  test("where null means nothing, BAD_USER_INPUT naming the field; never an internal error", async () => {
    const user = await app.services.users.create(t.ctx, { userName: "nulls@v.test" });
    const role = await app.services.roles.create(t.ctx, { name: "nullable-role" });
    const group = await app.services.groups.create(t.ctx, { displayName: "nullable-group" });
    await app.services.customFields.define(t.ctx, { key: "nullable_field", type: "string" });
    const refused: [string, string][] = [
      [`mutation { updateUser(id: "${user.id}", input: { customFields: null }) { id } }`, "customFields"],
      [`mutation { updateUser(id: "${user.id}", input: { userName: null }) { id } }`, "userName"],
      [`mutation { updateUser(id: "${user.id}", input: { active: null }) { id } }`, "active"],
      [`mutation { createUser(input: { userName: "x@v.test", customFields: null }) { id } }`, "customFields"],
      [`mutation { updateRole(id: "${role.id}", input: { permissions: null }) { id } }`, "permissions"],
      [`mutation { updateRole(id: "${role.id}", input: { name: null }) { id } }`, "name"],
      [`mutation { updateCustomField(key: "nullable_field", input: { label: null }) { key } }`, "label"],
      [`mutation { updateCustomField(key: "nullable_field", input: { multiValued: null }) { key } }`, "multiValued"],
      [`mutation { updateOrganisation(input: { name: null }) { id } }`, "name"],
      [`mutation { updateOrganisation(input: { slug: null }) { id } }`, "slug"],
      [`mutation { updateOrganisation(input: { scimEnabled: null }) { id } }`, "scimEnabled"],
      [`mutation { updateGroup(id: "${group.id}", input: { displayName: null }) { id } }`, "displayName"],
    ];
    const answers = [];
    for (const [query] of refused) answers.push((await app.gql(t.adminToken, query)).errors?.[0].extensions);
    expect(answers).toEqual(refused.map(([, field]) => ({ code: "BAD_USER_INPUT", field })));
    // Where null means something, it still does: no members, no options, no externalId.
    const accepted = await app.gql(t.adminToken, `mutation { createGroup(input: { displayName: "g2", externalId: null, members: null }) { id } updateCustomField(key: "nullable_field", input: { options: null }) { key } }`);
    expect(accepted.errors).toBeUndefined();
  });
});

describe("cursors", () => {
  const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64url");
  const malformed: [string, string][] = [
    ["not base64", "garbage!"],
    ["not canonical base64", "garbage"],
    ["base64 of text that is not JSON", b64("not json")],
    ["base64 of {}", b64("{}")],
    ["base64 of null", b64("null")],
    ["base64 of two strings that are no time", b64('["x","y"]')],
    ["100,000 characters", "A".repeat(100_000)],
  ];
  const connections: [string, (after: string) => [string, Record<string, unknown>]][] = [
    ["auditEvents", (after) => ["query($a: String) { auditEvents(after: $a) { totalCount nodes { id } } }", { a: after }]],
    ["provisioningLog", (after) => ["query($a: String) { provisioningLog(after: $a) { nodes { requestId } } }", { a: after }]],
    ["users", (after) => ["query($a: String) { users(after: $a) { nodes { id } } }", { a: after }]],
    ["groups", (after) => ["query($a: String) { groups(after: $a) { nodes { id } } }", { a: after }]],
  ];

  test.each(connections)("%s: a cursor it did not give is BAD_USER_INPUT naming after", async (_name, request) => {
    const answers: Record<string, unknown> = {};
    for (const [label, after] of malformed) {
      const [query, variables] = request(after);
      answers[label] = (await app.gql(t.adminToken, query, variables)).errors?.[0].extensions;
    }
    // Users' and groups' too: their cursors held a key, any text, so the base64 of "{}" or of "not json" was a key to seek from.
    expect(answers).toEqual(Object.fromEntries(malformed.map(([label]) => [label, { code: "BAD_USER_INPUT", field: "after" }])));
  });

  test("a group's members: a cursor it did not give is BAD_USER_INPUT naming after", async () => {
    const group = await app.services.groups.create(t.ctx, { displayName: "cursor-group" });
    for (const after of ["garbage!", "garbage", "A".repeat(100_000)]) {
      const r = await app.gql(t.adminToken, "query($g: ID!, $a: String) { group(id: $g) { members(after: $a) { nodes { id } } } }", { g: group.id, a: after });
      expect(r.errors?.[0].extensions).toEqual({ code: "BAD_USER_INPUT", field: "after" });
    }
  });

  test("the cursors a connection gives still page it", async () => {
    for (let i = 0; i < 3; i++) await app.services.groups.create(t.ctx, { displayName: `cursor-page-${i}` });
    const first = await app.gql<{ auditEvents: { nodes: { id: string }[]; pageInfo: { endCursor: string } } }>(t.adminToken, "{ auditEvents(first: 2) { nodes { id } pageInfo { endCursor } } }");
    const next = await app.gql<{ auditEvents: { nodes: { id: string }[] } }>(t.adminToken, "query($a: String) { auditEvents(first: 2, after: $a) { nodes { id } } }", { a: first.data!.auditEvents.pageInfo.endCursor });
    expect(next.errors).toBeUndefined();
    expect(next.data!.auditEvents.nodes).toHaveLength(2);
    expect(next.data!.auditEvents.nodes.map((n) => n.id)).not.toContain(first.data!.auditEvents.nodes[0].id);
  });
});

describe("text that no database stores as sent", () => {
  test("a lone surrogate or U+0000, in a variable (value or key) or a literal, is BAD_USER_INPUT and nothing is written", async () => {
    const create = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }";
    const answers = [
      await app.gql(t.adminToken, create, { i: { userName: "a\ud800b@u.test" } }),
      await app.gql(t.adminToken, create, { i: { userName: "c\udc00d@u.test" } }),
      await app.gql(t.adminToken, create, { i: { userName: "e\u0000f@u.test" } }),
      await app.gql(t.adminToken, create, { i: { userName: "g@u.test", customFields: { area: ["ok", "x\ud83dy"] } } }),
      await app.gql(t.adminToken, create, { i: { userName: "h@u.test", customFields: { ["k\ud800"]: "v" } } }),
      await app.gql(t.adminToken, `mutation { createUser(input: { userName: "i\\u0000j@u.test" }) { id } }`),
    ].map((r) => r.errors?.[0].extensions);
    expect(answers).toEqual([
      { code: "BAD_USER_INPUT", field: "i.userName" },
      { code: "BAD_USER_INPUT", field: "i.userName" },
      { code: "BAD_USER_INPUT", field: "i.userName" },
      { code: "BAD_USER_INPUT", field: "i.customFields.area.1" },
      { code: "BAD_USER_INPUT", field: "i.customFields.(a key)" },
      { code: "BAD_USER_INPUT" },
    ]);
    const written = await app.gql<{ users: { totalCount: number } }>(t.adminToken, `{ users(filter: { text: "u.test" }) { totalCount } }`);
    expect(written.data!.users.totalCount).toBe(0);
    // A surrogate pair (an emoji) is well-formed: stored and read back as sent.
    const emoji = await app.gql<{ createUser: { userName: string } }>(t.adminToken, "mutation($i: CreateUserInput!) { createUser(input: $i) { userName } }", { i: { userName: "smile\ud83d\ude00@u.test" } });
    expect(emoji.data!.createUser.userName).toBe("smile😀@u.test");
  });
});

describe("a body GraphQL cannot read", () => {
  const post = (body: string) => fetch(`${app.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` }, body });

  test("larger than the limit: 413 with a GraphQL error (PAYLOAD_TOO_LARGE); not JSON: 400 BAD_REQUEST", async () => {
    const large = await post(JSON.stringify({ query: "{ organisation { id } }", variables: { padding: "x".repeat(1_100_000) } }));
    expect(large.status).toBe(413);
    expect(await large.json()).toEqual({ errors: [{ message: "the request body is larger than 1MB", extensions: { code: "PAYLOAD_TOO_LARGE" } }] });
    const broken = await post("{ not json");
    expect(broken.status).toBe(400);
    expect(await broken.json()).toEqual({ errors: [{ message: "the request body is not valid JSON", extensions: { code: "BAD_REQUEST" } }] });
  });

  test("a Content-Encoding that does not decode (gzip that is not gzip): 400 BAD_REQUEST as a GraphQL error, not zlib's message", async () => {
    const r = await fetch(`${app.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", "content-encoding": "gzip", authorization: `Bearer ${t.adminToken}` }, body: "not gzip" });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ errors: [{ message: "the request body could not be read", extensions: { code: "BAD_REQUEST" } }] });
  });

  test("bytes that are not UTF-8 (plain or gzip-encoded): 400 BAD_REQUEST, and nothing is written (they were stored as U+FFFD)", async () => {
    const mutation = "mutation($i: CreateUserInput!) { createUser(input: $i) { userName } }";
    const body = (b: number[], name: string) => Buffer.concat([Buffer.from(`{"query":${JSON.stringify(mutation)},"variables":{"i":{"userName":"${name}`), Buffer.from(b), Buffer.from('@u.test"}}}')]);
    const send = (payload: Buffer, gzip: boolean) =>
      fetch(`${app.url}/graphql`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}`, ...(gzip ? { "content-encoding": "gzip" } : {}) },
        body: gzip ? gzipSync(payload) : payload,
      });
    for (const bytes of [[0x80], [0xff], [0xc0, 0xaf], [0xed, 0xa0, 0x80]]) {
      for (const gzip of [false, true]) {
        const r = await send(body(bytes, "not-utf8"), gzip);
        expect(r.status).toBe(400);
        expect(await r.json()).toEqual({ errors: [{ message: "the request body is not valid UTF-8", extensions: { code: "BAD_REQUEST" } }] });
      }
    }
    const written = await app.gql<{ users: { totalCount: number } }>(t.adminToken, `{ users(filter: { text: "not-utf8" }) { totalCount } }`);
    expect(written.data!.users.totalCount).toBe(0);
    // é as its two UTF-8 bytes is text like any other, plain and gzip-encoded.
    for (const gzip of [false, true]) {
      const name = gzip ? "gzip-caf" : "plain-caf";
      const ok = (await (await send(body([0xc3, 0xa9], name), gzip)).json()) as { data?: { createUser: { userName: string } } };
      expect(ok.data?.createUser.userName).toBe(`${name}é@u.test`);
    }
  });

  test("a document over 2,000 tokens, or a body nested over 32 levels, is refused with a 400 before anything walks it (20,000 nested selections overflowed the parser's stack)", async () => {
    const nest = (levels: number) => `{ users(first: 1) { nodes { ${"manager { ".repeat(levels)}id${" }".repeat(levels)} } } }`;
    const deep = await post(JSON.stringify({ query: nest(20_000) }));
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ errors: [{ message: "Syntax Error: Document contains more that 2000 tokens. Parsing aborted.", extensions: { code: "GRAPHQL_PARSE_FAILED" } }] });
    // 600 levels (1,812 tokens) is parsed, and refused for its depth: 300 levels had cost 170-310 ms of CPU and 110 MB.
    const tooDeepQuery = await post(JSON.stringify({ query: nest(600) }));
    expect(tooDeepQuery.status).toBe(400);
    expect(await tooDeepQuery.json()).toMatchObject({ errors: [{ extensions: { code: "QUERY_TOO_DEEP", depth: 603, maxDepth: 24 } }] });
    // 24 levels in all (users, nodes, 21 managers, id) runs; through a fragment the depth is the same.
    const within = await post(JSON.stringify({ query: nest(21) }));
    expect(((await within.json()) as { errors?: unknown }).errors).toBeUndefined();
    const viaFragment = await post(JSON.stringify({ query: `{ users(first: 1) { nodes { ...M } } } fragment M on User { ${"manager { ".repeat(22)}id${" }".repeat(22)} }` }));
    expect(await viaFragment.json()).toMatchObject({ errors: [{ extensions: { code: "QUERY_TOO_DEEP", depth: 25 } }] });
    // Variables walked for unstorable text (recursively) and by the JSONObject scalar.
    const values = (levels: number): unknown => (levels === 0 ? 1 : { a: values(levels - 1) });
    const mutation = `mutation($v: JSONObject!) { setCustomFieldValues(userId: "nobody", values: $v) { id } }`;
    const tooDeep = await post(`{"query":${JSON.stringify(mutation)},"variables":{"v":${'{"a":'.repeat(50_000)}1${"}".repeat(50_000)}}}`);
    expect(tooDeep.status).toBe(400);
    expect(await tooDeep.json()).toEqual({ errors: [{ message: "the request body is nested more than 32 levels deep", extensions: { code: "BAD_REQUEST" } }] });
    // 32 levels in all (the body, variables, then 30 objects from v down) is read: refused for what it says.
    const atLimit = (await (await post(JSON.stringify({ query: mutation, variables: { v: values(30) } }))).json()) as { errors: { extensions: { code: string } }[] };
    expect(atLimit.errors[0].extensions.code).toBe("NOT_FOUND");
  });
});

describe("the cost of a request", () => {
  const post = (query: string, variables: Record<string, unknown> = {}) =>
    fetch(`${app.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` }, body: JSON.stringify({ query, variables }) });

  test("a request that would read too much at once is refused before it runs: 400 QUERY_TOO_COMPLEX with its cost", async () => {
    const aliases = Array.from({ length: 30 }, (_, i) => `u${i}: users(first: 500) { nodes { id groups { id } roles { id } } }`).join(" ");
    const nested = `query($n: Int!) { groups(first: $n) { nodes { id members(first: $n) { totalCount nodes { id display } } } } }`;
    for (const [query, variables] of [[`{ ${aliases} }`, {}], [nested, { n: 500 }]] as const) {
      const { result: r, statements } = await app.statementsOf(() => post(query, variables));
      expect(r.status).toBe(400);
      const body = (await r.json()) as { errors: { message: string; extensions: { code: string; cost: number; maxCost: number } }[] };
      expect(body.errors[0].message).toMatch(/too much at once/);
      expect(body.errors[0].extensions).toMatchObject({ code: "QUERY_TOO_COMPLEX", maxCost: 50_000 });
      expect(body.errors[0].extensions.cost).toBeGreaterThan(50_000);
      expect(statements.filter((s) => /FROM [`"]?users/i.test(s))).toEqual([]);
    }
  });

  test("a request too large to price (over 10,000 selections once its fragments are followed) is refused unpriced, 400 QUERY_TOO_COMPLEX; it had run, each fragment spreading the one before twice doubling its work", async () => {
    // F11 spreads F10 twice, …, F1 spreads F0 twice: 2^11 paths of managers in 800 characters, under 500 users.
    const doubling = (levels: number, first: number) =>
      `{ users(first: ${first}) { nodes { ...F${levels} } } } fragment F0 on User { id } ` +
      Array.from({ length: levels }, (_, i) => `fragment F${i + 1} on User { a: manager { ...F${i} } b: manager { ...F${i} } }`).join(" ");
    const { result: r, statements } = await app.statementsOf(() => post(doubling(11, 500)));
    expect(r.status).toBe(400);
    const body = (await r.json()) as { errors: { message: string; extensions: Record<string, unknown> }[] };
    expect(body.errors[0]).toEqual({
      message: "This request selects more than 10000 fields and fragments once its fragments are followed: split it",
      extensions: { code: "QUERY_TOO_COMPLEX", maxSelections: 10_000, maxCost: 50_000 },
    });
    expect(statements.filter((s) => /FROM [`"]?users/i.test(s))).toEqual([]);
    // Fewer levels are priced as any request: 8 under one user run.
    const small = (await (await post(doubling(8, 1))).json()) as { errors?: unknown };
    expect(small.errors).toBeUndefined();
  });

  test("what a front end asks for passes: the benchmark's page, a page of 500 users with every field, the same nested query with small pages", async () => {
    const bench = `{ users(first: 100) { totalCount nodes { id userName displayName active groups { id displayName } roles { name } manager { id userName displayName } } } }`;
    const wide = `{ users(first: 500) { totalCount nodes { id userName displayName name { givenName familyName } title department active emails { value type primary } roles { name } groups { id displayName } manager { id userName } customFields version createdAt updatedAt } } }`;
    const nested = `query($n: Int!) { groups(first: $n) { nodes { id members(first: $n) { totalCount nodes { id display } } } } }`;
    for (const [query, variables] of [[bench, {}], [wide, {}], [nested, { n: 20 }]] as const) {
      const body = (await (await post(query, variables)).json()) as { errors?: unknown };
      expect(body.errors).toBeUndefined();
    }
  });
});
