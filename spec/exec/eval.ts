// Execution of instructions — WebAssembly spec §4.4 — and invocation (§4.5.5).
//
// The interpreter follows the spec's stack machine: one operand stack per invocation, a label
// stack holding each label's operand-stack height, and frames for calls. To avoid re-scanning the
// AST for block ends, each function body is compiled once (cached per Func) into a flat code array
// whose branches already know their continuation: the label arity and target are static, only
// the stack height a label was entered at is dynamic (§4.4.8 br: "pop the values down to the
// label's height"). Calls do not recurse in JS: frames live in arrays, so runaway recursion ends
// in Exhaustion at a fixed depth rather than in a JS stack overflow.

import { Exhaustion, SpecError, Trap } from '../errors.js';
import { FuelSegments, OUT_OF_FUEL } from '../fuel.js';
import {
  opcodes, walkExpr, type BlockType, type Expr, type Instr, type InstrOf, type NumericOp, type Opname,
} from '../structure/instructions.js';
import type { Func } from '../structure/module.js';
import { funcTypeEquals, PAGE_SIZE, type FuncType } from '../structure/types.js';
import { numerics } from './numerics.js';
import type { ModuleInst, Store } from './runtime.js';
import { defaultValue, growmem, growtable, nullRef } from './runtime.js';
import type { Ref, Value } from './values.js';

/** Frames (wasm calls plus host calls) allowed on the stack at once, across nested invocations. */
const MAX_CALL_DEPTH = 20_000;
/** Operand-stack slots (locals included) one invocation may use: deep recursion through functions
 *  with many locals is exhaustion long before the call depth bound (skip-stack-guard-page.wast). */
const MAX_STACK_VALUES = 1 << 20;
/** What the embedder's stack limit (Store.limits.wasmStack) charges: bytes per operand or local
 *  slot, and per frame (as a native frame holds a return address, a frame pointer and spills). */
const SLOT_BYTES = 8;
const FRAME_BYTES = 64;

const OOB_MEMORY = 'out of bounds memory access';
const OOB_TABLE = 'out of bounds table access';

/** Internal operation codes of the compiled form (dense, so the dispatch switch is a jump table). */
const enum Op {
  Unreachable, Block, If, Else, End, Br, BrIf, BrTable, Return, Call, CallIndirect,
  Drop, Select, LocalGet, LocalSet, LocalTee, GlobalGet, GlobalSet,
  TableGet, TableSet, TableSize, TableGrow, TableFill, TableCopy, TableInit, ElemDrop,
  MemorySize, MemoryGrow, MemoryFill, MemoryCopy, MemoryInit, DataDrop,
  Const, RefIsNull, RefFunc, Num1, Num2, Num3,
  I32Load, I64Load, F32Load, F64Load, I32Load8S, I32Load8U, I32Load16S, I32Load16U,
  I64Load8S, I64Load8U, I64Load16S, I64Load16U, I64Load32S, I64Load32U,
  I32Store, I64Store, F32Store, F64Store, I32Store8, I32Store16, I64Store8, I64Store16, I64Store32,
  V128Load, V128LoadExtend, V128LoadSplat, V128LoadZero, V128LoadLane, V128Store, V128StoreLane,
  Fuel,
}

type NumFn = (args: readonly Value[], instr: Instr) => Value;

/** A branch target: `label` counts outwards from the innermost label; `pop` labels are removed
 *  (a loop's own label stays, since branching to a loop re-enters it). */
interface BrTarget { readonly label: number; readonly arity: number; readonly pop: number; pc: number }

/** A compiled function body or constant expression. Immediates are in `a`…`d` per instruction. */
interface Code {
  readonly op: Int32Array;
  /** Memory offsets (u32) are stored wrapped to i32 and read back with `>>> 0`. */
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly c: Int32Array;
  readonly d: Int32Array;
  readonly val: readonly Value[];
  readonly fn: readonly NumFn[];
  readonly instr: readonly Instr[];
  readonly table: readonly (readonly BrTarget[])[];
  readonly nparams: number;
  /** Initial values of the declared locals (§4.4.10 function frames: default values). */
  readonly locals: readonly Value[];
  readonly nresults: number;
}

// ---------------------------------------------------------------------------------------------
// Compilation of bodies into the flat form.

interface Ctl {
  readonly arity: number;
  /** For a loop: the pc of its body; otherwise -1 and the branches wait in `fixups`. */
  readonly loopStart: number;
  readonly fixups: BrTarget[];
  /** For an `if`: the pc of its If, and of its Else once emitted. */
  readonly at?: number;
  skip?: number;
}

function blockArity(types: readonly FuncType[], bt: BlockType): readonly [number, number] {
  if (bt === null) return [0, 0];
  if (typeof bt === 'string') return [0, 1];
  const ft = types[bt.typeidx]!;
  return [ft.params.length, ft.results.length];
}

function isNumericOp(op: Opname): op is NumericOp {
  const info: { readonly imm: string; readonly sig?: unknown } = opcodes[op];
  return info.sig !== undefined && (info.imm === 'none' || info.imm === 'lane' || info.imm === 'shuffle');
}

const LOADS: Partial<Record<Opname, Op>> = {
  'i32.load': Op.I32Load, 'i64.load': Op.I64Load, 'f32.load': Op.F32Load, 'f64.load': Op.F64Load,
  'i32.load8_s': Op.I32Load8S, 'i32.load8_u': Op.I32Load8U, 'i32.load16_s': Op.I32Load16S,
  'i32.load16_u': Op.I32Load16U, 'i64.load8_s': Op.I64Load8S, 'i64.load8_u': Op.I64Load8U,
  'i64.load16_s': Op.I64Load16S, 'i64.load16_u': Op.I64Load16U, 'i64.load32_s': Op.I64Load32S,
  'i64.load32_u': Op.I64Load32U, 'i32.store': Op.I32Store, 'i64.store': Op.I64Store,
  'f32.store': Op.F32Store, 'f64.store': Op.F64Store, 'i32.store8': Op.I32Store8,
  'i32.store16': Op.I32Store16, 'i64.store8': Op.I64Store8, 'i64.store16': Op.I64Store16,
  'i64.store32': Op.I64Store32, 'v128.load': Op.V128Load, 'v128.store': Op.V128Store,
};

/** v128 loads of a narrower width: [op, bytes per lane read, signed]. */
const V128_LOADS: Partial<Record<Opname, readonly [Op, number, number]>> = {
  'v128.load8x8_s': [Op.V128LoadExtend, 1, 1], 'v128.load8x8_u': [Op.V128LoadExtend, 1, 0],
  'v128.load16x4_s': [Op.V128LoadExtend, 2, 1], 'v128.load16x4_u': [Op.V128LoadExtend, 2, 0],
  'v128.load32x2_s': [Op.V128LoadExtend, 4, 1], 'v128.load32x2_u': [Op.V128LoadExtend, 4, 0],
  'v128.load8_splat': [Op.V128LoadSplat, 1, 0], 'v128.load16_splat': [Op.V128LoadSplat, 2, 0],
  'v128.load32_splat': [Op.V128LoadSplat, 4, 0], 'v128.load64_splat': [Op.V128LoadSplat, 8, 0],
  'v128.load32_zero': [Op.V128LoadZero, 4, 0], 'v128.load64_zero': [Op.V128LoadZero, 8, 0],
  'v128.load8_lane': [Op.V128LoadLane, 1, 0], 'v128.load16_lane': [Op.V128LoadLane, 2, 0],
  'v128.load32_lane': [Op.V128LoadLane, 4, 0], 'v128.load64_lane': [Op.V128LoadLane, 8, 0],
  'v128.store8_lane': [Op.V128StoreLane, 1, 0], 'v128.store16_lane': [Op.V128StoreLane, 2, 0],
  'v128.store32_lane': [Op.V128StoreLane, 4, 0], 'v128.store64_lane': [Op.V128StoreLane, 8, 0],
};

class Compiler {
  private readonly op: number[] = [];
  private readonly a: number[] = [];
  private readonly b: number[] = [];
  private readonly c: number[] = [];
  private readonly d: number[] = [];
  private readonly val: Value[] = [];
  private readonly fn: NumFn[] = [];
  private readonly instr: Instr[] = [];
  private readonly table: BrTarget[][] = [];
  private readonly ctls: Ctl[] = [];
  /** br / br_if instructions whose target pc is copied into `c` at the end. */
  private readonly branches: [number, BrTarget][] = [];
  /** Function bodies charge fuel per segment (spec/fuel.ts): a Fuel op with the cost in `a`. */
  private readonly fuel: FuelSegments<number> | undefined;

  /** `metered`: a function body (constant expressions are not metered). */
  constructor(private readonly types: readonly FuncType[], metered: boolean) {
    this.fuel = metered ? new FuelSegments(() => this.emit(Op.Fuel), (i, cost) => { this.a[i] = cost; }) : undefined;
  }

  /** Compiles `body` as the body of a function with the given arity; the implicit outermost
   *  label (§4.4.10) is the final Return. */
  compile(body: Expr, nparams: number, locals: readonly Value[], nresults: number): Code {
    const outer: Ctl = { arity: nresults, loopStart: -1, fixups: [] };
    this.ctls.push(outer);
    // Nested instructions by a walk with its own stack: nesting is the module's to choose.
    walkExpr(body, {
      instr: (i) => { this.fuel?.instr(i); this.one(i); },
      else: (i) => { this.fuel?.step('else'); this.else(i); },
      end: () => { this.fuel?.step('end'); this.end(); },
    });
    this.ctls.pop();
    const ret = this.emit(Op.Return);
    for (const t of outer.fixups) t.pc = ret;
    for (const [i, t] of this.branches) this.c[i] = t.pc;
    return {
      op: Int32Array.from(this.op), a: Int32Array.from(this.a), b: Int32Array.from(this.b),
      c: Int32Array.from(this.c), d: Int32Array.from(this.d),
      val: this.val, fn: this.fn, instr: this.instr, table: this.table,
      nparams, locals, nresults,
    };
  }

  private emit(op: Op, a = 0, b = 0, c = 0, d = 0): number {
    const i = this.op.length;
    this.op.push(op); this.a.push(a); this.b.push(b); this.c.push(c); this.d.push(d);
    return i;
  }

  private target(label: number): BrTarget {
    const ctl = this.ctls[this.ctls.length - 1 - label]!;
    const isLoop = ctl.loopStart >= 0;
    const t: BrTarget = { label, arity: ctl.arity, pop: isLoop ? label : label + 1, pc: ctl.loopStart };
    if (!isLoop) ctl.fixups.push(t);
    return t;
  }

  /** br / br_if: the target's fields become immediates; its pc is copied once resolved. */
  private br(op: Op.Br | Op.BrIf, label: number): void {
    const t = this.target(label);
    this.branches.push([this.emit(op, label, t.arity, 0, t.pop), t]);
  }

  /** Opens a block or loop; its body follows, then `end`. */
  private block(bt: BlockType, loop: boolean): void {
    const [np, nr] = blockArity(this.types, bt);
    this.emit(Op.Block, np);
    this.ctls.push({ arity: loop ? np : nr, loopStart: loop ? this.op.length : -1, fixups: [] });
  }

  /** Between the arms of an `if`: a non-empty else arm is jumped over from the end of the then arm,
   *  and is where the If goes on a false condition. */
  private else(i: InstrOf<'if'>): void {
    if (i.else.length === 0) return;
    const ctl = this.ctls[this.ctls.length - 1]!;
    ctl.skip = this.emit(Op.Else);
    this.b[ctl.at!] = this.op.length;
  }

  /** Closes the innermost block, loop or if: its branches go past its End. */
  private end(): void {
    const ctl = this.ctls.pop()!;
    const end = this.emit(Op.End);
    if (ctl.at !== undefined) this.b[ctl.skip ?? ctl.at] = end;
    for (const t of ctl.fixups) t.pc = this.op.length;
  }

  private one(instr: Instr): void {
    switch (instr.op) {
      case 'nop': return;
      case 'unreachable': this.emit(Op.Unreachable); return;
      case 'block': this.block(instr.bt, false); return;
      case 'loop': this.block(instr.bt, true); return;
      case 'if': {
        const [np, nr] = blockArity(this.types, instr.bt);
        this.ctls.push({ arity: nr, loopStart: -1, fixups: [], at: this.emit(Op.If, np) });
        return;
      }
      case 'br': this.br(Op.Br, instr.label); return;
      case 'br_if': this.br(Op.BrIf, instr.label); return;
      case 'br_table': {
        const i = this.emit(Op.BrTable);
        this.table[i] = [...instr.labels, instr.default].map((l) => this.target(l));
        return;
      }
      case 'return': this.br(Op.Br, this.ctls.length - 1); return;
      case 'call': this.emit(Op.Call, instr.func); return;
      case 'call_indirect': this.emit(Op.CallIndirect, instr.type, instr.table); return;
      case 'drop': this.emit(Op.Drop); return;
      case 'select': this.emit(Op.Select); return;
      case 'local.get': this.emit(Op.LocalGet, instr.local); return;
      case 'local.set': this.emit(Op.LocalSet, instr.local); return;
      case 'local.tee': this.emit(Op.LocalTee, instr.local); return;
      case 'global.get': this.emit(Op.GlobalGet, instr.global); return;
      case 'global.set': this.emit(Op.GlobalSet, instr.global); return;
      case 'table.get': this.emit(Op.TableGet, instr.table); return;
      case 'table.set': this.emit(Op.TableSet, instr.table); return;
      case 'table.size': this.emit(Op.TableSize, instr.table); return;
      case 'table.grow': this.emit(Op.TableGrow, instr.table); return;
      case 'table.fill': this.emit(Op.TableFill, instr.table); return;
      case 'table.copy': this.emit(Op.TableCopy, instr.dst, instr.src); return;
      case 'table.init': this.emit(Op.TableInit, instr.table, instr.elem); return;
      case 'elem.drop': this.emit(Op.ElemDrop, instr.elem); return;
      case 'memory.size': this.emit(Op.MemorySize, instr.mem); return;
      case 'memory.grow': this.emit(Op.MemoryGrow, instr.mem); return;
      case 'memory.fill': this.emit(Op.MemoryFill, instr.mem); return;
      case 'memory.copy': this.emit(Op.MemoryCopy, instr.dst, instr.src); return;
      case 'memory.init': this.emit(Op.MemoryInit, instr.mem, instr.data); return;
      case 'data.drop': this.emit(Op.DataDrop, instr.data); return;
      case 'i32.const': this.constant(instr.value); return;
      case 'i64.const': this.constant(instr.value); return;
      case 'f32.const': this.constant(instr.bits); return;
      case 'f64.const': this.constant(instr.bits); return;
      case 'v128.const': this.constant(instr.bytes); return;
      case 'ref.null': this.constant(nullRef(instr.heaptype === 'func' ? 'funcref' : 'externref')); return;
      case 'ref.is_null': this.emit(Op.RefIsNull); return;
      case 'ref.func': this.emit(Op.RefFunc, instr.func); return;
      default: this.other(instr);
    }
  }

  private constant(v: Value): void {
    this.val[this.emit(Op.Const)] = v;
  }

  /** Memory accesses and the operators computed by the numerics table. */
  private other(instr: Instr): void {
    const load = LOADS[instr.op];
    if (load !== undefined && 'memarg' in instr) {
      this.emit(load, instr.memarg.offset, instr.memarg.mem);
      return;
    }
    const v128 = V128_LOADS[instr.op];
    if (v128 !== undefined && 'memarg' in instr) {
      this.emit(v128[0], instr.memarg.offset, instr.memarg.mem, v128[1], 'lane' in instr ? instr.lane : v128[2]);
      return;
    }
    if (isNumericOp(instr.op)) {
      const arity = (opcodes[instr.op].sig[0] as readonly unknown[]).length;
      const i = this.emit(arity === 1 ? Op.Num1 : arity === 2 ? Op.Num2 : Op.Num3);
      this.fn[i] = numerics[instr.op] as NumFn;
      this.instr[i] = instr;
      return;
    }
    throw new Error(`reference interpreter: no execution rule for ${instr.op}`);
  }
}

const compiledFuncs = new WeakMap<Func, Code>();
const compiledExprs = new WeakMap<Expr, Code>();

/** The compiled body of module function `func` of type `type`, in a module with types `types`. */
function codeOf(func: Func, type: FuncType, types: readonly FuncType[]): Code {
  let code = compiledFuncs.get(func);
  if (code === undefined) {
    code = new Compiler(types, true).compile(func.body, type.params.length, func.locals.map(defaultValue), type.results.length);
    compiledFuncs.set(func, code);
  }
  return code;
}

// ---------------------------------------------------------------------------------------------
// Bulk table and memory operations, shared by the interpreter and instantiation (§4.5.4 runs
// active segments as table.init / memory.init followed by elem.drop / data.drop).

/** §4.4.6 table.init x y: bounds are checked before anything is written. */
export function tableInit(S: Store, inst: ModuleInst, x: number, y: number, d: number, s: number, n: number): void {
  const tab = S.tables[inst.tableaddrs[x]!]!;
  const elem = S.elems[inst.elemaddrs[y]!]!.elem;
  if (s + n > elem.length || d + n > tab.elem.length) throw new Trap(OOB_TABLE);
  for (let k = 0; k < n; k++) tab.elem[d + k] = elem[s + k]!;
}

/** §4.4.6 elem.drop x */
export function elemDrop(S: Store, inst: ModuleInst, x: number): void {
  S.elems[inst.elemaddrs[x]!]!.elem = [];
}

/** §4.4.7 memory.init x: bounds are checked before anything is written. */
export function memoryInit(S: Store, inst: ModuleInst, x: number, y: number, d: number, s: number, n: number): void {
  const mem = S.mems[inst.memaddrs[x]!]!;
  const data = S.datas[inst.dataaddrs[y]!]!.data;
  if (s + n > data.length || d + n > mem.data.length) throw new Trap(OOB_MEMORY);
  mem.data.set(data.subarray(s, s + n), d);
}

/** §4.4.7 data.drop x */
export function dataDrop(S: Store, inst: ModuleInst, x: number): void {
  S.datas[inst.dataaddrs[x]!]!.data = new Uint8Array(0);
}

// ---------------------------------------------------------------------------------------------
// Memory access helpers (little-endian, §4.4.7: effective address = i + offset, computed without
// wrapping, and the access traps when ea + N exceeds the memory's length).

function effectiveAddress(i: Value, offset: number, size: number, mem: Uint8Array): number {
  const ea = ((i as number) >>> 0) + (offset >>> 0);
  if (ea + size > mem.length) throw new Trap(OOB_MEMORY);
  return ea;
}

function read32(m: Uint8Array, ea: number): number {
  return m[ea]! | (m[ea + 1]! << 8) | (m[ea + 2]! << 16) | (m[ea + 3]! << 24);
}

function write32(m: Uint8Array, ea: number, v: number): void {
  m[ea] = v; m[ea + 1] = v >>> 8; m[ea + 2] = v >>> 16; m[ea + 3] = v >>> 24;
}

function write64(m: Uint8Array, ea: number, v: bigint): void {
  write32(m, ea, Number(BigInt.asUintN(32, v)));
  write32(m, ea + 4, Number(BigInt.asUintN(32, v >> 32n)));
}

// ---------------------------------------------------------------------------------------------
// The interpreter loop.

/** Frames on the stack across all nested invocations (host functions may re-enter). */
let depth = 0;

function enterFrame(): void {
  if (++depth > MAX_CALL_DEPTH) throw new Exhaustion('call stack exhausted');
}

// The embedder's deadline (Store.deadline) is looked at every this many calls and backward
// branches: often enough to stop within milliseconds, rarely enough to cost nothing measurable.
const TICKS_PER_CHECK = 1 << 16;
let ticks = TICKS_PER_CHECK;

function tick(S: Store): void {
  if (--ticks > 0) return;
  ticks = TICKS_PER_CHECK;
  if (S.deadline !== undefined && performance.now() >= S.deadline) {
    S.deadline = undefined;
    throw new Trap('interrupted');
  }
}

function callHost(host: (args: Value[]) => Value[], args: Value[]): Value[] {
  enterFrame();
  const results = host(args);
  depth--;
  return results;
}

/** Scratch argument lists for the numerics table (never re-entered, so reuse is safe). */
const args1: Value[] = [0];
const args2: Value[] = [0, 0];
const args3: Value[] = [0, 0, 0];

/**
 * Runs `code`, function `entryFunc` of the store (-1 for a constant expression), as a function of
 * module instance `entryInst` with arguments `args`. A trap or exhaustion leaving it carries the
 * addresses of the functions whose frames were on the stack (SpecError.trace).
 */
function execute(S: Store, entryFunc: number, entryCode: Code, entryInst: ModuleInst, args: readonly Value[]): Value[] {
  const calls: Calls = { funcs: [entryFunc], top: 0 };
  try {
    return interpret(S, calls, entryCode, entryInst, args);
  } catch (e) {
    if (e instanceof SpecError && e.trace === undefined && entryFunc >= 0) e.trace = calls.funcs.slice(0, calls.top + 1).reverse();
    throw e;
  }
}

/** The store addresses of the functions of an invocation's frames: funcs[0..top], innermost last. */
interface Calls {
  readonly funcs: number[];
  top: number;
}

function interpret(S: Store, calls: Calls, entryCode: Code, entryInst: ModuleInst, args: readonly Value[]): Value[] {
  const vs: Value[] = args.slice();
  const lh: number[] = [];
  const frameCode: Code[] = [];
  const framePc: number[] = [];
  const frameFp: number[] = [];
  const frameLsp: number[] = [];
  const frameInst: ModuleInst[] = [];
  let fc = 0;
  const stackCap = S.limits.wasmStack ?? Infinity;

  let code = entryCode;
  let inst = entryInst;
  let op = code.op, A = code.a, B = code.b, C = code.c, D = code.d;
  let fp = 0;
  let sp = vs.length;
  let lsp = 0;
  let pc = 0;
  enterFrame();
  for (const v of code.locals) vs[sp++] = v;
  lh[lsp++] = sp;

  for (;;) {
    const i = pc++;
    let calleeAddr: number;
    switch (op[i]!) {
      // §4.4.8 control instructions
      case Op.Unreachable: throw new Trap('unreachable');
      case Op.Block: lh[lsp++] = sp - A[i]!; continue;
      case Op.If: {
        lh[lsp++] = sp - 1 - A[i]!;
        if ((vs[--sp] as number) === 0) pc = B[i]!;
        continue;
      }
      case Op.Else: pc = B[i]!; continue;
      case Op.End: lsp--; continue;
      case Op.Br: case Op.BrIf: {
        if (op[i] === Op.BrIf && (vs[--sp] as number) === 0) continue;
        const h = lh[lsp - 1 - A[i]!]!, n = B[i]!;
        if (h + n !== sp) for (let k = 0; k < n; k++) vs[h + k] = vs[sp - n + k]!;
        sp = h + n; lsp -= D[i]!; pc = C[i]!;
        if (pc <= i) tick(S);
        continue;
      }
      case Op.BrTable: {
        const targets = code.table[i]!;
        const j = (vs[--sp] as number) >>> 0;
        const t = targets[j < targets.length - 1 ? j : targets.length - 1]!;
        const h = lh[lsp - 1 - t.label]!, n = t.arity;
        if (h + n !== sp) for (let k = 0; k < n; k++) vs[h + k] = vs[sp - n + k]!;
        sp = h + n; lsp -= t.pop; pc = t.pc;
        if (pc <= i) tick(S);
        continue;
      }
      case Op.Return: {
        const n = code.nresults;
        for (let k = 0; k < n; k++) vs[fp + k] = vs[sp - n + k]!;
        sp = fp + n;
        depth--;
        if (fc === 0) return vs.slice(0, n);
        fc--;
        code = frameCode[fc]!; pc = framePc[fc]!; fp = frameFp[fc]!; lsp = frameLsp[fc]!; inst = frameInst[fc]!;
        calls.top = fc;
        op = code.op; A = code.a; B = code.b; C = code.c; D = code.d;
        continue;
      }
      case Op.Call: calleeAddr = inst.funcaddrs[A[i]!]!; break;
      case Op.CallIndirect: {
        const tab = S.tables[inst.tableaddrs[B[i]!]!]!;
        const j = (vs[--sp] as number) >>> 0;
        // The reference interpreter names the index in these two messages (eval.ml).
        if (j >= tab.elem.length) throw new Trap(`undefined element ${j}`);
        const r = tab.elem[j]!;
        if (r.type !== 'ref.func') throw new Trap(`uninitialized element ${j}`);
        calleeAddr = r.addr;
        if (!funcTypeEquals(S.funcs[calleeAddr]!.type, inst.types[A[i]!]!)) throw new Trap('indirect call type mismatch');
        break;
      }

      // §4.4.4 parametric instructions
      case Op.Drop: sp--; continue;
      case Op.Select: {
        const c = vs[--sp] as number;
        sp--;
        if (c === 0) vs[sp - 1] = vs[sp]!;
        continue;
      }

      // §4.4.5 variable instructions
      case Op.LocalGet: vs[sp++] = vs[fp + A[i]!]!; continue;
      case Op.LocalSet: vs[fp + A[i]!] = vs[--sp]!; continue;
      case Op.LocalTee: vs[fp + A[i]!] = vs[sp - 1]!; continue;
      case Op.GlobalGet: vs[sp++] = S.globals[inst.globaladdrs[A[i]!]!]!.value; continue;
      case Op.GlobalSet: S.globals[inst.globaladdrs[A[i]!]!]!.value = vs[--sp]!; continue;

      // §4.4.6 table instructions
      case Op.TableGet: {
        const elem = S.tables[inst.tableaddrs[A[i]!]!]!.elem;
        const j = (vs[sp - 1] as number) >>> 0;
        if (j >= elem.length) throw new Trap(OOB_TABLE);
        vs[sp - 1] = elem[j]!;
        continue;
      }
      case Op.TableSet: {
        const elem = S.tables[inst.tableaddrs[A[i]!]!]!.elem;
        const r = vs[--sp] as Ref;
        const j = (vs[--sp] as number) >>> 0;
        if (j >= elem.length) throw new Trap(OOB_TABLE);
        elem[j] = r;
        continue;
      }
      case Op.TableSize: vs[sp++] = S.tables[inst.tableaddrs[A[i]!]!]!.elem.length | 0; continue;
      case Op.TableGrow: {
        const tab = S.tables[inst.tableaddrs[A[i]!]!]!;
        const n = (vs[--sp] as number) >>> 0;
        const old = tab.elem.length;
        vs[sp - 1] = growtable(tab, n, vs[sp - 1] as Ref) ? old | 0 : -1;
        continue;
      }
      case Op.TableFill: {
        const elem = S.tables[inst.tableaddrs[A[i]!]!]!.elem;
        const n = (vs[--sp] as number) >>> 0;
        const r = vs[--sp] as Ref;
        const d = (vs[--sp] as number) >>> 0;
        if (d + n > elem.length) throw new Trap(OOB_TABLE);
        elem.fill(r, d, d + n);
        continue;
      }
      case Op.TableCopy: {
        const dst = S.tables[inst.tableaddrs[A[i]!]!]!.elem;
        const src = S.tables[inst.tableaddrs[B[i]!]!]!.elem;
        const n = (vs[--sp] as number) >>> 0;
        const s = (vs[--sp] as number) >>> 0;
        const d = (vs[--sp] as number) >>> 0;
        if (s + n > src.length || d + n > dst.length) throw new Trap(OOB_TABLE);
        // Overlapping copies behave as if through a temporary (§4.4.6 copies in the safe direction).
        if (dst === src) dst.copyWithin(d, s, s + n);
        else for (let k = 0; k < n; k++) dst[d + k] = src[s + k]!;
        continue;
      }
      case Op.TableInit: {
        const n = (vs[--sp] as number) >>> 0;
        const s = (vs[--sp] as number) >>> 0;
        const d = (vs[--sp] as number) >>> 0;
        tableInit(S, inst, A[i]!, B[i]!, d, s, n);
        continue;
      }
      case Op.ElemDrop: elemDrop(S, inst, A[i]!); continue;

      // §4.4.7 memory instructions
      case Op.MemorySize: vs[sp++] = S.mems[inst.memaddrs[A[i]!]!]!.data.length / PAGE_SIZE; continue;
      case Op.MemoryGrow: {
        const mem = S.mems[inst.memaddrs[A[i]!]!]!;
        const old = mem.data.length / PAGE_SIZE;
        vs[sp - 1] = growmem(mem, (vs[sp - 1] as number) >>> 0) ? old : -1;
        continue;
      }
      case Op.MemoryFill: {
        const m = S.mems[inst.memaddrs[A[i]!]!]!.data;
        const n = (vs[--sp] as number) >>> 0;
        const val = vs[--sp] as number;
        const d = (vs[--sp] as number) >>> 0;
        if (d + n > m.length) throw new Trap(OOB_MEMORY);
        m.fill(val & 0xff, d, d + n);
        continue;
      }
      case Op.MemoryCopy: {
        const dst = S.mems[inst.memaddrs[A[i]!]!]!.data;
        const src = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const n = (vs[--sp] as number) >>> 0;
        const s = (vs[--sp] as number) >>> 0;
        const d = (vs[--sp] as number) >>> 0;
        if (s + n > src.length || d + n > dst.length) throw new Trap(OOB_MEMORY);
        if (dst === src) dst.copyWithin(d, s, s + n);
        else dst.set(src.subarray(s, s + n), d);
        continue;
      }
      case Op.MemoryInit: {
        const n = (vs[--sp] as number) >>> 0;
        const s = (vs[--sp] as number) >>> 0;
        const d = (vs[--sp] as number) >>> 0;
        memoryInit(S, inst, A[i]!, B[i]!, d, s, n);
        continue;
      }
      case Op.DataDrop: dataDrop(S, inst, A[i]!); continue;

      // §4.4.1 constants, §4.4.2 reference instructions
      case Op.Const: vs[sp++] = code.val[i]!; continue;
      case Op.RefIsNull: vs[sp - 1] = (vs[sp - 1] as Ref).type === 'ref.null' ? 1 : 0; continue;
      case Op.RefFunc: vs[sp++] = { type: 'ref.func', addr: inst.funcaddrs[A[i]!]! }; continue;

      // §4.4.1, §4.4.3 operators of fixed type: the numerics table
      case Op.Num1:
        args1[0] = vs[sp - 1]!;
        vs[sp - 1] = code.fn[i]!(args1, code.instr[i]!);
        continue;
      case Op.Num2:
        args2[0] = vs[sp - 2]!; args2[1] = vs[sp - 1]!;
        vs[sp - 2] = code.fn[i]!(args2, code.instr[i]!);
        sp--;
        continue;
      case Op.Num3:
        args3[0] = vs[sp - 3]!; args3[1] = vs[sp - 2]!; args3[2] = vs[sp - 1]!;
        vs[sp - 3] = code.fn[i]!(args3, code.instr[i]!);
        sp -= 2;
        continue;

      // §4.4.7 loads: t.load memarg and t.loadN_sx memarg
      case Op.I32Load: case Op.F32Load: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const ea = effectiveAddress(vs[sp - 1]!, A[i]!, 4, m);
        const v = read32(m, ea);
        vs[sp - 1] = op[i] === Op.I32Load ? v : v >>> 0;
        continue;
      }
      case Op.I64Load: case Op.F64Load: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const ea = effectiveAddress(vs[sp - 1]!, A[i]!, 8, m);
        const lo = BigInt(read32(m, ea) >>> 0);
        const hi = read32(m, ea + 4);
        vs[sp - 1] = op[i] === Op.I64Load ? (BigInt(hi) << 32n) | lo : (BigInt(hi >>> 0) << 32n) | lo;
        continue;
      }
      case Op.I32Load8S: case Op.I32Load8U: case Op.I64Load8S: case Op.I64Load8U: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const ea = effectiveAddress(vs[sp - 1]!, A[i]!, 1, m);
        const o = op[i]!;
        const v = o === Op.I32Load8S || o === Op.I64Load8S ? (m[ea]! << 24) >> 24 : m[ea]!;
        vs[sp - 1] = o === Op.I32Load8S || o === Op.I32Load8U ? v : BigInt(v);
        continue;
      }
      case Op.I32Load16S: case Op.I32Load16U: case Op.I64Load16S: case Op.I64Load16U: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const ea = effectiveAddress(vs[sp - 1]!, A[i]!, 2, m);
        const o = op[i]!;
        const u = m[ea]! | (m[ea + 1]! << 8);
        const v = o === Op.I32Load16S || o === Op.I64Load16S ? (u << 16) >> 16 : u;
        vs[sp - 1] = o === Op.I32Load16S || o === Op.I32Load16U ? v : BigInt(v);
        continue;
      }
      case Op.I64Load32S: case Op.I64Load32U: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const ea = effectiveAddress(vs[sp - 1]!, A[i]!, 4, m);
        const v = read32(m, ea);
        vs[sp - 1] = BigInt(op[i] === Op.I64Load32S ? v : v >>> 0);
        continue;
      }

      // §4.4.7 stores: t.store memarg and t.storeN memarg (wrapping to N bits)
      case Op.I32Store: case Op.F32Store: case Op.I32Store8: case Op.I32Store16: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const v = vs[--sp] as number;
        const o = op[i]!;
        const size = o === Op.I32Store8 ? 1 : o === Op.I32Store16 ? 2 : 4;
        const ea = effectiveAddress(vs[--sp]!, A[i]!, size, m);
        m[ea] = v;
        if (size >= 2) m[ea + 1] = v >>> 8;
        if (size === 4) { m[ea + 2] = v >>> 16; m[ea + 3] = v >>> 24; }
        continue;
      }
      case Op.I64Store: case Op.F64Store: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const v = vs[--sp] as bigint;
        write64(m, effectiveAddress(vs[--sp]!, A[i]!, 8, m), v);
        continue;
      }
      case Op.I64Store8: case Op.I64Store16: case Op.I64Store32: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const v = Number(BigInt.asUintN(32, vs[--sp] as bigint));
        const o = op[i]!;
        const size = o === Op.I64Store8 ? 1 : o === Op.I64Store16 ? 2 : 4;
        const ea = effectiveAddress(vs[--sp]!, A[i]!, size, m);
        m[ea] = v;
        if (size >= 2) m[ea + 1] = v >>> 8;
        if (size === 4) { m[ea + 2] = v >>> 16; m[ea + 3] = v >>> 24; }
        continue;
      }

      // §4.4.7 vector loads and stores; C is the width in bytes, D the lane or signedness
      case Op.V128Load: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const ea = effectiveAddress(vs[sp - 1]!, A[i]!, 16, m);
        vs[sp - 1] = m.slice(ea, ea + 16);
        continue;
      }
      case Op.V128LoadExtend: {
        // v128.loadMxN_sx: N lanes of M bits, each extended to 2M bits.
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const ea = effectiveAddress(vs[sp - 1]!, A[i]!, 8, m);
        const w = C[i]!, signed = D[i] === 1;
        const r = new Uint8Array(16);
        for (let k = 0; k < 8 / w; k++) {
          for (let j = 0; j < w; j++) r[2 * w * k + j] = m[ea + w * k + j]!;
          const fill = signed && m[ea + w * k + w - 1]! & 0x80 ? 0xff : 0;
          for (let j = w; j < 2 * w; j++) r[2 * w * k + j] = fill;
        }
        vs[sp - 1] = r;
        continue;
      }
      case Op.V128LoadSplat: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const w = C[i]!;
        const ea = effectiveAddress(vs[sp - 1]!, A[i]!, w, m);
        const r = new Uint8Array(16);
        for (let k = 0; k < 16; k += w) r.set(m.subarray(ea, ea + w), k);
        vs[sp - 1] = r;
        continue;
      }
      case Op.V128LoadZero: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const w = C[i]!;
        const ea = effectiveAddress(vs[sp - 1]!, A[i]!, w, m);
        const r = new Uint8Array(16);
        r.set(m.subarray(ea, ea + w), 0);
        vs[sp - 1] = r;
        continue;
      }
      case Op.V128LoadLane: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const w = C[i]!;
        const v = vs[--sp] as Uint8Array;
        const ea = effectiveAddress(vs[sp - 1]!, A[i]!, w, m);
        const r = v.slice();
        r.set(m.subarray(ea, ea + w), D[i]! * w);
        vs[sp - 1] = r;
        continue;
      }
      case Op.V128Store: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const v = vs[--sp] as Uint8Array;
        m.set(v, effectiveAddress(vs[--sp]!, A[i]!, 16, m));
        continue;
      }
      case Op.V128StoreLane: {
        const m = S.mems[inst.memaddrs[B[i]!]!]!.data;
        const w = C[i]!;
        const v = vs[--sp] as Uint8Array;
        const lane = D[i]! * w;
        m.set(v.subarray(lane, lane + w), effectiveAddress(vs[--sp]!, A[i]!, w, m));
        continue;
      }
      // A segment's fuel (spec/fuel.ts); a store without fuel meters nothing.
      case Op.Fuel: {
        if (S.fuel === undefined) continue;
        S.fuel -= A[i]!;
        if (S.fuel < 0) {
          S.fuel = 0;
          throw new Trap(OUT_OF_FUEL);
        }
        continue;
      }
      default: throw new Error(`reference interpreter: bad compiled op ${op[i]}`);
    }

    // §4.4.10 invocation of function address a (reached from call and call_indirect).
    const callee = S.funcs[calleeAddr]!;
    const n = callee.type.params.length;
    if (callee.host !== undefined) {
      const results = callHost(callee.host, vs.slice(sp - n, sp));
      sp -= n;
      for (const r of results) vs[sp++] = r;
      continue;
    }
    // The callee's frame is on the stack before the checks, so a trace of their failure shows it
    // (as native code checks in the callee's prologue).
    frameCode[fc] = code; framePc[fc] = pc; frameFp[fc] = fp; frameLsp[fc] = lsp; frameInst[fc] = inst;
    fc++;
    calls.funcs[fc] = calleeAddr;
    calls.top = fc;
    enterFrame();
    tick(S);
    inst = callee.module!;
    code = codeOf(callee.code!, callee.type, inst.types);
    op = code.op; A = code.a; B = code.b; C = code.c; D = code.d;
    fp = sp - n;
    pc = 0;
    const locals = code.locals;
    if (sp + locals.length > MAX_STACK_VALUES || (sp + locals.length) * SLOT_BYTES + fc * FRAME_BYTES > stackCap) {
      throw new Exhaustion('call stack exhausted');
    }
    for (let k = 0; k < locals.length; k++) vs[sp++] = locals[k]!;
    lh[lsp++] = sp;
  }
}

/** Evaluates a constant expression (§4.5.4 globals, offsets, element expressions) in `inst`. */
export function evalConst(S: Store, inst: ModuleInst, expr: Expr): Value {
  let code = compiledExprs.get(expr);
  if (code === undefined) {
    code = new Compiler(inst.types, false).compile(expr, 0, [], 1);
    compiledExprs.set(expr, code);
  }
  return run(() => execute(S, -1, code, inst, []))[0]!;
}

/** Restores the depth count after a failed invocation and turns a JS stack overflow (possible
 *  through host functions that re-enter) into the spec's exhaustion. */
function run<T>(body: () => T): T {
  const depth0 = depth;
  try {
    return body();
  } catch (e) {
    depth = depth0;
    // Near the JS stack limit even inspecting the message can overflow again, so any RangeError
    // counts: the interpreter raises none itself (growmem catches its allocation failures).
    if (e instanceof RangeError) throw new Exhaustion('call stack exhausted');
    throw e;
  }
}

/** §4.5.5 invocation of function address `funcaddr` with arguments of its parameter types. */
export function invoke(S: Store, funcaddr: number, args: readonly Value[]): Value[] {
  const f = S.funcs[funcaddr]!;
  const host = f.host;
  if (host !== undefined) return run(() => callHost(host, args.slice()));
  const inst = f.module!;
  return run(() => execute(S, funcaddr, codeOf(f.code!, f.type, inst.types), inst, args));
}
