import { URN_PATCH_OP } from '../errors';
import { parsePatchPath, parsePatchRequest } from './request';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

describe('parsePatchPath', () => {
  const cases: [string, unknown][] = [
    ['userName', { attribute: 'userName' }],
    ['name.givenName', { attribute: 'name', subAttribute: 'givenName' }],
    ['members', { attribute: 'members' }],
    [
      'members[value eq "2819c223-7f76-453a-919d-413861904646"]',
      {
        attribute: 'members',
        valueFilter: { kind: 'compare', op: 'eq', path: { attribute: 'value' }, value: '2819c223-7f76-453a-919d-413861904646' },
      },
    ],
    [
      'emails[type eq "work" and value ew "example.com"]',
      {
        attribute: 'emails',
        valueFilter: {
          kind: 'and',
          left: { kind: 'compare', op: 'eq', path: { attribute: 'type' }, value: 'work' },
          right: { kind: 'compare', op: 'ew', path: { attribute: 'value' }, value: 'example.com' },
        },
      },
    ],
    [
      'addresses[type eq "work"].streetAddress',
      {
        attribute: 'addresses',
        subAttribute: 'streetAddress',
        valueFilter: { kind: 'compare', op: 'eq', path: { attribute: 'type' }, value: 'work' },
      },
    ],
    [`${ENT}:manager`, { schema: ENT, attribute: 'manager' }],
    [`${ENT}:manager.value`, { schema: ENT, attribute: 'manager', subAttribute: 'value' }],
    ['urn:ietf:params:scim:schemas:core:2.0:User:name.familyName', { schema: 'urn:ietf:params:scim:schemas:core:2.0:User', attribute: 'name', subAttribute: 'familyName' }],
  ];
  it.each(cases)('%s', (text, expected) => expect(parsePatchPath(text)).toEqual(expected));

  const invalid: [string, string, RegExp][] = [
    ['', 'invalidPath', /empty/],
    ['name.given.name', 'invalidPath', /invalid attribute path/],
    ['emails[type eq "work"', 'invalidPath', /expected "\]"/],
    ['emails[type eq "work"]value', 'invalidPath', /unexpected/],
    ['emails[type eq "work"].', 'invalidPath', /expected a sub-attribute/],
    ['emails.value[type eq "work"]', 'invalidPath', /not a sub-attribute/],
    ['userName eq "x"', 'invalidPath', /unexpected/],
    ['#x', 'invalidPath', /unexpected character/],
    ['emails[type eq work]', 'invalidFilter', /unquoted value "work"/],
    ['members[value eq]', 'invalidFilter', /expected a value/],
  ];
  it.each(invalid)('%j → %s', (text, scimType, detail) => {
    expect(() => parsePatchPath(text)).toThrow(expect.objectContaining({ scimType, detail: expect.stringMatching(detail) }));
  });
});

describe('parsePatchRequest', () => {
  const limits = { maxOperations: 3 };
  const body = (Operations: unknown, schemas: unknown = [URN_PATCH_OP]) => ({ schemas, Operations });

  it('reads the Okta deactivation body', () => {
    const okta = { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] };
    expect(parsePatchRequest(okta, limits)).toEqual({ operations: [{ op: 'replace', value: { active: false } }], notes: [] });
  });

  it('lower-cases Entra ID op names, with a note', () => {
    const entra = body([
      { op: 'Replace', path: 'active', value: 'False' },
      { op: 'Add', path: `${ENT}:manager`, value: '26118915' },
    ]);
    expect(parsePatchRequest(entra, limits)).toEqual({
      operations: [
        { op: 'replace', path: { attribute: 'active' }, pathText: 'active', value: 'False' },
        { op: 'add', path: { schema: ENT, attribute: 'manager' }, pathText: `${ENT}:manager`, value: '26118915' },
      ],
      notes: ['op name lower-cased'],
    });
  });

  it('keeps an explicit null value and reads keys case-insensitively', () => {
    const parsed = parsePatchRequest({ SCHEMAS: [URN_PATCH_OP.toUpperCase()], operations: [{ OP: 'replace', PATH: 'title', VALUE: null }] }, limits);
    expect(parsed.operations).toEqual([{ op: 'replace', path: { attribute: 'title' }, pathText: 'title', value: null }]);
  });

  const invalid: [string, unknown, string, RegExp][] = [
    ['not an object', [], 'invalidSyntax', /JSON object/],
    ['no schemas', { Operations: [{ op: 'add', path: 'title', value: 'x' }] }, 'invalidSyntax', /PatchOp/],
    ['wrong schema', body([{ op: 'add', path: 'title', value: 'x' }], ['urn:ietf:params:scim:api:messages:2.0:BulkRequest']), 'invalidSyntax', /PatchOp/],
    ['no Operations', { schemas: [URN_PATCH_OP] }, 'invalidSyntax', /non-empty array/],
    ['empty Operations', body([]), 'invalidSyntax', /non-empty array/],
    ['too many', body(Array(4).fill({ op: 'remove', path: 'title' })), 'tooMany', /4 operations exceed the limit of 3/],
    ['unknown op', body([{ op: 'move', path: 'title' }]), 'invalidSyntax', /Operations\[0\]\.op/],
    ['op not a string', body([{ op: 1 }]), 'invalidSyntax', /op must be/],
    ['operation not an object', body(['add']), 'invalidSyntax', /must be an object/],
    ['remove without path', body([{ op: 'remove' }]), 'noTarget', /remove needs a "path"/],
    ['add without value', body([{ op: 'add', path: 'title' }]), 'invalidValue', /needs a "value"/],
    ['path-less replace with a string', body([{ op: 'replace', value: 'x' }]), 'invalidValue', /object "value"/],
    ['path not a string', body([{ op: 'add', path: 5, value: 'x' }]), 'invalidPath', /must be a string/],
    ['bad path', body([{ op: 'add', path: 'a..b', value: 'x' }]), 'invalidPath', /invalid attribute path/],
  ];
  it.each(invalid)('%s → %s', (_, b, scimType, detail) => {
    expect(() => parsePatchRequest(b, limits)).toThrow(expect.objectContaining({ scimType, detail: expect.stringMatching(detail) }));
  });
});

describe('parsePatchPath: fuzzing', () => {
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pieces = ['members', 'emails', '[', ']', '.', 'value', ' eq ', '"x"', 'urn:a:b:', ':', 'type', ' and ', '(', ')', ' ', '"', '#', 'not'];

  it('either parses or throws invalidPath / invalidFilter', () => {
    for (let i = 0; i < 3000; i++) {
      let text = '';
      for (let j = 0, n = 1 + rand(12); j < n; j++) text += pieces[rand(pieces.length)];
      try {
        parsePatchPath(text);
      } catch (err) {
        expect(['invalidPath', 'invalidFilter']).toContain((err as { scimType?: string }).scimType);
      }
    }
  });
});
