// Security headers on the web routes, no stack trace or SQL in any answer, and no secret in any log line.
import http from "node:http";
import { clientCredentialsToken } from "../oauth/oauth-support";
import { type TestApp, startTestApp } from "../support/test-app";
import { CORE_USER, expectScimError, patchOp, scimClient } from "../support/scim-client";
import { makeSelfSignedCert } from "../sso/support/fake-saml-idp";
import { configureSaml, samlSignIn } from "../sso/support/saml-login";

/** What an answer must never carry: a stack frame, a file path, SQL or a driver error code. */
const INTERNALS = /\bat [\w.<>]+ \(|\.(ts|js):\d+|node_modules|\/work\/|\bSELECT\b|\bINSERT\b|\bUPDATE\b .* SET|SQLITE_|\bER_[A-Z_]+|QueryFailedError|TypeORM/i;

describe("security headers (helmet) on the web routes", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  test.each(["/auth/me", "/admin/", "/auth/saml/no-such-org/login"])("%s: CSP allows only Roster's own scripts; no framing, no sniffing", async (path) => {
    const r = await fetch(`${app.url}${path}`, { redirect: "manual" });
    const csp = r.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self'(;|$)/);
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/frame-ancestors 'none'/);
    expect(csp).toMatch(/object-src 'none'/);
    expect(csp).not.toMatch(/unsafe-eval/);
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(r.headers.get("x-content-type-options")).toBe("nosniff");
    expect(r.headers.get("x-frame-options")).toBe("DENY");
    expect(r.headers.get("referrer-policy")).toBe("same-origin");
    expect(r.headers.get("x-powered-by")).toBeNull();
    // Plain http (development): no HSTS, which would pin localhost to https.
    expect(r.headers.get("strict-transport-security")).toBeNull();
  });

  test("over https (PUBLIC_URL) the web routes send HSTS and upgrade-insecure-requests", async () => {
    const secure = await startTestApp({ PUBLIC_URL: "https://roster.example" });
    try {
      const r = await fetch(`${secure.url}/auth/me`);
      expect(r.headers.get("strict-transport-security")).toMatch(/max-age=31536000; includeSubDomains/);
      expect(r.headers.get("content-security-policy")).toMatch(/upgrade-insecure-requests/);
    } finally {
      await secure.close();
    }
  });
});

describe("no stack traces or SQL in any answer", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  test("malformed input on every API: a clean error body", async () => {
    const t = await app.tenant();
    const answers: { name: string; status: number; text: string }[] = [];
    const send = async (name: string, path: string, init: RequestInit) => {
      const r = await fetch(`${app.url}${path}`, init);
      answers.push({ name, status: r.status, text: await r.text() });
    };
    const scimHeaders = { authorization: `Bearer ${t.scimToken}`, "content-type": "application/scim+json" };
    await send("scim bad json", "/scim/v2/Users", { method: "POST", headers: scimHeaders, body: "{ not json" });
    await send("scim bad filter", `/scim/v2/Users?filter=${encodeURIComponent("userName eq \"x\" or ((")}`, { headers: scimHeaders });
    await send("scim bad sortBy", "/scim/v2/Users?sortBy=password", { headers: scimHeaders });
    await send("scim bad id", "/scim/v2/Users/'%20OR%201=1%20--", { headers: scimHeaders });
    await send("scim bad patch", "/scim/v2/Users/x", { method: "PATCH", headers: scimHeaders, body: JSON.stringify(patchOp({ op: "replace", path: "emails[type eq", value: 1 })) });
    await send("graphql bad json", "/graphql", { method: "POST", headers: { "content-type": "application/json" }, body: "{ nope" });
    await send("graphql bad query", "/graphql", { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${t.adminToken}` }, body: JSON.stringify({ query: "{ users(first: -1) { nodes { nope } } }" }) });
    await send("oauth bad body", "/oauth/token", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials&grant_type=x" });
    await send("saml bad response", "/auth/saml/no-such-org/acs", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "SAMLResponse=%%%" });
    await send("unknown route", "/nope/../../etc/passwd", {});
    expect(answers).toHaveLength(10);
    for (const a of answers) {
      expect([a.name, a.status < 500]).toEqual([a.name, true]);
      expect([a.name, a.text.match(INTERNALS)?.[0] ?? null]).toEqual([a.name, null]);
    }
  });

  test("a request target that is not a path (OPTIONS *, GET *): 404, not a 500 from the session middleware", async () => {
    const { port } = new URL(app.url);
    for (const method of ["OPTIONS", "GET"]) {
      const status = await new Promise<number | undefined>((resolve, reject) => {
        const r = http.request({ host: "127.0.0.1", port, method, path: "*" }, (res) => {
          res.resume();
          resolve(res.statusCode);
        });
        r.on("error", reject);
        r.end();
      });
      expect([method, status]).toEqual([method, 404]);
    }
  });

  test("an unexpected failure inside a service (with SQL and a stack in its message) is a generic 500 / INTERNAL_SERVER_ERROR", async () => {
    const t = await app.tenant();
    const boom = () => {
      const err = new Error('SQLITE_ERROR: near "SELECT": syntax error in SELECT * FROM users WHERE x = 1');
      err.stack = `${err.message}\n    at UserService.search (/work/main/src/domain/users/user.service.ts:200:11)`;
      throw err;
    };
    const users = app.services.users as unknown as Record<string, unknown>;
    const [search, searchWithDetails, list, listWithDetails] = [users.search, users.searchWithDetails, users.list, users.listWithDetails];
    users.search = boom;
    users.searchWithDetails = boom;
    users.list = boom;
    users.listWithDetails = boom;
    try {
      const scim = await scimClient(app.url, t.scimToken).get("/Users");
      expectScimError(scim, 500);
      expect(scim.text).not.toMatch(INTERNALS);
      expect(scim.body.detail).toMatch(/^Internal error \(request id [\w-]+\)$/);
      const gql = await app.gql(t.adminToken, "{ users(first: 5) { nodes { id } } }");
      expect(gql.errors?.[0]).toMatchObject({ message: "Internal server error", extensions: { code: "INTERNAL_SERVER_ERROR" } });
      expect(JSON.stringify(gql)).not.toMatch(INTERNALS);
    } finally {
      users.search = search;
      users.searchWithDetails = searchWithDetails;
      users.list = list;
      users.listWithDetails = listWithDetails;
    }
  });
});

describe("secrets never reach the logs", () => {
  test("a full run (tokens, SCIM with a password, OAuth client secret and access token, SAML sign-in, GraphQL, refused secrets) logs none of them", async () => {
    const lines: string[] = [];
    const app = await startTestApp({ LOG_LEVEL: "trace" }, { logDestination: { write: (line: string) => void lines.push(line) } });
    try {
      const t = await app.tenant();
      const secrets: Record<string, string> = { adminToken: t.adminToken, scimToken: t.scimToken };
      // SCIM, with a password in the body.
      const scim = scimClient(app.url, t.scimToken);
      secrets.password = "Pa55word-that-must-not-leak!";
      const created = await scim.post("/Users", { schemas: [CORE_USER], userName: "logged@logs.test", password: secrets.password });
      expect(created.status).toBe(201);
      expect((await scim.patch(`/Users/${created.body.id}`, patchOp({ op: "replace", path: "password", value: secrets.password }))).status).toBeLessThan(500);
      // OAuth: a client secret, then an access token used on SCIM.
      const client = await app.services.oauthClients.create(t.ctx, { name: "logs client" });
      secrets.clientSecret = client.secret.value;
      secrets.accessToken = await clientCredentialsToken(app, client.client.clientId, client.secret.value);
      expect((await scimClient(app.url, secrets.accessToken).get("/Users")).status).toBe(200);
      // SSO: a SAML sign-in, then the session cookie on GraphQL.
      const key = makeSelfSignedCert("logs-idp");
      await configureSaml(app, t, key);
      const { response } = await samlSignIn(app, t, key, "logged@logs.test");
      expect(response.status).toBe(303);
      const cookie = String(response.headers["set-cookie"]).split(";")[0];
      secrets.sessionCookie = decodeURIComponent(cookie.slice(cookie.indexOf("=") + 1));
      secrets.sessionId = secrets.sessionCookie.replace(/^s:/, "").split(".")[0];
      const me = await fetch(`${app.url}/graphql`, { method: "POST", headers: { "content-type": "application/json", cookie }, body: JSON.stringify({ query: "{ me { userName } }" }) });
      expect(((await me.json()) as any).data.me.userName).toBe("logged@logs.test");
      // GraphQL with the admin token: a new token is minted (its secret is in the answer only).
      const minted = await app.gql<{ createAccessToken: { secret: string } }>(t.adminToken, 'mutation { createAccessToken(input: { name: "minted", scope: "scim" }) { secret } }');
      secrets.minted = minted.data!.createAccessToken.secret;
      // Refused secrets: a guessed token and a revoked one.
      secrets.guessed = "rst_scim_ThisIsAGuessedSecretThatMustNotBeLogged0123456789";
      expect((await scimClient(app.url, secrets.guessed).get("/Users")).status).toBe(401);
      const revoked = await app.services.tokens.create(t.ctx, { name: "revoked", scope: "scim" });
      await app.services.tokens.revoke(t.ctx, revoked.token.id);
      secrets.revoked = revoked.secret;
      expect((await scimClient(app.url, revoked.secret).get("/Users")).status).toBe(401);
      expect((await app.gql(secrets.guessed, "{ organisation { slug } }")).errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");

      const log = lines.join("");
      expect(lines.length).toBeGreaterThan(10); // the run was logged (a line per request, and the refusals)
      expect(log).toContain("SCIM authentication refused");
      for (const [name, secret] of Object.entries(secrets)) {
        expect(secret.length).toBeGreaterThanOrEqual(16);
        expect([name, log.includes(secret)]).toEqual([name, false]);
        // Nor a telling part of it (the random tail of a token).
        expect([name, log.includes(secret.slice(-16))]).toEqual([name, false]);
      }
    } finally {
      await app.close();
    }
  }, 30_000);
});
