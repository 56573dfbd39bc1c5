import { createDataSource } from "../src/platform/data-source";
import { createTestDatabase } from "./support/test-database";

test("the migrations build exactly the schema the entities describe", async () => {
  const db = await createTestDatabase();
  const ds = createDataSource(db.config);
  try {
    await ds.initialize();
    const applied = await ds.runMigrations({ transaction: "each" });
    expect(applied.length).toBeGreaterThanOrEqual(2);
    // What `synchronize` would still have to do after the migrations: nothing.
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    expect(await ds.showMigrations()).toBe(false);
  } finally {
    await ds.destroy();
    await db.drop();
  }
});

/**
 * ResourceHistoryIndexes replaced two migrations of the same session (ProvisioningLogResourceIndex,
 * then AuditResourceIndex: commits 40f4ce7 and 048dc96), which made the same indexes under other names.
 * A database that ran them, or a run interrupted after its first statement (MariaDB commits each DDL
 * statement at once), must still reach the schema of the entities.
 */
test("the resource-history indexes are reached from the earlier migrations' indexes or from an interrupted run", async () => {
  const db = await createTestDatabase();
  const ds = createDataSource(db.config);
  const mysql = db.config.driver !== "sqlite";
  const drop = (index: string, table: string) => ds.query(mysql ? `DROP INDEX ${index} ON ${table}` : `DROP INDEX ${index}`);
  const create = (index: string, table: string) => ds.query(`CREATE INDEX ${index} ON ${table} (organisationId, resourceId, occurredAt)`);
  const recorded = (name: string) => ds.query("INSERT INTO migrations (timestamp, name) VALUES (?, ?)", [Number(name.slice(-13)), name]);
  const states: Record<string, () => Promise<void>> = {
    "after ProvisioningLogResourceIndex (40f4ce7)": async () => {
      await drop("IDX_provisioning_log_request", "provisioning_log_entries");
      await create("IDX_provisioning_log_resource", "provisioning_log_entries");
      await recorded(mysql ? "ProvisioningLogResourceIndex1795502605719" : "ProvisioningLogResourceIndex1795502600534");
    },
    "after AuditResourceIndex too (048dc96)": async () => {
      await drop("IDX_provisioning_log_request", "provisioning_log_entries");
      await create("IDX_provisioning_log_resource", "provisioning_log_entries");
      await recorded(mysql ? "ProvisioningLogResourceIndex1795502605719" : "ProvisioningLogResourceIndex1795502600534");
      await drop("IDX_audit_events_resource", "audit_events");
      await create("IDX_audit_events_resource", "audit_events");
      await recorded(mysql ? "AuditResourceIndex1795502730102" : "AuditResourceIndex1795502724904");
    },
    "interrupted after its first statement": async () => {
      await drop("IDX_audit_events_resource", "audit_events");
    },
  };
  try {
    await ds.initialize();
    await ds.runMigrations({ transaction: "each" });
    // ResourceHistoryIndexes and the migrations after it, in the order they run.
    const baseName = (name: string) => name.replace(/\d+$/, "");
    const fromIt = ds.migrations.map((m) => m.name!).sort((x, y) => Number(x.match(/\d{13}$/)![0]) - Number(y.match(/\d{13}$/)![0])).map(baseName);
    const rerun = fromIt.slice(fromIt.indexOf("ResourceHistoryIndexes"));
    for (const [state, reach] of Object.entries(states)) {
      for (let i = 0; i < rerun.length; i++) await ds.undoLastMigration({ transaction: "each" });
      await ds.query("DELETE FROM migrations WHERE name LIKE ? OR name LIKE ?", ["ProvisioningLogResourceIndex%", "AuditResourceIndex%"]);
      await reach();
      const applied = await ds.runMigrations({ transaction: "each" });
      expect({ state, applied: applied.map((m) => baseName(m.name)) }).toEqual({ state, applied: rerun });
      const pending = await ds.driver.createSchemaBuilder().log();
      expect({ state, pending: pending.upQueries.map((q) => q.query) }).toEqual({ state, pending: [] });
    }
  } finally {
    await ds.destroy();
    await db.drop();
  }
});
