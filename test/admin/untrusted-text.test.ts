// Text from the directory (and so from its IdP) shown in a real browser: bidi control characters
// cannot disguise a name, and one unbroken 250-character word wraps instead of widening the page.
import type { Locator } from "playwright-core";
import { CORE_USER, scimClient } from "../support/scim-client";
import { type TestBrowser, useConsole } from "./browser";

jest.setTimeout(30_000);

let browser: TestBrowser;
const ids: Record<string, string> = {};
const LONG_NAME = "Wolfeschlegelsteinhausenbergerdorff".repeat(8).slice(0, 250);
const LONG_LABEL = "Kostenstellenverantwortlichkeitsbereich".repeat(5).slice(0, 180);

useConsole((x) => ({ browser } = x), {
  signedIn: true,
  seed: async ({ app, t }) => {
    await app.services.customFields.define(t.ctx, { key: "costcentre", label: LONG_LABEL, type: "string" });
    const scim = scimClient(app.url, t.scimToken);
    const ext = app.config.scim.extensionUrn;
    for (const [key, body] of [
      ["spoof", { userName: "spoof@example.com", displayName: "\u202Eevil\u202C" }],
      ["long", { userName: "long@example.com", displayName: LONG_NAME, schemas: [CORE_USER, ext], [ext]: { costcentre: LONG_NAME } }],
    ] as const) {
      const r = await scim.post("/Users", { schemas: [CORE_USER], ...body });
      expect(r.status).toBe(201);
      ids[key] = r.body.id;
    }
    expect((await scim.post("/Groups", { schemas: ["urn:ietf:params:scim:schemas:core:2.0:Group"], displayName: "\u202Enimda\u202C" })).status).toBe(201);
  },
});

// The two checks below run in the page; the tests' TypeScript has no DOM types, so they reach the
// document through the element they are given.
const SHOW_TEXT = 4; // NodeFilter.SHOW_TEXT

/** Whether `word`'s letters, in the element's text, are laid out from left to right (as read). */
function readsLeftToRight(el: Locator, word: string): Promise<boolean | null> {
  return el.evaluate(
    (root, [w, show]) => {
      const doc = root.ownerDocument;
      const walker = doc.createTreeWalker(root, show);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const at = n.textContent!.indexOf(w);
        if (at < 0) continue;
        const xs = [...w].map((_, i) => {
          const r = doc.createRange();
          r.setStart(n!, at + i);
          r.setEnd(n!, at + i + 1);
          return r.getBoundingClientRect().left;
        });
        return xs.every((x, i) => i === 0 || x > xs[i - 1]);
      }
      return null;
    },
    [word, SHOW_TEXT] as const,
  );
}

/** The text in table cells, definition lists and the page heading that is not in a <bdi> of its own. */
function textOutsideBdi(): Promise<string[]> {
  return browser.page.locator("main").evaluate((main, show) => {
    const out: string[] = [];
    for (const cell of main.querySelectorAll("tbody td, tbody th, dd, dt, h1")) {
      const walker = main.ownerDocument.createTreeWalker(cell, show);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) if (n.textContent!.trim() && !n.parentElement!.closest("bdi")) out.push(n.textContent!);
    }
    return out;
  }, SHOW_TEXT);
}

test("a display name or group name with a right-to-left override shows its letters as they are, isolated", async () => {
  const { page } = browser;
  await page.getByRole("link", { name: "Directory" }).click();
  const row = page.locator("tr", { has: page.getByRole("link", { name: "spoof@example.com" }) });
  await row.waitFor();
  const cell = row.locator("td").first();
  // "\u202Eevil\u202C" was drawn as "live": the controls are shown as code points, the letters in their order.
  expect(await cell.textContent()).toBe("[U+202E]evil[U+202C]");
  expect(await readsLeftToRight(cell, "evil")).toBe(true);
  expect(await textOutsideBdi()).toEqual([]);

  await page.getByRole("link", { name: "spoof@example.com" }).click();
  await page.getByRole("heading", { level: 1, name: "[U+202E]evil[U+202C]" }).waitFor();
  expect(await textOutsideBdi()).toEqual([]);

  await page.getByRole("link", { name: "Groups", exact: true }).click();
  const group = page.getByRole("link", { name: "[U+202E]nimda[U+202C]" });
  await group.waitFor();
  expect(await readsLeftToRight(group, "nimda")).toBe(true);
  expect(await textOutsideBdi()).toEqual([]);
});

test("a 250-character unbroken name wraps in the users table; a long field label does not run over its value", async () => {
  const { page } = browser;
  await page.goto("/admin/#/directory/users");
  await page.getByRole("link", { name: "long@example.com" }).waitFor();
  const widths = await page.locator("main .table-wrap").evaluate((wrap) => ({ table: wrap.querySelector("table")!.getBoundingClientRect().width, wrap: wrap.clientWidth, scroll: wrap.scrollWidth }));
  expect(widths.table).toBeLessThanOrEqual(widths.wrap);
  expect(widths.scroll).toBeLessThanOrEqual(widths.wrap);

  await page.getByRole("link", { name: "long@example.com" }).click();
  const heading = page.getByRole("heading", { level: 1 });
  await heading.filter({ hasText: LONG_NAME.slice(0, 40) }).waitFor();
  expect(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);
  const custom = page.locator("section", { has: page.getByRole("heading", { name: "Extension fields" }) });
  const [dt, dd] = await Promise.all([custom.locator("dt").first(), custom.locator("dd").first()].map((l) => l.evaluate((el) => ({ left: el.getBoundingClientRect().left, right: el.getBoundingClientRect().right, overflows: el.scrollWidth > el.clientWidth }))));
  expect(dt.overflows).toBe(false);
  expect(dd.overflows).toBe(false);
  expect(dt.right).toBeLessThanOrEqual(dd.left);
  expect(await custom.locator("dd").first().textContent()).toBe(LONG_NAME);
});
