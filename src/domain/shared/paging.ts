/** Offset paging, as SCIM lists use it (startIndex is 1-based there; 0-based here). */
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

export function decodeCursor(cursor: string): string {
  return Buffer.from(cursor, "base64url").toString("utf8");
}
