import { invalidPath } from '../errors';
import { COMMON_ATTRIBUTES } from './common-attributes';
import { CORE_GROUP_SCHEMA } from './core-group';
import { CORE_USER_SCHEMA } from './core-user';
import { ENTERPRISE_USER_SCHEMA } from './enterprise-user';
import {
  extensionOf,
  type AttributeDefinition,
  type ResourceSchema,
  type SchemaExtension,
} from './types';

export function userResourceSchema(extensions: SchemaExtension[] = [extensionOf(ENTERPRISE_USER_SCHEMA)]): ResourceSchema {
  return { name: 'User', endpoint: '/Users', description: 'User Account', core: CORE_USER_SCHEMA, extensions };
}

export function groupResourceSchema(extensions: SchemaExtension[] = []): ResourceSchema {
  return { name: 'Group', endpoint: '/Groups', description: 'Group', core: CORE_GROUP_SCHEMA, extensions };
}

/** A path as written (filter AST and PATCH paths share this shape). */
export interface AttrPath {
  schema?: string;
  attribute: string;
  subAttribute?: string;
}

export interface ResolvedAttribute {
  /** Canonical URN of the schema that owns the attribute. */
  schemaUrn: string;
  /** True when the attribute lives in an extension object keyed by `schemaUrn`. */
  extension: boolean;
  attribute: AttributeDefinition;
  subAttribute?: AttributeDefinition;
  /** Canonical top-level key: `name`, or `urn:…:User:manager` for extensions. */
  key: string;
  /** Canonical full path: `name.givenName`, `urn:…:User:manager.value`. */
  path: string;
}

const lower = (s: string) => s.toLowerCase();

export const findByName = <T extends { name: string }>(defs: readonly T[] | undefined, name: string): T | undefined => {
  if (!defs) return undefined;
  const n = lower(name);
  return defs.find((d) => lower(d.name) === n);
};

/** Attributes of the core schema plus the common ones (id, externalId, meta). */
export function coreAttributes(schema: ResourceSchema): AttributeDefinition[] {
  return [...COMMON_ATTRIBUTES, ...schema.core.attributes];
}

/** Case-insensitive lookup of an extension by its URN (RFC 7643 §2.1). */
export function findExtension(schema: ResourceSchema, urn: string): SchemaExtension | undefined {
  const u = lower(urn);
  return schema.extensions.find((e) => lower(e.schemaUrn) === u);
}

/** The core URN or an extension URN, spelled canonically; undefined when unknown. */
export function canonicalSchemaUrn(schema: ResourceSchema, urn: string): string | undefined {
  if (lower(urn) === lower(schema.core.id)) return schema.core.id;
  return findExtension(schema, urn)?.schemaUrn;
}

export function allSchemaUrns(schema: ResourceSchema): string[] {
  return [schema.core.id, ...schema.extensions.map((e) => e.schemaUrn)];
}

/**
 * Splits `urn:…:User:name.givenName` into the longest known schema URN and the rest.
 * URNs contain dots ("2.0") and colons, so the known URNs decide where the attribute starts.
 */
export function splitSchemaPrefix(schema: ResourceSchema, text: string): { schemaUrn?: string; rest: string } {
  if (!/^urn:/i.test(text)) return { rest: text };
  const t = lower(text);
  let best: string | undefined;
  for (const urn of allSchemaUrns(schema)) {
    if (t.startsWith(lower(urn) + ':') && (!best || urn.length > best.length)) best = urn;
  }
  if (!best) {
    // Unknown schema: by the ABNF the attribute is what follows the last colon.
    const i = text.lastIndexOf(':');
    return { schemaUrn: text.slice(0, i), rest: text.slice(i + 1) };
  }
  return { schemaUrn: best, rest: text.slice(best.length + 1) };
}

export function parseAttrPathText(schema: ResourceSchema, text: string): AttrPath {
  const { schemaUrn, rest } = splitSchemaPrefix(schema, text);
  const parts = rest.split('.');
  if (parts.length > 2 || parts.some((p) => p === '')) throw invalidPath(`malformed attribute path "${text}"`);
  const path: AttrPath = { attribute: parts[0]! };
  if (schemaUrn !== undefined) path.schema = schemaUrn;
  if (parts[1] !== undefined) path.subAttribute = parts[1];
  return path;
}

/** Like resolveAttribute but returns undefined instead of throwing. */
export function tryResolveAttribute(schema: ResourceSchema, path: string | AttrPath): ResolvedAttribute | undefined {
  let p: AttrPath;
  try {
    p = typeof path === 'string' ? parseAttrPathText(schema, path) : path;
  } catch {
    return undefined;
  }
  let schemaUrn = schema.core.id;
  let extension = false;
  let defs: readonly AttributeDefinition[] = coreAttributes(schema);
  if (p.schema !== undefined) {
    const canonical = canonicalSchemaUrn(schema, p.schema);
    if (canonical === undefined) return undefined;
    schemaUrn = canonical;
    if (canonical !== schema.core.id) {
      extension = true;
      defs = findExtension(schema, canonical)!.attributes;
    }
  }
  const attr = findByName(defs, p.attribute);
  if (!attr) return undefined;
  const key = extension ? `${schemaUrn}:${attr.name}` : attr.name;
  const resolved: ResolvedAttribute = { schemaUrn, extension, attribute: attr, key, path: key };
  if (p.subAttribute !== undefined) {
    const sub = findByName(attr.subAttributes, p.subAttribute);
    if (!sub) return undefined;
    resolved.subAttribute = sub;
    resolved.path = `${key}.${sub.name}`;
  }
  return resolved;
}

/**
 * Resolves `userName`, `NAME.givenName`, `urn:…:core:2.0:User:name.givenName` or
 * `urn:…:enterprise:2.0:User:manager.value` case-insensitively (RFC 7643 §2.1).
 * Throws invalidPath when the schema, attribute or sub-attribute is unknown.
 */
export function resolveAttribute(schema: ResourceSchema, path: string | AttrPath): ResolvedAttribute {
  const resolved = tryResolveAttribute(schema, path);
  if (!resolved) throw invalidPath(`unknown attribute "${typeof path === 'string' ? path : formatAttrPath(path)}"`);
  return resolved;
}

export function formatAttrPath(p: AttrPath): string {
  const base = p.schema !== undefined ? `${p.schema}:${p.attribute}` : p.attribute;
  return p.subAttribute !== undefined ? `${base}.${p.subAttribute}` : base;
}

