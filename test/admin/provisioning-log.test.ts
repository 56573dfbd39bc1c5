// The provisioning log's page in a real browser, on a log of large /Bulk requests: the list reads
// only what its rows show; an entry's body and changes are read when its details are opened.
import type { Request } from "playwright-core";
import { CORE_USER, ENTERPRISE, scimClient } from "../support/scim-client";
import { type TestBrowser, useConsole } from "./browser";

jest.setTimeout(60_000);

let browser: TestBrowser;
const BULKS = 20;
const USERS_A_BULK = 30;

useConsole((x) => ({ browser } = x), {
  signedIn: true,
  seed: async ({ app, t }) => {
    const scim = scimClient(app.url, t.scimToken);
    // 20 /Bulk requests of 30 user creations each, with the attributes an Entra or Okta user carries.
    for (let b = 0; b < BULKS; b++) {
      const Operations = Array.from({ length: USERS_A_BULK }, (_, i) => {
        const n = `${b}-${i}`;
        return {
          method: "POST",
          path: "/Users",
          bulkId: `u${n}`,
          data: {
            schemas: [CORE_USER, ENTERPRISE],
            userName: `bulk${n}@example.com`,
            externalId: `ext-${n}-0f8fad5b-d9cb-469f-a165-70867728950e`,
            name: { givenName: `Given${n}`, familyName: `Family${n}`, formatted: `Given${n} Family${n}` },
            displayName: `Person ${n}`,
            title: "Senior Engineer",
            emails: [{ value: `bulk${n}@example.com`, type: "work", primary: true }],
            phoneNumbers: [{ value: "+44 20 7946 0000", type: "work" }],
            addresses: [{ streetAddress: "1 Long Street", locality: "London", postalCode: "EC1A 1BB", country: "GB", type: "work" }],
            active: true,
            [ENTERPRISE]: { department: "Engineering", employeeNumber: `E${n}`, costCenter: "CC-42", organization: "Example Ltd" },
          },
        };
      });
      const r = await scim.post("/Bulk", { schemas: ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], Operations });
      expect(r.status).toBe(200);
    }
    await app.services.provisioningLog.flush();
  },
});
beforeAll(async () => {
  await activity().getByText(`1–20 of ${BULKS} requests`).waitFor();
});

/** The GraphQL answers the page receives while `action` runs, with their transfer sizes (headers and body) in bytes. */
async function graphqlAnswers(action: () => Promise<void>): Promise<{ query: string; bytes: number }[]> {
  const answers: Promise<{ query: string; bytes: number } | null>[] = [];
  const onFinished = (req: Request) => {
    if (new URL(req.url()).pathname !== "/graphql") return;
    const query = String(JSON.parse(req.postData() ?? "{}").query);
    // A request of the document being navigated away from has no sizes left to read: not this page's.
    answers.push(req.sizes().then((s) => ({ query, bytes: s.responseHeadersSize + s.responseBodySize }), () => null));
  };
  browser.page.on("requestfinished", onFinished);
  try {
    await action();
  } finally {
    browser.page.off("requestfinished", onFinished);
  }
  return (await Promise.all(answers)).filter((a) => a !== null);
}

const activity = () => browser.page.locator("section", { has: browser.page.getByRole("heading", { name: "Recent provisioning activity" }) });

test("a page of 20 large /Bulk entries reads no request body or changes; opening an entry reads its own", async () => {
  const { page } = browser;
  const started = Date.now();
  const onLoad = await graphqlAnswers(async () => {
    await page.reload();
    await activity().getByText(`1–20 of ${BULKS} requests`).waitFor();
  });
  const log = onLoad.filter((a) => a.query.includes("provisioningLog("));
  expect(log).toHaveLength(1);
  const pageBytes = onLoad.reduce((sum, a) => sum + a.bytes, 0);
  if (process.env.SHOW_SIZES) console.log(`provisioning page: ${onLoad.length} GraphQL answers, ${pageBytes} bytes (the log's ${log[0].bytes}), shown in ${Date.now() - started} ms`);
  // Each entry's body alone is about 25 KB; a row needs a few hundred bytes.
  expect(log[0].bytes).toBeLessThan(BULKS * 2_000);

  // "Update live" reloads the list the same way.
  const reload = await graphqlAnswers(async () => {
    await page.getByRole("button", { name: "Refresh" }).click();
    await activity().locator(".table-wrap:not([aria-busy])").waitFor();
  });
  expect(reload.map((a) => a.bytes).reduce((x, y) => x + y, 0)).toBeLessThan(BULKS * 2_000);

  // Details: the entry's body and the changes it made, read by its id.
  const rows = activity().locator("tbody tr:not(.detail-row)");
  expect(await rows.count()).toBe(BULKS);
  const details = await graphqlAnswers(async () => {
    await activity().getByRole("button", { name: "Details of POST /scim/v2/Bulk" }).first().click();
    await activity().locator(".detail-row:not([hidden])").getByText("Request body").waitFor();
  });
  expect(details).toHaveLength(1);
  expect(details[0].query).toMatch(/provisioningLogEntry\(id: \$id\)/);
  const open = activity().locator(".detail-row:not([hidden])");
  expect(await open.locator("li").count()).toBe(USERS_A_BULK); // one user.created per operation
  await open.getByText("Request body").click();
  await expect(open.locator("pre").last().textContent()).resolves.toContain(`bulk${BULKS - 1}-0@example.com`);

  // A reload keeps the opened entry open, without reading it again.
  const again = await graphqlAnswers(async () => {
    await page.getByRole("button", { name: "Refresh" }).click();
    await activity().locator(".table-wrap:not([aria-busy])").waitFor();
  });
  expect(again.filter((a) => a.query.includes("provisioningLogEntry"))).toEqual([]);
  await expect(activity().locator(".detail-row:not([hidden])").locator("li").count()).resolves.toBe(USERS_A_BULK);
  expect(await activity().getByRole("button", { name: "Details of POST /scim/v2/Bulk" }).first().getAttribute("aria-expanded")).toBe("true");
});
