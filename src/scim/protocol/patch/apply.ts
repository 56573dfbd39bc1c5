import { invalidFilter, invalidPath, invalidValue, mutability, noTarget, ScimError } from '../errors';
import type { Filter } from '../filter/ast';
import { evaluateValueFilter } from '../filter/evaluate';
import {
  canonicalSchemaUrn,
  findByName,
  findExtension,
  formatAttrPath,
  splitSchemaPrefix,
  tryResolveAttribute,
  type ResolvedAttribute,
} from '../schema/resource-schema';
import type { AttributeDefinition, ResourceSchema } from '../schema/types';
import {
  addNote,
  coerceValue,
  countPrimaries,
  deepEqual,
  findKey,
  getKey,
  isEmpty,
  isObject,
  keepSinglePrimary,
  setKey,
  type Json,
} from '../values';
import { parsePatchPath, type PatchOperation, type PatchOpName, type PatchPath } from './request';

export interface DeltaMember {
  value: string;
  type?: string;
  display?: string;
  $ref?: string;
}

/**
 * Changes to a multi-valued attribute the caller never loads in full (a group's members).
 * Apply in this order: `replace` if set, else clear when `removeAll`; then `remove`; then `add`.
 */
export interface MultiValuedDelta {
  add: DeltaMember[];
  remove: string[];
  removeAll: boolean;
  replace?: DeltaMember[];
}

export interface PatchOptions {
  /** Multi-valued attributes returned as deltas instead of applied, e.g. ['members']. */
  deltaAttributes?: string[];
}

export interface PatchResult {
  resource: Json;
  /** Canonical top-level keys that changed: `name`, `urn:…:enterprise:2.0:User:manager`, `members`. */
  changed: string[];
  notes: string[];
  deltas: Record<string, MultiValuedDelta>;
}

/**
 * Applies PATCH operations (RFC 7644 §3.5.2) to a SCIM JSON resource without mutating it.
 */
export function applyPatch(
  resource: Json,
  operations: readonly PatchOperation[],
  schema: ResourceSchema,
  options: PatchOptions = {},
): PatchResult {
  return new Applier(resource, schema, options).run(operations);
}

/**
 * Whether an element takes the primary flag from the others: it is primary and, where the attribute
 * has a `value`, has one. A valueless entry (`emails[type eq "work"].primary` for a user without a
 * work email) is dropped on write, and must not first take the flag from the value that holds it.
 */
function claimsPrimary(def: AttributeDefinition, el: unknown): boolean {
  if (!isObject(el) || el['primary'] !== true) return false;
  return !findByName(def.subAttributes, 'value') || !isEmpty(el['value']);
}

interface Target {
  r: ResolvedAttribute;
  path: PatchPath;
  shown: string;
}

class Applier {
  private readonly res: Json;
  private readonly notes: string[] = [];
  private readonly touched = new Set<string>();
  private readonly deltas: Record<string, MultiValuedDelta> = {};
  private readonly deltaKeys: Set<string>;

  constructor(
    private readonly original: Json,
    private readonly schema: ResourceSchema,
    options: PatchOptions,
  ) {
    this.res = structuredClone(original);
    this.deltaKeys = new Set(
      (options.deltaAttributes ?? []).map((name) => {
        const r = tryResolveAttribute(schema, name);
        if (!r || !r.attribute.multiValued) throw new Error(`deltaAttributes: "${name}" is not a multi-valued attribute`);
        return r.key;
      }),
    );
  }

  run(operations: readonly PatchOperation[]): PatchResult {
    for (const op of operations) {
      if (op.path) this.applyPath(op.op, op.path, op.pathText ?? formatAttrPath(op.path), op.value, 'value' in op);
      else this.applyValueObject(op.op, op.value);
    }
    this.dropEmptyExtensions();
    const changed = [...this.touched].filter(
      (key) => this.deltas[key] !== undefined || !deepEqual(this.read(this.original, key), this.read(this.res, key)),
    );
    return { resource: this.res, changed, notes: this.notes, deltas: this.deltas };
  }

  // ---- path-less operations: every key of the value object is a path --------------------------

  private applyValueObject(op: PatchOpName, value: unknown): void {
    if (!isObject(value)) throw invalidValue(`${op} without a "path" needs an object "value"`);
    for (const [key, v] of Object.entries(value)) {
      if (key.toLowerCase() === 'schemas') continue;
      const ext = findExtension(this.schema, key);
      if (ext) {
        if (v === null) {
          if (op === 'replace') this.removeExtension(ext.schemaUrn);
          continue;
        }
        if (!isObject(v)) throw invalidValue(`"${ext.schemaUrn}" must be an object`);
        for (const [sub, sv] of Object.entries(v)) this.applyKey(op, `${ext.schemaUrn}:${sub}`, sv);
        continue;
      }
      this.applyKey(op, key, v);
    }
  }

  private applyKey(op: PatchOpName, key: string, value: unknown): void {
    if (/^urn:/i.test(key)) {
      const { schemaUrn } = splitSchemaPrefix(this.schema, key);
      if (schemaUrn === undefined || canonicalSchemaUrn(this.schema, schemaUrn) === undefined) {
        // An object under a URN key is an extension object: the whole key is the schema.
        addNote(this.notes, `unknown schema ignored: ${isObject(value) ? key : (schemaUrn ?? key)}`);
        return;
      }
    }
    let path: PatchPath;
    try {
      path = parsePatchPath(key);
    } catch (err) {
      throw err instanceof ScimError ? invalidPath(`invalid attribute name "${key}" in value`) : err;
    }
    // A key may carry a value filter: Entra's path-less replace (with `aadOptscim062020`) sends
    // `{"emails[type eq \"work\"].value": "…", "name.givenName": "…"}`, each key a path.
    const r = this.resolve(path, key);
    // Okta repeats the resource's own id in path-less replaces.
    if (!r.extension && r.attribute.name === 'id' && !path.subAttribute && value === this.res['id']) {
      addNote(this.notes, 'id equal to the resource id ignored');
      return;
    }
    this.applyPath(op, path, key, value, true);
  }

  // ---- operations with a path ------------------------------------------------------------------

  private resolve(path: PatchPath, shown: string): ResolvedAttribute {
    // With a value filter the sub-attribute applies to the filtered elements, not the path.
    const attrPath = path.valueFilter ? { ...path, subAttribute: undefined } : path;
    const r = tryResolveAttribute(this.schema, attrPath as PatchPath);
    if (!r) throw invalidPath(`unknown attribute "${shown}"`);
    return r;
  }

  private applyPath(op: PatchOpName, path: PatchPath, shown: string, value: unknown, hasValue: boolean): void {
    // A path naming a whole extension: `urn:…:enterprise:2.0:User`.
    if (path.schema !== undefined && !path.valueFilter && path.subAttribute === undefined) {
      const ext = findExtension(this.schema, `${path.schema}:${path.attribute}`);
      if (ext) {
        if (op === 'remove') this.removeExtension(ext.schemaUrn);
        else this.applyValueObject(op, { [ext.schemaUrn]: value });
        return;
      }
    }
    const r = this.resolve(path, shown);
    const target: Target = { r, path, shown };
    if (this.deltaKeys.has(r.key)) return this.applyDelta(op, target, value, hasValue);
    if (r.attribute.mutability === 'readOnly') throw mutability(`attribute "${r.key}" is read-only`);
    this.touched.add(r.key);
    if (path.valueFilter) {
      if (!r.attribute.multiValued || r.attribute.type !== 'complex') {
        throw invalidPath(`"${r.key}" is not a complex multi-valued attribute; "${shown}" cannot filter it`);
      }
      // An unknown name inside the brackets makes the path invalid, as one after them does; it had
      // matched nothing (noTarget), or been ignored beside a known one (`nosuch pr or type eq "work"`).
      const unknown = unknownFilterAttribute(path.valueFilter, r.attribute);
      if (unknown !== undefined) throw invalidPath(`unknown attribute "${r.key}.${unknown}" in "${shown}"`);
      let sub: AttributeDefinition | undefined;
      if (path.subAttribute !== undefined) {
        sub = findByName(r.attribute.subAttributes, path.subAttribute);
        if (!sub) throw invalidPath(`unknown attribute "${r.key}.${path.subAttribute}"`);
      }
      return this.applyFiltered(op, target, path.valueFilter, sub, value);
    }
    if (r.subAttribute) {
      if (r.attribute.multiValued) {
        throw invalidPath(`"${shown}": a sub-attribute of a multi-valued attribute needs a value filter`);
      }
      return this.applySub(op, target, r.subAttribute, value);
    }
    return this.applyAttribute(op, target, value, hasValue);
  }

  private applyAttribute(op: PatchOpName, { r }: Target, value: unknown, hasValue: boolean): void {
    const def = r.attribute;
    const container = this.container(r, op !== 'remove' && value !== null);
    const current = container ? getKey(container, def.name) : undefined;
    if (op === 'remove' && hasValue && value !== null && value !== undefined && def.multiValued) {
      // Not in the RFC but sent by Entra ID: remove these values only.
      const doomed = coerceValue(def, value, r.key, { notes: this.notes, unknown: 'error' }) as unknown[];
      const items = Array.isArray(current) ? current : [];
      const kept = items.filter((el) => !doomed.some((d) => sameValue(def, el, d)));
      if (container) setKey(container, def.name, kept);
      return;
    }
    if (op === 'remove' || value === null) {
      if (def.required) throw invalidValue(`required attribute "${r.key}" cannot be removed`);
      if (def.mutability === 'immutable' && !isEmpty(current)) throw mutability(`attribute "${r.key}" is immutable`);
      if (container) setKey(container, def.name, undefined);
      return;
    }
    const coerced = coerceValue(def, value, r.key, { notes: this.notes, unknown: 'error' });
    let next: unknown = coerced;
    if (def.multiValued) {
      const incoming = coerced as unknown[];
      if (op === 'add') {
        const items = Array.isArray(current) ? [...current] : [];
        for (const el of incoming) {
          const at = items.findIndex((x) => sameValue(def, x, el));
          if (at >= 0) items[at] = isObject(items[at]) && isObject(el) ? { ...items[at], ...el } : el;
          else items.push(el);
          const placed = at >= 0 ? at : items.length - 1;
          if (claimsPrimary(def, items[placed])) keepSinglePrimary(items, placed);
        }
        next = items;
      } else if (countPrimaries(incoming) > 1) {
        throw invalidValue(`"${r.key}" may have at most one primary value`);
      }
    } else if (def.type === 'complex') {
      // RFC 7644 §3.5.2.1/3: sub-attributes not given are left unchanged.
      next = { ...(isObject(current) ? current : {}), ...(coerced as Json) };
    }
    if (def.mutability === 'immutable' && !isEmpty(current) && !deepEqual(current, next)) {
      throw mutability(`attribute "${r.key}" is immutable`);
    }
    setKey(container!, def.name, next);
  }

  private applySub(op: PatchOpName, { r }: Target, sub: AttributeDefinition, value: unknown): void {
    if (sub.mutability === 'readOnly') throw mutability(`attribute "${r.path}" is read-only`);
    const container = this.container(r, op !== 'remove' && value !== null);
    if (!container) return;
    const parent = getKey(container, r.attribute.name);
    const next: Json = isObject(parent) ? { ...parent } : {};
    if (op === 'remove' || value === null) {
      if (sub.required) throw invalidValue(`required attribute "${r.path}" cannot be removed`);
      setKey(next, sub.name, undefined);
    } else {
      setKey(next, sub.name, coerceValue(sub, value, r.path, { notes: this.notes, unknown: 'error' }));
    }
    setKey(container, r.attribute.name, next);
  }

  private applyFiltered(
    op: PatchOpName,
    { r, shown }: Target,
    filter: Filter,
    sub: AttributeDefinition | undefined,
    value: unknown,
  ): void {
    const def = r.attribute;
    const container = this.container(r, op !== 'remove');
    const current = container ? getKey(container, def.name) : undefined;
    const items: unknown[] = Array.isArray(current) ? current.map((x) => (isObject(x) ? { ...x } : x)) : [];
    const matched = items.map((el, i) => (evaluateValueFilter(filter, el, def) ? i : -1)).filter((i) => i >= 0);
    const opts = { notes: this.notes, unknown: 'error' as const };

    if (op === 'remove') {
      if (matched.length === 0) throw noTarget(`no value of "${r.key}" matches "${shown}"`);
      if (sub) {
        if (sub.required) throw invalidValue(`required attribute "${r.key}.${sub.name}" cannot be removed`);
        for (const i of matched) setKey(items[i] as Json, sub.name, undefined);
        setKey(container!, def.name, items.filter((el) => !isEmpty(el)));
      } else {
        setKey(container!, def.name, items.filter((_, i) => !matched.includes(i)));
      }
      return;
    }

    if (sub) {
      if (sub.mutability === 'readOnly') throw mutability(`attribute "${r.key}.${sub.name}" is read-only`);
      const subPath = `${r.key}.${sub.name}`;
      const coerced = coerceValue(sub, value, subPath, opts);
      if (matched.length > 0) {
        for (const i of matched) setKey(items[i] as Json, sub.name, coerced);
      } else {
        // No element matches: create one from the filter's equalities (Entra ID sends
        // `phoneNumbers[type eq "work"].value` for a user without a work phone).
        const created = this.elementFromFilter(filter, def, shown);
        setKey(created, sub.name, coerced);
        items.push(coerceValue({ ...def, multiValued: false }, created, r.key, opts));
        matched.push(items.length - 1);
      }
      // Checked after `.value` too: Entra may send `.primary` before `.value` for the same filter.
      const last = matched[matched.length - 1]!;
      if (claimsPrimary(def, items[last])) keepSinglePrimary(items, last);
    } else {
      const coerced = coerceValue({ ...def, multiValued: false }, value, r.key, opts) as Json;
      if (matched.length > 0) {
        for (const i of matched) items[i] = op === 'add' ? { ...(items[i] as Json), ...coerced } : { ...coerced };
      } else if (op === 'add') {
        items.push({ ...this.elementFromFilter(filter, def, shown), ...coerced });
        matched.push(items.length - 1);
      } else {
        // RFC 7644 §3.5.2.3: a value filter that matches nothing is noTarget.
        throw noTarget(`no value of "${r.key}" matches "${shown}"`);
      }
      const last = matched[matched.length - 1]!;
      if (claimsPrimary(def, items[last])) keepSinglePrimary(items, last);
    }
    setKey(container!, def.name, items.filter((el) => !isEmpty(el)));
  }

  /** `type eq "work" and display eq "x"` → `{type:'work', display:'x'}`; anything else is noTarget. */
  private elementFromFilter(filter: Filter, def: AttributeDefinition, shown: string): Json {
    const out: Json = {};
    const visit = (f: Filter): boolean => {
      if (f.kind === 'and') return visit(f.left) && visit(f.right);
      if (f.kind !== 'compare' || f.op !== 'eq' || f.value === null) return false;
      if (f.path.schema !== undefined || f.path.subAttribute !== undefined) return false;
      const sub = findByName(def.subAttributes, f.path.attribute);
      if (!sub) return false;
      out[sub.name] = f.value;
      return true;
    };
    if (!visit(filter)) throw noTarget(`no value of "${def.name}" matches "${shown}" and none can be created from it`);
    return out;
  }

  // ---- delta attributes (group members) --------------------------------------------------------

  private applyDelta(op: PatchOpName, { r, path, shown }: Target, value: unknown, hasValue: boolean): void {
    const key = r.key;
    if (r.subAttribute || path.subAttribute !== undefined) {
      throw invalidPath(`"${shown}" cannot be patched; patch "${key}" instead`);
    }
    const delta = (this.deltas[key] ??= { add: [], remove: [], removeAll: false });
    this.touched.add(key);
    if (path.valueFilter) {
      if (op !== 'remove') throw invalidPath(`only remove accepts a value filter on "${key}"`);
      return this.removeValues(delta, valueEqualities(path.valueFilter, key));
    }
    if (op === 'add') return this.addMembers(delta, this.toMembers(r.attribute, value, key));
    if (op === 'replace') {
      delta.replace = dedupe(this.toMembers(r.attribute, value ?? [], key));
      delta.add = [];
      delta.remove = [];
      delta.removeAll = false;
      return;
    }
    if (!hasValue || value === null || value === undefined) {
      delta.removeAll = true;
      delete delta.replace;
      delta.add = [];
      delta.remove = [];
      return;
    }
    this.removeValues(delta, this.toMembers(r.attribute, value, key).map((m) => m.value));
  }

  private addMembers(delta: MultiValuedDelta, members: DeltaMember[]): void {
    for (const m of members) {
      delta.remove = delta.remove.filter((v) => v !== m.value);
      const list = delta.replace ?? delta.add;
      const at = list.findIndex((x) => x.value === m.value);
      if (at >= 0) list[at] = m;
      else list.push(m);
    }
  }

  private removeValues(delta: MultiValuedDelta, values: string[]): void {
    for (const v of values) {
      delta.add = delta.add.filter((m) => m.value !== v);
      if (delta.replace) delta.replace = delta.replace.filter((m) => m.value !== v);
      else if (!delta.removeAll && !delta.remove.includes(v)) delta.remove.push(v);
    }
  }

  private toMembers(def: AttributeDefinition, value: unknown, key: string): DeltaMember[] {
    let items: unknown[];
    if (Array.isArray(value)) items = value;
    else {
      addNote(this.notes, `single value wrapped in an array: ${key}`);
      items = [value];
    }
    // A member's `type` is optional (RFC 7643 §4.2): one sent without it is left without, for the
    // service provider to tell what the value names.
    return items.map((el) => {
      if (!isObject(el)) throw invalidValue(`each "${key}" value must be an object with a "value"`);
      const m = {} as DeltaMember;
      for (const [k, v] of Object.entries(el)) {
        const sub = findByName(def.subAttributes, k);
        if (!sub || v === null || v === undefined) continue;
        if (typeof v !== 'string') throw invalidValue(`attribute "${key}.${sub.name}" must be a string`);
        (m as unknown as Json)[sub.name] = v;
      }
      if (typeof m.value !== 'string' || m.value === '') throw invalidValue(`each "${key}" value needs a "value"`);
      return m;
    });
  }

  // ---- storage helpers -------------------------------------------------------------------------

  /** The object holding the attribute: the resource, or its extension object (created on demand). */
  private container(r: ResolvedAttribute, create: boolean): Json | undefined {
    if (!r.extension) return this.res;
    const k = findKey(this.res, r.schemaUrn);
    const existing = k === undefined ? undefined : this.res[k];
    if (isObject(existing)) {
      if (k !== r.schemaUrn) {
        delete this.res[k!];
        this.res[r.schemaUrn] = existing;
      }
      return existing;
    }
    if (!create) return undefined;
    const ext: Json = {};
    this.res[r.schemaUrn] = ext;
    const schemas = Array.isArray(this.res['schemas']) ? (this.res['schemas'] as unknown[]) : [];
    if (!schemas.some((s) => typeof s === 'string' && s.toLowerCase() === r.schemaUrn.toLowerCase())) {
      this.res['schemas'] = [...schemas, r.schemaUrn];
    }
    return ext;
  }

  private removeExtension(urn: string): void {
    const ext = findExtension(this.schema, urn)!;
    if (ext.required) throw invalidValue(`required extension "${ext.schemaUrn}" cannot be removed`);
    const k = findKey(this.res, ext.schemaUrn);
    if (k === undefined) return;
    const obj = this.res[k];
    if (isObject(obj)) for (const name of Object.keys(obj)) this.touched.add(`${ext.schemaUrn}:${findByName(ext.attributes, name)?.name ?? name}`);
    delete this.res[k];
  }

  private dropEmptyExtensions(): void {
    for (const ext of this.schema.extensions) {
      const k = findKey(this.res, ext.schemaUrn);
      if (k !== undefined && isEmpty(this.res[k])) delete this.res[k];
      const present = k !== undefined && k in this.res;
      if (!present && Array.isArray(this.res['schemas'])) {
        this.res['schemas'] = (this.res['schemas'] as unknown[]).filter(
          (s) => !(typeof s === 'string' && s.toLowerCase() === ext.schemaUrn.toLowerCase()),
        );
      }
    }
  }

  private read(obj: Json, key: string): unknown {
    const { schemaUrn, rest } = splitSchemaPrefix(this.schema, key);
    if (schemaUrn === undefined) return getKey(obj, key);
    return getKey(getKey(obj, schemaUrn), rest);
  }
}

/** Two values of a multi-valued attribute are the same when their value (and type) agree. */
function sameValue(def: AttributeDefinition, a: unknown, b: unknown): boolean {
  if (isObject(a) && isObject(b) && a['value'] !== undefined && b['value'] !== undefined) {
    const exact = findByName(def.subAttributes, 'value')?.caseExact ?? false;
    const eq = (x: unknown, y: unknown) =>
      typeof x === 'string' && typeof y === 'string' && !exact ? x.toLowerCase() === y.toLowerCase() : deepEqual(x, y);
    const ta = a['type'];
    const tb = b['type'];
    return eq(a['value'], b['value']) && (ta === undefined || tb === undefined || eq(ta, tb));
  }
  return deepEqual(a, b);
}

function dedupe(members: DeltaMember[]): DeltaMember[] {
  const byValue = new Map<string, DeltaMember>();
  for (const m of members) byValue.set(m.value, m);
  return [...byValue.values()];
}

/** The first name in a value filter that is not a sub-attribute of `def` (shown as written), if any. */
function unknownFilterAttribute(filter: Filter, def: AttributeDefinition): string | undefined {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return unknownFilterAttribute(filter.left, def) ?? unknownFilterAttribute(filter.right, def);
    case 'not':
      return unknownFilterAttribute(filter.filter, def);
    case 'valuePath':
      return formatAttrPath(filter.path);
    case 'compare':
    case 'present':
      return filter.path.schema === undefined && filter.path.subAttribute === undefined && findByName(def.subAttributes, filter.path.attribute) ? undefined : formatAttrPath(filter.path);
  }
}

/** `value eq "a" or value eq "b"` → ['a', 'b']; any other member filter is invalidFilter. */
function valueEqualities(filter: Filter, key: string): string[] {
  if (filter.kind === 'or') return [...valueEqualities(filter.left, key), ...valueEqualities(filter.right, key)];
  if (
    filter.kind === 'compare' &&
    filter.op === 'eq' &&
    typeof filter.value === 'string' &&
    filter.path.schema === undefined &&
    filter.path.subAttribute === undefined &&
    filter.path.attribute.toLowerCase() === 'value'
  ) {
    return [filter.value];
  }
  throw invalidFilter(`only "value eq" filters joined by "or" are supported on "${key}"`);
}
