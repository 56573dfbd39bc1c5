import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { clientCredentialsToken, tokenRequest } from "./oauth-support";

let app: TestApp;
let tenant: TestTenant;

beforeAll(async () => {
  app = await startTestApp({ OAUTH_TOKEN_RATE_LIMIT: "10000" });
  tenant = await app.tenant();
});
afterAll(() => app?.close());

const CLIENT = "id clientId name scopes active revokedAt federation { issuer jwksUrl subject audience tenantId } secrets { id prefix createdAt expiresAt expired }";

interface GqlClient {
  id: string;
  clientId: string;
  name: string;
  scopes: string[];
  active: boolean;
  federation: Record<string, string | null> | null;
  secrets: { id: string; prefix: string; expiresAt: string; expired: boolean }[];
}

test("the admin console's flow: create (secret once) → add secret → list (no secrets) → remove → federate → revoke; endpoints", async () => {
  const created = await app.gql<{ createOAuthClient: { client: GqlClient; clientSecret: string } }>(
    tenant.adminToken,
    `mutation($input: CreateOAuthClientInput!) { createOAuthClient(input: $input) { clientSecret client { ${CLIENT} } } }`,
    { input: { name: "Entra", secretExpiresInDays: 400 } },
  );
  expect(created.errors).toBeUndefined();
  const { client, clientSecret } = created.data!.createOAuthClient;
  expect(client).toMatchObject({ name: "Entra", scopes: ["scim"], active: true, federation: null });
  expect(client.secrets).toHaveLength(1);
  expect(clientSecret.startsWith(client.secrets[0].prefix)).toBe(true);
  expect(new Date(client.secrets[0].expiresAt).getTime()).toBeGreaterThan(Date.now() + 399 * 86400_000);
  await clientCredentialsToken(app, client.clientId, clientSecret);

  const added = await app.gql<{ addOAuthClientSecret: { value: string; secret: { id: string } } }>(tenant.adminToken, `mutation($c: String!) { addOAuthClientSecret(clientId: $c) { value secret { id prefix } } }`, { c: client.clientId });
  expect(added.errors).toBeUndefined();
  const second = added.data!.addOAuthClientSecret.value;
  await clientCredentialsToken(app, client.clientId, second);

  const listed = await app.gql<{ oauthClients: GqlClient[] }>(tenant.adminToken, `{ oauthClients { ${CLIENT} } }`);
  const raw = JSON.stringify(listed);
  expect(raw).not.toContain(clientSecret);
  expect(raw).not.toContain(second);
  expect(listed.data!.oauthClients.find((c) => c.clientId === client.clientId)!.secrets).toHaveLength(2);

  const removed = await app.gql<{ removeOAuthClientSecret: GqlClient }>(tenant.adminToken, `mutation($c: String!, $s: ID!) { removeOAuthClientSecret(clientId: $c, secretId: $s) { ${CLIENT} } }`, { c: client.clientId, s: client.secrets[0].id });
  expect(removed.data!.removeOAuthClientSecret.secrets.map((s) => s.id)).toEqual([added.data!.addOAuthClientSecret.secret.id]);
  expect((await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [client.clientId, clientSecret] })).status).toBe(401);

  const tid = "6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f";
  const federated = await app.gql<{ configureFederatedCredential: GqlClient }>(
    tenant.adminToken,
    `mutation($c: String!, $i: FederatedCredentialInput!) { configureFederatedCredential(clientId: $c, input: $i) { ${CLIENT} } }`,
    { c: client.clientId, i: { issuer: `https://login.microsoftonline.com/${tid}/v2.0`, jwksUrl: `https://login.microsoftonline.com/${tid}/discovery/v2.0/keys`, subject: "0b8f-sp-object", audience: "api://AzureADTokenExchange" } },
  );
  expect(federated.errors).toBeUndefined();
  expect(federated.data!.configureFederatedCredential.federation).toEqual({
    issuer: `https://login.microsoftonline.com/${tid}/v2.0`,
    jwksUrl: `https://login.microsoftonline.com/${tid}/discovery/v2.0/keys`,
    subject: "0b8f-sp-object",
    audience: "api://AzureADTokenExchange",
    tenantId: tid,
  });

  const revoked = await app.gql<{ revokeOAuthClient: GqlClient }>(tenant.adminToken, `mutation($c: String!) { revokeOAuthClient(clientId: $c) { ${CLIENT} } }`, { c: client.clientId });
  expect(revoked.data!.revokeOAuthClient).toMatchObject({ active: false, revokedAt: expect.any(String) });
  expect((await tokenRequest(app, { grant_type: "client_credentials" }, { basic: [client.clientId, second] })).status).toBe(401);

  const endpoints = await app.gql<{ oauthEndpoints: Record<string, string> }>(tenant.adminToken, `{ oauthEndpoints { issuer tokenUrl jwksUrl metadataUrl scimUrl } }`);
  expect(endpoints.data!.oauthEndpoints).toEqual({
    issuer: app.url,
    tokenUrl: `${app.url}/oauth/token`,
    jwksUrl: `${app.url}/.well-known/jwks.json`,
    metadataUrl: `${app.url}/.well-known/oauth-authorization-server`,
    scimUrl: `${app.url}/scim/v2`,
  });
});

test("no token → UNAUTHENTICATED; a SCIM token is not an admin; another organisation's client → NOT_FOUND", async () => {
  const { client } = await app.services.oauthClients.create(tenant.ctx, { name: "mine" });
  expect((await app.gql(null, `{ oauthClients { id } }`)).errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
  expect((await app.gql(null, `{ oauthEndpoints { tokenUrl } }`)).errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
  expect((await app.gql(tenant.scimToken, `{ oauthClients { id } }`)).errors?.[0].extensions?.code).toBe("UNAUTHENTICATED");
  const other = await app.tenant();
  const theirs = await app.gql<{ oauthClients: GqlClient[] }>(other.adminToken, `{ oauthClients { clientId } }`);
  expect(theirs.data!.oauthClients).toEqual([]);
  for (const mutation of [
    `mutation($c: String!) { revokeOAuthClient(clientId: $c) { id } }`,
    `mutation($c: String!) { addOAuthClientSecret(clientId: $c) { value } }`,
    `mutation($c: String!) { removeFederatedCredential(clientId: $c) { id } }`,
  ]) {
    const r = await app.gql(other.adminToken, mutation, { c: client.clientId });
    expect(r.errors?.[0].extensions?.code).toBe("NOT_FOUND");
  }
  expect((await app.services.oauthClients.find(tenant.ctx, client.clientId)).client.revokedAt).toBeNull();
});

test.each([
  ["a secret living 4 years", `mutation { createOAuthClient(input: { name: "x", secretExpiresInDays: 1500 }) { clientSecret } }`, "secretExpiresInDays"],
  ["an unknown scope", `mutation { createOAuthClient(input: { name: "x", scope: "admin" }) { clientSecret } }`, "scope"],
  ["an empty name", `mutation { createOAuthClient(input: { name: "" }) { clientSecret } }`, "name"],
])("%s → BAD_USER_INPUT", async (_name, query, field) => {
  const r = await app.gql(tenant.adminToken, query);
  expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: expect.stringContaining(field) });
});

test.each(["https://169.254.169.254/metadata/keys", "https://127.0.0.1:8443/keys", "https://[::1]/keys", "https://10.0.0.7/keys", "https://192.168.1.1/keys", "https://[fd00::1]/keys", "https://localhost/keys"])(
  "a JWKS URL on a host that is not public (%s) is refused: BAD_USER_INPUT naming jwksUrl",
  async (jwksUrl) => {
    const { client } = await app.services.oauthClients.create(tenant.ctx, { name: "ssrf" });
    const r = await app.gql(tenant.adminToken, `mutation($c: String!, $i: FederatedCredentialInput!) { configureFederatedCredential(clientId: $c, input: $i) { id } }`, {
      c: client.clientId,
      i: { issuer: "https://login.microsoftonline.com/x/v2.0", jwksUrl, subject: "s", audience: "a" },
    });
    expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "jwksUrl" });
    expect(r.errors?.[0].message).toMatch(/must name a public host/);
    expect((await app.services.oauthClients.find(tenant.ctx, client.clientId)).client.federation).toBeNull();
  },
);

test("federation input is validated: an http:// JWKS URL is refused outside tests and development", async () => {
  const { client } = await app.services.oauthClients.create(tenant.ctx, { name: "fed" });
  const r = await app.gql(tenant.adminToken, `mutation($c: String!, $i: FederatedCredentialInput!) { configureFederatedCredential(clientId: $c, input: $i) { id } }`, {
    c: client.clientId,
    i: { issuer: "https://login.microsoftonline.com/x/v2.0", jwksUrl: "http://169.254.169.254/keys", subject: "s", audience: "a" },
  });
  expect(r.errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "jwksUrl" });
  const secretAfterRevoke = await app.services.oauthClients.revoke(tenant.ctx, client.clientId);
  expect(secretAfterRevoke.client.revokedAt).not.toBeNull();
  const add = await app.gql(tenant.adminToken, `mutation($c: String!) { addOAuthClientSecret(clientId: $c) { value } }`, { c: client.clientId });
  expect(add.errors?.[0].extensions?.code).toBe("CONFLICT");
});
