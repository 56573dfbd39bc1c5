// Directory in a real browser: users provisioned over SCIM appear, search and filters, a user's
// detail, deactivation seen by SCIM, a group's members, roles and custom fields management.
import type { TestApp, TestTenant } from "../support/test-app";
import { CORE_USER, ENTERPRISE, scimClient } from "../support/scim-client";
import { type TestBrowser, screenshot, useConsole } from "./browser";

jest.setTimeout(30_000);

let app: TestApp;
let t: TestTenant;
let browser: TestBrowser;
const ids: Record<string, string> = {};

useConsole((x) => ({ app, t, browser } = x), {
  signedIn: true,
  seed: async ({ app, t }) => {
    const scim = scimClient(app.url, t.scimToken);
    // 30 users: more than one page of 25.
    for (let i = 0; i < 30; i++) {
      const n = String(i).padStart(2, "0");
      const r = await scim.post("/Users", {
        schemas: [CORE_USER, ENTERPRISE],
        userName: `user${n}@example.com`,
        name: { givenName: `Given${n}`, familyName: `Family${n}` },
        displayName: `Person ${n}`,
        emails: [{ value: `user${n}@example.com`, type: "work", primary: true }],
        active: true,
        [ENTERPRISE]: { department: "Engineering", employeeNumber: `E${n}` },
      });
      expect(r.status).toBe(201);
      ids[n] = r.body.id;
    }
    const g = await scim.post("/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "Engineers", members: [{ value: ids["00"] }, { value: ids["01"] }] });
    expect(g.status).toBe(201);
  },
});

const rows = () => browser.page.locator("tbody tr");

test("users provisioned over SCIM appear, page by page, searchable and filterable", async () => {
  const { page } = browser;
  await page.getByRole("link", { name: "Directory" }).click();
  await page.getByRole("link", { name: "user00@example.com" }).waitFor();
  expect(await rows().count()).toBe(25);
  await page.getByText("1–25 of 30 users").waitFor();
  await page.getByRole("button", { name: "Next →" }).click();
  await page.getByText("26–30 of 30 users").waitFor();
  expect(await rows().count()).toBe(5);
  await page.getByRole("button", { name: "← Previous" }).click();
  await page.getByText("1–25 of 30 users").waitFor();

  await page.getByRole("searchbox", { name: "Search users" }).fill("user07");
  await page.getByText("1–1 of 1 users").waitFor();
  expect(await rows().first().textContent()).toContain("Person 07");
  await page.getByRole("searchbox", { name: "Search users" }).fill("");
  await page.getByText("1–25 of 30 users").waitFor();
  await screenshot(page, "10-directory-users");
});

test("a user's detail; deactivating in the console makes SCIM report active: false", async () => {
  const { page } = browser;
  await page.getByRole("link", { name: "user03@example.com" }).click();
  await page.getByRole("heading", { level: 1, name: "Person 03" }).waitFor();
  await expect(page.locator(".attributes").first().textContent()).resolves.toContain("Given03");
  await expect(page.locator("section", { hasText: "Enterprise" }).first().textContent()).resolves.toMatch(/E03.*Engineering/s);
  await page.locator("section", { hasText: "Audit history" }).getByText("user.created").waitFor();

  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Deactivate" }).click();
  await page.getByText("user03@example.com is deactivated.").waitFor();
  await page.getByRole("button", { name: "Reactivate" }).waitFor();
  const scim = await scimClient(app.url, t.scimToken).get(`/Users/${ids["03"]}`);
  expect(scim.body.active).toBe(false);
  await page.locator("section", { hasText: "Audit history" }).getByText("user.deactivated").waitFor();

  // Assign a role from the detail page.
  await page.getByLabel("Role to assign").selectOption("admin");
  await page.getByRole("button", { name: "Assign" }).click();
  await page.getByRole("button", { name: "Remove role admin" }).waitFor();
  await screenshot(page, "11-directory-user");

  // The inactive filter finds them.
  await page.getByRole("link", { name: "← Users" }).click();
  await page.getByLabel("Status").selectOption("false");
  await page.getByText("1–1 of 1 users").waitFor();
  expect(await rows().first().textContent()).toMatch(/user03.*inactive/);
  await page.getByLabel("Status").selectOption("");
});

test("groups and a group's members", async () => {
  const { page } = browser;
  await page.getByRole("link", { name: "Groups" }).click();
  await page.getByRole("link", { name: "Engineers" }).click();
  await page.getByRole("heading", { level: 1, name: "Engineers" }).waitFor();
  await page.getByRole("link", { name: "Person 00" }).waitFor();
  await page.getByText("1–2 of 2 members").waitFor();
  await screenshot(page, "12-directory-group");
});

test("roles: create, edit, delete; a conflict shows the API's message and code", async () => {
  const { page } = browser;
  await page.getByRole("link", { name: "Roles" }).click();
  await page.getByRole("button", { name: "New role" }).click();
  await page.getByLabel("Name").fill("Admin");
  await page.getByRole("button", { name: "Create role" }).click();
  await page.getByRole("alert").filter({ hasText: /Could not create the role:.*CONFLICT/s }).waitFor();
  await screenshot(page, "13-directory-roles-error");
  await page.getByLabel("Name").fill("Manager");
  await page.getByLabel("Permissions").fill("reports:read, people:write");
  await page.getByRole("button", { name: "Create role" }).click();
  await page.getByText("Role Manager created.").waitFor();
  await page.getByRole("button", { name: "Edit role Manager" }).click();
  await page.getByLabel("Description").fill("Line managers");
  await page.getByRole("button", { name: "Save role" }).click();
  await page.locator("tr", { hasText: "Line managers" }).waitFor();
  await screenshot(page, "14-directory-roles");
  page.once("dialog", (d) => void d.accept());
  await page.getByRole("button", { name: "Delete role Manager" }).click();
  await page.getByText("Role Manager deleted.").waitFor();
  expect((await app.gql<any>(t.adminToken, "{ roles { name } }")).data!.roles.map((r: any) => r.name)).not.toContain("Manager");
});

test("custom fields: define one, the IdP sends it, it shows on the user", async () => {
  const { page } = browser;
  await page.getByRole("link", { name: "Custom fields" }).click();
  await page.getByRole("button", { name: "New field" }).click();
  await page.getByLabel("Key").fill("area");
  await page.getByLabel("Label").fill("Area");
  await page.getByRole("button", { name: "Define field" }).click();
  // area is one of the seeded fields: the conflict is explained; another key works.
  await page.getByRole("alert").filter({ hasText: /Could not define the field:.*already exists.*CONFLICT/s }).waitFor();
  await page.getByLabel("Key").fill("region");
  await page.getByLabel("Label").fill("Region");
  await page.getByRole("button", { name: "Define field" }).click();
  await page.getByText("Field region defined.").waitFor();
  await screenshot(page, "15-directory-fields");
  const ext = app.config.scim.extensionUrn;
  const r = await scimClient(app.url, t.scimToken).patch(`/Users/${ids["05"]}`, { schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], Operations: [{ op: "add", path: `${ext}:region`, value: "North" }] });
  expect(r.status).toBe(200);
  await page.goto(`/admin/#/directory/users/${ids["05"]}`);
  await expect(page.locator("section", { hasText: "Extension fields" }).last().textContent()).resolves.toMatch(/Region \(region\).*North/s);
});

test("custom fields: who manages a field is chosen in its form", async () => {
  const { page } = browser;
  await page.goto("/admin/#/directory/fields");
  const managedBy = async () => (await app.gql<any>(t.adminToken, "{ customFieldDefinitions { key managedBy } }")).data!.customFieldDefinitions.find((d: any) => d.key === "region").managedBy;
  await page.getByRole("button", { name: "Edit field region" }).click();
  expect(await page.getByLabel("Managed by").inputValue()).toBe("identityProvider");
  await page.getByLabel("Managed by").selectOption("product");
  await page.getByRole("button", { name: "Save field" }).click();
  await page.getByText("Field region saved.").waitFor();
  expect(await managedBy()).toBe("product");
  await page.getByRole("button", { name: "Edit field region" }).click();
  expect(await page.getByLabel("Managed by").inputValue()).toBe("product");
  await page.getByLabel("Managed by").selectOption("identityProvider");
  await page.getByRole("button", { name: "Save field" }).click();
  await page.getByText("Field region saved.").waitFor();
  expect(await managedBy()).toBe("identityProvider");
});

test("on a phone-sized screen the pages reflow (no horizontal scroll)", async () => {
  const { page } = browser;
  await page.setViewportSize({ width: 390, height: 800 });
  await page.goto("/admin/#/directory/users");
  await page.getByRole("link", { name: "user00@example.com" }).waitFor();
  expect(await page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
  await screenshot(page, "16-directory-mobile");
  await page.setViewportSize({ width: 1280, height: 900 });
});
