// The console's form for the organisation's name and slug (Account → Provisioning): it shows them,
// says what a slug change affects before saving, sends the version it read, shows the server's
// refusals as they are (code and field), and after a rename every URL the console shows carries the
// new slug without reloading the page.
import type { Page } from "playwright-core";
import type { TestApp, TestTenant } from "../support/test-app";
import { type TestBrowser, adminApi, screenshot, useConsole } from "./browser";

jest.setTimeout(30_000);

let app: TestApp;
let t: TestTenant;
let browser: TestBrowser;

useConsole((x) => ({ app, t, browser } = x), { signedIn: true });

const api = adminApi(() => ({ app, token: t.adminToken }));
const organisation = async () => (await api(`{ organisation { name slug scimEnabled rolesManagedBy version } }`)).organisation;

const form = (page: Page) => page.getByRole("form", { name: "Organisation name and slug" });
const nameInput = (page: Page) => form(page).getByLabel("Organisation name");
const slugInput = (page: Page) => form(page).getByLabel("Slug");
const saveButton = (page: Page) => form(page).getByRole("button", { name: "Save organisation" });
const focusedId = (page: Page) => page.evaluate("document.activeElement.id");

/** The page afresh, at the organisation's form, showing the organisation as it is now. */
async function openForm(page: Page): Promise<void> {
  await page.goto("/admin/#/provisioning");
  await page.reload(); // the console keeps the organisation it read at sign-in: start from what is stored
  await form(page).waitFor();
}

test("shows the name and slug; a slug change first says what it changes; saving renames both, and every URL shown follows", async () => {
  const { page } = browser;
  const before = await organisation();
  const oldSlug = before.slug;
  const newSlug = `renamed-${process.pid}`;
  await openForm(page);
  await page.evaluate(`localStorage.setItem("roster.admin.org", ${JSON.stringify(oldSlug)})`); // as the sign-in page keeps it
  expect(await nameInput(page).inputValue()).toBe("Test organisation");
  expect(await slugInput(page).inputValue()).toBe(oldSlug);
  expect(await page.locator("#organisation-slug-warning").textContent()).toBe("");

  // A name alone changes no URL: no warning.
  await nameInput(page).fill("Acme Renamed");
  expect(await page.locator("#organisation-slug-warning").textContent()).toBe("");
  // The slug: the warning lists the URLs that contain it, as the server gives them, and says they keep working.
  await slugInput(page).fill(newSlug);
  const warning = page.locator("#organisation-slug-warning");
  await warning.getByText("Changing the slug changes the sign-in URLs.").waitFor();
  const text = (await warning.textContent())!;
  for (const url of [`/auth/saml/${oldSlug}/acs`, `/auth/saml/${oldSlug}/metadata`, `/auth/saml/${oldSlug}/login`, `/auth/oidc/${oldSlug}/callback`, `/auth/oidc/${oldSlug}/login`]) expect(text).toContain(`${app.url}${url}`);
  expect(text).toContain(`These contain “${oldSlug}”; once saved, they contain “${newSlug}” instead`);
  expect(text).toContain(`The URLs with “${oldSlug}” keep working`);
  expect(text).toContain(`“${oldSlug}” stays reserved to this organisation`);
  expect(text).toContain("Not affected: the SCIM base URL and tokens");
  // The slug field is described by it (read with the field), and it is announced when it appears.
  expect(await slugInput(page).getAttribute("aria-describedby")).toContain("organisation-slug-warning");
  await page.locator("#announcer").getByText(/Changing the slug changes the organisation's sign-in URLs/).waitFor();
  await screenshot(page, "40-organisation-slug-warning");
  // Nothing is written before Save.
  expect(await organisation()).toEqual(before);

  await saveButton(page).click();
  const status = page.locator("#organisation-status");
  await status.getByText(`Organisation saved (version ${before.version + 1}).`).waitFor();
  expect(await status.textContent()).toContain(`Its sign-in URLs now contain “${newSlug}”; those with “${oldSlug}” keep working.`);
  expect(await focusedId(page)).toBe("organisation-status"); // the outcome takes focus
  expect(await organisation()).toEqual({ ...before, name: "Acme Renamed", slug: newSlug, version: before.version + 1 });
  expect((await api(`{ serviceProvider { formerSlugs { slug } } }`)).serviceProvider.formerSlugs.map((f: any) => f.slug)).toContain(oldSlug);
  // The form holds what was saved; the warning is gone; the top bar and the page's lead show the new name.
  expect(await slugInput(page).inputValue()).toBe(newSlug);
  expect(await warning.textContent()).toBe("");
  expect(await page.locator("#org-name").textContent()).toBe("· Acme Renamed");
  // The console's sign-in page offers the new slug where it offered the old one (which still signs in).
  expect(await page.evaluate(`localStorage.getItem("roster.admin.org")`)).toBe(newSlug);
  await page.locator(".lead").getByText("SCIM 2.0 provisioning of Acme Renamed").waitFor();
  await screenshot(page, "41-organisation-saved");

  // The URLs a next change would affect are the new slug's, read again without reloading the page.
  await slugInput(page).fill(`${newSlug}-x`);
  await warning.getByText(`${app.url}/auth/saml/${newSlug}/acs`).waitFor();
  expect(await warning.textContent()).not.toContain(`/auth/saml/${oldSlug}/`);
  await slugInput(page).fill(newSlug);
  expect(await warning.textContent()).toBe("");

  // The organisation's other settings share its version: they save after the rename without a conflict.
  await page.getByLabel("Roles managed by").selectOption("product");
  await page.getByText("Roles are managed in this product.").waitFor();
  // And the form saves again after them (it holds the version they left).
  await nameInput(page).fill("Acme");
  await saveButton(page).click();
  await page.locator("#organisation-status").getByText(`Organisation saved (version ${before.version + 3}).`).waitFor();
  expect(await organisation()).toEqual({ ...before, name: "Acme", slug: newSlug, rolesManagedBy: "product", version: before.version + 3 });
  expect(await page.locator("#org-name").textContent()).toBe("· Acme");

  // The Authentication page (reached from the console, no reload) shows the new slug's values to
  // enter, and the old slug's as still accepted.
  await page.getByRole("navigation", { name: "Account" }).getByRole("link", { name: "Authentication" }).click();
  await page.getByRole("heading", { level: 1, name: "Authentication" }).waitFor();
  expect(await page.locator("#sp-acs-url").inputValue()).toBe(`${app.url}/auth/saml/${newSlug}/acs`);
  expect(await page.locator("#sp-entity-id").inputValue()).toBe(`${app.url}/auth/saml/${newSlug}/metadata`);
  expect(await page.locator("#sp-metadata-url").inputValue()).toBe(`${app.url}/auth/saml/${newSlug}/metadata`);
  expect(await page.locator("#sp-oidc-redirect").inputValue()).toBe(`${app.url}/auth/oidc/${newSlug}/callback`);
  await page.locator("#sp-former-slugs").getByRole("cell", { name: oldSlug, exact: true }).waitFor();
  expect(await page.locator("#sp-former-slugs").textContent()).toContain(`${app.url}/auth/saml/${oldSlug}/acs`);
  // What the page says is true: the old slug's metadata URL still answers for the organisation.
  const old = await fetch(`${app.url}/auth/saml/${oldSlug}/metadata`);
  expect(old.status).toBe(200);
  expect(await old.text()).toContain(`${app.url}/auth/saml/${oldSlug}/acs`);
});

test("a save from a form read before someone else's change is refused and keeps what was typed; after reload it saves", async () => {
  const { page } = browser;
  await openForm(page);
  const before = await organisation();
  // Another admin renames the organisation, and changes its slug, while the form is open.
  const elsewhere = `elsewhere-${process.pid}`;
  await api(`mutation($s: String!) { updateOrganisation(input: { name: "Renamed elsewhere", slug: $s }) { version } }`, { s: elsewhere });

  const slug = `stale-${process.pid}`;
  await nameInput(page).fill("Mine");
  await slugInput(page).fill(slug);
  await saveButton(page).click();
  const alert = page.getByRole("alert").filter({ hasText: new RegExp(`Not saved: This organisation was changed by someone else since you opened it \\(now version ${before.version + 1}\\)\\. Reload to see the change.*CONFLICT`, "s") });
  await alert.waitFor();
  expect(await page.locator('#organisation-status[role="status"][aria-live="polite"] [role="alert"]').count()).toBe(1);
  expect(await focusedId(page)).toBe("organisation-status");
  await screenshot(page, "42-organisation-stale");
  // Nothing written over the other admin's change; what was typed is still there, warning included.
  expect(await organisation()).toEqual({ ...before, name: "Renamed elsewhere", slug: elsewhere, version: before.version + 1 });
  expect(await nameInput(page).inputValue()).toBe("Mine");
  expect(await slugInput(page).inputValue()).toBe(slug);
  expect(await page.locator("#organisation-slug-warning").textContent()).toContain("Changing the slug changes the sign-in URLs.");
  expect(await saveButton(page).isEnabled()).toBe(true);

  await form(page).locator("..").getByRole("button", { name: "Reload the organisation" }).click();
  await page.getByText(`Organisation reloaded (version ${before.version + 1}).`).waitFor();
  expect(await focusedId(page)).toBe("organisation-name");
  expect(await nameInput(page).inputValue()).toBe("Renamed elsewhere");
  expect(await slugInput(page).inputValue()).toBe(elsewhere);
  expect(await page.locator("#organisation-slug-warning").textContent()).toBe("");
  expect(await page.getByRole("alert").count()).toBe(0);
  expect(await page.locator("#org-name").textContent()).toBe("· Renamed elsewhere");

  // The warning now lists the URLs of the slug the other admin chose.
  await slugInput(page).fill(slug);
  const warning = page.locator("#organisation-slug-warning");
  await warning.getByText(`${app.url}/auth/saml/${elsewhere}/acs`).waitFor();
  expect(await warning.textContent()).toContain(`These contain “${elsewhere}”`);
  await saveButton(page).click();
  await page.locator("#organisation-status").getByText(`Organisation saved (version ${before.version + 2}).`).waitFor();
  expect(await organisation()).toEqual({ ...before, name: "Renamed elsewhere", slug, version: before.version + 2 });
});

test("the server's refusals are shown with their code and field, the field marked, what was typed kept", async () => {
  const { page } = browser;
  const other = await app.tenant();
  // Another organisation's slug, and one another organisation gave up (reserved to it).
  const given = `given-up-${process.pid}`;
  const otherOld = other.organisation.slug;
  const renamed = await app.gql<any>(other.adminToken, `mutation($s: String!) { updateOrganisation(input: { slug: $s }) { slug } }`, { s: given });
  expect(renamed.errors).toBeUndefined();
  await openForm(page);
  const before = await organisation();
  const status = page.locator("#organisation-status");
  const refusal = (doing: RegExp) => status.getByRole("alert").filter({ hasText: doing });

  await slugInput(page).fill(given);
  await saveButton(page).click();
  await refusal(new RegExp(`Could not save the organisation: an organisation with slug "${given}" already exists.*CONFLICT.*\\(field: slug\\)`, "s")).waitFor();
  expect(await focusedId(page)).toBe("organisation-status");
  expect(await slugInput(page).getAttribute("aria-invalid")).toBe("true");
  expect(await slugInput(page).getAttribute("aria-errormessage")).toBe("organisation-status");
  expect(await nameInput(page).getAttribute("aria-invalid")).toBeNull();
  expect(await slugInput(page).inputValue()).toBe(given);
  await screenshot(page, "43-organisation-slug-taken");

  await slugInput(page).fill(otherOld);
  await saveButton(page).click();
  await refusal(new RegExp(`Could not save the organisation: the slug "${otherOld}" belonged to another organisation and stays reserved to it.*CONFLICT.*\\(field: slug\\)`, "s")).waitFor();

  // The server's own rules, not repeated by the form: its BAD_USER_INPUT and field as they are.
  await slugInput(page).fill("Not a slug!");
  await saveButton(page).click();
  await refusal(/Could not save the organisation: slug must be 1-63 lower-case letters, digits or hyphens.*BAD_USER_INPUT.*\(field: slug\)/s).waitFor();
  expect(await slugInput(page).getAttribute("aria-invalid")).toBe("true");

  await slugInput(page).fill(before.slug);
  await nameInput(page).fill("   ");
  await saveButton(page).click();
  await refusal(/Could not save the organisation: .*BAD_USER_INPUT.*\(field: name\)/s).waitFor();
  expect(await nameInput(page).getAttribute("aria-invalid")).toBe("true");
  expect(await slugInput(page).getAttribute("aria-invalid")).toBeNull();

  // Both wrong at once: one answer names both, each on its own line, and both fields are marked.
  await nameInput(page).fill("");
  await slugInput(page).fill("Not a slug!");
  await saveButton(page).click();
  await refusal(/Could not save the organisation: 2 fields are invalid.*BAD_USER_INPUT/s).waitFor();
  const lines = await status.locator(".alert-fields li").allTextContents();
  expect(lines).toEqual(["name: name must be 1-255 characters", "slug: slug must be 1-63 lower-case letters, digits or hyphens, not starting or ending with a hyphen"]);
  expect(await nameInput(page).getAttribute("aria-invalid")).toBe("true");
  expect(await slugInput(page).getAttribute("aria-invalid")).toBe("true");
  await screenshot(page, "44-organisation-two-fields-invalid");
  await slugInput(page).fill(before.slug);

  // Nothing was written; a valid save clears the marks.
  expect(await organisation()).toEqual(before);
  await nameInput(page).fill("Valid again");
  await saveButton(page).click();
  await status.getByText(`Organisation saved (version ${before.version + 1}).`).waitFor();
  expect(await nameInput(page).getAttribute("aria-invalid")).toBeNull();
  expect(await organisation()).toEqual({ ...before, name: "Valid again", version: before.version + 1 });
});
