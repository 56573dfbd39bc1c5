// The seed documents' "Account > Provisioning" steps in a real browser against a real Roster: sign in,
// copy the SCIM base URL, create a token, use it from an IdP, see the request, rotate, revoke.
import type { TestApp, TestTenant } from "../support/test-app";
import { scimClient } from "../support/scim-client";
import { type TestBrowser, screenshot, signInWithToken, useConsole } from "./browser";

jest.setTimeout(30_000);

let app: TestApp;
let t: TestTenant;
let browser: TestBrowser;

useConsole((x) => ({ app, t, browser } = x));

test("the console is served with its modules, a strict CSP and /admin → /admin/", async () => {
  const index = await fetch(`${app.url}/admin/`);
  expect(index.status).toBe(200);
  expect(index.headers.get("content-type")).toMatch(/text\/html/);
  expect(index.headers.get("content-security-policy")).toContain("script-src 'self'");
  const mod = await fetch(`${app.url}/admin/lib.js`);
  expect(mod.headers.get("content-type")).toMatch(/javascript/);
  const bare = await fetch(`${app.url}/admin`, { redirect: "manual" });
  expect(bare.status).toBe(301);
  expect(bare.headers.get("location")).toBe("/admin/");
  expect((await fetch(`${app.url}/admin/nope.js`)).status).toBe(404);
});

test("a wrong token is refused with the reason shown; the right one signs in", async () => {
  const { page } = browser;
  await page.goto("/admin/");
  await page.getByRole("heading", { name: "Sign in to your account" }).waitFor();
  await screenshot(page, "01-sign-in");
  await page.getByRole("textbox", { name: "Admin token" }).fill("rst_admin_not-a-real-token");
  await page.getByRole("button", { name: "Sign in with token" }).click();
  await expectAlert(page, /The token was refused.*UNAUTHENTICATED/s);
  await signInWithToken(page, t.adminToken);
  expect(await page.locator("#org-name").textContent()).toContain("Test organisation");
});

test("SCIM base URL, create a token, use it for a real SCIM call, see it in the activity", async () => {
  const { page } = browser;
  expect(await page.locator("#scim-base-url").inputValue()).toBe(`${app.url}/scim/v2`);
  await page.getByRole("button", { name: "Copy SCIM base URL" }).click();
  expect(await page.evaluate<string>("navigator.clipboard.readText()")).toBe(`${app.url}/scim/v2`);

  await page.getByLabel("Name", { exact: true }).fill("Okta provisioning");
  await page.getByLabel("Expires").selectOption("90");
  await page.getByRole("button", { name: "Create token" }).click();
  const secretInput = page.locator("#new-token-secret");
  await secretInput.waitFor();
  const secret = await secretInput.inputValue();
  expect(secret).toMatch(/^rst_scim_/);
  await page.getByRole("button", { name: "Copy Secret of Okta provisioning" }).click();
  expect(await page.evaluate<string>("navigator.clipboard.readText()")).toBe(secret);
  const row = page.locator("tr[data-token-id]", { hasText: "Okta provisioning" });
  await expect(row.textContent()).resolves.toMatch(/SCIM.*never.*active/s);

  // The IdP (Okta) now calls Roster with that token.
  const scim = scimClient(app.url, secret);
  const created = await scim.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada@example.com", name: { givenName: "Ada", familyName: "Lovelace" }, emails: [{ value: "ada@example.com", primary: true }], active: true });
  expect(created.status).toBe(201);
  expect((await scim.post("/Users", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:User"], userName: "ada@example.com" })).status).toBe(409);

  await page.getByRole("button", { name: "Refresh" }).click();
  const activity = page.locator("section", { has: page.getByRole("heading", { name: "Recent provisioning activity" }) });
  await activity.locator("tbody tr:not(.detail-row)", { hasText: "user.created" }).waitFor();
  await expect(activity.textContent()).resolves.toMatch(/POST \/scim\/v2\/Users.*201.*Okta provisioning/s);
  // Filter: failed only shows the 409 and its reason.
  await page.getByLabel("Failed requests only").check();
  await activity.locator(".table-wrap:not([aria-busy])").waitFor();
  await activity.locator("tbody tr:not(.detail-row)", { hasText: "409" }).waitFor();
  expect(await activity.locator("tbody tr:not(.detail-row)").count()).toBe(1);
  await activity.getByRole("button", { name: /Details of POST/ }).click();
  await expect(activity.locator(".detail-row:not([hidden])").textContent()).resolves.toMatch(/uniqueness/);
  await page.getByLabel("Failed requests only").uncheck();
  await page.getByLabel("Method").selectOption("GET");
  await activity.getByText("No request matches these filters.").waitFor();
  // A slow answer to an earlier filter (POST) must not overwrite the answer to the later one (GET).
  const isPostFilter = (body: string | null) => JSON.parse(body ?? "{}").variables?.filter?.method === "POST";
  await page.route("**/graphql", async (route) => {
    if (isPostFilter(route.request().postData())) await new Promise((resolve) => setTimeout(resolve, 750));
    await route.continue();
  });
  const slowAnswer = page.waitForResponse((res) => isPostFilter(res.request().postData()));
  await page.getByLabel("Method").selectOption("POST");
  await page.getByLabel("Method").selectOption("GET");
  await (await slowAnswer).finished();
  await activity.locator(".table-wrap:not([aria-busy])").waitFor();
  await page.evaluate("new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)))"); // let the page handle that answer
  await expect(activity.locator("tbody").textContent()).resolves.toBe("No request matches these filters.");
  await page.unroute("**/graphql");
  await page.getByLabel("Method").selectOption("");
  await activity.locator("tbody tr:not(.detail-row)", { hasText: "user.created" }).waitFor();
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.reload();
  const tokenRow = page.locator("tr[data-token-id]", { hasText: "Okta provisioning" });
  await tokenRow.waitFor();
  expect(await tokenRow.locator("td").nth(3).textContent()).not.toBe("never"); // last used: the SCIM call
  await screenshot(page, "02-provisioning");
});

test("rotate keeps both tokens live until the old one is revoked; revoke stops it", async () => {
  const { page } = browser;
  const before = (await app.gql<any>(t.adminToken, "{ accessTokens { id name prefix active } }")).data!.accessTokens.filter((x: any) => x.name === "Okta provisioning");
  expect(before).toHaveLength(1);
  await page.getByRole("button", { name: /^Rotate token Okta provisioning/ }).click();
  await page.getByRole("heading", { name: "New token for Okta provisioning" }).waitFor();
  const secret = await page.locator("#new-token-secret").inputValue();
  expect(secret).toMatch(/^rst_scim_/);
  const both = (await app.gql<any>(t.adminToken, "{ accessTokens { id name active } }")).data!.accessTokens.filter((x: any) => x.name === "Okta provisioning" && x.active);
  expect(both).toHaveLength(2);
  await screenshot(page, "03-provisioning-rotate");
  await page.getByRole("button", { name: `Revoke the old token (${before[0].prefix}…) now` }).click();
  await page.getByText(`The old token Okta provisioning (${before[0].prefix}…) is revoked.`).waitFor();
  expect((await scimClient(app.url, secret).get("/Users")).status).toBe(200);

  // Revoke the new one from the list (a confirm dialog first).
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: /^Revoke token Okta provisioning/ }).click();
  await page.getByText(/^Token Okta provisioning \(.*\) revoked\.$/).waitFor();
  expect((await scimClient(app.url, secret).get("/Users")).status).toBe(401);
  await page.getByLabel("Show revoked and expired tokens").check();
  expect(await page.locator("tr", { hasText: "revoked" }).count()).toBe(2);
});

test("the SCIM switch turns provisioning off and on", async () => {
  const { page } = browser;
  const sw = page.getByRole("switch", { name: "SCIM provisioning enabled" });
  expect(await sw.isChecked()).toBe(true);
  await sw.uncheck();
  await page.getByText("SCIM provisioning is disabled.").waitFor();
  expect((await app.gql<any>(t.adminToken, "{ organisation { scimEnabled } }")).data!.organisation.scimEnabled).toBe(false);
  expect((await scimClient(app.url, t.scimToken).get("/Users")).status).toBeGreaterThanOrEqual(400);
  await sw.check();
  await page.getByText("SCIM provisioning is enabled.").waitFor();
  expect((await scimClient(app.url, t.scimToken).get("/Users")).status).toBe(200);
});

test("who manages roles is chosen beside the SCIM switch", async () => {
  const { page } = browser;
  const roles = page.getByLabel("Roles managed by");
  expect(await roles.inputValue()).toBe("identityProvider");
  await roles.selectOption("product");
  await page.getByText("Roles are managed in this product.").waitFor();
  expect((await app.gql<any>(t.adminToken, "{ organisation { rolesManagedBy } }")).data!.organisation.rolesManagedBy).toBe("product");
  await roles.selectOption("identityProvider");
  await page.getByText("Roles are managed by the identity provider.").waitFor();
  expect((await app.gql<any>(t.adminToken, "{ organisation { rolesManagedBy } }")).data!.organisation.rolesManagedBy).toBe("identityProvider");
});

test("an API error is shown with its message and code", async () => {
  const { page } = browser;
  await page.getByLabel("Name", { exact: true }).fill("   ");
  await page.getByRole("button", { name: "Create token" }).click();
  await expectAlert(page, /Could not create the token:.*BAD_USER_INPUT/s);
  await screenshot(page, "04-provisioning-error");
});

async function expectAlert(page: import("playwright-core").Page, text: RegExp) {
  const alert = page.getByRole("alert").filter({ hasText: text });
  await alert.first().waitFor();
}
