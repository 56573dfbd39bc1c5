import { invalidFilter, invalidPath, type ScimError } from '../errors';
import type { AttrPath, CompValue, CompareOp, Filter } from './ast';
import { COMPARE_OPS } from './ast';
import { at, tokenize, type Token } from './lexer';

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
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

const describe = (t: Token) =>
  t.type === 'eof' ? 'end of input' : t.type === 'string' ? JSON.stringify(t.text) : `"${t.text}"`;

/**
 * Turns one word into an attribute path. In a URN-qualified name the attribute follows the
 * LAST colon (the URN itself contains dots, as in "2.0", and colons).
 */
export function wordToAttrPath(text: string, pos: number, fail: (d: string) => ScimError = invalidFilter): AttrPath {
  let schema: string | undefined;
  let rest = text;
  if (/^urn:/i.test(text)) {
    const i = text.lastIndexOf(':');
    schema = text.slice(0, i);
    rest = text.slice(i + 1);
    if (!URN_PREFIX.test(schema) || rest === '') {
      throw fail(`invalid schema-qualified attribute "${text}" ${at(pos)}`);
    }
  }
  const parts = rest.split('.');
  if (parts.length > 2 || !parts.every((p) => ATTRNAME.test(p))) {
    throw fail(`invalid attribute path "${text}" ${at(pos)}`);
  }
  const path: AttrPath = { attribute: parts[0]! };
  if (schema !== undefined) path.schema = schema;
  if (parts[1] !== undefined) path.subAttribute = parts[1];
  return path;
}

class Parser {
  private i = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly maxDepth: number,
  ) {}

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
    if (t.type !== type) throw invalidFilter(`expected ${what} ${at(t.pos)}, found ${describe(t)}`);
    return t;
  }

  enter(depth: number, t: Token): void {
    if (depth > this.maxDepth) {
      throw invalidFilter(`filter nests deeper than ${this.maxDepth} levels ${at(t.pos)}`);
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
        throw invalidFilter(`"not" must be followed by "(" ${at(this.peek(1).pos)}`);
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
    if (t.type !== 'word') throw invalidFilter(`expected an attribute path ${at(t.pos)}, found ${describe(t)}`);
    const path = wordToAttrPath(t.text, t.pos);
    const bracket = this.peek();
    if (bracket.type === '[') {
      if (inValuePath) throw invalidFilter(`value filters cannot be nested ${at(bracket.pos)}`);
      if (path.subAttribute !== undefined) {
        throw invalidFilter(`a value filter must follow an attribute, not a sub-attribute ${at(bracket.pos)}`);
      }
      this.enter(depth + 1, bracket);
      this.next();
      const inner = this.parseOr(depth + 1, true);
      this.expect(']', '"]"');
      if (this.peek().type !== '.') return { kind: 'valuePath', path, filter: inner };
      // Non-RFC form sent by Entra ID: emails[type eq "work"].value eq "x". The condition on the
      // sub-attribute joins the bracket filter, so both must hold for the same element.
      this.next();
      const subTok = this.expect('word', 'a sub-attribute name');
      if (!ATTRNAME.test(subTok.text)) throw invalidFilter(`invalid sub-attribute "${subTok.text}" ${at(subTok.pos)}`);
      const cond = this.parseCondition({ attribute: subTok.text });
      return { kind: 'valuePath', path, filter: { kind: 'and', left: inner, right: cond } };
    }
    return this.parseCondition(path);
  }

  parseCondition(path: AttrPath): Filter {
    const opTok = this.next();
    if (opTok.type !== 'word') {
      throw invalidFilter(`expected an operator ${at(opTok.pos)}, found ${describe(opTok)}`);
    }
    const op = opTok.text.toLowerCase();
    if (op === 'pr') return { kind: 'present', path };
    if (!(COMPARE_OPS as readonly string[]).includes(op)) {
      throw invalidFilter(`unknown operator "${opTok.text}" ${at(opTok.pos)}`);
    }
    const value = this.parseValue(op as CompareOp, opTok);
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
        if (!Number.isFinite(value)) throw invalidFilter(`number out of range ${at(t.pos)}`);
      } else if (/^[-+0-9]/.test(t.text)) {
        throw invalidFilter(`invalid number "${t.text}" ${at(t.pos)}`);
      } else {
        throw invalidFilter(
          `unquoted value "${t.text}" ${at(t.pos)}: string values must be in double quotes`,
        );
      }
    } else {
      throw invalidFilter(`expected a value after "${opTok.text}" ${at(t.pos)}, found ${describe(t)}`);
    }
    if ((op === 'co' || op === 'sw' || op === 'ew') && typeof value !== 'string') {
      throw invalidFilter(`operator "${op}" needs a string value ${at(t.pos)}`);
    }
    if ((op === 'gt' || op === 'ge' || op === 'lt' || op === 'le') && (value === null || typeof value === 'boolean')) {
      throw invalidFilter(`operator "${op}" cannot compare ${String(value)} ${at(t.pos)}`);
    }
    return value;
  }
}

function checkLength(text: string, maxLength: number, fail: (d: string) => ScimError): void {
  if (text.length > maxLength) throw fail(`longer than ${maxLength} characters`);
}

/**
 * Parses the filter grammar of RFC 7644 §3.4.2.2. Every failure is a ScimError invalidFilter;
 * the scan is linear and recursion is bounded by maxDepth.
 */
export function parseFilter(text: string, limits: FilterLimits = {}): Filter {
  if (typeof text !== 'string') throw invalidFilter('filter must be a string');
  const maxLength = limits.maxLength ?? DEFAULT_FILTER_MAX_LENGTH;
  checkLength(text, maxLength, (d) => invalidFilter(`filter is ${d}`));
  if (text.trim() === '') throw invalidFilter('filter is empty');
  const parser = new Parser(tokenize(text), limits.maxDepth ?? DEFAULT_FILTER_MAX_DEPTH);
  const filter = parser.parseOr(0, false);
  const rest = parser.peek();
  if (rest.type !== 'eof') throw invalidFilter(`unexpected ${describe(rest)} ${at(rest.pos)}`);
  return filter;
}

export interface ParsedValuePath {
  path: AttrPath;
  valueFilter?: Filter;
  subAttribute?: string;
}

/**
 * PATH = attrPath / valuePath [subAttr] (RFC 7644 §3.5.2). Shape errors are invalidPath;
 * errors inside the brackets are invalidFilter (§3.12 applies it to PATCH path filters).
 */
export function parsePathExpression(text: string, limits: FilterLimits = {}): ParsedValuePath {
  if (typeof text !== 'string' || text.trim() === '') throw invalidPath('path is empty');
  checkLength(text, limits.maxLength ?? DEFAULT_FILTER_MAX_LENGTH, (d) => invalidPath(`path is ${d}`));
  let tokens: Token[];
  try {
    tokens = tokenize(text);
  } catch (err) {
    throw invalidPath(`invalid path "${text}": ${(err as ScimError).detail}`);
  }
  const parser = new Parser(tokens, limits.maxDepth ?? DEFAULT_FILTER_MAX_DEPTH);
  const first = parser.next();
  if (first.type !== 'word') throw invalidPath(`invalid path "${text}": expected an attribute ${at(first.pos)}`);
  const result: ParsedValuePath = { path: wordToAttrPath(first.text, first.pos, invalidPath) };
  if (parser.peek().type === '[') {
    if (result.path.subAttribute !== undefined) {
      throw invalidPath(`invalid path "${text}": a value filter must follow an attribute, not a sub-attribute`);
    }
    parser.next();
    result.valueFilter = parser.parseOr(1, true);
    const close = parser.next();
    if (close.type !== ']') throw invalidPath(`invalid path "${text}": expected "]" ${at(close.pos)}`);
    if (parser.peek().type === '.') {
      parser.next();
      const sub = parser.next();
      if (sub.type !== 'word' || !ATTRNAME.test(sub.text)) {
        throw invalidPath(`invalid path "${text}": expected a sub-attribute ${at(sub.pos)}`);
      }
      result.subAttribute = sub.text;
    }
  } else if (result.path.subAttribute !== undefined) {
    result.subAttribute = result.path.subAttribute;
    delete result.path.subAttribute;
  }
  const rest = parser.peek();
  if (rest.type !== 'eof') throw invalidPath(`invalid path "${text}": unexpected ${describe(rest)} ${at(rest.pos)}`);
  return result;
}
