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
