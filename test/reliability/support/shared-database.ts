// The test's own handle on the database a child Roster uses: to seed it and to check what is stored.
import type { DataSource } from "typeorm";
import { loadConfig } from "../../../src/config/config";
import { type Services, createServices } from "../../../src/domain/services";
import { User } from "../../../src/domain/users/user.entity";
import { userTextFields } from "../../../src/domain/users/user.service";
import { openDatabase } from "../../../src/platform/boot";
import { Database } from "../../../src/platform/database";
import { newId, newRequestId } from "../../../src/platform/ids";
import { type RequestContext, systemActor } from "../../../src/platform/request-context";

export interface SharedTenant {
  ctx: RequestContext;
  slug: string;
  adminToken: string;
  scimToken: string;
}

export interface SharedDatabase {
  dataSource: DataSource;
  services: Services;
  tenant(slug: string): Promise<SharedTenant>;
  /** `n` users inserted in multi-row statements (no audit trail: fixtures, not the subject of the test). */
  seedUsers(ctx: RequestContext, n: number, prefix: string): Promise<string[]>;
  count(sql: string, params?: unknown[]): Promise<number>;
  close(): Promise<void>;
}

export async function openSharedDatabase(databaseUrl: string): Promise<SharedDatabase> {
  const config = loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" });
  const dataSource = await openDatabase(config);
  const services = createServices(new Database(dataSource));
  return {
    dataSource,
    services,
    async tenant(slug) {
      const sys = { actor: systemActor, source: "system" as const, requestId: newRequestId() };
      const organisation = await services.organisations.create(sys, { slug, name: slug });
      const ctx: RequestContext = { ...sys, organisationId: organisation.id };
      const admin = await services.tokens.create(ctx, { name: "admin", scope: "admin" });
      const scim = await services.tokens.create(ctx, { name: "okta", scope: "scim" });
      return { ctx, slug, adminToken: admin.secret, scimToken: scim.secret };
    },
    async seedUsers(ctx, n, prefix) {
      const now = new Date();
      const ids: string[] = [];
      const rows: User[] = [];
      for (let i = 0; i < n; i++) {
        const u = new User();
        Object.assign(u, { id: newId(), organisationId: ctx.organisationId, userName: `${prefix}${i}@seed.test`, userNameKey: `${prefix}${i}@seed.test`.toLowerCase(), externalId: null, externalIdKey: null, active: true, managerId: null, addresses: null, version: 1, createdAt: now, updatedAt: now });
        for (const f of userTextFields) if (!(f in u) || (u as unknown as Record<string, unknown>)[f] === undefined) (u as unknown as Record<string, unknown>)[f] = null;
        rows.push(u);
        ids.push(u.id);
      }
      for (let i = 0; i < rows.length; i += 500) {
        await dataSource.createQueryBuilder().insert().into(User).values(rows.slice(i, i + 500)).updateEntity(false).execute();
      }
      return ids;
    },
    async count(sql, params = []) {
      const [row] = await dataSource.query(sql, params);
      return Number(Object.values(row as Record<string, unknown>)[0]);
    },
    close: () => dataSource.destroy(),
  };
}
