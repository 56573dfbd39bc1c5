// The console's edit forms send the version they loaded as expectedVersion: a role, a custom field or
// the organisation's settings changed by someone else since the form was opened is not overwritten;
// the admin is told, keeps what they entered, and can reload. A form that saved holds the new version.
import type { Page } from "playwright-core";
import type { TestApp, TestTenant } from "../support/test-app";
import { type TestBrowser, adminApi, screenshot, useConsole } from "./browser";

jest.setTimeout(30_000);

let app: TestApp;
let t: TestTenant;
let browser: TestBrowser;

useConsole((x) => ({ app, t, browser } = x), { signedIn: true });

const api = adminApi(() => ({ app, token: t.adminToken }));

/** The conflict message, in the page's error style (an alert), with its code. */
function staleAlert(page: Page, what: string, version: number) {
  return page.getByRole("alert").filter({ hasText: new RegExp(`Not saved: This ${what} was changed by someone else since you opened it \\(now version ${version}\\)\\. Reload to see the change.*CONFLICT`, "s") });
}

test("role: a save from a form opened before someone else's change is refused, kept, and saves after reload; the form saves twice", async () => {
  const { page } = browser;
  const created = await api(`mutation { createRole(input: { name: "Editor", permissions: ["articles:read"] }) { id version } }`);
  const id = created.createRole.id;
  expect(created.createRole.version).toBe(1);
  const role = async () => (await api(`{ roles { id name description permissions version } }`)).roles.find((r: any) => r.id === id);

  await page.goto("/admin/#/directory/roles");
  await page.getByRole("button", { name: "Edit role Editor" }).click();
  const form = page.getByRole("form", { name: "Edit role Editor" });
  await form.getByLabel("Description").fill("Writes the news");

  // The other admin adds a permission while this form is open.
  await api(`mutation($id: ID!) { updateRole(id: $id, input: { permissions: ["articles:read", "articles:write"] }) { version } }`, { id });

  await form.getByRole("button", { name: "Save role" }).click();
  await staleAlert(page, "role", 2).waitFor();
  await screenshot(page, "30-stale-role");
  // Nothing overwritten: the other admin's permission stays, the description is not written.
  expect(await role()).toEqual({ id, name: "Editor", description: null, permissions: ["articles:read", "articles:write"], version: 2 });
  // What the admin entered is still there; the save button is usable again.
  expect(await form.getByLabel("Description").inputValue()).toBe("Writes the news");
  expect(await form.getByLabel("Permissions").inputValue()).toBe("articles:read");
  expect(await form.getByRole("button", { name: "Save role" }).isEnabled()).toBe(true);
  // The message is announced: in the status line's live region.
  expect(await page.locator('[role="status"][aria-live="polite"] [role="alert"]').count()).toBe(1);

  await page.getByRole("button", { name: "Reload the role" }).click();
  await page.getByText("Role Editor reloaded (version 2).").waitFor();
  expect(await page.evaluate("document.activeElement.id")).toBe("role-name"); // focus lands in the reloaded form
  expect(await form.getByLabel("Permissions").inputValue()).toBe("articles:read, articles:write");
  expect(await page.getByRole("alert").count()).toBe(0);

  await form.getByLabel("Description").fill("Writes the news");
  await form.getByRole("button", { name: "Save role" }).click();
  await page.getByText("Role Editor saved.").waitFor();
  expect(await role()).toEqual({ id, name: "Editor", description: "Writes the news", permissions: ["articles:read", "articles:write"], version: 3 });

  // A second save from the same form expects the version the first one left.
  await form.getByLabel("Name").fill("Editors");
  await form.getByRole("button", { name: "Save role" }).click();
  await page.getByText("Role Editors saved.").waitFor();
  expect(await role()).toEqual({ id, name: "Editors", description: "Writes the news", permissions: ["articles:read", "articles:write"], version: 4 });
  await page.getByRole("form", { name: "Edit role Editors" }).waitFor();
  expect(await page.getByRole("alert").count()).toBe(0);
});

test("custom field: a stale save is refused and kept; after reload it saves, twice", async () => {
  const { page } = browser;
  await api(`mutation { defineCustomField(input: { key: "team", label: "Team", type: "string" }) { version } }`);
  const def = async () => (await api(`{ customFieldDefinitions { key label version } }`)).customFieldDefinitions.find((d: any) => d.key === "team");

  await page.goto("/admin/#/directory/fields");
  await page.getByRole("button", { name: "Edit field team" }).click();
  const form = page.getByRole("form", { name: "Edit field team" });
  await form.getByLabel("Label").fill("Squad");
  await api(`mutation { updateCustomField(key: "team", input: { label: "Department team" }) { version } }`);

  await form.getByRole("button", { name: "Save field" }).click();
  await staleAlert(page, "custom field", 2).waitFor();
  expect(await def()).toEqual({ key: "team", label: "Department team", version: 2 });
  expect(await form.getByLabel("Label").inputValue()).toBe("Squad");

  await page.getByRole("button", { name: "Reload the custom field" }).click();
  await page.getByText("Field team reloaded (version 2).").waitFor();
  expect(await form.getByLabel("Label").inputValue()).toBe("Department team");
  await form.getByLabel("Label").fill("Squad");
  await form.getByRole("button", { name: "Save field" }).click();
  await page.getByText("Field team saved.").waitFor();
  expect(await def()).toEqual({ key: "team", label: "Squad", version: 3 });
  await form.getByLabel("Multi-valued").check();
  await form.getByRole("button", { name: "Save field" }).click();
  await page.locator("tr", { hasText: "team" }).filter({ hasText: "yes" }).waitFor();
  expect(await def()).toEqual({ key: "team", label: "Squad", version: 4 });
  expect(await page.getByRole("alert").count()).toBe(0);
});

test("organisation settings: a stale change of who manages roles is refused; after reload the select and the SCIM switch save one after the other", async () => {
  const { page } = browser;
  const org = async () => (await api(`{ organisation { name scimEnabled rolesManagedBy version } }`)).organisation;
  const before = await org();
  await page.goto("/admin/#/provisioning");
  const select = page.getByLabel("Roles managed by");
  expect(await select.inputValue()).toBe("identityProvider");
  // The other admin renames the organisation while the page is open.
  await api(`mutation { updateOrganisation(input: { name: "Renamed elsewhere" }) { version } }`);

  await select.selectOption("product");
  await staleAlert(page, "organisation", before.version + 1).waitFor();
  expect(await org()).toEqual({ name: "Renamed elsewhere", scimEnabled: true, rolesManagedBy: "identityProvider", version: before.version + 1 });
  expect(await select.inputValue()).toBe("product"); // the admin's choice, not saved

  await page.getByRole("button", { name: "Reload the organisation" }).click();
  await page.getByText(`Settings reloaded (version ${before.version + 1}).`).waitFor();
  expect(await page.evaluate("document.activeElement.id")).toBe("roles-managed-by"); // back on the control that was changed
  expect(await select.inputValue()).toBe("identityProvider");
  await select.selectOption("product");
  await page.getByText("Roles are managed in this product.").waitFor();
  const sw = page.getByRole("switch", { name: "SCIM provisioning enabled" });
  await sw.uncheck();
  await page.getByText("SCIM provisioning is disabled.").waitFor();
  await sw.check();
  await page.getByText("SCIM provisioning is enabled.").waitFor();
  expect(await org()).toEqual({ name: "Renamed elsewhere", scimEnabled: true, rolesManagedBy: "product", version: before.version + 4 });
  expect(await page.getByRole("alert").count()).toBe(0);
});
