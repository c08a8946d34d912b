// The V8 engine behind the seam: node's WebAssembly JS API, for comparison with the others.
//
// Differences by design (the JS API is the only way in):
// - Values cross between JS and wasm through "slots" in a scratch memory and tables (see `SLOT`),
//   read and written by small helper modules (trampolines for func_invoke, wrappers for host
//   functions, accessors for globals), so they keep their exact bits, NaN payloads and v128
//   included. Only exception fields cross as JS values: f32/f64 as JS numbers, which do not keep
//   NaN payloads or signalling bits, and v128 not at all (tag_alloc throws for a v128 field).
// - Trap messages are V8's, mapped to the spec's texts (see `trapMessage`). Where V8 uses one
//   message for several spec traps (call_indirect's, the truncations'), the trapping instruction
//   (found from the stack trace) and the table's contents tell them apart (see `refineTrap`);
//   truncations are routed through helper functions for that (see `routeTruncations`).
// - Memory64 and tables above V8's size limits are not supported.
//
// Instantiation compiles a re-encoded module rather than the original bytes: every import is
// renamed ("", "<index>") so that imports sharing a name can still receive different values, and
// every function is put in a hidden table, exported, so that any function reference V8 hands back
// (from a table, a global or a call) is an exported-function object whose index and type the
// engine already knows (the JS API returns the same object for the same function every time). A
// table rather than an export per function: V8 allows 100,000 exports, a module 1,000,000
// functions and exports (spec/limits.ts); the module's own function exports are taken from that
// table too and left out of the re-encoded module, so only its other exports count against V8's
// limit (`V8_MAX_EXPORTS`). Tables are exported under hidden names too, and the module is named
// "wasmo<k>" (name section) so a trap's stack frame leads back to the module's bytes.
// The module's active segments and start function do not run in V8's constructor but in a hidden
// function called once it returns (see `initFunc`): only then are the instance's functions and
// their types known, and code that runs during instantiation (the segments' offsets, the start
// function and the host functions it calls) can hand out references to them, which outlive even
// an instantiation that traps (spec 4.5.4: segments written before the trap stay). In a store made
// with fuel or to be interruptible, every module also charges fuel and looks at the deadline through
// two more imports (see v8-fuel.ts); a plain store runs the module's own code unchanged, so that
// benchmarks measure V8 itself.

import type { StoreLimits } from '../store-limits.js';
import type {
  BeforeStart, Engine, EngineExtern, EngineHostFunc, EngineRef, EngineVal, ModuleValue,
} from '../engine.js';
import { MAX_TRACE_FRAMES, isError, traceFrame, wasmError, type TraceFrame, type WasmError } from '../errors.js';
import { SLICE, meterFuel, type Metered } from './v8-fuel.js';
import { OUT_OF_FUEL } from '../../spec/fuel.js';
import { f32, f32ToNumber, f64, f64ToNumber } from '../values.js';
import { encodeModule } from '../../spec/binary/encode.js';
import { readUnsigned, writeUnsigned } from '../../spec/binary/leb128.js';
import { MAX_TABLE_SIZE } from '../../spec/limits.js';
import { mapExpr, opInfo, type Instr, type MemArg, type Opname } from '../../spec/structure/instructions.js';
import type { Func, Module } from '../../spec/structure/module.js';
import { emptyModule } from '../../spec/structure/module.js';
import type {
  ExternKind, FuncType, GlobalType, MemType, RefType, TableType, TagType, ValType,
} from '../../spec/structure/types.js';
import { PAGE_SIZE, heapTypeOf } from '../../spec/structure/types.js';

/** V8's limit on a module's exports (the JS API's "Limits"; wasm-limits.h kV8MaxWasmExports). */
const V8_MAX_EXPORTS = 100_000;

/** A host function's error, thrown through V8's frames so the invoker gets it back. */
class HostFailure extends Error {
  constructor(readonly error: WasmError) {
    super(error.message);
  }
}

/** Running out of fuel or past the deadline, thrown from the fuel check through V8's frames. */
class Stop extends Error {}

/** An operation the JS API cannot express. */
export class V8Unsupported extends Error {
  override readonly name = 'V8Unsupported';
}

type JsFunc = (...args: unknown[]) => unknown;
type Descriptor = WebAssembly.ValueType | 'externref';

// Node 20 has exception-handling's Tag and Exception, but its type declarations do not.
interface JsTag { readonly brand?: 'tag' }
interface JsException { getArg(tag: JsTag, index: number): unknown }
const { Tag, Exception } = WebAssembly as unknown as {
  Tag: new (type: { parameters: Descriptor[] }) => JsTag;
  Exception: new (tag: JsTag, payload: unknown[]) => JsException;
};

/** Compile re-encoded bytes (typed loosely by the encoder) with V8. */
function compile(bytes: Uint8Array): WebAssembly.Module {
  return new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
}

/**
 * Helper modules (see `V8Engine.helper`) compiled once per process: they depend only on a type, so
 * stores share them, and a store that reads a few globals and calls a few functions compiles
 * nothing. Bounded, as the types a process meets are not.
 */
const helperModules = new Map<string, WebAssembly.Module>();
const MAX_HELPER_MODULES = 4096;

function compileHelper(module: Module): WebAssembly.Module {
  const bytes = encodeModule(module);
  const key = Buffer.from(bytes).toString('latin1');
  let compiled = helperModules.get(key);
  if (compiled === undefined) {
    if (helperModules.size >= MAX_HELPER_MODULES) helperModules.clear();
    compiled = compile(bytes);
    helperModules.set(key, compiled);
  }
  return compiled;
}

/** V8's RuntimeError messages and the spec's texts for them. */
const TRAPS: readonly (readonly [string, string])[] = [
  ['unreachable', 'unreachable'],
  ['memory access out of bounds', 'out of bounds memory access'],
  ['divide by zero', 'integer divide by zero'],
  ['remainder by zero', 'integer divide by zero'],
  ['divide result unrepresentable', 'integer overflow'],
  ['float unrepresentable in integer range', 'invalid conversion to integer'],
  // Also call_indirect's "undefined element": see `refineTrap`.
  ['table index is out of bounds', 'out of bounds table access'],
  ['element segment out of bounds', 'out of bounds table access'],
  ['data segment out of bounds', 'out of bounds memory access'],
  // Active segments failing during instantiation.
  ['element segment is out of bounds', 'out of bounds table access'],
  ['table initializer is out of bounds', 'out of bounds table access'],
  ['data segment is out of bounds', 'out of bounds memory access'],
  ['null function or function signature mismatch', 'indirect call type mismatch'],
  ['function signature mismatch', 'indirect call type mismatch'],
  ['null function', 'uninitialized element'],
  ['dereferencing a null pointer', 'null reference'],
];

/** The spec's text for a V8 trap message (V8's own text when it has no counterpart). */
export function trapMessage(v8Message: string): string {
  // Traps raised by the JS API itself are prefixed with its function: "WebAssembly.Instance(): …".
  const text = v8Message.replace(/^WebAssembly\.[\w.]+\(\): /, '');
  return TRAPS.find(([v8]) => text === v8)?.[1] ?? text;
}

/**
 * Values cross between JS and wasm code through slots rather than as JS values, to keep their
 * exact bits: slot i is bytes [16·i, 16·i + 16) of a scratch memory for numbers and vectors, and
 * entry i of a funcref or externref table for references. 16 bytes hold a v128; V8 allows 1000
 * parameters or results at most, so one page holds them all.
 */
const SLOT = 16;

/** The imports through which helper modules reach the slots (memory 0, tables `funcs`, `externs`). */
const SLOT_IMPORTS: Module['imports'] = [
  { module: '', name: 'funcs', desc: { kind: 'table', type: { addrtype: 'i32', limits: { min: 0 }, reftype: 'funcref' } } },
  { module: '', name: 'externs', desc: { kind: 'table', type: { addrtype: 'i32', limits: { min: 0 }, reftype: 'externref' } } },
  { module: '', name: 'scratch', desc: { kind: 'mem', type: { addrtype: 'i32', limits: { min: 1 } } } },
];

/** Index of the slot table for `t` in a helper module (the slot imports come first). */
function slotTable(t: RefType): number {
  return t === 'funcref' ? 0 : 1;
}

function memarg(t: 'i32' | 'i64' | 'f32' | 'f64' | 'v128', i: number): MemArg {
  return { align: t === 'v128' ? 4 : t === 'i32' || t === 'f32' ? 2 : 3, offset: SLOT * i, mem: 0 };
}

/** Code pushing the value in slot `i` of type `t`. */
function loadSlot(t: ValType, i: number): Instr[] {
  return t === 'funcref' || t === 'externref'
    ? [{ op: 'i32.const', value: i }, { op: 'table.get', table: slotTable(t) }]
    : [{ op: 'i32.const', value: 0 }, { op: `${t}.load`, memarg: memarg(t, i) }];
}

/** Code storing the value `value` pushes into slot `i` of type `t`. */
function storeSlot(t: ValType, i: number, value: Instr): Instr[] {
  return t === 'funcref' || t === 'externref'
    ? [{ op: 'i32.const', value: i }, value, { op: 'table.set', table: slotTable(t) }]
    : [{ op: 'i32.const', value: 0 }, value, { op: `${t}.store`, memarg: memarg(t, i) }];
}

/** A name section naming the module `name` (the module-name subsection, id 0). */
function nameSection(name: string): { name: string; bytes: Uint8Array } {
  const utf8 = new TextEncoder().encode(name);
  const length: number[] = [];
  writeUnsigned(length, utf8.length);
  const bytes = [0x00];
  writeUnsigned(bytes, length.length + utf8.length);
  return { name: 'name', bytes: Uint8Array.from([...bytes, ...length, ...utf8]) };
}

/**
 * A wasm frame of one of the modules in a stack trace: the module number and byte offset, in V8's
 * own format (`…:wasm-function[3]:0x5c`) or as source-map-aware formatters print it (`…:1:93`, a
 * 1-based column). The first in a RuntimeError's stack is where it was raised.
 */
const WASM_FRAME = /wasm:\/\/wasm\/wasmo(\d+)-[0-9a-f]+:(?:wasm-function\[\d+\]:0x([0-9a-f]+)|1:(\d+))/;

/** The byte offset a WASM_FRAME match names. */
function frameOffset(site: RegExpExecArray): number {
  return site[2] !== undefined ? parseInt(site[2], 16) : Number(site[3]) - 1;
}
const CALL_INDIRECT = 0x11;
const CODE_SECTION = 10;

/** The truncations that trap; V8 reports NaN and out-of-range operands with one message. */
const TRAPPING_TRUNCS: ReadonlySet<Opname> = new Set<Opname>([
  'i32.trunc_f32_s', 'i32.trunc_f32_u', 'i32.trunc_f64_s', 'i32.trunc_f64_u',
  'i64.trunc_f32_s', 'i64.trunc_f32_u', 'i64.trunc_f64_s', 'i64.trunc_f64_u',
]);

/**
 * Routes each trapping truncation through a helper function, appended after the module's
 * functions so that no index moves, which traps with `unreachable` on NaN and truncates
 * otherwise. A trap inside the helpers is then "invalid conversion to integer" if it is the
 * `unreachable` and "integer overflow" if it is the truncation (see `refineTrap`).
 */
function routeTruncations(m: Module, funcCount: number): { module: Module; helpers: number } {
  const types = [...m.types];
  const helpers: Func[] = [];
  const helperOf = new Map<Opname, number>();
  const helper = (op: Opname): number => {
    let index = helperOf.get(op);
    if (index === undefined) {
      const [[operand], [result]] = opInfo(op).sig!;
      types.push({ params: [operand!], results: [result!] });
      const x: Instr = { op: 'local.get', local: 0 };
      helpers.push({
        type: types.length - 1,
        locals: [],
        body: [x, x, { op: `${operand as 'f32' | 'f64'}.ne` }, { op: 'if', bt: null, then: [{ op: 'unreachable' }], else: [] }, x, { op } as Instr],
      });
      index = funcCount + helpers.length - 1;
      helperOf.set(op, index);
    }
    return index;
  };
  const route = (ins: Instr): Instr => (TRAPPING_TRUNCS.has(ins.op) ? { op: 'call', func: helper(ins.op) } : ins);
  const funcs = m.funcs.map((f) => ({ ...f, body: mapExpr(f.body, route) }));
  return { module: { ...m, types, funcs: [...funcs, ...helpers] }, helpers: helpers.length };
}

/**
 * The spec's own instantiation steps after allocation (4.5.4, steps 14-15) as a function body:
 * each active element segment is `table.init` then `elem.drop`, each active data segment
 * `memory.init` then `data.drop`. (Step 16, the start function, is called after it.)
 */
function initFunc(m: Module): Instr[] {
  const n = (value: number): Instr => ({ op: 'i32.const', value });
  return [
    ...m.elems.flatMap((e, i): Instr[] => (e.mode.kind === 'active'
      ? [...e.mode.offset, n(0), n(e.init.length), { op: 'table.init', elem: i, table: e.mode.table }, { op: 'elem.drop', elem: i }]
      : [])),
    ...m.datas.flatMap((d, i): Instr[] => (d.mode.kind === 'active'
      ? [...d.mode.offset, n(0), n(d.init.length), { op: 'memory.init', data: i, mem: d.mode.mem }, { op: 'data.drop', data: i }]
      : [])),
  ];
}

/** The byte offset of every function body (its size field) in a module's code section, in order. */
function codeEntryOffsets(bytes: Uint8Array): number[] {
  let at = 8;
  const next = (): number => bytes[at++]!;
  for (;;) {
    if (at >= bytes.length) return [];
    const id = next();
    const size = readUnsigned(next, 32);
    if (id === CODE_SECTION) break;
    at += size;
  }
  const offsets: number[] = [];
  for (let n = readUnsigned(next, 32); n > 0; n--) {
    offsets.push(at);
    const size = readUnsigned(next, 32);
    at += size;
  }
  return offsets;
}

function descriptor(t: ValType): Descriptor {
  switch (t) {
    case 'funcref': return 'anyfunc';
    case 'v128': throw new V8Unsupported('v128 values cannot cross the JS API');
    default: return t;
  }
}

/** The JS API's `maximum` for limits (none when unbounded). */
function maximum(limits: { readonly max?: number }): { maximum?: number } {
  return limits.max === undefined ? {} : { maximum: limits.max };
}

export class V8Engine implements Engine {
  readonly name = 'v8';
  private readonly funcs: { fn: JsFunc; type: FuncType }[] = [];
  private readonly tables: { table: WebAssembly.Table; type: TableType }[] = [];
  private readonly mems: { mem: WebAssembly.Memory; type: MemType; view?: Uint8Array }[] = [];
  private readonly globals: { global: WebAssembly.Global; type: GlobalType; accessor?: { get: () => void; set?: () => void } }[] = [];
  private readonly tags: { tag: JsTag; type: TagType }[] = [];
  private readonly exns: { exn: JsException; tag: number }[] = [];
  /** The index of each JS object already in one of the lists, so re-exports keep their address. */
  private readonly known = new Map<unknown, number>();
  /** `ref.extern N` as a JS value: one frozen object per N, both ways. */
  private readonly hostRefs = new Map<number, object>();
  private readonly hostRefNums = new WeakMap<object, number>();
  /** Trampolines by function type, and what they pass values through (see `trampoline`). */
  private readonly trampolines = new Map<string, () => void>();
  private readonly scratch = new WebAssembly.Memory({ initial: 1 });
  private readonly callee = new WebAssembly.Table({ element: 'anyfunc', initial: 1 });
  private readonly funcRefs = new WebAssembly.Table({ element: 'anyfunc', initial: 0 });
  private readonly externRefs = new WebAssembly.Table({ element: 'externref', initial: 0 }, null);
  /**
   * Every module compiled by `instantiate`: the module, its bytes as compiled, its count of imported
   * functions, where each function body starts and where its truncation helpers start (see
   * `routeTruncations`), and its tables once instantiation succeeded.
   */
  private readonly compiled: {
    ast: Module; bytes: Uint8Array; imported: number; bodies: number[]; helpersAt: number; tables?: WebAssembly.Table[];
  }[] = [];

  /**
   * Fuel (see v8-fuel.ts): the store's instances charge `counter`; `bank` is the rest of the fuel
   * (Infinity in a store without fuel, whose counter only paces the deadline checks). Only a store
   * made with fuel or interruptible meters its modules (`metered`).
   */
  private readonly counter = new WebAssembly.Global({ value: 'i64', mutable: true }, 0n);
  private bank = Infinity;
  private readonly metersFuel: boolean;
  private readonly metered: boolean;
  private deadline: number | undefined;

  constructor(private readonly limits: StoreLimits = {}, fuel?: number, interruptible = false) {
    if (limits.wasmStack !== undefined) {
      throw new RangeError("store limit wasmStack is not supported on the v8 engine: node's --stack-size sets it for the whole process");
    }
    this.metersFuel = fuel !== undefined;
    this.metered = this.metersFuel || interruptible;
    this.setFuel(fuel ?? Infinity);
  }

  fuel(): number | undefined {
    return this.metersFuel ? Math.max(0, this.bank + Number(this.counter.value)) : undefined;
  }

  setFuel(fuel: number): void {
    const now = Math.min(fuel, SLICE);
    this.counter.value = BigInt(now);
    this.bank = fuel - now;
  }

  /** Called by metered code when the counter went below 0. */
  private readonly check = (): void => {
    const left = this.bank + Number(this.counter.value);
    if (left < 0) {
      this.setFuel(0);
      throw new Stop(OUT_OF_FUEL);
    }
    this.setFuel(left);
    if (this.deadline !== undefined && performance.now() >= this.deadline) {
      this.deadline = undefined;
      throw new Stop('interrupted');
    }
  };

  /**
   * The limits a memory or table is made with in V8: its maximum lowered to the store's limit, so
   * that growing past the limit fails inside V8 as growing past the maximum does. The store keeps
   * the declared type (mems, tables), which is what mem_type and table_type report.
   */
  private capped<L extends { readonly min: number; readonly max?: number }>(limits: L, cap: number | undefined): L {
    return cap === undefined || (limits.max !== undefined && limits.max <= cap) ? limits : { ...limits, max: cap };
  }

  /**
   * Metered code looks at the deadline every SLICE units of fuel (see v8-fuel.ts); the code of a
   * store that does not meter only worker.terminate() stops.
   */
  interruptAfter(ms: number | undefined): boolean {
    if (!this.metered) return false;
    this.deadline = ms === undefined ? undefined : performance.now() + ms;
    return true;
  }

  free(): void {
    // V8 frees what nothing references: drop the store's objects so that even a lineage still held
    // (through an instance or address) keeps no memory alive.
    for (const list of [this.funcs, this.tables, this.mems, this.globals, this.tags, this.exns, this.compiled]) list.length = 0;
    this.known.clear();
    this.hostRefs.clear();
    this.trampolines.clear();
  }

  private register<T extends { type: unknown }>(list: T[], obj: unknown, entry: T): number {
    const found = this.known.get(obj);
    if (found !== undefined) return found;
    list.push(entry);
    this.known.set(obj, list.length - 1);
    return list.length - 1;
  }

  private funcIndex(fn: JsFunc, type: FuncType): number {
    return this.register(this.funcs, fn, { fn, type });
  }

  /**
   * The address of a function V8 hands back. Every function wasm code can reach was registered
   * before any code could see it: a host function's wrapper when allocated, an instance's
   * functions before its segments and start function run (see `initFunc`).
   */
  private funcAddr(fn: JsFunc): number {
    const addr = this.known.get(fn);
    if (addr === undefined) throw new Error('v8 engine: a function of no instance of this store');
    return addr;
  }

  private toJs(v: EngineVal): unknown {
    switch (v.type) {
      case 'i32': case 'i64': return v.value;
      case 'f32': return f32ToNumber(v.bits);
      case 'f64': return f64ToNumber(v.bits);
      case 'v128': throw new V8Unsupported('v128 values cannot cross the JS API');
      case 'ref.null': return null;
      case 'ref.func': return this.funcs[v.addr]!.fn;
      case 'ref.extern': {
        let obj = this.hostRefs.get(v.host);
        if (obj === undefined) {
          obj = Object.freeze({ host: v.host });
          this.hostRefs.set(v.host, obj);
          this.hostRefNums.set(obj, v.host);
        }
        return obj;
      }
    }
  }

  private fromJs(t: ValType, x: unknown): EngineVal {
    switch (t) {
      case 'i32': return { type: 'i32', value: (x as number) | 0 };
      case 'i64': return { type: 'i64', value: BigInt.asIntN(64, x as bigint) };
      case 'f32': return f32(x as number);
      case 'f64': return f64(x as number);
      case 'v128': throw new V8Unsupported('v128 values cannot cross the JS API');
      case 'funcref': case 'externref': return this.refFromJs(t, x);
    }
  }

  private refFromJs(t: RefType, x: unknown): EngineRef {
    if (x === null || x === undefined) return { type: 'ref.null', heaptype: heapTypeOf(t) };
    if (t === 'funcref') return { type: 'ref.func', addr: this.funcAddr(x as JsFunc) };
    const host = this.hostRefNums.get(x as object);
    if (host === undefined) throw new TypeError('externref that this engine did not create');
    return { type: 'ref.extern', host };
  }

  /** The JS value of an import or export of `kind` at `addr`. */
  private object(kind: ExternKind, addr: number): unknown {
    switch (kind) {
      case 'func': return this.funcs[addr]!.fn;
      case 'table': return this.tables[addr]!.table;
      case 'mem': return this.mems[addr]!.mem;
      case 'global': return this.globals[addr]!.global;
      case 'tag': return this.tags[addr]!.tag;
    }
  }

  /** Run a call into V8, turning its exceptions into errors; `trapKind` classifies traps. */
  private attempt<T>(trapKind: 'trap' | 'uninstantiable', f: () => T): T | WasmError {
    // Deep enough for a trace of MAX_TRACE_FRAMES wasm frames below the helpers' and ours.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = MAX_TRACE_FRAMES + 10;
    try {
      return f();
    } catch (e) {
      if (e instanceof HostFailure) return e.error;
      if (e instanceof Stop) return wasmError(trapKind, e.message);
      if (e instanceof WebAssembly.RuntimeError) return wasmError(trapKind, this.refineTrap(e), undefined, this.trace(e));
      if (e instanceof WebAssembly.LinkError) return wasmError('unlinkable', e.message);
      if (e instanceof WebAssembly.CompileError) return wasmError('invalid', e.message);
      if (e instanceof RangeError && /call stack/i.test(e.message)) return wasmError('exhaustion', 'call stack exhausted', undefined, this.trace(e));
      if (e instanceof RangeError && /table size .* implementation limit/.test(e.message)) {
        return wasmError('exhaustion', MAX_TABLE_SIZE.message);
      }
      if (e instanceof V8Unsupported || e instanceof TypeError) return wasmError('argument', `v8 engine: ${e.message}`);
      // V8 could not allocate (a memory's pages, its reservation): the host is out of resources.
      if (e instanceof RangeError) return wasmError('exhaustion', `out of memory: ${e.message}`);
      throw e;
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  /**
   * The frames of the modules' own functions at the top of an error's stack, innermost first, up
   * to the first frame of something else (a helper module, JS); truncation helpers are skipped.
   */
  private trace(e: Error): TraceFrame[] {
    const frames: TraceFrame[] = [];
    for (const line of (e.stack ?? '').split('\n').slice(1)) {
      const site = WASM_FRAME.exec(line);
      const mod = site === null ? undefined : this.compiled[Number(site[1])];
      if (mod === undefined) {
        if (frames.length > 0) break;
        continue;
      }
      // By the offset, as the column form names no function: the body it falls in.
      const at = frameOffset(site!);
      let lo = 0;
      let hi = mod.bodies.length;  // the body is the last that starts at or before `at`: lo - 1
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (mod.bodies[mid]! <= at) lo = mid + 1; else hi = mid;
      }
      const body = lo - 1;
      if (body >= 0 && body < mod.ast.funcs.length) frames.push(traceFrame(mod.ast, mod.imported + body));
    }
    return frames;
  }

  /**
   * The spec's text for a trap. In a truncation helper, "unreachable" means a NaN operand and
   * anything else an operand out of range (see `routeTruncations`). At a call_indirect, V8's "table index is out of bounds" is the
   * spec's "undefined element", and its "null function or function signature mismatch" is
   * "uninitialized element" if the table has a null entry, else "indirect call type mismatch".
   * (The call's operand is gone, so with both kinds of entry present this guesses the commoner.)
   */
  private refineTrap(e: WebAssembly.RuntimeError): string {
    const spec = trapMessage(e.message);
    const site = WASM_FRAME.exec(e.stack ?? '');
    const mod = site === null ? undefined : this.compiled[Number(site[1])];
    let at = site === null ? 0 : frameOffset(site);
    if (mod === undefined) return spec;
    if (at >= mod.helpersAt) return spec === 'unreachable' ? 'invalid conversion to integer' : 'integer overflow';
    if (mod.bytes[at] !== CALL_INDIRECT) return spec;
    if (spec === 'out of bounds table access') return 'undefined element';
    if (spec !== 'indirect call type mismatch' || mod.tables === undefined) return spec;
    const next = (): number => mod.bytes[++at]!;
    readUnsigned(next, 32); // the type index
    const table = mod.tables[readUnsigned(next, 32)]!;
    for (let i = 0; i < table.length; i++) {
      if (table.get(i) === null) return 'uninitialized element';
    }
    return spec;
  }

  instantiate(module: ModuleValue, imports: readonly EngineExtern[], beforeStart?: BeforeStart) {
    const { ast, validated } = module;
    // The module metering fuel (v8-fuel.ts) if the store meters, its imports for that after the
    // module's own.
    const fuelImports = { fuel: String(ast.imports.length), check: String(ast.imports.length + 1) };
    const metered: Metered = this.metered ? meterFuel(ast, fuelImports) : { module: ast, func: (i) => i };
    const m = metered.module;
    const funcTypes = [
      ...ast.imports.flatMap((im) => (im.desc.kind === 'func' ? [ast.types[im.desc.type]!] : [])),
      ...ast.funcs.map((f) => ast.types[f.type]!),
    ];
    const tableCount = ast.imports.filter((im) => im.desc.kind === 'table').length + ast.tables.length;
    const hidden = (i: number): string => `\u0000wasmo.table.${i}`;
    const init = '\u0000wasmo.init';
    // The hidden table of every function comes after the module's tables, its segment after theirs:
    // the only active segment left, and one that cannot fail. The init function (see `initFunc`;
    // not metered) comes after the module's functions (and the fuel check, if metered).
    const n = funcTypes.length;
    const initIndex = this.metered ? n + 1 : n;
    const k = this.compiled.length;
    const others = m.exports.filter((x) => x.desc.kind !== 'func');
    if (others.length + tableCount + 2 > V8_MAX_EXPORTS) {
      // An implementation limit, like a table over MAX_TABLE_SIZE (lib/errors.ts `exhaustion`).
      return wasmError('exhaustion', `too many exports for the v8 engine: V8 allows ${V8_MAX_EXPORTS}, and this module `
        + `exports ${others.length} tables, memories, globals and tags (its functions do not count)`);
    }
    const rewritten: Module = {
      ...m,
      types: [...m.types, { params: [], results: [] }],
      funcs: [...m.funcs, { type: m.types.length, locals: [], body: initFunc(m) }],
      start: undefined,
      datas: m.datas.map((d) => ({ ...d, mode: { kind: 'passive' } })),
      mems: m.mems.map((mem) => ({ ...mem, type: { ...mem.type, limits: this.capped(mem.type.limits, this.limits.memoryPages) } })),
      tables: [
        ...m.tables.map((t) => ({ ...t, type: { ...t.type, limits: this.capped(t.type.limits, this.limits.tableElements) } })),
        { type: { addrtype: 'i32', limits: { min: n, max: n }, reftype: 'funcref' } },
      ],
      // The metering imports are named already.
      imports: m.imports.map((im, i) => (i < ast.imports.length ? { ...im, module: '', name: String(i) } : im)),
      elems: [...m.elems.map((e) => (e.mode.kind === 'active' ? { ...e, mode: { kind: 'passive' as const } } : e)), {
        type: 'funcref',
        init: funcTypes.map((_, i): Instr[] => [{ op: 'ref.func', func: metered.func(i) }]),
        mode: { kind: 'active', table: tableCount, offset: [{ op: 'i32.const', value: 0 }] },
      }],
      exports: [
        ...others,
        ...Array.from({ length: tableCount + 1 }, (_, i) => ({ name: hidden(i), desc: { kind: 'table' as const, index: i } })),
        { name: init, desc: { kind: 'func', index: initIndex } },
      ],
      customs: [nameSection(`wasmo${k}`)],
    };
    const routed = routeTruncations(rewritten, initIndex + 1);
    const bytes = encodeModule(routed.module);
    const bodies = codeEntryOffsets(bytes);
    // The bodies: the module's functions, the initialisation function, the truncation helpers.
    const helpersAt = routed.helpers === 0 ? bytes.length : bodies[ast.funcs.length + 1]!;
    const compiled: (typeof this.compiled)[number] = { ast, bytes, imported: n - ast.funcs.length, bodies, helpersAt };
    this.compiled.push(compiled);
    const importObject = {
      '': {
        ...Object.fromEntries(imports.map((x, i) => [String(i), this.object(x.kind, x.addr) as WebAssembly.ImportValue])),
        ...(this.metered ? { [fuelImports.fuel]: this.counter, [fuelImports.check]: this.check } : {}),
      },
    };
    return this.attempt('uninstantiable', () => {
      const instance = new WebAssembly.Instance(compile(compiled.bytes), importObject);
      const ex = instance.exports;
      const funcs = ex[hidden(tableCount)] as WebAssembly.Table;
      funcTypes.forEach((type, i) => this.funcIndex(funcs.get(i) as JsFunc, type));
      compiled.tables = Array.from({ length: tableCount }, (_, i) => ex[hidden(i)] as WebAssembly.Table);
      (ex[init] as () => void)();
      const types = validated!.exports;
      const exports = ast.exports.map((x, i) => {
        const obj = x.desc.kind === 'func' ? funcs.get(x.desc.index) : ex[x.name];
        const xt = types[i]!;
        let addr: number;
        switch (xt.kind) {
          case 'func': addr = this.funcAddr(obj as JsFunc); break;
          case 'table': addr = this.register(this.tables, obj, { table: obj as WebAssembly.Table, type: xt.type }); break;
          case 'mem': addr = this.register(this.mems, obj, { mem: obj as WebAssembly.Memory, type: xt.type }); break;
          case 'global': addr = this.register(this.globals, obj, { global: obj as WebAssembly.Global, type: xt.type }); break;
          case 'tag': addr = this.register(this.tags, obj, { tag: obj as JsTag, type: xt.type }); break;
        }
        return { name: x.name, extern: { kind: xt.kind, addr } };
      });
      const refused = beforeStart?.(exports);
      if (refused !== undefined) return refused;
      if (ast.start !== undefined) (funcs.get(ast.start) as () => void)();
      return { exports };
    });
  }

  /**
   * A host function gets a funcref identity by being wrapped in a module function, which passes
   * its arguments and results through the slots (exact bits, v128 included) to a JS function
   * without parameters or results.
   */
  funcAlloc(type: FuncType, host: EngineHostFunc): number {
    const js = (): void => {
      const result = host(this.readSlots(type.params));
      if (isError(result)) throw new HostFailure(result);
      this.writeSlots(type.results, result);
    };
    const body: Instr[] = [
      ...type.params.flatMap((t, i) => storeSlot(t, i, { op: 'local.get', local: i })),
      { op: 'call', func: 0 },
      ...type.results.flatMap(loadSlot),
    ];
    const wrapper: Module = {
      ...emptyModule(),
      types: [type, { params: [], results: [] }],
      imports: [{ module: '', name: 'host', desc: { kind: 'func', type: 1 } }, ...SLOT_IMPORTS],
      funcs: [{ type: 0, locals: [], body }],
      exports: [{ name: 'f', desc: { kind: 'func', index: 1 } }],
    };
    const slots = Math.max(type.params.length, type.results.length);
    return this.funcIndex(this.helper(wrapper, slots, { host: js })['f'] as JsFunc, type);
  }

  funcType(func: number): FuncType {
    return this.funcs[func]!.type;
  }

  /**
   * Invokes through a trampoline (see `trampoline`): arguments and results pass through the
   * scratch memory and tables, not JS values, so float bits and v128 values survive.
   */
  funcInvoke(func: number, args: readonly EngineVal[]): EngineVal[] | WasmError {
    const type = this.funcType(func);
    const run = this.trampoline(type);
    return this.attempt('trap', () => {
      this.writeSlots(type.params, args);
      this.callee.set(0, this.funcs[func]!.fn);
      run();
      return this.readSlots(type.results);
    });
  }

  /**
   * Puts values into the slots wasm code reads them from (see `SLOT`). Nested invocations (from
   * host functions) reuse the slots, but only between an invocation's reading its values and
   * writing its results, so nothing is overwritten while still needed.
   */
  private writeSlots(types: readonly ValType[], vals: readonly EngineVal[]): void {
    const { buffer } = this.scratch;
    const view = new DataView(buffer);
    vals.forEach((v, i) => {
      const at = SLOT * i;
      switch (v.type) {
        case 'i32': view.setInt32(at, v.value, true); break;
        case 'i64': view.setBigInt64(at, v.value, true); break;
        case 'f32': view.setUint32(at, v.bits, true); break;
        case 'f64': view.setBigUint64(at, v.bits, true); break;
        case 'v128': new Uint8Array(buffer, at, 16).set(v.bytes); break;
        default: (types[i] === 'funcref' ? this.funcRefs : this.externRefs).set(i, this.toJs(v));
      }
    });
  }

  private readSlots(types: readonly ValType[]): EngineVal[] {
    const { buffer } = this.scratch;
    const view = new DataView(buffer);
    return types.map((t, i): EngineVal => {
      const at = SLOT * i;
      switch (t) {
        case 'i32': return { type: 'i32', value: view.getInt32(at, true) };
        case 'i64': return { type: 'i64', value: view.getBigInt64(at, true) };
        case 'f32': return { type: 'f32', bits: view.getUint32(at, true) };
        case 'f64': return { type: 'f64', bits: view.getBigUint64(at, true) };
        case 'v128': return { type: 'v128', bytes: new Uint8Array(buffer.slice(at, at + 16)) };
        case 'funcref': return this.refFromJs(t, this.funcRefs.get(i));
        case 'externref': return this.refFromJs(t, this.externRefs.get(i));
      }
    });
  }

  /**
   * Instantiates a helper module whose imports "" "scratch", "funcs", "externs" are the slots,
   * after making sure the reference tables have the `slots` entries it uses.
   */
  private helper(module: Module, slots: number, more: Record<string, WebAssembly.ImportValue> = {}): WebAssembly.Exports {
    for (const refs of [this.funcRefs, this.externRefs]) {
      if (refs.length < slots) refs.grow(slots - refs.length, null);
    }
    const imports = { scratch: this.scratch, funcs: this.funcRefs, externs: this.externRefs, ...more };
    return new WebAssembly.Instance(compileHelper(module), { '': imports }).exports;
  }

  /**
   * A function `run()` that calls `callee[0]` (of type `type`) with the arguments in the slots
   * and stores its results in the slots. One per function type, compiled on first use.
   */
  private trampoline(type: FuncType): () => void {
    const key = `${type.params.join(',')}->${type.results.join(',')}`;
    let run = this.trampolines.get(key);
    if (run !== undefined) return run;
    const body: Instr[] = [
      ...type.params.flatMap(loadSlot),
      { op: 'i32.const', value: 0 }, { op: 'call_indirect', type: 0, table: 2 },
      // Results come off the stack last first, into locals, then go to their slots.
      ...type.results.map((_, i): Instr => ({ op: 'local.set', local: type.results.length - 1 - i })),
      ...type.results.flatMap((t, i) => storeSlot(t, i, { op: 'local.get', local: i })),
    ];
    const module: Module = {
      ...emptyModule(),
      types: [type, { params: [], results: [] }],
      imports: [...SLOT_IMPORTS, { module: '', name: 'callee', desc: { kind: 'table', type: { addrtype: 'i32', limits: { min: 0 }, reftype: 'funcref' } } }],
      funcs: [{ type: 1, locals: type.results, body }],
      exports: [{ name: 'run', desc: { kind: 'func', index: 0 } }],
    };
    run = this.helper(module, Math.max(type.params.length, type.results.length), { callee: this.callee })['run'] as () => void;
    this.trampolines.set(key, run);
    return run;
  }

  tableAlloc(type: TableType, init: EngineRef): number {
    if (type.addrtype === 'i64') throw new V8Unsupported('table64 is not supported');
    const table = new WebAssembly.Table(
      { element: descriptor(type.reftype) as WebAssembly.TableKind, initial: type.limits.min, ...maximum(this.capped(type.limits, this.limits.tableElements)) },
      this.toJs(init),
    );
    return this.register(this.tables, table, { table, type });
  }

  tableType(table: number): TableType {
    const t = this.tables[table]!;
    return { ...t.type, limits: { ...t.type.limits, min: t.table.length } };
  }

  tableSize(table: number): number {
    return this.tables[table]!.table.length;
  }

  tableRead(table: number, i: number): EngineRef {
    const t = this.tables[table]!;
    return this.refFromJs(t.type.reftype, t.table.get(i));
  }

  tableWrite(table: number, i: number, ref: EngineRef): void {
    this.tables[table]!.table.set(i, this.toJs(ref));
  }

  tableGrow(table: number, n: number, init: EngineRef): boolean {
    try {
      this.tables[table]!.table.grow(n, this.toJs(init));
      return true;
    } catch (e) {
      if (e instanceof RangeError || e instanceof TypeError) return false;
      throw e;
    }
  }

  memAlloc(type: MemType): number {
    if (type.addrtype === 'i64') throw new V8Unsupported('memory64 is not supported');
    const mem = new WebAssembly.Memory({ initial: type.limits.min, ...maximum(this.capped(type.limits, this.limits.memoryPages)) });
    return this.register(this.mems, mem, { mem, type });
  }

  memType(mem: number): MemType {
    const m = this.mems[mem]!;
    return { ...m.type, limits: { ...m.type.limits, min: this.memSize(mem) } };
  }

  memSize(mem: number): number {
    return this.mems[mem]!.mem.buffer.byteLength / PAGE_SIZE;
  }

  memBytes(mem: number): Uint8Array {
    // Growing detaches the buffer: a view is good while the buffer is the same.
    const m = this.mems[mem]!;
    const { buffer } = m.mem;
    if (m.view?.buffer !== buffer) m.view = new Uint8Array(buffer);
    return m.view;
  }

  memGrow(mem: number, n: number): boolean {
    try {
      this.mems[mem]!.mem.grow(n);
      return true;
    } catch (e) {
      if (e instanceof RangeError || e instanceof TypeError) return false;
      throw e;
    }
  }

  /**
   * Numbers and vectors get their exact initial bits from a module defining the global with a
   * constant initialiser; references need no bits and use the JS API.
   */
  globalAlloc(type: GlobalType, val: EngineVal): number {
    let global: WebAssembly.Global;
    if (val.type === 'ref.null' || val.type === 'ref.func' || val.type === 'ref.extern') {
      global = new WebAssembly.Global({ value: descriptor(type.type) as WebAssembly.ValueType, mutable: type.mut }, this.toJs(val));
    } else {
      const init: Instr = val.type === 'i32' || val.type === 'i64'
        ? { op: `${val.type}.const`, value: val.value } as Instr
        : val.type === 'v128' ? { op: 'v128.const', bytes: val.bytes } : { op: `${val.type}.const`, bits: val.bits } as Instr;
      const module: Module = {
        ...emptyModule(),
        globals: [{ type, init: [init] }],
        exports: [{ name: 'g', desc: { kind: 'global', index: 0 } }],
      };
      global = new WebAssembly.Instance(compile(encodeModule(module))).exports['g'] as WebAssembly.Global;
    }
    return this.register(this.globals, global, { global, type });
  }

  globalType(global: number): GlobalType {
    return this.globals[global]!.type;
  }

  /** Reads and writes go through an accessor module, for exact bits (see `accessor`). */
  globalRead(global: number): EngineVal {
    const { type } = this.globals[global]!;
    this.accessor(global).get();
    return this.readSlots([type.type])[0]!;
  }

  globalWrite(global: number, val: EngineVal): void {
    const { type } = this.globals[global]!;
    this.writeSlots([type.type], [val]);
    this.accessor(global).set!();
  }

  /** `get()` copies the global to slot 0, `set()` (for a mutable global) copies slot 0 to it. */
  private accessor(global: number): { get: () => void; set?: () => void } {
    const g = this.globals[global]!;
    if (g.accessor !== undefined) return g.accessor;
    const t = g.type.type;
    const module: Module = {
      ...emptyModule(),
      types: [{ params: [], results: [] }],
      imports: [{ module: '', name: 'global', desc: { kind: 'global', type: g.type } }, ...SLOT_IMPORTS],
      funcs: [
        { type: 0, locals: [], body: storeSlot(t, 0, { op: 'global.get', global: 0 }) },
        ...(g.type.mut ? [{ type: 0, locals: [], body: [...loadSlot(t, 0), { op: 'global.set', global: 0 } as const] }] : []),
      ],
      exports: [
        { name: 'get', desc: { kind: 'func', index: 0 } },
        ...(g.type.mut ? [{ name: 'set', desc: { kind: 'func' as const, index: 1 } }] : []),
      ],
    };
    const ex = this.helper(module, 1, { global: g.global });
    g.accessor = { get: ex['get'] as () => void, ...(g.type.mut ? { set: ex['set'] as () => void } : {}) };
    return g.accessor;
  }

  tagAlloc(type: TagType): number {
    const tag = new Tag({ parameters: type.type.params.map(descriptor) });
    return this.register(this.tags, tag, { tag, type });
  }

  tagType(tag: number): TagType {
    return this.tags[tag]!.type;
  }

  exnAlloc(tag: number, fields: readonly EngineVal[]): number {
    const exn = new Exception(this.tags[tag]!.tag, fields.map((v) => this.toJs(v)));
    this.exns.push({ exn, tag });
    return this.exns.length - 1;
  }

  exnTag(exn: number): number {
    return this.exns[exn]!.tag;
  }

  exnRead(exn: number): EngineVal[] {
    const { exn: e, tag } = this.exns[exn]!;
    const t = this.tags[tag]!;
    return t.type.type.params.map((p, i) => this.fromJs(p, e.getArg(t.tag, i)));
  }
}
