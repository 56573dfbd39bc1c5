import * as errors from './errors';
import { ScimError, toScimErrorBody } from './errors';

describe('error factories (RFC 7644 §3.12)', () => {
  const cases: [keyof typeof errors, number, string | undefined][] = [
    ['invalidFilter', 400, 'invalidFilter'],
    ['tooMany', 400, 'tooMany'],
    ['uniqueness', 409, 'uniqueness'],
    ['mutability', 400, 'mutability'],
    ['invalidSyntax', 400, 'invalidSyntax'],
    ['invalidPath', 400, 'invalidPath'],
    ['noTarget', 400, 'noTarget'],
    ['invalidValue', 400, 'invalidValue'],
    ['invalidVers', 400, 'invalidVers'],
    ['sensitive', 403, 'sensitive'],
    ['badRequest', 400, undefined],
    ['unauthorized', 401, undefined],
    ['forbidden', 403, undefined],
    ['notFound', 404, undefined],
    ['conflict', 409, undefined],
    ['preconditionFailed', 412, undefined],
    ['payloadTooLarge', 413, undefined],
    ['internalError', 500, undefined],
    ['notImplemented', 501, undefined],
  ];
  it.each(cases)('%s → %i %s', (name, status, scimType) => {
    const err = (errors[name] as (d: string) => ScimError)('detail text');
    expect(err).toBeInstanceOf(ScimError);
    expect(err).toBeInstanceOf(Error);
    expect(err.status).toBe(status);
    expect(err.scimType).toBe(scimType);
    expect(err.detail).toBe('detail text');
    expect(err.message).toBe('detail text');
  });

  it('renders the error body with a string status', () => {
    expect(toScimErrorBody(errors.invalidFilter('bad'))).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '400',
      scimType: 'invalidFilter',
      detail: 'bad',
    });
    expect(toScimErrorBody(errors.notFound('Resource 2819c223 not found'))).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '404',
      detail: 'Resource 2819c223 not found',
    });
  });
});
