import {
  invalidSyntax,
  invalidValue,
  payloadTooLarge,
  ScimError,
  toScimErrorBody,
  URN_BULK_REQUEST,
  URN_BULK_RESPONSE,
  type ScimErrorBody,
} from './errors';
import { getKey, isObject, type Json } from './values';

export type BulkMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface BulkOperation {
  method: BulkMethod;
  path: string;
  bulkId?: string;
  version?: string;
  data?: Json;
}

export interface BulkRequest {
  failOnErrors?: number;
  operations: BulkOperation[];
}

export interface BulkLimits {
  maxOperations: number;
  maxPayloadSize: number;
  /** Size of the request body as received, in bytes. */
  payloadBytes: number;
}

const METHODS: readonly BulkMethod[] = ['POST', 'PUT', 'PATCH', 'DELETE'];

/** Validates a BulkRequest (RFC 7644 §3.7); exceeding either limit is 413 (§3.7.4). */
export function parseBulkRequest(body: unknown, limits: BulkLimits): BulkRequest {
  if (limits.payloadBytes > limits.maxPayloadSize) {
    throw payloadTooLarge(`The size of the bulk operation exceeds the maxPayloadSize (${limits.maxPayloadSize}).`);
  }
  if (!isObject(body)) throw invalidSyntax('the bulk request body must be a JSON object');
  const schemas = getKey(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN_BULK_REQUEST.toLowerCase())) {
    throw invalidSyntax(`"schemas" must contain "${URN_BULK_REQUEST}"`);
  }
  const ops = getKey(body, 'Operations');
  if (!Array.isArray(ops)) throw invalidSyntax('"Operations" must be an array');
  if (ops.length > limits.maxOperations) {
    throw payloadTooLarge(`The number of operations exceeds the maxOperations (${limits.maxOperations}).`);
  }
  const request: BulkRequest = { operations: [] };
  const failOnErrors = getKey(body, 'failOnErrors');
  if (failOnErrors !== undefined && failOnErrors !== null) {
    if (typeof failOnErrors !== 'number' || !Number.isInteger(failOnErrors) || failOnErrors < 1) {
      throw invalidValue('"failOnErrors" must be a positive integer');
    }
    request.failOnErrors = failOnErrors;
  }
  const seen = new Set<string>();
  ops.forEach((raw, i) => {
    const where = `Operations[${i}]`;
    if (!isObject(raw)) throw invalidSyntax(`${where} must be an object`);
    const methodRaw = getKey(raw, 'method');
    const method = typeof methodRaw === 'string' ? (methodRaw.toUpperCase() as BulkMethod) : undefined;
    if (!method || !METHODS.includes(method)) throw invalidSyntax(`${where}.method must be POST, PUT, PATCH or DELETE`);
    const path = getKey(raw, 'path');
    if (typeof path !== 'string' || !path.startsWith('/')) throw invalidSyntax(`${where}.path must be a string starting with "/"`);
    const segments = path.split('/').filter((s) => s !== '');
    if (method === 'POST' ? segments.length !== 1 : segments.length !== 2) {
      throw invalidSyntax(`${where}.path "${path}" must be ${method === 'POST' ? '"/{type}"' : '"/{type}/{id}"'}`);
    }
    const op: BulkOperation = { method, path };
    const bulkId = getKey(raw, 'bulkId');
    if (bulkId !== undefined && bulkId !== null) {
      if (typeof bulkId !== 'string' || bulkId === '') throw invalidSyntax(`${where}.bulkId must be a non-empty string`);
      if (seen.has(bulkId)) throw invalidSyntax(`${where}.bulkId "${bulkId}" is used twice`);
      seen.add(bulkId);
      op.bulkId = bulkId;
    } else if (method === 'POST') {
      throw invalidSyntax(`${where}: POST needs a "bulkId"`);
    }
    const version = getKey(raw, 'version');
    if (version !== undefined && version !== null) {
      if (typeof version !== 'string') throw invalidSyntax(`${where}.version must be a string`);
      op.version = version;
    }
    const data = getKey(raw, 'data');
    if (method !== 'DELETE') {
      if (!isObject(data)) throw invalidSyntax(`${where}: ${method} needs an object "data"`);
      op.data = data;
    }
    request.operations.push(op);
  });
  return request;
}

/** A "bulkId:x" reference to an operation that has not (successfully) created its resource. */
export class UnresolvedBulkIdError extends ScimError {
  constructor(readonly bulkId: string) {
    super(409, `bulkId "${bulkId}" cannot be resolved`, 'invalidValue');
    this.name = 'UnresolvedBulkIdError';
  }
}

const BULK_REF = /^bulkId:(.+)$/;

/** The bulkIds a value refers to, so a caller can order operations or detect cycles. */
export function findBulkIdReferences(value: unknown, found = new Set<string>()): Set<string> {
  if (typeof value === 'string') {
    const m = BULK_REF.exec(value);
    if (m) found.add(m[1]!);
  } else if (Array.isArray(value)) value.forEach((v) => findBulkIdReferences(v, found));
  else if (isObject(value)) Object.values(value).forEach((v) => findBulkIdReferences(v, found));
  return found;
}

/** Replaces every `"bulkId:x"` string with the id created for x; throws UnresolvedBulkIdError. */
export function resolveBulkIdReferences<T>(value: T, ids: ReadonlyMap<string, string> | Readonly<Record<string, string>>): T {
  const lookup = (id: string) => (ids instanceof Map ? ids.get(id) : (ids as Record<string, string>)[id]);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const m = BULK_REF.exec(v);
      if (!m) return v;
      const resolved = lookup(m[1]!);
      if (resolved === undefined) throw new UnresolvedBulkIdError(m[1]!);
      return resolved;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/**
 * An operation's path with a `bulkId:x` id segment (`/Users/bulkId:u1`, RFC 7644 §3.7.2) replaced by
 * the id created for x, as `/{type}/{id}`; throws UnresolvedBulkIdError like a reference in data.
 */
export function resolveBulkIdPath(path: string, ids: ReadonlyMap<string, string> | Readonly<Record<string, string>>): string {
  const [type, id] = path.split('/').filter((s) => s !== '');
  return id === undefined ? `/${type}` : `/${type}/${resolveBulkIdReferences(id, ids)}`;
}

export interface BulkOperationResult {
  method: BulkMethod;
  bulkId?: string;
  version?: string;
  location?: string;
  status: number | string;
  response?: unknown;
}

export interface BulkResponse {
  schemas: [typeof URN_BULK_RESPONSE];
  Operations: (Omit<BulkOperationResult, 'status'> & { status: string })[];
}

/** RFC 7644 §3.7.3 BulkResponse; statuses are strings. */
export function bulkResponse(results: readonly BulkOperationResult[]): BulkResponse {
  return {
    schemas: [URN_BULK_RESPONSE],
    Operations: results.map((r) => ({ ...r, status: String(r.status) })),
  };
}

/** The result entry for an operation that failed with `err`. */
export function bulkErrorResult(op: Pick<BulkOperation, 'method' | 'bulkId'>, err: ScimError): BulkOperationResult {
  const result: BulkOperationResult & { response: ScimErrorBody } = {
    method: op.method,
    status: String(err.status),
    response: toScimErrorBody(err),
  };
  if (op.bulkId !== undefined) result.bulkId = op.bulkId;
  return result;
}
