import { project, wantsAttribute } from './projection';
import { groupResourceSchema, userResourceSchema } from './schema/resource-schema';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const schema = userResourceSchema();
const resource = {
  schemas: [USER, ENT],
  id: 'u1',
  externalId: 'e1',
  userName: 'bjensen',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  displayName: 'Babs',
  password: 'secret',
  emails: [{ value: 'b@x', type: 'work', primary: true }],
  meta: { resourceType: 'User', version: 'W/"1"' },
  [ENT]: { employeeNumber: '7', manager: { value: 'm1', displayName: 'Boss' } },
};

describe('project (RFC 7644 §3.4.2.5)', () => {
  const cases: [string, { attributes?: string[]; excludedAttributes?: string[] }, Record<string, unknown>][] = [
    [
      'default: everything but returned:never',
      {},
      { schemas: [USER, ENT], id: 'u1', externalId: 'e1', userName: 'bjensen', name: resource.name, displayName: 'Babs', emails: resource.emails, meta: resource.meta, [ENT]: resource[ENT] },
    ],
    ['attributes=displayName keeps the always ones', { attributes: ['displayName'] }, { schemas: [USER, ENT], id: 'u1', userName: 'bjensen', displayName: 'Babs' }],
    ['case-insensitive and dotted', { attributes: ['NAME.familyname', 'emails.VALUE'] }, { schemas: [USER, ENT], id: 'u1', userName: 'bjensen', name: { familyName: 'Jensen' }, emails: [{ value: 'b@x' }] }],
    ['URN-qualified core', { attributes: [`${USER}:displayName`] }, { schemas: [USER, ENT], id: 'u1', userName: 'bjensen', displayName: 'Babs' }],
    ['URN-qualified extension attribute', { attributes: [`${ENT}:manager.value`] }, { schemas: [USER, ENT], id: 'u1', userName: 'bjensen', [ENT]: { manager: { value: 'm1' } } }],
    ['a whole extension', { attributes: [ENT] }, { schemas: [USER, ENT], id: 'u1', userName: 'bjensen', [ENT]: resource[ENT] }],
    ['password is never returned, even when asked', { attributes: ['password'] }, { schemas: [USER, ENT], id: 'u1', userName: 'bjensen' }],
    ['unknown names are ignored', { attributes: ['nickname2', 'displayName'] }, { schemas: [USER, ENT], id: 'u1', userName: 'bjensen', displayName: 'Babs' }],
    [
      'excludedAttributes',
      { excludedAttributes: ['emails', 'name.givenName', 'meta', ENT, 'id', 'userName'] },
      { schemas: [USER, ENT], id: 'u1', externalId: 'e1', userName: 'bjensen', name: { familyName: 'Jensen' }, displayName: 'Babs' },
    ],
    [
      'excluded extension attribute',
      { excludedAttributes: [`${ENT}:manager`] },
      { schemas: [USER, ENT], id: 'u1', externalId: 'e1', userName: 'bjensen', name: resource.name, displayName: 'Babs', emails: resource.emails, meta: resource.meta, [ENT]: { employeeNumber: '7' } },
    ],
    ['attributes wins over excludedAttributes', { attributes: ['displayName'], excludedAttributes: ['displayName'] }, { schemas: [USER, ENT], id: 'u1', userName: 'bjensen', displayName: 'Babs' }],
  ];
  it.each(cases)('%s', (_, projection, expected) => expect(project(resource, schema, projection)).toEqual(expected));
});

describe('wantsAttribute', () => {
  const groups = groupResourceSchema();
  const cases: [{ attributes?: string[]; excludedAttributes?: string[] }, string, boolean][] = [
    [{}, 'members', true],
    [{ attributes: ['displayName'] }, 'members', false],
    [{ attributes: ['members.value'] }, 'members', true],
    [{ attributes: ['MEMBERS'] }, 'members', true],
    [{ excludedAttributes: ['members'] }, 'members', false],
    [{ excludedAttributes: ['members.display'] }, 'members', true],
    [{ excludedAttributes: ['id'] }, 'id', true],
    [{}, 'nothing', false],
  ];
  it.each(cases)('%j, %s → %s', (projection, name, expected) => expect(wantsAttribute(groups, projection, name)).toBe(expected));

  it('password is never wanted', () => expect(wantsAttribute(schema, { attributes: ['password'] }, 'password')).toBe(false));
});
