// The embedding API: the 36 functions of the spec's appendix "Embedding", in its order and with
// its names. Each is thin: check the arguments (store currency, address ownership, value types,
// bounds), dispatch to the store's Engine, wrap the result.
//
// Conventions:
// - The spec's `error` is a returned WasmError (tell it apart with `isError`); exceptions are for
//   programmer errors: a consumed store (StaleStoreError), an address of another store
//   (ForeignAddressError), a malformed value representation or a negative / fractional index
//   (RangeError / TypeError), and allocating with a type that is not valid (RangeError) or an
//   initial value of the wrong type (TypeError): the appendix gives allocations no error result.
// - Checks the spec leaves to the embedder are made: argument types on func_invoke, value types on
//   global_write / table_write / table_grow, mutability on global_write, bytes in 0..255 on
//   mem_write; they fail with an 'argument' error.
// - An operation returning `Store | WasmError` that fails leaves the input store current (it
//   returned no successor); module_instantiate and func_invoke always consume it, since the
//   store may be modified even when they fail.
// - What an engine cannot do at all (the V8 engine: v128 exception fields, memory64) throws from
//   the engine; everything the spec lets fail is a returned error.

import { writeFileSync } from 'node:fs';
import type { Engine, EngineExport, EngineName, EngineRef, EngineVal, ModuleValue, NativeEngineName } from './engine.js';
import { NativeEngine, deserializeModule, functionTiers, serializeModule, tierUpStats } from './engines/native.js';
import { checkThreads, nativeAvailable, tierUpOptions, type CompileOptions, type TierUpOptions, type TierUpStats } from './native.js';
import { ReferenceEngine } from './engines/reference.js';
import { V8Engine } from './engines/v8.js';
import { describeThrown, isError, wasmError, type WasmError } from './errors.js';
import { nativeDecoded, referenceDecoded } from './module.js';
import { memoryConfig, StoreUsage, withReservation, type MemoryConfig, type StoreLimits } from './store-limits.js';
import {
  type ExnAddr, type ExternAddr, type FuncAddr, type GlobalAddr, type MemAddr,
  type ModuleInst, type Ref, type Store, StoreState, type TableAddr, type TagAddr, type Val,
  engineValOf, fromEngineRef, fromEngineVal, fromEngineVals, lineage, live, own, ownerOf, u64,
  valType,
} from './store.js';
import { MalformedError, ValidationError } from '../spec/errors.js';
import { MAX_TABLE_SIZE } from '../spec/limits.js';
import { emptyModule, type Import } from '../spec/structure/module.js';
import {
  isNumType, type ExternType, type FuncType, type GlobalType, type MemType, type NumType, type RefType, type TableType,
  type TagType, type ValType,
} from '../spec/structure/types.js';
import { parseModule } from '../spec/text/parse.js';
import { matchExternType, matchValType } from '../spec/valid/match.js';
import { moduleTypes, validateModule } from '../spec/valid/validate.js';

export type Module = ModuleValue;

/**
 * A host function: receives the current store (it may re-enter wasm with it) and returns the
 * latest store with its results, or an error that the caller's func_invoke returns as is.
 */
export type HostFunc = (store: Store, args: Val[]) => [Store, Val[]] | WasmError;

function argumentError(message: string): WasmError {
  return wasmError('argument', message);
}

/**
 * `v` converted for the engine when it fits `t`, else undefined. A foreign function address
 * throws, before the type check.
 */
function fitting(st: StoreState, v: Val, t: ValType): EngineVal | undefined {
  const actual = valType(v);
  const ev = engineValOf(st, v);
  return matchValType(actual, t) ? ev : undefined;
}

function typeMismatch(what: string, expected: ValType, v: Val): WasmError {
  return argumentError(`type mismatch: ${what} expects ${expected}, got ${valType(v)}`);
}

/** `v` converted for the engine when it fits `t`, else a "type mismatch" error naming `what`. */
function engineVal(st: StoreState, v: Val, t: ValType, what: string): EngineVal | WasmError {
  return fitting(st, v, t) ?? typeMismatch(what, t, v);
}

/**
 * `vals` checked against `types` and converted: for arguments, host results and exception fields
 * alike. On the path of every call, so a message is built only when there is a mismatch.
 */
function engineVals(st: StoreState, vals: readonly Val[], types: readonly ValType[], what: string): EngineVal[] | WasmError {
  if (vals.length !== types.length) {
    return argumentError(`type mismatch: ${what} expects ${types.length} values, got ${vals.length}`);
  }
  const out = new Array<EngineVal>(types.length);
  for (let i = 0; i < types.length; i++) {
    const ev = fitting(st, vals[i]!, types[i]!);
    if (ev === undefined) return typeMismatch(`${what} ${i}`, types[i]!, vals[i]!);
    out[i] = ev;
  }
  return out;
}

/**
 * Do `vals` fit `types` as they are, all numbers (which cross the seam unconverted)? The fast path
 * of a call: checked as engineVals checks them, so a malformed value throws the same, and false
 * sends the caller to engineVals for the conversion or the error.
 */
function numbersFit(vals: readonly Val[], types: readonly ValType[]): vals is readonly Extract<Val, { type: NumType }>[] {
  if (vals.length !== types.length) return false;
  for (let i = 0; i < types.length; i++) {
    const t = valType(vals[i]!);
    if (t !== types[i] || !isNumType(t)) return false;
  }
  return true;
}

/** For allocations, whose appendix signatures have no error: a wrong initial value throws. */
function requireFits(st: StoreState, v: Val, t: ValType, what: string): EngineVal {
  const ev = engineVal(st, v, t, what);
  if (isError(ev)) throw new TypeError(ev.message);
  return ev;
}

/**
 * Allocation preconditions: the type is valid under the empty context. Checked by validating a
 * module that imports it (so the validator's rules are the only copy); a violation throws.
 */
function requireValid(fn: string, xt: ExternType): void {
  const [types, desc]: [FuncType[], Import['desc']] =
    xt.kind === 'func' ? [[xt.type], { kind: 'func', type: 0 }]
      : xt.kind === 'tag' ? [[xt.type.type], { kind: 'tag', type: 0 }]
        : [[], xt];
  try {
    validateModule({ ...emptyModule(), types, imports: [{ module: '', name: '', desc }] });
  } catch (e) {
    if (e instanceof ValidationError) throw new RangeError(`${fn}: invalid type: ${e.message}`);
    throw e;
  }
}

// 1
/**
 * A new, empty store run by `options.engine`; by default the native engine (`singlepass`), or the
 * reference engine where the native library cannot load (see {@link defaultEngine}). `optimizing`
 * is the native engine with its LLVM compiler: slower to compile, faster code.
 * `options.limits` (beyond the appendix) caps what the store may hold: see {@link StoreLimits}.
 * Instantiating past a limit is an `exhaustion` error, allocating past one throws a RangeError, and
 * memory.grow / table.grow (and mem_grow / table_grow) past a size limit fail as past a maximum.
 * `options.fuel` (beyond the appendix) makes the store meter fuel, starting with that much: see
 * {@link store_set_fuel}. `options.interruptible` (beyond the appendix) matters on the v8 engine
 * only, whose code can be interrupted by a deadline ({@link store_interrupt_after}) only in a store
 * made with fuel or interruptible: its modules are then rewritten to count fuel and look at the
 * deadline (lib/engines/v8-fuel.ts), which costs speed. A plain v8 store runs modules unchanged, so
 * that V8 itself is what it measures. The other engines can always be interrupted.
 * `options.compile` (beyond the appendix) says how a native engine compiles a module the store
 * instantiates first: on how many threads, with what progress callback (see {@link CompileOptions};
 * a module is compiled once, for every store). A thread count that is not an integer from 1 to 1024
 * throws a RangeError.
 * `options.memory` (beyond the appendix) sets each memory's address-space reservation and guard
 * region (see {@link MemoryConfig}): memories grow no further than the reservation on every engine,
 * and below the default sizes native code checks bounds explicitly. A wrong size throws a RangeError.
 */
export function store_init(options?: {
  engine?: EngineName; limits?: StoreLimits; fuel?: number; interruptible?: boolean; compile?: CompileOptions;
  memory?: MemoryConfig;
  tierUp?: TierUpOptions;
}): Store {
  const memory = memoryConfig(options?.memory);
  // The embedder's limits are checked as given, then the reservation's growth limit joins them.
  const limits = withReservation(new StoreUsage(options?.limits ?? {}).limits, memory);
  const fuel = options?.fuel === undefined ? undefined : fuelAmount('store_init', options.fuel);
  if (options?.compile?.threads !== undefined) checkThreads(options.compile.threads, 'store_init');
  const name = options?.engine ?? defaultEngine();
  const tierUp = name === 'tiered' ? tierUpOptions(options?.tierUp, 'store_init') : undefined;
  const engine = makeEngine(name, limits, fuel, options?.interruptible ?? false, options?.compile ?? {}, tierUp, memory);
  return new StoreState(engine, new StoreUsage(limits)).current;
}

/** A fuel amount: a safe integer ≥ 0 (anything else is the embedder's mistake, and throws). */
function fuelAmount(fn: string, fuel: number): number {
  if (!Number.isSafeInteger(fuel) || fuel < 0) throw new RangeError(`${fn}: fuel is an integer from 0 to 2^53 - 1, not ${fuel}`);
  return fuel;
}

function noFuel(): WasmError {
  return argumentError(`this store does not meter fuel (make it with store_init({ fuel: n }))`);
}

/**
 * Sets the fuel of a store made with `store_init({ fuel })` (beyond the appendix, as wasmtime's
 * `Store::set_fuel`): wasm code running in it consumes fuel as it runs (the cost model is in
 * spec/fuel.ts: about one unit per instruction executed, charged per straight-line segment, the
 * same on every engine), and a segment that would need more fuel than is left traps with "all fuel
 * consumed", leaving 0. The store stays usable: set fuel again and call again. Changes the store
 * (it is consumed and its successor returned); a store made without fuel is an `argument` error.
 */
export function store_set_fuel(store: Store, fuel: number): Store | WasmError {
  const st = live(store);
  const n = fuelAmount('store_set_fuel', fuel);
  if (st.engine.fuel() === undefined) return noFuel();
  st.engine.setFuel(n);
  return st.advance();
}

/** The fuel left in a store made with `store_init({ fuel })` (see {@link store_set_fuel}). */
export function store_get_fuel(store: Store): number | WasmError {
  const st = live(store);
  return st.engine.fuel() ?? noFuel();
}

/**
 * Frees a store now (beyond the appendix): every resource of its engine — memories and their
 * address-space reservations, tables, instances — is released at once instead of when the garbage
 * collector finds the store, which a synchronous loop never lets it do. Any store value of the
 * lineage may be given, consumed or not; afterwards every one of them throws StaleStoreError, and
 * freeing again does nothing. Disposing a store (`using store = store_init()`) does the same.
 */
export function store_free(store: Store): void {
  lineage(store).free();
}

/**
 * Sets a deadline (beyond the appendix): wasm running in the store once `ms` milliseconds have
 * passed traps with "interrupted" at its next call or loop iteration, and the store stays usable.
 * `undefined` cancels it. The deadline is the store's, not one call's: a later call that starts
 * after it has passed is interrupted too, until a new deadline is set. Native code (singlepass,
 * optimizing) looks at loop headers and calls, the reference interpreter every 65,536 calls and
 * backward branches, and the v8 engine's code every 65,536 units of fuel, in a store made with
 * fuel or `interruptible` (see {@link store_init}); a plain v8 store gives an `argument` error (only
 * terminating its worker thread stops its code).
 */
export function store_interrupt_after(store: Store, ms: number | undefined): undefined | WasmError {
  const st = live(store);
  if (ms !== undefined && !(ms >= 0)) throw new RangeError(`store_interrupt_after: a deadline is a number of milliseconds ≥ 0, not ${ms}`);
  if (!st.engine.interruptAfter(ms)) return argumentError(`the ${st.engine.name} engine cannot be interrupted in a store made without fuel or interruptible (store_init({ interruptible: true })); terminating its worker thread stops it`);
  return undefined;
}

let fallbackNoted = false;

/**
 * The engine a store runs on when none is chosen (beyond the appendix): `singlepass`, or
 * `reference` where the native library cannot load, which is said once on stderr.
 */
export function defaultEngine(): EngineName {
  const native = nativeAvailable();
  if (native === true) return 'singlepass';
  if (!fallbackNoted) {
    fallbackNoted = true;
    process.stderr.write(`wasmo: running on the reference engine: ${native.message}\n`);
  }
  return 'reference';
}

function makeEngine(name: EngineName, limits: StoreLimits, fuel: number | undefined, interruptible: boolean, compile: CompileOptions,
  tierUp: Required<TierUpOptions> | undefined, memory: Required<MemoryConfig>): Engine {
  switch (name) {
    case 'reference': return new ReferenceEngine(limits, fuel);
    case 'v8': return new V8Engine(limits, fuel, interruptible);
    case 'singlepass': case 'optimizing': case 'tiered': return new NativeEngine(limits, name, fuel, compile, tierUp, memory);
  }
}

// 2
/**
 * Decodes a module. Beyond the appendix, `options.engine` says which engine it is for (by default
 * the native ones, where the native library loads). For them the native decoder+validator judges the
 * bytes at once, in one pass: malformed bytes are an error here, and module_validate gives its
 * verdict; the abstract syntax (`ast`) is built only when something needs it (the reference or v8
 * engine, an embedder reading it), and imports, exports and instantiation read an outline without
 * code. For 'reference' the reference decoder builds the whole abstract syntax now and the reference
 * validator judges it, as the spec's own interpreter does. Both classify every module alike.
 */
export function module_decode(bytes: Uint8Array, options?: { engine?: EngineName }): Module | WasmError {
  // Copied so later changes to the caller's buffer cannot change the module (a Buffer's slice()
  // would share them).
  const own = new Uint8Array(bytes);
  return options?.engine !== 'reference' && nativeAvailable() === true ? nativeDecoded(own) : referenceDecoded(own);
}

// 3
export function module_parse(text: string): Module | WasmError {
  try {
    const ast = parseModule(text);
    return { ast, outline: ast };
  } catch (e) {
    if (e instanceof MalformedError) return wasmError('malformed', e.message);
    throw e;
  }
}

// 4
export function module_validate(module: Module): WasmError | undefined {
  if (module.validated !== undefined) return undefined;
  const { verdict } = module;
  if (verdict !== undefined && verdict !== 'valid') return verdict;
  try {
    // A module the native validator passed needs only its import and export types.
    module.validated = verdict === 'valid' ? moduleTypes(module.outline) : validateModule(module.ast);
    return undefined;
  } catch (e) {
    if (e instanceof ValidationError) return wasmError('invalid', e.message);
    throw e;
  }
}

/** The validated import and export types; a module that is not valid breaks a precondition. */
function validated(module: Module, fn: string): NonNullable<Module['validated']> {
  const e = module_validate(module);
  if (e !== undefined) throw new TypeError(`${fn}: the module is not valid (${e.message})`);
  return module.validated!;
}

/** The type of an external address as the engine reports it. */
function externType(st: StoreState, a: ExternAddr): ExternType {
  const { engine } = st;
  switch (a.kind) {
    case 'func': return { kind: 'func', type: engine.funcType(own(st, a, 'func')) };
    case 'table': return { kind: 'table', type: engine.tableType(own(st, a, 'table')) };
    case 'mem': return { kind: 'mem', type: engine.memType(own(st, a, 'mem')) };
    case 'global': return { kind: 'global', type: engine.globalType(own(st, a, 'global')) };
    case 'tag': return { kind: 'tag', type: engine.tagType(own(st, a, 'tag')) };
  }
}

// 5
/**
 * Beyond the appendix: `beforeStart`, if given, is called with the new instance once it is
 * allocated and its segments are initialised, just before its start function runs, so that host
 * functions the start function calls can find the instance's exports (a Linker binds WASI to the
 * instance's memory there). An error it returns is module_instantiate's result, and the start
 * function does not run.
 */
export function module_instantiate(
  store: Store, module: Module, externaddrs: readonly ExternAddr[],
  beforeStart?: (instance: ModuleInst) => WasmError | undefined,
): [Store, ModuleInst | WasmError] {
  const st = live(store);
  if (module.compiledFor !== undefined && module.compiledFor !== st.engine.name) {
    throw new TypeError(`module_instantiate: the module is compiled code for the ${module.compiledFor} engine, this store runs on ${st.engine.name}`);
  }
  st.consume();
  const invalid = module_validate(module);
  if (invalid !== undefined) return [st.advance(), invalid];
  const { imports } = module.validated!;
  const over = st.usage.instantiate(module.outline);
  if (over !== undefined) return [st.advance(), over];
  if (externaddrs.length !== imports.length) {
    return [st.advance(), wasmError('unlinkable', `unknown import: the module has ${imports.length} imports, got ${externaddrs.length} external addresses`)];
  }
  for (let i = 0; i < imports.length; i++) {
    const actual = externType(st, externaddrs[i]!);
    if (!matchExternType(actual, imports[i]!)) {
      const { module: m, name } = module.outline.imports[i]!;
      return [st.advance(), wasmError('unlinkable', `incompatible import type for "${m}" "${name}"`)];
    }
  }
  let inst: ModuleInst | undefined;
  const instance = (exports: readonly EngineExport[]): ModuleInst =>
    (inst ??= st.instance(exports.map((x) => ({ name: x.name, addr: st.addr(x.extern.kind, x.extern.addr) }))));
  const hook = beforeStart === undefined ? undefined : (exports: readonly EngineExport[]) => {
    // Whatever it throws is an error, as whatever a host function throws.
    try {
      return beforeStart(instance(exports));
    } catch (e) {
      return wasmError('host', `beforeStart threw: ${describeThrown(e)}`, e);
    }
  };
  const result = st.engine.instantiate(module, externaddrs.map((a) => ({ kind: a.kind, addr: a.index })), hook);
  if (isError(result)) return [st.advance(), result];
  return [st.advance(), instance(result.exports)];
}

// 6
export function module_imports(module: Module): [string, string, ExternType][] {
  const { imports } = validated(module, 'module_imports');
  return module.outline.imports.map((im, i) => [im.module, im.name, imports[i]!]);
}

// 7
export function module_exports(module: Module): [string, ExternType][] {
  const { exports } = validated(module, 'module_exports');
  return module.outline.exports.map((ex, i) => [ex.name, exports[i]!]);
}

// 8
export function instance_export(moduleinst: ModuleInst, name: string): ExternAddr | WasmError {
  ownerOf(moduleinst);
  const found = moduleinst.exports.find((x) => x.name === name);
  return found === undefined ? argumentError(`unknown export "${name}"`) : found.addr;
}

// 9
export function func_alloc(store: Store, type: FuncType, hostfunc: HostFunc): [Store, FuncAddr] {
  const st = live(store);
  requireValid('func_alloc', { kind: 'func', type });
  // Numbers cross the seam as they are: with only numbers in, the arguments need no conversion.
  const numbersIn = type.params.every(isNumType);
  const host = (args: EngineVal[]): readonly EngineVal[] | WasmError => {
    let out: [Store, Val[]] | WasmError;
    try {
      out = hostfunc(st.current, numbersIn ? args as Val[] : fromEngineVals(st, args));
    } catch (e) {
      return wasmError('host', `host function threw: ${describeThrown(e)}`, e);
    }
    try {
      if (isError(out)) return out;
      if (!Array.isArray(out) || !Array.isArray(out[1])) {
        return wasmError('host', 'host function returned malformed results: not an error nor [store, values]');
      }
      const s = out[0];
      const results = out[1];
      if (s !== st.current) return wasmError('host', 'host function returned a store that is not the current one');
      if (numbersFit(results, type.results)) return results;
      const vals = engineVals(st, results, type.results, 'host function result');
      return isError(vals) ? wasmError('host', vals.message) : vals;
    } catch (e) {
      return wasmError('host', `host function returned malformed results: ${describeThrown(e)}`, e);
    }
  };
  const addr = st.engine.funcAlloc(type, host);
  return [st.advance(), st.addr('func', addr)];
}

// 10
export function func_type(store: Store, funcaddr: FuncAddr): FuncType {
  const st = live(store);
  return st.engine.funcType(own(st, funcaddr, 'func'));
}

// 11
/**
 * Exceptions (the appendix's `exception` result) cannot arise: modules have no exception-handling
 * instructions and host functions fail only with `error`.
 */
export function func_invoke(store: Store, funcaddr: FuncAddr, args: readonly Val[]): [Store, Val[] | WasmError] {
  const st = live(store);
  const fa = own(st, funcaddr, 'func');
  st.consume();
  const params = st.engine.funcType(fa).params;
  const vals = numbersFit(args, params) ? args : engineVals(st, args, params, 'argument');
  if (isError(vals)) return [st.advance(), vals];
  const result = st.engine.funcInvoke(fa, vals);
  return [st.advance(), isError(result) ? result : fromEngineVals(st, result)];
}

// 12
export function table_alloc(store: Store, type: TableType, init: Ref): [Store, TableAddr] {
  const st = live(store);
  requireValid('table_alloc', { kind: 'table', type });
  // As the JS API's Table constructor: no engine allocates a table over the implementation limit.
  if (type.limits.min > MAX_TABLE_SIZE.max) throw new RangeError(`table_alloc: ${MAX_TABLE_SIZE.message}`);
  const initial = requireFits(st, init, type.reftype, 'table_alloc initial value') as EngineRef;
  st.usage.alloc('table', type.limits.min);
  const addr = st.engine.tableAlloc(type, initial);
  return [st.advance(), st.addr('table', addr)];
}

// 13
export function table_type(store: Store, tableaddr: TableAddr): TableType {
  const st = live(store);
  return st.engine.tableType(own(st, tableaddr, 'table'));
}

/** The table index and the element index, or an error when `i` is out of bounds. */
function tableSlot(store: Store, tableaddr: TableAddr, i: number | bigint): [StoreState, number, number] | WasmError {
  const st = live(store);
  const ta = own(st, tableaddr, 'table');
  const idx = u64(i, 'table index');
  const size = st.engine.tableSize(ta);
  return idx < size ? [st, ta, idx] : argumentError(`out of bounds table access: index ${i}, size ${size}`);
}

// 14
export function table_read(store: Store, tableaddr: TableAddr, i: number | bigint): Ref | WasmError {
  const slot = tableSlot(store, tableaddr, i);
  if (isError(slot)) return slot;
  const [st, ta, idx] = slot;
  return fromEngineRef(st, st.engine.tableRead(ta, idx));
}

// 15
export function table_write(store: Store, tableaddr: TableAddr, i: number | bigint, ref: Ref): Store | WasmError {
  const slot = tableSlot(store, tableaddr, i);
  if (isError(slot)) return slot;
  const [st, ta, idx] = slot;
  const elem = engineVal(st, ref, st.engine.tableType(ta).reftype, 'table element');
  if (isError(elem)) return elem;
  st.engine.tableWrite(ta, idx, elem as EngineRef);
  return st.advance();
}

// 16
export function table_size(store: Store, tableaddr: TableAddr): number {
  const st = live(store);
  return st.engine.tableSize(own(st, tableaddr, 'table'));
}

// 17
export function table_grow(store: Store, tableaddr: TableAddr, n: number | bigint, init: Ref): Store | WasmError {
  const st = live(store);
  const ta = own(st, tableaddr, 'table');
  const count = u64(n, 'table grow count');
  const elem = engineVal(st, init, st.engine.tableType(ta).reftype, 'table element');
  if (isError(elem)) return elem;
  if (!st.engine.tableGrow(ta, count, elem as EngineRef)) return argumentError(`table cannot grow by ${n}`);
  return st.advance();
}

// 18
export function mem_alloc(store: Store, type: MemType): [Store, MemAddr] {
  const st = live(store);
  requireValid('mem_alloc', { kind: 'mem', type });
  st.usage.alloc('mem', type.limits.min);
  const addr = st.engine.memAlloc(type);
  return [st.advance(), st.addr('mem', addr)];
}

// 19
export function mem_type(store: Store, memaddr: MemAddr): MemType {
  const st = live(store);
  return st.engine.memType(own(st, memaddr, 'mem'));
}

/**
 * The memory's bytes (a view, valid until the memory grows or wasm runs) and the index of `i`, or
 * an error when the `length` bytes from `i` are not all in bounds.
 */
function memRange(store: Store, memaddr: MemAddr, i: number | bigint, length: number): [StoreState, Uint8Array, number] | WasmError {
  const st = live(store);
  const bytes = st.engine.memBytes(own(st, memaddr, 'mem'));
  const idx = u64(i, 'memory index');
  if (idx + length <= bytes.length) return [st, bytes, idx];
  return argumentError(`out of bounds memory access: index ${i}${length === 1 ? '' : `, length ${length}`}, size ${bytes.length}`);
}

// 20
export function mem_read(store: Store, memaddr: MemAddr, i: number | bigint): number | WasmError {
  const range = memRange(store, memaddr, i, 1);
  if (isError(range)) return range;
  const [, bytes, idx] = range;
  return bytes[idx]!;
}

// 21
export function mem_write(store: Store, memaddr: MemAddr, i: number | bigint, byte: number): Store | WasmError {
  const range = memRange(store, memaddr, i, 1);
  if (isError(range)) return range;
  const [st, bytes, idx] = range;
  if (!Number.isInteger(byte) || byte < 0 || byte > 255) return argumentError(`not a byte: ${byte}`);
  bytes[idx] = byte;
  return st.advance();
}

/**
 * Beyond the appendix: a copy of the `length` bytes of the memory from `i`, at the cost of the copy
 * (mem_read byte by byte costs a call each); an error when they are not all in bounds.
 */
export function mem_read_bytes(store: Store, memaddr: MemAddr, i: number | bigint, length: number): Uint8Array | WasmError {
  if (!Number.isSafeInteger(length) || length < 0) return argumentError(`not a length: ${length}`);
  const range = memRange(store, memaddr, i, length);
  if (isError(range)) return range;
  const [, bytes, idx] = range;
  return bytes.slice(idx, idx + length);
}

/** Beyond the appendix: writes `data` into the memory from `i`, all or (out of bounds) nothing. */
export function mem_write_bytes(store: Store, memaddr: MemAddr, i: number | bigint, data: Uint8Array): Store | WasmError {
  const range = memRange(store, memaddr, i, data.length);
  if (isError(range)) return range;
  const [st, bytes, idx] = range;
  bytes.set(data, idx);
  return st.advance();
}

// 22
export function mem_size(store: Store, memaddr: MemAddr): number {
  const st = live(store);
  return st.engine.memSize(own(st, memaddr, 'mem'));
}

// 23
export function mem_grow(store: Store, memaddr: MemAddr, n: number | bigint): Store | WasmError {
  const st = live(store);
  const ma = own(st, memaddr, 'mem');
  const count = u64(n, 'memory grow count');
  if (!st.engine.memGrow(ma, count)) return argumentError(`memory cannot grow by ${n} pages`);
  return st.advance();
}

// 24
export function tag_alloc(store: Store, type: TagType): [Store, TagAddr] {
  const st = live(store);
  requireValid('tag_alloc', { kind: 'tag', type });
  const addr = st.engine.tagAlloc(type);
  return [st.advance(), st.addr('tag', addr)];
}

// 25
export function tag_type(store: Store, tagaddr: TagAddr): TagType {
  const st = live(store);
  return st.engine.tagType(own(st, tagaddr, 'tag'));
}

// 26
export function exn_alloc(store: Store, tagaddr: TagAddr, vals: readonly Val[]): [Store, ExnAddr] {
  const st = live(store);
  const ta = own(st, tagaddr, 'tag');
  const fields = engineVals(st, vals, st.engine.tagType(ta).type.params, 'exception field');
  if (isError(fields)) throw new TypeError(fields.message);
  const addr = st.engine.exnAlloc(ta, fields);
  return [st.advance(), st.addr('exn', addr)];
}

// 27
export function exn_tag(store: Store, exnaddr: ExnAddr): TagAddr {
  const st = live(store);
  return st.addr('tag', st.engine.exnTag(own(st, exnaddr, 'exn')));
}

// 28
export function exn_read(store: Store, exnaddr: ExnAddr): Val[] {
  const st = live(store);
  return fromEngineVals(st, st.engine.exnRead(own(st, exnaddr, 'exn')));
}

// 29
export function global_alloc(store: Store, type: GlobalType, val: Val): [Store, GlobalAddr] {
  const st = live(store);
  requireValid('global_alloc', { kind: 'global', type });
  const initial = requireFits(st, val, type.type, 'global_alloc initial value');
  const addr = st.engine.globalAlloc(type, initial);
  return [st.advance(), st.addr('global', addr)];
}

// 30
export function global_type(store: Store, globaladdr: GlobalAddr): GlobalType {
  const st = live(store);
  return st.engine.globalType(own(st, globaladdr, 'global'));
}

// 31
export function global_read(store: Store, globaladdr: GlobalAddr): Val {
  const st = live(store);
  return fromEngineVal(st, st.engine.globalRead(own(st, globaladdr, 'global')));
}

// 32
export function global_write(store: Store, globaladdr: GlobalAddr, val: Val): Store | WasmError {
  const st = live(store);
  const ga = own(st, globaladdr, 'global');
  const type = st.engine.globalType(ga);
  if (!type.mut) return argumentError('global is immutable');
  const v = engineVal(st, val, type.type, 'global');
  if (isError(v)) return v;
  st.engine.globalWrite(ga, v);
  return st.advance();
}

// 33
export function ref_type(store: Store, ref: Ref): RefType {
  const st = live(store);
  if (ref.type === 'ref.func') own(st, ref.addr, 'func');
  return valType(ref) as RefType;
}

// 34
/** Every value type of WebAssembly 2.0 has a default, so this never returns an error today. */
export function val_default(type: ValType): Val | WasmError {
  switch (type) {
    case 'i32': return { type: 'i32', value: 0 };
    case 'i64': return { type: 'i64', value: 0n };
    case 'f32': return { type: 'f32', bits: 0 };
    case 'f64': return { type: 'f64', bits: 0n };
    case 'v128': return { type: 'v128', bytes: new Uint8Array(16) };
    case 'funcref': return { type: 'ref.null', heaptype: 'func' };
    case 'externref': return { type: 'ref.null', heaptype: 'extern' };
  }
}

// 35
export function match_valtype(valtype1: ValType, valtype2: ValType): boolean {
  return matchValType(valtype1, valtype2);
}

// 36
export function match_externtype(externtype1: ExternType, externtype2: ExternType): boolean {
  return matchExternType(externtype1, externtype2);
}

/**
 * How far the module's code has tiered up (beyond the appendix): for a module instantiated in a
 * `tiered` store, how many of its functions run optimized code, how many the optimizing compiler
 * refused (they stay on singlepass code; none should be), and how many are queued or compiling, after
 * waiting up to `options.wait` milliseconds (default 0) for those; undefined when the module has no
 * tiered code.
 */
export function module_tier_up_stats(module: Module, options?: { wait?: number }): TierUpStats | undefined {
  return tierUpStats(module, options?.wait ?? 0);
}

/**
 * The tier of each function the module defines (beyond the appendix), in index order after the
 * imported ones: 'optimizing' for a function whose calls run the code tier-up compiled (or that a
 * tiered artifact brought), else 'singlepass'; undefined when the module has no tiered code.
 */
export function module_function_tiers(module: Module): ('singlepass' | 'optimizing')[] | undefined {
  return functionTiers(module);
}

// ---- Beyond the appendix: artifacts ----
//
// The native engine's compiled code, saved and loaded again without compiling. These take no store:
// an artifact depends on the engine's configuration only (its code is store- and
// instance-independent), serializing reads and changes no store, and a deserialized module, like a
// decoded one, can be instantiated in any number of stores of that engine. The native engines
// ('singlepass', the default, and 'optimizing') make artifacts.

/**
 * The module compiled by a native engine (`options.engine`: by default the one a deserialized
 * module was compiled by, else 'singlepass'; 'optimizing' is the LLVM compiler), as an artifact: an
 * ELF64 file of machine code and metadata (see host-shim/artifact/artifact.h) that
 * module_deserialize loads without compiling again. `wasmo compile` writes the same bytes.
 * Serializing a deserialized module gives back the bytes it came from. A module that is not valid
 * gives its 'invalid' error; one the native engine cannot compile yet an 'unsupported' error naming
 * what is missing. With `options.fuel` the code charges fuel, for stores made with
 * `store_init({ fuel })`; the artifact records which kind it is, and a store of the other kind
 * refuses it (see module_deserialize). `options.threads` and `options.progress` say on how many
 * threads it compiles and what to call back with its progress (the bytes are the same whatever the
 * threads); a module already compiled is not compiled again.
 */
export function module_serialize(module: Module, options?: { engine?: NativeEngineName; fuel?: boolean; boundsChecks?: boolean } & CompileOptions): Uint8Array | WasmError {
  return withArtifact('module_serialize', module, options, (bytes) => bytes.slice());
}

/**
 * module_serialize, with the artifact written to the file `path` (created or replaced) from the
 * engine's memory, without the copy module_serialize returns: for a large artifact that copy costs
 * about as much as the write (0.4 s for esbuild's 71 MB). undefined once written; the errors of
 * module_serialize; throws the file system's error if the file cannot be written.
 */
export function module_serialize_file(module: Module, path: string, options?: { engine?: NativeEngineName; fuel?: boolean; boundsChecks?: boolean } & CompileOptions): WasmError | undefined {
  return withArtifact('module_serialize_file', module, options, (bytes): undefined => { writeFileSync(path, bytes); });
}

/** module_serialize's checks, then its artifact given to `use`, valid only until `use` returns. */
function withArtifact<T>(what: string, module: Module, options: ({ engine?: NativeEngineName; fuel?: boolean; boundsChecks?: boolean } & CompileOptions) | undefined, use: (bytes: Uint8Array) => T): T | WasmError {
  if (options?.threads !== undefined) checkThreads(options.threads, what);
  const invalid = module_validate(module);
  if (invalid !== undefined) return invalid;
  const tier = options?.engine ?? module.compiledFor ?? 'singlepass';
  if (module.compiledFor !== undefined && module.compiledFor !== tier) {
    throw new TypeError(`${what}: the module is compiled code for the ${module.compiledFor} engine, not ${tier}`);
  }
  return serializeModule(module, tier, { ...options, meterFuel: options?.fuel ?? false, boundsChecks: options?.boundsChecks ?? false }, use);
}

/**
 * A module from an artifact module_serialize (or `wasmo compile`) made, without compiling. It can
 * be instantiated only in stores of the engine that compiled it, which the artifact records
 * ('singlepass' or 'optimizing'; module_instantiate throws a TypeError elsewhere); module_imports and module_exports work as for any module, and its `ast` carries the
 * interface only (see ModuleValue.compiledFor). An artifact made by another engine version,
 * format version or configuration, or for a CPU lacking features its code uses, is refused with a
 * 'malformed' error whose message starts "incompatible artifact:" and names the difference; a
 * truncated or corrupted one with "corrupted artifact:". Nothing of a refused artifact ever runs.
 * Code made without fuel metering is refused by module_instantiate in a store made with fuel, and
 * code made with it (`module_serialize(m, { fuel: true })`) in a store without: a 'malformed' error
 * "incompatible artifact: the code does not meter fuel, the store does" (or the other way round).
 *
 * **Trusted input only.** An artifact is native code: its checks catch accidents (truncation,
 * corruption, another build), not an attacker, and a crafted artifact can do anything in this
 * process (like wasmtime's `unsafe` `Module::deserialize`). Deserialize only artifacts you made or
 * trust as you would a native library; an untrusted module is given as wasm (module_decode).
 */
export function module_deserialize(bytes: Uint8Array): Module | WasmError {
  return deserializeModule({ bytes });
}

/**
 * module_deserialize for an artifact in a file, trusted input as there. The file is read once into
 * memory of its own before it is checked, so writing to, truncating or replacing the file later
 * changes nothing loaded: what runs is what was checked. A file that cannot be read, or shrinks
 * while being read, gives a 'malformed' error naming it and the reason.
 */
export function module_deserialize_file(path: string): Module | WasmError {
  return deserializeModule({ path });
}

export { Addr, ModuleInst, Store } from './store.js';
export type {
  ExnAddr, ExternAddr, FuncAddr, GlobalAddr, MemAddr, Ref, TableAddr, TagAddr, Val,
} from './store.js';
