// The script format of the official testsuite (spec repository, interpreter/README.md "Scripts"):
// commands over modules, actions and assertions. Modules are kept as source; the runner parses them.

import type { Action, Command, Expected, ModuleSource, NanPattern, ScriptValue } from '../script/ast.js';
import { isList, readSExprs, type SExpr, type SList, type Token } from './lexer.js';
import {
  Cursor, decodeName, fail, floatLiteral, intLiteral, isForm, isKeyword, isShape, laneBytes, laneTokens, run, SHAPES, strings,
  unexpected, type Nested,
} from './parse.js';

/** Fields that make a script one inline module (the script grammar's `inline_module`). */
const MODULE_FIELDS = new Set(['type', 'import', 'func', 'table', 'memory', 'global', 'export', 'start', 'elem', 'data']);

export function parseScript(text: string): Command[] {
  const top = readSExprs(text);
  const first = top[0];
  if (isList(first) && isKeyword(first.items[0]) && MODULE_FIELDS.has(first.items[0].text)) {
    return [{ kind: 'module', line: first.line, source: { type: 'text', text }, definition: false }];
  }
  return top.map((e) => {
    if (!isList(e)) unexpected(e, e.line);
    return command(e, text);
  });
}

function command(list: SList, text: string): Command {
  const c = new Cursor(list);
  const head = c.keyword();
  const line = list.line;
  switch (head.text) {
    case 'module': {
      if (isKeyword(c.peek(), 'instance')) {
        c.next();
        const name = c.optId();
        const module = c.optId();
        c.end();
        return { kind: 'instance', line, ...opt('name', name), ...opt('module', module) };
      }
      const { name, source, definition } = moduleSource(list, text);
      return { kind: 'module', line, ...opt('name', name), source, definition };
    }
    case 'register': {
      const as = decodeName(c.string());
      const name = c.optId();
      c.end();
      return { kind: 'register', line, as, ...opt('name', name) };
    }
    case 'invoke': case 'get':
      return { kind: 'action', line, action: action(list) };
    case 'assert_return': {
      const a = action(c.list());
      const expected: Expected[] = [];
      while (!c.atEnd()) run(expectation(c.list(), expected));
      return { kind: 'assert_return', line, action: a, expected };
    }
    case 'assert_trap': case 'assert_exhaustion': {
      const target = c.list();
      const message = messageOf(c);
      if (isForm(target, 'module')) {
        // A module whose start function traps: the reference's old spelling of assert_uninstantiable.
        return { kind: 'assert_uninstantiable', line, source: moduleSource(target, text).source, message };
      }
      return { kind: head.text, line, action: action(target), message };
    }
    case 'assert_invalid': case 'assert_malformed': case 'assert_unlinkable': case 'assert_uninstantiable': {
      const source = moduleSource(c.list('module'), text).source;
      return { kind: head.text, line, source, message: messageOf(c) };
    }
    default:
      return unexpected(head, line);
  }
}

/** Copies `value` into `{key: value}` unless it is undefined (the AST's optional fields). */
function opt<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };
}

function messageOf(c: Cursor): string {
  const m = decodeName(c.string());
  c.end();
  return m;
}

function moduleSource(list: SList, text: string): { name?: string; source: ModuleSource; definition: boolean } {
  const c = new Cursor(list);
  c.next();
  const definitionToken = isKeyword(c.peek(), 'definition') ? (c.next() as Token) : undefined;
  const name = c.optId();
  let source: ModuleSource;
  if (isKeyword(c.peek(), 'binary')) {
    c.next();
    source = { type: 'binary', bytes: strings(c) };
  } else if (isKeyword(c.peek(), 'quote')) {
    c.next();
    source = { type: 'quote', text: new TextDecoder().decode(strings(c)) };
  } else {
    // The module as written; `definition` is dropped so that the text is a plain module.
    const body = definitionToken === undefined
      ? text.slice(list.start, list.end)
      : '(module' + text.slice(definitionToken.end, list.end);
    source = { type: 'text', text: body };
  }
  return { ...opt('name', name), source, definition: definitionToken !== undefined };
}

function action(list: SList): Action {
  const c = new Cursor(list);
  const kind = c.keyword();
  const module = c.optId();
  const name = decodeName(c.string());
  if (kind.text === 'get') {
    c.end();
    return { kind: 'get', ...opt('module', module), name };
  }
  if (kind.text !== 'invoke') unexpected(kind, list.line);
  const args: ScriptValue[] = [];
  while (!c.atEnd()) args.push(constant(c.list()));
  return { kind: 'invoke', ...opt('module', module), name, args };
}

/** `(t.const lit)`, `(ref.null ht)`, `(ref.extern n)`: an argument or an exact expected value. */
function constant(list: SList): ScriptValue {
  const c = new Cursor(list);
  const op = c.keyword();
  const line = list.line;
  let v: ScriptValue;
  switch (op.text) {
    case 'i32.const': v = { type: 'i32', value: Number(BigInt.asIntN(32, intLiteral(c.next(), 32, line))) }; break;
    case 'i64.const': v = { type: 'i64', value: BigInt.asIntN(64, intLiteral(c.next(), 64, line)) }; break;
    case 'f32.const': v = { type: 'f32', bits: Number(floatLiteral(c.next(), 32, line)) }; break;
    case 'f64.const': v = { type: 'f64', bits: floatLiteral(c.next(), 64, line) }; break;
    case 'v128.const': {
      const shape = c.keyword();
      if (!isShape(shape.text)) unexpected(shape, line);
      const { bits, float } = SHAPES[shape.text];
      const lanes = laneTokens(c, shape.text).map((l) => float ? floatLiteral(l, bits as 32 | 64, line) : intLiteral(l, bits, line));
      v = { type: 'v128', bytes: laneBytes(lanes, bits) };
      break;
    }
    case 'ref.null': {
      const ht = c.keyword();
      if (ht.text !== 'func' && ht.text !== 'extern') unexpected(ht, line);
      v = { type: 'ref.null', heaptype: ht.text };
      break;
    }
    case 'ref.extern': {
      const n = c.keyword();
      v = { type: 'ref.extern', host: Number(BigInt.asUintN(32, intLiteral(n, 32, line))) };
      break;
    }
    default:
      return unexpected(op, line);
  }
  c.end();
  return v;
}

function isNanPattern(e: SExpr | undefined): e is Token & { text: NanPattern } {
  return isKeyword(e, 'nan:canonical') || isKeyword(e, 'nan:arithmetic');
}

/** An expected result, appended to `out`: a constant, a NaN pattern, per-lane patterns, any
 *  reference, or `either` of expected results (nested as deep as the script says: see `run`). */
function* expectation(list: SList, out: Expected[]): Nested {
  out.push(yield* expected(list));
}

function* expected(list: SList): Generator<Nested, Expected, undefined> {
  const c = new Cursor(list);
  const op = c.keyword();
  switch (op.text) {
    case 'either': {
      const options: Expected[] = [];
      while (!c.atEnd()) yield expectation(c.list(), options);
      return { kind: 'either', options };
    }
    case 'f32.const': case 'f64.const':
      if (isNanPattern(c.peek())) {
        const nan = (c.next() as Token).text as NanPattern;
        c.end();
        return { kind: 'nan', type: op.text === 'f32.const' ? 'f32' : 'f64', nan };
      }
      break;
    case 'v128.const': {
      const p = c.peek();
      if ((isKeyword(p, 'f32x4') || isKeyword(p, 'f64x2')) && list.items.some(isNanPattern)) {
        c.next();
        const shape = p.text as 'f32x4' | 'f64x2';
        const bits = shape === 'f32x4' ? 32 : 64;
        const lanes = laneTokens(c, shape, true).map((l) =>
          isNanPattern(l) ? { nan: l.text } : { bits: bits === 32 ? Number(floatLiteral(l, 32, list.line)) : floatLiteral(l, 64, list.line) });
        c.end();
        return { kind: 'v128lanes', shape, lanes };
      }
      break;
    }
    case 'ref.func': case 'ref.extern':
      if (c.atEnd()) return { kind: 'anyref', heaptype: op.text === 'ref.func' ? 'func' : 'extern' };
      if (op.text === 'ref.func') fail('unexpected token', list.line);
      break;
  }
  return { kind: 'value', value: constant(list) };
}
