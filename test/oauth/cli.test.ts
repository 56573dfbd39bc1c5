import { runCli } from "../../src/cli/run-cli";
import { AuditEvent } from "../../src/domain/audit/audit-event.entity";
import { createServices } from "../../src/domain/services";
import { Database } from "../../src/platform/database";
import { scimClient } from "../support/scim-client";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { clientCredentialsToken, tokenRequest } from "./oauth-support";

let app: TestApp;
let tenant: TestTenant;
let slug: string;

beforeAll(async () => {
  app = await startTestApp({ OAUTH_TOKEN_RATE_LIMIT: "10000" });
  tenant = await app.tenant();
  slug = tenant.organisation.slug;
});
afterAll(() => app?.close());

/** The `roster` command in-process, on the running server's database. */
async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) }, { DATABASE_URL: app.database.url, LOG_LEVEL: "silent" });
  return { code, out, err: err.join("\n") };
}

test("create (client id + first secret) → token → SCIM; secret add (only the secret), list (never secrets), secret remove, revoke", async () => {
  const created = await cli("oauth-client", "create", "--org", slug, "--name", "Entra gallery");
  expect(created.code).toBe(0);
  expect(created.out[0]).toMatch(/^client_id\trcl_[A-Za-z0-9_-]{22}$/);
  expect(created.out[1]).toMatch(/^client_secret\trcs_[A-Za-z0-9_-]{43}$/);
  const clientId = created.out[0].split("\t")[1];
  const first = created.out[1].split("\t")[1];
  const token = await clientCredentialsToken(app, clientId, first);
  expect((await scimClient(app.url, token).get("/Users")).status).toBe(200);

  const added = await cli("oauth-client", "secret", "add", "--org", slug, "--client-id", clientId, "--expires-in", "1y");
  expect(added.code).toBe(0);
  expect(added.out).toHaveLength(1);
  expect(added.out[0]).toMatch(/^rcs_[A-Za-z0-9_-]{43}$/);
  await clientCredentialsToken(app, clientId, added.out[0]);

  const list = await cli("oauth-client", "list", "--org", slug);
  const text = list.out.join("\n");
  expect(text).toContain(clientId);
  expect(text).toContain("Entra gallery");
  expect(text).not.toContain(first);
  expect(text).not.toContain(added.out[0]);
  const secretLines = list.out.filter((l) => l.startsWith("  secret"));
  expect(secretLines).toHaveLength(2);
  const firstSecretId = secretLines.find((l) => l.includes(first.slice(0, 12)))!.split("\t")[1];

  expect((await cli("oauth-client", "secret", "remove", "--org", slug, "--client-id", clientId, "--secret-id", firstSecretId)).code).toBe(0);
  expect((await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [clientId, first] })).status).toBe(401);
  await clientCredentialsToken(app, clientId, added.out[0]);

  const fed = await cli("oauth-client", "federate", "--org", slug, "--client-id", clientId, "--issuer", "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0",
    "--jwks-url", "https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/discovery/v2.0/keys", "--subject", "mi-object-id", "--audience", "api://AzureADTokenExchange");
  expect(fed.code).toBe(0);
  expect(fed.out[0]).toContain("tid=11111111-2222-3333-4444-555555555555");
  expect((await cli("oauth-client", "list", "--org", slug)).out.join("\n")).toContain("sub=mi-object-id");

  expect((await cli("oauth-client", "revoke", "--org", slug, "--client-id", clientId)).code).toBe(0);
  // The server checked the token before the CLI (another process) revoked the client: its cached
  // check holds for TOKEN_CACHE_SECONDS at most; a fresh check sees the revocation.
  const fresh = createServices(new Database(app.dataSource), { oauth: { issuer: app.url }, tokenCacheMs: 0 });
  expect(await fresh.accessTokens.verify(token)).toMatchObject({ ok: false, reason: "revoked_client" });
  expect((await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [clientId, added.out[0]] })).status).toBe(401);

  const actions = (await app.dataSource.getRepository(AuditEvent).find({ where: { organisationId: tenant.organisation.id, source: "cli" }, order: { occurredAt: "ASC", id: "ASC" } })).map((e) => e.action);
  expect(actions).toEqual(["oauth_client.created", "oauth_client.secret_added", "oauth_client.secret_added", "oauth_client.secret_removed", "oauth_client.federation_configured", "oauth_client.revoked"]);
});

test("a read-only client from the CLI gets scim:read tokens", async () => {
  const created = await cli("oauth-client", "create", "--org", slug, "--name", "reporting", "--scope", "scim:read");
  expect(created.code).toBe(0);
  const r = await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [created.out[0].split("\t")[1], created.out[1].split("\t")[1]] });
  expect(r.body.scope).toBe("scim:read");
});

test.each([
  [["oauth-client", "create", "--name", "x"], 2, /--org is required/],
  [["oauth-client", "create", "--org", "ORG", "--name", "x", "--scope", "admin"], 2, /--scope must be one of scim, scim:read/],
  [["oauth-client", "create", "--org", "ORG", "--name", "x", "--expires-in", "5y"], 1, /between one and three years/],
  [["oauth-client", "create", "--org", "ORG", "--name", "x", "--expires-in", "30d"], 1, /between one and three years/],
  [["oauth-client", "secret", "add", "--org", "ORG", "--client-id", "rcl_nope"], 1, /OAuthClient "rcl_nope" not found/],
  [["oauth-client", "secret", "remove", "--org", "ORG", "--client-id", "rcl_nope"], 2, /--secret-id is required/],
  [["oauth-client", "federate", "--org", "ORG", "--client-id", "CLIENT", "--issuer", "https://i.example", "--jwks-url", "http://keys.example/jwks", "--subject", "s", "--audience", "a"], 1, /JWKS URL must be an https:\/\/ URL/],
  [["oauth-client", "federate", "--org", "ORG", "--client-id", "CLIENT", "--issuer", "https://i.example", "--jwks-url", "https://169.254.169.254/keys", "--subject", "s", "--audience", "a"], 1, /JWKS URL must name a public host: 169\.254\.169\.254 is not a public address/],
  [["oauth-client", "revoke", "--org", "nope", "--client-id", "x"], 1, /Organisation "nope" not found/],
])("roster %j exits %i with a clear message", async (argv, code, message) => {
  const client = await app.services.oauthClients.create(tenant.ctx, { name: "target" });
  const args = argv.map((a) => (a === "ORG" ? slug : a === "CLIENT" ? client.client.clientId : a));
  const r = await cli(...args);
  expect(r.code).toBe(code);
  expect(r.err).toMatch(message);
  expect(r.out).toEqual([]);
});
