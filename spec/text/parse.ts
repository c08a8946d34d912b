// Text format of modules (spec chapter 6, §6.4–§6.6): S-expressions to the Module AST, with
// identifiers resolved per index space and every abbreviation expanded.

import { checkModuleLimits } from '../limits.js';
import { opcodes, type BlockType, type Expr, type ImmKind, type Instr, type MemArg, type Opname } from '../structure/instructions.js';
import type { Data, DataMode, Elem, ElemMode, Export, Func, Global, Import, ImportDesc, Mem, Module, Table } from '../structure/module.js';
import { funcTypeEquals, type FuncType, type GlobalType, type Limits, type RefType, type TableType, type ValType } from '../structure/types.js';
import { concatBytes } from '../binary/format.js';
import { isList, readSExprs, TextError, type SExpr, type SList, type Token } from './lexer.js';
import { F32, F64, isNumberToken, parseFloat, parseInt, parseNat } from './numbers.js';

/** Parses one module: `(module $id? field*)` or, as §6.6.14 allows, the bare fields. */
export function parseModule(text: string): Module {
  const top = readSExprs(text);
  const first = top[0];
  if (top.length === 1 && isList(first) && isKeyword(first.items[0], 'module')) {
    const c = new Cursor(first);
    c.next();
    c.optId();
    return moduleFields(c.rest(), first.line);
  }
  return moduleFields(top, 1);
}

// ---------------------------------------------------------------------------------------------
// Reading S-expressions

export function fail(message: string, at: SExpr | number): never {
  throw new TextError(message, typeof at === 'number' ? at : at.line);
}

export function isKeyword(e: SExpr | undefined, kw?: string): e is Token {
  return e !== undefined && e.kind === 'keyword' && (kw === undefined || e.text === kw);
}

/** A list whose first item is the keyword `kw`. */
export function isForm(e: SExpr | undefined, kw: string): e is SList {
  return isList(e) && isKeyword(e.items[0], kw);
}

/** The words of the text and script grammars besides instruction names: an idchar run that is
 *  none of these nor a number is an unknown operator, as the reference lexer reports it. */
const WORDS = new Set([
  'module', 'type', 'func', 'param', 'result', 'local', 'global', 'table', 'memory', 'elem', 'data',
  'import', 'export', 'start', 'offset', 'item', 'declare', 'mut', 'funcref', 'externref', 'extern',
  'then', 'else', 'end', 'i32', 'i64', 'f32', 'f64', 'v128', 'i8x16', 'i16x8', 'i32x4', 'i64x2',
  'f32x4', 'f64x2', 'binary', 'quote', 'definition', 'instance', 'register', 'invoke', 'get',
  'assert_return', 'assert_trap', 'assert_exhaustion', 'assert_invalid', 'assert_malformed',
  'assert_unlinkable', 'assert_uninstantiable', 'either', 'ref.extern', 'nan:canonical',
  'nan:arithmetic', 'script', 'input', 'output',
]);

/** A keyword token the reference lexer would not recognise at all. */
function isUnknownWord(e: SExpr | undefined): e is Token {
  return isKeyword(e) && !WORDS.has(e.text) && !Object.hasOwn(opcodes, e.text) && !isNumberToken(e.text) &&
    !/^(offset|align)=(?:[0-9](?:_?[0-9])*|0x[0-9a-fA-F](?:_?[0-9a-fA-F])*)$/.test(e.text);
}

/** The error for a token that does not fit where it stands. */
export function unexpected(e: SExpr | undefined, parentLine: number): never {
  if (isUnknownWord(e)) fail(`unknown operator ${e.text}`, e);
  fail('unexpected token', e ?? parentLine);
}

/** Reads the items of one list left to right. */
export class Cursor {
  private pos = 0;
  readonly items: readonly SExpr[];
  readonly line: number;
  constructor(list: SList | { items: readonly SExpr[]; line: number }) {
    this.items = list.items;
    this.line = list.line;
  }
  peek(k = 0): SExpr | undefined {
    return this.items[this.pos + k];
  }
  next(): SExpr {
    const e = this.items[this.pos];
    if (e === undefined) fail('unexpected token', this.line);
    this.pos++;
    return e;
  }
  atEnd(): boolean {
    return this.pos >= this.items.length;
  }
  /** Fails on whatever is left. */
  end(): void {
    if (!this.atEnd()) unexpected(this.peek(), this.line);
  }
  rest(): SExpr[] {
    const r = this.items.slice(this.pos);
    this.pos = this.items.length;
    return r;
  }
  optId(): string | undefined {
    const e = this.peek();
    if (e?.kind === 'id') {
      this.pos++;
      return e.text;
    }
    return undefined;
  }
  keyword(kw?: string): Token {
    const e = this.next();
    if (!isKeyword(e, kw)) unexpected(e, this.line);
    return e;
  }
  list(kw?: string): SList {
    const e = this.next();
    if (!isList(e) || (kw !== undefined && !isKeyword(e.items[0], kw))) unexpected(e, this.line);
    return e;
  }
  string(): Token {
    const e = this.next();
    if (e.kind !== 'string') unexpected(e, this.line);
    return e;
  }
}

// ignoreBOM: a leading U+FEFF is part of a name, not a byte order mark.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** §6.3.4 names: strings that are valid UTF-8. */
export function decodeName(t: Token): string {
  try {
    return utf8.decode(t.bytes);
  } catch {
    return fail('malformed UTF-8 encoding', t);
  }
}

/** A u32 written as a number literal (§6.3.1), e.g. an index or a lane. */
function u32(t: Token): number {
  const n = parseNat(t.text);
  if (n === undefined) unexpected(t, t.line);
  if (n >= 1n << 32n) fail('i32 constant out of range', t);
  return Number(n);
}

/** A u64 (limits, memarg offsets: 64-bit in the text so that the validator reports them). */
function u64(t: Token, text = t.text): number {
  const n = parseNat(text);
  if (n === undefined) unexpected(t, t.line);
  if (n >= 1n << 64n) fail('i64 constant out of range', t);
  return Number(n);
}

function isNat(e: SExpr | undefined): e is Token {
  return isKeyword(e) && parseNat(e.text) !== undefined;
}

function isIndex(e: SExpr | undefined): e is Token {
  return e?.kind === 'id' || isNat(e);
}

// ---------------------------------------------------------------------------------------------
// Literals

type IntBits = 8 | 16 | 32 | 64;

// The reference parser reads any number token here and reports a misfit as out of range.
export function intLiteral(t: SExpr, bits: IntBits, line: number): bigint {
  if (!isKeyword(t) || !isNumberToken(t.text)) unexpected(t, line);
  const r = parseInt(t.text, bits);
  if (typeof r === 'string') fail('constant out of range', t);
  return r;
}

export function floatLiteral(t: SExpr, bits: 32 | 64, line: number): bigint {
  if (!isKeyword(t) || !isNumberToken(t.text)) unexpected(t, line);
  const r = parseFloat(t.text, bits === 32 ? F32 : F64);
  if (typeof r === 'string') fail('constant out of range', t);
  return r;
}

export type Shape = 'i8x16' | 'i16x8' | 'i32x4' | 'i64x2' | 'f32x4' | 'f64x2';
export const SHAPES: Record<Shape, { lanes: number; bits: 8 | 16 | 32 | 64; float: boolean }> = {
  i8x16: { lanes: 16, bits: 8, float: false },
  i16x8: { lanes: 8, bits: 16, float: false },
  i32x4: { lanes: 4, bits: 32, float: false },
  i64x2: { lanes: 2, bits: 64, float: false },
  f32x4: { lanes: 4, bits: 32, float: true },
  f64x2: { lanes: 2, bits: 64, float: true },
};

export function isShape(s: string): s is Shape {
  return Object.hasOwn(SHAPES, s);
}

/** The lane literals following a shape: all number tokens (none can start an instruction), and
 *  in scripts' expected results also NaN patterns. */
export function laneTokens(c: Cursor, shape: Shape, nanPatterns = false): Token[] {
  const lanes: Token[] = [];
  const isLane = (e: SExpr | undefined): e is Token =>
    isKeyword(e) && (isNumberToken(e.text) || (nanPatterns && (e.text === 'nan:canonical' || e.text === 'nan:arithmetic')));
  for (let e = c.peek(); isLane(e); e = c.peek()) lanes.push(c.keyword());
  if (lanes.length !== SHAPES[shape].lanes) {
    if (isUnknownWord(c.peek())) unexpected(c.peek(), c.line);
    fail('wrong number of lane literals', c.peek() ?? c.line);
  }
  return lanes;
}

/** Writes lane values little-endian into 16 bytes. */
export function laneBytes(values: readonly bigint[], bits: number): Uint8Array {
  const bytes = new Uint8Array(16);
  const per = bits / 8;
  values.forEach((v, i) => {
    for (let b = 0; b < per; b++) bytes[i * per + b] = Number((v >> BigInt(8 * b)) & 0xffn);
  });
  return bytes;
}

/** §6.5.10 `v128.const shape lit*`. */
function v128Literal(c: Cursor): Uint8Array {
  const t = c.keyword();
  if (!isShape(t.text)) unexpected(t, c.line);
  const { bits, float } = SHAPES[t.text];
  const values = laneTokens(c, t.text).map((l) =>
    float ? floatLiteral(l, bits as 32 | 64, c.line) : intLiteral(l, bits, c.line));
  return laneBytes(values, bits);
}

// ---------------------------------------------------------------------------------------------
// Types

const VALTYPES: ReadonlySet<string> = new Set(['i32', 'i64', 'f32', 'f64', 'v128', 'funcref', 'externref']);

function valType(c: Cursor): ValType {
  const t = c.next();
  if (!isKeyword(t) || !VALTYPES.has(t.text)) unexpected(t, c.line);
  return t.text as ValType;
}

function refType(c: Cursor): RefType {
  const t = c.next();
  if (!isKeyword(t) || (t.text !== 'funcref' && t.text !== 'externref')) unexpected(t, c.line);
  return t.text;
}

function isRefTypeKeyword(e: SExpr | undefined): boolean {
  return isKeyword(e, 'funcref') || isKeyword(e, 'externref');
}

function globalType(c: Cursor): GlobalType {
  const e = c.peek();
  if (isForm(e, 'mut')) {
    c.next();
    const m = new Cursor(e);
    m.next();
    const type = valType(m);
    m.end();
    return { mut: true, type };
  }
  return { mut: false, type: valType(c) };
}

function limits(c: Cursor): Limits {
  const min = u64(c.keyword());
  return isNat(c.peek()) ? { min, max: u64(c.keyword()) } : { min };
}

/** `(param …)* (result …)*` of a type use or a function type. */
interface Signature {
  readonly params: ValType[];
  /** One entry per parameter: its identifier, if it has one. */
  readonly paramIds: (string | undefined)[];
  readonly results: ValType[];
}

function signature(c: Cursor, allowIds: boolean): Signature {
  const sig: Signature = { params: [], paramIds: [], results: [] };
  while (isForm(c.peek(), 'param')) {
    const p = new Cursor(c.list());
    p.next();
    const id = p.optId();
    if (id !== undefined) {
      if (!allowIds) fail('unexpected token', p.line);
      sig.params.push(valType(p));
      sig.paramIds.push(id);
      p.end();
    } else {
      while (!p.atEnd()) {
        sig.params.push(valType(p));
        sig.paramIds.push(undefined);
      }
    }
  }
  for (const t of results(c)) sig.results.push(t);
  if (isForm(c.peek(), 'param')) fail('unexpected token', c.peek()!);
  return sig;
}

/** `(result t*)*` */
function results(c: Cursor): ValType[] {
  const types: ValType[] = [];
  while (isForm(c.peek(), 'result')) {
    const r = new Cursor(c.list());
    r.next();
    while (!r.atEnd()) types.push(valType(r));
  }
  return types;
}

// ---------------------------------------------------------------------------------------------
// Index spaces

type Space = 'type' | 'func' | 'table' | 'memory' | 'global' | 'elem' | 'data';

/** How the reference interpreter names each space in "unknown …" and "duplicate …" errors. */
const SPACE_NAME: Record<Space, string> = {
  type: 'type', func: 'function', table: 'table', memory: 'memory', global: 'global', elem: 'elem segment', data: 'data segment',
};

class ModuleContext {
  readonly ids: Record<Space, Map<string, number>> = {
    type: new Map(), func: new Map(), table: new Map(), memory: new Map(), global: new Map(), elem: new Map(), data: new Map(),
  };
  readonly counts: Record<Space, number> = { type: 0, func: 0, table: 0, memory: 0, global: 0, elem: 0, data: 0 };
  /** Explicit type definitions, then the implicit ones of §6.6.4 in order of appearance. */
  readonly types: FuncType[] = [];

  /** Allocates the next index of a space, binding its identifier. */
  bind(space: Space, id: string | undefined, at: SExpr | number): number {
    const index = this.counts[space]++;
    if (id !== undefined) {
      if (this.ids[space].has(id)) fail(`duplicate ${space}`, at);
      this.ids[space].set(id, index);
    }
    return index;
  }

  index(space: Space, c: Cursor): number {
    const t = c.next();
    if (t.kind === 'id') {
      const i = this.ids[space].get(t.text);
      if (i === undefined) fail(`unknown ${SPACE_NAME[space]} ${t.text}`, t);
      return i;
    }
    if (!isKeyword(t)) unexpected(t, c.line);
    return u32(t);
  }

  /** §6.6.4: a type use without `(type x)` names the first equal type, appending one if none. */
  implicitType(ft: FuncType): number {
    const i = this.types.findIndex((t) => funcTypeEquals(t, ft));
    if (i >= 0) return i;
    this.types.push(ft);
    return this.types.length - 1;
  }

  /** §6.6.4 type uses: `(type x)? (param …)* (result …)*`. Returns the type index and the
   *  parameter identifiers (none when the type comes from `(type x)` alone). */
  typeUse(c: Cursor, allowIds: boolean): { type: number; paramIds: (string | undefined)[] } {
    const explicit = isForm(c.peek(), 'type') ? this.typeRef(c) : undefined;
    const sig = signature(c, allowIds);
    const ft: FuncType = { params: sig.params, results: sig.results };
    if (explicit === undefined) return { type: this.implicitType(ft), paramIds: sig.paramIds };
    const defined = this.types[explicit];
    if (sig.params.length + sig.results.length > 0) {
      if (defined === undefined || !funcTypeEquals(defined, ft)) fail('inline function type', c.line);
      return { type: explicit, paramIds: sig.paramIds };
    }
    return { type: explicit, paramIds: (defined?.params ?? []).map(() => undefined) };
  }

  /** `(type x)` */
  private typeRef(c: Cursor): number {
    const t = new Cursor(c.list('type'));
    t.next();
    const x = this.index('type', t);
    t.end();
    return x;
  }

  /** §6.5.2 block types. */
  blockType(c: Cursor): BlockType {
    if (isForm(c.peek(), 'type')) return { typeidx: this.typeUse(c, false).type };
    const sig = signature(c, false);
    if (sig.params.length === 0 && sig.results.length <= 1) return sig.results[0] ?? null;
    return { typeidx: this.implicitType({ params: sig.params, results: sig.results }) };
  }
}

// ---------------------------------------------------------------------------------------------
// Instructions (§6.5)

/** A parse written as a generator that yields each parse it nests instead of calling it. */
export type Nested = Generator<Nested, void, undefined>;

/**
 * Runs a parse and the parses it nests with an explicit stack of those in progress: a nested
 * parse runs to its end before the one that yielded it resumes, as a call would, but nesting in
 * the text (blocks, folded instructions) is the input's to choose, and must not be the JS stack's.
 */
export function run(parse: Nested): void {
  const stack: Nested[] = [parse];
  while (stack.length > 0) {
    const r = stack[stack.length - 1]!.next();
    if (r.done === true) stack.pop();
    else stack.push(r.value);
  }
}

/** Locals and labels of the function whose body is being read; constant expressions have none. */
class FuncContext {
  readonly localIds = new Map<string, number>();
  /** Innermost label last. */
  readonly labels: (string | undefined)[] = [];
  constructor(readonly mod: ModuleContext) {}

  bindLocal(id: string | undefined, index: number, at: SExpr | number): void {
    if (id === undefined) return;
    if (this.localIds.has(id)) fail('duplicate local', at);
    this.localIds.set(id, index);
  }

  local(c: Cursor): number {
    const t = c.next();
    if (t.kind === 'id') {
      const i = this.localIds.get(t.text);
      if (i === undefined) fail(`unknown local ${t.text}`, t);
      return i;
    }
    if (!isKeyword(t)) unexpected(t, c.line);
    return u32(t);
  }

  label(c: Cursor): number {
    const t = c.next();
    if (t.kind === 'id') {
      const depth = this.labels.lastIndexOf(t.text);
      if (depth < 0) fail(`unknown label ${t.text}`, t);
      return this.labels.length - 1 - depth;
    }
    if (!isKeyword(t)) unexpected(t, c.line);
    return u32(t);
  }

  /** `end id?` / `else id?`: a trailing identifier must repeat the block's label (§6.5.2). */
  closingId(c: Cursor, label: string | undefined): void {
    const id = c.optId();
    if (id !== undefined && id !== label) fail('mismatching label', c.line);
  }

  /** Instructions up to the end of the cursor or one of the `stops` keywords. */
  private *instrs(c: Cursor, out: Instr[], stops: readonly string[] = []): Nested {
    for (let e = c.peek(); e !== undefined; e = c.peek()) {
      if (isKeyword(e) && stops.includes(e.text)) return;
      if (isList(e)) yield this.folded(new Cursor(c.list()), out);
      else if (isKeyword(e, 'block') || isKeyword(e, 'loop') || isKeyword(e, 'if')) yield this.plainStructured(c, out);
      else this.plain(c, out);
    }
  }

  expr(c: Cursor): Instr[] {
    const out: Instr[] = [];
    run(this.instrs(c, out));
    return out;
  }

  private plain(c: Cursor, out: Instr[]): void {
    const t = c.keyword();
    if (!Object.hasOwn(opcodes, t.text)) unexpected(t, c.line);
    out.push(this.immediates(t.text as Opname, c));
  }

  /** §6.5.2 `block`, `loop` and `if` written flat, up to `end`. */
  private *plainStructured(c: Cursor, out: Instr[]): Nested {
    const name = c.keyword().text as 'block' | 'loop' | 'if';
    const label = c.optId();
    const bt = this.mod.blockType(c);
    this.labels.push(label);
    if (name === 'if') {
      const then: Instr[] = [];
      const els: Instr[] = [];
      yield this.instrs(c, then, ['else', 'end']);
      if (isKeyword(c.peek(), 'else')) {
        c.next();
        this.closingId(c, label);
        yield this.instrs(c, els, ['end']);
      }
      out.push({ op: 'if', bt, then, else: els });
    } else {
      const body: Instr[] = [];
      yield this.instrs(c, body, ['end']);
      out.push({ op: name, bt, body });
    }
    c.keyword('end');
    this.closingId(c, label);
    this.labels.pop();
  }

  /** §6.5.3 folded instructions: operands first, then the operator. */
  private *folded(c: Cursor, out: Instr[]): Nested {
    const t = c.keyword();
    const name = t.text;
    if (name === 'block' || name === 'loop') {
      const label = c.optId();
      const bt = this.mod.blockType(c);
      this.labels.push(label);
      const body: Instr[] = [];
      yield this.instrs(c, body);
      this.labels.pop();
      out.push({ op: name, bt, body });
    } else if (name === 'if') {
      const label = c.optId();
      const bt = this.mod.blockType(c);
      while (isList(c.peek()) && !isForm(c.peek(), 'then')) yield this.folded(new Cursor(c.list()), out);
      this.labels.push(label);
      const thenList = new Cursor(c.list('then'));
      thenList.next();
      const then: Instr[] = [];
      yield this.instrs(thenList, then);
      const els: Instr[] = [];
      if (isForm(c.peek(), 'else')) {
        const elseList = new Cursor(c.list());
        elseList.next();
        yield this.instrs(elseList, els);
      }
      c.end();
      this.labels.pop();
      out.push({ op: 'if', bt, then, else: els });
    } else if (Object.hasOwn(opcodes, name)) {
      const instr = this.immediates(name as Opname, c);
      while (!c.atEnd()) {
        const e = c.next();
        if (!isList(e)) unexpected(e, c.line);
        yield this.folded(new Cursor(e), out);
      }
      out.push(instr);
    } else {
      unexpected(t, c.line);
    }
  }

  /** Reads the immediates the opcode table says `op` has. */
  private immediates(op: Opname, c: Cursor): Instr {
    const kind: ImmKind = opcodes[op].imm;
    const m = this.mod;
    const optIndex = (space: Space): number => (isIndex(c.peek()) ? m.index(space, c) : 0);
    // Two optional indices, both or neither (table.copy, memory.copy).
    const optPair = (space: Space): [number, number] =>
      isIndex(c.peek()) ? [m.index(space, c), m.index(space, c)] : [0, 0];
    // `x? y` where the first is the table/memory and the second the segment (table.init, memory.init).
    const segment = (space: Space, seg: Space): [number, number] =>
      isIndex(c.peek(1)) ? [m.index(space, c), m.index(seg, c)] : [0, m.index(seg, c)];
    const imm = ((): object => {
      switch (kind) {
        case 'none': return {};
        // Structured instructions are read by `plain` and `folded`, with their labels.
        case 'block': case 'if': return fail('unexpected token', c.line);
        case 'label': return { label: this.label(c) };
        case 'br_table': {
          const labels = [this.label(c)];
          while (isIndex(c.peek())) labels.push(this.label(c));
          return { labels: labels.slice(0, -1), default: labels[labels.length - 1] };
        }
        case 'func': return { func: m.index('func', c) };
        case 'call_indirect': {
          const table = optIndex('table');
          return { table, type: m.typeUse(c, false).type };
        }
        case 'local': return { local: this.local(c) };
        case 'global': return { global: m.index('global', c) };
        case 'table': return { table: optIndex('table') };
        case 'table_copy': { const [dst, src] = optPair('table'); return { dst, src }; }
        case 'table_init': { const [table, elem] = segment('table', 'elem'); return { table, elem }; }
        case 'elem': return { elem: m.index('elem', c) };
        case 'memarg': return { memarg: memarg(op, c) };
        case 'mem': return { mem: optIndex('memory') };
        case 'memory_copy': { const [dst, src] = optPair('memory'); return { dst, src }; }
        case 'memory_init': { const [mem, data] = segment('memory', 'data'); return { mem, data }; }
        case 'data': return { data: m.index('data', c) };
        case 'i32': return { value: Number(BigInt.asIntN(32, intLiteral(c.next(), 32, c.line))) };
        case 'i64': return { value: BigInt.asIntN(64, intLiteral(c.next(), 64, c.line)) };
        case 'f32': return { bits: Number(floatLiteral(c.next(), 32, c.line)) };
        case 'f64': return { bits: floatLiteral(c.next(), 64, c.line) };
        case 'v128': return { bytes: v128Literal(c) };
        case 'heaptype': return { heaptype: heapType(c) };
        case 'select': {
          // Plain `select` (0x1B) unless a result list is written, even an empty one (0x1C).
          return isForm(c.peek(), 'result') ? { types: results(c) } : {};
        }
        case 'lane': return { lane: laneIndex(c) };
        case 'shuffle': {
          const tokens: Token[] = [];
          while (isKeyword(c.peek()) && isNumberToken((c.peek() as Token).text)) tokens.push(c.keyword());
          if (tokens.length !== 16) fail('invalid lane length', c.line);
          return { lanes: tokens.map(u8) };
        }
        case 'memarg_lane': {
          const memarg_ = memarg(op, c);
          return { memarg: memarg_, lane: laneIndex(c) };
        }
      }
    })();
    return { op, ...imm } as Instr;
  }
}

function heapType(c: Cursor): 'func' | 'extern' {
  const t = c.keyword();
  if (t.text !== 'func' && t.text !== 'extern') unexpected(t, c.line);
  return t.text;
}

function laneIndex(c: Cursor): number {
  const t = c.next();
  if (!isNat(t)) unexpected(t, c.line);
  return u8(t);
}

function u8(t: Token): number {
  const n = parseNat(t.text);
  if (n === undefined || n > 255n) fail('i8 constant out of range', t);
  return Number(n);
}

/** The natural alignment in bytes of a memory instruction (§6.5.7: the default `align`). */
function naturalAlignment(op: Opname): number {
  const m = /^(?:[if](32|64)|v128)\.(?:load|store)(\d+)?(x\d+)?/.exec(op)!;
  if (m[2] !== undefined) return m[3] !== undefined ? 8 : Number(m[2]) / 8;
  return m[1] !== undefined ? Number(m[1]) / 8 : 16;
}

/** §6.5.7 `offset=n? align=m?`; stored with align as its log2. */
function memarg(op: Opname, c: Cursor): MemArg {
  let offset = 0;
  let align = naturalAlignment(op);
  const p = c.peek();
  if (isKeyword(p) && p.text.startsWith('offset=')) offset = u64(c.keyword(), p.text.slice(7));
  const q = c.peek();
  if (isKeyword(q) && q.text.startsWith('align=')) {
    align = u64(c.keyword(), q.text.slice(6));
    if (align === 0 || (align & (align - 1)) !== 0) fail('alignment must be a power of two', q);
  }
  return { offset, align: Math.log2(align), mem: 0 };
}

// ---------------------------------------------------------------------------------------------
// Modules (§6.6)

type ImportKind = 'func' | 'table' | 'memory' | 'global';

const IMPORT_AFTER: Record<ImportKind, string> = {
  func: 'function', table: 'table', memory: 'memory', global: 'global',
};

/** The items after `(kind $id?` and its inline exports: an inline `(import "m" "n")`, if any. */
function inlineImport(c: Cursor): { module: string; name: string } | undefined {
  if (!isForm(c.peek(), 'import')) return undefined;
  const i = new Cursor(c.list());
  i.next();
  const r = { module: decodeName(i.string()), name: decodeName(i.string()) };
  i.end();
  return r;
}

function inlineExports(c: Cursor): string[] {
  const names: string[] = [];
  while (isForm(c.peek(), 'export')) {
    const e = new Cursor(c.list());
    e.next();
    names.push(decodeName(e.string()));
    e.end();
  }
  return names;
}

function moduleFields(fields: readonly SExpr[], line: number): Module {
  const mod = new ModuleContext();

  // First pass: bind every identifier, so uses may precede definitions, and read the explicit
  // types, so the implicit ones of §6.6.4 come after all of them.
  const defined = new Set<ImportKind>();
  for (const field of fields) {
    if (!isList(field)) unexpected(field, line);
    const c = new Cursor(field);
    const head = c.keyword();
    switch (head.text) {
      case 'type': {
        const id = c.optId();
        const f = new Cursor(c.list('func'));
        f.next();
        const sig = signature(f, true);
        f.end();
        c.end();
        mod.bind('type', id, field);
        mod.types.push({ params: sig.params, results: sig.results });
        break;
      }
      case 'import': {
        c.string();
        c.string();
        const desc = c.list();
        const kind = isKeyword(desc.items[0]) ? desc.items[0].text : '';
        if (kind !== 'func' && kind !== 'table' && kind !== 'memory' && kind !== 'global') unexpected(desc.items[0], desc.line);
        checkImportOrder(defined, field);
        const d = new Cursor(desc);
        d.next();
        mod.bind(kind, d.optId(), field);
        break;
      }
      case 'func': case 'table': case 'memory': case 'global': {
        const kind = head.text;
        const id = c.optId();
        inlineExports(c);
        if (isForm(c.peek(), 'import')) checkImportOrder(defined, field);
        else defined.add(kind);
        mod.bind(kind, id, field);
        // Inline segments occupy an index of their own (§6.6.6, §6.6.7 abbreviations).
        if (kind === 'table' && isRefTypeKeyword(c.peek()) && isForm(c.peek(1), 'elem')) mod.bind('elem', undefined, field);
        if (kind === 'memory' && isForm(c.peek(), 'data')) mod.bind('data', undefined, field);
        break;
      }
      case 'elem': case 'data':
        mod.bind(head.text, c.optId(), field);
        break;
      case 'export': case 'start':
        break;
      default:
        unexpected(head, field.line);
    }
  }

  const imports: Import[] = [];
  const funcs: Func[] = [];
  const tables: Table[] = [];
  const mems: Mem[] = [];
  const globals: Global[] = [];
  const elems: Elem[] = [];
  const datas: Data[] = [];
  const exports: Export[] = [];
  let start: number | undefined;
  const next: Record<'func' | 'table' | 'memory' | 'global', number> = { func: 0, table: 0, memory: 0, global: 0 };
  const constExpr = (c: Cursor): Expr => new FuncContext(mod).expr(c);

  for (const field of fields as SList[]) {
    const c = new Cursor(field);
    const head = c.keyword().text;
    switch (head) {
      case 'type':
        break;
      case 'import': {
        const module = decodeName(c.string());
        const name = decodeName(c.string());
        const d = new Cursor(c.list());
        const kind = d.keyword().text as ImportKind;
        d.optId();
        imports.push({ module, name, desc: importDesc(kind, d, mod) });
        next[kind]++;
        d.end();
        c.end();
        break;
      }
      case 'func': case 'table': case 'memory': case 'global': {
        const index = next[head]++;
        c.optId();
        for (const name of inlineExports(c)) {
          exports.push({ name, desc: { kind: head === 'memory' ? 'mem' : head, index } });
        }
        const imp = inlineImport(c);
        if (imp !== undefined) {
          imports.push({ ...imp, desc: importDesc(head, c, mod) });
        } else if (head === 'func') {
          funcs.push(funcBody(c, mod));
        } else if (head === 'table') {
          if (isRefTypeKeyword(c.peek())) {
            // §6.6.6: `(table reftype (elem …))` is a table of exactly the elements' size.
            const reftype = refType(c);
            const e = new Cursor(c.list('elem'));
            e.next();
            const init = elemExprs(e, mod);
            tables.push({ type: { addrtype: 'i32', limits: { min: init.length, max: init.length }, reftype } });
            elems.push({ type: reftype, init, mode: { kind: 'active', table: index, offset: [{ op: 'i32.const', value: 0 }] } });
          } else {
            tables.push({ type: tableType(c) });
          }
        } else if (head === 'memory') {
          if (isForm(c.peek(), 'data')) {
            // §6.6.7: `(memory (data …))` is a memory just large enough for the data.
            const d = new Cursor(c.list());
            d.next();
            const init = strings(d);
            const pages = Math.ceil(init.length / 65536);
            mems.push({ type: { addrtype: 'i32', limits: { min: pages, max: pages } } });
            datas.push({ init, mode: { kind: 'active', mem: index, offset: [{ op: 'i32.const', value: 0 }] } });
          } else {
            mems.push({ type: { addrtype: 'i32', limits: limits(c) } });
          }
        } else {
          const type = globalType(c);
          globals.push({ type, init: constExpr(c) });
        }
        c.end();
        break;
      }
      case 'export': {
        const name = decodeName(c.string());
        const d = new Cursor(c.list());
        const kind = d.keyword();
        if (kind.text !== 'func' && kind.text !== 'table' && kind.text !== 'memory' && kind.text !== 'global') unexpected(kind, d.line);
        const index = mod.index(kind.text, d);
        d.end();
        c.end();
        exports.push({ name, desc: { kind: kind.text === 'memory' ? 'mem' : kind.text, index } });
        break;
      }
      case 'start': {
        if (start !== undefined) fail('multiple start sections', field);
        start = mod.index('func', c);
        c.end();
        break;
      }
      case 'elem':
        c.optId();
        elems.push(elemSegment(c, mod));
        break;
      case 'data': {
        c.optId();
        let mode: DataMode = { kind: 'passive' };
        if (!c.atEnd() && c.peek()?.kind !== 'string') {
          let mem = 0;
          if (isForm(c.peek(), 'memory')) {
            const m = new Cursor(c.list());
            m.next();
            mem = mod.index('memory', m);
            m.end();
          } else if (isIndex(c.peek())) {
            mem = mod.index('memory', c);
          }
          mode = { kind: 'active', mem, offset: offsetExpr(c, mod) };
        }
        datas.push({ init: strings(c), mode });
        break;
      }
    }
  }

  const m: Module = {
    types: mod.types, funcs, tables, mems, globals, elems, datas, imports, exports, customs: [],
    ...(start === undefined ? {} : { start }),
  };
  checkModuleLimits(m);
  return m;
}

function checkImportOrder(defined: ReadonlySet<ImportKind>, at: SExpr): void {
  // §6.6.13: imports must precede the definitions of every index space.
  for (const k of ['func', 'global', 'table', 'memory'] as const) {
    if (defined.has(k)) fail(`import after ${IMPORT_AFTER[k]}`, at);
  }
}

function importDesc(kind: ImportKind, c: Cursor, mod: ModuleContext): ImportDesc {
  switch (kind) {
    case 'func': return { kind: 'func', type: mod.typeUse(c, true).type };
    case 'table': return { kind: 'table', type: tableType(c) };
    case 'memory': return { kind: 'mem', type: { addrtype: 'i32', limits: limits(c) } };
    case 'global': return { kind: 'global', type: globalType(c) };
  }
}

function tableType(c: Cursor): TableType {
  const l = limits(c);
  return { addrtype: 'i32', limits: l, reftype: refType(c) };
}

/** `string*` up to the end of the list: the bytes of all of them. */
export function strings(c: Cursor): Uint8Array {
  const parts: Uint8Array[] = [];
  while (!c.atEnd()) parts.push(c.string().bytes);
  return concatBytes(parts);
}

/** §6.6.5 a function's type use, locals and body. */
function funcBody(c: Cursor, mod: ModuleContext): Func {
  const f = new FuncContext(mod);
  const { type, paramIds } = mod.typeUse(c, true);
  paramIds.forEach((id, i) => f.bindLocal(id, i, c.line));
  const locals: ValType[] = [];
  while (isForm(c.peek(), 'local')) {
    const l = new Cursor(c.list());
    l.next();
    const id = l.optId();
    if (id !== undefined) {
      f.bindLocal(id, paramIds.length + locals.length, l.line);
      locals.push(valType(l));
      l.end();
    } else {
      while (!l.atEnd()) locals.push(valType(l));
    }
  }
  return { type, locals, body: f.expr(c) };
}

/** `(offset instr*)` or, abbreviated, one folded instruction (§6.6.7, §6.6.8). */
function offsetExpr(c: Cursor, mod: ModuleContext): Expr {
  const e = c.list();
  const f = new FuncContext(mod);
  if (isKeyword(e.items[0], 'offset')) {
    const o = new Cursor(e);
    o.next();
    return f.expr(o);
  }
  return f.expr(new Cursor({ items: [e], line: e.line }));
}

/** §6.6.7 element segments with their abbreviations. */
function elemSegment(c: Cursor, mod: ModuleContext): Elem {
  const list = (allowBareFuncs: boolean): { type: RefType; init: Expr[] } => {
    const reftype = isRefTypeKeyword(c.peek()) ? refType(c) : undefined;
    if (reftype !== undefined) return { type: reftype, init: elemExprs(c, mod) };
    if (isKeyword(c.peek(), 'func')) c.next();
    else if (!allowBareFuncs) unexpected(c.peek(), c.line);
    return { type: 'funcref', init: elemExprs(c, mod) };
  };
  if (isKeyword(c.peek(), 'declare')) {
    c.next();
    const { type, init } = list(false);
    return { type, init, mode: { kind: 'declarative' } };
  }
  if (c.atEnd() || isKeyword(c.peek(), 'func') || isRefTypeKeyword(c.peek())) {
    const { type, init } = list(false);
    return { type, init, mode: { kind: 'passive' } };
  }
  let table = 0;
  let explicitTable = false;
  if (isForm(c.peek(), 'table')) {
    const t = new Cursor(c.list());
    t.next();
    table = mod.index('table', t);
    t.end();
    explicitTable = true;
  } else if (isIndex(c.peek())) {
    table = mod.index('table', c);
  }
  const offset = offsetExpr(c, mod);
  const mode: ElemMode = { kind: 'active', table, offset };
  // §6.6.7: `(elem offset funcidx*)` without `func` only when the table use is omitted.
  const { type, init } = list(!explicitTable);
  return { type, init, mode };
}

/** Element expressions: function indices (the `func x*` forms) or `(item instr*)` and its
 *  abbreviation, one folded instruction. */
function elemExprs(c: Cursor, mod: ModuleContext): Expr[] {
  const init: Expr[] = [];
  const f = new FuncContext(mod);
  while (!c.atEnd()) {
    const e = c.peek();
    if (!isList(e)) {
      init.push([{ op: 'ref.func', func: mod.index('func', c) }]);
    } else if (isKeyword(c.list().items[0], 'item')) {
      const i = new Cursor(e);
      i.next();
      init.push(f.expr(i));
    } else {
      init.push(f.expr(new Cursor({ items: [e], line: e.line })));
    }
  }
  return init;
}
