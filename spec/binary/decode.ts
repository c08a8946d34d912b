// Decoding — WebAssembly spec chapter 5 (binary format), for WebAssembly 2.0. The structure
// and the error messages follow the reference interpreter (interpreter/binary/decode.ml): the
// input is one stream (sections and function bodies are not cut out of it), sizes are checked
// after their content has been read ("section size mismatch"), and each malformation raises
// the testsuite's message. Two 3.0 readings are taken where the 2.0 testsuite files expect them:
// memarg flag bit 6 announces a memory index, and limits are u64.

import { MalformedError } from '../errors.js';
import {
  checkLimit, MAX_DATA_SEGMENTS, MAX_EXPORTS, MAX_FUNCTION_SIZE, MAX_FUNCTIONS, MAX_GLOBALS, MAX_IMPORTS, MAX_LOCALS,
  MAX_MODULE_SIZE, MAX_PARAMS, MAX_RESULTS, MAX_TABLES, MAX_TYPES, type Limit,
} from '../limits.js';
import {
  opByCode, opcodes, opInfo, type BlockType, type Expr, type Instr, type MemArg, type Opname,
} from '../structure/instructions.js';
import type {
  Custom, Data, DataMode, Elem, ElemMode, Export, Func, Global, Import, ImportDesc, Mem, Module, Table,
} from '../structure/module.js';
import { emptyModule } from '../structure/module.js';
import {
  heapTypeOf, type AddrType, type FuncType, type GlobalType, type Limits, type MemType, type RefType, type TableType,
  type ValType,
} from '../structure/types.js';
import {
  MAGIC, SECTION_ORDER, SectionId, VERSION, externKindCode, valTypeByCode,
} from './format.js';
import { readSigned, readSigned64, readUnsigned, readUnsigned64 } from './leb128.js';

/** §5.5.16 decodes a module; throws MalformedError with the testsuite's message. */
export function decodeModule(bytes: Uint8Array): Module {
  checkLimit(MAX_MODULE_SIZE, bytes.length);
  return new Decoder(bytes, false).module();
}

/**
 * The outline of a module already known to be well-formed: what describes its interface (types,
 * imports, the types of its functions, tables, memories, globals with their initialisers, exports,
 * start) and nothing of its code: functions have no locals or body, and the element, code, data and
 * custom sections are stepped over unread, so the cost follows the interface, not the code. Input
 * that is not well-formed may still throw MalformedError, or be outlined anyway: decode it first.
 */
export function decodeModuleOutline(bytes: Uint8Array): Module {
  return new Decoder(bytes, true).module();
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The structured instructions by opcode (§5.4.1). */
const STRUCTURED: ReadonlyMap<number, 'block' | 'loop' | 'if'> = new Map(
  (['block', 'loop', 'if'] as const).map((op) => [opcodes[op].code, op] as const),
);

/** Sub-opcodes of 0xFC and 0xFD are u32 (§5.4). */
const PREFIXES: ReadonlySet<number> = new Set([0xfc, 0xfd]);

/** The sections an outline steps over. */
const OUTSIDE_OUTLINE: ReadonlySet<number> = new Set([SectionId.element, SectionId.code, SectionId.data]);

const hex = (n: number): string => n.toString(16).padStart(2, '0');

class Decoder {
  private pos = 0;
  /** End of the innermost sized content being read. */
  private limit: number;
  private readonly view: DataView;
  private readonly next = (): number => this.byte();
  /** Whether the code section is being read, and whether a body there uses a data index
   *  (memory.init, data.drop), which needs the data count section (§5.5.13). */
  private inCode = false;
  private dataIndexInCode = false;

  /** `outline`: see decodeModuleOutline. */
  constructor(private readonly bytes: Uint8Array, private readonly outline: boolean) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.limit = bytes.length;
  }

  // ---- §5.1, §5.2 values ----

  private eos(): boolean {
    return this.pos >= this.bytes.length;
  }

  private peek(): number | undefined {
    return this.eos() ? undefined : this.bytes[this.pos];
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new MalformedError('unexpected end of section or function');
  }

  private byte(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  private take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** The next byte when it is a whole LEB128 number (below 0x80): the common case of indices
   *  and offsets, read without the general decoder. */
  private smallLeb(): number | undefined {
    const b = this.bytes[this.pos];
    if (b === undefined || b >= 0x80) return undefined;
    this.pos++;
    return b;
  }

  private u32(): number {
    return this.smallLeb() ?? readUnsigned(this.next, 32);
  }

  private u64(): number {
    return this.smallLeb() ?? Number(readUnsigned64(this.next));
  }

  private expectByte(b: number, message: string): void {
    if (this.byte() !== b) throw new MalformedError(message);
  }

  private zero(): void {
    this.expectByte(0x00, 'zero byte expected');
  }

  /** A vector length or byte count: it cannot exceed what is left of the input, counted
   *  from the start of the length itself (as the reference interpreter counts). */
  private len32(): number {
    const start = this.pos;
    const n = this.u32();
    if (n > this.bytes.length - start) throw new MalformedError('length out of bounds');
    return n;
  }

  /** A vector; `limit` bounds its length plus `before` (items of the same kind already read). */
  private vec<T>(item: (i: number) => T, limit?: Limit, before = 0): T[] {
    const n = this.len32();
    if (limit !== undefined) checkLimit(limit, before + n);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(i));
    return out;
  }

  /** §5.2.4 names: strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
  private name(): string {
    const bytes = this.take(this.len32());
    try {
      return utf8.decode(bytes);
    } catch {
      throw new MalformedError('malformed UTF-8 encoding');
    }
  }

  /** Content of a declared size (a section or a function body). The content is read from the
   *  whole input, and its size checked afterwards, except that instructions may not start past
   *  its end (see `instr`). */
  private sized<T>(content: (size: number) => T, limit?: Limit): T {
    const size = this.len32();
    if (limit !== undefined) checkLimit(limit, size);
    const start = this.pos;
    const outer = this.limit;
    this.limit = start + size;
    const x = content(size);
    this.limit = outer;
    if (this.pos !== start + size) throw new MalformedError('section size mismatch');
    return x;
  }

  // ---- §5.3 types ----

  private valType(): ValType {
    const t = valTypeByCode.get(readSigned(this.next, 7) & 0x7f);
    if (t === undefined) throw new MalformedError('malformed value type');
    return t;
  }

  private refType(): RefType {
    const code = readSigned(this.next, 7) & 0x7f;
    const t = valTypeByCode.get(code);
    if (t !== 'funcref' && t !== 'externref') throw new MalformedError('malformed reference type');
    return t;
  }

  private funcType(): FuncType {
    if (readSigned(this.next, 7) !== -0x20) throw new MalformedError('malformed function type');
    const params = this.vec(() => this.valType(), MAX_PARAMS);
    const results = this.vec(() => this.valType(), MAX_RESULTS);
    return { params, results };
  }

  /** §5.3.7 limits: flags 0 (no maximum) or 1, as 2.0 has them (3.0's 4 and 5, memory64's i64
   *  address type, are malformed here: no 2.0 testsuite file reads them). Bounds are u64 as 3.0
   *  reads them, which binary-leb128.wast expects; validation checks their range. */
  private limits(): { addrtype: AddrType; limits: Limits } {
    const flags = this.byte();
    if (flags !== 0x00 && flags !== 0x01) throw new MalformedError('malformed limits flags');
    const min = this.u64();
    return { addrtype: 'i32', limits: flags === 0x00 ? { min } : { min, max: this.u64() } };
  }

  private tableType(): TableType {
    const reftype = this.refType();
    return { ...this.limits(), reftype };
  }

  private memType(): MemType {
    return this.limits();
  }

  private globalType(): GlobalType {
    const type = this.valType();
    const m = this.byte();
    if (m !== 0x00 && m !== 0x01) throw new MalformedError('malformed mutability');
    return { type, mut: m === 0x01 };
  }

  // ---- §5.4 instructions ----

  private end(): void {
    this.expectByte(0x0b, 'END opcode expected');
  }

  /**
   * §5.4.9 expressions: instructions then `end`. Structured instructions (§5.4.1) are read with an
   * explicit stack of the open ones, not by recursion: nesting depth is the module's to choose.
   * Each sequence ends at an `else` or `end` opcode; `else` belongs only to an `if` still in its
   * then arm, and anything else where `end` is due is "END opcode expected".
   */
  private expr(): Expr {
    const outer: Instr[] = [];
    const open: { op: 'block' | 'loop' | 'if'; bt: BlockType; outer: Instr[]; then?: Instr[] }[] = [];
    let seq = outer;
    for (;;) {
      const b = this.peek();
      if (b !== undefined && b !== 0x05 && b !== 0x0b) {
        const op = STRUCTURED.get(b);
        if (op === undefined) {
          seq.push(this.instr());
          continue;
        }
        this.atInstr();
        this.pos++;
        open.push({ op, bt: this.blockType(), outer: seq });
        seq = [];
        continue;
      }
      const top = open[open.length - 1];
      if (b === 0x05 && top?.op === 'if' && top.then === undefined) {
        this.pos++;
        top.then = seq;
        seq = [];
        continue;
      }
      this.end();
      if (top === undefined) return outer;
      open.pop();
      const instr: Instr = top.op === 'if'
        ? { op: 'if', bt: top.bt, then: top.then ?? seq, else: top.then === undefined ? [] : seq }
        : { op: top.op, bt: top.bt, body: seq };
      seq = top.outer;
      seq.push(instr);
    }
  }

  /** An expression that runs past its section or body is unterminated; the bytes beyond are not
   *  its instructions (binary.wast: global initializer without `end`). */
  private atInstr(): void {
    if (this.pos >= this.limit) throw new MalformedError('unexpected end of section or function');
  }

  /** An instruction other than a structured one (those are read by `expr`). */
  private instr(): Instr {
    this.atInstr();
    const b = this.byte();
    // 0x1C is `select` with its types: one instruction, two encodings (§5.4.4).
    if (b === 0x1c) return { op: 'select', types: this.vec(() => this.valType()) };
    const sub = PREFIXES.has(b) ? this.u32() : undefined;
    const op = sub === undefined ? opByCode.get(b) : sub <= 0xffff ? opByCode.get((b << 16) | sub) : undefined;
    if (op === undefined) {
      throw new MalformedError(`illegal opcode ${hex(b)}${sub === undefined ? '' : ` ${hex(sub)}`}`);
    }
    // The cast joins the opcode with immediates of its own kind, which is what `Instr` says.
    return this.immediates(op) as Instr;
  }

  /** The instruction `op` with its immediates, as its kind in the opcode table says. */
  private immediates(op: Opname): object {
    const kind = opInfo(op).imm;
    switch (kind) {
      case 'none': return { op };
      case 'block': case 'if': throw new Error('structured instructions are read by expr');
      case 'label': return { op, label: this.u32() };
      case 'br_table': {
        const labels = this.vec(() => this.u32());
        return { op, labels, default: this.u32() };
      }
      case 'func': return { op, func: this.u32() };
      case 'call_indirect': {
        const type = this.u32();
        return { op, type, table: this.u32() };
      }
      case 'local': return { op, local: this.u32() };
      case 'global': return { op, global: this.u32() };
      case 'table': return { op, table: this.u32() };
      case 'table_copy': {
        const dst = this.u32();
        return { op, dst, src: this.u32() };
      }
      case 'table_init': {
        const elem = this.u32();
        return { op, elem, table: this.u32() };
      }
      case 'elem': return { op, elem: this.u32() };
      case 'memarg': return { op, memarg: this.memarg() };
      // 2.0: the memory of these instructions is a reserved zero byte (§5.4.6).
      case 'mem': this.zero(); return { op, mem: 0 };
      case 'memory_copy': this.zero(); this.zero(); return { op, dst: 0, src: 0 };
      case 'memory_init': {
        this.dataIndexInCode ||= this.inCode;
        const data = this.u32();
        this.zero();
        return { op, data, mem: 0 };
      }
      case 'data':
        this.dataIndexInCode ||= this.inCode;
        return { op, data: this.u32() };
      case 'i32': return { op, value: readSigned(this.next, 32) | 0 };
      case 'i64': return { op, value: readSigned64(this.next) };
      case 'f32': {
        this.need(4);
        const bits = this.view.getUint32(this.pos, true);
        this.pos += 4;
        return { op, bits };
      }
      case 'f64': {
        this.need(8);
        const bits = this.view.getBigUint64(this.pos, true);
        this.pos += 8;
        return { op, bits };
      }
      case 'v128': return { op, bytes: this.take(16) };
      case 'heaptype': return { op, heaptype: heapTypeOf(this.refType()) };
      case 'select': return { op };
      case 'lane': return { op, lane: this.byte() };
      case 'shuffle': return { op, lanes: Array.from(this.take(16)) };
      case 'memarg_lane': {
        const memarg = this.memarg();
        return { op, memarg, lane: this.byte() };
      }
    }
    const unknown: never = kind;
    throw new Error(`unknown immediate kind ${String(unknown)}`);
  }

  /** §5.4.9 block types: 0x40, a value type, or a type index as a non-negative s33. */
  private blockType(): BlockType {
    const b = this.peek();
    if (b === 0x40) {
      this.pos++;
      return null;
    }
    if (b !== undefined && (b & 0xc0) === 0x40) return this.valType();
    const typeidx = readSigned(this.next, 33);
    if (typeidx < 0) throw new MalformedError('malformed value type');
    return { typeidx };
  }

  /** §5.4.7 memarg, read as 3.0 does because the 2.0 files align.wast and binary-leb128.wast
   *  expect it: flags below 64 are the alignment, bit 6 announces a memory index, anything larger
   *  is malformed; the offset is a u64 (validation rejects one past 2^32 - 1). */
  private memarg(): MemArg {
    const flags = this.u32();
    if (flags >= 0x80) throw new MalformedError('malformed memop flags');
    const mem = flags & 0x40 ? this.u32() : 0;
    return { align: flags & 0x3f, mem, offset: this.u64() };
  }

  // ---- §5.5 modules ----

  module(): Module {
    for (const expected of [MAGIC, VERSION]) {
      if (this.bytes.length - this.pos < 4) throw new MalformedError('unexpected end');
      const word = this.take(4);
      if (!word.every((b, i) => b === expected[i])) {
        throw new MalformedError(expected === MAGIC ? 'magic header not detected' : 'unknown binary version');
      }
    }
    const customs: Custom[] = [];
    const m = {
      types: [] as FuncType[], imports: [] as Import[], funcTypes: [] as number[], tables: [] as Table[],
      mems: [] as Mem[], globals: [] as Global[], exports: [] as Export[], start: undefined as number | undefined,
      elems: [] as Elem[], dataCount: undefined as number | undefined, codes: [] as Omit<Func, 'type'>[],
      datas: [] as Data[],
    };
    this.customs(customs);
    for (const id of SECTION_ORDER) {
      if (this.sectionId() === id) {
        this.pos++;
        this.sized((size) => {
          if (this.outline && OUTSIDE_OUTLINE.has(id)) {
            this.pos += size;
            return;
          }
          switch (id) {
            case SectionId.type: m.types = this.vec(() => this.funcType(), MAX_TYPES); break;
            case SectionId.import: m.imports = this.vec(() => this.import(), MAX_IMPORTS); break;
            case SectionId.function: m.funcTypes = this.vec(() => this.u32(), MAX_FUNCTIONS); break;
            case SectionId.table: {
              const imported = m.imports.filter((i) => i.desc.kind === 'table').length;
              m.tables = this.vec(() => ({ type: this.tableType() }), MAX_TABLES, imported);
              break;
            }
            case SectionId.memory: m.mems = this.vec(() => ({ type: this.memType() })); break;
            case SectionId.global: m.globals = this.vec(() => this.global(), MAX_GLOBALS); break;
            case SectionId.export: m.exports = this.vec(() => this.export(), MAX_EXPORTS); break;
            case SectionId.start: m.start = this.u32(); break;
            case SectionId.element: m.elems = this.vec(() => this.elem()); break;
            case SectionId.datacount: m.dataCount = this.u32(); break;
            case SectionId.code: {
              // Locals count the parameters too; a type index out of range is left to validation.
              const params = (i: number): number => m.types[m.funcTypes[i] ?? -1]?.params.length ?? 0;
              this.inCode = true;
              m.codes = this.vec((i) => this.sized(() => this.code(params(i)), MAX_FUNCTION_SIZE));
              this.inCode = false;
              break;
            }
            case SectionId.data: m.datas = this.vec(() => this.data(), MAX_DATA_SEGMENTS); break;
          }
        });
      }
      this.customs(customs);
    }
    if (!this.eos()) throw new MalformedError('unexpected content after last section');
    if (this.outline) {
      return {
        ...emptyModule(), types: m.types, imports: m.imports, exports: m.exports, tables: m.tables, mems: m.mems,
        globals: m.globals, funcs: m.funcTypes.map((type) => ({ type, locals: [], body: [] })),
        ...(m.start === undefined ? {} : { start: m.start }),
      };
    }
    if (m.funcTypes.length !== m.codes.length) {
      throw new MalformedError('function and code section have inconsistent lengths');
    }
    if (m.dataCount !== undefined && m.dataCount !== m.datas.length) {
      throw new MalformedError('data count and data section have inconsistent lengths');
    }
    const funcs = m.codes.map((c, i) => ({ type: m.funcTypes[i]!, ...c }));
    if (m.dataCount === undefined && this.dataIndexInCode) {
      throw new MalformedError('data count section required');
    }
    return {
      types: m.types, funcs, tables: m.tables, mems: m.mems, globals: m.globals, elems: m.elems,
      datas: m.datas, imports: m.imports, exports: m.exports, customs,
      ...(m.start === undefined ? {} : { start: m.start }),
    };
  }

  /** The id of the next section, if any; ids past the data count section are malformed. */
  private sectionId(): number | undefined {
    const b = this.peek();
    if (b !== undefined && b > SectionId.datacount) throw new MalformedError('malformed section id');
    return b;
  }

  /** §5.5.3 custom sections, wherever they appear. */
  private customs(out: Custom[]): void {
    while (this.sectionId() === SectionId.custom) {
      this.pos++;
      if (this.outline) {
        this.sized((size) => { this.pos += size; });
        continue;
      }
      out.push(this.sized((size) => {
        const start = this.pos;
        const name = this.name();
        const rest = size - (this.pos - start);
        if (rest < 0) throw new MalformedError('unexpected end of section or function');
        return { name, bytes: this.take(rest) };
      }));
    }
  }

  private import(): Import {
    const module = this.name();
    const name = this.name();
    return { module, name, desc: this.importDesc() };
  }

  private importDesc(): ImportDesc {
    switch (this.byte()) {
      case externKindCode.func: return { kind: 'func', type: this.u32() };
      case externKindCode.table: return { kind: 'table', type: this.tableType() };
      case externKindCode.mem: return { kind: 'mem', type: this.memType() };
      case externKindCode.global: return { kind: 'global', type: this.globalType() };
      // 3.0 tag type: an attribute byte (0, exception) then the type index.
      case externKindCode.tag: this.zero(); return { kind: 'tag', type: this.u32() };
      default: throw new MalformedError('malformed import kind');
    }
  }

  private global(): Global {
    const type = this.globalType();
    return { type, init: this.expr() };
  }

  private export(): Export {
    const name = this.name();
    const b = this.byte();
    const kind = (Object.keys(externKindCode) as (keyof typeof externKindCode)[]).find((k) => externKindCode[k] === b);
    if (kind === undefined) throw new MalformedError('malformed export kind');
    return { name, desc: { kind, index: this.u32() } };
  }

  /** §5.5.12 element segments: flag bit 0 passive/declarative, bit 1 explicit table index (or,
   *  with bit 0, declarative), bit 2 expressions instead of function indices. */
  private elem(): Elem {
    const flags = this.u32();
    if (flags > 7) throw new MalformedError('malformed elements segment kind');
    let mode: ElemMode;
    if ((flags & 0x01) === 0) {
      const table = flags & 0x02 ? this.u32() : 0;
      mode = { kind: 'active', table, offset: this.expr() };
    } else {
      mode = { kind: flags & 0x02 ? 'declarative' : 'passive' };
    }
    const explicitType = (flags & 0x03) !== 0;
    if ((flags & 0x04) === 0) {
      if (explicitType && this.byte() !== 0x00) throw new MalformedError('malformed element kind');
      const init = this.vec((): Expr => [{ op: 'ref.func', func: this.u32() }]);
      return { type: 'funcref', init, mode };
    }
    const type = explicitType ? this.refType() : 'funcref';
    return { type, init: this.vec(() => this.expr()), mode };
  }

  /** §5.5.13 a function body: compressed locals and an expression. The count of locals is checked
   *  as each run is read, before any is allocated: MAX_LOCALS is far below the binary format's own
   *  bound (fewer than 2^32). */
  private code(params: number): Omit<Func, 'type'> {
    let total = params;
    const runs = this.vec(() => {
      const n = this.u32();
      const type = this.valType();
      total += n;
      checkLimit(MAX_LOCALS, total);
      return { n, type };
    });
    const locals: ValType[] = [];
    for (const r of runs) for (let k = 0; k < r.n; k++) locals.push(r.type);
    return { locals, body: this.expr() };
  }

  private data(): Data {
    const flags = this.u32();
    let mode: DataMode;
    switch (flags) {
      case 0: mode = { kind: 'active', mem: 0, offset: this.expr() }; break;
      case 1: mode = { kind: 'passive' }; break;
      case 2: {
        const mem = this.u32();
        mode = { kind: 'active', mem, offset: this.expr() };
        break;
      }
      default: throw new MalformedError('malformed data segment kind');
    }
    return { init: this.take(this.len32()), mode };
  }
}
