import { customFieldExtensionSchema } from '../schema/custom-fields';
import { ENTERPRISE_USER_SCHEMA } from '../schema/enterprise-user';
import { groupResourceSchema, userResourceSchema } from '../schema/resource-schema';
import { extensionOf } from '../schema/types';
import { applyPatch, type PatchOptions } from './apply';
import { parsePatchRequest } from './request';

const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const CF = 'urn:roster:params:scim:schemas:extension:custom:2.0:User';
const userSchema = userResourceSchema([
  extensionOf(ENTERPRISE_USER_SCHEMA),
  extensionOf(customFieldExtensionSchema(CF, [{ key: 'shoeSize', label: 'Shoe size', type: 'number', multiValued: false }])),
]);
const groupSchema = groupResourceSchema();
const ID = '2819c223-7f76-453a-919d-413861904646';

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    Object.values(o).forEach(deepFreeze);
    Object.freeze(o);
  }
  return o;
}

const user = () =>
  deepFreeze({
    schemas: [USER],
    id: ID,
    userName: 'bjensen',
    name: { givenName: 'Barbara', familyName: 'Jensen' },
    active: true,
    emails: [
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ],
    addresses: [{ type: 'work', streetAddress: '100 Universal City Plaza', locality: 'Hollywood' }],
    groups: [{ value: 'g1', display: 'Tour Guides' }],
    meta: { resourceType: 'User', version: 'W/"1"' },
  });

const group = () => deepFreeze({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: 'g1', displayName: 'Tour Guides', members: [{ value: 'u1', type: 'User' }] });

function run(resource: Record<string, unknown>, operations: unknown[], schema = userSchema, options: PatchOptions = {}) {
  const { operations: ops, notes } = parsePatchRequest({ schemas: [PATCH], Operations: operations }, { maxOperations: 100 });
  const result = applyPatch(resource, ops, schema, options);
  return { ...result, notes: [...notes, ...result.notes] };
}

describe('applyPatch: RFC 7644 §3.5.2 examples', () => {
  it('§3.5.2.1 add members (applied to a resource when members is not a delta attribute)', () => {
    const r = run(group(), [
      {
        op: 'add',
        path: 'members',
        value: [{ display: 'Babs Jensen', $ref: `https://example.com/v2/Users/${ID}`, value: ID }],
      },
    ], groupSchema);
    // display is readOnly on members: dropped with a note.
    expect(r.resource['members']).toEqual([{ value: 'u1', type: 'User' }, { $ref: `https://example.com/v2/Users/${ID}`, value: ID }]);
    expect(r.changed).toEqual(['members']);
  });

  it('§3.5.2.1 path-less add (nickname is matched case-insensitively)', () => {
    const r = run(user(), [{ op: 'add', value: { emails: [{ value: 'babs@jensen.org', type: 'home' }], nickname: 'Babs' } }]);
    expect(r.resource['nickName']).toBe('Babs');
    expect(r.resource['emails']).toEqual(user().emails); // the home email already exists: no duplicate
    expect(r.changed).toEqual(['nickName']);
  });

  it('§3.5.2.2 remove a value selected by a filter', () => {
    const r = run(user(), [{ op: 'remove', path: 'emails[type eq "work" and value ew "example.com"]' }]);
    expect(r.resource['emails']).toEqual([{ value: 'babs@jensen.org', type: 'home' }]);
    expect(r.changed).toEqual(['emails']);
  });

  it('§3.5.2.2 remove a single-valued and a complex sub-attribute', () => {
    const r = run(user(), [
      { op: 'remove', path: 'name.givenName' },
      { op: 'remove', path: 'active' },
    ]);
    expect(r.resource['name']).toEqual({ familyName: 'Jensen' });
    expect(r.resource).not.toHaveProperty('active');
    expect(r.changed.sort()).toEqual(['active', 'name']);
  });

  it('§3.5.2.3 replace a filtered value', () => {
    const r = run(user(), [
      {
        op: 'replace',
        path: 'addresses[type eq "work"]',
        value: { type: 'work', streetAddress: '911 Universal City Plaza', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'US', formatted: '911 Universal City Plaza\nHollywood, CA 91608 US', primary: true },
      },
    ]);
    expect(r.resource['addresses']).toEqual([
      { type: 'work', streetAddress: '911 Universal City Plaza', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'US', formatted: '911 Universal City Plaza\nHollywood, CA 91608 US', primary: true },
    ]);
  });

  it('§3.5.2.3 replace the sub-attribute of a filtered value', () => {
    const r = run(user(), [{ op: 'replace', path: 'addresses[type eq "work"].streetAddress', value: '1010 Broadway Ave' }]);
    expect(r.resource['addresses']).toEqual([{ type: 'work', streetAddress: '1010 Broadway Ave', locality: 'Hollywood' }]);
  });

  it('§3.5.2.3 path-less replace replaces multi-valued attributes wholesale', () => {
    const r = run(user(), [
      {
        op: 'replace',
        value: { emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }, { value: 'babs@jensen.org', type: 'home' }], nickname: 'Babs' },
      },
    ]);
    expect(r.resource['emails']).toEqual(user().emails);
    expect(r.changed).toEqual(['nickName']);
  });

  it('§3.5.2.3 replace on a complex attribute keeps the sub-attributes not given', () => {
    const r = run(user(), [{ op: 'replace', path: 'name', value: { givenName: 'Babs' } }]);
    expect(r.resource['name']).toEqual({ givenName: 'Babs', familyName: 'Jensen' });
  });
});

describe('applyPatch: identity provider bodies', () => {
  it('Okta deactivation', () => {
    const r = run(user(), [{ op: 'replace', value: { active: false } }]);
    expect(r.resource['active']).toBe(false);
    expect(r.changed).toEqual(['active']);
  });

  it('Okta group rename repeats the id', () => {
    const r = run(group(), [{ op: 'replace', value: { id: 'g1', displayName: 'Guides' } }], groupSchema);
    expect(r.resource['displayName']).toBe('Guides');
    expect(r.notes).toEqual(['id equal to the resource id ignored']);
    expect(r.changed).toEqual(['displayName']);
  });

  it('Entra ID string boolean', () => {
    const r = run(user(), [{ op: 'Replace', path: 'active', value: 'False' }]);
    expect(r.resource['active']).toBe(false);
    expect(r.notes).toEqual(['op name lower-cased', 'string boolean coerced: active']);
  });

  it('Entra ID manager as a bare id', () => {
    const r = run(user(), [{ op: 'Add', path: `${ENT}:manager`, value: '26118915-6090' }]);
    expect(r.resource[ENT]).toEqual({ manager: { value: '26118915-6090' } });
    expect(r.resource['schemas']).toEqual([USER, ENT]);
    expect(r.changed).toEqual([`${ENT}:manager`]);
    expect(r.notes).toContain(`scalar wrapped as {value}: ${ENT}:manager`);
  });

  it('Entra ID removing the manager drops the empty extension', () => {
    const withManager = run(user(), [{ op: 'add', path: `${ENT}:manager.value`, value: 'm1' }]).resource;
    const r = run(withManager, [{ op: 'Remove', path: `${ENT}:manager` }]);
    expect(r.resource).not.toHaveProperty([ENT]);
    expect(r.resource['schemas']).toEqual([USER]);
    expect(r.changed).toEqual([`${ENT}:manager`]);
  });

  it('Entra ID creates a missing work phone from the filter', () => {
    const r = run(user(), [{ op: 'Replace', path: 'phoneNumbers[type eq "work"].value', value: '555-555-8377' }]);
    expect(r.resource['phoneNumbers']).toEqual([{ type: 'work', value: '555-555-8377' }]);
  });

  it('Entra ID updates an existing work email through a filter', () => {
    const r = run(user(), [{ op: 'Replace', path: 'emails[type eq "work"].value', value: 'barbara@example.com' }]);
    expect((r.resource['emails'] as unknown[])[0]).toEqual({ value: 'barbara@example.com', type: 'work', primary: true });
  });

  it('Entra ID role values are JSON strings and pass through untouched', () => {
    const role = '{"id":"7b1fbf5c","value":"Admin","displayName":"Admin"}';
    const r = run(user(), [{ op: 'Add', path: 'roles', value: [{ value: role }] }]);
    expect(r.resource['roles']).toEqual([{ value: role }]);
  });

  it('path-less values with dotted, URN-prefixed and nested extension keys are paths', () => {
    const r = run(user(), [
      {
        op: 'replace',
        value: {
          'name.givenName': 'Babs',
          [`${ENT}:employeeNumber`]: '701984',
          [ENT]: { department: 'Tour Operations', manager: { value: 'm1', displayName: 'ignored' } },
          [`${USER}:title`]: 'Guide',
          'urn:example:unknown:1.0:User': { x: 1 },
          'urn:example:unknown:1.0:User:y': 2,
        },
      },
    ]);
    expect(r.resource['name']).toEqual({ givenName: 'Babs', familyName: 'Jensen' });
    expect(r.resource['title']).toBe('Guide');
    expect(r.resource[ENT]).toEqual({ employeeNumber: '701984', department: 'Tour Operations', manager: { value: 'm1' } });
    expect(r.resource).not.toHaveProperty(['name.givenName']);
    expect(r.notes).toEqual([
      `read-only attribute ignored: ${ENT}:manager.displayName`,
      'unknown schema ignored: urn:example:unknown:1.0:User',
    ]);
    expect(r.changed.sort()).toEqual(['name', 'title', `${ENT}:department`, `${ENT}:employeeNumber`, `${ENT}:manager`].sort());
  });

  it('path-less keys may carry a value filter, as Entra flattens them (aadOptscim062020)', () => {
    const r = run(user(), [
      { op: 'replace', value: { 'emails[type eq "work"].value': 'barbara@example.com', 'phoneNumbers[type eq "mobile"].value': '+1 555 0100' } },
    ]);
    expect(r.resource['emails']).toEqual([
      { value: 'barbara@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
    ]);
    expect(r.resource['phoneNumbers']).toEqual([{ type: 'mobile', value: '+1 555 0100' }]);
    expect(r.resource).not.toHaveProperty(['emails[type eq "work"].value']);
    expect(r.changed.sort()).toEqual(['emails', 'phoneNumbers']);
  });

  it('custom field extension values are validated by type', () => {
    expect(run(user(), [{ op: 'add', path: `${CF}:shoeSize`, value: 42.5 }]).resource[CF]).toEqual({ shoeSize: 42.5 });
    expect(() => run(user(), [{ op: 'add', path: `${CF}:shoeSize`, value: 'big' }])).toThrow(
      expect.objectContaining({ scimType: 'invalidValue' }),
    );
  });
});

describe('applyPatch: multi-valued semantics', () => {
  it('add appends and de-duplicates equal values', () => {
    const r = run(user(), [
      { op: 'add', path: 'emails', value: [{ value: 'BJENSEN@example.com', type: 'work' }, { value: 'new@x.org', type: 'other' }] },
    ]);
    expect(r.resource['emails']).toEqual([
      { value: 'BJENSEN@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
      { value: 'new@x.org', type: 'other' },
    ]);
  });

  it('a single object for a multi-valued attribute is wrapped', () => {
    const r = run(user(), [{ op: 'add', path: 'phoneNumbers', value: { value: '1', type: 'mobile' } }]);
    expect(r.resource['phoneNumbers']).toEqual([{ value: '1', type: 'mobile' }]);
    expect(r.notes).toEqual(['single value wrapped in an array: phoneNumbers']);
  });

  it('at most one primary: setting one clears the others', () => {
    const added = run(user(), [{ op: 'add', path: 'emails', value: [{ value: 'p@x.org', type: 'other', primary: 'True' }] }]);
    expect(added.resource['emails']).toEqual([
      { value: 'bjensen@example.com', type: 'work' },
      { value: 'babs@jensen.org', type: 'home' },
      { value: 'p@x.org', type: 'other', primary: true },
    ]);
    const viaFilter = run(user(), [{ op: 'replace', path: 'emails[type eq "home"].primary', value: true }]);
    expect(viaFilter.resource['emails']).toEqual([
      { value: 'bjensen@example.com', type: 'work' },
      { value: 'babs@jensen.org', type: 'home', primary: true },
    ]);
  });

  it('a primary on a valueless element made from a filter takes the flag only once it has a value (Entra sends .primary and .value in either order)', () => {
    const primary = { op: 'add' as const, path: 'emails[type eq "other"].primary', value: 'True' };
    const value = { op: 'add' as const, path: 'emails[type eq "other"].value', value: 'o@x.org' };
    const alone = run(user(), [primary]);
    expect(alone.resource['emails']).toEqual([
      { value: 'bjensen@example.com', type: 'work', primary: true },
      { value: 'babs@jensen.org', type: 'home' },
      { type: 'other', primary: true },
    ]);
    for (const ops of [[primary, value], [value, primary]]) {
      expect(run(user(), ops).resource['emails']).toEqual([
        { value: 'bjensen@example.com', type: 'work' },
        { value: 'babs@jensen.org', type: 'home' },
        { value: 'o@x.org', type: 'other', primary: true },
      ]);
    }
  });

  it('remove with a value removes those values only', () => {
    const r = run(user(), [{ op: 'remove', path: 'emails', value: [{ value: 'babs@jensen.org', type: 'home' }] }]);
    expect(r.resource['emails']).toEqual([{ value: 'bjensen@example.com', type: 'work', primary: true }]);
  });

  it('remove of a whole multi-valued attribute unassigns it', () => {
    expect(run(user(), [{ op: 'remove', path: 'emails' }]).resource).not.toHaveProperty('emails');
  });

  it('remove of the sub-attribute of filtered values', () => {
    const r = run(user(), [{ op: 'remove', path: 'addresses[type eq "work"].locality' }]);
    expect(r.resource['addresses']).toEqual([{ type: 'work', streetAddress: '100 Universal City Plaza' }]);
  });

  it('add through a filter that matches nothing creates the element', () => {
    const r = run(user(), [{ op: 'add', path: 'addresses[type eq "home"]', value: { locality: 'Burbank' } }]);
    expect((r.resource['addresses'] as unknown[])[1]).toEqual({ type: 'home', locality: 'Burbank' });
  });

  it('null unassigns (RFC 7643 §2.5)', () => {
    const r = run(user(), [{ op: 'replace', path: 'name.givenName', value: null }, { op: 'replace', value: { active: null } }]);
    expect(r.resource['name']).toEqual({ familyName: 'Jensen' });
    expect(r.resource).not.toHaveProperty('active');
  });

  it('a no-op change is not reported as changed', () => {
    const r = run(user(), [{ op: 'replace', path: 'userName', value: 'bjensen' }, { op: 'remove', path: 'nickName' }]);
    expect(r.changed).toEqual([]);
  });

  it('does not mutate its input', () => {
    const input = user();
    expect(() => run(input, [{ op: 'replace', path: 'name.givenName', value: 'x' }, { op: 'add', path: 'emails', value: [{ value: 'z@z' }] }])).not.toThrow();
    expect(input.name.givenName).toBe('Barbara');
  });
});

describe('applyPatch: errors', () => {
  const cases: [string, unknown[], string, RegExp][] = [
    ['replace id', [{ op: 'replace', path: 'id', value: 'other' }], 'mutability', /"id" is read-only/],
    ['path-less replace with another id', [{ op: 'replace', value: { id: 'other' } }], 'mutability', /"id" is read-only/],
    ['add groups', [{ op: 'add', path: 'groups', value: [{ value: 'g2' }] }], 'mutability', /"groups" is read-only/],
    ['replace meta', [{ op: 'replace', path: 'meta.version', value: 'x' }], 'mutability', /read-only/],
    ['manager.displayName', [{ op: 'replace', path: `${ENT}:manager.displayName`, value: 'x' }], 'mutability', /read-only/],
    ['remove userName', [{ op: 'remove', path: 'userName' }], 'invalidValue', /required attribute "userName"/],
    ['replace userName with null', [{ op: 'replace', path: 'userName', value: null }], 'invalidValue', /required/],
    ['unknown attribute', [{ op: 'replace', path: 'nickname2', value: 'x' }], 'invalidPath', /unknown attribute "nickname2"/],
    ['unknown sub-attribute', [{ op: 'replace', path: 'name.middle', value: 'x' }], 'invalidPath', /unknown attribute "name.middle"/],
    ['unknown path-less attribute', [{ op: 'replace', value: { nickname2: 'x' } }], 'invalidPath', /unknown attribute "nickname2"/],
    ['unknown sub-attribute in a value', [{ op: 'add', path: 'emails', value: [{ value: 'a', kind: 'work' }] }], 'invalidPath', /"emails.kind"/],
    ['unknown extension in a path', [{ op: 'add', path: 'urn:example:x:1.0:User:a', value: 'x' }], 'invalidPath', /unknown attribute/],
    ['type mismatch', [{ op: 'replace', path: 'active', value: 'yes' }], 'invalidValue', /"active" must be a boolean/],
    ['string for a complex without value', [{ op: 'replace', path: 'name', value: 'x' }], 'invalidValue', /"name" must be an object/],
    ['array for a single-valued attribute', [{ op: 'replace', path: 'title', value: ['a'] }], 'invalidValue', /single-valued/],
    ['two primaries', [{ op: 'replace', path: 'emails', value: [{ value: 'a', primary: true }, { value: 'b', primary: true }] }], 'invalidValue', /at most one primary/],
    ['remove matches nothing', [{ op: 'remove', path: 'emails[type eq "other"]' }], 'noTarget', /no value of "emails"/],
    ['replace filter matches nothing', [{ op: 'replace', path: 'addresses[type eq "home"]', value: { locality: 'x' } }], 'noTarget', /no value/],
    ['cannot create from a non-equality filter', [{ op: 'replace', path: 'phoneNumbers[type co "w"].value', value: '1' }], 'noTarget', /none can be created/],
    ['filter on a single-valued attribute', [{ op: 'replace', path: 'name[givenName eq "x"]', value: {} }], 'invalidPath', /not a complex multi-valued/],
    ['sub-attribute of multi-valued without filter', [{ op: 'replace', path: 'emails.value', value: 'x' }], 'invalidPath', /needs a value filter/],
    ['unknown filtered sub-attribute', [{ op: 'replace', path: 'emails[type eq "work"].kind', value: 'x' }], 'invalidPath', /emails.kind/],
    ['unknown name inside a value filter', [{ op: 'replace', path: 'emails[kind eq "work"].value', value: 'x' }], 'invalidPath', /unknown attribute "emails.kind" in/],
    ['unknown name beside a known one', [{ op: 'remove', path: 'emails[kind pr or type eq "work"]' }], 'invalidPath', /"emails.kind"/],
    ['unknown name under not, in an add', [{ op: 'add', path: 'emails[not (kind eq "x")]', value: { value: 'a@b' } }], 'invalidPath', /"emails.kind"/],
    ['a sub-attribute of a sub-attribute in a value filter', [{ op: 'remove', path: 'emails[type.x eq "work"]' }], 'invalidPath', /"emails.type.x"/],
  ];
  it.each(cases)('%s → %s', (_, ops, scimType, detail) => {
    expect(() => run(user(), ops)).toThrow(expect.objectContaining({ scimType, detail: expect.stringMatching(detail) }));
  });
});

describe('applyPatch: member deltas (deltaAttributes: ["members"])', () => {
  const opts: PatchOptions = { deltaAttributes: ['members'] };
  const m = (value: string, extra: Record<string, string> = {}) => ({ value, ...extra });
  const cases: [string, unknown[], unknown][] = [
    [
      'RFC §3.5.2.1 add',
      [{ op: 'add', path: 'members', value: [{ display: 'Babs Jensen', $ref: `https://example.com/v2/Users/${ID}`, value: ID }] }],
      { add: [{ display: 'Babs Jensen', $ref: `https://example.com/v2/Users/${ID}`, value: ID }], remove: [], removeAll: false },
    ],
    ['RFC §3.5.2.2 remove all', [{ op: 'remove', path: 'members' }], { add: [], remove: [], removeAll: true }],
    [
      'RFC §3.5.2.2 remove by filter',
      [{ op: 'remove', path: `members[value eq "${ID}"]` }],
      { add: [], remove: [ID], removeAll: false },
    ],
    [
      'RFC §3.5.2.2 remove then add',
      [
        { op: 'remove', path: `members[value eq "${ID}"]` },
        { op: 'add', path: 'members', value: [{ display: 'James Smith', $ref: 'https://example.com/v2/Users/08e1d05d', value: '08e1d05d' }] },
      ],
      { add: [{ display: 'James Smith', $ref: 'https://example.com/v2/Users/08e1d05d', value: '08e1d05d' }], remove: [ID], removeAll: false },
    ],
    [
      'RFC §3.5.2.3 replace',
      [{ op: 'replace', path: 'members', value: [m('a', { display: 'A' }), m('b', { type: 'Group' })] }],
      { add: [], remove: [], removeAll: false, replace: [{ value: 'a', display: 'A' }, { value: 'b', type: 'Group' }] },
    ],
    ['replace with []', [{ op: 'replace', path: 'members', value: [] }], { add: [], remove: [], removeAll: false, replace: [] }],
    ['or-joined value filters', [{ op: 'remove', path: 'members[value eq "a" or value eq "b"]' }], { add: [], remove: ['a', 'b'], removeAll: false }],
    ['Entra ID remove with a value removes only those', [{ op: 'Remove', path: 'members', value: [m('a'), m('b')] }], { add: [], remove: ['a', 'b'], removeAll: false }],
    ['remove with [] removes nothing', [{ op: 'remove', path: 'members', value: [] }], { add: [], remove: [], removeAll: false }],
    ['path-less add', [{ op: 'add', value: { members: [m('a')] } }], { add: [{ value: 'a' }], remove: [], removeAll: false }],
    ['path-less replace', [{ op: 'replace', value: { displayName: 'x', members: [m('a')] } }], { add: [], remove: [], removeAll: false, replace: [{ value: 'a' }] }],
    ['add then remove cancels', [{ op: 'add', path: 'members', value: [m('a'), m('b')] }, { op: 'remove', path: 'members[value eq "a"]' }], { add: [{ value: 'b' }], remove: ['a'], removeAll: false }],
    ['remove then add cancels', [{ op: 'remove', path: 'members[value eq "a"]' }, { op: 'add', path: 'members', value: [m('a')] }], { add: [{ value: 'a' }], remove: [], removeAll: false }],
    ['replace resets what came before', [{ op: 'add', path: 'members', value: [m('a')] }, { op: 'remove', path: 'members[value eq "z"]' }, { op: 'replace', path: 'members', value: [m('b')] }], { add: [], remove: [], removeAll: false, replace: [{ value: 'b' }] }],
    ['add after replace joins the replacement', [{ op: 'replace', path: 'members', value: [m('b')] }, { op: 'add', path: 'members', value: [m('c')] }, { op: 'remove', path: 'members[value eq "b"]' }], { add: [], remove: [], removeAll: false, replace: [{ value: 'c' }] }],
    ['add after remove-all', [{ op: 'remove', path: 'members' }, { op: 'add', path: 'members', value: [m('a'), m('a')] }], { add: [{ value: 'a' }], remove: [], removeAll: true }],
  ];
  it.each(cases)('%s', (_, ops, delta) => {
    const r = run(group(), ops, groupSchema, opts);
    expect(r.deltas).toEqual({ members: delta });
    expect(r.resource['members']).toEqual([{ value: 'u1', type: 'User' }]); // never applied
    expect(r.changed).toContain('members');
  });

  const invalid: [string, unknown[], string, RegExp][] = [
    ['filter on another sub-attribute', [{ op: 'remove', path: 'members[display eq "x"]' }], 'invalidFilter', /only "value eq"/],
    ['and-joined filter', [{ op: 'remove', path: 'members[value eq "a" and type eq "User"]' }], 'invalidFilter', /only "value eq"/],
    ['member without value', [{ op: 'add', path: 'members', value: [{ display: 'x' }] }], 'invalidValue', /needs a "value"/],
    ['member that is not an object', [{ op: 'add', path: 'members', value: ['u2'] }], 'invalidValue', /must be an object/],
    ['replace through a filter', [{ op: 'replace', path: 'members[value eq "a"]', value: { value: 'b' } }], 'invalidPath', /only remove/],
    ['sub-attribute path', [{ op: 'replace', path: 'members.value', value: 'b' }], 'invalidPath', /patch "members" instead/],
  ];
  it.each(invalid)('%s → %s', (_, ops, scimType, detail) => {
    expect(() => run(group(), ops, groupSchema, opts)).toThrow(expect.objectContaining({ scimType, detail: expect.stringMatching(detail) }));
  });
});
