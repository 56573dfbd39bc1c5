import { groupResourceSchema, userResourceSchema } from './schema/resource-schema';
import { normalizeResourceBody } from './resource-body';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const users = userResourceSchema();

describe('normalizeResourceBody', () => {
  it('Entra ID POST /Users body', () => {
    const entra = {
      schemas: [USER, ENT],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com',
      active: 'True',
      displayName: 'Test User',
      emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      title: null,
      roles: [],
      [ENT]: { employeeNumber: '701984', department: null, manager: { value: 'm1' } },
    };
    const { resource, notes } = normalizeResourceBody(entra, users);
    expect(resource).toEqual({
      schemas: [USER, ENT],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1@testuser.com',
      active: true,
      displayName: 'Test User',
      emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com' }],
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      [ENT]: { employeeNumber: '701984', manager: { value: 'm1' } },
    });
    expect(notes).toEqual(['string boolean coerced: active', 'read-only attribute ignored: meta']);
  });

  it('Okta POST /Users body: password is never kept', () => {
    const okta = {
      schemas: [USER],
      userName: 'isaac.brock@example.com',
      name: { givenName: 'Isaac', familyName: 'Brock' },
      emails: [{ primary: true, value: 'isaac.brock@example.com', type: 'work' }],
      displayName: 'Isaac Brock',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: '1mz050nq',
      active: true,
    };
    const { resource, notes } = normalizeResourceBody(okta, users, { ignoreAttributes: ['password'] });
    expect(resource).not.toHaveProperty('password');
    expect(resource).not.toHaveProperty('groups');
    expect(resource['active']).toBe(true);
    expect(notes).toEqual(['attribute ignored: password']);
  });

  it('canonicalises names case-insensitively, including sub-attributes and extension URNs', () => {
    const { resource } = normalizeResourceBody(
      {
        SCHEMAS: [USER.toUpperCase()],
        USERNAME: 'b',
        Name: { GIVENNAME: 'B' },
        EMAILS: [{ VALUE: 'b@x', Type: 'work' }],
        [ENT.toLowerCase()]: { EmployeeNumber: '1' },
        [`${ENT}:costCenter`]: '42',
        [`${USER}:title`]: 'Guide',
      },
      users,
    );
    expect(resource).toEqual({
      schemas: [USER, ENT],
      userName: 'b',
      name: { givenName: 'B' },
      emails: [{ value: 'b@x', type: 'work' }],
      [ENT]: { employeeNumber: '1', costCenter: '42' },
      title: 'Guide',
    });
  });

  it('drops unknown schemas, unknown attributes and readOnly values, with notes', () => {
    const { resource, notes } = normalizeResourceBody(
      {
        schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:Usr'],
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:Usr': { department: 'x' },
        id: 'abc',
        userName: 'b',
        nickname2: 'x',
        name: { givenName: 'B', nick: 'x' },
        [ENT]: { manager: { value: 'm', displayName: 'M' } },
      },
      users,
    );
    expect(resource).toEqual({ schemas: [USER, ENT], userName: 'b', name: { givenName: 'B' }, [ENT]: { manager: { value: 'm' } } });
    expect(notes).toEqual([
      'unknown schema ignored: urn:ietf:params:scim:schemas:extension:enterprise:2.0:Usr',
      'read-only attribute ignored: id',
      'unknown attribute ignored: nickname2',
      'unknown attribute ignored: name.nick',
      `read-only attribute ignored: ${ENT}:manager.displayName`,
    ]);
  });

  it('wraps a single object given for a multi-valued attribute', () => {
    const { resource, notes } = normalizeResourceBody({ schemas: [USER], userName: 'b', emails: { value: 'b@x' } }, users);
    expect(resource['emails']).toEqual([{ value: 'b@x' }]);
    expect(notes).toEqual(['single value wrapped in an array: emails']);
  });

  it('adds the core schema when schemas is missing', () => {
    expect(normalizeResourceBody({ displayName: 'Admins', members: [{ value: 'u1' }] }, groupResourceSchema()).resource).toEqual({
      schemas: [GROUP],
      displayName: 'Admins',
      members: [{ value: 'u1' }],
    });
  });

  const invalid: [string, unknown, string, RegExp][] = [
    ['not an object', 'x', 'invalidSyntax', /JSON object/],
    ['schemas not an array', { schemas: USER, userName: 'b' }, 'invalidSyntax', /"schemas" must be an array/],
    ['missing userName', { schemas: [USER], displayName: 'x' }, 'invalidValue', /attribute "userName" is required/],
    ['null userName', { schemas: [USER], userName: null }, 'invalidValue', /attribute "userName" is required/],
    ['active not boolean', { userName: 'b', active: 'yes' }, 'invalidValue', /"active" must be a boolean/],
    ['name not an object', { userName: 'b', name: 'B' }, 'invalidValue', /"name" must be an object/],
    ['userName not a string', { userName: 5 }, 'invalidValue', /"userName" must be a string/],
    ['title as an array', { userName: 'b', title: ['x'] }, 'invalidValue', /single-valued/],
    ['extension not an object', { userName: 'b', [ENT]: 'x' }, 'invalidValue', /must be an object/],
    ['two primaries', { userName: 'b', emails: [{ value: 'a', primary: true }, { value: 'b', primary: true }] }, 'invalidValue', /at most one primary/],
    ['bad dateTime', { userName: 'b', 'urn:ietf:params:scim:schemas:core:2.0:User:timezone': 1 }, 'invalidValue', /"timezone" must be a string/],
  ];
  it.each(invalid)('%s → %s', (_, body, scimType, detail) => {
    expect(() => normalizeResourceBody(body, users)).toThrow(expect.objectContaining({ scimType, detail: expect.stringMatching(detail) }));
  });

  it('requires displayName for a Group', () => {
    expect(() => normalizeResourceBody({ schemas: [GROUP] }, groupResourceSchema())).toThrow(
      expect.objectContaining({ scimType: 'invalidValue', detail: 'attribute "displayName" is required' }),
    );
  });
});
