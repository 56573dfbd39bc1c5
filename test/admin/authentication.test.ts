// Account > Authentication in a real browser: Roster's SP values to copy into Okta, SAML settings
// with a PEM generated here, the metadata URL copied from the page and fetched, test sign-in, OIDC.
import type { TestApp, TestTenant } from "../support/test-app";
import { makeSelfSignedCert } from "../sso/support/fake-saml-idp";
import { type TestBrowser, screenshot, useConsole } from "./browser";

jest.setTimeout(30_000);

let app: TestApp;
let t: TestTenant;
let browser: TestBrowser;

useConsole((x) => ({ app, t, browser } = x), { signedIn: true });
beforeAll(async () => {
  await browser.page.getByRole("link", { name: "Authentication" }).click();
  await browser.page.getByRole("heading", { level: 1, name: "Authentication" }).waitFor();
});

test("configure SAML with a pasted PEM; copy the metadata URL and fetch SP metadata XML", async () => {
  const { page } = browser;
  const slug = t.organisation.slug;
  expect(await page.locator("#sp-acs-url").inputValue()).toBe(`${app.url}/auth/saml/${slug}/acs`);
  expect(await page.locator("#sp-entity-id").inputValue()).not.toBe("");
  await page.getByText("SAML sign-in is not configured.").waitFor();

  // A bad certificate: the API's message and code are shown, nothing is saved.
  await page.getByLabel("Identity provider issuer (IdP entity id)").fill("http://www.okta.com/exkADMIN");
  await page.getByLabel("Identity provider single sign-on URL").fill("https://example.okta.com/app/roster/exkADMIN/sso/saml");
  await page.getByLabel("IdP signing certificate(s), PEM").fill("-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----");
  await page.getByRole("button", { name: "Configure SAML" }).click();
  await page.getByRole("alert").filter({ hasText: /Could not save the SAML settings:.*BAD_USER_INPUT/s }).waitFor();
  await screenshot(page, "20-authentication-error");

  const key = makeSelfSignedCert("okta-admin-console");
  await page.getByLabel("IdP signing certificate(s), PEM").fill(key.certPem);
  await page.getByRole("button", { name: "Configure SAML" }).click();
  await page.getByText("SAML settings saved.").waitFor();
  await page.getByRole("switch", { name: "SAML sign-in enabled" }).waitFor();
  await page.getByText("CN=okta-admin-console").waitFor();
  const idps = (await app.gql<any>(t.adminToken, "{ identityProviders { kind enabled saml { entityId ssoUrl } } }")).data!.identityProviders;
  expect(idps).toEqual([{ kind: "saml", enabled: true, saml: { entityId: "http://www.okta.com/exkADMIN", ssoUrl: "https://example.okta.com/app/roster/exkADMIN/sso/saml" } }]);

  // Copy the metadata URL as the Okta admin would, then fetch it.
  await page.getByRole("button", { name: "Copy SP metadata URL" }).click();
  const copied = await page.evaluate<string>("navigator.clipboard.readText()");
  expect(copied).toBe(`${app.url}/auth/saml/${slug}/metadata`);
  const res = await fetch(copied);
  expect(res.status).toBe(200);
  const xml = await res.text();
  expect(xml).toContain("EntityDescriptor");
  expect(xml).toContain(`${app.url}/auth/saml/${slug}/acs`);

  // Test sign-in opens the SP-initiated login in a new tab: it redirects to the IdP's SSO URL.
  const [popup] = await Promise.all([
    page.context().waitForEvent("request", (r) => r.url().startsWith("https://example.okta.com/")),
    page.getByRole("button", { name: "Test sign-in" }).first().click(),
  ]);
  expect(new URL(popup.url()).searchParams.get("SAMLRequest")).toBeTruthy();
  for (const p of page.context().pages()) if (p !== page) await p.close();
  await screenshot(page, "21-authentication-saml");
});

test("disable SAML, configure OIDC (secret write-only)", async () => {
  const { page } = browser;
  await page.getByRole("switch", { name: "SAML sign-in enabled" }).click(); // the card re-renders: click, not uncheck (which re-reads the replaced element)
  await page.locator("#saml-test:disabled").waitFor();
  // An Entra issuer without a tenant id: the API's reason is shown.
  await page.getByLabel("Issuer", { exact: true }).fill("https://login.microsoftonline.com/common/v2.0");
  await page.getByLabel("Client id (application id)").fill("app-client-id");
  await page.getByLabel("Client secret").fill("s3cret-value");
  await page.getByRole("button", { name: "Configure OIDC" }).click();
  await page.getByRole("alert").filter({ hasText: /needs the tenant id.*BAD_USER_INPUT.*field: tenantId/s }).waitFor();
  // The tenant's issuer fills the tenant id in.
  await page.getByLabel("Issuer", { exact: true }).fill("https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555/v2.0");
  await page.getByLabel("Issuer", { exact: true }).press("Tab");
  expect(await page.getByLabel("Tenant id (Entra)").inputValue()).toBe("11111111-2222-3333-4444-555555555555");
  await page.getByLabel("Client id (application id)").fill("app-client-id");
  await page.getByLabel("Client secret").fill("s3cret-value");
  await page.getByRole("button", { name: "Configure OIDC" }).click();
  await page.getByText("OIDC settings saved.").waitFor();
  await page.getByText("A secret is stored: leave empty to keep it.").waitFor();
  const idps = (await app.gql<any>(t.adminToken, "{ identityProviders { kind enabled oidc { clientId clientSecretSet } } }")).data!.identityProviders;
  expect(idps.find((i: any) => i.kind === "saml").enabled).toBe(false);
  expect(idps.find((i: any) => i.kind === "oidc")).toEqual({ kind: "oidc", enabled: true, oidc: { clientId: "app-client-id", clientSecretSet: true } });
  await screenshot(page, "22-authentication-oidc");
});

test("after a rename: the current values to copy, and the former slug's values listed as still accepted", async () => {
  const { page } = browser;
  const before = t.organisation.slug;
  const after = `${before}-renamed`;
  expect(await page.locator("#sp-former-slugs").count()).toBe(0);
  const renamed = await app.gql<any>(t.adminToken, `mutation($s: String!) { updateOrganisation(input: { slug: $s }) { slug } }`, { s: after });
  expect(renamed.data!.updateOrganisation.slug).toBe(after);
  await page.reload();
  await page.getByRole("heading", { level: 1, name: "Authentication" }).waitFor();
  expect(await page.locator("#sp-acs-url").inputValue()).toBe(`${app.url}/auth/saml/${after}/acs`);
  const former = page.locator("#sp-former-slugs");
  await former.getByRole("heading", { name: "Earlier values, still accepted" }).waitFor();
  const row = former.getByRole("row").filter({ hasText: `${app.url}/auth/saml/${before}/acs` });
  await row.getByText(before, { exact: true }).waitFor();
  await row.getByText(`${app.url}/auth/saml/${before}/metadata`).waitFor();
  await row.getByText(`${app.url}/auth/oidc/${before}/callback`).waitFor();
  await screenshot(page, "23-authentication-former-slug");
});
