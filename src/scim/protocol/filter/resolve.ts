import { invalidFilter } from '../errors';
import { findByName, formatAttrPath, tryResolveAttribute } from '../schema/resource-schema';
import type { AttributeDefinition, ResourceSchema } from '../schema/types';
import type { AttrPath, Filter } from './ast';

const ORDERING = new Set(['gt', 'ge', 'lt', 'le']);

function checkOperator(filter: Filter, def: AttributeDefinition, shown: string): void {
  if (filter.kind !== 'compare') return;
  // RFC 7644 §3.4.2.2: ordering on boolean or binary attributes is a failed filter.
  if (ORDERING.has(filter.op) && (def.type === 'boolean' || def.type === 'binary')) {
    throw invalidFilter(`operator "${filter.op}" is not allowed on ${def.type} attribute "${shown}"`);
  }
  if (def.type === 'complex' && filter.value !== null) {
    throw invalidFilter(`complex attribute "${shown}" cannot be compared; name a sub-attribute`);
  }
}

function resolveRelative(path: AttrPath, parent: AttributeDefinition, parentShown: string): AttrPath {
  const shown = `${parentShown}.${formatAttrPath(path)}`;
  if (path.schema !== undefined || path.subAttribute !== undefined) {
    throw invalidFilter(`"${formatAttrPath(path)}" inside "${parentShown}[…]" must be a sub-attribute name`);
  }
  const sub = findByName(parent.subAttributes, path.attribute);
  if (!sub) throw invalidFilter(`unknown attribute "${shown}" in filter`);
  return { attribute: sub.name };
}

function walk(filter: Filter, schema: ResourceSchema, parent?: { def: AttributeDefinition; shown: string }): Filter {
  switch (filter.kind) {
    case 'and':
    case 'or':
      return { kind: filter.kind, left: walk(filter.left, schema, parent), right: walk(filter.right, schema, parent) };
    case 'not':
      return { kind: 'not', filter: walk(filter.filter, schema, parent) };
    case 'valuePath': {
      const r = tryResolveAttribute(schema, filter.path);
      if (!r) throw invalidFilter(`unknown attribute "${formatAttrPath(filter.path)}" in filter`);
      if (r.attribute.type !== 'complex') throw invalidFilter(`"${r.path}" has no sub-attributes to filter on`);
      const path: AttrPath = r.extension ? { schema: r.schemaUrn, attribute: r.attribute.name } : { attribute: r.attribute.name };
      return { kind: 'valuePath', path, filter: walk(filter.filter, schema, { def: r.attribute, shown: r.path }) };
    }
    case 'compare':
    case 'present': {
      if (parent) {
        const path = resolveRelative(filter.path, parent.def, parent.shown);
        checkOperator(filter, findByName(parent.def.subAttributes, path.attribute)!, `${parent.shown}.${path.attribute}`);
        return { ...filter, path };
      }
      const r = tryResolveAttribute(schema, filter.path);
      if (!r) throw invalidFilter(`unknown attribute "${formatAttrPath(filter.path)}" in filter`);
      // RFC 7644 §3.4.2.2 (`emails co "example.com"`): a complex attribute with a `value` sub-attribute
      // is compared through it; the legacy `manager eq "…"` reads the same way.
      const implicitValue =
        !r.subAttribute && filter.kind === 'compare' && filter.value !== null && r.attribute.type === 'complex' ? findByName(r.attribute.subAttributes, 'value') : undefined;
      const target = r.subAttribute ?? implicitValue ?? r.attribute;
      checkOperator(filter, target, implicitValue ? `${r.path}.value` : r.path);
      const path: AttrPath = { attribute: r.attribute.name };
      if (r.extension) path.schema = r.schemaUrn;
      if (r.subAttribute) path.subAttribute = r.subAttribute.name;
      else if (implicitValue) path.subAttribute = implicitValue.name;
      return { ...filter, path };
    }
  }
}

/**
 * Checks a parsed filter against a resource schema and returns it with canonical names
 * (core-schema prefixes dropped, extension URNs canonical). Unknown names are invalidFilter.
 */
export function resolveFilter(filter: Filter, schema: ResourceSchema): Filter {
  return walk(filter, schema);
}
