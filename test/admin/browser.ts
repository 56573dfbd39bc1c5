// Browser tests of the admin console: Debian's headless Chromium driven by playwright-core (no
// browser download), one browser per test file, a fresh profile each time.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const SCREENSHOTS = path.join(__dirname, "..", "..", "test-output", "screenshots");

const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  /** Uncaught page errors and console errors: a test asserts there are none. */
  problems: string[];
  close(): Promise<void>;
}

export async function startBrowser(baseUrl: string, viewport = { width: 1280, height: 900 }): Promise<TestBrowser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does it)`);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "roster-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport,
    baseURL: baseUrl,
    locale: "en-GB",
    timezoneId: "UTC",
    permissions: ["clipboard-read", "clipboard-write"],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(5_000);
  const problems: string[] = [];
  page.on("pageerror", (err) => problems.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    // A failed GraphQL answer the test provoked on purpose is not a console error of the app.
    if (msg.type() === "error" && !/status of 4\d\d/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  return {
    context,
    page,
    problems,
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The hooks of every console test file: after each test, no page or console error; after all of
 * them, the browser and the app closed. `get` reads the file's variables once they are set.
 */
export function consoleTestHooks(get: () => { browser?: TestBrowser; app?: { close(): Promise<void> } }): void {
  afterEach(() => expect(get().browser?.problems).toEqual([]));
  afterAll(async () => {
    await get().browser?.close();
    await get().app?.close();
  });
}

/** A console test file's app, its organisation and a browser on the app. */
export interface ConsoleTenant {
  app: TestApp;
  t: TestTenant;
  browser: TestBrowser;
}

/**
 * Starts the app and an organisation, runs `seed` (what the file's pages show, written before the
 * browser opens), then starts a browser, signed in with the organisation's admin token when
 * `signedIn`; consoleTestHooks after. `receive` gets them once started (a file keeps its own
 * variables: `useConsole((x) => ({ app, t, browser } = x), { signedIn: true })`).
 */
export function useConsole(receive: (tenant: ConsoleTenant) => void, options: { signedIn?: boolean; seed?: (tenant: Omit<ConsoleTenant, "browser">) => Promise<void> } = {}): void {
  let app: TestApp | undefined;
  let browser: TestBrowser | undefined;
  beforeAll(async () => {
    app = await startTestApp();
    const t = await app.tenant();
    await options.seed?.({ app, t });
    browser = await startBrowser(app.url);
    if (options.signedIn) await signInWithToken(browser.page, t.adminToken);
    receive({ app, t, browser });
  });
  consoleTestHooks(() => ({ browser, app }));
}

/**
 * GraphQL as another admin, behind the console's back (a change the page has not seen); fails the
 * test on an error. `get` reads the file's variables once they are set.
 */
export function adminApi(get: () => { app: TestApp; token: string }) {
  return async <T = any>(query: string, variables?: Record<string, unknown>): Promise<T> => {
    const { app, token } = get();
    const r = await app.gql<T>(token, query, variables);
    expect(r.errors).toBeUndefined();
    return r.data!;
  };
}

/** Signs in through the console's admin-token form. */
export async function signInWithToken(page: Page, token: string): Promise<void> {
  await page.goto("/admin/");
  await page.getByRole("textbox", { name: "Admin token" }).fill(token);
  await page.getByRole("button", { name: "Sign in with token" }).click();
  await page.getByRole("heading", { level: 1, name: "Provisioning" }).waitFor();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}-${(globalThis as { ROSTER_TEST_DRIVER?: string }).ROSTER_TEST_DRIVER ?? "db"}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
