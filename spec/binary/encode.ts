// Encoding — WebAssembly spec chapter 5, the inverse of decode.ts: canonical shortest LEB128s,
// empty sections left out, the data count section whenever there are data segments or code
// uses a data index, element segments in the most specific form that represents them, custom
// sections at the end. Memory indices other than 0 on memory instructions are written in the
// 3.0 (multi-memory) form, which a 2.0 decoder rejects.

import {
  opInfo, walkExpr, type BlockType, type Expr, type ImmKind, type ImmOf, type Instr, type MemArg, type OpsWith,
} from '../structure/instructions.js';
import type { Data, Elem, Export, Func, Global, Import, Module } from '../structure/module.js';
import { refTypeOf, type AddrType, type FuncType, type GlobalType, type Limits, type TableType, type ValType } from '../structure/types.js';
import { MAGIC, SectionId, VERSION, concatBytes, externKindCode, funcsUseDataIndex, valTypeCode } from './format.js';
import { writeSigned, writeUnsigned, type ByteSink } from './leb128.js';

/** Pieces of the output, joined once at the end: function bodies, data and custom sections are
 *  not copied from array to array (a module may be tens of megabytes). */
type Parts = ArrayLike<number>[];

/**
 * A growable byte buffer that takes number[]'s `push`. A number[] of tens of thousands of bytes
 * (a large body) lives in V8's large-object space, where every growth is a fresh allocation: about
 * 100 ns a byte on this machine, against a few here.
 */
class ByteBuffer implements ByteSink {
  private buf = new Uint8Array(64);
  length = 0;

  push(b: number): void {
    if (this.length === this.buf.length) this.grow(1);
    this.buf[this.length++] = b;
  }

  append(xs: ArrayLike<number>): void {
    if (this.length + xs.length > this.buf.length) this.grow(xs.length);
    this.buf.set(xs, this.length);
    this.length += xs.length;
  }

  /** The bytes written, no copy: the buffer is not written to afterwards. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  private grow(n: number): void {
    const next = new Uint8Array(Math.max(2 * this.buf.length, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}

/** §5.5.16 encodes a module. */
export function encodeModule(m: Module): Uint8Array<ArrayBuffer> {
  const parts: Parts = [MAGIC, VERSION];
  const section = (id: number, content: Parts): void => {
    const head = [id];
    writeUnsigned(head, content.reduce((n, p) => n + p.length, 0));
    parts.push(head);
    for (const p of content) parts.push(p);
  };
  const vecSection = <T>(id: number, items: readonly T[], item: (b: ByteBuffer, x: T) => void): void => {
    if (items.length === 0) return;
    const b = new ByteBuffer();
    vec(b, items, item);
    section(id, [b.bytes()]);
  };

  vecSection(SectionId.type, m.types, funcType);
  vecSection(SectionId.import, m.imports, importEntry);
  vecSection(SectionId.function, m.funcs, (b, f) => writeUnsigned(b, f.type));
  vecSection(SectionId.table, m.tables, (b, t) => tableType(b, t.type));
  vecSection(SectionId.memory, m.mems, (b, mem) => limits(b, mem.type.addrtype, mem.type.limits));
  vecSection(SectionId.global, m.globals, global);
  vecSection(SectionId.export, m.exports, exportEntry);
  const start = m.start;
  if (start !== undefined) section(SectionId.start, [leb(start)]);
  vecSection(SectionId.element, m.elems, elem);
  if (m.datas.length > 0 || funcsUseDataIndex(m.funcs)) section(SectionId.datacount, [leb(m.datas.length)]);
  if (m.funcs.length > 0) section(SectionId.code, vecParts(m.funcs, code));
  if (m.datas.length > 0) section(SectionId.data, vecParts(m.datas, data));
  for (const c of m.customs) {
    const b = new ByteBuffer();
    name(b, c.name);
    section(SectionId.custom, [b.bytes(), c.bytes]);
  }
  return concatBytes(parts);
}

function leb(n: number): number[] {
  const out: number[] = [];
  writeUnsigned(out, n);
  return out;
}

/** A vector whose items are parts of their own. */
function vecParts<T>(items: readonly T[], item: (x: T) => Parts): Parts {
  const out: Parts = [leb(items.length)];
  for (const x of items) for (const p of item(x)) out.push(p);
  return out;
}

function vec<T>(out: ByteBuffer, items: readonly T[], item: (b: ByteBuffer, x: T) => void): void {
  writeUnsigned(out, items.length);
  for (const x of items) item(out, x);
}

function bytes(out: ByteBuffer, b: Uint8Array): void {
  writeUnsigned(out, b.length);
  out.append(b);
}

const utf8 = new TextEncoder();

function name(out: ByteBuffer, s: string): void {
  bytes(out, utf8.encode(s));
}

// ---- §5.3 types ----

function valType(out: ByteBuffer, t: ValType): void {
  out.push(valTypeCode[t]);
}

function funcType(out: ByteBuffer, t: FuncType): void {
  out.push(0x60);
  vec(out, t.params, valType);
  vec(out, t.results, valType);
}

function limits(out: ByteBuffer, addrtype: AddrType, l: Limits): void {
  out.push((addrtype === 'i64' ? 0x04 : 0x00) | (l.max === undefined ? 0x00 : 0x01));
  writeUnsigned(out, l.min);
  if (l.max !== undefined) writeUnsigned(out, l.max);
}

function tableType(out: ByteBuffer, t: TableType): void {
  valType(out, t.reftype);
  limits(out, t.addrtype, t.limits);
}

function globalType(out: ByteBuffer, t: GlobalType): void {
  valType(out, t.type);
  out.push(t.mut ? 0x01 : 0x00);
}

// ---- §5.4 instructions ----

/** §5.4.9 an expression: its instructions, nested ones as deep as they go, then `end`. */
function expr(out: ByteBuffer, e: Expr): void {
  walkExpr(e, {
    instr: (i) => instr(out, i),
    else: (i) => {
      if (i.else.length > 0) out.push(0x05);
    },
    end: () => void out.push(0x0b),
  });
  out.push(0x0b);
}

function blockType(out: ByteBuffer, bt: BlockType): void {
  if (bt === null) out.push(0x40);
  else if (typeof bt === 'string') valType(out, bt);
  else writeSigned(out, bt.typeidx);
}

function memarg(out: ByteBuffer, m: MemArg): void {
  if (m.mem === 0) writeUnsigned(out, m.align);
  else {
    writeUnsigned(out, m.align | 0x40);
    writeUnsigned(out, m.mem);
  }
  // The offset is a u64 held as a number (exact below 2^53): 2^64 - 1 rounds to 2^64, which is not
  // a u64, so the largest one is written (align.wast: offset=0xFFFF_FFFF_FFFF_FFFF is invalid,
  // "offset out of range", never malformed).
  writeUnsigned(out, m.offset >= 2 ** 64 ? MAX_U64 : m.offset);
}

const MAX_U64 = (1n << 64n) - 1n;

type InstrOf<K extends ImmKind> = { readonly op: OpsWith<K> } & ImmOf[K];

/** `i` seen as an instruction of immediate kind `k`; callers pass `opInfo(i.op).imm`. */
function as<K extends ImmKind>(i: Instr, _k: K): InstrOf<K> {
  return i as InstrOf<K>;
}

/** One instruction: its opcode and immediates (§5.4). */
function instr(out: ByteBuffer, i: Instr): void {
  const info = opInfo(i.op);
  const u = (n: number): void => writeUnsigned(out, n);
  if (info.imm === 'select' && as(i, 'select').types !== undefined) {
    out.push(0x1c);
    return vec(out, as(i, 'select').types!, valType);
  }
  if (info.prefix === undefined) out.push(info.code);
  else {
    out.push(info.prefix);
    u(info.code);
  }
  switch (info.imm) {
    case 'none': case 'select': return;
    // The nested instructions, `else` and `end` are written by `expr`'s walk.
    case 'block': return blockType(out, as(i, 'block').bt);
    case 'if': return blockType(out, as(i, 'if').bt);
    case 'label': return u(as(i, 'label').label);
    case 'br_table': {
      const b = as(i, 'br_table');
      vec(out, b.labels, writeUnsigned);
      return u(b.default);
    }
    case 'func': return u(as(i, 'func').func);
    case 'call_indirect': {
      const c = as(i, 'call_indirect');
      u(c.type);
      return u(c.table);
    }
    case 'local': return u(as(i, 'local').local);
    case 'global': return u(as(i, 'global').global);
    case 'table': return u(as(i, 'table').table);
    case 'table_copy': {
      const c = as(i, 'table_copy');
      u(c.dst);
      return u(c.src);
    }
    case 'table_init': {
      const c = as(i, 'table_init');
      u(c.elem);
      return u(c.table);
    }
    case 'elem': return u(as(i, 'elem').elem);
    case 'memarg': return memarg(out, as(i, 'memarg').memarg);
    case 'mem': return u(as(i, 'mem').mem);
    case 'memory_copy': {
      const c = as(i, 'memory_copy');
      u(c.dst);
      return u(c.src);
    }
    case 'memory_init': {
      const c = as(i, 'memory_init');
      u(c.data);
      return u(c.mem);
    }
    case 'data': return u(as(i, 'data').data);
    case 'i32': return writeSigned(out, as(i, 'i32').value);
    case 'i64': return writeSigned(out, as(i, 'i64').value);
    case 'f32': {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, as(i, 'f32').bits, true);
      return out.append(b);
    }
    case 'f64': {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, as(i, 'f64').bits, true);
      return out.append(b);
    }
    case 'v128': return out.append(as(i, 'v128').bytes);
    case 'heaptype': return valType(out, refTypeOf(as(i, 'heaptype').heaptype));
    case 'lane': return void out.push(as(i, 'lane').lane);
    case 'shuffle': return out.append(as(i, 'shuffle').lanes);
    case 'memarg_lane': {
      const c = as(i, 'memarg_lane');
      memarg(out, c.memarg);
      return void out.push(c.lane);
    }
    default: {
      const unknown: never = info.imm;
      throw new Error(`unknown immediate kind ${String(unknown)}`);
    }
  }
}

// ---- §5.5 sections ----

function importEntry(out: ByteBuffer, im: Import): void {
  name(out, im.module);
  name(out, im.name);
  out.push(externKindCode[im.desc.kind]);
  switch (im.desc.kind) {
    case 'func': return writeUnsigned(out, im.desc.type);
    case 'table': return tableType(out, im.desc.type);
    case 'mem': return limits(out, im.desc.type.addrtype, im.desc.type.limits);
    case 'global': return globalType(out, im.desc.type);
    case 'tag':
      out.push(0x00);
      return writeUnsigned(out, im.desc.type);
  }
}

function exportEntry(out: ByteBuffer, ex: Export): void {
  name(out, ex.name);
  out.push(externKindCode[ex.desc.kind]);
  writeUnsigned(out, ex.desc.index);
}

function global(out: ByteBuffer, g: Global): void {
  globalType(out, g.type);
  expr(out, g.init);
}

/** §5.5.12: function indices (flags 0–3) when every item is a `ref.func` of a funcref segment,
 *  and no explicit table index or type (flags 0, 4) when the defaults say it. */
function elem(out: ByteBuffer, e: Elem): void {
  const funcIndices = e.type === 'funcref' && e.init.every((x) => x.length === 1 && x[0]!.op === 'ref.func');
  const implicit = e.mode.kind === 'active' && e.mode.table === 0 && e.type === 'funcref';
  const modeBits = e.mode.kind === 'passive' ? 0x01 : e.mode.kind === 'declarative' ? 0x03 : implicit ? 0x00 : 0x02;
  out.push(modeBits | (funcIndices ? 0x00 : 0x04));
  if (e.mode.kind === 'active') {
    if (!implicit) writeUnsigned(out, e.mode.table);
    expr(out, e.mode.offset);
  }
  if (funcIndices) {
    if (modeBits !== 0x00) out.push(0x00);
    vec(out, e.init, (b, x) => writeUnsigned(b, (x[0] as { func: number }).func));
  } else {
    if (modeBits !== 0x00) valType(out, e.type);
    vec(out, e.init, expr);
  }
}

/** §5.5.13: locals compressed into runs of equal types. */
function code(f: Func): Parts {
  const body = new ByteBuffer();
  const runs: { n: number; type: ValType }[] = [];
  for (const t of f.locals) {
    const last = runs[runs.length - 1];
    if (last?.type === t) last.n++;
    else runs.push({ n: 1, type: t });
  }
  vec(body, runs, (b, r) => {
    writeUnsigned(b, r.n);
    valType(b, r.type);
  });
  expr(body, f.body);
  return [leb(body.length), body.bytes()];
}

/** §5.5.14 a data segment: its mode, then its bytes as a part of their own. */
function data(d: Data): Parts {
  const head = new ByteBuffer();
  if (d.mode.kind === 'passive') head.push(0x01);
  else {
    if (d.mode.mem === 0) head.push(0x00);
    else {
      head.push(0x02);
      writeUnsigned(head, d.mode.mem);
    }
    expr(head, d.mode.offset);
  }
  writeUnsigned(head, d.init.length);
  return [head.bytes(), d.init];
}
