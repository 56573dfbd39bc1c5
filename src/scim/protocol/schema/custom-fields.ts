import { attribute, type AttributeDefinition, type AttributeType, type SchemaDefinition } from './types';

export type CustomFieldType = 'string' | 'number' | 'boolean' | 'date' | 'enum';

export interface CustomFieldDescriptor {
  key: string;
  label: string;
  type: CustomFieldType;
  multiValued: boolean;
  options?: string[];
}

// SCIM has no date type: a date is a dateTime whose value may omit the time (see values.ts).
const TYPE_MAP: Record<CustomFieldType, AttributeType> = {
  string: 'string',
  number: 'decimal',
  boolean: 'boolean',
  date: 'dateTime',
  enum: 'string',
};

/** The product's per-organisation extension, built from its custom field definitions. */
export function customFieldExtensionSchema(
  urn: string,
  fields: readonly CustomFieldDescriptor[],
  name = 'CustomFields',
): SchemaDefinition {
  const attributes: AttributeDefinition[] = fields.map((f) => {
    const def = attribute(f.key, TYPE_MAP[f.type], { multiValued: f.multiValued, description: f.label });
    if (f.type === 'enum' && f.options) def.canonicalValues = [...f.options];
    return def;
  });
  return { id: urn, name, description: 'Custom fields', attributes };
}
