import { canonicalSchemaUrn, coreAttributes, findByName, findExtension } from '../schema/resource-schema';
import type { AttributeDefinition, ResourceSchema } from '../schema/types';
import { getKey, isObject } from '../values';
import type { AttrPath, CompValue, CompareOp, Filter } from './ast';

interface Located {
  values: unknown[];
  /** The attribute's own values, before a complex multi-valued one is mapped to "value". */
  raw: unknown[];
  def?: AttributeDefinition;
}

/** Where relative names are looked up: the resource, or one element of a multi-valued attribute. */
interface Scope {
  container(obj: unknown, path: AttrPath): { obj: unknown; defs?: readonly AttributeDefinition[] };
}

const flatten = (v: unknown): unknown[] =>
  v === undefined || v === null ? [] : Array.isArray(v) ? v.filter((x) => x !== undefined && x !== null) : [v];

function locate(scope: Scope, obj: unknown, path: AttrPath): Located {
  const { obj: container, defs } = scope.container(obj, path);
  const def = findByName(defs, path.attribute);
  const own = getKey(container, path.attribute);
  const raw = flatten(own);
  if (path.subAttribute !== undefined) {
    const subDef = findByName(def?.subAttributes, path.subAttribute);
    const values = raw.flatMap((el) => flatten(getKey(el, path.subAttribute!)));
    return subDef ? { values, raw: values, def: subDef } : { values, raw: values };
  }
  // A complex multi-valued attribute compared without a sub-attribute compares its "value".
  if ((def ? def.multiValued : Array.isArray(own)) && raw.some(isObject)) {
    const valueDef = findByName(def?.subAttributes, 'value');
    const values = raw.flatMap((el) => (isObject(el) ? flatten(getKey(el, 'value')) : [el]));
    return valueDef ? { values, raw, def: valueDef } : { values, raw };
  }
  return def ? { values: raw, raw, def } : { values: raw, raw };
}

/** The elements of a multi-valued attribute and the scope of their sub-attributes. */
function elements(scope: Scope, obj: unknown, path: AttrPath): { items: unknown[]; inner: Scope } {
  const { obj: container, defs } = scope.container(obj, path);
  const subDefs = findByName(defs, path.attribute)?.subAttributes;
  return { items: flatten(getKey(container, path.attribute)), inner: attributeScope(subDefs) };
}

function attributeScope(defs: readonly AttributeDefinition[] | undefined): Scope {
  return { container: (obj) => (defs ? { obj, defs } : { obj }) };
}

function resourceScope(schema: ResourceSchema | undefined): Scope {
  return {
    container: (obj, path) => {
      if (path.schema === undefined) return schema ? { obj, defs: coreAttributes(schema) } : { obj };
      if (schema) {
        const urn = canonicalSchemaUrn(schema, path.schema);
        if (urn === undefined) return { obj: undefined };
        if (urn === schema.core.id) return { obj, defs: coreAttributes(schema) };
        return { obj: getKey(obj, urn), defs: findExtension(schema, urn)!.attributes };
      }
      const ext = getKey(obj, path.schema);
      return { obj: isObject(ext) ? ext : obj };
    },
  };
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:?\d{2})?)?$/;

function compareOne(actual: unknown, op: CompareOp, expected: CompValue, def?: AttributeDefinition): boolean {
  if (typeof actual === 'string' && typeof expected === 'string') {
    const dateLike = def ? def.type === 'dateTime' : DATE_TIME.test(actual) && DATE_TIME.test(expected);
    if (dateLike && op !== 'co' && op !== 'sw' && op !== 'ew') {
      const a = Date.parse(actual);
      const e = Date.parse(expected);
      if (!Number.isNaN(a) && !Number.isNaN(e)) return ordered(a, op, e);
    }
    const exact = def?.caseExact ?? false;
    const a = exact ? actual : actual.toLowerCase();
    const e = exact ? expected : expected.toLowerCase();
    switch (op) {
      case 'co':
        return a.includes(e);
      case 'sw':
        return a.startsWith(e);
      case 'ew':
        return a.endsWith(e);
      default:
        return ordered(a, op, e);
    }
  }
  if (typeof actual === 'number' && typeof expected === 'number') return ordered(actual, op, expected);
  if (typeof actual === 'boolean' && typeof expected === 'boolean') return op === 'eq' && actual === expected;
  // Entra quotes booleans in filters as in values: roles[primary eq "True"].
  if (typeof actual === 'boolean' && typeof expected === 'string' && /^(true|false)$/i.test(expected)) return op === 'eq' && actual === (expected.toLowerCase() === 'true');
  return false;
}

function ordered<T extends string | number>(a: T, op: CompareOp, e: T): boolean {
  switch (op) {
    case 'eq':
      return a === e;
    case 'gt':
      return a > e;
    case 'ge':
      return a >= e;
    case 'lt':
      return a < e;
    case 'le':
      return a <= e;
    default:
      return false;
  }
}

function isPresent(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return false;
  if (Array.isArray(v)) return v.some(isPresent);
  if (isObject(v)) return Object.values(v).some(isPresent);
  return true;
}

function evaluate(filter: Filter, obj: unknown, scope: Scope): boolean {
  switch (filter.kind) {
    case 'and':
      return evaluate(filter.left, obj, scope) && evaluate(filter.right, obj, scope);
    case 'or':
      return evaluate(filter.left, obj, scope) || evaluate(filter.right, obj, scope);
    case 'not':
      return !evaluate(filter.filter, obj, scope);
    case 'present':
      return locate(scope, obj, filter.path).raw.some(isPresent);
    case 'valuePath': {
      const { items, inner } = elements(scope, obj, filter.path);
      return items.some((el) => evaluate(filter.filter, el, inner));
    }
    case 'compare': {
      const { values, def } = locate(scope, obj, filter.path);
      if (filter.value === null) return filter.op === 'eq' ? !values.some(isPresent) : values.some(isPresent);
      // "ne" holds when no value equals: the negation of "eq" under "any value matches".
      if (filter.op === 'ne') return !values.some((v) => compareOne(v, 'eq', filter.value, def));
      return values.some((v) => compareOne(v, filter.op, filter.value, def));
    }
  }
}

/** In-memory matching of a SCIM resource; string comparison honours caseExact (default: ignore case). */
export function evaluateFilter(filter: Filter, resource: unknown, schema?: ResourceSchema): boolean {
  return evaluate(filter, resource, resourceScope(schema));
}

/** Matches one element of a multi-valued attribute against a value filter (PATCH paths). */
export function evaluateValueFilter(filter: Filter, element: unknown, attribute?: AttributeDefinition): boolean {
  return evaluate(filter, element, attributeScope(attribute?.subAttributes));
}
