/** Attribute characteristics of RFC 7643 §2.2 and §7. */
export type AttributeType =
  | 'string'
  | 'boolean'
  | 'decimal'
  | 'integer'
  | 'dateTime'
  | 'reference'
  | 'complex'
  | 'binary';
export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type Uniqueness = 'none' | 'server' | 'global';

export interface AttributeDefinition {
  name: string;
  type: AttributeType;
  multiValued: boolean;
  description?: string;
  required: boolean;
  caseExact: boolean;
  mutability: Mutability;
  returned: Returned;
  uniqueness: Uniqueness;
  subAttributes?: AttributeDefinition[];
  canonicalValues?: string[];
  referenceTypes?: string[];
}

/** One schema (core or extension) as served by /Schemas. */
export interface SchemaDefinition {
  id: string;
  name: string;
  description?: string;
  attributes: AttributeDefinition[];
}

export interface SchemaExtension {
  schemaUrn: string;
  name?: string;
  description?: string;
  attributes: AttributeDefinition[];
  required: boolean;
}

/** A resource type: its core schema plus the extensions it carries. */
export interface ResourceSchema {
  /** Resource type name, e.g. "User". */
  name: string;
  endpoint: string;
  description?: string;
  core: SchemaDefinition;
  extensions: SchemaExtension[];
}

type AttributeOptions = Partial<Omit<AttributeDefinition, 'name' | 'type'>>;

/** Builds a definition with the RFC 7643 §2.2 defaults. */
export function attribute(
  name: string,
  type: AttributeType,
  options: AttributeOptions = {},
): AttributeDefinition {
  const def: AttributeDefinition = {
    name,
    type,
    multiValued: false,
    required: false,
    caseExact: false,
    mutability: 'readWrite',
    returned: 'default',
    uniqueness: 'none',
    ...options,
  };
  if (type === 'reference' && !def.referenceTypes) def.referenceTypes = ['external'];
  return def;
}

export function extensionOf(schema: SchemaDefinition, required = false): SchemaExtension {
  const ext: SchemaExtension = { schemaUrn: schema.id, name: schema.name, attributes: schema.attributes, required };
  if (schema.description !== undefined) ext.description = schema.description;
  return ext;
}
