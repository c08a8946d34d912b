// A seeded generator of random valid WebAssembly 2.0 modules for differential testing:
// type-directed code over an operand stack and control frames, so every module is valid by
// construction. It aims at what a single-pass compiler gets wrong: many live values of mixed
// types (registers, then spill slots), conditions computed right above live floats, multi-value
// blocks, ifs and loops with parameters, branches carrying values out of nested constructs,
// br_table, code after br/return/unreachable (whole dead blocks included, popping from the
// polymorphic stack), calls with many parameters and results, every numeric instruction of the
// opcode table, memory, table, global and bulk instructions, and traps. Every fourth seed's module
// (seed % 4 = 3, unless GenOptions.simd says otherwise) also has v128 values: locals, parameters,
// results, globals, block types, every SIMD instruction with lane and shuffle immediates, and
// vector loads and stores, so vector registers are spilled and carried across calls and branches.
// Every eighth seed's module (seed % 16 = 5 or 15, unless GenOptions.parallel says otherwise) has
// a function of 64 KiB of dead code at a random place among its own, never called directly: its
// size makes the native compilers compile the module on several threads (one per 64 KiB of code
// section), so functions compiled on different threads call each other.
//
// Runs are deterministic: a global fuel counter, decremented at every function entry and loop
// iteration, traps ("unreachable") when it runs out, so nothing loops forever or recurses to
// exhaustion (whose depth differs between engines).
//
// NaN payloads (spec §4.3.3 "NaN propagation"): float instructions that may produce a NaN pick
// its sign and payload nondeterministically. The generator tracks which stack value may hold such
// a NaN ("dirty") and canonicalises it (`select x nan (x == x)`) before anything can see its bits:
// a local, global, memory, call, branch, block end or reinterpret. Only the top of the stack is
// ever dirty: pushing onto a dirty value canonicalises it first. A v128 is dirty in the lanes of
// one shape (f32x4 or f64x2): float instructions of that shape may take it (their NaN results are
// nondeterministic anyway), and anything that reads its bits otherwise gets it canonicalised
// lane by lane (`v128.bitselect x nan (eq x x)`).

import {
  opcodes, type BlockType, type Instr, type MemArg, type Opname,
} from '../../spec/structure/instructions.js';
import type { Elem, Export, Func, Global, Module } from '../../spec/structure/module.js';
import type { FuncType, NumType, RefType, ValType } from '../../spec/structure/types.js';

/** mulberry32: small, fast, and seedable. */
export class Rng {
  private a: number;
  constructor(seed: number) { this.a = seed >>> 0; }
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  range(lo: number, hi: number): number { return lo + this.int(hi - lo + 1); }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  chance(p: number): boolean { return this.next() < p; }
  u32(): number { return (this.int(0x10000) << 16 | this.int(0x10000)) >>> 0; }
}

const NUM: readonly NumType[] = ['i32', 'i64', 'f32', 'f64'];
const REF: readonly RefType[] = ['funcref', 'externref'];
const isRef = (t: ValType): t is RefType => t === 'funcref' || t === 'externref';
const isFloat = (t: ValType): boolean => t === 'f32' || t === 'f64';
type Shape = 'f32x4' | 'f64x2';

/** Float instructions whose NaN results are nondeterministic (§4.3.3); the others are bit-exact. */
const NAN_PRODUCING = new Set<Opname>([
  'f32.add', 'f32.sub', 'f32.mul', 'f32.div', 'f32.sqrt', 'f32.min', 'f32.max', 'f32.ceil', 'f32.floor',
  'f32.trunc', 'f32.nearest', 'f64.add', 'f64.sub', 'f64.mul', 'f64.div', 'f64.sqrt', 'f64.min',
  'f64.max', 'f64.ceil', 'f64.floor', 'f64.trunc', 'f64.nearest', 'f32.demote_f64', 'f64.promote_f32',
]);
/** Instructions that show their top operand's bits: reinterpretations, and copysign, whose
 *  result is not a NaN but takes the sign of one. That operand must be canonical. */
const BIT_OBSERVING = new Set<Opname>(['i32.reinterpret_f32', 'i64.reinterpret_f64', 'f32.copysign', 'f64.copysign']);

/** An instruction computed from its operands; `vec` for a SIMD one, `lanes` for one with a lane
 *  index, 32 for a shuffle. */
interface NumOp { readonly op: Opname; readonly params: readonly ValType[]; readonly result: ValType; readonly vec: boolean; readonly lanes?: number }

/** Every instruction of the opcode table computed from its operands alone, with one result
 *  (consts and memory excluded), in the table's order; SIMD ones with their lane counts. */
const COMPUTED: readonly NumOp[] = (Object.keys(opcodes) as Opname[]).flatMap((op) => {
  const info: { readonly prefix?: number; readonly imm: string; readonly sig?: readonly [readonly string[], readonly string[]] } = opcodes[op];
  if (info.sig === undefined || info.sig[1].length !== 1) return [];
  if (info.imm !== 'none' && info.imm !== 'lane' && info.imm !== 'shuffle') return [];
  const lanes = info.imm === 'shuffle' ? 32 : info.imm === 'lane' ? 128 / Number(/^[if](\d+)x/.exec(op)![1]) : undefined;
  const [ps, rs] = info.sig as readonly [readonly ValType[], readonly ValType[]];
  return [{ op, params: ps, result: rs[0]!, vec: info.prefix === 0xfd, ...(lanes === undefined ? {} : { lanes }) }];
});
/** The non-SIMD numeric ones. */
const NUM_OPS: readonly NumOp[] = COMPUTED.filter((o) => !o.vec);
const OPS_BY_RESULT = new Map(NUM.map((t) => [t, NUM_OPS.filter((o) => o.result === t)]));
/** The SIMD ones. */
const VEC_OPS: readonly NumOp[] = COMPUTED.filter((o) => o.vec);
const VEC_BY_RESULT = new Map((['v128', ...NUM] as const).map((t) => [t as ValType, VEC_OPS.filter((o) => o.result === t)]));
/** SIMD float instructions whose NaN results are nondeterministic (§4.3.3, lane-wise). */
const VEC_NAN_PRODUCING = new Set<Opname>([
  ...(['f32x4', 'f64x2'] as const).flatMap((s) => ['add', 'sub', 'mul', 'div', 'sqrt', 'min', 'max', 'ceil', 'floor', 'trunc', 'nearest']
    .map((o) => `${s}.${o}` as Opname)),
  'f32x4.demote_f64x2_zero', 'f64x2.promote_low_f32x4',
]);
/** SIMD instructions that give a float operand's NaN back (sign changed at most): dirty stays dirty. */
const VEC_NAN_KEEPING = /^(f32x4|f64x2)\.(abs|neg|pmin|pmax|replace_lane|splat|extract_lane)$/;
/** The float shape a SIMD instruction is named by (`f32x4.add`), if any. */
const namedShape = (op: Opname): Shape | undefined => (/^(f32x4|f64x2)\./.exec(op)?.[1] as Shape | undefined);
/** The shape whose lanes a SIMD instruction reads as floats (so a dirty value of that shape may
 *  go in without canonicalisation), if any. */
function floatShapeIn(op: Opname): Shape | undefined {
  const conv = /_(f32x4|f64x2)/.exec(op);
  if (conv !== null) return conv[1] as Shape;
  return op.includes('convert') ? undefined : namedShape(op);
}
const shapeOf = (t: 'f32' | 'f64'): Shape => (t === 'f32' ? 'f32x4' : 'f64x2');
const ALL_OPS: readonly NumOp[] = [...NUM_OPS, ...VEC_OPS];

const LOADS: Record<NumType, readonly [Opname, number][]> = {
  i32: [['i32.load', 2], ['i32.load8_s', 0], ['i32.load8_u', 0], ['i32.load16_s', 1], ['i32.load16_u', 1]],
  i64: [['i64.load', 3], ['i64.load8_s', 0], ['i64.load8_u', 0], ['i64.load16_s', 1], ['i64.load16_u', 1], ['i64.load32_s', 2], ['i64.load32_u', 2]],
  f32: [['f32.load', 2]],
  f64: [['f64.load', 3]],
};
const VEC_LOADS: readonly [Opname, number][] = [
  ['v128.load', 4], ['v128.load8x8_s', 3], ['v128.load8x8_u', 3], ['v128.load16x4_s', 3], ['v128.load16x4_u', 3],
  ['v128.load32x2_s', 3], ['v128.load32x2_u', 3], ['v128.load8_splat', 0], ['v128.load16_splat', 1],
  ['v128.load32_splat', 2], ['v128.load64_splat', 3], ['v128.load32_zero', 2], ['v128.load64_zero', 3],
];
/** Loads and stores of one lane: [op, natural alignment]; the lane count is 16 >> alignment. */
const LANE_LOADS: readonly [Opname, number][] = [['v128.load8_lane', 0], ['v128.load16_lane', 1], ['v128.load32_lane', 2], ['v128.load64_lane', 3]];
const LANE_STORES: readonly [Opname, number][] = [['v128.store8_lane', 0], ['v128.store16_lane', 1], ['v128.store32_lane', 2], ['v128.store64_lane', 3]];
const STORES: Record<NumType, readonly [Opname, number][]> = {
  i32: [['i32.store', 2], ['i32.store8', 0], ['i32.store16', 1]],
  i64: [['i64.store', 3], ['i64.store8', 0], ['i64.store16', 1], ['i64.store32', 2]],
  f32: [['f32.store', 2]],
  f64: [['f64.store', 3]],
};

/** Size knobs; the defaults make small-to-medium modules. */
export interface GenOptions {
  readonly maxFuncs: number;
  /** Instructions budget per function body (roughly). */
  readonly bodySize: number;
  readonly maxDepth: number;
  /** v128 values and SIMD instructions; when absent, every fourth seed (seed % 4 = 3). */
  readonly simd?: boolean;
  /** A 64 KiB function among the module's own (see above); when absent, seed % 16 = 5 or 15. */
  readonly parallel?: boolean;
}
export const defaultOptions: GenOptions = { maxFuncs: 5, bodySize: 120, maxDepth: 10 };
export const bigOptions: GenOptions = { maxFuncs: 6, bodySize: 500, maxDepth: 24 };

/** Index layout of the generated module, known to the runner. */
export const FUEL_GLOBAL = 0;
/**
 * The tables: 0 and 2 hold functions (call_indirect goes through both), 1 holds externrefs. Sizes
 * are powers of two, so that an index masked with size - 1 is in bounds.
 */
export const TABLES: readonly { readonly reftype: RefType; readonly size: number }[] = [
  { reftype: 'funcref', size: 8 }, { reftype: 'externref', size: 4 }, { reftype: 'funcref', size: 4 },
];
/** Element segments: active into table 0, passive of every function, passive of externrefs,
 *  active into table 2. */
const ELEMS = 4;
/** The one import: a host function (function 0) the runner provides. */
export const HOST_IMPORT = { module: 'host', name: 'h' } as const;
const FUEL = 1000;

interface Slot { readonly t: ValType; dirty: boolean; readonly shape?: Shape }
interface Frame {
  readonly kind: 'block' | 'loop' | 'if' | 'func';
  readonly results: readonly ValType[];
  /** Types a branch to this frame carries (params for a loop). */
  readonly label: readonly ValType[];
  /** Stack height below the frame's own values. */
  readonly height: number;
  unreachable: boolean;
  /** Loop counter local (loops only). */
  readonly counter?: number;
}

export class ModuleGen {
  readonly rng: Rng;
  private readonly opt: GenOptions;
  private readonly simd: boolean;
  private readonly parallel: boolean;
  /** The index of the 64 KiB function, if the module has one. */
  private pad: number | undefined;
  private readonly types: FuncType[] = [];
  private readonly funcTypes: number[] = [];
  private readonly globals: Global[] = [];
  // Per-function state.
  private locals: ValType[] = [];
  private stack: Slot[] = [];
  private frames: Frame[] = [];
  private budget = 0;
  /** Index of the function being generated. */
  private current = 0;
  /** The most values ever live at once (a measure of register pressure). */
  maxStack = 0;
  /** Links left in a chain of nested constructs. */
  private chain = 0;
  /** Calls left to place in this function: few, so call trees stay small. */
  private callSites = 0;
  private scratch = new Map<ValType, number>();
  /** Locals the generated code must not write: NaN scratch and loop counters. */
  private reserved = new Set<number>();

  constructor(seed: number, opt: GenOptions = defaultOptions) {
    this.rng = new Rng(seed);
    this.opt = opt;
    this.simd = opt.simd ?? seed % 4 === 3;
    this.parallel = opt.parallel ?? (seed % 16 === 5 || seed % 16 === 15);
  }

  private typeIndex(ft: FuncType): number {
    const key = (f: FuncType): string => `${f.params.join(',')}>${f.results.join(',')}`;
    const i = this.types.findIndex((t) => key(t) === key(ft));
    if (i >= 0) return i;
    this.types.push(ft);
    return this.types.length - 1;
  }

  private numType(): NumType { return this.rng.pick(NUM); }
  /** A number, or with SIMD sometimes a v128 (no draw without SIMD: other seeds stay as they were). */
  private dataType(): NumType | 'v128' { return this.simd && this.rng.chance(0.4) ? 'v128' : this.numType(); }
  /** Mostly numbers, sometimes references. */
  private valType(): ValType {
    if (this.simd && this.rng.chance(0.35)) return 'v128';
    return this.rng.chance(0.08) ? this.rng.pick(REF) : this.numType();
  }
  /** The instructions computed from operands that this module may use. */
  private ops(): readonly NumOp[] { return this.simd ? ALL_OPS : NUM_OPS; }
  private resultTypes(max: number): ValType[] {
    return Array.from({ length: this.rng.int(max + 1) }, () => this.valType());
  }

  module(): Module {
    const r = this.rng;
    const nf = r.range(1, this.opt.maxFuncs);
    // Function 0 is the host's (HOST_IMPORT), then the module's own.
    this.funcTypes.push(this.typeIndex({ params: this.resultTypes(r.chance(0.3) ? 10 : 3), results: this.resultTypes(3) }));
    for (let i = 0; i < nf; i++) {
      const many = r.chance(0.3);
      const ft: FuncType = {
        params: this.resultTypes(many ? 12 : 4),
        results: this.resultTypes(many ? 5 : 2),
      };
      this.funcTypes.push(this.typeIndex(ft));
    }
    // Draws only when padding: other seeds stay as they were.
    if (this.parallel) {
      this.pad = r.range(1, nf + 1);
      this.funcTypes.splice(this.pad, 0, this.typeIndex({ params: [], results: [] }));
    }
    /** Functions before the one that exhausts the stack, the import included. */
    const nd = this.funcTypes.length;
    // Globals: the fuel, then a mutable and an immutable one of each numeric type.
    this.globals.push({ type: { mut: true, type: 'i32' }, init: [{ op: 'i32.const', value: FUEL }] });
    for (const mut of [true, false]) {
      for (const t of NUM) this.globals.push({ type: { mut, type: t }, init: [this.constant(t)] });
    }
    for (const t of REF) this.globals.push({ type: { mut: true, type: t }, init: [{ op: 'ref.null', heaptype: t === 'funcref' ? 'func' : 'extern' }] });
    if (this.simd) for (const mut of [true, false]) this.globals.push({ type: { mut, type: 'v128' }, init: [this.constant('v128')] });
    const funcs: Func[] = [];
    for (let i = 1; i < nd; i++) {
      this.current = i;
      // Dead code compiles to almost nothing, but is decoded and validated; 64 br_tables of 1,024
      // labels make 64 KiB cheaply (V8 refuses more than 65,520 labels in one).
      funcs.push(i === this.pad
        ? { type: this.funcTypes[i]!, locals: [], body: [{ op: 'unreachable' }, ...Array.from({ length: 64 }, (): Instr => ({ op: 'br_table', labels: new Array<number>(1024).fill(0), default: 0 }))] }
        : this.func(this.types[this.funcTypes[i]!]!));
    }
    // Sometimes a function that recurses until the call stack is exhausted, with values of both
    // register classes live across each call; it has no side effects, so depth limits can differ.
    // (Rarely: running into the limit takes the engines tens of milliseconds.)
    if (r.chance(0.005)) {
      const self = nd;
      funcs.push({
        type: this.typeIndex({ params: ['i32', 'f64'], results: ['i32'] }),
        locals: ['i64', 'f32'],
        body: [
          { op: 'local.get', local: 0 }, { op: 'i32.const', value: 1 }, { op: 'i32.add' },
          { op: 'local.get', local: 1 }, { op: 'f64.const', bits: 0x3ff8000000000000n }, { op: 'f64.add' },
          { op: 'call', func: self }, { op: 'local.get', local: 0 }, { op: 'i32.add' },
        ],
      });
    }
    // Active segments of functions, some entries null, some segments short.
    const funcElems = (n: number): Instr[][] => Array.from({ length: r.chance(0.8) ? n : r.range(1, n) }, () => [
      r.chance(0.1) ? { op: 'ref.null', heaptype: 'func' } : { op: 'ref.func', func: r.int(nd) },
    ]);
    const elems: Elem[] = [
      { type: 'funcref', init: funcElems(TABLES[0]!.size), mode: { kind: 'active', table: 0, offset: [{ op: 'i32.const', value: 0 }] } },
      // Passive, for table.init; it also declares every function for ref.func.
      { type: 'funcref', init: Array.from({ length: nd }, (_, f) => [{ op: 'ref.func', func: f }] as Instr[]), mode: { kind: 'passive' } },
      { type: 'externref', init: Array.from({ length: r.range(1, 4) }, (): Instr[] => [{ op: 'ref.null', heaptype: 'extern' }]), mode: { kind: 'passive' } },
      { type: 'funcref', init: funcElems(TABLES[2]!.size), mode: { kind: 'active', table: 2, offset: [{ op: 'i32.const', value: 0 }] } },
    ];
    const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => r.int(256));
    // The memory: mostly one page that may grow to two; sometimes none at first (every access
    // traps until memory.grow), a third page, or no maximum.
    const pages = r.chance(0.05) ? 0 : 1;
    const maxPages = r.pick([pages + 1, pages + 1, pages + 1, 3, undefined]);
    // A start function, when one has no parameters and results; it may trap, failing instantiation.
    const starters = this.funcTypes.flatMap((ti, f) => {
      const ft = this.types[ti]!;
      return f > 0 && f !== this.pad && ft.params.length === 0 && ft.results.length === 0 ? [f] : [];
    });
    const start = starters.length > 0 && r.chance(0.3) ? r.pick(starters) : undefined;
    const exports: Export[] = [
      ...funcs.flatMap((_, i) => (i + 1 === this.pad ? [] : [{ name: i + 1 === nd ? 'exhaust' : `f${i + 1}`, desc: { kind: 'func' as const, index: i + 1 } }])),
      ...this.globals.map((_, i) => ({ name: `g${i}`, desc: { kind: 'global' as const, index: i } })),
      { name: 'mem', desc: { kind: 'mem', index: 0 } },
      ...TABLES.map((_, i) => ({ name: `tab${i}`, desc: { kind: 'table' as const, index: i } })),
    ];
    return {
      types: this.types,
      funcs,
      tables: TABLES.map((t) => ({ type: { addrtype: 'i32', limits: { min: t.size, max: t.size + 4 }, reftype: t.reftype } })),
      mems: [{ type: { addrtype: 'i32', limits: { min: pages, ...(maxPages === undefined ? {} : { max: maxPages }) } } }],
      globals: this.globals,
      elems,
      datas: [
        // Now and then out of bounds: instantiation then fails (spec 4.5.4 step 15).
        { init: bytes(pages === 0 ? 0 : r.range(0, 64)), mode: { kind: 'active', mem: 0, offset: [{ op: 'i32.const', value: pages === 0 ? 0 : r.chance(0.01) ? 65500 : r.int(4000) }] } },
        { init: bytes(r.range(1, 64)), mode: { kind: 'passive' } },
      ],
      imports: [{ ...HOST_IMPORT, desc: { kind: 'func', type: this.funcTypes[0]! } }],
      ...(start === undefined ? {} : { start }),
      exports,
      customs: [],
    };
  }

  // ---- values ----

  constant(t: NumType | 'v128'): Instr {
    const r = this.rng;
    switch (t) {
      case 'v128': {
        // Lanes of special values of one shape (NaNs, infinities, limits), or random bytes.
        const b = new Uint8Array(16);
        const v = new DataView(b.buffer);
        const k = r.int(5);
        for (let i = 0; i < (k < 2 ? 4 : 2); i++) {
          const c = this.constant(r.pick(k < 2 ? ['i32', 'f32'] as const : k < 4 ? ['i64', 'f64'] as const : ['i64'] as const));
          if (c.op === 'i32.const') v.setInt32(4 * i, c.value, true);
          else if (c.op === 'f32.const') v.setUint32(4 * i, c.bits, true);
          else if (c.op === 'i64.const') v.setBigInt64(8 * i, k === 4 ? BigInt(r.u32()) << 32n | BigInt(r.u32()) : c.value, true);
          else if (c.op === 'f64.const') v.setBigUint64(8 * i, c.bits, true);
        }
        if (k < 2) for (let i = 4; i < 16; i += 4) if (r.chance(0.5)) v.setUint32(i, v.getUint32(0, true), true);
        return { op: 'v128.const', bytes: b };
      }
      case 'i32': return { op: 'i32.const', value: r.pick([0, 1, -1, 2, 3, 7, 8, 31, 32, 63, 255, 0x7fffffff, -0x80000000, 0xffff, r.int(64), r.u32() | 0, r.int(1 << 12)]) | 0 };
      case 'i64': return { op: 'i64.const', value: BigInt.asIntN(64, r.pick([0n, 1n, -1n, 2n, 63n, 64n, 0x7fffffffffffffffn, -0x8000000000000000n, 0xffffffffn, 0x100000000n, BigInt(r.int(1000)), BigInt(r.u32()) << 32n | BigInt(r.u32())])) };
      case 'f32': return { op: 'f32.const', bits: r.pick([0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7fa00001, 0xffc00000, 0x4f000000, 0xcf000000, 0x00000001, 0x7f7fffff, 0x3fc00000, 0x5f000000, r.u32()]) };
      case 'f64': return { op: 'f64.const', bits: r.pick([0n, 0x8000000000000000n, 0x3ff0000000000000n, 0xbff0000000000000n, 0x7ff0000000000000n, 0xfff0000000000000n, 0x7ff8000000000000n, 0x7ff4000000000001n, 0x41e0000000000000n, 0xc1e0000000000000n, 0x43e0000000000000n, 0x3ff8000000000000n, 0x0000000000000001n, 0x4330000000000000n, BigInt(r.u32()) << 32n | BigInt(r.u32())]) };
    }
  }

  private get frame(): Frame { return this.frames[this.frames.length - 1]!; }
  private avail(): number { return this.stack.length - this.frame.height; }

  /** The NaN canonicalisation of a dirty top value: `select x nan (x == x)`, or for a v128
   *  `v128.bitselect x nan (eq x x)` in the lanes of its shape. */
  private canonTop(out: Instr[]): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined || !top.dirty || this.avail() <= 0) return;
    const t = top.t as 'f32' | 'f64' | 'v128';
    let s = this.scratch.get(t);
    if (s === undefined) { s = this.newLocal(t); this.scratch.set(t, s); this.reserved.add(s); }
    out.push({ op: 'local.tee', local: s });
    if (t === 'v128') {
      const nan = new Uint8Array(16);
      const v = new DataView(nan.buffer);
      for (let i = 0; i < 16; i += top.shape === 'f32x4' ? 4 : 8) {
        if (top.shape === 'f32x4') v.setUint32(i, 0x7fc00000, true); else v.setBigUint64(i, 0x7ff8000000000000n, true);
      }
      out.push({ op: 'v128.const', bytes: nan }, { op: 'local.get', local: s }, { op: 'local.get', local: s }, { op: `${top.shape!}.eq` }, { op: 'v128.bitselect' });
      this.stack[this.stack.length - 1] = { t, dirty: false };
      return;
    }
    out.push(t === 'f32' ? { op: 'f32.const', bits: 0x7fc00000 } : { op: 'f64.const', bits: 0x7ff8000000000000n });
    out.push({ op: 'local.get', local: s }, { op: 'local.get', local: s }, { op: t === 'f32' ? 'f32.eq' : 'f64.eq' }, { op: 'select' });
    top.dirty = false;
  }

  /** Before emitting code that pushes: the value under it must not be dirty. */
  private prePush(out: Instr[]): void { this.canonTop(out); }
  private push(t: ValType, dirty = false, shape?: Shape): void {
    this.stack.push(shape === undefined ? { t, dirty } : { t, dirty, shape });
    this.maxStack = Math.max(this.maxStack, this.stack.length);
  }
  private pop(): void {
    if (this.avail() > 0) this.stack.pop();
  }
  private popN(n: number): void { for (let i = 0; i < n; i++) this.pop(); }
  /** Whether the top of the stack has these types (missing ones are fine in unreachable code). */
  private topIs(ts: readonly ValType[]): boolean {
    const a = this.avail();
    for (let i = 0; i < ts.length; i++) {
      const k = ts.length - 1 - i;
      if (i >= a) return this.frame.unreachable;
      if (this.stack[this.stack.length - 1 - i]!.t !== ts[k]) return false;
    }
    return true;
  }

  private newLocal(t: ValType): number {
    this.locals.push(t);
    return this.locals.length - 1;
  }

  /** Emits code that pushes one value of type `t`. */
  private value(out: Instr[], vt: ValType, depth: number): void {
    const r = this.rng;
    this.prePush(out);
    this.budget--;
    if (isRef(vt)) {
      this.refValue(out, vt, depth);
      return;
    }
    const t = vt as NumType | 'v128';
    // Vectors are mostly computed: leaves would make most of them constants.
    if (depth <= 0 || this.budget <= 0 || r.chance(t === 'v128' ? 0.1 : 0.3)) {
      const locals = this.locals.flatMap((lt, i) => (lt === t && !this.reserved.has(i) ? [i] : []));
      const globals = this.globals.flatMap((g, i) => (g.type.type === t && i !== FUEL_GLOBAL ? [i] : []));
      const k = r.int(10);
      if (k < 4 && locals.length > 0) out.push({ op: 'local.get', local: r.pick(locals) });
      else if (k < 5 && globals.length > 0) out.push({ op: 'global.get', global: r.pick(globals) });
      else out.push(this.constant(t));
      this.push(t);
      return;
    }
    const k = r.int(20);
    if (k < 11) {
      // With SIMD, scalars sometimes come out of vectors (lanes, tests, bitmasks).
      const from = t === 'v128' || (this.simd && VEC_BY_RESULT.get(t)!.length > 0 && r.chance(0.3)) ? VEC_BY_RESULT : OPS_BY_RESULT;
      let o = r.pick(from.get(t)!);
      // Trapping truncations are drawn less often, so fewer calls end early.
      if (/trunc_f/.test(o.op) && r.chance(0.8)) o = r.pick(from.get(t)!);
      this.numOp(out, o, depth);
    } else if (k < 13) {
      this.load(out, t, depth);
    } else if (k < 14) {
      // Block, if or loop producing the value, with statements inside.
      this.structured(out, depth, [t]);
    } else if (k < 15) {
      this.value(out, t, depth - 1);
      this.value(out, t, depth - 1);
      this.value(out, 'i32', depth - 1);
      this.canonTop(out);
      out.push(r.chance(0.5) ? { op: 'select' } : { op: 'select', types: [t] });
      this.popN(3);
      this.push(t);
    } else if (k < 16 && t === 'i32') {
      const kk = r.int(6);
      if (kk === 0) out.push({ op: 'memory.size', mem: 0 });
      else if (kk === 1) out.push({ op: 'table.size', table: r.int(TABLES.length) });
      else if (kk === 2) {
        this.value(out, 'i32', 0); this.pop();
        out.push({ op: 'i32.const', value: 1 }, { op: 'i32.and' }, { op: 'memory.grow', mem: 0 });
      } else if (kk === 3) {
        const table = r.int(TABLES.length);
        this.refValue(out, TABLES[table]!.reftype, 0);
        this.value(out, 'i32', 0);
        out.push({ op: 'i32.const', value: 3 }, { op: 'i32.and' }, { op: 'table.grow', table });
        this.popN(2);
      } else {
        const table = r.int(TABLES.length);
        this.tableIndex(out, depth - 1, table); this.pop();
        out.push({ op: 'table.get', table }, { op: 'ref.is_null' });
      }
      this.push('i32');
    } else if (k < 17 && this.callSites > 0) {
      this.call(out, depth, t);
    } else {
      // Through a local: local.tee keeps the value.
      this.value(out, t, depth - 1);
      this.canonTop(out);
      const l = this.localOf(t);
      out.push({ op: r.chance(0.5) ? 'local.tee' : 'local.set', local: l });
      if (out[out.length - 1]!.op === 'local.set') out.push({ op: 'local.get', local: l });
    }
  }

  private refValue(out: Instr[], t: RefType, depth: number): void {
    const r = this.rng;
    const locals = this.locals.flatMap((lt, i) => (lt === t ? [i] : []));
    const globals = this.globals.flatMap((g, i) => (g.type.type === t ? [i] : []));
    const k = r.int(10);
    if (k < 3 && locals.length > 0) out.push({ op: 'local.get', local: r.pick(locals) });
    else if (k < 4) out.push({ op: 'global.get', global: r.pick(globals) });
    else if (k < 6 && t === 'funcref') out.push({ op: 'ref.func', func: r.int(this.funcTypes.length) });
    else if (k < 7) {
      const table = this.tableOf(t);
      this.tableIndex(out, 0, table);
      this.pop();
      out.push({ op: 'table.get', table });
    } else if (k < 8 && depth > 0) {
      this.value(out, t, depth - 1);
      this.value(out, t, depth - 1);
      this.value(out, 'i32', depth - 1);
      out.push({ op: 'select', types: [t] });
      this.popN(3);
    } else if (k < 9 && depth > 0) {
      this.structured(out, depth, [t]);
      return;
    } else {
      out.push({ op: 'ref.null', heaptype: t === 'funcref' ? 'func' : 'extern' });
    }
    this.push(t);
  }

  private localOf(t: ValType): number {
    const ls = this.locals.flatMap((lt, i) => (lt === t && !this.reserved.has(i) ? [i] : []));
    return ls.length > 0 && this.rng.chance(0.8) ? this.rng.pick(ls) : this.newLocal(t);
  }

  private numOp(out: Instr[], o: NumOp, depth: number): void {
    const r = this.rng;
    for (const [i, p] of o.params.entries()) {
      // Divisors and shift counts are often made harmless, so not every division traps.
      const divisor = i === 1 && /^i.*(div|rem)/.test(o.op);
      this.value(out, p, depth - 1);
      if (divisor && r.chance(0.7)) {
        out.push(p === 'i32' ? { op: 'i32.const', value: 1 } : { op: 'i64.const', value: 1n }, { op: p === 'i32' ? 'i32.or' : 'i64.or' });
      }
    }
    this.emitOp(out, o);
  }

  /** Applies `o` to the stack top (its operands are there). */
  private emitOp(out: Instr[], o: NumOp): void {
    if (o.vec) {
      this.emitVecOp(out, o);
      return;
    }
    if (BIT_OBSERVING.has(o.op)) this.canonTop(out);
    const dirtyIn = this.stack.slice(this.stack.length - o.params.length).some((s) => s.dirty);
    out.push({ op: o.op } as Instr);
    this.popN(o.params.length);
    const dirty = isFloat(o.result) && (NAN_PRODUCING.has(o.op) || (dirtyIn && isFloat(o.params[0]!)));
    this.push(o.result, dirty);
    if (dirty && this.rng.chance(0.5)) this.canonTop(out);
  }

  /** A SIMD instruction: its operand (only the top can be dirty) goes in as it is when the
   *  instruction reads it as floats of its shape, else canonical. */
  private emitVecOp(out: Instr[], o: NumOp): void {
    const r = this.rng;
    const top = this.stack[this.stack.length - 1];
    const shape = floatShapeIn(o.op);
    const fits = top !== undefined && this.avail() > 0 && top.dirty && shape !== undefined
      && (top.t === 'v128' ? top.shape === shape : shapeOf(top.t as 'f32' | 'f64') === shape);
    if (!fits) this.canonTop(out);
    if (o.lanes === 32) out.push({ op: 'i8x16.shuffle', lanes: Array.from({ length: 16 }, () => r.int(32)) });
    else if (o.lanes !== undefined) out.push({ op: o.op, lane: r.int(o.lanes) } as Instr);
    else out.push({ op: o.op } as Instr);
    this.popN(o.params.length);
    if (VEC_NAN_PRODUCING.has(o.op) || (fits && VEC_NAN_KEEPING.test(o.op))) {
      if (o.result === 'v128') this.push('v128', true, namedShape(o.op));
      else this.push(o.result, true);
      if (r.chance(0.5)) this.canonTop(out);
    } else {
      this.push(o.result);
    }
  }

  private memarg(natural: number): MemArg {
    const r = this.rng;
    return { align: r.int(natural + 1), offset: r.chance(0.97) ? r.pick([0, 0, 1, 4, 8, 100, 0xfff]) : r.pick([0xfff8, 0x10000, 0x7fffffff, 0xffffffff]), mem: 0 };
  }

  /** An address: mostly masked into the first page (in bounds), sometimes into the second (which
   *  memory.grow may have added), sometimes anything. */
  private address(out: Instr[], depth: number): void {
    if (this.rng.chance(0.2)) {
      this.wrapped(out, depth, 0xfff0);
      return;
    }
    this.value(out, 'i32', depth - 1);
    if (this.rng.chance(0.95)) {
      out.push({ op: 'i32.const', value: this.rng.pick([0xfff0, 0xff, 0x7ff0, 0xfff, 0x1fff0]) }, { op: 'i32.and' });
    }
  }

  /**
   * A small i32 made by i32.wrap_i64 from an i64 whose upper half is not zero: code that reads a
   * 32-bit value's register as 64 bits (an address, an index, a condition) sees the garbage.
   */
  private wrapped(out: Instr[], depth: number, mask: number): void {
    this.value(out, 'i64', depth - 1);
    out.push(
      { op: 'i64.const', value: BigInt(mask) }, { op: 'i64.and' },
      { op: 'i64.const', value: BigInt.asIntN(64, BigInt(this.rng.u32() | 1) << 32n) }, { op: 'i64.or' },
      { op: 'i32.wrap_i64' },
    );
    this.pop();
    this.push('i32');
  }

  /** A table holding `t`. */
  private tableOf(t: RefType): number {
    return this.rng.pick(TABLES.flatMap((x, i) => (x.reftype === t ? [i] : [])));
  }

  /** An index into `table`: mostly within its initial size, sometimes within what table.grow may
   *  have added. */
  private tableIndex(out: Instr[], depth: number, table: number): void {
    const mask = TABLES[table]!.size * (this.rng.chance(0.2) ? 2 : 1) - 1;
    if (this.rng.chance(0.15)) {
      this.wrapped(out, depth, mask);
      return;
    }
    this.value(out, 'i32', depth);
    if (this.rng.chance(0.85)) out.push({ op: 'i32.const', value: mask }, { op: 'i32.and' });
  }

  private load(out: Instr[], t: NumType | 'v128', depth: number): void {
    if (t === 'v128' && this.rng.chance(0.25)) {
      // One lane loaded into a vector.
      const [op, natural] = this.rng.pick(LANE_LOADS);
      this.address(out, depth);
      this.value(out, 'v128', depth - 1);
      this.canonTop(out);
      out.push({ op, memarg: this.memarg(natural), lane: this.rng.int(16 >> natural) } as Instr);
      this.popN(2);
      this.push(t);
      return;
    }
    const [op, natural] = this.rng.pick(t === 'v128' ? VEC_LOADS : LOADS[t]);
    this.address(out, depth);
    out.push({ op, memarg: this.memarg(natural) } as Instr);
    this.pop();
    this.push(t);
  }

  private call(out: Instr[], depth: number, want?: ValType): void {
    const r = this.rng;
    this.callSites--;
    // Mostly calls forward (a DAG), so the fuel is rarely all spent on recursion.
    const later = this.funcTypes.length - this.current - 1;
    const pick = r.chance(0.25) ? 0 : later > 0 && r.chance(0.95) ? this.current + 1 + r.int(later) : r.int(this.funcTypes.length);
    // Not the 64 KiB function, which only traps (through a table it may).
    const f = pick === this.pad ? 0 : pick;
    const ft = this.types[this.funcTypes[f]!]!;
    const base = this.stack.length;
    if (want === undefined && ft.params.length > 0 && this.topIs(ft.params) && r.chance(0.6)) {
      // Arguments already live (in registers or spill slots).
    } else {
      for (const p of ft.params) this.value(out, p, Math.min(depth - 1, 1));
    }
    this.canonTop(out);
    if (r.chance(0.75)) {
      out.push({ op: 'call', func: f });
    } else {
      const table = this.tableOf('funcref');
      this.tableIndex(out, 0, table);
      out.push({ op: 'call_indirect', type: this.funcTypes[f]!, table });
      this.pop();
    }
    this.popN(ft.params.length);
    for (const t of ft.results) this.push(t);
    if (want !== undefined) this.fit(out, [want], base);
  }

  /** Makes the current frame's values exactly `ts` (drops, conversions, fresh values). */
  private fit(out: Instr[], ts: readonly ValType[], base = this.frame.height): void {
    const r = this.rng;
    const have = (): Slot[] => this.stack.slice(base);
    const prefixOk = (): boolean => have().every((s, i) => i < ts.length && s.t === ts[i]);
    while (!prefixOk()) {
      const top = this.stack[this.stack.length - 1]!;
      const want = ts[this.stack.length - 1 - base];
      const conv = want === undefined ? undefined : NUM_OPS.find((o) => o.result === want && o.params.length === 1 && o.params[0] === top.t && !BIT_OBSERVING.has(o.op));
      if (conv !== undefined && r.chance(0.5)) {
        this.emitOp(out, conv);
      } else {
        out.push({ op: 'drop' });
        this.stack.pop();
      }
    }
    for (let i = this.stack.length - base; i < ts.length; i++) this.value(out, ts[i], 2);
    this.canonTop(out);
  }

  // ---- control ----

  private blockType(params: readonly ValType[], results: readonly ValType[]): BlockType {
    if (params.length === 0 && results.length === 0 && this.rng.chance(0.7)) return null;
    if (params.length === 0 && results.length === 1 && this.rng.chance(0.7)) return results[0]!;
    return { typeidx: this.typeIndex({ params, results }) };
  }

  /** A block, loop or if; `results` given when the caller needs those values. */
  private structured(out: Instr[], depth: number, results?: readonly ValType[]): void {
    const r = this.rng;
    const res = results ?? this.resultTypes(r.chance(0.2) ? 4 : 2);
    // Parameters: values already on the stack (none when the caller wants exactly one new value).
    const np = results !== undefined ? 0 : r.int(Math.min(this.avail(), r.chance(0.3) ? 5 : 2) + 1);
    const params = this.stack.slice(this.stack.length - np).map((s) => s.t);
    const kind = r.pick(['block', 'block', 'loop', 'if', 'if'] as const);
    this.canonTop(out);
    if (kind === 'if') {
      this.value(out, 'i32', 2);
      this.pop();
    }
    const bt = this.blockType(params, res);
    const body = (k: 'block' | 'if'): Instr[] => {
      const code: Instr[] = [];
      this.frames.push({ kind: k, results: res, label: res, height: this.stack.length - np, unreachable: false });
      this.nest(code, depth);
      this.seq(code, depth - 1, r.range(1, 6));
      this.endFrame(code);
      this.frames.pop();
      return code;
    };
    const base = this.stack.slice();
    if (kind === 'if') {
      const then = body('if');
      this.stack = base.slice();
      const els = r.chance(0.2) && params.length === 0 && res.length === 0 ? [] : body('if');
      out.push({ op: 'if', bt, then, else: els });
    } else if (kind === 'loop') {
      out.push({ op: 'i32.const', value: 0 });
      const c = this.newLocal('i32');
      this.reserved.add(c);
      out.push({ op: 'local.set', local: c });
      this.stack = base.slice();
      const code: Instr[] = [];
      this.frames.push({ kind: 'loop', results: res, label: params, height: this.stack.length - np, unreachable: false, counter: c });
      this.fuelCheck(code);
      this.nest(code, depth);
      this.seq(code, depth - 1, r.range(1, 6));
      this.endFrame(code);
      this.frames.pop();
      out.push({ op: 'loop', bt, body: code });
    } else {
      out.push({ op: 'block', bt, body: body('block') });
    }
    this.stack = base.slice(0, base.length - np);
    for (const t of res) this.push(t);
  }

  /** In a chain of nested constructs: the next link. */
  private nest(out: Instr[], depth: number): void {
    if (this.chain > 0 && depth > 1) {
      this.chain--;
      this.structured(out, depth - 1);
    }
  }

  /**
   * A local or global read, then written while the old value is still on the stack: a compiler
   * that defers the read must not see the new value.
   */
  private staleRead(out: Instr[], depth: number): void {
    const r = this.rng;
    const t = this.dataType();
    this.prePush(out);
    if (r.chance(0.6)) {
      const l = this.localOf(t);
      out.push({ op: 'local.get', local: l });
      this.push(t);
      this.value(out, t, depth - 1);
      this.canonTop(out);
      out.push({ op: r.chance(0.5) ? 'local.set' : 'local.tee', local: l });
      if (out[out.length - 1]!.op === 'local.set') this.pop();
    } else {
      const g = this.globals.findIndex((x, i) => x.type.mut && x.type.type === t && i !== FUEL_GLOBAL);
      out.push({ op: 'global.get', global: g });
      this.push(t);
      this.value(out, t, depth - 1);
      this.canonTop(out);
      out.push({ op: 'global.set', global: g });
      this.pop();
    }
  }

  /** Ends a frame: its values become its results (or stay partial in unreachable code). */
  private endFrame(out: Instr[]): void {
    const f = this.frame;
    if (f.unreachable && this.rng.chance(0.4)) {
      // Unreachable: the stack must only match a suffix of the results.
      while (this.avail() > 0) { out.push({ op: 'drop' }); this.stack.pop(); }
      const k = this.rng.int(f.results.length + 1);
      for (const t of f.results.slice(k)) this.value(out, t, 1);
      this.canonTop(out);
      return;
    }
    this.fit(out, f.results);
  }

  /** Traps once the module's fuel is spent, so every run ends. */
  private fuelCheck(out: Instr[]): void {
    out.push(
      { op: 'global.get', global: FUEL_GLOBAL }, { op: 'i32.eqz' }, { op: 'if', bt: null, then: [{ op: 'unreachable' }], else: [] },
      { op: 'global.get', global: FUEL_GLOBAL }, { op: 'i32.const', value: 1 }, { op: 'i32.sub' }, { op: 'global.set', global: FUEL_GLOBAL },
    );
  }

  /** A branch to enclosing label `l` with its values freshly on the stack. */
  private branchValues(out: Instr[], l: number): void {
    const target = this.frames[this.frames.length - 1 - l]!;
    // Sometimes values already on the stack are carried (when they fit), else fresh ones.
    if (!this.topIs(target.label) || this.rng.chance(0.5)) {
      for (const t of target.label) this.value(out, t, 1);
    }
    this.canonTop(out);
  }

  private branch(out: Instr[], depth: number): void {
    const r = this.rng;
    const n = this.frames.length;
    const l = r.int(n);
    const target = this.frames[n - 1 - l]!;
    const k = r.int(10);
    if (target.kind === 'loop') {
      // Back edges only while the loop's counter allows.
      this.branchValues(out, l);
      this.value(out, 'i32', 0);
      out.push(
        { op: 'local.get', local: target.counter! }, { op: 'i32.const', value: 1 }, { op: 'i32.add' },
        { op: 'local.tee', local: target.counter! }, { op: 'i32.const', value: r.range(1, 4) }, { op: 'i32.lt_u' }, { op: 'i32.and' },
      );
      const exits = this.frames.flatMap((f, i) => (f.kind !== 'loop' && f.label.join() === target.label.join() ? [n - 1 - i] : []));
      if (k < 3 && exits.length > 0) {
        // br_table: entry 0 goes back, the other entries and the default out.
        const labels = [l, ...Array.from({ length: r.int(3) }, () => r.pick(exits))];
        out.push({ op: 'i32.eqz' }, { op: 'br_table', labels, default: r.pick(exits) });
        this.goneDead();
        return;
      }
      // br_if, or br inside an if whose parameters pass the values through.
      out.push(k < 6
        ? { op: 'if', bt: this.blockType(target.label, target.label), then: [{ op: 'br', label: l + 1 }], else: [] }
        : { op: 'br_if', label: l });
      this.pop();
      // br_if gives the label's values back (from the polymorphic stack in dead code too).
      this.popN(target.label.length);
      for (const t of target.label) this.push(t);
      return;
    }
    if (k < 4) {
      this.branchValues(out, l);
      this.value(out, 'i32', depth - 1);
      out.push({ op: 'br_if', label: l });
      this.pop();
      this.popN(target.label.length);
      for (const t of target.label) this.push(t);
    } else if (k < 7) {
      // br_table over labels with the same types (loops excluded: no counter on those edges).
      const same = this.frames.flatMap((f, i) => (f.kind !== 'loop' && f.label.join() === target.label.join() ? [n - 1 - i] : []));
      this.branchValues(out, l);
      this.value(out, 'i32', depth - 1);
      if (r.chance(0.6)) out.push({ op: 'i32.const', value: r.range(1, 7) }, { op: 'i32.rem_u' });
      out.push({ op: 'br_table', labels: Array.from({ length: r.int(6) }, () => r.pick(same)), default: r.pick(same) });
      this.goneDead();
    } else if (k < 9) {
      this.branchValues(out, l);
      out.push({ op: 'br', label: l });
      this.goneDead();
    } else {
      const f = this.frames[0]!;
      if (!this.topIs(f.results) || r.chance(0.5)) for (const t of f.results) this.value(out, t, 1);
      this.canonTop(out);
      out.push({ op: 'return' });
      this.goneDead();
    }
  }

  private goneDead(): void {
    this.stack.length = this.frame.height;
    this.frame.unreachable = true;
  }

  private store(out: Instr[], depth: number): void {
    const t = this.dataType();
    const lane = t === 'v128' && this.rng.chance(0.4);
    const [op, natural] = t === 'v128' ? this.rng.pick(lane ? LANE_STORES : [['v128.store', 4] as const]) : this.rng.pick(STORES[t]);
    this.address(out, depth);
    this.value(out, t, depth - 1);
    this.canonTop(out);
    out.push((lane ? { op, memarg: this.memarg(natural), lane: this.rng.int(16 >> natural) } : { op, memarg: this.memarg(natural) }) as Instr);
    this.popN(2);
  }

  private small(out: Instr[], mask: number): void {
    this.value(out, 'i32', 1);
    if (this.rng.chance(0.9)) out.push({ op: 'i32.const', value: mask }, { op: 'i32.and' });
  }

  private bulk(out: Instr[]): void {
    const r = this.rng;
    const k = r.int(9);
    const three = (m1: number, m2: number, m3: number): void => { this.small(out, m1); this.small(out, m2); this.small(out, m3); this.popN(3); };
    switch (k) {
      case 0: three(0xfff, 0xff, 0x3f); out.push({ op: 'memory.fill', mem: 0 }); break;
      case 1: three(0xfff, 0xfff, 0x3f); out.push({ op: 'memory.copy', dst: 0, src: 0 }); break;
      case 2: three(0xfff, 0x1f, 0x1f); out.push({ op: 'memory.init', data: 1, mem: 0 }); break;
      case 3: out.push({ op: 'data.drop', data: r.int(2) }); break;
      case 4: {
        // Any segment into a table of its type: the active ones are dropped, so only n = 0 passes.
        const elem = r.int(ELEMS);
        const table = this.tableOf(elem === 2 ? 'externref' : 'funcref');
        three(TABLES[table]!.size - 1, 3, 3);
        out.push({ op: 'table.init', elem, table });
        break;
      }
      case 5: {
        const t = r.pick(REF);
        const [dst, src] = [this.tableOf(t), this.tableOf(t)];
        three(TABLES[dst]!.size - 1, TABLES[src]!.size - 1, 3);
        out.push({ op: 'table.copy', dst, src });
        break;
      }
      case 6: out.push({ op: 'elem.drop', elem: r.int(ELEMS) }); break;
      default: {
        // table.fill (index, value, n) or table.set (index, value).
        const table = r.int(TABLES.length);
        this.small(out, TABLES[table]!.size - 1);
        this.refValue(out, TABLES[table]!.reftype, 0);
        if (k === 7) {
          this.small(out, 3);
          out.push({ op: 'table.fill', table });
          this.popN(3);
        } else {
          out.push({ op: 'table.set', table });
          this.popN(2);
        }
      }
    }
  }

  /** One step on the current frame's stack. */
  private step(out: Instr[], depth: number): void {
    const r = this.rng;
    this.budget--;
    const a = this.avail();
    const k = r.int(100);
    if (k < 22) {
      // Push values and leave them live: register pressure.
      for (let i = r.range(1, 3); i > 0; i--) this.value(out, this.valType(), r.int(3));
    } else if (k < 42 && a > 0) {
      // Operate on what is already on the stack.
      const ops = this.ops().filter((o) => this.topIs(o.params) && (o.params.length <= a || r.chance(0.3)));
      if (ops.length > 0) this.emitOp(out, r.pick(ops));
      else { this.canonTop(out); out.push({ op: 'drop' }); this.pop(); }
    } else if (k < 48 && a > 0) {
      const top = this.stack[this.stack.length - 1]!;
      this.canonTop(out);
      const kk = r.int(3);
      if (kk === 0) { out.push({ op: 'local.set', local: this.localOf(top.t) }); this.pop(); }
      else if (kk === 1) out.push({ op: 'local.tee', local: this.localOf(top.t) });
      else {
        const gs = this.globals.flatMap((g, i) => (g.type.mut && g.type.type === top.t && i !== FUEL_GLOBAL ? [i] : []));
        out.push(gs.length > 0 ? { op: 'global.set', global: r.pick(gs) } : { op: 'drop' });
        this.pop();
      }
    } else if (k < 52) {
      this.staleRead(out, depth);
    } else if (k < 53 && this.chain === 0) {
      // A chain of dozens of nested blocks, ifs and loops.
      this.chain = r.range(8, 40);
      this.structured(out, this.chain + 2);
      this.chain = 0;
    } else if (k < 60 && depth > 0) {
      this.structured(out, depth);
    } else if (k < 70) {
      this.branch(out, depth);
    } else if (k < 76) {
      this.store(out, depth);
    } else if (k < 81 && this.callSites > 0) {
      this.call(out, depth);
    } else if (k < 85) {
      this.bulk(out);
    } else if (k < 88 && a >= 2) {
      // select on values already live, the condition computed right above them.
      const [x, y] = this.stack.slice(-2);
      if (x!.t === y!.t) {
        this.value(out, 'i32', 2);
        // References need the typed form (spec 3.3.4 select).
        out.push(isRef(x!.t) || r.chance(0.2) ? { op: 'select', types: [x!.t] } : { op: 'select' });
        this.popN(3);
        this.push(x!.t);
      }
    } else if (k < 90) {
      if (r.chance(0.08) || this.frame.unreachable) {
        out.push({ op: 'unreachable' });
        this.goneDead();
      } else {
        out.push({ op: 'nop' });
      }
    } else if (k < 93 && this.frame.unreachable) {
      // Dead code popping from the polymorphic stack.
      const o = r.pick(this.ops());
      if (this.topIs(o.params)) this.emitOp(out, o);
    } else if (a > 0) {
      this.canonTop(out);
      out.push({ op: 'drop' });
      this.pop();
    }
  }

  private seq(out: Instr[], depth: number, n: number): void {
    for (let i = 0; i < n && this.budget > 0; i++) this.step(out, depth);
  }

  private func(ft: FuncType): Func {
    const r = this.rng;
    this.locals = [...ft.params];
    for (let i = r.int(8); i > 0; i--) this.locals.push(this.valType());
    this.scratch = new Map();
    this.reserved = new Set();
    this.stack = [];
    this.frames = [{ kind: 'func', results: ft.results, label: ft.results, height: 0, unreachable: false }];
    this.budget = this.opt.bodySize;
    this.callSites = r.range(0, 3);
    const body: Instr[] = [];
    this.fuelCheck(body);
    while (this.budget > 0) this.step(body, this.opt.maxDepth);
    this.endFrame(body);
    return { type: this.typeIndex(ft), locals: this.locals.slice(ft.params.length), body };
  }
}

