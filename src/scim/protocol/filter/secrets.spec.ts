import { ScimError } from '../errors';
import { parsePatchRequest } from '../patch/request';
import { CORE_GROUP_SCHEMA } from '../schema/core-group';
import { CORE_USER_SCHEMA } from '../schema/core-user';
import { ENTERPRISE_USER_SCHEMA } from '../schema/enterprise-user';
import type { AttributeDefinition } from '../schema/types';
import { parseFilter, parsePathExpression, redactSecretValues } from './parser';
import { SECRET_ATTRIBUTES, secretAttributeIn } from './secrets';

const SECRET = 'Hunter2-Sekret';
const NOTE = /\(the (filter|path)'s values are not shown: it names the secret attribute "password"\)$/;

const detailOf = (run: () => unknown): ScimError => {
  try {
    run();
  } catch (err) {
    if (err instanceof ScimError) return err;
    throw err;
  }
  throw new Error('expected a ScimError');
};

describe('secret attributes', () => {
  it('are the attributes of the served schemas that are never returned (RFC 7643 returned: "never")', () => {
    const never = (defs: readonly AttributeDefinition[]): string[] =>
      defs.flatMap((d) => [...(d.returned === 'never' ? [d.name.toLowerCase()] : []), ...never(d.subAttributes ?? [])]);
    const all = [CORE_USER_SCHEMA, CORE_GROUP_SCHEMA, ENTERPRISE_USER_SCHEMA].flatMap((s) => never(s.attributes));
    expect([...new Set(all)].sort()).toEqual([...SECRET_ATTRIBUTES].sort());
  });

  it.each([
    ['password eq "x"', 'password'],
    ['PASSWORD pr', 'password'],
    ['urn:ietf:params:scim:schemas:core:2.0:User:password eq "x"', 'password'],
    ['emails[password eq "x"]', 'password'],
    ['emails[type eq "work"].password', 'password'],
    ['"x" eq password', 'password'],
    ['userName eq "my password"', 'password'],
    ['password eq "unterminated', 'password'],
    ['userName eq "x"', undefined],
    ['passwords pr', undefined],
    ['password_hint pr', undefined],
    ['userName eq "passwordless"', undefined],
  ])('%s names %s', (text, secret) => expect(secretAttributeIn(text)).toBe(secret));
});

describe('parseFilter: a filter naming password never repeats its text in an error', () => {
  it.each([
    [`password eq ${SECRET}`, /^unquoted value at position 13: string values must be in double quotes/],
    [`password eq "x" ${SECRET}`, /^unexpected word at position 17/],
    [`password eq "x" "${SECRET}"`, /^unexpected string at position 17/],
    [`"${SECRET}" eq password`, /^expected an attribute path at position 1, found a string/],
    [`password eq 12${SECRET}`, /^invalid number at position 13/],
    [`password ${SECRET} "x"`, /^unknown operator at position 10/],
    [`password eq Hunter2%Sekret`, /^unexpected character at position 20/],
    [`password eq "x" and ${SECRET}.. pr`, /^invalid attribute path at position 21/],
    [`password eq "x" and urn:${SECRET}: pr`, /^invalid schema-qualified attribute at position 21/],
    [`emails[type eq "work"].${SECRET}% eq "x" or password pr`, /^unexpected character at position 38/],
    [`emails[type eq "work"].-${SECRET} eq "x" or password pr`, /^invalid sub-attribute at position 24/],
    [`(password eq "${SECRET}"`, /^expected "\)" at position 30, found end of input/],
    [`password eq ${'x'.repeat(5000)}`, /^filter is longer than 4096 characters$/],
  ])('%s', (text, detail) => {
    const err = detailOf(() => parseFilter(text));
    expect(err).toMatchObject({ status: 400, scimType: 'invalidFilter' });
    expect(err.detail).toMatch(detail);
    if (text.length <= 4096) expect(err.detail).toMatch(NOTE);
    expect(err.detail).not.toContain('Sekret');
    expect(err.detail).not.toContain('%');
  });

  it('a filter naming no secret attribute is quoted as before', () => {
    expect(detailOf(() => parseFilter('userName eq bob')).detail).toBe('unquoted value "bob" at position 13: string values must be in double quotes');
    expect(detailOf(() => parseFilter('userName eq "x" "y"')).detail).toBe('unexpected "y" at position 17');
    expect(detailOf(() => parseFilter('userName eq b%b')).detail).toBe('unexpected character "%" at position 14');
  });

  it('whatever the text, an error about a filter or path naming password quotes none of it, and its redaction keeps no value and is kept by a redaction again (fuzzed)', () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const text = (pieces: string[]) => {
      let t = 'password ';
      for (let j = rand(12); j >= 0; j--) t += pieces[rand(pieces.length)];
      return t;
    };
    // Only password and keywords for names: every string is a value compared with password, or misplaced.
    const redactable = ['password', ' eq ', ' ', `"${SECRET}"`, `"${SECRET}`, '(', ')', '[', ']', '.', ' and ', ' or ', 'not', ' pr', '42', '%', '"', '\\'];
    const any = [...redactable, SECRET, 'emails', 'type', `${SECRET}:`, 'urn:', `.${SECRET}`];
    for (let i = 0; i < 5000; i++) {
      const t = text(any);
      for (const parse of [() => parseFilter(t), () => parsePathExpression(t)]) {
        try {
          parse();
        } catch (err) {
          if (!(err instanceof ScimError)) throw err;
          if (err.detail.includes('Sekret') || err.detail.includes('%')) throw new Error(`${JSON.stringify(t)}: ${err.detail}`, { cause: err });
        }
      }
      const r = text(redactable);
      for (const as of ['filter', 'path'] as const) {
        const redacted = redactSecretValues(r, as);
        if (redacted.includes('Sekret')) throw new Error(`${JSON.stringify(r)} as a ${as} → ${redacted}`);
        const again = redactSecretValues(redacted, as);
        if (again !== redacted) throw new Error(`${JSON.stringify(r)} as a ${as} → ${redacted}, then → ${again}`);
      }
    }
  });
});

describe('PATCH paths naming password', () => {
  const patch = (path: string) =>
    detailOf(() => parsePatchRequest({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path }] }, { maxOperations: 10 }));

  it.each([
    [`password[value eq "${SECRET}"`, 'invalidPath', /^invalid path: expected "\]" at position 35/],
    [`password eq "${SECRET}"`, 'invalidPath', /^invalid path: unexpected word at position 10/],
    [`password[value eq ${SECRET}]`, 'invalidFilter', /^unquoted value at position 19/],
    [`password.x[value eq "${SECRET}"]`, 'invalidPath', /^invalid path: a value filter must follow an attribute, not a sub-attribute/],
    [`password%${SECRET}`, 'invalidPath', /^invalid path: unexpected character at position 9/],
  ])('%s: %s without the text', (path, scimType, detail) => {
    const err = patch(path);
    expect(err.scimType).toBe(scimType);
    expect(err.detail).toMatch(detail);
    expect(err.detail).toMatch(NOTE);
    expect(err.detail).not.toContain('Sekret');
  });

  it('a path that parses keeps its text for messages, values compared with password redacted', () => {
    const ops = (path: string) => parsePatchRequest({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'remove', path }] }, { maxOperations: 10 }).operations;
    expect(ops(`password[value eq "${SECRET}"]`)[0].pathText).toBe('password[value eq "[redacted]"]');
    expect(ops(`emails[value eq "a@x" and password eq "${SECRET}"]`)[0].pathText).toBe('emails[value eq "a@x" and password eq "[redacted]"]');
    expect(ops('emails[value eq "a@x"]')[0].pathText).toBe('emails[value eq "a@x"]');
  });
});

describe('redactSecretValues', () => {
  it.each([
    // Well-formed: only the values compared with password, as written otherwise.
    ['password eq "hunter2"', 'password eq "[redacted]"'],
    ['userName eq "bob" and  PASSWORD  Eq "hunter2"', 'userName eq "bob" and  PASSWORD  Eq "[redacted]"'],
    ['password eq 1234 or password eq true', 'password eq "[redacted]" or password eq "[redacted]"'],
    ['urn:ietf:params:scim:schemas:core:2.0:User:password sw "hun"', 'urn:ietf:params:scim:schemas:core:2.0:User:password sw "[redacted]"'],
    ['emails[value eq "a@x" and password eq "p\\"w"]', 'emails[value eq "a@x" and password eq "[redacted]"]'],
    ['emails[type eq "work"].password eq "hunter2"', 'emails[type eq "work"].password eq "[redacted]"'],
    ['password pr', 'password pr'],
    ['userName eq "password"', 'userName eq "password"'],
    ['not (password ne "x")', 'not (password ne "[redacted]")'],
    // Malformed: keywords, punctuation and the name stay; every string and other word goes.
    ['password eq hunter2', 'password eq [redacted]'],
    ['password eq "hunter2" garbage', 'password eq "[redacted]" [redacted]'],
    ['"hunter2" eq password', '"[redacted]" eq password'],
    ['password eq "hunter2', 'password eq "[redacted]"'],
    ['password eq "hun\\"ter2', 'password eq "[redacted]"'],
    ['(urn:ietf:params:scim:schemas:core:2.0:User:password eq hunter2', '(urn:ietf:params:scim:schemas:core:2.0:User:password eq [redacted]'],
    ['userName eq "bob" and password eq hun%ter2', '[redacted] eq "[redacted]" and password eq [redacted]'],
    // Naming no secret: untouched, well-formed or not.
    ['userName eq "hunter2"', 'userName eq "hunter2"'],
    ['userName eq hunter2', 'userName eq hunter2'],
  ])('%s → %s', (text, redacted) => {
    expect(redactSecretValues(text)).toBe(redacted);
    // Redacting it again changes nothing (migration RedactLoggedSecrets may meet entries already redacted).
    expect(redactSecretValues(redacted)).toBe(redacted);
  });

  it('reads a PATCH path as a path', () => {
    expect(redactSecretValues('password[value eq "hunter2"]', 'path')).toBe('password[value eq "[redacted]"]');
    expect(redactSecretValues('emails[type eq "work" and password eq "x"].value', 'path')).toBe('emails[type eq "work" and password eq "[redacted]"].value');
    expect(redactSecretValues('password', 'path')).toBe('password');
  });
});
