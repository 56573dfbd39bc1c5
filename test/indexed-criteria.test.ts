import type { DataSource } from "typeorm";
import { groupColumns, groupIndexedFields, groupRelationIndexes } from "../src/domain/groups/group.query";
import { type ColumnSpec, type IndexedBy, SqlWhereBuilder } from "../src/domain/shared/criteria";
import { contactColumns, contactIndexedFields, userColumns, userIndexedFields, userRelationIndexes } from "../src/domain/users/user.query";
import { type TestApp, startTestApp } from "./support/test-app";

/**
 * What the domain says its indexes serve (user.query.ts, group.query.ts) decides which comparisons
 * count towards MAX_UNINDEXED_COMPARISONS. Each index named there must exist, as the migrations build
 * it: an index whose first columns, after organisationId, are the ones named.
 */

let app: TestApp;
beforeAll(async () => {
  // The app's database, built by the migrations.
  app = await startTestApp();
});
afterAll(() => app?.close());

/** Every index of these tables, each as its columns in order with a leading organisationId left out. */
async function indexesOf(ds: DataSource, tables: string[]): Promise<Map<string, string[][]>> {
  const byTable = new Map<string, Map<string, string[]>>(tables.map((t) => [t, new Map()]));
  for (const table of tables) {
    const rows: { idx: string; col: string }[] =
      ds.options.type === "better-sqlite3"
        ? await ds.query("SELECT il.name AS idx, ii.name AS col FROM pragma_index_list(?) il, pragma_index_info(il.name) ii ORDER BY il.name, ii.seqno", [table])
        : await ds.query("SELECT INDEX_NAME AS idx, COLUMN_NAME AS col FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ? ORDER BY INDEX_NAME, SEQ_IN_INDEX", [table]);
    for (const { idx, col } of rows) byTable.get(table)!.set(idx, [...(byTable.get(table)!.get(idx) ?? []), col]);
  }
  return new Map([...byTable].map(([table, indexes]) => [table, [...indexes.values()].map((cols) => (cols[0] === "organisationId" ? cols.slice(1) : cols))]));
}

/** The column a comparison of this field reads: its exact key copy, its key copy, or itself. */
const comparedColumn = (spec: ColumnSpec) => (spec.exactKeyColumn ?? spec.keyColumn ?? spec.column).replace(/^\w+\./, "");

const contactSpecs = contactColumns(new SqlWhereBuilder("sqlite"));
const named: [string, IndexedBy, ColumnSpec | undefined][] = [
  ...Object.entries(userIndexedFields).map(([f, i]): [string, IndexedBy, ColumnSpec] => [`user field ${f}`, i!, userColumns[f as keyof typeof userColumns]]),
  ...Object.entries(contactIndexedFields).map(([f, i]): [string, IndexedBy, ColumnSpec] => [`contact field ${f}`, i!, contactSpecs[f as keyof typeof contactSpecs]]),
  ...Object.entries(userRelationIndexes).map(([r, i]): [string, IndexedBy, undefined] => [`user relation ${r}`, i, undefined]),
  ...Object.entries(groupIndexedFields).map(([f, i]): [string, IndexedBy, ColumnSpec] => [`group field ${f}`, i!, groupColumns[f as keyof typeof groupColumns]]),
  ...Object.entries(groupRelationIndexes).map(([r, i]): [string, IndexedBy, undefined] => [`group relation ${r}`, i, undefined]),
];

test("every field and relation the domain calls indexed has an index the migrations build, starting (after organisationId) with the columns it compares", async () => {
  const indexes = await indexesOf(app.dataSource, [...new Set(named.map(([, i]) => i.table))]);
  const unserved = named.filter(([, index]) => !(indexes.get(index.table) ?? []).some((cols) => index.columns.every((c, n) => cols[n] === c)));
  expect(unserved.map(([name, i]) => `${name}: no index on ${i.table} starts with (${i.columns.join(", ")})`)).toEqual([]);
  // The index's columns are the ones the SQL compares (a key copy where the field has one).
  const elsewhere = named.filter(([, index, spec]) => spec && comparedColumn(spec) !== index.columns.at(-1));
  expect(elsewhere.map(([name, i, spec]) => `${name}: compares ${comparedColumn(spec!)}, not ${i.columns.at(-1)}`)).toEqual([]);
  // Not vacuous: the primary keys and the unique keys are among what was read.
  expect(indexes.get("users")).toEqual(expect.arrayContaining([["id"], ["userNameKey"]]));
  expect(indexes.get("groups")).toEqual(expect.arrayContaining([["id"], ["displayNameKey"]]));
});
