import { invalidFilter } from '../errors';

export type TokenType = 'word' | 'string' | '(' | ')' | '[' | ']' | '.' | 'eof';

export interface Token {
  type: TokenType;
  /** Raw text for words, the decoded value for strings. */
  text: string;
  /** 0-based offset in the input. */
  pos: number;
  /** 0-based offset just past the token (its closing quote for a string). */
  end: number;
}

// Attribute names, URNs ("urn:…:2.0:User:name.givenName"), operators, numbers and literals are
// all "words"; the parser decides what a word means from where it stands.
const WORD_START = /[A-Za-z0-9_$+-]/;
const WORD_CHAR = /[A-Za-z0-9_$+\-.:]/;
const SPACE = /[ \t\r\n]/;

export const at = (pos: number) => `at position ${pos + 1}`;

/**
 * Linear scan; throws invalidFilter on characters no filter can contain. `hideText`: the input names
 * a secret attribute (see secrets.ts), so an error does not quote the character it stopped at.
 */
export function tokenize(input: string, hideText = false): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i]!;
    if (SPACE.test(c)) {
      i++;
      continue;
    }
    if (c === '(' || c === ')' || c === '[' || c === ']' || c === '.') {
      tokens.push({ type: c, text: c, pos: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '"') {
      const start = i;
      i++;
      while (i < input.length && input[i] !== '"') i += input[i] === '\\' ? 2 : 1;
      if (i >= input.length) throw invalidFilter(`unterminated string starting ${at(start)}`);
      i++;
      let value: unknown;
      try {
        value = JSON.parse(input.slice(start, i));
      } catch {
        throw invalidFilter(`invalid string escape in the string starting ${at(start)}`);
      }
      tokens.push({ type: 'string', text: value as string, pos: start, end: i });
      continue;
    }
    if (WORD_START.test(c)) {
      const start = i;
      while (i < input.length && WORD_CHAR.test(input[i]!)) i++;
      tokens.push({ type: 'word', text: input.slice(start, i), pos: start, end: i });
      continue;
    }
    if (c === "'") throw invalidFilter(`single quotes are not allowed ${at(i)}; use double quotes`);
    throw invalidFilter(hideText ? `unexpected character ${at(i)}` : `unexpected character ${JSON.stringify(c)} ${at(i)}`);
  }
  tokens.push({ type: 'eof', text: '', pos: input.length, end: input.length });
  return tokens;
}
