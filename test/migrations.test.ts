import { createServices } from "../src/domain/services";
import { createDataSource } from "../src/platform/data-source";
import { Database } from "../src/platform/database";
import { newRequestId } from "../src/platform/ids";
import { systemActor } from "../src/platform/request-context";
import { makeSelfSignedCert } from "./sso/support/fake-saml-idp";
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

/**
 * IdentityProviderSessions: sessions signed in before they recorded their identity provider take the
 * id of their organisation's configuration of their protocol, so that deleting or replacing it ends
 * them too; existing configurations take their own id as their first identity version.
 */
test("IdentityProviderSessions gives existing signed-in sessions their IdP and existing IdPs an identity version", async () => {
  const db = await createTestDatabase();
  const ds = createDataSource(db.config);
  try {
    await ds.initialize();
    await ds.runMigrations({ transaction: "each" });
    const services = createServices(new Database(ds), { allowPrivateOutboundHosts: true });
    const sys = { actor: systemActor, source: "system" as const, requestId: newRequestId() };
    const orgs = [];
    for (const slug of ["legacy-one", "legacy-two"]) {
      const organisation = await services.organisations.create(sys, { slug, name: slug });
      const ctx = { ...sys, organisationId: organisation.id };
      const saml = await services.identityProviders.configureSaml(ctx, { idpSsoUrl: "https://idp.example/sso", idpEntityId: `urn:${slug}`, idpCertificates: [makeSelfSignedCert(slug).certPem] });
      orgs.push({ id: organisation.id, saml: saml.id });
    }
    const ctx = { ...sys, organisationId: orgs[0].id };
    const oidc = await services.identityProviders.configureOidc(ctx, { issuer: "http://127.0.0.1:1/tenant/v2.0", clientId: "client", clientSecret: "secret" });

    const last = ds.migrations.map((m) => m.name!).sort((x, y) => Number(x.match(/\d{13}$/)![0]) - Number(y.match(/\d{13}$/)![0])).at(-1)!;
    expect(last).toMatch(/^IdentityProviderSessions/);
    await ds.undoLastMigration({ transaction: "each" });
    const signedIn = (organisationId: string, protocol: string) => JSON.stringify({ cookie: {}, passport: { user: { userId: "u", organisationId, protocol, signedInAt: new Date().toISOString() } } });
    const sessions: [id: string, organisationId: string | null, userId: string | null, data: string][] = [
      ["s-saml-1", orgs[0].id, "u1", signedIn(orgs[0].id, "saml")],
      ["s-oidc-1", orgs[0].id, "u1", signedIn(orgs[0].id, "oidc")],
      ["s-saml-2", orgs[1].id, "u2", signedIn(orgs[1].id, "saml")],
      ["s-oidc-2", orgs[1].id, "u2", signedIn(orgs[1].id, "oidc")], // no OIDC there (deleted since): none
      ["s-anonymous", null, null, JSON.stringify({ cookie: {}, returnTo: "/admin/" })],
      ["s-not-json", orgs[0].id, "u1", "{not json"],
    ];
    for (const row of sessions)
      await ds.query("INSERT INTO sessions (id, organisationId, userId, data, expiresAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)", [...row, "2099-01-01 00:00:00.000", "2026-01-01 00:00:00.000"]);

    await ds.runMigrations({ transaction: "each" });
    const rows = (await ds.query("SELECT id, identityProviderId FROM sessions ORDER BY id")) as { id: string; identityProviderId: string | null }[];
    expect(Object.fromEntries(rows.map((r) => [r.id, r.identityProviderId]))).toEqual({
      "s-anonymous": null,
      "s-not-json": null,
      "s-oidc-1": oidc.id,
      "s-oidc-2": null,
      "s-saml-1": orgs[0].saml,
      "s-saml-2": orgs[1].saml,
    });
    const idps = (await ds.query("SELECT id, identityVersion FROM identity_providers")) as { id: string; identityVersion: string }[];
    expect(idps).toHaveLength(3);
    for (const idp of idps) expect(idp.identityVersion).toBe(idp.id);
  } finally {
    await ds.destroy();
    await db.drop();
  }
});
