import { invalidValue, URN_LIST_RESPONSE } from './errors';
import type { Filter } from './filter/ast';
import { parseFilter } from './filter/parser';
import { isObject } from './values';

export interface ListLimits {
  maxResults: number;
  defaultCount: number;
  maxFilterLength?: number;
  maxFilterDepth?: number;
}

export interface ListQuery {
  filter?: Filter;
  /** 1-based (RFC 7644 §3.4.2.4). */
  startIndex: number;
  count: number;
  sortBy?: string;
  sortOrder: 'ascending' | 'descending';
  attributes: string[];
  excludedAttributes: string[];
}

const PARAMS = ['filter', 'startIndex', 'count', 'sortBy', 'sortOrder', 'attributes', 'excludedAttributes'] as const;
type Param = (typeof PARAMS)[number];

function readParams(params: Record<string, unknown>): Partial<Record<Param, unknown>> {
  const out: Partial<Record<Param, unknown>> = {};
  for (const [k, v] of Object.entries(params)) {
    const p = PARAMS.find((name) => name.toLowerCase() === k.toLowerCase());
    if (p !== undefined && v !== undefined && v !== null) out[p] = v;
  }
  return out;
}

function integer(name: string, raw: unknown): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^\s*[+-]?\d+\s*$/.test(raw)) n = Number(raw);
  else throw invalidValue(`"${name}" must be an integer`);
  if (!Number.isInteger(n)) throw invalidValue(`"${name}" must be an integer`);
  // An integer of any size is one: the caller's count is capped and a startIndex past the end is an empty page.
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, n));
}

function single(name: string, raw: unknown): unknown {
  // Repeated query parameters arrive as arrays.
  if (Array.isArray(raw)) throw invalidValue(`"${name}" must be given once`);
  return raw;
}

function attributeList(name: string, raw: unknown): string[] {
  if (raw === undefined) return [];
  const parts = Array.isArray(raw) ? raw : [raw];
  return parts.flatMap((p) => {
    if (typeof p !== 'string') throw invalidValue(`"${name}" must be a comma-separated string or an array of strings`);
    return p.split(',').map((s) => s.trim()).filter((s) => s !== '');
  });
}

/**
 * Reads GET query parameters or a `.search` body (RFC 7644 §3.4.2, §3.4.3). Parameter names
 * are case-insensitive; unknown parameters are ignored.
 */
export function parseListQuery(params: Record<string, unknown>, limits: ListLimits): ListQuery {
  if (!isObject(params)) throw invalidValue('query parameters must be an object');
  const p = readParams(params);
  const query: ListQuery = {
    startIndex: 1,
    count: Math.min(limits.defaultCount, limits.maxResults),
    sortOrder: 'ascending',
    attributes: attributeList('attributes', p.attributes),
    excludedAttributes: attributeList('excludedAttributes', p.excludedAttributes),
  };
  const filter = single('filter', p.filter);
  if (filter !== undefined) {
    const filterLimits: { maxLength?: number; maxDepth?: number } = {};
    if (limits.maxFilterLength !== undefined) filterLimits.maxLength = limits.maxFilterLength;
    if (limits.maxFilterDepth !== undefined) filterLimits.maxDepth = limits.maxFilterDepth;
    query.filter = parseFilter(filter as string, filterLimits);
  }
  const startIndex = integer('startIndex', single('startIndex', p.startIndex));
  // §3.4.2.4: a startIndex below 1 is interpreted as 1; a negative count as 0.
  if (startIndex !== undefined) query.startIndex = Math.max(1, startIndex);
  const count = integer('count', single('count', p.count));
  if (count !== undefined) query.count = Math.min(Math.max(0, count), limits.maxResults);
  const sortBy = single('sortBy', p.sortBy);
  if (sortBy !== undefined) {
    if (typeof sortBy !== 'string') throw invalidValue('"sortBy" must be a string');
    if (sortBy.trim() !== '') query.sortBy = sortBy.trim();
  }
  const sortOrder = single('sortOrder', p.sortOrder);
  if (sortOrder !== undefined && sortOrder !== '') {
    const o = typeof sortOrder === 'string' ? sortOrder.toLowerCase() : '';
    if (o !== 'ascending' && o !== 'descending') throw invalidValue('"sortOrder" must be "ascending" or "descending"');
    query.sortOrder = o;
  }
  return query;
}

export interface ListResponse<T> {
  schemas: [typeof URN_LIST_RESPONSE];
  totalResults: number;
  startIndex: number;
  itemsPerPage: number;
  Resources: T[];
}

/** RFC 7644 §3.4.2 ListResponse. */
export function listResponse<T>(resources: T[], totalResults: number, startIndex: number): ListResponse<T> {
  return {
    schemas: [URN_LIST_RESPONSE],
    totalResults: Math.trunc(totalResults),
    startIndex: Math.trunc(startIndex),
    itemsPerPage: resources.length,
    Resources: resources,
  };
}
