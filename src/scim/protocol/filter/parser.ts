import { ScimError, invalidFilter, invalidPath } from '../errors';
import type { AttrPath, CompValue, CompareOp, Filter } from './ast';
import { COMPARE_OPS } from './ast';
import { at, tokenize, type Token } from './lexer';
import { REDACTED, isSecretPath, secretAttribute, secretAttributeIn } from './secrets';
import { JSON_NUMBER } from '../values';

export interface FilterLimits {
  /** Maximum length in characters (default 4096). */
  maxLength?: number;
  /** Maximum nesting of parentheses, not() and value filters (default 32). */
  maxDepth?: number;
}

export const DEFAULT_FILTER_MAX_LENGTH = 4096;
export const DEFAULT_FILTER_MAX_DEPTH = 32;

const ATTRNAME = /^\$?[A-Za-z][A-Za-z0-9_-]*$/;
const URN_PREFIX = /^urn:[A-Za-z0-9][A-Za-z0-9-]*:[A-Za-z0-9_$+\-.:]+$/i;

/**
 * How error details show the text being parsed. As written, normally. A filter or path that names a
 * secret attribute (secrets.ts) is shown by the kind and position of its tokens only, and the detail
 * says why: where it misplaced a value is exactly where the grammar cannot tell a value from a name.
 */
class Echo {
  constructor(
    /** The secret attribute the text names, or undefined. */
    readonly secret: string | undefined,
    private readonly what: 'filter' | 'path',
  ) {}

  static of(text: string, what: 'filter' | 'path'): Echo {
    return new Echo(secretAttributeIn(text), what);
  }

  /** A token, after "found". */
  found(t: Token): string {
    if (t.type === 'eof') return 'end of input';
    if (this.secret) return t.type === 'string' ? 'a string' : t.type === 'word' ? 'a word' : `"${t.text}"`;
    return t.type === 'string' ? JSON.stringify(t.text) : `"${t.text}"`;
  }

  /** "unexpected" and a token. */
  unexpected(t: Token): string {
    return `unexpected ${this.secret && (t.type === 'string' || t.type === 'word') ? t.type : this.found(t)}`;
  }

  /** The tokens of `text`; a lexer error's detail shown as this says. */
  tokenize(text: string): Token[] {
    try {
      return tokenize(text, this.secret !== undefined);
    } catch (err) {
      throw this.secret && err instanceof ScimError ? new ScimError(err.status, this.detail(err.detail), err.scimType) : err;
    }
  }

  /** `what "text"`, or `what` alone. */
  quote(what: string, text: string): string {
    return this.secret ? what : `${what} "${text}"`;
  }

  /** A detail, with the reason its text is not shown when it is not. */
  detail(d: string): string {
    return this.secret ? `${d} (the ${this.what}'s values are not shown: it names the secret attribute "${this.secret}")` : d;
  }
}

const PLAIN = new Echo(undefined, 'filter');

/**
 * Turns one word into an attribute path. In a URN-qualified name the attribute follows the
 * LAST colon (the URN itself contains dots, as in "2.0", and colons).
 */
export function wordToAttrPath(text: string, pos: number, fail: (d: string) => ScimError = invalidFilter): AttrPath {
  return attrPathOf(text, pos, fail, PLAIN);
}

/** wordToAttrPath, its errors' details shown as `echo` says. */
function attrPathOf(text: string, pos: number, fail: (d: string) => ScimError, echo: Echo): AttrPath {
  let schema: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const i = text.lastIndexOf(':');
    schema = text.slice(0, i);
    rest = text.slice(i + 1);
    if (!URN_PREFIX.test(schema) || rest === '') {
      throw fail(echo.detail(`${echo.quote('invalid schema-qualified attribute', text)} ${at(pos)}`));
    }
  }
  const parts = rest.split('.');
  if (parts.length > 2 || !parts.every((p) => ATTRNAME.test(p))) {
    throw fail(echo.detail(`${echo.quote('invalid attribute path', text)} ${at(pos)}`));
  }
  const path: AttrPath = { attribute: parts[0]! };
  if (schema !== undefined) path.schema = schema;
  if (parts[1] !== undefined) path.subAttribute = parts[1];
  return path;
}

/** Where a value compared with a secret attribute stands in the text (`redactSecretValues`). */
interface Span {
  start: number;
  end: number;
}

class Parser {
  private i = 0;
  /** Inside the brackets of a value filter on a secret attribute: every value compared there is the secret's. */
  private secretParent = false;
  /** The spans of the values compared with a secret attribute, in order. */
  readonly secretValues: Span[] = [];

  constructor(
    private readonly tokens: Token[],
    private readonly maxDepth: number,
    readonly echo: Echo = PLAIN,
  ) {}

  /** invalidFilter, its detail shown as `echo` says. */
  fail(detail: string): ScimError {
    return invalidFilter(this.echo.detail(detail));
  }

  /** Parses the filter inside `attr[…]`. */
  parseValueFilter(depth: number, parent: AttrPath): Filter {
    this.secretParent = isSecretPath(parent);
    try {
      return this.parseOr(depth, true);
    } finally {
      this.secretParent = false;
    }
  }

  peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }

  next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  isWord(t: Token, w: string): boolean {
    return t.type === 'word' && t.text.toLowerCase() === w;
  }

  expect(type: Token['type'], what: string): Token {
    const t = this.next();
    if (t.type !== type) throw this.fail(`expected ${what} ${at(t.pos)}, found ${this.echo.found(t)}`);
    return t;
  }

  enter(depth: number, t: Token): void {
    if (depth > this.maxDepth) {
      throw this.fail(`filter nests deeper than ${this.maxDepth} levels ${at(t.pos)}`);
    }
  }

  // Precedence: not > and > or. Chains are built iteratively; only grouping recurses.
  parseOr(depth: number, inValuePath: boolean): Filter {
    let left = this.parseAnd(depth, inValuePath);
    while (this.isWord(this.peek(), 'or')) {
      this.next();
      left = { kind: 'or', left, right: this.parseAnd(depth, inValuePath) };
    }
    return left;
  }

  parseAnd(depth: number, inValuePath: boolean): Filter {
    let left = this.parseUnary(depth, inValuePath);
    while (this.isWord(this.peek(), 'and')) {
      this.next();
      left = { kind: 'and', left, right: this.parseUnary(depth, inValuePath) };
    }
    return left;
  }

  parseUnary(depth: number, inValuePath: boolean): Filter {
    const t = this.peek();
    if (t.type === '(') {
      this.enter(depth + 1, t);
      this.next();
      const inner = this.parseOr(depth + 1, inValuePath);
      this.expect(')', '")"');
      return inner;
    }
    if (this.isWord(t, 'not')) {
      // ABNF: "not" "(" FILTER ")"; the parentheses are mandatory.
      if (this.peek(1).type !== '(') {
        throw this.fail(`"not" must be followed by "(" ${at(this.peek(1).pos)}`);
      }
      this.enter(depth + 1, t);
      this.next();
      this.next();
      const inner = this.parseOr(depth + 1, inValuePath);
      this.expect(')', '")"');
      return { kind: 'not', filter: inner };
    }
    return this.parseAttrExp(depth, inValuePath);
  }

  parseAttrExp(depth: number, inValuePath: boolean): Filter {
    const t = this.next();
    if (t.type !== 'word') throw this.fail(`expected an attribute path ${at(t.pos)}, found ${this.echo.found(t)}`);
    const path = attrPathOf(t.text, t.pos, invalidFilter, this.echo);
    const bracket = this.peek();
    if (bracket.type === '[') {
      if (inValuePath) throw this.fail(`value filters cannot be nested ${at(bracket.pos)}`);
      if (path.subAttribute !== undefined) {
        throw this.fail(`a value filter must follow an attribute, not a sub-attribute ${at(bracket.pos)}`);
      }
      this.enter(depth + 1, bracket);
      this.next();
      const inner = this.parseValueFilter(depth + 1, path);
      this.expect(']', '"]"');
      if (this.peek().type !== '.') return { kind: 'valuePath', path, filter: inner };
      // Non-RFC form sent by Entra ID: emails[type eq "work"].value eq "x". The condition on the
      // sub-attribute joins the bracket filter, so both must hold for the same element.
      this.next();
      const subTok = this.expect('word', 'a sub-attribute name');
      if (!ATTRNAME.test(subTok.text)) throw this.fail(`${this.echo.quote('invalid sub-attribute', subTok.text)} ${at(subTok.pos)}`);
      const cond = this.parseCondition({ attribute: subTok.text }, isSecretPath(path));
      return { kind: 'valuePath', path, filter: { kind: 'and', left: inner, right: cond } };
    }
    return this.parseCondition(path, this.secretParent);
  }

  /** `secretParent`: the path is a sub-attribute of a secret attribute. */
  parseCondition(path: AttrPath, secretParent: boolean): Filter {
    const opTok = this.next();
    if (opTok.type !== 'word') {
      throw this.fail(`expected an operator ${at(opTok.pos)}, found ${this.echo.found(opTok)}`);
    }
    const op = opTok.text.toLowerCase();
    if (op === 'pr') return { kind: 'present', path };
    if (!(COMPARE_OPS as readonly string[]).includes(op)) {
      throw this.fail(`${this.echo.quote('unknown operator', opTok.text)} ${at(opTok.pos)}`);
    }
    const valueTok = this.peek();
    const value = this.parseValue(op as CompareOp, opTok);
    if (secretParent || isSecretPath(path)) this.secretValues.push({ start: valueTok.pos, end: valueTok.end });
    return { kind: 'compare', path, op: op as CompareOp, value };
  }

  parseValue(op: CompareOp, opTok: Token): CompValue {
    const t = this.next();
    let value: CompValue;
    if (t.type === 'string') value = t.text;
    else if (t.type === 'word') {
      const w = t.text.toLowerCase();
      if (w === 'true') value = true;
      else if (w === 'false') value = false;
      else if (w === 'null') value = null;
      else if (JSON_NUMBER.test(t.text)) {
        value = Number(t.text);
        if (!Number.isFinite(value)) throw this.fail(`number out of range ${at(t.pos)}`);
      } else if (/^[-+0-9]/.test(t.text)) {
        throw this.fail(`${this.echo.quote('invalid number', t.text)} ${at(t.pos)}`);
      } else {
        throw this.fail(`${this.echo.quote('unquoted value', t.text)} ${at(t.pos)}: string values must be in double quotes`);
      }
    } else {
      throw this.fail(`expected a value after "${opTok.text}" ${at(t.pos)}, found ${this.echo.found(t)}`);
    }
    if ((op === 'co' || op === 'sw' || op === 'ew') && typeof value !== 'string') {
      throw this.fail(`operator "${op}" needs a string value ${at(t.pos)}`);
    }
    if ((op === 'gt' || op === 'ge' || op === 'lt' || op === 'le') && (value === null || typeof value === 'boolean')) {
      throw this.fail(`operator "${op}" cannot compare ${String(value)} ${at(t.pos)}`);
    }
    return value;
  }
}

function checkLength(text: string, maxLength: number, fail: (d: string) => ScimError): void {
  if (text.length > maxLength) throw fail(`longer than ${maxLength} characters`);
}

/** A whole filter and the parser that read it (its `secretValues`). */
function readFilter(text: string, limits: FilterLimits): { filter: Filter; parser: Parser } {
  if (typeof text !== 'string') throw invalidFilter('filter must be a string');
  const maxLength = limits.maxLength ?? DEFAULT_FILTER_MAX_LENGTH;
  checkLength(text, maxLength, (d) => invalidFilter(`filter is ${d}`));
  if (text.trim() === '') throw invalidFilter('filter is empty');
  const echo = Echo.of(text, 'filter');
  const parser = new Parser(echo.tokenize(text), limits.maxDepth ?? DEFAULT_FILTER_MAX_DEPTH, echo);
  const filter = parser.parseOr(0, false);
  const rest = parser.peek();
  if (rest.type !== 'eof') throw parser.fail(`${echo.unexpected(rest)} ${at(rest.pos)}`);
  return { filter, parser };
}

/**
 * Parses the filter grammar of RFC 7644 §3.4.2.2. Every failure is a ScimError invalidFilter;
 * the scan is linear and recursion is bounded by maxDepth. An error's detail quotes the text it
 * stopped at, unless the filter names a secret attribute (see Echo).
 */
export function parseFilter(text: string, limits: FilterLimits = {}): Filter {
  return readFilter(text, limits).filter;
}

export interface ParsedValuePath {
  path: AttrPath;
  valueFilter?: Filter;
  subAttribute?: string;
}

/** A whole PATCH path and the parser that read it (its `secretValues`). */
function readPath(text: string, limits: FilterLimits): { result: ParsedValuePath; parser: Parser } {
  if (typeof text !== 'string' || text.trim() === '') throw invalidPath('path is empty');
  checkLength(text, limits.maxLength ?? DEFAULT_FILTER_MAX_LENGTH, (d) => invalidPath(`path is ${d}`));
  const echo = Echo.of(text, 'path');
  const fail = (d: string) => invalidPath(echo.detail(`${echo.quote('invalid path', text)}: ${d}`));
  let tokens: Token[];
  try {
    tokens = tokenize(text, echo.secret !== undefined);
  } catch (err) {
    throw fail((err as ScimError).detail);
  }
  const parser = new Parser(tokens, limits.maxDepth ?? DEFAULT_FILTER_MAX_DEPTH, echo);
  const first = parser.next();
  if (first.type !== 'word') throw fail(`expected an attribute ${at(first.pos)}`);
  const result: ParsedValuePath = { path: attrPathOf(first.text, first.pos, invalidPath, echo) };
  if (parser.peek().type === '[') {
    if (result.path.subAttribute !== undefined) throw fail('a value filter must follow an attribute, not a sub-attribute');
    parser.next();
    result.valueFilter = parser.parseValueFilter(1, result.path);
    const close = parser.next();
    if (close.type !== ']') throw fail(`expected "]" ${at(close.pos)}`);
    if (parser.peek().type === '.') {
      parser.next();
      const sub = parser.next();
      if (sub.type !== 'word' || !ATTRNAME.test(sub.text)) throw fail(`expected a sub-attribute ${at(sub.pos)}`);
      result.subAttribute = sub.text;
    }
  } else if (result.path.subAttribute !== undefined) {
    result.subAttribute = result.path.subAttribute;
    delete result.path.subAttribute;
  }
  const rest = parser.peek();
  if (rest.type !== 'eof') throw fail(`${echo.unexpected(rest)} ${at(rest.pos)}`);
  return { result, parser };
}

/**
 * PATH = attrPath / valuePath [subAttr] (RFC 7644 §3.5.2). Shape errors are invalidPath;
 * errors inside the brackets are invalidFilter (§3.12 applies it to PATCH path filters). Details
 * quote the path as parseFilter quotes a filter.
 */
export function parsePathExpression(text: string, limits: FilterLimits = {}): ParsedValuePath {
  return readPath(text, limits).result;
}

/** A word that is a secret attribute's name, URN-qualified or not (`password`, `urn:…:User:password`), and nothing else. */
const namesOnlySecret = (word: string): boolean => {
  const colon = word.lastIndexOf(':');
  return secretAttribute(word.slice(colon + 1)) !== undefined && (colon < 0 || URN_PREFIX.test(word.slice(0, colon)));
};

/** Filter keywords: never a value, so never redacted where the grammar cannot be followed. */
const KEYWORDS = new Set(['and', 'or', 'not', 'pr', ...COMPARE_OPS, 'true', 'false', 'null']);

/**
 * A filter (`as` 'filter') or PATCH path ('path') with every value compared with a secret attribute
 * replaced by "[redacted]", the rest as written: what the provisioning log keeps of a query string or
 * a body, and what PATCH errors show of a path. A text that names no secret attribute comes back as
 * it is. One that cannot be parsed keeps only its keywords, punctuation and the secret attribute's
 * name: its strings and other words are redacted, since there is no telling which is the secret.
 */
export function redactSecretValues(text: string, as: 'filter' | 'path' = 'filter'): string {
  if (typeof text !== 'string' || secretAttributeIn(text) === undefined) return text;
  let spans: readonly Span[];
  try {
    const unlimited = { maxLength: Number.MAX_SAFE_INTEGER };
    spans = (as === 'filter' ? readFilter(text, unlimited) : readPath(text, unlimited)).parser.secretValues;
  } catch {
    // "[redacted]" as it stands: a text redacted before (the provisioning log's older entries) comes back as it is.
    return text.replace(/"(?:[^"\\]|\\[\s\S]?)*"?|\[redacted\]|[^\s()[\]"]+/g, (m) =>
      m.startsWith('"') ? `"${REDACTED}"` : m === REDACTED || KEYWORDS.has(m.toLowerCase()) || namesOnlySecret(m) ? m : REDACTED,
    );
  }
  let out = '';
  let from = 0;
  for (const { start, end } of spans) {
    out += `${text.slice(from, start)}"${REDACTED}"`;
    from = end;
  }
  return out + text.slice(from);
}
