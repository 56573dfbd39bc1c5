import { invalidPath, invalidValue } from './errors';
import { findByName } from './schema/resource-schema';
import type { AttributeDefinition } from './schema/types';

export type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Notes kept per request, and the one that then ends the list. Each unknown attribute or schema
 * has a note of its own: a 600 KB body of 40,000 unknown attributes made 40,000 notes, each
 * checked against all the notes before it (21 s of CPU, the event loop blocked throughout), and
 * all of them went to the provisioning log.
 */
export const MAX_NOTES = 50;
export const NOTES_LEFT_OUT = 'further notes left out';

/** Appends a note once: a body with 50 members produces one note, not 50. Past MAX_NOTES, only NOTES_LEFT_OUT. */
export function addNote(notes: string[], note: string): void {
  if (notes.length > MAX_NOTES || notes.includes(note)) return;
  notes.push(notes.length < MAX_NOTES ? note : NOTES_LEFT_OUT);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => deepEqual(a[k], b[k]));
  }
  return false;
}

/** The own key matching `name` case-insensitively, if any. */
export function findKey(obj: Json, name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(obj, name)) return name;
  const n = name.toLowerCase();
  return Object.keys(obj).find((k) => k.toLowerCase() === n);
}

export function getKey(obj: unknown, name: string): unknown {
  if (!isObject(obj)) return undefined;
  const k = findKey(obj, name);
  return k === undefined ? undefined : obj[k];
}

/** Writes under the canonical name, dropping other spellings; empty values unassign (RFC 7643 §2.5). */
export function setKey(obj: Json, name: string, value: unknown): void {
  const n = name.toLowerCase();
  for (const k of Object.keys(obj)) if (k.toLowerCase() === n) delete obj[k];
  if (!isEmpty(value)) obj[name] = value;
}

export const isEmpty = (v: unknown): boolean =>
  v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.keys(v).length === 0);

// xsd:dateTime, also accepting a bare date (product "date" custom fields).
const DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)?$/i;

/**
 * An xsd:dateTime (or bare date) with a four-digit year, as a Date; undefined for anything else.
 * Date.parse alone also reads extended years (`+275760-09-13T00:00:00Z`), which no column holds:
 * compared as text on SQLite such a bound matched every row or none.
 */
export function parseDateTime(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !DATE_TIME.test(value)) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : new Date(t);
}

export interface CoerceOptions {
  notes: string[];
  /** Unknown sub-attributes: PATCH rejects them (invalidPath), POST/PUT bodies drop them with a note. */
  unknown: 'error' | 'drop';
}

/**
 * Validates a value against its definition and returns it with canonical sub-attribute names.
 * null stays null (the caller unassigns); read-only sub-attributes are dropped (RFC 7643 §2.2).
 */
export function coerceValue(def: AttributeDefinition, value: unknown, path: string, opts: CoerceOptions): unknown {
  if (value === null || value === undefined) return null;
  if (def.multiValued) {
    let items: unknown[];
    if (Array.isArray(value)) items = value;
    else {
      addNote(opts.notes, `single value wrapped in an array: ${path}`);
      items = [value];
    }
    return items.filter((x) => x !== null && x !== undefined).map((x) => coerceSingle(def, x, path, opts));
  }
  if (Array.isArray(value)) {
    // The mirror of the wrap above, for complex values only: IdPs send a manager as [{value}], in
    // PATCH as in POST. A simple attribute given an array (a title) stays an error.
    if (def.type !== 'complex' || value.length > 1) throw invalidValue(`attribute "${path}" is single-valued but an array was given`);
    addNote(opts.notes, `single value unwrapped from an array: ${path}`);
    return value.length === 0 ? null : coerceValue(def, value[0], path, opts);
  }
  return coerceSingle(def, value, path, opts);
}

/** The number grammar of RFC 8259 §6, nothing around it (filter literals and typed values alike). */
export const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

/**
 * A number attribute's value: a finite number, or a string that is exactly a JSON number ("42",
 * "-1.5e3"), as Entra ID sends typed values as strings. Spaces, hex, "" and "1e999" are undefined.
 */
export function jsonNumber(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && JSON_NUMBER.test(value) ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

function coerceSingle(def: AttributeDefinition, value: unknown, path: string, opts: CoerceOptions): unknown {
  const fail = (what: string) => invalidValue(`attribute "${path}" must be ${what}`);
  switch (def.type) {
    case 'string':
    case 'reference':
    case 'binary':
      if (typeof value !== 'string') throw fail('a string');
      return value;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string' && /^(true|false)$/i.test(value)) {
        // Entra ID sends "True"/"False" for active and primary.
        addNote(opts.notes, `string boolean coerced: ${path}`);
        return value.toLowerCase() === 'true';
      }
      throw fail('a boolean');
    case 'integer':
    case 'decimal': {
      // A string that is exactly a JSON number ("42", "-1.5e3"), as Entra ID sends typed values as
      // strings ("True" above): read as that number. Spaces, hex, "" and "1e999" stay errors.
      const n = jsonNumber(value);
      if (n === undefined || (def.type === 'integer' && !Number.isInteger(n))) throw fail(def.type === 'integer' ? 'an integer' : 'a number');
      if (typeof value === 'string') addNote(opts.notes, `string number coerced: ${path}`);
      return n;
    }
    case 'dateTime':
      if (parseDateTime(value) === undefined) throw fail('an xsd:dateTime string');
      return value;
    case 'complex': {
      let obj: unknown = value;
      if (!isObject(obj)) {
        if (!findByName(def.subAttributes, 'value')) throw fail('an object');
        // Entra ID sends the manager's id as a bare string.
        addNote(opts.notes, `scalar wrapped as {value}: ${path}`);
        obj = { value };
      }
      return coerceComplex(def, obj as Json, path, opts);
    }
  }
}

function coerceComplex(def: AttributeDefinition, obj: Json, path: string, opts: CoerceOptions): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    const sub = findByName(def.subAttributes, k);
    const subPath = `${path}.${sub?.name ?? k}`;
    if (!sub) {
      if (opts.unknown === 'error') throw invalidPath(`unknown attribute "${subPath}"`);
      addNote(opts.notes, `unknown attribute ignored: ${subPath}`);
      continue;
    }
    if (v === null || v === undefined) continue;
    if (sub.mutability === 'readOnly') {
      addNote(opts.notes, `read-only attribute ignored: ${subPath}`);
      continue;
    }
    out[sub.name] = coerceValue(sub, v, subPath, opts);
  }
  return out;
}

/** RFC 7643 §2.4: "primary" is true for at most one value; the one at `keep` wins. */
export function keepSinglePrimary(items: unknown[], keep: number): void {
  items.forEach((el, i) => {
    if (i !== keep && isObject(el) && el['primary'] === true) delete el['primary'];
  });
}

export function countPrimaries(items: unknown[]): number {
  return items.filter((el) => isObject(el) && el['primary'] === true).length;
}
