import { type ScimClient, scimClient } from "./scim-client";
import { type TestApp, type TestTenant, startTestApp } from "./test-app";

/** A test file's app, its organisation and a SCIM client with that organisation's token. */
export interface ScimTenant {
  app: TestApp;
  t: TestTenant;
  scim: ScimClient;
}

/**
 * Starts the app and an organisation before the file's tests and closes the app after them; `receive`
 * gets them once started (a file keeps its own variables: `useScimTenant((x) => ({ app, t, scim: c } = x))`).
 */
export function useScimTenant(receive: (tenant: ScimTenant) => void): void {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await startTestApp();
    const t = await app.tenant();
    receive({ app, t, scim: scimClient(app.url, t.scimToken) });
  });
  afterAll(() => app?.close());
}
