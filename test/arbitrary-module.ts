// fast-check arbitraries of well-formed (not necessarily valid) modules: every structure the
// binary format can express, with instructions drawn from the opcode table and immediates of
// their kinds. Reusable by any test that needs modules (round trips, differential runs).

import fc from 'fast-check';
import {
  opcodes, opInfo, type BlockType, type Expr, type ImmKind, type Instr, type MemArg, type Opname,
} from '../spec/structure/instructions.js';
import type { Data, Elem, Export, Func, Global, Import, Module } from '../spec/structure/module.js';
import type { FuncType, GlobalType, Limits, MemType, RefType, TableType, ValType } from '../spec/structure/types.js';

/** Mostly small indices (they are the common case), sometimes any u32. */
export const u32 = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 8 }), weight: 4 },
  fc.integer({ min: 0, max: 0xffff_ffff }),
);

export const valType: fc.Arbitrary<ValType> = fc.constantFrom('i32', 'i64', 'f32', 'f64', 'v128', 'funcref', 'externref');
export const refType: fc.Arbitrary<RefType> = fc.constantFrom('funcref', 'externref');

export const funcType: fc.Arbitrary<FuncType> = fc.record({
  params: fc.array(valType, { maxLength: 4 }),
  results: fc.array(valType, { maxLength: 3 }),
});

const limits32: fc.Arbitrary<Limits> = fc.record({ min: u32, max: u32 }, { requiredKeys: ['min'] });
// 2.0's binary format has 32-bit addresses only: limits flags 4 and 5 (memory64) are malformed.
const addressed = fc.record({ addrtype: fc.constant('i32' as const), limits: limits32 });
export const memType: fc.Arbitrary<MemType> = addressed;
export const tableType: fc.Arbitrary<TableType> = fc.tuple(addressed, refType).map(([a, reftype]) => ({ ...a, reftype }));
export const globalType: fc.Arbitrary<GlobalType> = fc.record({ mut: fc.boolean(), type: valType });

const byte = fc.integer({ min: 0, max: 255 });
const memarg: fc.Arbitrary<MemArg> = fc.record({
  align: fc.integer({ min: 0, max: 63 }),
  offset: u32,
  // Memory indices other than 0 exist only through memarg flag bit 6 (see decode.ts).
  mem: fc.oneof({ arbitrary: fc.constant(0), weight: 3 }, u32),
});
const blockType: fc.Arbitrary<BlockType> = fc.oneof(
  fc.constant(null),
  valType,
  u32.map((typeidx) => ({ typeidx })),
);

/** Immediates of every non-structured kind. Memory instructions other than loads and stores
 *  name memory 0: 2.0 encodes it as a reserved zero byte. */
const immediates: { [K in Exclude<ImmKind, 'block' | 'if'>]: fc.Arbitrary<object> } = {
  none: fc.constant({}),
  label: fc.record({ label: u32 }),
  br_table: fc.record({ labels: fc.array(u32, { maxLength: 4 }), default: u32 }),
  func: fc.record({ func: u32 }),
  call_indirect: fc.record({ type: u32, table: u32 }),
  local: fc.record({ local: u32 }),
  global: fc.record({ global: u32 }),
  table: fc.record({ table: u32 }),
  table_copy: fc.record({ dst: u32, src: u32 }),
  table_init: fc.record({ elem: u32, table: u32 }),
  elem: fc.record({ elem: u32 }),
  memarg: fc.record({ memarg }),
  mem: fc.constant({ mem: 0 }),
  memory_copy: fc.constant({ dst: 0, src: 0 }),
  memory_init: fc.record({ data: u32, mem: fc.constant(0) }),
  data: fc.record({ data: u32 }),
  i32: fc.record({ value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }),
  i64: fc.record({ value: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }) }),
  f32: fc.record({ bits: fc.integer({ min: 0, max: 0xffff_ffff }) }),
  f64: fc.record({ bits: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) }),
  v128: fc.record({ bytes: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
  heaptype: fc.record({ heaptype: fc.constantFrom('func' as const, 'extern' as const) }),
  select: fc.record({ types: fc.array(valType, { maxLength: 2 }) }, { requiredKeys: [] }),
  lane: fc.record({ lane: byte }),
  shuffle: fc.record({ lanes: fc.array(byte, { minLength: 16, maxLength: 16 }) }),
  memarg_lane: fc.record({ memarg, lane: byte }),
};

const STRUCTURED: ReadonlySet<Opname> = new Set(['block', 'loop', 'if']);
const plainOps = (Object.keys(opcodes) as Opname[]).filter((op) => !STRUCTURED.has(op));

/** An instruction whose operands are decided by its opcode's immediate kind. */
const plainInstr: fc.Arbitrary<Instr> = fc.constantFrom(...plainOps).chain((op) => {
  const kind = opInfo(op).imm as Exclude<ImmKind, 'block' | 'if'>;
  // The cast joins an opcode with immediates of its own kind, which is what `Instr` says.
  return immediates[kind].map((imm) => ({ op, ...imm }) as Instr);
});

const exprs: fc.Arbitrary<Instr[]>[] = [];

/** Instruction sequences with blocks, loops and ifs nested up to `depth`. */
export function instrs(depth: number): fc.Arbitrary<Instr[]> {
  const cached = exprs[depth];
  if (cached) return cached;
  const one: fc.Arbitrary<Instr> = depth === 0 ? plainInstr : fc.oneof(
    { arbitrary: plainInstr, weight: 6 },
    fc.record({ op: fc.constantFrom('block' as const, 'loop' as const), bt: blockType, body: instrs(depth - 1) }),
    fc.record({ op: fc.constant('if' as const), bt: blockType, then: instrs(depth - 1), else: instrs(depth - 1) }),
  );
  return (exprs[depth] = fc.array(one, { maxLength: 6 }));
}

/** Constant-expression-like sequences: short, flat. */
const constExpr: fc.Arbitrary<Expr> = fc.oneof(
  fc.record({ op: fc.constant('i32.const' as const), value: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }) }).map((i) => [i]),
  fc.record({ op: fc.constant('ref.func' as const), func: u32 }).map((i) => [i]),
  fc.record({ op: fc.constant('ref.null' as const), heaptype: fc.constantFrom('func' as const, 'extern' as const) }).map((i) => [i]),
  fc.array(plainInstr, { maxLength: 3 }),
);

const name = fc.string({ unit: 'binary', maxLength: 12 });

export const importEntry: fc.Arbitrary<Import> = fc.record({
  module: name,
  name,
  desc: fc.oneof(
    fc.record({ kind: fc.constant('func' as const), type: u32 }),
    fc.record({ kind: fc.constant('table' as const), type: tableType }),
    fc.record({ kind: fc.constant('mem' as const), type: memType }),
    fc.record({ kind: fc.constant('global' as const), type: globalType }),
    fc.record({ kind: fc.constant('tag' as const), type: u32 }),
  ),
});

export const func: fc.Arbitrary<Func> = fc.record({
  type: u32,
  locals: fc.array(valType, { maxLength: 6 }),
  body: instrs(2),
});

export const global: fc.Arbitrary<Global> = fc.record({ type: globalType, init: constExpr });

export const elem: fc.Arbitrary<Elem> = fc.record({
  type: refType,
  init: fc.oneof(
    fc.array(u32.map((f): Expr => [{ op: 'ref.func', func: f }]), { maxLength: 4 }),
    fc.array(constExpr, { maxLength: 4 }),
  ),
  mode: fc.oneof(
    fc.constant({ kind: 'passive' as const }),
    fc.constant({ kind: 'declarative' as const }),
    fc.record({ kind: fc.constant('active' as const), table: fc.oneof(fc.constant(0), u32), offset: constExpr }),
  ),
});

export const data: fc.Arbitrary<Data> = fc.record({
  init: fc.uint8Array({ maxLength: 16 }),
  mode: fc.oneof(
    fc.constant({ kind: 'passive' as const }),
    fc.record({ kind: fc.constant('active' as const), mem: fc.oneof(fc.constant(0), u32), offset: constExpr }),
  ),
});

export const exportEntry: fc.Arbitrary<Export> = fc.record({
  name,
  desc: fc.record({ kind: fc.constantFrom('func' as const, 'table' as const, 'mem' as const, 'global' as const, 'tag' as const), index: u32 }),
});

export const arbitraryModule: fc.Arbitrary<Module> = fc.record(
  {
    types: fc.array(funcType, { maxLength: 4 }),
    imports: fc.array(importEntry, { maxLength: 5 }),
    funcs: fc.array(func, { maxLength: 4 }),
    tables: fc.array(fc.record({ type: tableType }), { maxLength: 2 }),
    mems: fc.array(fc.record({ type: memType }), { maxLength: 2 }),
    globals: fc.array(global, { maxLength: 3 }),
    exports: fc.array(exportEntry, { maxLength: 4 }),
    start: u32,
    elems: fc.array(elem, { maxLength: 4 }),
    datas: fc.array(data, { maxLength: 3 }),
    customs: fc.array(fc.record({ name, bytes: fc.uint8Array({ maxLength: 8 }) }), { maxLength: 2 }),
  },
  { requiredKeys: ['types', 'imports', 'funcs', 'tables', 'mems', 'globals', 'exports', 'elems', 'datas', 'customs'] },
);
