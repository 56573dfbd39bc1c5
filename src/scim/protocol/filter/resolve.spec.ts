import { groupResourceSchema, userResourceSchema } from '../schema/resource-schema';
import { parseFilter } from './parser';
import { resolveFilter } from './resolve';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('resolveFilter: canonical names against the schema', () => {
  const cases: [string, string, unknown][] = [
    ['User', 'USERNAME eq "x"', { kind: 'compare', op: 'eq', value: 'x', path: { attribute: 'userName' } }],
    ['User', 'urn:ietf:params:scim:schemas:core:2.0:User:NAME.GIVENNAME pr', { kind: 'present', path: { attribute: 'name', subAttribute: 'givenName' } }],
    ['User', `${ENT.toLowerCase()}:employeenumber eq "1"`, { kind: 'compare', op: 'eq', value: '1', path: { schema: ENT, attribute: 'employeeNumber' } }],
    ['User', 'EMAILS[TYPE eq "work"]', { kind: 'valuePath', path: { attribute: 'emails' }, filter: { kind: 'compare', op: 'eq', value: 'work', path: { attribute: 'type' } } }],
    ['User', 'meta.LASTMODIFIED gt "2020-01-01T00:00:00Z"', { kind: 'compare', op: 'gt', value: '2020-01-01T00:00:00Z', path: { attribute: 'meta', subAttribute: 'lastModified' } }],
    ['Group', 'displayname eq "Admins"', { kind: 'compare', op: 'eq', value: 'Admins', path: { attribute: 'displayName' } }],
    // RFC 7644 §3.4.2.2 `emails co "example.com"`: a complex attribute with a value sub-attribute compares through it.
    ['User', 'emails co "example.com"', { kind: 'compare', op: 'co', value: 'example.com', path: { attribute: 'emails', subAttribute: 'value' } }],
    ['User', `${ENT}:manager eq "m1"`, { kind: 'compare', op: 'eq', value: 'm1', path: { schema: ENT, attribute: 'manager', subAttribute: 'value' } }],
    ['Group', 'members eq "u1"', { kind: 'compare', op: 'eq', value: 'u1', path: { attribute: 'members', subAttribute: 'value' } }],
    ['User', 'emails pr', { kind: 'present', path: { attribute: 'emails' } }],
  ];
  it.each(cases)('%s: %s', (type, text, expected) => {
    const schema = type === 'User' ? userResourceSchema() : groupResourceSchema();
    expect(resolveFilter(parseFilter(text), schema)).toEqual(expected);
  });

  const invalid: [string, RegExp][] = [
    ['nickname2 eq "x"', /unknown attribute "nickname2"/],
    ['name.middle pr', /unknown attribute "name.middle"/],
    ['active gt true', /cannot compare/], // rejected by the parser already
    ['x509Certificates.value gt "a"', /not allowed on binary/],
    ['name eq "x"', /cannot be compared/],
    ['emails[kind eq "work"]', /unknown attribute "emails.kind"/],
    ['userName[value eq "x"]', /has no sub-attributes/],
    ['urn:example:other:1.0:User:x pr', /unknown attribute/],
  ];
  it.each(invalid)('%s → invalidFilter', (text, detail) => {
    expect(() => resolveFilter(parseFilter(text), userResourceSchema())).toThrow(
      expect.objectContaining({ scimType: 'invalidFilter', detail: expect.stringMatching(detail) }),
    );
  });
});
