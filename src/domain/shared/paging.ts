/** Offset paging, as SCIM lists use it (startIndex is 1-based there; 0-based here). */
import { Brackets, type ObjectLiteral, type SelectQueryBuilder } from "typeorm";
import { invalidInput } from "./domain-error";
import type { SettledTotals } from "./settled-totals";

export interface OffsetPage {
  offset: number;
  limit: number;
}

/** Keyset paging, as GraphQL connections use it: `after` is an opaque cursor. */
export interface CursorPage {
  first: number;
  after?: string | null;
}

export interface Slice<T> {
  items: T[];
  totalCount: number;
}

export interface CursorSlice<T> {
  items: T[];
  totalCount: number;
  hasNextPage: boolean;
  endCursor: string | null;
}

export const encodeCursor = (key: string): string => Buffer.from(key, "utf8").toString("base64url");

/** Longer than any cursor a list gives (a key of 255 characters of up to 4 bytes each, in base64). */
const MAX_CURSOR_LENGTH = 2048;

const notACursor = () => invalidInput("after", "after is not a cursor this list gave");

/**
 * The key in a cursor, or INVALID_INPUT naming `after`: only what encodeCursor wrote decodes (Node's
 * base64 decoder skips what is not base64, so text of any kind would otherwise seek from some key).
 */
export function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, "base64url").toString("utf8");
  if (cursor.length > MAX_CURSOR_LENGTH || encodeCursor(key) !== cursor) throw notACursor();
  return key;
}

/**
 * A page from the rows read for it (`first + 1`: the extra row tells whether another page follows).
 * An empty page that another follows (`first: 0`) ends where it began, at `after`: a null endCursor
 * sent a client that followed it back to the first page.
 */
export function cursorSlice<T>(rows: T[], page: CursorPage, totalCount: number, cursorOf: (item: T) => string): CursorSlice<T> {
  const items = rows.slice(0, page.first);
  const hasNextPage = rows.length > page.first;
  const last = items.at(-1);
  return { items, totalCount, hasNextPage, endCursor: last !== undefined ? cursorOf(last) : hasNextPage ? (page.after ?? null) : null };
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
  if (page.after) {
    const { at, id } = decodeTimeCursor(page.after);
    qb.andWhere(new Brackets((w) => w.where(`${col} < :cursorAt`, { cursorAt: at }).orWhere(new Brackets((x) => x.where(`${col} = :cursorAt`, { cursorAt: at }).andWhere(`${alias}.id < :cursorId`, { cursorId: id })))));
  }
  const rows = await qb.orderBy(`${alias}.${timeColumn}`, "DESC").addOrderBy(`${alias}.id`, "DESC").take(page.first + 1).getMany();
  return cursorSlice(rows, page, totalCount, (row) => timeCursor(row[timeColumn] as Date, row.id));
}

export const timeCursor = (time: Date, id: string): string => encodeCursor(JSON.stringify([time.toISOString(), id]));

/** The time and id in a timeCursor, or INVALID_INPUT naming `after`: text that is not JSON failed in JSON.parse (a 500), and `["x", "y"]` sought before an invalid date (an empty page). */
function decodeTimeCursor(cursor: string): { at: Date; id: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decodeCursor(cursor));
  } catch {
    throw notACursor();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[0] !== "string" || typeof parsed[1] !== "string") throw notACursor();
  const at = new Date(parsed[0]);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== parsed[0]) throw notACursor();
  return { at, id: parsed[1] };
}
