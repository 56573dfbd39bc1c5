import { userResourceSchema } from '../schema/resource-schema';
import { CORE_USER_SCHEMA } from '../schema/core-user';
import { evaluateFilter, evaluateValueFilter } from './evaluate';
import { parseFilter } from './parser';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const schema = userResourceSchema();

// The full User representation of RFC 7643 §8.2 (abridged).
const bjensen = {
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT],
  id: '2819c223-7f76-453a-919d-413861904646',
  externalId: 'bjensen',
  userName: 'bjensen@example.com',
  name: { formatted: 'Ms. Barbara J Jensen III', familyName: 'Jensen', givenName: 'Barbara' },
  displayName: 'Babs Jensen',
  title: 'Tour Guide',
  userType: 'Employee',
  active: true,
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  ims: [{ value: 'someaimhandle', type: 'aim' }],
  meta: { resourceType: 'User', created: '2010-01-23T04:56:22Z', lastModified: '2011-05-13T04:42:34Z', version: 'W/"3694e05e9dff591"' },
  [ENT]: { employeeNumber: '701984', costCenter: '4130', manager: { value: '26118915-6090-4610-87e4-49d8ca9f808d' } },
};

describe('evaluateFilter against the RFC 7643 §8.2 User', () => {
  const cases: [string, boolean][] = [
    ['userName eq "bjensen@example.com"', true],
    ['userName eq "BJENSEN@example.com"', true], // caseExact false
    ['id eq "2819C223-7F76-453A-919D-413861904646"', false], // id is caseExact
    ['id eq "2819c223-7f76-453a-919d-413861904646"', true],
    ['name.familyName co "ens"', true],
    ['name.familyName sw "jen"', true],
    ['name.familyName ew "SEN"', true],
    ['title pr', true],
    ['nickName pr', false],
    ['title pr and userType eq "Employee"', true],
    ['title pr and userType eq "Intern"', false],
    ['nickName pr or userType eq "Employee"', true],
    ['not (userType eq "Employee")', false],
    ['userType ne "Intern"', true],
    ['nickName ne "x"', true],
    ['nickName eq null', true],
    ['title eq null', false],
    ['active eq true', true],
    ['active eq false', false],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', false],
    ['meta.lastModified ge "2011-05-13T04:42:34Z"', true],
    ['meta.lastModified lt "2011-05-13T06:42:34+02:00"', false], // same instant
    ['meta.lastModified le "2011-05-13T06:42:34+02:00"', true],
    ['meta.created lt "2011-01-01T00:00:00Z"', true],
    ['emails co "example.com"', true], // multi-valued: compares "value"
    ['emails.value co "jensen.org"', true],
    ['emails.type eq "other"', false],
    ['emails[type eq "work" and value co "@example.com"]', true],
    ['emails[type eq "home" and value co "@example.com"]', false],
    ['emails[type eq "work"].value eq "bjensen@example.com"', true],
    ['emails[type eq "home"].value eq "bjensen@example.com"', false],
    ['emails[primary eq true].type eq "WORK"', true],
    ['emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]', true],
    ['ims[type eq "xmpp"]', false],
    [`${ENT}:employeeNumber eq "701984"`, true],
    [`${ENT.toUpperCase()}:EMPLOYEENUMBER eq "701984"`, true],
    [`${ENT}:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d"`, true],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName sw "bjensen"', true],
    ['USERNAME SW "BJ"', true],
    ['schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"', true],
    ['urn:example:unknown:2.0:User:x pr', false],
  ];
  it.each(cases)('%s → %s', (text, expected) => {
    expect(evaluateFilter(parseFilter(text), bjensen, schema)).toBe(expected);
  });

  it('without a schema, strings compare case-insensitively and dates as instants', () => {
    expect(evaluateFilter(parseFilter('ID eq "2819C223-7F76-453A-919D-413861904646"'), bjensen)).toBe(true);
    expect(evaluateFilter(parseFilter('meta.lastModified le "2011-05-13T06:42:34+02:00"'), bjensen)).toBe(true);
    expect(evaluateFilter(parseFilter(`${ENT}:costCenter gt "4000"`), bjensen)).toBe(true);
  });

  it('compares numbers numerically and does not order booleans', () => {
    const r = { n: 10, b: true };
    expect(evaluateFilter(parseFilter('n gt 9'), r)).toBe(true);
    expect(evaluateFilter(parseFilter('n lt 9.5'), r)).toBe(false);
    expect(evaluateFilter(parseFilter('n eq "10"'), r)).toBe(false);
    expect(evaluateFilter(parseFilter('b eq true'), r)).toBe(true);
  });

  it('matches a boolean with "True" / "False" in any case (Entra quotes them), for eq only', () => {
    const r = { b: true };
    expect(evaluateFilter(parseFilter('b eq "True"'), r)).toBe(true);
    expect(evaluateFilter(parseFilter('b eq "false"'), r)).toBe(false);
    expect(evaluateFilter(parseFilter('b gt "False"'), r)).toBe(false);
    expect(evaluateFilter(parseFilter('b eq "yes"'), r)).toBe(false);
  });

  it('treats empty values as not present', () => {
    expect(evaluateFilter(parseFilter('title pr'), { title: '' })).toBe(false);
    expect(evaluateFilter(parseFilter('emails pr'), { emails: [] })).toBe(false);
    expect(evaluateFilter(parseFilter('name pr'), { name: {} })).toBe(false);
    expect(evaluateFilter(parseFilter('name pr'), { name: { givenName: 'x' } })).toBe(true);
  });
});

describe('evaluateValueFilter on one element of a multi-valued attribute', () => {
  const emails = CORE_USER_SCHEMA.attributes.find((a) => a.name === 'emails')!;
  const cases: [string, object, boolean][] = [
    ['type eq "work"', { type: 'Work', value: 'a@x' }, true],
    ['TYPE eq "work" and value ew "@X"', { type: 'work', value: 'a@x' }, true],
    ['primary eq true', { type: 'work', primary: true }, true],
    ['primary eq true', { type: 'work' }, false],
    ['not (type eq "work")', { type: 'home' }, true],
  ];
  it.each(cases)('%s on %j → %s', (text, el, expected) => {
    expect(evaluateValueFilter(parseFilter(text), el, emails)).toBe(expected);
  });
});
