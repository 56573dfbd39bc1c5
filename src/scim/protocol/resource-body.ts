import { invalidSyntax, invalidValue } from './errors';
import { canonicalSchemaUrn, coreAttributes, findByName, findExtension, splitSchemaPrefix } from './schema/resource-schema';
import type { AttributeDefinition, ResourceSchema } from './schema/types';
import { addNote, coerceValue, countPrimaries, isEmpty, isObject, type Json } from './values';

export interface NormalizeOptions {
  /** Attributes accepted but never kept, e.g. Okta's `password`. */
  ignoreAttributes?: string[];
}

export interface NormalizedBody {
  resource: Json;
  notes: string[];
  /** Attributes sent as an explicit null, by canonical name (`active`, `<urn>:department`): dropped from `resource`. */
  sentNull: string[];
}

/**
 * Canonicalises a POST/PUT body against the schema (RFC 7643 §2.1 case-insensitive names):
 * drops nulls, read-only attributes, unknown schemas and attributes (with notes), coerces
 * string booleans, validates types and enforces required attributes.
 */
export function normalizeResourceBody(body: unknown, schema: ResourceSchema, options: NormalizeOptions = {}): NormalizedBody {
  if (!isObject(body)) throw invalidSyntax('the request body must be a JSON object');
  const notes: string[] = [];
  const sentNull: string[] = [];
  const ignored = new Set((options.ignoreAttributes ?? []).map((a) => a.toLowerCase()));
  const resource: Json = {};
  const schemas = new Set<string>();
  const coerce = { notes, unknown: 'drop' as const };

  const put = (target: Json, def: AttributeDefinition, value: unknown, shown: string) => {
    if (value === null) sentNull.push(shown);
    if (value === null || value === undefined) return;
    if (ignored.has(shown.toLowerCase()) || ignored.has(def.name.toLowerCase())) {
      addNote(notes, `attribute ignored: ${shown}`);
      return;
    }
    if (def.mutability === 'readOnly') {
      // Okta sends `groups: []` on every create: nothing worth a note.
      if (!isEmpty(value)) addNote(notes, `read-only attribute ignored: ${shown}`);
      return;
    }
    const v = coerceValue(def, value, shown, coerce);
    if (def.multiValued && countPrimaries(v as unknown[]) > 1) {
      throw invalidValue(`"${shown}" may have at most one primary value`);
    }
    if (!isEmpty(v)) target[def.name] = v;
  };

  const putExtension = (urn: string, value: unknown) => {
    if (value === null || value === undefined) return;
    const ext = findExtension(schema, urn)!;
    if (!isObject(value)) throw invalidValue(`"${ext.schemaUrn}" must be an object`);
    const target = isObject(resource[ext.schemaUrn]) ? (resource[ext.schemaUrn] as Json) : {};
    for (const [k, v] of Object.entries(value)) {
      const def = findByName(ext.attributes, k);
      if (!def) addNote(notes, `unknown attribute ignored: ${ext.schemaUrn}:${k}`);
      else put(target, def, v, `${ext.schemaUrn}:${def.name}`);
    }
    if (!isEmpty(target)) {
      resource[ext.schemaUrn] = target;
      schemas.add(ext.schemaUrn);
    }
  };

  const core = coreAttributes(schema);
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') continue;
    if (findExtension(schema, key)) {
      putExtension(key, value);
      continue;
    }
    if (/^urn:/i.test(key)) {
      // A URN-qualified attribute (`urn:…:enterprise:2.0:User:employeeNumber`) or an unknown schema.
      const { schemaUrn, rest } = splitSchemaPrefix(schema, key);
      const urn = schemaUrn === undefined ? undefined : canonicalSchemaUrn(schema, schemaUrn);
      if (urn === undefined) {
        addNote(notes, `unknown schema ignored: ${key}`);
      } else if (urn === schema.core.id) {
        const def = findByName(core, rest);
        if (def) put(resource, def, value, def.name);
        else addNote(notes, `unknown attribute ignored: ${key}`);
      } else {
        putExtension(urn, { [rest]: value });
      }
      continue;
    }
    const def = findByName(core, key);
    if (!def) {
      addNote(notes, `unknown attribute ignored: ${key}`);
      continue;
    }
    put(resource, def, value, def.name);
  }

  // schemas: keep the known ones, spelled canonically; the core schema is always there.
  const sent = body['schemas'] ?? Object.entries(body).find(([k]) => k.toLowerCase() === 'schemas')?.[1];
  if (sent !== undefined && sent !== null) {
    if (!Array.isArray(sent)) throw invalidSyntax('"schemas" must be an array');
    for (const s of sent) {
      const urn = typeof s === 'string' ? canonicalSchemaUrn(schema, s) : undefined;
      if (urn === undefined) addNote(notes, `unknown schema ignored: ${String(s)}`);
    }
  }
  resource['schemas'] = [schema.core.id, ...schema.extensions.map((e) => e.schemaUrn).filter((u) => schemas.has(u))];

  for (const def of schema.core.attributes) {
    if (def.required && isEmpty(resource[def.name])) throw invalidValue(`attribute "${def.name}" is required`);
  }
  for (const ext of schema.extensions) {
    if (ext.required && !isObject(resource[ext.schemaUrn])) throw invalidValue(`extension "${ext.schemaUrn}" is required`);
  }
  return { resource, notes, sentNull };
}
