import { invalidValue } from './errors';
import {
  bulkErrorResult,
  bulkResponse,
  findBulkIdReferences,
  parseBulkRequest,
  resolveBulkIdPath,
  resolveBulkIdReferences,
  UnresolvedBulkIdError,
} from './bulk';

const limits = { maxOperations: 3, maxPayloadSize: 1_048_576, payloadBytes: 1000 };

// RFC 7644 §3.7.2, the bulkId example.
const rfcExample = {
  schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
  Operations: [
    {
      method: 'POST',
      path: '/Groups',
      bulkId: 'qwerty',
      data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Group A', members: [{ type: 'Group', value: 'bulkId:ytrewq' }] },
    },
    {
      method: 'POST',
      path: '/Groups',
      bulkId: 'ytrewq',
      data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Group B', members: [{ type: 'Group', value: 'bulkId:qwerty' }] },
    },
  ],
};

describe('parseBulkRequest (RFC 7644 §3.7)', () => {
  it('reads the RFC example', () => {
    const req = parseBulkRequest(rfcExample, limits);
    expect(req.operations.map((o) => [o.method, o.path, o.bulkId])).toEqual([
      ['POST', '/Groups', 'qwerty'],
      ['POST', '/Groups', 'ytrewq'],
    ]);
    expect(findBulkIdReferences(req.operations[0]!.data)).toEqual(new Set(['ytrewq']));
  });

  it('reads PUT, PATCH and DELETE with versions and failOnErrors', () => {
    const req = parseBulkRequest(
      {
        schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'],
        failOnErrors: 1,
        Operations: [
          { method: 'put', path: '/Users/b7c14771', version: 'W/"3694e05e9dff591"', data: { userName: 'x' } },
          { method: 'PATCH', path: '/Groups/e9e30dba', data: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [] } },
          { method: 'DELETE', path: '/Users/e9025315', version: 'W/"0ee8add0a938e1a"' },
        ],
      },
      limits,
    );
    expect(req.failOnErrors).toBe(1);
    expect(req.operations.map((o) => o.method)).toEqual(['PUT', 'PATCH', 'DELETE']);
    expect(req.operations[2]).toEqual({ method: 'DELETE', path: '/Users/e9025315', version: 'W/"0ee8add0a938e1a"' });
  });

  const op = (o: Record<string, unknown>) => ({ schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [o] });
  const invalid: [string, unknown, typeof limits, number, string | undefined, RegExp][] = [
    ['payload too large', rfcExample, { ...limits, payloadBytes: 2_000_000 }, 413, undefined, /exceeds the maxPayloadSize \(1048576\)/],
    ['too many operations', rfcExample, { ...limits, maxOperations: 1 }, 413, undefined, /exceeds the maxOperations \(1\)/],
    ['missing schema', { Operations: [] }, limits, 400, 'invalidSyntax', /BulkRequest/],
    ['POST without bulkId', op({ method: 'POST', path: '/Users', data: {} }), limits, 400, 'invalidSyntax', /needs a "bulkId"/],
    ['unknown method', op({ method: 'GET', path: '/Users/1' }), limits, 400, 'invalidSyntax', /method/],
    ['POST to an id', op({ method: 'POST', path: '/Users/1', bulkId: 'a', data: {} }), limits, 400, 'invalidSyntax', /must be "\/\{type\}"/],
    ['PUT without id', op({ method: 'PUT', path: '/Users', data: {} }), limits, 400, 'invalidSyntax', /\{id\}/],
    ['PATCH without data', op({ method: 'PATCH', path: '/Users/1' }), limits, 400, 'invalidSyntax', /object "data"/],
    ['bad failOnErrors', { ...op({ method: 'DELETE', path: '/Users/1' }), failOnErrors: 0 }, limits, 400, 'invalidValue', /failOnErrors/],
    [
      'duplicate bulkId',
      { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [{ method: 'POST', path: '/Users', bulkId: 'a', data: {} }, { method: 'POST', path: '/Users', bulkId: 'a', data: {} }] },
      limits, 400, 'invalidSyntax', /used twice/,
    ],
  ];
  it.each(invalid)('%s → %i', (_, body, l, status, scimType, detail) => {
    expect(() => parseBulkRequest(body, l)).toThrow(expect.objectContaining({ status, ...(scimType ? { scimType } : {}), detail: expect.stringMatching(detail) }));
    if (!scimType) expect(() => parseBulkRequest(body, l)).toThrow(expect.not.objectContaining({ scimType: expect.anything() }));
  });
});

describe('resolveBulkIdReferences', () => {
  it('replaces references anywhere in the data, without mutating it', () => {
    const data = { members: [{ value: 'bulkId:qwerty', type: 'Group' }], nested: { deep: ['bulkId:ytrewq', 'plain'] }, n: 1 };
    expect(resolveBulkIdReferences(data, new Map([['qwerty', 'g1'], ['ytrewq', 'g2']]))).toEqual({
      members: [{ value: 'g1', type: 'Group' }],
      nested: { deep: ['g2', 'plain'] },
      n: 1,
    });
    expect(data.members[0]!.value).toBe('bulkId:qwerty');
    expect(resolveBulkIdReferences({ v: 'bulkId:a' }, { a: 'x' })).toEqual({ v: 'x' });
  });

  it('throws a distinguishable error for an unknown bulkId', () => {
    let err: unknown;
    try {
      resolveBulkIdReferences({ value: 'bulkId:missing' }, new Map());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnresolvedBulkIdError);
    expect(err).toMatchObject({ bulkId: 'missing', status: 409, scimType: 'invalidValue' });
  });
});

describe('resolveBulkIdPath', () => {
  it.each([
    ['/Users/bulkId:u1', '/Users/id-1'],
    ['/Groups/bulkId:g1', '/Groups/id-2'],
    ['/Users/abc', '/Users/abc'],
    ['/Users', '/Users'],
    ['/Users/bulkId:u1/', '/Users/id-1'],
  ])('%s → %s', (path, expected) => {
    expect(resolveBulkIdPath(path, { u1: 'id-1', g1: 'id-2' })).toBe(expected);
  });

  it('throws UnresolvedBulkIdError for a bulkId not created', () => {
    expect(() => resolveBulkIdPath('/Users/bulkId:nope', new Map())).toThrow(expect.objectContaining({ bulkId: 'nope', status: 409 }));
  });
});

describe('bulkResponse', () => {
  it('builds a BulkResponse with string statuses', () => {
    expect(
      bulkResponse([
        { method: 'POST', bulkId: 'qwerty', version: 'W/"1"', location: 'https://example.com/v2/Users/92b725cd', status: 201 },
        bulkErrorResult({ method: 'POST', bulkId: 'ytrewq' }, invalidValue('bad')),
      ]),
    ).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkResponse'],
      Operations: [
        { method: 'POST', bulkId: 'qwerty', version: 'W/"1"', location: 'https://example.com/v2/Users/92b725cd', status: '201' },
        {
          method: 'POST',
          bulkId: 'ytrewq',
          status: '400',
          response: { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType: 'invalidValue', detail: 'bad' },
        },
      ],
    });
  });
});
