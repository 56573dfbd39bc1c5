import { bootstrapIfEmpty } from "../src/bootstrap";
import { createServices } from "../src/domain/services";
import { openDatabase } from "../src/platform/boot";
import { Database } from "../src/platform/database";
import { createTestDatabase } from "./support/test-database";

test("first start on an empty database creates `default` with an admin and a SCIM token, once", async () => {
  const db = await createTestDatabase();
  const ds = await openDatabase({ database: db.config });
  try {
    const services = createServices(new Database(ds));
    const first = await bootstrapIfEmpty(services);
    expect(first?.organisation.slug).toBe("default");
    expect((await services.tokens.check(first!.adminToken, "admin")).ok).toBe(true);
    expect((await services.tokens.check(first!.scimToken, "scim")).ok).toBe(true);
    expect((await services.tokens.check(first!.scimToken, "admin")).ok).toBe(false);
    expect(await bootstrapIfEmpty(services)).toBeNull();
    expect((await services.organisations.list()).map((o) => o.slug)).toEqual(["default"]);
  } finally {
    await ds.destroy();
    await db.drop();
  }
});
