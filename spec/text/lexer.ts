// Lexical format (spec §6.2) and the S-expression structure every text form shares: the text is
// cut into tokens, then parentheses group them into a tree that the module and script parsers read.

import { MalformedError } from '../errors.js';

export interface Token {
  /** `keyword` covers keywords, numbers and `offset=`/`align=` (all idchar runs not starting with `$`). */
  readonly kind: 'keyword' | 'id' | 'string';
  /** The source text of the token (for strings, the literal with its quotes). */
  readonly text: string;
  /** The bytes a string denotes (§6.3.3); empty for other tokens. */
  readonly bytes: Uint8Array;
  readonly line: number;
  readonly start: number;
  readonly end: number;
}

export interface SList {
  readonly kind: 'list';
  readonly items: readonly SExpr[];
  readonly line: number;
  /** Offsets of the opening and just past the closing parenthesis, for source slices. */
  readonly start: number;
  readonly end: number;
}

export type SExpr = Token | SList;

export function isList(e: SExpr | undefined): e is SList {
  return e !== undefined && e.kind === 'list';
}

/** A syntax error with its 1-based line, so a script can say where. */
export class TextError extends MalformedError {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

// §6.2.1: the characters that may make up keywords, identifiers and numbers.
const IDCHARS = /[0-9A-Za-z!#$%&'*+\-./:<=>?@\\^_`|~]/;

const utf8 = new TextEncoder();

/** Reads the whole text into its top-level S-expressions. */
export function readSExprs(text: string): SExpr[] {
  let pos = 0;
  let line = 1;
  const fail = (message: string): never => {
    throw new TextError(message, line);
  };

  const skipSpace = (): void => {
    while (pos < text.length) {
      const c = text[pos];
      if (c === '\n') {
        line++;
        pos++;
      } else if (c === ' ' || c === '\t' || c === '\r') {
        pos++;
      } else if (c === ';' && text[pos + 1] === ';') {
        // §6.2.4: a line comment ends at any newline, and a bare U+0D is one.
        while (pos < text.length && text[pos] !== '\n' && text[pos] !== '\r') pos++;
      } else if (c === '(' && text[pos + 1] === ';') {
        // §6.2.4 block comments nest.
        let depth = 0;
        do {
          if (pos >= text.length) fail('unclosed comment');
          if (text.startsWith('(;', pos)) {
            depth++;
            pos += 2;
          } else if (text.startsWith(';)', pos)) {
            depth--;
            pos += 2;
          } else {
            if (text[pos] === '\n') line++;
            pos++;
          }
        } while (depth > 0);
      } else {
        return;
      }
    }
  };

  const readString = (): Token => {
    const start = pos;
    const startLine = line;
    const bytes: number[] = [];
    pos++;
    for (;;) {
      if (pos >= text.length || text[pos] === '\n') fail('unclosed string literal');
      const cp = text.codePointAt(pos)!;
      if (cp === 0x22) {
        pos++;
        break;
      }
      if (cp < 0x20 || cp === 0x7f) fail('illegal control character in string literal');
      if (cp !== 0x5c) {
        const s = String.fromCodePoint(cp);
        for (const b of utf8.encode(s)) bytes.push(b);
        pos += s.length;
        continue;
      }
      const e = text[pos + 1];
      pos += 2;
      switch (e) {
        case 'n': bytes.push(0x0a); break;
        case 'r': bytes.push(0x0d); break;
        case 't': bytes.push(0x09); break;
        case '"': bytes.push(0x22); break;
        case "'": bytes.push(0x27); break;
        case '\\': bytes.push(0x5c); break;
        case 'u': {
          const m = /^\{([0-9a-fA-F](?:_?[0-9a-fA-F])*)\}/.exec(text.slice(pos, pos + 16));
          if (m === null) fail('illegal escape');
          const n = parseInt(m![1]!.replace(/_/g, ''), 16);
          // §6.3.3: a Unicode scalar value only.
          if (n >= 0x110000 || (n >= 0xd800 && n < 0xe000)) fail('illegal escape');
          for (const b of utf8.encode(String.fromCodePoint(n))) bytes.push(b);
          pos += m![0].length;
          break;
        }
        default: {
          const h = text.slice(pos - 1, pos + 1);
          if (!/^[0-9a-fA-F]{2}$/.test(h)) fail('illegal escape');
          bytes.push(parseInt(h, 16));
          pos++;
        }
      }
    }
    return { kind: 'string', text: text.slice(start, pos), bytes: Uint8Array.from(bytes), line: startLine, start, end: pos };
  };

  const readAtom = (): Token => {
    const start = pos;
    while (pos < text.length && IDCHARS.test(text[pos]!)) pos++;
    if (pos === start) {
      // Not a token start at all (e.g. `{` or a non-ASCII character outside a string).
      fail(text.codePointAt(pos)! > 0x7f ? 'malformed operator' : 'unexpected character');
    }
    const c = text[pos];
    if (c !== undefined && c !== ' ' && c !== '\t' && c !== '\n' && c !== '\r' && c !== '(' && c !== ')' && c !== ';') {
      // §6.2.2: tokens must be separated; e.g. `0x1"a"` or `i32.const{`.
      while (pos < text.length && !/[\s()";]/.test(text[pos]!)) pos++;
      fail('unknown operator');
    }
    const s = text.slice(start, pos);
    const kind = s[0] === '$' ? 'id' : 'keyword';
    if (kind === 'id' && s.length === 1) fail('unexpected token');
    return { kind, text: s, bytes: new Uint8Array(0), line, start, end: pos };
  };

  const stack: { items: SExpr[]; line: number; start: number }[] = [{ items: [], line: 1, start: 0 }];
  for (;;) {
    skipSpace();
    if (pos >= text.length) break;
    const c = text[pos];
    if (c === '(') {
      stack.push({ items: [], line, start: pos });
      pos++;
    } else if (c === ')') {
      if (stack.length === 1) fail('unexpected token');
      pos++;
      const l = stack.pop()!;
      stack[stack.length - 1]!.items.push({ kind: 'list', items: l.items, line: l.line, start: l.start, end: pos });
    } else if (c === '"') {
      stack[stack.length - 1]!.items.push(readString());
      if (pos < text.length && !/[\s();]/.test(text[pos]!)) fail('unknown operator');
    } else {
      stack[stack.length - 1]!.items.push(readAtom());
    }
  }
  if (stack.length > 1) fail('unexpected end');
  return stack[0]!.items;
}
