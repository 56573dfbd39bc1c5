import mysql from "mysql2/promise";
import { type TestApp, type TestTenant, startTestApp } from "../support/test-app";

/**
 * Roles, custom field definitions and the organisation carry a version, as users and groups do:
 * it starts at 1, moves by exactly one per write that changes something, and an update sent with a
 * stale `expectedVersion` is refused (CONFLICT, reason VERSION_MISMATCH) and writes nothing, even
 * when two updates expecting the same version arrive at once.
 */

let app: TestApp;

beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

type Row = Record<string, unknown> & { version: number };

interface Kind {
  /** The resource as a refusal names it. */
  noun: string;
  /** A new one in a tenant of its own: the variables naming it, its id in messages, and the row to lock. */
  make(t: TestTenant): Promise<{ vars: Record<string, unknown>; id: string; lock: [sql: string, params: unknown[]] }>;
  read(t: TestTenant, vars: Record<string, unknown>): Promise<Row>;
  mutation: string;
  field: string;
  /** An input that changes it (differently for each n), and what the read shows after it. */
  change(n: number): { input: Record<string, unknown>; shows: Record<string, unknown> };
}

const kinds: Kind[] = [
  {
    noun: "role",
    async make(t) {
      const r = await app.gql<{ createRole: { id: string; version: number } }>(t.adminToken, `mutation { createRole(input: { name: "Editor", permissions: ["users:read"] }) { id version } }`);
      expect(r.data!.createRole.version).toBe(1);
      return { vars: { id: r.data!.createRole.id }, id: r.data!.createRole.id, lock: ["SELECT id FROM roles WHERE id = ? FOR UPDATE", [r.data!.createRole.id]] };
    },
    async read(t, vars) {
      const r = await app.gql<{ roles: Row[] }>(t.adminToken, `{ roles { id name description permissions version } }`);
      return r.data!.roles.find((x) => x.id === vars.id)!;
    },
    mutation: `mutation($id: ID!, $input: UpdateRoleInput!, $v: Int) { updateRole(id: $id, input: $input, expectedVersion: $v) { id name description permissions version } }`,
    field: "updateRole",
    change: (n) => ({ input: { name: `Editor ${n}`, permissions: ["users:read", `perm:${n}`] }, shows: { name: `Editor ${n}`, permissions: ["users:read", `perm:${n}`] } }),
  },
  {
    noun: "custom field",
    async make(t) {
      const r = await app.gql<{ defineCustomField: { id: string; version: number } }>(t.adminToken, `mutation { defineCustomField(input: { key: "tier", type: "enum", options: ["gold", "silver"] }) { id version } }`);
      expect(r.data!.defineCustomField.version).toBe(1);
      return { vars: { key: "tier" }, id: "tier", lock: ["SELECT id FROM custom_field_definitions WHERE id = ? FOR UPDATE", [r.data!.defineCustomField.id]] };
    },
    async read(t, vars) {
      const r = await app.gql<{ customFieldDefinitions: Row[] }>(t.adminToken, `{ customFieldDefinitions { key label options multiValued version } }`);
      return r.data!.customFieldDefinitions.find((x) => x.key === vars.key)!;
    },
    mutation: `mutation($key: String!, $input: UpdateCustomFieldInput!, $v: Int) { updateCustomField(key: $key, input: $input, expectedVersion: $v) { key label options multiValued version } }`,
    field: "updateCustomField",
    change: (n) => ({ input: { label: `Tier ${n}`, options: ["gold", "silver", `bronze ${n}`] }, shows: { label: `Tier ${n}`, options: ["gold", "silver", `bronze ${n}`] } }),
  },
  {
    noun: "organisation",
    async make(t) {
      return { vars: {}, id: t.organisation.id, lock: ["SELECT id FROM organisations WHERE id = ? FOR UPDATE", [t.organisation.id]] };
    },
    async read(t) {
      const r = await app.gql<{ organisation: Row }>(t.adminToken, `{ organisation { name slug scimEnabled version } }`);
      return r.data!.organisation;
    },
    mutation: `mutation($input: UpdateOrganisationInput!, $v: Int) { updateOrganisation(input: $input, expectedVersion: $v) { name slug scimEnabled version } }`,
    field: "updateOrganisation",
    change: (n) => ({ input: { name: `Renamed ${n}` }, shows: { name: `Renamed ${n}` } }),
  },
];

async function update(t: TestTenant, kind: Kind, vars: Record<string, unknown>, input: Record<string, unknown>, v?: number) {
  return app.gql<Record<string, Row>>(t.adminToken, kind.mutation, { ...vars, input, v });
}

describe.each(kinds)("$noun versions", (kind) => {
  test("start at 1 and move by exactly one per write that changes something; a write that changes nothing keeps it", async () => {
    const t = await app.tenant();
    const { vars } = await kind.make(t);
    expect((await kind.read(t, vars)).version).toBe(1);

    const first = kind.change(1);
    const r1 = await update(t, kind, vars, first.input, 1);
    expect(r1.errors).toBeUndefined();
    expect(r1.data![kind.field]).toMatchObject({ ...first.shows, version: 2 });
    expect(await kind.read(t, vars)).toMatchObject({ ...first.shows, version: 2 });

    // The same again: nothing changes, the version stays (as a user's or a group's does).
    const same = await update(t, kind, vars, first.input, 2);
    expect(same.errors).toBeUndefined();
    expect(same.data![kind.field].version).toBe(2);

    // Without expectedVersion the write is not checked, and still moves the version by one.
    const second = kind.change(2);
    expect((await update(t, kind, vars, second.input)).data![kind.field]).toMatchObject({ ...second.shows, version: 3 });
    expect(await kind.read(t, vars)).toMatchObject({ ...second.shows, version: 3 });
  });

  test("a stale expectedVersion is refused as a user's is, and nothing is written", async () => {
    const t = await app.tenant();
    const { vars, id } = await kind.make(t);
    await update(t, kind, vars, kind.change(1).input, 1);
    const before = await kind.read(t, vars);
    expect(before.version).toBe(2);

    const stale = await update(t, kind, vars, kind.change(2).input, 1);
    expect(stale.data).toBeNull();
    expect(stale.errors?.[0].extensions).toEqual({ code: "CONFLICT", reason: "VERSION_MISMATCH", currentVersion: 2 });
    expect(stale.errors?.[0].message).toBe(`${kind.noun} ${id} is at version 2, not 1`);
    // An expectedVersion ahead of the stored one is as stale.
    expect((await update(t, kind, vars, kind.change(3).input, 3)).errors?.[0].extensions).toEqual({ code: "CONFLICT", reason: "VERSION_MISMATCH", currentVersion: 2 });
    expect(await kind.read(t, vars)).toEqual(before);
  });

  test("two updates expecting the same version at once: exactly one is written", async () => {
    const t = await app.tenant();
    const { vars, lock } = await kind.make(t);
    const mariadb = app.database.config.driver !== "sqlite" ? app.database.config : null;
    // On MariaDB both updates are made to queue behind a transaction holding the row, so that they
    // reach it together: each must then read the version under its lock, not before it.
    const blocker = mariadb ? await mysql.createConnection({ host: mariadb.host, port: mariadb.port, user: mariadb.user, password: mariadb.password, database: mariadb.database }) : null;
    try {
      if (blocker) {
        await blocker.query("START TRANSACTION");
        await blocker.query(...lock);
      }
      const a = kind.change(1);
      const b = kind.change(2);
      const both = Promise.all([update(t, kind, vars, a.input, 1), update(t, kind, vars, b.input, 1)]);
      if (blocker) {
        // Both requests' statements held up by the blocker's lock (a locking read, or an UPDATE).
        const waiting = async () => {
          const [rows] = await blocker.query("SELECT COUNT(*) AS n FROM information_schema.processlist WHERE db = ? AND id <> CONNECTION_ID() AND (info LIKE '%FOR UPDATE%' OR info LIKE 'UPDATE%')", [mariadb!.database]);
          return Number((rows as { n: number }[])[0].n);
        };
        for (let i = 0; i < 100 && (await waiting()) < 2; i++) await new Promise((r) => setTimeout(r, 50));
        await blocker.query("COMMIT");
      }
      const results = await both;
      const won = results.filter((r) => !r.errors);
      const lost = results.filter((r) => r.errors);
      expect(won).toHaveLength(1);
      expect(lost.map((r) => r.errors![0].extensions)).toEqual([{ code: "CONFLICT", reason: "VERSION_MISMATCH", currentVersion: 2 }]);
      const winner = results[0] === won[0] ? a : b;
      expect(await kind.read(t, vars)).toMatchObject({ ...winner.shows, version: 2 });
    } finally {
      await blocker?.end();
    }
  });
});

test("a custom field's option removed moves its version, and the refusal of a removal users hold keeps it", async () => {
  const t = await app.tenant();
  await app.gql(t.adminToken, `mutation { defineCustomField(input: { key: "size", type: "enum", options: ["s", "m", "l"] }) { id } }`);
  const u = await app.services.users.create(t.ctx, { userName: "medium@v.test", customFields: { size: "m" } });
  const drop = (options: string[], v: number) =>
    app.gql<{ updateCustomField: Row }>(t.adminToken, `mutation($o: [String!], $v: Int) { updateCustomField(key: "size", input: { options: $o }, expectedVersion: $v) { options version } }`, { o: options, v });
  expect((await drop(["s", "l"], 1)).errors?.[0].extensions).toMatchObject({ code: "BAD_USER_INPUT", field: "options" });
  expect((await drop(["m", "l"], 1)).data!.updateCustomField).toEqual({ options: ["m", "l"], version: 2 });
  expect((await drop(["m", "l"], 1)).errors?.[0].extensions).toEqual({ code: "CONFLICT", reason: "VERSION_MISMATCH", currentVersion: 2 });
  expect((await app.services.users.get(t.ctx, u.id)).version).toBe(u.version);
});
