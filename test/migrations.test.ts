import { LOG_COLUMNS } from "../src/domain/provisioning-log/provisioning-log.service";
import { createServices } from "../src/domain/services";
import { createDataSource } from "../src/platform/data-source";
import { Database } from "../src/platform/database";
import { newRequestId } from "../src/platform/ids";
import { systemActor } from "../src/platform/request-context";
import { makeSelfSignedCert } from "./sso/support/fake-saml-idp";
import { createTestDatabase } from "./support/test-database";

/** Undoes the migrations applied last, down to and including the one whose name starts with `name`. */
async function undoThrough(ds: ReturnType<typeof createDataSource>, name: string): Promise<void> {
  const applied = (): Promise<string[]> => ds.query("SELECT name FROM migrations ORDER BY timestamp DESC").then((rows: { name: string }[]) => rows.map((r) => r.name));
  expect((await applied()).some((n) => n.startsWith(name))).toBe(true);
  for (let last = (await applied())[0]; ; last = (await applied())[0]) {
    await ds.undoLastMigration({ transaction: "each" });
    if (last.startsWith(name)) return;
  }
}

/** A database with every migration applied and the services on it (dropped after `fn`). */
async function withMigratedServices(fn: (ds: ReturnType<typeof createDataSource>, services: ReturnType<typeof createServices>, mysql: boolean) => Promise<void>): Promise<void> {
  const db = await createTestDatabase();
  const ds = createDataSource(db.config);
  try {
    await ds.initialize();
    await ds.runMigrations({ transaction: "each" });
    await fn(ds, createServices(new Database(ds), { allowPrivateOutboundHosts: true }), db.config.driver !== "sqlite");
  } finally {
    await ds.destroy();
    await db.drop();
  }
}

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

    await undoThrough(ds, "IdentityProviderSessions");
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

/**
 * RedactLoggedSecrets: log entries written before filters and PATCH paths naming password were
 * redacted (commit c0b8043) get the redaction the live code applies, in their path, errorDetail and
 * body; entries with nothing to redact are not written to.
 */
test("RedactLoggedSecrets redacts the passwords that entries written before c0b8043 kept, and leaves the others as they are", async () => {
  const db = await createTestDatabase();
  const ds = createDataSource(db.config);
  const SECRET = "Hunter2-Sekret";
  const SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
  const PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
  const NOT_SHOWN = "not shown: recorded before Roster stopped repeating values compared with a password in filters and PATCH paths, this detail may have held one";
  const q = (filter: string) => `/scim/v2/Users?filter=${encodeURIComponent(filter)}`;
  try {
    await ds.initialize();
    await ds.runMigrations({ transaction: "each" });
    const services = createServices(new Database(ds), { allowPrivateOutboundHosts: true });
    const sys = { actor: systemActor, source: "system" as const, requestId: newRequestId() };
    const organisation = await services.organisations.create(sys, { slug: "old-log", name: "old-log" });
    await undoThrough(ds, "RedactLoggedSecrets");

    // As the log wrote them before c0b8043: [method, path, scimType, errorDetail, body as stored (JSON text)].
    type Row = [method: string, path: string, scimType: string | null, errorDetail: string | null, body: string | null];
    const json = (v: unknown) => JSON.stringify(v);
    const secretRows: Record<string, Row> = {
      "GET, an unquoted password": ["GET", q(`password eq ${SECRET}`), "invalidFilter", `unquoted value "${SECRET}" at position 13: string values must be in double quotes`, null],
      "GET, a well-formed filter": ["GET", `/scim/v2/Users?count=5&filter=${encodeURIComponent(`userName eq "a@x.test" and Password eq "${SECRET}"`)}&startIndex=1`, "invalidFilter", '"password" cannot be used in a filter', null],
      ".search": ["POST", "/scim/v2/Users/.search", "invalidFilter", `unexpected "${SECRET}" at position 17`, json({ schemas: [SEARCH], filter: `password eq "x" ${SECRET}` })],
      "PATCH, a value filter on password": ["PATCH", "/scim/v2/Users/u1", "invalidPath", `"password[value eq "${SECRET}"]" cannot filter it`, json({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: `password[value eq "${SECRET}"]`, value: "N3w-Passw0rd" }] })],
      "PATCH, its body dropped by retention": ["PATCH", "/scim/v2/Users/u1", "invalidPath", `invalid path "PASSWORD eq "${SECRET}"": unexpected "${SECRET}" at position 10`, null],
      "/Bulk": ["POST", "/scim/v2/Bulk", null, null, json({ Operations: [{ method: "PATCH", path: "/Users/u1", data: { schemas: [PATCH_OP], Operations: [{ op: "remove", path: `emails[value eq "a@x.test" and password eq "${SECRET}"]` }] } }] })],
      // The router decodes the query, so a letter of password sent percent-encoded still names it; nothing else in these entries says "password".
      "GET, a letter of password percent-encoded": ["GET", `/scim/v2/Users?filter=pa%73sword%20eq%20${SECRET}`, "invalidFilter", `unquoted value "${SECRET}" at position 13: string values must be in double quotes`, null],
      "GET, every letter percent-encoded, in upper and lower case hex": ["GET", `/scim/v2/Users?filter=%70%61%73%73%77%6f%72%64%20eq%20%22${SECRET}%22&count=1`, null, null, null],
      "GET, a letter of PASSWORD percent-encoded": ["GET", `/scim/v2/Users?filter=%50ASSWORD+eq+%22${SECRET}%22`, null, null, null],
    };
    const keptRows: Record<string, Row> = {
      "no password anywhere": ["GET", q("userName eq bob"), "invalidFilter", 'unquoted value "bob" at position 13: string values must be in double quotes', null],
      "a password redacted by name (as ever), spaced JSON": ["POST", "/scim/v2/Users", null, null, '{"userName": "x@x.test",  "password": "[redacted]"}'],
      "as written since c0b8043": ["GET", q("password eq [redacted]"), "invalidFilter", 'unquoted value at position 13: string values must be in double quotes (the filter\'s values are not shown: it names the secret attribute "password")', null],
      ".search, as written since c0b8043": ["POST", "/scim/v2/Users/.search", "invalidFilter", "unexpected word at position 17 (the filter's values are not shown: it names the secret attribute \"password\")", json({ schemas: [SEARCH], filter: 'password eq "[redacted]" [redacted]' })],
      "a password with no value": ["GET", q("password pr"), "invalidFilter", '"password" cannot be used in a filter', null],
      // Read by the prefilter (percent-encoded letters of password), nothing to redact.
      "letters percent-encoded, no password": ["GET", "/scim/v2/Users?filter=userName%20eq%20%22%61lice%40x.test%22", null, null, null],
    };
    const all = { ...secretRows, ...keptRows };
    const ids = Object.fromEntries(Object.keys(all).map((name, i) => [name, `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`]));
    for (const [name, [method, path, scimType, errorDetail, body]] of Object.entries(all)) {
      const row: Record<string, unknown> = { id: ids[name], organisationId: organisation.id, occurredAt: "2026-11-01 00:00:00.000", requestId: "r", tokenId: null, tokenLabel: "okta", method, path, status: 400, durationMs: 1, resourceType: null, resourceId: null, notes: "[]", scimType, errorDetail, requestBody: body };
      await ds.query(`INSERT INTO provisioning_log_entries (${LOG_COLUMNS.join(", ")}) VALUES (${LOG_COLUMNS.map(() => "?").join(", ")})`, LOG_COLUMNS.map((c) => row[c]));
    }
    const read = async () =>
      Object.fromEntries(
        ((await ds.query(`SELECT ${LOG_COLUMNS.join(", ")} FROM provisioning_log_entries`)) as Record<string, unknown>[]).map((r) => [Object.keys(ids).find((n) => ids[n] === r.id)!, r]),
      );
    const before = await read();

    await ds.runMigrations({ transaction: "each" });
    const after = await read();
    for (const name of Object.keys(keptRows)) expect({ name, row: after[name] }).toEqual({ name, row: before[name] });
    for (const name of Object.keys(secretRows)) {
      const text = JSON.stringify(after[name]) + decodeURIComponent(String(after[name].path));
      expect({ name, sekret: text.includes("Sekret"), newPassword: text.includes("N3w-Passw0rd") }).toEqual({ name, sekret: false, newPassword: false });
    }
    const body = (name: string) => (typeof after[name].requestBody === "string" ? JSON.parse(after[name].requestBody as string) : after[name].requestBody);
    expect(after["GET, an unquoted password"]).toMatchObject({ path: q("password eq [redacted]"), errorDetail: NOT_SHOWN });
    expect(after["GET, a well-formed filter"]).toMatchObject({ path: `/scim/v2/Users?count=5&filter=${encodeURIComponent('userName eq "a@x.test" and Password eq "[redacted]"')}&startIndex=1`, errorDetail: '"password" cannot be used in a filter' });
    expect(after[".search"].errorDetail).toBe(NOT_SHOWN);
    expect(body(".search")).toEqual({ schemas: [SEARCH], filter: 'password eq "[redacted]" [redacted]' });
    expect(after["PATCH, a value filter on password"].errorDetail).toBe(NOT_SHOWN);
    expect(body("PATCH, a value filter on password")).toEqual({ schemas: [PATCH_OP], Operations: [{ op: "replace", path: 'password[value eq "[redacted]"]', value: "[redacted]" }] });
    expect(after["PATCH, its body dropped by retention"]).toMatchObject({ errorDetail: NOT_SHOWN, requestBody: null });
    expect(after["GET, a letter of password percent-encoded"]).toMatchObject({ path: q("password eq [redacted]"), errorDetail: NOT_SHOWN });
    expect(after["GET, every letter percent-encoded, in upper and lower case hex"]).toMatchObject({ path: `${q('password eq "[redacted]"')}&count=1`, errorDetail: null });
    expect(after["GET, a letter of PASSWORD percent-encoded"].path).toBe(q('PASSWORD eq "[redacted]"'));
    expect(body("/Bulk").Operations[0].data.Operations[0].path).toBe('emails[value eq "a@x.test" and password eq "[redacted]"]');
    // Nothing else of those entries changed.
    for (const name of Object.keys(secretRows)) {
      const { path: _p, errorDetail: _e, requestBody: _b, ...rest } = after[name];
      const { path: _p0, errorDetail: _e0, requestBody: _b0, ...restBefore } = before[name];
      expect(rest).toEqual(restBefore);
    }
  } finally {
    await ds.destroy();
    await db.drop();
  }
});

/**
 * RedactEncodedLoggedSecrets: a database that ran RedactLoggedSecrets before its prefilter read
 * percent-encoded letters of password still held those entries' passwords; it reads only them.
 */
test("RedactEncodedLoggedSecrets redacts the entries with a letter of password percent-encoded that RedactLoggedSecrets first passed over", async () => {
  const db = await createTestDatabase();
  const ds = createDataSource(db.config);
  const SECRET = "Hunter2-Sekret";
  try {
    await ds.initialize();
    await ds.runMigrations({ transaction: "each" });
    const services = createServices(new Database(ds), { allowPrivateOutboundHosts: true });
    const sys = { actor: systemActor, source: "system" as const, requestId: newRequestId() };
    const organisation = await services.organisations.create(sys, { slug: "old-log-2", name: "old-log-2" });
    await undoThrough(ds, "RedactEncodedLoggedSecrets");
    const rows: Record<string, [path: string, errorDetail: string | null]> = {
      "one letter encoded": [`/scim/v2/Users?filter=pa%73sword%20eq%20${SECRET}`, `unquoted value "${SECRET}" at position 13: string values must be in double quotes`],
      "every letter encoded": [`/scim/v2/Users?filter=%70%61%73%73%77%6F%72%64%20eq%20%22${SECRET}%22`, null],
      // As RedactLoggedSecrets leaves entries it has read: not read again (it would be redacted if it were).
      "names password, unencoded": [`/scim/v2/Users?filter=${encodeURIComponent(`password eq "${SECRET}"`)}`, null],
    };
    const names = Object.keys(rows);
    for (const [i, name] of names.entries()) {
      const row: Record<string, unknown> = { id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`, organisationId: organisation.id, occurredAt: "2026-11-01 00:00:00.000", requestId: "r", tokenId: null, tokenLabel: "okta", method: "GET", path: rows[name][0], status: 400, durationMs: 1, resourceType: null, resourceId: null, notes: "[]", scimType: null, errorDetail: rows[name][1], requestBody: null };
      await ds.query(`INSERT INTO provisioning_log_entries (${LOG_COLUMNS.join(", ")}) VALUES (${LOG_COLUMNS.map(() => "?").join(", ")})`, LOG_COLUMNS.map((c) => row[c]));
    }

    await ds.runMigrations({ transaction: "each" });
    const after = (await ds.query("SELECT path, errorDetail FROM provisioning_log_entries ORDER BY id")) as { path: string; errorDetail: string | null }[];
    const sekret = Object.fromEntries(names.map((name, i) => [name, (decodeURIComponent(after[i].path) + after[i].errorDetail).includes("Sekret")]));
    expect(sekret).toEqual({ "one letter encoded": false, "every letter encoded": false, "names password, unencoded": true });
    expect(after[1].path).toBe(`/scim/v2/Users?filter=${encodeURIComponent('password eq "[redacted]"')}`);
  } finally {
    await ds.destroy();
    await db.drop();
  }
});

test("OrganisationRolesManagedBy leaves existing organisations' roles to their identity provider, as before", async () => {
  const db = await createTestDatabase();
  const ds = createDataSource(db.config);
  try {
    await ds.initialize();
    await ds.runMigrations({ transaction: "each" });
    await undoThrough(ds, "OrganisationRolesManagedBy");
    await ds.query("INSERT INTO organisations (id, slug, name, scimEnabled, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)", ["legacy-org", "legacy", "Legacy", 1, "2026-01-01 00:00:00.000", "2026-01-01 00:00:00.000"]);
    await ds.runMigrations({ transaction: "each" });
    expect(await ds.query("SELECT id, rolesManagedBy FROM organisations")).toEqual([{ id: "legacy-org", rolesManagedBy: "identityProvider" }]);
  } finally {
    await ds.destroy();
    await db.drop();
  }
});

/**
 * EntityVersions: roles, custom field definitions and organisations that exist get version 1. On
 * MariaDB, where each ALTER commits at once, a run interrupted after its first column runs again.
 */
test("EntityVersions starts existing roles, custom field definitions and organisations at version 1, also after an interrupted run", () =>
  withMigratedServices(async (ds, services, mysql) => {
    const sys = { actor: systemActor, source: "system" as const, requestId: newRequestId() };
    for (const slug of ["versions-one", "versions-two"]) await services.organisations.create(sys, { slug, name: slug });

    for (const interrupted of mysql ? [false, true] : [false]) {
      await undoThrough(ds, "EntityVersions");
      const runner = ds.createQueryRunner();
      for (const table of ["organisations", "custom_field_definitions", "roles"]) expect(await runner.hasColumn(table, "version")).toBe(false);
      await runner.release();
      // As a run stopped after its first ALTER left it: the column there, the migration not recorded.
      if (interrupted) await ds.query("ALTER TABLE `organisations` ADD `version` int NOT NULL DEFAULT '1'");
      const applied = await ds.runMigrations({ transaction: "each" });
      expect(applied.map((m) => m.name.replace(/\d+$/, ""))).toContain("EntityVersions");
      for (const table of ["organisations", "custom_field_definitions", "roles"]) {
        const rows = (await ds.query(`SELECT version FROM ${table}`)) as { version: number | string }[];
        expect({ table, interrupted, count: rows.length > 1, versions: [...new Set(rows.map((r) => Number(r.version)))] }).toEqual({ table, interrupted, count: true, versions: [1] });
      }
    }
    expect((await ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query)).toEqual([]);
  }));

test("CustomFieldManagedBy leaves existing custom fields to their identity provider, as before", async () => {
  const db = await createTestDatabase();
  const ds = createDataSource(db.config);
  try {
    await ds.initialize();
    await ds.runMigrations({ transaction: "each" });
    await undoThrough(ds, "CustomFieldManagedBy");
    await ds.query("INSERT INTO organisations (id, slug, name, scimEnabled, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)", ["legacy-org", "legacy", "Legacy", 1, "2026-01-01 00:00:00.000", "2026-01-01 00:00:00.000"]);
    await ds.query(`INSERT INTO custom_field_definitions (id, organisationId, ${ds.driver.escape("key")}, label, type, multiValued, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
      "legacy-field",
      "legacy-org",
      "badge",
      "Badge",
      "string",
      0,
      "2026-01-01 00:00:00.000",
      "2026-01-01 00:00:00.000",
    ]);
    await ds.runMigrations({ transaction: "each" });
    expect(await ds.query("SELECT id, managedBy FROM custom_field_definitions")).toEqual([{ id: "legacy-field", managedBy: "identityProvider" }]);
  } finally {
    await ds.destroy();
    await db.drop();
  }
});

test("UserFilterIndexes fills existing users' department and cost centre keys, lower-cased as filters compare them", async () => {
  const db = await createTestDatabase();
  const ds = createDataSource(db.config);
  try {
    await ds.initialize();
    await ds.runMigrations({ transaction: "each" });
    await undoThrough(ds, "UserFilterIndexes");
    await ds.query("INSERT INTO organisations (id, slug, name, scimEnabled, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?)", ["legacy-org", "legacy", "Legacy", 1, "2026-01-01 00:00:00.000", "2026-01-01 00:00:00.000"]);
    const user = (id: string, department: string | null, costCenter: string | null) =>
      ds.query("INSERT INTO users (id, organisationId, userName, userNameKey, active, department, costCenter, version, createdAt, updatedAt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        id,
        "legacy-org",
        `${id}@x.test`,
        `${id}@x.test`,
        1,
        department,
        costCenter,
        1,
        "2026-01-01 00:00:00.000",
        "2026-01-01 00:00:00.000",
      ]);
    // More than one statement's thousand, so that the fill continues by id.
    for (let i = 0; i < 1003; i++) await user(`u${String(i).padStart(4, "0")}`, i % 2 ? "ÉQUIPE Zoë" : null, i % 3 ? null : "CC-Łódź");
    await user("v-long", "D".repeat(255), null);
    await ds.runMigrations({ transaction: "each" });
    const rows = (await ds.query("SELECT id, departmentKey, costCenterKey FROM users ORDER BY id")) as { id: string; departmentKey: string | null; costCenterKey: string | null }[];
    expect(rows).toHaveLength(1004);
    rows.slice(0, 1003).forEach((r, i) => expect(r).toEqual({ id: r.id, departmentKey: i % 2 ? "équipe zoë" : null, costCenterKey: i % 3 ? null : "cc-łódź" }));
    expect(rows[1003]).toEqual({ id: "v-long", departmentKey: "d".repeat(255), costCenterKey: null });
    // What a filter reads: the key a write computes finds them.
    const services = createServices(new Database(ds), { allowPrivateOutboundHosts: true });
    const ctx = { organisationId: "legacy-org", actor: systemActor, requestId: newRequestId(), source: "system" as const };
    const found = await services.users.list(ctx, { kind: "compare", field: "department", op: "eq", value: "équipe ZOË" }, { first: 1000 }, { count: true });
    expect(found.totalCount).toBe(501);
  } finally {
    await ds.destroy();
    await db.drop();
  }
}, 60_000);

/**
 * OrganisationHasNestedGroups: the organisations that already have a group in a group get the flag
 * (their users' SCIM reads then list indirect groups); the others keep it false. On MariaDB, where
 * the ALTER commits at once, a run interrupted after it runs again.
 */
test("OrganisationHasNestedGroups sets the flag of the organisations that already nest groups, also after an interrupted run", () =>
  withMigratedServices(async (ds, services, mysql) => {
    const sys = { actor: systemActor, source: "system" as const, requestId: newRequestId() };
    const ctxOf = async (slug: string) => ({ ...sys, organisationId: (await services.organisations.create(sys, { slug, name: slug })).id });
    const [nested, usersOnly, empty] = [await ctxOf("nests"), await ctxOf("users-only"), await ctxOf("no-groups")];
    const inner = await services.groups.create(nested, { displayName: "Inner" });
    await services.groups.create(nested, { displayName: "Outer", members: [{ id: inner.id, type: "group" }] });
    const user = await services.users.create(usersOnly, { userName: "u@x.test" });
    await services.groups.create(usersOnly, { displayName: "People", members: [{ id: user.id, type: "user" }] });
    const flags = async () =>
      Object.fromEntries(((await ds.query("SELECT id, hasNestedGroups FROM organisations")) as { id: string; hasNestedGroups: unknown }[]).map((r) => [r.id, Number(r.hasNestedGroups)]));
    // Set by the domain as the group went into the group.
    expect(await flags()).toEqual({ [nested.organisationId]: 1, [usersOnly.organisationId]: 0, [empty.organisationId]: 0 });

    for (const interrupted of mysql ? [false, true] : [false]) {
      await undoThrough(ds, "OrganisationHasNestedGroups");
      // As a run stopped after its ALTER left it: the column there (false everywhere), the migration not recorded.
      if (interrupted) await ds.query("ALTER TABLE `organisations` ADD `hasNestedGroups` tinyint NOT NULL DEFAULT 0");
      const applied = await ds.runMigrations({ transaction: "each" });
      expect(applied.map((m) => m.name.replace(/\d+$/, ""))).toContain("OrganisationHasNestedGroups");
      expect({ interrupted, flags: await flags() }).toEqual({ interrupted, flags: { [nested.organisationId]: 1, [usersOnly.organisationId]: 0, [empty.organisationId]: 0 } });
    }
    expect((await ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query)).toEqual([]);
  }));

/**
 * GroupMemberCount: every existing group gets the count of its memberships as its memberCount (users
 * and groups; a group without members 0). On MariaDB, where the ALTER commits at once, a run
 * interrupted after it (the column there, every count 0) fills it again.
 */
test("GroupMemberCount fills every existing group's memberCount from its memberships, also after an interrupted run", () =>
  withMigratedServices(async (ds, services, mysql) => {
    const sys = { actor: systemActor, source: "system" as const, requestId: newRequestId() };
    const ctxOf = async (slug: string) => ({ ...sys, organisationId: (await services.organisations.create(sys, { slug, name: slug })).id });
    const [one, two] = [await ctxOf("counts-one"), await ctxOf("counts-two")];
    const people = [];
    for (const i of [1, 2, 3]) people.push(await services.users.create(one, { userName: `p${i}@x.test` }));
    const empty = await services.groups.create(one, { displayName: "Empty" });
    const inner = await services.groups.create(one, { displayName: "Inner", members: [{ id: people[0].id, type: "user" }] });
    const outer = await services.groups.create(one, { displayName: "Outer", members: [...people.map((p) => ({ id: p.id, type: "user" as const })), { id: inner.id, type: "group" }] });
    const elsewhere = await services.groups.create(two, { displayName: "Elsewhere", members: [{ id: (await services.users.create(two, { userName: "q@x.test" })).id, type: "user" }] });
    const expected = { [empty.id]: 0, [inner.id]: 1, [outer.id]: 4, [elsewhere.id]: 1 };
    const counts = async () => Object.fromEntries(((await ds.query(`SELECT id, memberCount FROM ${mysql ? "`groups`" : '"groups"'}`)) as { id: string; memberCount: unknown }[]).map((r) => [r.id, Number(r.memberCount)]));
    // Kept by the domain as the members went in.
    expect(await counts()).toEqual(expected);

    for (const interrupted of mysql ? [false, true] : [false]) {
      await undoThrough(ds, "GroupMemberCount");
      // As a run stopped after its ALTER left it: the column there (0 everywhere), the migration not recorded.
      if (interrupted) await ds.query("ALTER TABLE `groups` ADD `memberCount` int NOT NULL DEFAULT '0'");
      const applied = await ds.runMigrations({ transaction: "each" });
      expect(applied.map((m) => m.name.replace(/\d+$/, ""))).toContain("GroupMemberCount");
      expect({ interrupted, counts: await counts() }).toEqual({ interrupted, counts: expected });
    }
    expect((await ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query)).toEqual([]);
  }));
