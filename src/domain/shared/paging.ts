/** Offset paging, as SCIM lists use it (startIndex is 1-based there; 0-based here). */
import { Brackets, type ObjectLiteral, type SelectQueryBuilder } from "typeorm";
import { notACursor } from "./cursors";
import type { SettledTotals } from "./settled-totals";

export interface OffsetPage {
  offset: number;
  limit: number;
}

/**
 * Keyset paging, as GraphQL connections use it: the page starts after the row whose sort key is
 * `afterKey`. The API's cursors carry keys sealed (cursors.ts); a service sees only keys.
 */
export interface CursorPage {
  first: number;
  afterKey?: string | null;
}

export interface Slice<T> {
  items: T[];
  totalCount: number;
}

export interface CursorSlice<T> {
  items: T[];
  totalCount: number;
  hasNextPage: boolean;
  /** The sort key the next page starts after (null: none, or the start). */
  endKey: string | null;
  /** The sort key of an item (an edge's cursor holds it). */
  keyOf: (item: T) => string;
}

/**
 * A page from the rows read for it (`first + 1`: the extra row tells whether another page follows).
 * An empty page that another follows (`first: 0`) ends where it began, at `afterKey`: a null
 * endCursor sent a client that followed it back to the first page.
 */
export function cursorSlice<T>(rows: T[], page: CursorPage, totalCount: number, keyOf: (item: T) => string): CursorSlice<T> {
  const items = rows.slice(0, page.first);
  const hasNextPage = rows.length > page.first;
  const last = items.at(-1);
  return { items, totalCount, hasNextPage, endKey: last !== undefined ? keyOf(last) : hasNextPage ? (page.afterKey ?? null) : null, keyOf };
}

/** Whether a list counts its total (a GraphQL connection does only when `totalCount` is selected); -1 when it does not. */
export interface CountOption {
  count?: boolean;
}

/**
 * Newest-first keyset paging over (time, id) for append-only logs (audit trail, provisioning log):
 * applies `after`, orders, fetches one extra row to know whether another page exists. The total is
 * counted only when asked: counting a log reads all its matching entries (60 ms for the
 * provisioning log of 350,000 entries), which every page used to pay. With `settled`, it is counted
 * in two parts, the settled one kept (SettledTotals).
 */
export async function newestFirstPage<T extends ObjectLiteral & { id: string }>(
  qb: SelectQueryBuilder<T>,
  alias: string,
  timeColumn: keyof T & string,
  page: CursorPage,
  options: CountOption & { settled?: { totals: SettledTotals; list: string } } = {},
): Promise<CursorSlice<T>> {
  const col = `${alias}.${timeColumn}`;
  // A log's total in two parts (SettledTotals): its settled entries, kept, and those since.
  const countBetween = (from: Date | null, before: Date | null) => {
    const c = qb.clone();
    if (from) c.andWhere(`${col} >= :countFrom`, { countFrom: from });
    if (before) c.andWhere(`${col} < :countBefore`, { countBefore: before });
    return c.getCount();
  };
  const totalCount = options.count === false ? -1 : options.settled ? await options.settled.totals.total(options.settled.list, countBetween) : await qb.clone().getCount();
  if (page.afterKey) {
    const { at, id } = parseTimeKey(page.afterKey);
    qb.andWhere(new Brackets((w) => w.where(`${col} < :cursorAt`, { cursorAt: at }).orWhere(new Brackets((x) => x.where(`${col} = :cursorAt`, { cursorAt: at }).andWhere(`${alias}.id < :cursorId`, { cursorId: id })))));
  }
  const rows = await qb.orderBy(`${alias}.${timeColumn}`, "DESC").addOrderBy(`${alias}.id`, "DESC").take(page.first + 1).getMany();
  return cursorSlice(rows, page, totalCount, (row) => timeKey(row[timeColumn] as Date, row.id));
}

/**
 * One newest-first page of the union of disjoint lists, from each list's page of the same `page`
 * (same `first`, same `afterKey`): the newest `first` of their items. Their keys are the same
 * (time, id), so its end key starts the next page of each.
 */
export function mergeNewestFirst<T extends { id: string }>(slices: CursorSlice<T>[], page: CursorPage, timeOf: (item: T) => Date): CursorSlice<T> {
  const newestFirst = (a: T, b: T) => timeOf(b).getTime() - timeOf(a).getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  const rows = slices.flatMap((s) => s.items).sort(newestFirst);
  const items = rows.slice(0, page.first);
  const hasNextPage = rows.length > page.first || slices.some((s) => s.hasNextPage);
  const totalCount = slices.some((s) => s.totalCount < 0) ? -1 : slices.reduce((n, s) => n + s.totalCount, 0);
  const keyOf = slices[0].keyOf;
  const last = items.at(-1);
  return { items, totalCount, hasNextPage, endKey: last !== undefined ? keyOf(last) : hasNextPage ? (page.afterKey ?? null) : null, keyOf };
}

const timeKey = (time: Date, id: string): string => JSON.stringify([time.toISOString(), id]);

/**
 * The time and id in a timeKey, or INVALID_INPUT naming `after`. Only keys this list sealed reach
 * here (cursors.ts), so this guards against a change of the key's shape, not against input.
 */
function parseTimeKey(key: string): { at: Date; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(key);
  } catch {
    throw notACursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== "string" || typeof parsed[1] !== "string") throw notACursor();
  const at = new Date(parsed[0]);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== parsed[0]) throw notACursor();
  return { at, id: parsed[1] };
}
