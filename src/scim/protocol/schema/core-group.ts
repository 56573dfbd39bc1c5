import { URN_CORE_GROUP } from '../urns';
import { attribute, type SchemaDefinition } from './types';

// RFC 7643 §4.2 and §8.7.1.
export const CORE_GROUP_SCHEMA: SchemaDefinition = {
  id: URN_CORE_GROUP,
  name: 'Group',
  description: 'Group',
  attributes: [
    // RFC 7643 §4.2 calls displayName REQUIRED (the §8.7.1 listing says otherwise). Unique per
    // organisation, case-insensitively (a duplicate is 409 uniqueness): published as such.
    attribute('displayName', 'string', { required: true, uniqueness: 'server', description: 'A human-readable name for the Group' }),
    attribute('members', 'complex', {
      multiValued: true,
      subAttributes: [
        attribute('value', 'string', { mutability: 'immutable' }),
        attribute('$ref', 'reference', { mutability: 'immutable', referenceTypes: ['User', 'Group'] }),
        attribute('type', 'string', { mutability: 'immutable', canonicalValues: ['User', 'Group'] }),
        attribute('display', 'string', { mutability: 'readOnly' }),
      ],
    }),
  ],
};
