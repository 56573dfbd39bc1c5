import { type TestApp, type TestTenant, startTestApp } from "./test-app";

/** A test file's app and its organisation. */
export interface Tenant {
  app: TestApp;
  t: TestTenant;
}

/**
 * Starts the app and an organisation before the file's tests (with `{ other: true }`, a second one, to
 * show what the first cannot see of it) and closes the app after them; `receive` gets them once
 * started (a file keeps its own variables: `useTenant((x) => ({ app, t } = x))`).
 */
export function useTenant(receive: (tenant: Tenant) => void): void;
export function useTenant(receive: (tenant: Tenant & { other: TestTenant }) => void, options: { other: true }): void;
export function useTenant(receive: (tenant: Tenant & { other: TestTenant }) => void, options: { other?: boolean } = {}): void {
  let app: TestApp | undefined;
  beforeAll(async () => {
    app = await startTestApp();
    const t = await app.tenant();
    const other = options.other ? await app.tenant() : undefined;
    receive({ app, t, other: other! });
  });
  afterAll(() => app?.close());
}
