import type { SqlDialect } from "../../platform/database";
import { DomainError } from "./domain-error";
import { caseInsensitiveKey, lowerCaseKey } from "./normalise";

/**
 * A resource-neutral boolean query over whitelisted fields. Adapters (SCIM filters, GraphQL
 * filters) translate into it; only this module turns it into SQL, and only with bound parameters.
 */
export type Comparison = "eq" | "ne" | "co" | "sw" | "ew" | "gt" | "ge" | "lt" | "le" | "pr";
export type ScalarValue = string | number | boolean | Date | null;

export type Criteria<F extends string, R> =
  | { kind: "and" | "or"; items: Criteria<F, R>[] }
  | { kind: "not"; item: Criteria<F, R> }
  | { kind: "compare"; field: F; op: Comparison; value?: ScalarValue }
  | { kind: "related"; relation: R }
  | { kind: "all" }
  | { kind: "none" };

export interface ColumnSpec {
  /** SQL expression of the column, e.g. `u.userName` (already quoted where needed). */
  column: string;
  type: "string" | "boolean" | "date" | "number";
  caseExact?: boolean;
  /** Its indexed key copy, used for case-insensitive equality. */
  keyColumn?: string;
  /**
   * How writes compute that key from the value (default `caseInsensitiveKey`): an equality filter
   * must compute exactly the same, or it finds nothing. A key cut short (`keyLength`) is followed by
   * a comparison of the whole value.
   */
  keyOf?: (value: string) => string;
  keyLength?: number;
  /**
   * For a case-exact column, its indexed `lowerCaseKey` copy: equality reads the
   * index by it, then compares exactly (the column itself has no index of its own).
   */
  exactKeyColumn?: string;
}

/**
 * What ORDER BY reads for a column. A case-insensitive string (RFC 7644 §3.4.2.3: caseExact false)
 * sorts by its whole case-folded key where it has one (unique, indexed, the same bytes on both
 * databases), else by LOWER(column) as filters compare it; SQLite's own order is case-sensitive.
 */
export function sortColumnOf(spec: ColumnSpec): string {
  if (spec.type !== "string" || spec.caseExact) return spec.column;
  return spec.keyColumn && spec.keyLength === undefined ? spec.keyColumn : `LOWER(${spec.column})`;
}

export const and = <F extends string, R>(...items: Criteria<F, R>[]): Criteria<F, R> => ({ kind: "and", items });

/**
 * The most comparisons one query's criteria may make that no index serves (`assertFewUnindexedComparisons`).
 * Each such comparison is evaluated for every user of the organisation the query walks, a contact's
 * inside a subquery per user: 125 `not (emails.value co "i")` joined by `and` (a SCIM filter under
 * its 4,096 characters) cost ~620 ms of MariaDB's time over 3,000 users. Okta and Entra send one `eq`.
 */
export const MAX_UNINDEXED_COMPARISONS = 10;

/** What an index over a whole key serves: equality, a prefix (`sw`) and ranges. */
export const KEY_INDEX_OPS: ReadonlySet<Comparison> = new Set(["eq", "sw", "gt", "ge", "lt", "le"]);
export const EQUALITY: ReadonlySet<Comparison> = new Set(["eq"]);

/**
 * An index that serves some comparisons: its table and the columns it starts with (after
 * organisationId, when it starts with that) that the comparison reads. The migrations build it;
 * test/indexed-criteria.test.ts checks every one against the database's own list of indexes.
 */
export interface IndexedBy {
  table: string;
  columns: readonly string[];
  ops: ReadonlySet<Comparison>;
}

/** What the indexes of a resource serve, for the criteria over its fields and relations. */
export interface CriteriaIndexes<F extends string, R> {
  /** The fields an index serves (for its `ops`); any other comparison of a field counts. */
  fields: Partial<Record<F, IndexedBy>>;
  /** How many comparisons a relation makes that no index serves (`negated`: under a `not`). */
  related(relation: R, negated: boolean): number;
}

/** 0 when `index` serves `op`, else 1: an index finds no rows by what they are not, so under a `not` always 1. */
export const unindexedBy = (index: IndexedBy | undefined, op: Comparison, negated: boolean): number => (!negated && index?.ops.has(op) ? 0 : 1);

/** The comparisons of a criteria tree, as it is written, that no index serves. */
export function unindexedComparisons<F extends string, R>(criteria: Criteria<F, R>, indexes: CriteriaIndexes<F, R>, negated = false): number {
  switch (criteria.kind) {
    case "all":
    case "none":
      return 0;
    case "and":
    case "or":
      return criteria.items.reduce((n, item) => n + unindexedComparisons(item, indexes, negated), 0);
    case "not":
      return unindexedComparisons(criteria.item, indexes, true);
    case "compare":
      return unindexedBy(indexes.fields[criteria.field], criteria.op, negated);
    case "related":
      return indexes.related(criteria.relation, negated);
  }
}

/** Refuses (QUERY_TOO_COSTLY) criteria that make more than MAX_UNINDEXED_COMPARISONS comparisons no index serves. */
export function assertFewUnindexedComparisons<F extends string, R>(criteria: Criteria<F, R>, indexes: CriteriaIndexes<F, R>): void {
  if (unindexedComparisons(criteria, indexes) > MAX_UNINDEXED_COMPARISONS) {
    throw new DomainError(
      "QUERY_TOO_COSTLY",
      `the filter makes more than ${MAX_UNINDEXED_COMPARISONS} comparisons that no index serves (co, ew, ne, pr, anything under not, and eq or sw on attributes without an index): at most ${MAX_UNINDEXED_COMPARISONS} in one filter`,
    );
  }
}

/** Collects bound parameters while SQL fragments are built. */
export class SqlWhereBuilder {
  readonly params: Record<string, unknown> = {};
  private counter = 0;

  constructor(readonly dialect: SqlDialect) {}

  quote(identifier: string): string {
    return this.dialect === "mysql" ? `\`${identifier}\`` : `"${identifier}"`;
  }

  param(value: unknown): string {
    const name = `w${this.counter++}`;
    this.params[name] = this.bindable(value);
    return `:${name}`;
  }

  /** better-sqlite3 binds neither booleans nor Dates; TypeORM stores SQLite datetimes as UTC text. */
  private bindable(value: unknown): unknown {
    if (typeof value === "boolean") return value ? 1 : 0;
    if (value instanceof Date && this.dialect === "sqlite") return value.toISOString().replace("T", " ").replace("Z", "");
    return value;
  }

  compile<F extends string, R>(
    criteria: Criteria<F, R>,
    columns: Record<F, ColumnSpec>,
    related: (relation: R) => string,
  ): string {
    switch (criteria.kind) {
      case "all":
        return "1=1";
      case "none":
        return "1=0";
      case "and":
      case "or": {
        if (criteria.items.length === 0) return criteria.kind === "and" ? "1=1" : "1=0";
        const parts = criteria.items.map((c) => `(${this.compile(c, columns, related)})`);
        return parts.join(criteria.kind === "and" ? " AND " : " OR ");
      }
      case "not":
        return `NOT (${this.compile(criteria.item, columns, related)})`;
      case "related":
        return related(criteria.relation);
      case "compare":
        return this.comparison(columns[criteria.field], criteria.op, criteria.value ?? null);
    }
  }

  /**
   * A text column lower-cased for a case-insensitive comparison with a value lower-cased in
   * JavaScript, accents counting, the same on both databases: SQLite's LOWER folds ASCII only ("ZOË"
   * stayed "zoË", and a search typed as shown found nothing), and MariaDB's _ci collations ignored
   * accents ("Angstrom" found "Ångström"). SQLite: roster_lower, JavaScript's toLowerCase (registered
   * on every connection, see data-source.ts); MariaDB: LOWER compared byte for byte.
   */
  private folded(col: string): string {
    return this.dialect === "mysql" ? `CONVERT(LOWER(${col}) USING utf8mb4) COLLATE utf8mb4_bin` : `roster_lower(${col})`;
  }

  comparison(spec: ColumnSpec, op: Comparison, value: ScalarValue): string {
    const col = spec.column;
    if (op === "pr") return spec.type === "string" ? `(${col} IS NOT NULL AND ${col} <> '')` : `${col} IS NOT NULL`;
    if (value === null) {
      // `eq null` asks for absence (RFC 7644 §3.4.2.2 treats null as "no value").
      if (op === "eq") return `${col} IS NULL`;
      if (op === "ne") return `${col} IS NOT NULL`;
      return "1=0";
    }
    if (op === "ne") return `(${col} IS NULL OR NOT (${this.comparison(spec, "eq", value)}))`;
    if (spec.type !== "string") {
      const v = spec.type === "boolean" ? Boolean(value) : value;
      const sqlOp = { eq: "=", gt: ">", ge: ">=", lt: "<", le: "<=" }[op as "eq"];
      if (!sqlOp) return "1=0"; // co/sw/ew make no sense on non-strings; callers reject them first
      return `${col} ${sqlOp} ${this.param(v)}`;
    }
    const text = String(value);
    if (op === "co" || op === "sw" || op === "ew") {
      const escaped = text.replace(/[\\%_]/g, (c) => `\\${c}`);
      const pattern = op === "co" ? `%${escaped}%` : op === "sw" ? `${escaped}%` : `%${escaped}`;
      // A backslash is an escape character inside MySQL string literals, not inside SQLite's.
      const escapeClause = this.dialect === "mysql" ? "ESCAPE '\\\\'" : "ESCAPE '\\'";
      // A whole key column holds what the pattern is matched against, compared byte for byte on both
      // databases, and its index serves `sw`: LOWER(column) read every row of the organisation.
      if (!spec.caseExact && spec.keyColumn && spec.keyLength === undefined) return `${spec.keyColumn} LIKE ${this.param((spec.keyOf ?? caseInsensitiveKey)(pattern))} ${escapeClause}`;
      if (!spec.caseExact) return `${this.folded(col)} LIKE ${this.param(pattern.toLowerCase())} ${escapeClause}`;
      if (this.dialect === "mysql") return `${col} LIKE BINARY ${this.param(pattern)} ${escapeClause}`;
      // SQLite's LIKE ignores ASCII case: GLOB is its case-sensitive matcher.
      const glob = text.replace(/[[\]*?]/g, (c) => `[${c}]`);
      return `${col} GLOB ${this.param(op === "co" ? `*${glob}*` : op === "sw" ? `${glob}*` : `*${glob}`)}`;
    }
    const sqlOp = { eq: "=", gt: ">", ge: ">=", lt: "<", le: "<=" }[op];
    if (!spec.caseExact) {
      if (spec.keyColumn) {
        const key = (spec.keyOf ?? caseInsensitiveKey)(text);
        const byKey = `${spec.keyColumn} ${sqlOp} ${this.param(key)}`;
        if (op === "eq") return spec.keyLength !== undefined && key.length >= spec.keyLength ? `(${byKey} AND ${this.folded(col)} = ${this.param(text.toLowerCase())})` : byKey;
        // Ordering by a whole key: the order of the key index, the same on both databases.
        if (spec.keyLength === undefined) return byKey;
      }
      return `${this.folded(col)} ${sqlOp} ${this.param(text.toLowerCase())}`;
    }
    const exact = this.dialect === "mysql" ? `${col} ${sqlOp} BINARY ${this.param(text)}` : `${col} ${sqlOp} ${this.param(text)}`;
    if (op === "eq" && spec.exactKeyColumn) return `(${spec.exactKeyColumn} = ${this.param(lowerCaseKey(text))} AND ${exact})`;
    return exact;
  }
}
