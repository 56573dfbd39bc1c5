// Signing out of the console in a real browser: its POST form works; another site's form (here a
// sibling on the same site, which SameSite=Lax sends the cookie to) and an <img> sign nobody out.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";
import { makeSelfSignedCert } from "../sso/support/fake-saml-idp";
import { configureSaml, samlSignIn } from "../sso/support/saml-login";
import { type TestBrowser, startBrowser } from "./browser";

jest.setTimeout(30_000);

let app: TestApp;
let t: TestTenant;
let browser: TestBrowser;
let other: http.Server;
let otherUrl: string;

beforeAll(async () => {
  app = await startTestApp();
  t = await app.tenant();
  const key = makeSelfSignedCert("okta");
  await configureSaml(app, t, key);
  const user = await app.services.users.create(t.ctx, { userName: "console-admin@acme.test", roles: ["admin"] });
  const { response } = await samlSignIn(app, t, key, user.userName);
  const sid = /roster\.sid=([^;]+)/.exec(String(response.headers["set-cookie"]))![1];
  // Another origin on the same host: a page with a sign-out form and an image pointing at Roster.
  other = http.createServer((_req, res) => {
    res.setHeader("content-type", "text/html");
    res.end(`<!doctype html><img src="${app.url}/auth/logout"><form method="post" action="${app.url}/auth/logout"><button>Claim your prize</button></form>`);
  });
  await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
  otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/`;
  browser = await startBrowser(app.url);
  await browser.context.addCookies([{ name: "roster.sid", value: sid, url: app.url }]);
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((r) => (other ? other.close(() => r()) : r()));
  await app?.close();
});

const signedIn = async () => (await browser.context.request.get(`${app.url}/auth/me`)).status() === 200;

test("another site's form and image leave the session alone; the console's Sign out button ends it", async () => {
  const { page } = browser;
  await page.goto(otherUrl);
  await page.getByRole("button", { name: "Claim your prize" }).click();
  await page.getByRole("heading", { name: "Sign-out refused" }).waitFor();
  expect(await signedIn()).toBe(true);

  await page.goto("/admin/");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Signed out" }).waitFor();
  expect(await signedIn()).toBe(false);
});
