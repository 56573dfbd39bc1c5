// Signing in and out of the console in a real browser: a signed-in user who may not administer (from
// the start, or since losing the admin role) is told so and can sign out; signing in again returns
// to the page the session ended on, with focus on its heading; the small things around it.
import type { TestApp, TestTenant } from "../support/test-app";
import { makeSelfSignedCert } from "../sso/support/fake-saml-idp";
import { configureSaml, samlSignIn } from "../sso/support/saml-login";
import { type TestBrowser, startBrowser, useConsole } from "./browser";

jest.setTimeout(30_000);

let app: TestApp;
let t: TestTenant;
let browser: TestBrowser;
const key = makeSelfSignedCert("okta-console");

useConsole((x) => ({ app, t, browser } = x), {
  seed: async ({ app, t }) => {
    await configureSaml(app, t, key);
    await app.services.users.create(t.ctx, { userName: "viewer@example.com", displayName: "Vera Viewer" });
    await app.services.users.create(t.ctx, { userName: "boss@example.com", displayName: "Bob Boss", roles: ["admin"] });
  },
});
beforeAll(async () => {
  // Sign-ins and session ends take several round trips: under a full parallel suite 5 s was too short.
  browser.page.setDefaultTimeout(15_000);
});
afterEach(() => browser.context.clearCookies());

/** Signs `userName` in through SAML (the fake IdP) and gives the browser that session's cookie. */
async function ssoSession(userName: string): Promise<void> {
  const { response } = await samlSignIn(app, t, key, userName);
  const sid = /roster\.sid=([^;]+)/.exec(String(response.headers["set-cookie"]))![1];
  await browser.context.addCookies([{ name: "roster.sid", value: sid, url: app.url }]);
}

/** Loads the console afresh on `hash` (a new document: nothing kept from the test before but the tab's token). */
async function open(hash: string): Promise<void> {
  await browser.page.goto("about:blank");
  await browser.page.goto(`/admin/${hash}`);
}
/** Like `open`, signed in with the organisation's admin token: no test depends on where the one before ended. */
async function openAsAdmin(hash: string): Promise<void> {
  await browser.page.goto("/admin/");
  await browser.page.evaluate(`sessionStorage.setItem("roster.admin.token", ${JSON.stringify(t.adminToken)})`);
  await open(hash);
}
const heading = (name: string) => browser.page.getByRole("heading", { level: 1, name });
const focused = () => browser.page.evaluate<string>("document.activeElement.tagName + ' ' + document.activeElement.textContent");
/**
 * Focus moves once the page has rendered, which a loaded machine makes later than the element's
 * appearance. Polled from here: waitForFunction's polling evaluates a string in the page, which the
 * console's CSP refuses (a page error that failed every later test of the file).
 */
async function expectFocusOn(expected: string) {
  for (const until = Date.now() + 5000; Date.now() < until && (await focused()) !== expected; ) await new Promise((r) => setTimeout(r, 100));
  expect(await focused()).toBe(expected);
}

test("a signed-in user without the admin role is told so and signs out with a POST; the Signed out page leads back", async () => {
  const { page } = browser;
  await ssoSession("viewer@example.com");
  await open("");
  await heading("No access to the console").waitFor();
  await page.getByRole("alert").filter({ hasText: "does not have the admin role" }).waitFor();
  const logout = page.waitForRequest((r) => new URL(r.url()).pathname === "/auth/logout");
  await page.getByRole("button", { name: "Sign out" }).click();
  expect((await logout).method()).toBe("POST");
  await heading("Signed out").waitFor();
  await page.getByText("You are signed out of Roster.").waitFor();
  await page.getByRole("link", { name: "Back to the Roster console" }).click();
  await heading("Sign in to your account").waitFor();
});

test("an admin who loses the admin role mid-session gets the same message and Sign out, not an error in every section", async () => {
  const { page } = browser;
  await ssoSession("boss@example.com");
  await open("#/directory/users");
  await page.getByRole("link", { name: "viewer@example.com" }).waitFor();
  const boss = (await app.gql<any>(t.adminToken, `{ users(filter: { text: "boss@" }) { nodes { id } } }`)).data!.users.nodes[0];
  expect((await app.gql(t.adminToken, `mutation($id: ID!) { unassignRoles(userId: $id, roles: ["admin"]) { id } }`, { id: boss.id })).errors).toBeUndefined();
  await page.getByRole("link", { name: "Groups", exact: true }).click();
  await heading("No access to the console").waitFor();
  await page.getByRole("alert").filter({ hasText: "no longer has the admin role" }).waitFor();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  expect(await page.getByText(/Could not/).count()).toBe(0);
  await expectFocusOn("H1 No access to the console");
});

test("signing in with a token focuses the page's heading and returns to the page the session ended on", async () => {
  const { page } = browser;
  const signIn = async (token: string) => {
    await page.getByRole("textbox", { name: "Admin token" }).fill(token);
    await page.getByRole("button", { name: "Sign in with token" }).click();
  };
  // A link followed before signing in is where signing in leads.
  await open("#/directory/groups");
  await heading("Sign in to your account").waitFor();
  const short = await app.services.tokens.create(t.ctx, { name: "short-lived", scope: "admin" });
  await signIn(short.secret);
  await page.getByRole("searchbox", { name: "Search groups" }).waitFor();
  expect(page.url()).toMatch(/#\/directory\/groups$/);
  await expectFocusOn("H1 Directory");

  // The token is revoked while the page is open: the next query ends the session; signing in again comes back here.
  expect((await app.gql(t.adminToken, `mutation($id: ID!) { revokeAccessToken(id: $id) { id } }`, { id: short.token.id })).errors).toBeUndefined();
  await page.getByRole("searchbox", { name: "Search groups" }).fill("engineers");
  await heading("Sign in to your account").waitFor();
  await page.getByRole("alert").filter({ hasText: "Your session ended. Sign in again." }).waitFor();
  // Single sign-on would come back to that page too (a 204 keeps the browser here).
  await page.getByRole("textbox", { name: "Organisation" }).fill(t.organisation.slug);
  await page.route("**/auth/saml/**", (route) => route.fulfill({ status: 204 }));
  const sso = page.waitForRequest((r) => r.url().includes("/auth/saml/"));
  await page.getByRole("button", { name: "Sign in with SAML (Okta)" }).click();
  expect(new URL((await sso).url()).searchParams.get("RelayState")).toBe("/admin/#/directory/groups");
  await page.unroute("**/auth/saml/**");
  await signIn(t.adminToken);
  await page.getByRole("searchbox", { name: "Search groups" }).waitFor();
  expect(page.url()).toMatch(/#\/directory\/groups$/);
  await expectFocusOn("H1 Directory");
});

test("an empty list says so; the search box stops at the API's 255 characters", async () => {
  const { page } = browser;
  await openAsAdmin("#/directory/groups");
  await page.getByText("No group yet: pushed groups appear here.").waitFor();
  await page.getByRole("navigation", { name: "Pages of groups" }).getByText("No groups", { exact: true }).waitFor();
  await page.getByRole("link", { name: "Users", exact: true }).click();
  const search = page.getByRole("searchbox", { name: "Search users" });
  await search.fill("nobody-by-this-name");
  await page.getByRole("navigation", { name: "Pages of users" }).getByText("No users", { exact: true }).waitFor();
  expect(await search.getAttribute("maxlength")).toBe("255");
  await search.fill("");
  await search.pressSequentially("x".repeat(300), { delay: 0 });
  expect((await search.inputValue()).length).toBe(255);
  await page.getByText("No user matches.").waitFor();
  expect(await page.getByRole("alert").count()).toBe(0);
});

test("the OAuth section shows why it could not load, as the other sections do", async () => {
  const { page } = browser;
  // The OAuth query fails: its section says so.
  await page.route("**/graphql", async (route) => {
    if (/oauthClients/.test(route.request().postData() ?? "")) await route.fulfill({ json: { errors: [{ message: "The directory's storage is unavailable; retry later", extensions: { code: "SERVICE_UNAVAILABLE" } }] } });
    else await route.continue();
  });
  try {
    await openAsAdmin("#/provisioning");
    await heading("Provisioning").waitFor();
    await page.getByRole("alert").filter({ hasText: /Could not load the OAuth clients: .*storage is unavailable.*SERVICE_UNAVAILABLE/s }).waitFor();
    await page.getByRole("heading", { name: "OAuth clients (client credentials)" }).waitFor();
  } finally {
    await page.unroute("**/graphql");
  }
});

test("loading the console logs no 404 for /favicon.ico", async () => {
  // A browser of its own: a browser asks a site for its icon once, and remembers a 404.
  const fresh = await startBrowser(app.url);
  fresh.page.setDefaultTimeout(15_000);
  try {
    // The browser asks for the icon itself (not a request of the page's): its 404 shows only in the console.
    const favicon: string[] = [];
    fresh.page.on("console", (m) => void (new URL(m.location().url || "about:blank").pathname === "/favicon.ico" && favicon.push(m.text())));
    await fresh.page.goto("/admin/");
    await fresh.page.getByRole("heading", { level: 1, name: "Sign in to your account" }).waitFor();
    await fresh.page.evaluate("new Promise((resolve) => setTimeout(resolve, 1000))"); // the icon is asked for after the load
    expect(favicon).toEqual([]);
    expect(fresh.problems).toEqual([]);
  } finally {
    await fresh.close();
  }
});
