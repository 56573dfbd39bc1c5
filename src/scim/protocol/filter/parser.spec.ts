import { ScimError } from '../errors';
import type { Filter } from './ast';
import { parseFilter } from './parser';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const p = (attribute: string, subAttribute?: string, schema?: string) => ({
  ...(schema ? { schema } : {}),
  attribute,
  ...(subAttribute ? { subAttribute } : {}),
});
const eq = (path: ReturnType<typeof p>, value: string | number | boolean | null, op = 'eq'): Filter =>
  ({ kind: 'compare', path, op, value }) as Filter;
const pr = (path: ReturnType<typeof p>): Filter => ({ kind: 'present', path });
const and = (left: Filter, right: Filter): Filter => ({ kind: 'and', left, right });
const or = (left: Filter, right: Filter): Filter => ({ kind: 'or', left, right });
const not = (filter: Filter): Filter => ({ kind: 'not', filter });
const vp = (path: ReturnType<typeof p>, filter: Filter): Filter => ({ kind: 'valuePath', path, filter });

describe('parseFilter: RFC 7644 §3.4.2.2 examples, verbatim', () => {
  const cases: [string, Filter][] = [
    ['userName eq "bjensen"', eq(p('userName'), 'bjensen')],
    [`name.familyName co "O'Malley"`, eq(p('name', 'familyName'), "O'Malley", 'co')],
    ['userName sw "J"', eq(p('userName'), 'J', 'sw')],
    [
      'urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J"',
      eq(p('userName', undefined, 'urn:ietf:params:scim:schemas:core:2.0:User'), 'J', 'sw'),
    ],
    ['title pr', pr(p('title'))],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', eq(p('meta', 'lastModified'), '2011-05-13T04:42:34Z', 'gt')],
    ['meta.lastModified ge "2011-05-13T04:42:34Z"', eq(p('meta', 'lastModified'), '2011-05-13T04:42:34Z', 'ge')],
    ['meta.lastModified lt "2011-05-13T04:42:34Z"', eq(p('meta', 'lastModified'), '2011-05-13T04:42:34Z', 'lt')],
    ['meta.lastModified le "2011-05-13T04:42:34Z"', eq(p('meta', 'lastModified'), '2011-05-13T04:42:34Z', 'le')],
    ['title pr and userType eq "Employee"', and(pr(p('title')), eq(p('userType'), 'Employee'))],
    ['title pr or userType eq "Intern"', or(pr(p('title')), eq(p('userType'), 'Intern'))],
    [`schemas eq "${ENT}"`, eq(p('schemas'), ENT)],
    [
      'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
      and(eq(p('userType'), 'Employee'), or(eq(p('emails'), 'example.com', 'co'), eq(p('emails', 'value'), 'example.org', 'co'))),
    ],
    [
      'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
      and(
        eq(p('userType'), 'Employee', 'ne'),
        not(or(eq(p('emails'), 'example.com', 'co'), eq(p('emails', 'value'), 'example.org', 'co'))),
      ),
    ],
    ['userType eq "Employee" and (emails.type eq "work")', and(eq(p('userType'), 'Employee'), eq(p('emails', 'type'), 'work'))],
    [
      'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
      and(eq(p('userType'), 'Employee'), vp(p('emails'), and(eq(p('type'), 'work'), eq(p('value'), '@example.com', 'co')))),
    ],
    [
      'emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]',
      or(
        vp(p('emails'), and(eq(p('type'), 'work'), eq(p('value'), '@example.com', 'co'))),
        vp(p('ims'), and(eq(p('type'), 'xmpp'), eq(p('value'), '@foo.com', 'co'))),
      ),
    ],
  ];
  it.each(cases)('%s', (text, ast) => expect(parseFilter(text)).toEqual(ast));
});

describe('parseFilter: precedence (not > and > or) and associativity', () => {
  const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => pr(p(n))) as [Filter, Filter, Filter, Filter];
  const cases: [string, Filter][] = [
    ['a pr or b pr and c pr', or(a, and(b, c))],
    ['a pr and b pr or c pr', or(and(a, b), c)],
    ['a pr and b pr and c pr', and(and(a, b), c)],
    ['a pr or b pr or c pr', or(or(a, b), c)],
    ['(a pr or b pr) and c pr', and(or(a, b), c)],
    ['a pr and (b pr or c pr) and d pr', and(and(a, or(b, c)), d)],
    ['not (a pr) and b pr', and(not(a), b)],
    ['not (a pr) or b pr and c pr', or(not(a), and(b, c))],
    ['a pr or not (b pr or c pr) and d pr', or(a, and(not(or(b, c)), d))],
    ['((a pr))', a],
    ['not(not(a pr))', not(not(a))],
  ];
  it.each(cases)('%s', (text, ast) => expect(parseFilter(text)).toEqual(ast));
});

describe('parseFilter: names, literals and the forms identity providers send', () => {
  const cases: [string, Filter][] = [
    ['userName EQ "x"', eq(p('userName'), 'x')],
    ['title PR AND userType Ne "y"', and(pr(p('title')), eq(p('userType'), 'y', 'ne'))],
    ['NOT (title pr) Or title pr', or(not(pr(p('title'))), pr(p('title')))],
    ['active eq TRUE', eq(p('active'), true)],
    ['active eq False', eq(p('active'), false)],
    ['title eq NULL', eq(p('title'), null)],
    ['count eq 42', eq(p('count'), 42)],
    ['count gt -1.5e3', eq(p('count'), -1500, 'gt')],
    ['count le 0', eq(p('count'), 0, 'le')],
    ['userName eq "a\\"b\\\\c\\u00e9\\n"', eq(p('userName'), 'a"b\\cé\n')],
    ['userName eq ""', eq(p('userName'), '')],
    ['  userName   eq\t"x"  ', eq(p('userName'), 'x')],
    [`${ENT}:employeeNumber eq "701984"`, eq(p('employeeNumber', undefined, ENT), '701984')],
    [`${ENT}:manager.value eq "26118915"`, eq(p('manager', 'value', ENT), '26118915')],
    ['members.$ref pr', pr(p('members', '$ref'))],
    ['emails[type eq "work"]', vp(p('emails'), eq(p('type'), 'work'))],
    ['emails[not (type eq "work")]', vp(p('emails'), not(eq(p('type'), 'work')))],
    // Entra ID's non-RFC form: the trailing comparison joins the bracket filter.
    ['emails[type eq "work"].value eq "x@example.com"', vp(p('emails'), and(eq(p('type'), 'work'), eq(p('value'), 'x@example.com')))],
    ['addresses[type eq "work"].streetAddress pr', vp(p('addresses'), and(eq(p('type'), 'work'), pr(p('streetAddress'))))],
    [`${ENT}:manager[value eq "x"]`, vp(p('manager', undefined, ENT), eq(p('value'), 'x'))],
  ];
  it.each(cases)('%s', (text, ast) => expect(parseFilter(text)).toEqual(ast));
});

describe('parseFilter: invalid input → invalidFilter naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['externalId eq jyoung', /unquoted value "jyoung" at position 15/],
    ['', /empty/],
    ['   ', /empty/],
    ['userName', /expected an operator at position 9/],
    ['userName eq', /expected a value after "eq" at position 12/],
    ['userName xx "a"', /unknown operator "xx" at position 10/],
    ['userName eq "abc', /unterminated string starting at position 13/],
    ['userName eq "\\q"', /invalid string escape/],
    ["userName eq 'bjensen'", /single quotes/],
    ['userName eq "a" # x', /unexpected character "#" at position 17/],
    ['not userName eq "a"', /"not" must be followed by "\("/],
    ['(userName eq "a"', /expected "\)" at position 17/],
    ['userName eq "a")', /unexpected "\)" at position 16/],
    ['userName eq "a" and', /expected an attribute path at position 20/],
    ['userName eq "a" or or', /expected an operator/],
    ['"abc" eq "x"', /expected an attribute path at position 1/],
    ['emails[type eq "work"', /expected "\]"/],
    ['emails[type[value eq "a"] eq "x"]', /value filters cannot be nested/],
    ['emails.value[type eq "work"]', /not a sub-attribute/],
    ['emails[type eq "work"].', /expected a sub-attribute name/],
    ['emails[type eq "work"].value', /expected an operator/],
    ['name..givenName pr', /invalid attribute path/],
    ['name.given.name pr', /invalid attribute path/],
    ['1abc pr', /invalid attribute path/],
    ['urn:foo: eq "x"', /invalid schema-qualified attribute/],
    ['userName eq 01', /invalid number "01"/],
    ['userName eq 1e999', /number out of range/],
    ['title gt true', /cannot compare true/],
    ['title lt null', /cannot compare null/],
    ['title co 5', /needs a string value/],
    ['title sw false', /needs a string value/],
    ['() pr', /expected an attribute path/],
    ['userName eq "a" userName eq "b"', /unexpected "userName"/],
  ];
  it.each(cases)('%s', (text, detail) => {
    let err: unknown;
    try {
      parseFilter(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ScimError);
    expect(err).toMatchObject({ status: 400, scimType: 'invalidFilter' });
    expect((err as ScimError).detail).toMatch(detail);
  });
});

describe('parseFilter: limits', () => {
  const nested = (n: number) => `${'('.repeat(n)}title pr${')'.repeat(n)}`;

  it('accepts the maximum depth and rejects one more', () => {
    expect(() => parseFilter(nested(32))).not.toThrow();
    expect(() => parseFilter(nested(33))).toThrow(/deeper than 32 levels/);
    expect(() => parseFilter(nested(3), { maxDepth: 2 })).toThrow(/deeper than 2 levels/);
    expect(() => parseFilter(`not(${nested(31)})`)).not.toThrow();
    expect(() => parseFilter(`emails[${nested(31)}]`.replace('title', 'type'))).not.toThrow();
    expect(() => parseFilter(`emails[${nested(32)}]`.replace('title', 'type'))).toThrow(/deeper/);
  });

  it('rejects input longer than the maximum length', () => {
    const long = `userName eq "${'x'.repeat(4096)}"`;
    expect(() => parseFilter(long)).toThrow(/longer than 4096 characters/);
    expect(() => parseFilter(long, { maxLength: 5000 })).not.toThrow();
  });

  it('fails fast, without exhausting the stack, on very deep input', () => {
    expect(() => parseFilter('('.repeat(200_000), { maxLength: 1_000_000 })).toThrow(/deeper/);
    expect(() => parseFilter('not('.repeat(50_000), { maxLength: 1_000_000 })).toThrow(/deeper/);
  });

  it('handles long flat chains iteratively', () => {
    const chain = Array.from({ length: 2000 }, (_, i) => `a${i} pr`).join(' or ');
    expect(parseFilter(chain, { maxLength: 100_000 }).kind).toBe('or');
  });
});

describe('parseFilter: fuzzing', () => {
  // Deterministic PRNG so a failure reproduces.
  let seed = 42;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const pieces = [
    'userName', ' eq ', ' ne ', ' co ', ' pr', ' gt ', ' and ', ' or ', 'not', '(', ')', '[', ']', '.', '"x"', '"',
    '\\', '42', '-1', 'true', 'null', 'emails', 'type', 'value', ' ', 'urn:ietf:params:scim:schemas:core:2.0:User:',
    ':', '2.0', 'é', '\u0000', "'", 'e', '$ref', '-', '+', '\n', '\\u12', '"\\"',
  ];

  it('either parses or throws invalidFilter, for thousands of random inputs', () => {
    const started = Date.now();
    for (let i = 0; i < 5000; i++) {
      const n = 1 + rand(25);
      let text = '';
      for (let j = 0; j < n; j++) text += pieces[rand(pieces.length)];
      try {
        parseFilter(text);
      } catch (err) {
        if (!(err instanceof ScimError) || err.scimType !== 'invalidFilter') {
          throw new Error(`input ${JSON.stringify(text)} threw ${String(err)}`, { cause: err });
        }
      }
    }
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('survives random bytes', () => {
    for (let i = 0; i < 2000; i++) {
      const text = String.fromCharCode(...Array.from({ length: rand(40) }, () => rand(128)));
      try {
        parseFilter(text);
      } catch (err) {
        expect(err).toMatchObject({ scimType: 'invalidFilter' });
      }
    }
  });
});
