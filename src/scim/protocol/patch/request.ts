import { invalidPath, invalidSyntax, invalidValue, noTarget, tooMany, URN_PATCH_OP } from '../errors';
import type { Filter } from '../filter/ast';
import { parsePathExpression, redactSecretValues, type FilterLimits } from '../filter/parser';
import { addNote, getKey, isObject } from '../values';

export type PatchOpName = 'add' | 'remove' | 'replace';

/** A PATCH path as written (RFC 7644 §3.5.2); resolution against a schema happens when applying. */
export interface PatchPath {
  schema?: string;
  attribute: string;
  valueFilter?: Filter;
  subAttribute?: string;
}

export interface PatchOperation {
  op: PatchOpName;
  path?: PatchPath;
  /** The path as sent, for messages: a value it compares with a secret attribute (password) redacted. */
  pathText?: string;
  value?: unknown;
}

export interface PatchRequest {
  operations: PatchOperation[];
  notes: string[];
}

/** `members[value eq "2819c223"]`, `emails[type eq "work"].value`, `urn:…:User:manager`, `name.givenName`. */
export function parsePatchPath(text: string, limits: FilterLimits = {}): PatchPath {
  if (typeof text !== 'string') throw invalidPath('path must be a string');
  const parsed = parsePathExpression(text, limits);
  const path: PatchPath = { attribute: parsed.path.attribute };
  if (parsed.path.schema !== undefined) path.schema = parsed.path.schema;
  if (parsed.valueFilter !== undefined) path.valueFilter = parsed.valueFilter;
  if (parsed.subAttribute !== undefined) path.subAttribute = parsed.subAttribute;
  return path;
}

const OPS: readonly PatchOpName[] = ['add', 'remove', 'replace'];

/** Validates a PatchOp message (RFC 7644 §3.5.2). */
export function parsePatchRequest(
  body: unknown,
  limits: { maxOperations: number } & FilterLimits,
): PatchRequest {
  if (!isObject(body)) throw invalidSyntax('the PATCH body must be a JSON object');
  const schemas = getKey(body, 'schemas');
  if (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === URN_PATCH_OP.toLowerCase())) {
    throw invalidSyntax(`"schemas" must contain "${URN_PATCH_OP}"`);
  }
  const ops = getKey(body, 'Operations');
  if (!Array.isArray(ops) || ops.length === 0) throw invalidSyntax('"Operations" must be a non-empty array');
  if (ops.length > limits.maxOperations) {
    throw tooMany(`${ops.length} operations exceed the limit of ${limits.maxOperations}`);
  }
  const notes: string[] = [];
  const operations = ops.map((raw, i): PatchOperation => {
    const where = `Operations[${i}]`;
    if (!isObject(raw)) throw invalidSyntax(`${where} must be an object`);
    const opRaw = getKey(raw, 'op');
    if (typeof opRaw !== 'string' || !OPS.includes(opRaw.toLowerCase() as PatchOpName)) {
      throw invalidSyntax(`${where}.op must be "add", "remove" or "replace"`);
    }
    const op = opRaw.toLowerCase() as PatchOpName;
    if (op !== opRaw) addNote(notes, 'op name lower-cased');
    const operation: PatchOperation = { op };
    const pathRaw = getKey(raw, 'path');
    if (pathRaw !== undefined && pathRaw !== null) {
      if (typeof pathRaw !== 'string') throw invalidPath(`${where}.path must be a string`);
      operation.path = parsePatchPath(pathRaw, limits);
      operation.pathText = redactSecretValues(pathRaw, 'path');
    }
    const hasValue = raw !== undefined && Object.keys(raw).some((k) => k.toLowerCase() === 'value');
    if (hasValue) operation.value = getKey(raw, 'value');
    if (op === 'remove') {
      if (!operation.path) throw noTarget(`${where}: remove needs a "path"`);
    } else if (!hasValue) {
      throw invalidValue(`${where}: ${op} needs a "value"`);
    } else if (!operation.path && !isObject(operation.value)) {
      throw invalidValue(`${where}: ${op} without a "path" needs an object "value"`);
    }
    return operation;
  });
  return { operations, notes };
}
