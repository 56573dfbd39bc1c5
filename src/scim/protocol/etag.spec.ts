import { etagMatches, listedEtags, weakEtag } from './etag';

describe('weakEtag', () => {
  it.each([
    [3, 'W/"3"'],
    ['3694e05e9dff591', 'W/"3694e05e9dff591"'],
  ])('%s → %s', (v, tag) => expect(weakEtag(v)).toBe(tag));
});

describe('etagMatches (If-Match, weak comparison)', () => {
  const cases: [string | undefined, string, boolean][] = [
    [undefined, 'W/"3"', true],
    ['', 'W/"3"', true],
    ['*', 'W/"3"', true],
    ['W/"3"', 'W/"3"', true],
    ['"3"', 'W/"3"', true],
    ['W/"3"', '"3"', true],
    ['W/"4"', 'W/"3"', false],
    ['W/"1", W/"3"', 'W/"3"', true],
    ['W/"1",W/"2"', 'W/"3"', false],
    ['3', 'W/"3"', true],
    ['w/"3"', 'W/"3"', true],
    ['W/"33"', 'W/"3"', false],
  ];
  it.each(cases)('If-Match %j vs %s → %s', (header, etag, expected) => expect(etagMatches(header, etag)).toBe(expected));
});

describe('listedEtags', () => {
  it.each([
    [undefined, undefined],
    [' ', undefined],
    ['*', '*'],
    ['W/"2", W/"3"', ['2', '3']],
    ['"2",W/"3" , 4', ['2', '3', '4']],
  ])('%j → %j', (header, tags) => expect(listedEtags(header)).toEqual(tags));
});
