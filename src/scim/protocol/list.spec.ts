import { listResponse, parseListQuery } from './list';

const limits = { maxResults: 100, defaultCount: 50 };

describe('parseListQuery', () => {
  const base = { startIndex: 1, count: 50, sortOrder: 'ascending', attributes: [], excludedAttributes: [] };
  const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
    ['defaults', {}, base],
    ['Okta lookup', { filter: 'userName eq "isaac@example.com"', startIndex: '1', count: '100' }, {
      ...base,
      count: 100,
      filter: { kind: 'compare', op: 'eq', path: { attribute: 'userName' }, value: 'isaac@example.com' },
    }],
    ['startIndex below 1 becomes 1', { startIndex: '0' }, base],
    ['negative startIndex becomes 1', { startIndex: -5 }, base],
    ['count 0 is allowed', { count: '0' }, { ...base, count: 0 }],
    ['negative count becomes 0', { count: '-3' }, { ...base, count: 0 }],
    ['count is capped', { count: 5000 }, { ...base, count: 100 }],
    ['names are case-insensitive', { STARTINDEX: '3', Count: '2' }, { ...base, startIndex: 3, count: 2 }],
    ['sorting', { sortBy: 'name.familyName', sortOrder: 'DESCENDING' }, { ...base, sortBy: 'name.familyName', sortOrder: 'descending' }],
    ['comma-separated attributes', { attributes: 'userName, name.givenName,,emails' }, { ...base, attributes: ['userName', 'name.givenName', 'emails'] }],
    ['.search arrays', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], attributes: ['displayName', 'userName'], excludedAttributes: ['members'], startIndex: 2, count: 10 }, {
      ...base, attributes: ['displayName', 'userName'], excludedAttributes: ['members'], startIndex: 2, count: 10,
    }],
    ['unknown parameters are ignored', { foo: 'bar', domain: 'x' }, base],
  ];
  it.each(cases)('%s', (_, params, expected) => expect(parseListQuery(params, limits)).toEqual(expected));

  it('an integer of any size is an integer: a huge count is capped, a huge startIndex is past the end', () => {
    const q = parseListQuery({ count: '99999999999999999999', startIndex: '99999999999999999999' }, limits);
    expect(q.count).toBe(100);
    expect(q.startIndex).toBe(Number.MAX_SAFE_INTEGER);
    expect(parseListQuery({ count: '-99999999999999999999' }, limits).count).toBe(0);
  });

  it('caps the default count at maxResults', () => {
    expect(parseListQuery({}, { maxResults: 10, defaultCount: 50 }).count).toBe(10);
  });

  const invalid: [string, Record<string, unknown>, string, RegExp][] = [
    ['non-integer startIndex', { startIndex: '1.5' }, 'invalidValue', /"startIndex" must be an integer/],
    ['text count', { count: 'ten' }, 'invalidValue', /"count" must be an integer/],
    ['fractional count', { count: 2.5 }, 'invalidValue', /"count" must be an integer/],
    ['repeated count', { count: ['1', '2'] }, 'invalidValue', /given once/],
    ['bad sortOrder', { sortOrder: 'up' }, 'invalidValue', /sortOrder/],
    ['attributes not strings', { attributes: [1] }, 'invalidValue', /attributes/],
    ['bad filter', { filter: 'externalId eq jyoung' }, 'invalidFilter', /unquoted value/],
    ['empty filter', { filter: '' }, 'invalidFilter', /empty/],
    ['filter too long', { filter: `userName eq "${'x'.repeat(30)}"` }, 'invalidFilter', /longer than 20/],
  ];
  it.each(invalid)('%s → %s', (_, params, scimType, detail) => {
    expect(() => parseListQuery(params, { ...limits, maxFilterLength: 20 })).toThrow(
      expect.objectContaining({ scimType, detail: expect.stringMatching(detail) }),
    );
  });
});

describe('listResponse', () => {
  it('builds a ListResponse (RFC 7644 §3.4.2)', () => {
    expect(listResponse([{ id: 'a' }, { id: 'b' }], 10, 3)).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 10,
      startIndex: 3,
      itemsPerPage: 2,
      Resources: [{ id: 'a' }, { id: 'b' }],
    });
  });
});
