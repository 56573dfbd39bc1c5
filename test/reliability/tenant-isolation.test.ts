// Tenant isolation, exhaustively: every SCIM route (read from the router) and every GraphQL query and
// mutation (read from the schema) has a case here, or this file fails. Organisation A's credentials
// never read, change or detect organisation B's data: B's ids get the same answer as random ids.
import crypto from "node:crypto";
import { buildGraphqlSchema } from "../../src/graphql/schema";
import { SCIM_ROUTES } from "../../src/scim/http/scim.router";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { CORE_GROUP, CORE_USER, patchOp, scimClient } from "../support/scim-client";
import { makeSelfSignedCert } from "../sso/support/fake-saml-idp";

let app: TestApp;
let a: TestTenant;
let b: TestTenant;
/** B's identifiers: what A must never see, change or detect. */
let B: { userId: string; userName: string; groupId: string; groupName: string; roleId: string; roleName: string; fieldKey: string; tokenId: string; clientId: string; clientRowId: string; secretId: string; orgId: string; userName2: string; groupName2: string; fieldKey2: string; logEntryId: string };
/** A's own objects, to aim operations that take B's ids as a second argument. */
let A: { userId: string; groupId: string };

const random = () => crypto.randomUUID();
/** Answers compared with the target id replaced: B's id and a random id must read the same. */
const normalise = (text: string, ids: string[]) => ids.reduce((s, id) => s.split(id).join("<ID>"), text).replace(/"(requestId|time|timestamp)":"[^"]*"/g, "");

async function snapshotOfB(): Promise<string> {
  const tables = ["users", "user_contacts", "groups", "group_memberships", "roles", "role_assignments", "custom_field_definitions", "custom_field_values", "access_tokens", "identity_providers", "oauth_clients", "organisations"];
  const out: Record<string, unknown> = {};
  for (const t of tables) {
    if (t === "user_contacts") out[t] = await app.dataSource.query("SELECT c.* FROM user_contacts c JOIN users u ON u.id = c.userId WHERE u.organisationId = ? ORDER BY c.id", [b.organisation.id]);
    else if (t === "organisations") out[t] = await app.dataSource.query("SELECT * FROM organisations WHERE id = ?", [b.organisation.id]);
    else out[t] = await app.dataSource.query(`SELECT * FROM ${t === "groups" ? "`groups`" : t} WHERE organisationId = ? ORDER BY 1, 2`, [b.organisation.id]);
  }
  return JSON.stringify(out);
}

beforeAll(async () => {
  app = await startTestApp({ SCIM_RATE_LIMIT_PER_TOKEN: "0", SCIM_RATE_LIMIT_PER_IP: "0", GRAPHQL_RATE_LIMIT_PER_IP: "0", AUTH_FAILURE_LIMIT_PER_IP: "0" });
  a = await app.tenant();
  b = await app.tenant();
  const s = app.services;
  const fieldKey = "bOnlyField";
  await s.customFields.define(b.ctx, { key: fieldKey, label: "B only", type: "string" });
  const role = await s.roles.create(b.ctx, { name: "b-only-role" });
  const bu = await s.users.create(b.ctx, { userName: "secret.person@b.test", emails: [{ value: "secret.person@b.test", type: "work" }] });
  const bg = await s.groups.create(b.ctx, { displayName: "B Secret Group", members: [{ id: bu.id }] });
  const client = await s.oauthClients.create(b.ctx, { name: "b client" });
  await s.identityProviders.configureSaml(b.ctx, { idpSsoUrl: "https://b.idp.example/sso", idpEntityId: "urn:b:idp", idpCertificates: [makeSelfSignedCert("b").certPem] });
  const tokens = await s.tokens.list(b.ctx);
  // A second user and group of B, whose names A uses through GraphQL (SCIM uses the first ones).
  const bu2 = await s.users.create(b.ctx, { userName: "other.secret@b.test" });
  const bg2 = await s.groups.create(b.ctx, { displayName: "B Other Group" });
  await s.customFields.define(b.ctx, { key: "bOtherField", label: "B other", type: "string" });
  // An entry of B's provisioning log, as a SCIM request of B's IdP leaves one.
  await s.provisioningLog.record({ organisationId: b.organisation.id, requestId: "b-request", tokenId: null, tokenLabel: "b scim", method: "POST", path: "/scim/v2/Users", status: 201, durationMs: 1, resourceType: "User", resourceId: bu.id, notes: [], scimType: null, errorDetail: null, requestBody: { userName: bu.userName } });
  const [logEntry] = (await s.provisioningLog.list(b.ctx, {}, { first: 1 })).items;
  B = {
    userId: bu.id, userName: bu.userName, groupId: bg.id, groupName: bg.displayName, roleId: role.id, roleName: role.name, fieldKey,
    tokenId: tokens[0].id, clientId: client.client.clientId, clientRowId: client.client.id, secretId: client.secret.secret.id, orgId: b.organisation.id,
    userName2: bu2.userName, groupName2: bg2.displayName, fieldKey2: "bOtherField", logEntryId: logEntry.id,
  };
  A = { userId: (await s.users.create(a.ctx, { userName: "a.person@a.test" })).id, groupId: (await s.groups.create(a.ctx, { displayName: "A group" })).id };
});
afterAll(() => app.close());

/**
 * B's markers: none may appear in an answer to A. Names are not markers: A creates its own user,
 * group, role and field with B's names on purpose (per-organisation uniqueness must not detect B).
 */
const leaks = (text: string) => [B.userId, B.groupId, B.roleId, B.tokenId, B.clientId, B.clientRowId, B.secretId, B.orgId, "b.idp.example"].filter((m) => text.includes(m));

// ---------------------------------------------------------------- SCIM

type ScimCase = (scim: ReturnType<typeof scimClient>) => Promise<void>;
const sameForBAndRandom = (call: (scim: ReturnType<typeof scimClient>, id: string) => Promise<{ status: number; text: string }>, bId: () => string): ScimCase => async (scim) => {
  const other = random();
  const [forB, forRandom] = [await call(scim, bId()), await call(scim, other)];
  expect(normalise(forB.text, [bId()])).toEqual(normalise(forRandom.text, [other]));
  expect(forB.status).toBe(forRandom.status);
  expect(forB.status).toBeGreaterThanOrEqual(400);
};
const noLeak = (call: (scim: ReturnType<typeof scimClient>) => Promise<{ status: number; text: string }>): ScimCase => async (scim) => {
  const r = await call(scim);
  expect(r.status).toBeLessThan(300);
  expect(leaks(r.text)).toEqual([]);
};
const listFilter = (resource: string, filter: string) => `/${resource}?filter=${encodeURIComponent(filter)}`;

const scimCases: Record<string, ScimCase> = {
  "GET /ServiceProviderConfig": noLeak((s) => s.get("/ServiceProviderConfig")),
  "GET /ResourceTypes": noLeak((s) => s.get("/ResourceTypes")),
  "GET /ResourceTypes/:id": noLeak((s) => s.get("/ResourceTypes/User")),
  "GET /Schemas": noLeak((s) => s.get("/Schemas")),
  "GET /Schemas/:id": noLeak((s) => s.get(`/Schemas/${encodeURIComponent(app.config.scim.extensionUrn)}`)),
  "GET /Users": async (s) => {
    await noLeak((x) => x.get("/Users?count=1000"))(s);
    for (const f of [`userName eq "${B.userName}"`, `id eq "${B.userId}"`, `emails.value co "b.test"`, `groups.value eq "${B.groupId}"`]) {
      const r = await s.get(listFilter("Users", f));
      expect([r.status, r.body.totalResults ?? 0]).toEqual(r.status === 200 ? [200, 0] : [400, 0]);
    }
  },
  "POST /Users/.search": noLeak((s) => s.post("/Users/.search", { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: `userName eq "${B.userName}"` })),
  // Creating A's own user with B's userName works: uniqueness is per organisation and detects nothing.
  "POST /Users": async (s) => expect((await s.post("/Users", { schemas: [CORE_USER], userName: B.userName })).status).toBe(201),
  "GET /Users/:id": sameForBAndRandom((s, id) => s.get(`/Users/${id}`), () => B.userId),
  "PUT /Users/:id": sameForBAndRandom((s, id) => s.put(`/Users/${id}`, { schemas: [CORE_USER], userName: "taken.over@a.test" }), () => B.userId),
  "PATCH /Users/:id": sameForBAndRandom((s, id) => s.patch(`/Users/${id}`, patchOp({ op: "replace", path: "active", value: false })), () => B.userId),
  "DELETE /Users/:id": sameForBAndRandom((s, id) => s.delete(`/Users/${id}`), () => B.userId),
  "GET /Groups": async (s) => {
    await noLeak((x) => x.get("/Groups?count=1000"))(s);
    for (const f of [`displayName eq "${B.groupName}"`, `members.value eq "${B.userId}"`]) {
      const r = await s.get(listFilter("Groups", f));
      expect(r.body.totalResults ?? 0).toBe(0);
    }
  },
  "POST /Groups/.search": noLeak((s) => s.post("/Groups/.search", { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: `displayName eq "${B.groupName}"` })),
  "POST /Groups": async (s) => {
    expect((await s.post("/Groups", { schemas: [CORE_GROUP], displayName: B.groupName })).status).toBe(201);
    // B's user as a member of A's new group: the same refusal as a random id.
    await sameForBAndRandom((x, id) => x.post("/Groups", { schemas: [CORE_GROUP], displayName: `with ${id}`, members: [{ value: id }] }), () => B.userId)(s);
  },
  "GET /Groups/:id": sameForBAndRandom((s, id) => s.get(`/Groups/${id}`), () => B.groupId),
  "PUT /Groups/:id": sameForBAndRandom((s, id) => s.put(`/Groups/${id}`, { schemas: [CORE_GROUP], displayName: "taken over" }), () => B.groupId),
  "PATCH /Groups/:id": async (s) => {
    await sameForBAndRandom((x, id) => x.patch(`/Groups/${id}`, patchOp({ op: "replace", path: "displayName", value: "taken over" })), () => B.groupId)(s);
    await sameForBAndRandom((x, id) => x.patch(`/Groups/${A.groupId}`, patchOp({ op: "add", path: "members", value: [{ value: id }] })), () => B.userId)(s);
  },
  "DELETE /Groups/:id": sameForBAndRandom((s, id) => s.delete(`/Groups/${id}`), () => B.groupId),
  "POST /.search": noLeak((s) => s.post("/.search", { schemas: ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], filter: `userName eq "${B.userName}" or displayName eq "${B.groupName}"` })),
  "POST /Bulk": sameForBAndRandom(
    async (s, id) => {
      const r = await s.post("/Bulk", { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations: [{ method: "PATCH", path: `/Users/${id}`, data: patchOp({ op: "replace", path: "active", value: false }) }, { method: "DELETE", path: `/Groups/${id}` }] });
      // A Bulk answers 200 with per-operation statuses: compare those.
      return { status: r.body.Operations.every((o: { status: string }) => Number(o.status) >= 400) ? 404 : 200, text: r.text };
    },
    () => B.userId,
  ),
};

function scimRoutes(): string[] {
  return SCIM_ROUTES.map((r) => `${r.method} ${r.path}`);
}

test("every SCIM route has an isolation case (a new route fails here until it gets one)", () => {
  const routes = scimRoutes();
  expect(routes.length).toBeGreaterThanOrEqual(20);
  expect(routes.filter((r) => !scimCases[r])).toEqual([]);
});

test("SCIM: A's token never reads, changes or detects B's data", async () => {
  const before = await snapshotOfB();
  const scim = scimClient(app.url, a.scimToken);
  for (const route of scimRoutes()) {
    try {
      await scimCases[route](scim);
    } catch (err) {
      throw new Error(`${route}: ${(err as Error).message}`, { cause: err });
    }
  }
  expect(await snapshotOfB()).toEqual(before);
}, 60_000);

// ---------------------------------------------------------------- GraphQL

interface GqlCase {
  /** Runs with a target id (B's, then a random one): the two answers must be the same. */
  targeted?: { query: string; vars: (id: string) => Record<string, unknown>; target: () => string };
  /** Acts on A's own organisation: the answer must not mention B. */
  own?: { query: string; vars?: Record<string, unknown> };
}
const t = (query: string, vars: (id: string) => Record<string, unknown>, target: () => string): GqlCase => ({ targeted: { query, vars, target } });
const own = (query: string, vars?: Record<string, unknown>): GqlCase => ({ own: { query, vars } });

const gqlCases: Record<string, GqlCase[]> = {
  // queries
  accessTokens: [own("{ accessTokens { id name } }")],
  auditEvents: [own("{ auditEvents(first: 200) { nodes { id resourceId action } } }"), t("query($id: ID!) { auditEvents(filter: { resourceId: $id }) { totalCount nodes { id } } }", (id) => ({ id }), () => B.userId)],
  customFieldDefinitions: [own("{ customFieldDefinitions { key } }")],
  group: [t("query($id: ID!) { group(id: $id) { id displayName } }", (id) => ({ id }), () => B.groupId)],
  groups: [own("{ groups(first: 200) { nodes { id displayName } } }"), t("query($id: ID!) { groups(filter: { memberId: $id }) { totalCount } }", (id) => ({ id }), () => B.userId)],
  identityProviders: [own("{ identityProviders { kind } }")],
  me: [own("{ me { id } }")],
  oauthClients: [own("{ oauthClients { id clientId name } }")],
  oauthEndpoints: [own("{ oauthEndpoints { tokenUrl } }")],
  organisation: [own("{ organisation { id slug name } }")],
  provisioningLog: [own("{ provisioningLog(first: 200) { nodes { id status method } } }"), t("query($id: ID!) { provisioningLog(filter: { tokenId: $id }) { totalCount } }", (id) => ({ id }), () => B.tokenId)],
  provisioningLogEntry: [t("query($id: ID!) { provisioningLogEntry(id: $id) { id requestBody } }", (id) => ({ id }), () => B.logEntryId)],
  roles: [own("{ roles { id name } }")],
  serviceProvider: [own("{ serviceProvider { saml { entityId acsUrl } } }")],
  user: [t("query($id: ID!) { user(id: $id) { id userName } }", (id) => ({ id }), () => B.userId)],
  users: [own("{ users(first: 200) { nodes { id userName } } }"), t("query($id: ID!) { users(filter: { groupId: $id }) { totalCount } }", (id) => ({ id }), () => B.groupId),
    t("query($id: ID!) { users(filter: { managerId: $id }) { totalCount } }", (id) => ({ id }), () => B.userId),
  ],
  // mutations
  addGroupMembers: [
    t("mutation($id: ID!) { addGroupMembers(groupId: $id, members: [{ id: $id }]) { added } }", (id) => ({ id }), () => B.groupId),
    t("mutation($g: ID!, $id: ID!) { addGroupMembers(groupId: $g, members: [{ id: $id }]) { added } }", (id) => ({ g: A.groupId, id }), () => B.userId),
  ],
  addOAuthClientSecret: [t("mutation($id: String!) { addOAuthClientSecret(clientId: $id) { value } }", (id) => ({ id }), () => B.clientId)],
  assignRoles: [
    t("mutation($id: ID!) { assignRoles(userId: $id, roles: [\"member\"]) { id } }", (id) => ({ id }), () => B.userId),
    t("mutation($u: ID!, $id: String!) { assignRoles(userId: $u, roles: [$id]) { id } }", (id) => ({ u: A.userId, id }), () => B.roleName),
  ],
  configureFederatedCredential: [t("mutation($id: String!) { configureFederatedCredential(clientId: $id, input: { issuer: \"https://issuer.example\", subject: \"s\", audience: \"a\", jwksUrl: \"https://issuer.example/jwks\" }) { id } }", (id) => ({ id }), () => B.clientId)],
  configureOidc: [own("mutation { configureOidc(input: { issuer: \"https://a.idp.example\", clientId: \"a-client\" }) { kind } }")],
  configureSaml: [own("mutation($c: String!) { configureSaml(input: { idpSsoUrl: \"https://a.idp.example/sso\", idpEntityId: \"urn:b:idp\", idpCertificates: [$c] }) { kind } }")],
  createAccessToken: [own("mutation { createAccessToken(input: { name: \"a\", scope: \"scim\" }) { token { id } } }")],
  createGroup: [own("mutation($n: String!) { createGroup(input: { displayName: $n }) { id } }")],
  createOAuthClient: [own("mutation { createOAuthClient(input: { name: \"a client\" }) { client { id } } }")],
  createRole: [own("mutation($n: String!) { createRole(input: { name: $n }) { id } }")],
  createUser: [own("mutation($n: String!) { createUser(input: { userName: $n }) { id } }")],
  deactivateUser: [t("mutation($id: ID!) { deactivateUser(id: $id) { id } }", (id) => ({ id }), () => B.userId)],
  defineCustomField: [own("mutation($k: String!) { defineCustomField(input: { key: $k, label: \"A's\" }) { key } }")],
  deleteCustomField: [t("mutation($id: String!) { deleteCustomField(key: $id) }", (id) => ({ id }), () => B.fieldKey)],
  deleteGroup: [t("mutation($id: ID!) { deleteGroup(id: $id) }", (id) => ({ id }), () => B.groupId)],
  deleteIdentityProvider: [own("mutation { deleteIdentityProvider(kind: oidc) }")],
  deleteRole: [t("mutation($id: ID!) { deleteRole(id: $id) }", (id) => ({ id }), () => B.roleId)],
  deleteUser: [t("mutation($id: ID!) { deleteUser(id: $id) }", (id) => ({ id }), () => B.userId)],
  reactivateUser: [t("mutation($id: ID!) { reactivateUser(id: $id) { id } }", (id) => ({ id }), () => B.userId)],
  removeFederatedCredential: [t("mutation($id: String!) { removeFederatedCredential(clientId: $id) { id } }", (id) => ({ id }), () => B.clientId)],
  removeGroupMembers: [
    t("mutation($id: ID!) { removeGroupMembers(groupId: $id, memberIds: [$id]) { removed } }", (id) => ({ id }), () => B.groupId),
  ],
  removeOAuthClientSecret: [t("mutation($id: String!, $s: ID!) { removeOAuthClientSecret(clientId: $id, secretId: $s) { id } }", (id) => ({ id, s: B.secretId }), () => B.clientId)],
  revokeAccessToken: [t("mutation($id: ID!) { revokeAccessToken(id: $id) { id } }", (id) => ({ id }), () => B.tokenId)],
  revokeOAuthClient: [t("mutation($id: String!) { revokeOAuthClient(clientId: $id) { id } }", (id) => ({ id }), () => B.clientId)],
  setCustomFieldValues: [
    t("mutation($id: ID!) { setCustomFieldValues(userId: $id, values: {}) { id } }", (id) => ({ id }), () => B.userId),
    t("mutation($u: ID!, $v: JSONObject!) { setCustomFieldValues(userId: $u, values: $v) { id } }", (id) => ({ u: A.userId, v: { [id]: "x" } }), () => B.fieldKey),
  ],
  setIdentityProviderEnabled: [own("mutation { setIdentityProviderEnabled(kind: saml, enabled: false) { kind } }")],
  setJustInTimeProvisioning: [own("mutation { setJustInTimeProvisioning(kind: saml, enabled: true) { kind } }")],
  unassignRoles: [t("mutation($id: ID!) { unassignRoles(userId: $id, roles: [\"member\"]) { id } }", (id) => ({ id }), () => B.userId)],
  updateCustomField: [t("mutation($id: String!) { updateCustomField(key: $id, input: { label: \"taken\" }) { key } }", (id) => ({ id }), () => B.fieldKey)],
  updateGroup: [t("mutation($id: ID!) { updateGroup(id: $id, input: { displayName: \"taken\" }) { id } }", (id) => ({ id }), () => B.groupId)],
  updateOrganisation: [own("mutation { updateOrganisation(input: { name: \"A renamed\" }) { id name } }")],
  updateRole: [t("mutation($id: ID!) { updateRole(id: $id, input: { permissions: [] }) { id } }", (id) => ({ id }), () => B.roleId)],
  updateUser: [t("mutation($id: ID!) { updateUser(id: $id, input: { displayName: \"taken\" }) { id } }", (id) => ({ id }), () => B.userId)],
};

/** The same shape as B's id: a UUID, a key, a role name or an OAuth client id. */
function randomLike(id: string): string {
  if (/^[0-9a-f-]{36}$/.test(id)) return random();
  if (id === B.clientId) return id.slice(0, 8) + crypto.randomBytes(id.length).toString("hex").slice(0, id.length - 8);
  return `zz${crypto.randomBytes(4).toString("hex")}`;
}

test("every GraphQL query and mutation has an isolation case (a new operation fails here until it gets one)", async () => {
  const schema = await buildGraphqlSchema();
  const ops = [...Object.keys(schema.getQueryType()!.getFields()), ...Object.keys(schema.getMutationType()!.getFields())];
  expect(ops.length).toBeGreaterThanOrEqual(40);
  expect(ops.filter((op) => !gqlCases[op])).toEqual([]);
});

test("GraphQL: A's admin token never reads, changes or detects B's data", async () => {
  const before = await snapshotOfB();
  let targeted = 0;
  for (const [op, cases] of Object.entries(gqlCases)) {
    for (const c of cases) {
      try {
        if (c.targeted) {
          const bId = c.targeted.target();
          const other = randomLike(bId);
          const forB = await app.gql(a.adminToken, c.targeted.query, c.targeted.vars(bId));
          const forRandom = await app.gql(a.adminToken, c.targeted.query, c.targeted.vars(other));
          expect(normalise(JSON.stringify(forB), [bId])).toEqual(normalise(JSON.stringify(forRandom), [other]));
          expect(leaks(JSON.stringify(forB).split(bId).join(""))).toEqual([]); // echoing the id A sent is not a leak
          targeted++;
        } else {
          // Own-organisation operations, given B's names where a name is asked: they succeed in A (no "already exists").
          const vars = { n: op === "createUser" ? B.userName2 : op === "createGroup" ? B.groupName2 : B.roleName, k: B.fieldKey2, c: makeSelfSignedCert("a").certPem, ...c.own!.vars };
          const r = await app.gql(a.adminToken, c.own!.query, Object.fromEntries(Object.entries(vars).filter(([k]) => c.own!.query.includes(`$${k}`))));
          if (["createUser", "createGroup", "createRole", "defineCustomField"].includes(op)) expect(r.errors).toBeUndefined();
          expect(leaks(JSON.stringify(r))).toEqual([]);
        }
      } catch (err) {
        throw new Error(`${op}: ${(err as Error).message}`, { cause: err });
      }
    }
  }
  expect(targeted).toBeGreaterThanOrEqual(25);
  expect(await snapshotOfB()).toEqual(before);
}, 60_000);
