import { type ScimClient, scimClient } from "./scim-client";
import type { TestApp, TestTenant } from "./test-app";
import { useTenant } from "./test-tenant";

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
  useTenant(({ app, t }) => receive({ app, t, scim: scimClient(app.url, t.scimToken) }));
}
