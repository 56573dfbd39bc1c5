import { ProvisioningLogEntry } from "../../src/domain/provisioning-log/provisioning-log-entry.entity";
import type { ScimResult } from "../support/scim-client";
import type { TestApp } from "../support/test-app";

/** The provisioning-log notes of the request that answered `r` (written once the response is out). */
export async function notesOf(app: TestApp, r: ScimResult): Promise<string[]> {
  const requestId = r.headers.get("x-request-id")!;
  for (let i = 0; i < 50; i++) {
    await app.services.provisioningLog.flush();
    const entry = await app.dataSource.getRepository(ProvisioningLogEntry).findOneBy({ requestId });
    if (entry) return entry.notes;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no provisioning-log entry for request ${requestId}`);
}

/** The audit actions recorded about one resource. */
export const auditActions = async (app: TestApp, resourceId: string) =>
  ((await app.dataSource.query("SELECT action FROM audit_events WHERE resourceId = ?", [resourceId])) as { action: string }[]).map((e) => e.action);
