import { createLogger } from "../../src/platform/logger";
import { patchOp, scimClient } from "../support/scim-client";
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
