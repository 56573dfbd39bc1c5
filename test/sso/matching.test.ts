import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";

/**
 * Matching a verified identity to a provisioned user, at the domain layer: the key an IdP's
 * identifier is looked up by must be exactly the key the user's write stored.
 */
let app: TestApp;
let t: TestTenant;

beforeAll(async () => {
  app = await startTestApp();
  t = await app.tenant();
});
afterAll(() => app.close());

const identity = (identifier: string) => ({ protocol: "oidc" as const, identifier, email: null, displayName: null, givenName: null, familyName: null, userNameHint: null });

test("matchBy externalId finds the user whose externalId is the identifier, in any case, and never a user whose externalId only normalises to it", async () => {
  // Two externalIds that differ only in how "é" is encoded: e + U+0301, and U+00E9; SCIM keeps each
  // as sent. Before, sign-in NFC-normalised the identifier before the lookup and writes did not, so
  // the decomposed identifier signed in as the *other* user.
  const decomposed = "Ame\u0301lie-7F";
  const user = await app.services.users.create(t.ctx, { userName: "amelie@acme.test", externalId: decomposed });
  const other = await app.services.users.create(t.ctx, { userName: "other@acme.test", externalId: "am\u00e9lie-7f" });
  const ctx = { ...t.ctx, source: "sso" as const };
  const idp = await app.services.identityProviders.configureOidc(ctx, { issuer: "https://login.microsoftonline.com/tid-9/v2.0", clientId: "app-9", tenantId: "tid-9", clientSecret: "s3cret", claim: "oid", matchBy: "externalId" });
  for (const identifier of [decomposed, decomposed.toUpperCase()]) {
    const r = await app.services.signIn.signIn(ctx, idp, identity(identifier));
    expect(r).toMatchObject({ ok: true, user: { id: user.id } });
  }
  expect(await app.services.signIn.signIn(ctx, idp, identity("AM\u00c9LIE-7F"))).toMatchObject({ ok: true, user: { id: other.id } });
  expect(await app.services.signIn.signIn(ctx, idp, identity("Amelie-7F"))).toMatchObject({ ok: false, reason: "not_provisioned" });
});
