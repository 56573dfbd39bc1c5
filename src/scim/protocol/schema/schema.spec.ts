import { customFieldExtensionSchema } from './custom-fields';
import { renderResourceType, renderSchema, serviceProviderConfig } from './discovery';
import { ENTERPRISE_USER_SCHEMA } from './enterprise-user';
import { CORE_USER_SCHEMA } from './core-user';
import { groupResourceSchema, resolveAttribute, tryResolveAttribute, userResourceSchema } from './resource-schema';
import { extensionOf } from './types';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CF = 'urn:roster:params:scim:schemas:extension:acme:2.0:User';
const schema = userResourceSchema([
  extensionOf(ENTERPRISE_USER_SCHEMA),
  extensionOf(customFieldExtensionSchema(CF, [{ key: 'badge', label: 'Badge', type: 'string', multiValued: false }])),
]);

describe('resolveAttribute: case-insensitive, URN-qualified (RFC 7643 §2.1)', () => {
  const cases: [string, string, string, boolean][] = [
    ['userName', 'userName', USER, false],
    ['USERNAME', 'userName', USER, false],
    ['name.givenName', 'name.givenName', USER, false],
    ['NAME.GIVENNAME', 'name.givenName', USER, false],
    [`${USER}:name.givenName`, 'name.givenName', USER, false],
    [`${USER.toUpperCase()}:userName`, 'userName', USER, false],
    ['id', 'id', USER, false],
    ['meta.lastModified', 'meta.lastModified', USER, false],
    ['emails.value', 'emails.value', USER, false],
    ['groups.$ref', 'groups.$ref', USER, false],
    [`${ENT}:manager`, `${ENT}:manager`, ENT, true],
    [`${ENT}:manager.value`, `${ENT}:manager.value`, ENT, true],
    [`${ENT.toLowerCase()}:EMPLOYEENUMBER`, `${ENT}:employeeNumber`, ENT, true],
    [`${CF}:badge`, `${CF}:badge`, CF, true],
  ];
  it.each(cases)('%s → %s', (text, path, schemaUrn, extension) => {
    expect(resolveAttribute(schema, text)).toMatchObject({ path, schemaUrn, extension });
  });

  it('returns the definitions', () => {
    const r = resolveAttribute(schema, `${ENT}:manager.value`);
    expect(r.attribute.name).toBe('manager');
    expect(r.subAttribute?.name).toBe('value');
    expect(r.key).toBe(`${ENT}:manager`);
  });

  const invalid = ['nickname2', 'name.middle', `${ENT}:userName`, `${USER}:employeeNumber`, 'urn:example:x:1.0:User:a', 'a.b.c', 'name.', ''];
  it.each(invalid)('%j → invalidPath', (text) => {
    expect(() => resolveAttribute(schema, text)).toThrow(expect.objectContaining({ scimType: 'invalidPath' }));
    expect(tryResolveAttribute(schema, text)).toBeUndefined();
  });
});

describe('schema definitions', () => {
  const find = (name: string) => CORE_USER_SCHEMA.attributes.find((a) => a.name === name)!;
  it.each([
    ['userName', { required: true, uniqueness: 'server', returned: 'always' }],
    ['password', { mutability: 'writeOnly', returned: 'never' }],
    ['groups', { mutability: 'readOnly', multiValued: true }],
    ['emails', { multiValued: true, type: 'complex' }],
    ['active', { type: 'boolean' }],
  ])('User.%s', (name, expected) => expect(find(name)).toMatchObject(expected));

  it('User has every RFC 7643 §4.1 attribute', () => {
    expect(CORE_USER_SCHEMA.attributes.map((a) => a.name)).toEqual([
      'userName', 'name', 'displayName', 'nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage', 'locale',
      'timezone', 'active', 'password', 'emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'groups', 'entitlements',
      'roles', 'x509Certificates',
    ]);
  });

  it('Group members have value/$ref/type/display; displayName is required', () => {
    const g = groupResourceSchema().core;
    expect(g.attributes.find((a) => a.name === 'members')!.subAttributes!.map((s) => s.name)).toEqual(['value', '$ref', 'type', 'display']);
    expect(g.attributes.find((a) => a.name === 'displayName')!.required).toBe(true);
  });

  it('customFieldExtensionSchema maps field types', () => {
    const s = customFieldExtensionSchema(CF, [
      { key: 'nick', label: 'Nick', type: 'string', multiValued: false },
      { key: 'size', label: 'Size', type: 'number', multiValued: false },
      { key: 'vip', label: 'VIP', type: 'boolean', multiValued: false },
      { key: 'start', label: 'Start', type: 'date', multiValued: false },
      { key: 'tags', label: 'Tags', type: 'enum', multiValued: true, options: ['a', 'b'] },
    ]);
    expect(s.id).toBe(CF);
    expect(s.attributes.map((a) => [a.name, a.type, a.multiValued, a.description])).toEqual([
      ['nick', 'string', false, 'Nick'],
      ['size', 'decimal', false, 'Size'],
      ['vip', 'boolean', false, 'VIP'],
      ['start', 'dateTime', false, 'Start'],
      ['tags', 'string', true, 'Tags'],
    ]);
    expect(s.attributes[4]!.canonicalValues).toEqual(['a', 'b']);
  });
});

describe('discovery documents', () => {
  it('renders a /Schemas entry (RFC 7643 §7)', () => {
    const doc = renderSchema(ENTERPRISE_USER_SCHEMA, 'https://example.com/scim/v2/');
    expect(doc).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'],
      id: ENT,
      name: 'EnterpriseUser',
      meta: { resourceType: 'Schema', location: `https://example.com/scim/v2/Schemas/${ENT}` },
    });
    const manager = (doc['attributes'] as Record<string, unknown>[]).find((a) => a['name'] === 'manager')!;
    expect(manager).toMatchObject({ type: 'complex', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none' });
    expect((manager['subAttributes'] as Record<string, unknown>[]).map((s) => s['name'])).toEqual(['value', '$ref', 'displayName']);
  });

  it('renders a /ResourceTypes entry (RFC 7643 §6)', () => {
    expect(renderResourceType(schema, 'https://example.com/scim/v2')).toEqual({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'],
      id: 'User',
      name: 'User',
      endpoint: '/Users',
      description: 'User Account',
      schema: USER,
      schemaExtensions: [{ schema: ENT, required: false }, { schema: CF, required: false }],
      meta: { resourceType: 'ResourceType', location: 'https://example.com/scim/v2/ResourceTypes/User' },
    });
  });

  it('builds the ServiceProviderConfig (RFC 7643 §5)', () => {
    expect(serviceProviderConfig({ baseUrl: 'https://example.com/scim/v2', bulk: { maxOperations: 1000, maxPayloadSize: 1048576 }, filter: { maxResults: 200 } })).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: true, maxOperations: 1000, maxPayloadSize: 1048576 },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: true },
      etag: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken', primary: true }],
      meta: { resourceType: 'ServiceProviderConfig', location: 'https://example.com/scim/v2/ServiceProviderConfig' },
    });
  });
});
