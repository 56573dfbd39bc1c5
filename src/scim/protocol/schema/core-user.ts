import { URN_CORE_USER } from '../urns';
import { attribute, type AttributeDefinition, type SchemaDefinition } from './types';

const str = (name: string, description?: string, extra: Partial<AttributeDefinition> = {}) =>
  attribute(name, 'string', description === undefined ? extra : { description, ...extra });

/** value/display/type/primary, the shape shared by most multi-valued attributes (§2.4). */
function multiValued(
  name: string,
  canonicalTypes: string[] | undefined,
  valueDef: AttributeDefinition = str('value'),
): AttributeDefinition {
  const type = str('type', undefined, canonicalTypes ? { canonicalValues: canonicalTypes } : {});
  return attribute(name, 'complex', {
    multiValued: true,
    subAttributes: [valueDef, str('display'), type, attribute('primary', 'boolean')],
  });
}

// RFC 7643 §4.1 and the representation of §8.7.1.
export const CORE_USER_SCHEMA: SchemaDefinition = {
  id: URN_CORE_USER,
  name: 'User',
  description: 'User Account',
  attributes: [
    // Returned always: identity providers match on it (RFC 7643 marks it "default").
    str('userName', 'Unique identifier for the User', { required: true, uniqueness: 'server', returned: 'always' }),
    attribute('name', 'complex', {
      subAttributes: [
        str('formatted'),
        str('familyName'),
        str('givenName'),
        str('middleName'),
        str('honorificPrefix'),
        str('honorificSuffix'),
      ],
    }),
    str('displayName'),
    str('nickName'),
    attribute('profileUrl', 'reference', { referenceTypes: ['external'] }),
    str('title'),
    str('userType'),
    str('preferredLanguage'),
    str('locale'),
    str('timezone'),
    attribute('active', 'boolean'),
    str('password', undefined, { mutability: 'writeOnly', returned: 'never' }),
    multiValued('emails', ['work', 'home', 'other']),
    multiValued('phoneNumbers', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
    multiValued('ims', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
    multiValued('photos', ['photo', 'thumbnail'], attribute('value', 'reference', { referenceTypes: ['external'] })),
    attribute('addresses', 'complex', {
      multiValued: true,
      subAttributes: [
        str('formatted'),
        str('streetAddress'),
        str('locality'),
        str('region'),
        str('postalCode'),
        str('country'),
        str('type', undefined, { canonicalValues: ['work', 'home', 'other'] }),
        attribute('primary', 'boolean'),
      ],
    }),
    attribute('groups', 'complex', {
      multiValued: true,
      mutability: 'readOnly',
      description:
        "A list of groups to which the user belongs, either through direct membership or through nested groups (type 'indirect'). Each group is listed once; filters on groups match direct memberships only.",
      subAttributes: [
        str('value', "The identifier of the User's group.", { mutability: 'readOnly' }),
        attribute('$ref', 'reference', { mutability: 'readOnly', referenceTypes: ['User', 'Group'], description: "The URI of the corresponding 'Group' resource to which the user belongs." }),
        str('display', 'A human-readable name, primarily used for display purposes.', { mutability: 'readOnly' }),
        str('type', "How the user belongs to the group: 'direct' (a member of it) or 'indirect' (a member of a group nested in it, at any depth).", {
          mutability: 'readOnly',
          canonicalValues: ['direct', 'indirect'],
        }),
      ],
    }),
    multiValued('entitlements', undefined),
    multiValued('roles', undefined),
    multiValued('x509Certificates', undefined, attribute('value', 'binary')),
  ],
};
