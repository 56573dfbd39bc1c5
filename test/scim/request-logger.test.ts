import { createLogger } from "../../src/platform/logger";
import { expectScimError, patchOp, scimClient } from "../support/scim-client";
import { type TestApp, startTestApp } from "../support/test-app";

// Each request's child logger (pino: bindings and redaction, ~2 KB) is made only when something of
// the request is logged; at LOG_LEVEL=warn most SCIM requests never log.
let app: TestApp;
const logger = createLogger("warn", { write: () => undefined });
const child = jest.spyOn(logger, "child");

beforeAll(async () => {
  app = await startTestApp({ LOG_LEVEL: "warn", SCIM_RATE_LIMIT_PER_TOKEN: "6" }, { logger });
});
afterAll(() => app?.close());

test("SCIM requests that log nothing make no child logger; one that logs makes one", async () => {
  const t = await app.tenant();
  const c = scimClient(app.url, t.scimToken);
  child.mockClear();
  const user = await c.post("/Users", { userName: "quiet@x.test" });
  expect(user.status).toBe(201);
  expect((await c.get(`/Users?filter=${encodeURIComponent('userName eq "quiet@x.test"')}`)).body.totalResults).toBe(1);
  expect((await c.patch(`/Users/${user.body.id}`, patchOp({ op: "replace", value: { active: false } }))).status).toBe(200);
  expect((await c.get(`/Users/${user.body.id}`)).headers.get("x-request-id")).toBeTruthy();
  expect((await c.get("/Users/no-such-user")).status).toBe(404);
  expect(child).not.toHaveBeenCalled();
  // Past the token's limit (6 per window) a refusal is logged as a warning, with its request id.
  let refused = await c.get("/ServiceProviderConfig");
  for (let i = 0; refused.status !== 429 && i < 5; i++) refused = await c.get("/ServiceProviderConfig");
  expect(refused.status).toBe(429);
  expect(child).toHaveBeenCalledTimes(1);
  expect(child).toHaveBeenCalledWith({ requestId: refused.headers.get("x-request-id") });
});

describe("an unexpected error in a SCIM request", () => {
  const lines: string[] = [];
  let logged: TestApp;
  beforeAll(async () => {
    logged = await startTestApp({ LOG_LEVEL: "info" }, { logDestination: { write: (line: string) => void lines.push(line) } });
  });
  afterAll(() => logged?.close());

  /** An error the logger cannot write: one of its properties throws when read (pino's serializer reads them all). */
  const unloggable = () =>
    Object.defineProperty(new Error("a failure nobody expected"), "context", {
      enumerable: true,
      get() {
        throw new Error("this error's context cannot be read");
      },
    });
  test.each([
    ["an Error", () => new Error("a failure nobody expected"), "unexpected error in SCIM request", "a failure nobody expected"],
    // Logging it throws: the handler's own error path fails, and what escapes it is logged instead.
    ["an error that cannot be logged", unloggable, "unhandled error in a SCIM request", "this error's context cannot be read"],
  ])("%s: a SCIM 500 naming the request id, logged once with the id the response carries in X-Request-Id", async (_name, thrown, msg, message) => {
    const t = await logged.tenant();
    const users = logged.services.users as unknown as Record<string, unknown>;
    const saved = { ...users };
    for (const name of ["search", "searchWithDetails", "list", "listWithDetails"]) {
      users[name] = () => {
        throw thrown();
      };
    }
    lines.length = 0;
    let r;
    try {
      r = await scimClient(logged.url, t.scimToken).get("/Users");
    } finally {
      Object.assign(users, saved);
    }
    expectScimError(r, 500);
    const requestId = r.headers.get("x-request-id");
    expect(requestId).toBeTruthy();
    expect(r.body.detail).toBe(`Internal error (request id ${requestId})`);
    const errors = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => (l.level as number) >= 50);
    expect(errors).toEqual([expect.objectContaining({ requestId, msg, err: expect.objectContaining({ message }) })]);
  });
});
