// The native engines behind the seam: host-shim's compilers (singlepass, optimizing) and runtime,
// through lib/native.ts. The store lives on the C side (host-shim/runtime/store.h) and its addresses are
// the seam's. What the C side cannot do (memory64, tags) throws NativeUnsupported,
// naming it, rather than answering wrongly.

import { explicitBoundsChecks, memoryConfig, type MemoryConfig, type StoreLimits } from '../store-limits.js';
import type {
  BeforeStart, Engine, EngineExport, EngineExtern, EngineHostFunc, EngineRef, EngineVal, ModuleValue, NativeEngineName,
} from '../engine.js';
import { describeThrown, isError, wasmError, type WasmError } from '../errors.js';
import {
  NativeModule, NativeStore, cpuFeatureList, isNativeFailure, threadHostSlots, type CompileOptions, type NativeCompileOptions,
  type NativeFailure, type NativeWasi, type TierUpOptions, type TierUpStats,
} from '../native.js';
import { artifactInterface } from '../artifact.js';
import { encodeModule } from '../../spec/binary/encode.js';
import type { FuncType, GlobalType, MemType, TableType, TagType, ValType } from '../../spec/structure/types.js';


/** What the native engine cannot do yet; the message names it. */
export class NativeUnsupported extends Error {
  override readonly name = 'NativeUnsupported';
}

/** A C-side failure as the seam's error; 'unsupported' and 'internal' are not spec errors. */
function toError(f: NativeFailure): WasmError {
  switch (f.status) {
    case 'malformed': case 'invalid': case 'unlinkable': case 'uninstantiable': case 'trap': case 'exhaustion':
    case 'host':
      return wasmError(f.status, f.message);
    case 'unsupported': return wasmError('unsupported', f.message);
    case 'incompatible': return wasmError('malformed', f.message);
    // Resource failures (out of memory, address space, mappings) and the engine's own bugs.
    case 'internal': case 'resources': return wasmError('exhaustion', `native engine: ${f.message}`);
  }
}

function checkAddrType(t: { readonly addrtype: string }, what: string): void {
  if (t.addrtype !== 'i32') throw new NativeUnsupported(`not supported yet: 64-bit ${what} in the native engine`);
}

// Compiled once per module value, compiler, kind of code (charging fuel or not, checking bounds
// explicitly or not) and CPU features asked for (CompileOptions.cpuFeatures), whatever the store:
// code is instance-independent. A deserialized module has the one kind its artifact holds, kept
// with the host's features.
type CodeKinds = readonly WeakMap<ModuleValue, NativeModule>[];
const kinds = (): CodeKinds => [new WeakMap(), new WeakMap(), new WeakMap(), new WeakMap()];
const HOST_FEATURES = 'host';
const compiledModules: Record<NativeEngineName, Map<string, CodeKinds>> = { singlepass: new Map(), optimizing: new Map(), tiered: new Map() };

function kindsOf(tier: NativeEngineName, features: string): CodeKinds {
  let k = compiledModules[tier].get(features);
  if (k === undefined) compiledModules[tier].set(features, k = kinds());
  return k;
}

function compiledOf(tier: NativeEngineName, meterFuel: boolean, boundsChecks: boolean, features: string): WeakMap<ModuleValue, NativeModule> {
  return kindsOf(tier, features)[Number(meterFuel) + 2 * Number(boundsChecks)]!;
}

function remember(module: ModuleValue, compiled: NativeModule, tier: NativeEngineName, features: string): NativeModule {
  // The code lives as long as the module value: then the NativeModule is unreachable, and freed.
  compiledOf(tier, compiled.metersFuel, compiled.checksBounds, features).set(module, compiled);
  return compiled;
}

/**
 * The module's native code by `tier`: compiled on first use (an artifact, loaded), then shared by
 * every store; with fuel metering for stores that meter fuel (`options.meterFuel`), with explicit
 * bounds checks for stores whose memories have no full guard regions (`options.boundsChecks`).
 */
function compiledModule(module: ModuleValue, tier: NativeEngineName, options: NativeCompileOptions): NativeModule | NativeFailure {
  const features = cpuFeatureList(options) ?? HOST_FEATURES;
  const known = compiledOf(tier, options.meterFuel === true, options.boundsChecks === true, features).get(module);
  if (known !== undefined) return known;
  // The other kind of an artifact's code: the store refuses it, saying why.
  if (module.compiledFor !== undefined) return kindsOf(tier, HOST_FEATURES).map((kind) => kind.get(module)).find((c) => c !== undefined)!;
  const c = NativeModule.compile(module.bytes ?? encodeModule(module.ast), tier, options);
  return isNativeFailure(c) ? c : remember(module, c, tier, features);
}

/**
 * The artifact of a valid module compiled by `tier`: its native code and what instantiating it
 * needs; with fuel metering (for stores made with fuel) if `options.meterFuel`. Given to `use`,
 * and valid only until it returns (NativeModule.withCurrentArtifact).
 */
export function serializeModule<T>(module: ModuleValue, tier: NativeEngineName, options: NativeCompileOptions, use: (bytes: Uint8Array) => T): T | WasmError {
  const c = compiledModule(module, tier, options);
  if (isNativeFailure(c)) return toError(c);
  const result = c.withCurrentArtifact(use);
  return isNativeFailure(result) ? toError(result) : result;
}

/**
 * A module from an artifact, loaded from `bytes` or by mapping the file `path`. Its `ast` is the
 * interface the artifact describes (artifactInterface); the code stays the artifact's.
 */
export function deserializeModule(from: { readonly bytes: Uint8Array } | { readonly path: string }): ModuleValue | WasmError {
  const c = 'bytes' in from ? NativeModule.deserialize(from.bytes) : NativeModule.loadFile(from.path);
  if (isNativeFailure(c)) return toError(c);
  // Read from the loaded copy: that is what the loader checked.
  const { ast, imports, exports } = artifactInterface(c.artifactView());
  const tier = c.tier();
  const module: ModuleValue = { ast, outline: ast, validated: { imports, exports }, compiledFor: tier };
  remember(module, c, tier, HOST_FEATURES);
  return module;
}

/** The module's tiered code (compiled by a `tiered` store, or deserialized), if it has any. */
function tieredCode(module: ModuleValue): NativeModule | undefined {
  for (const k of compiledModules.tiered.values()) {
    const c = k.map((kind) => kind.get(module)).find((c) => c !== undefined);
    if (c !== undefined) return c;
  }
  return undefined;
}

/** Tier-up so far of the module's tiered code, after waiting up to `waitMs` for the functions
 *  queued; undefined when it has none. */
export function tierUpStats(module: ModuleValue, waitMs: number): TierUpStats | undefined {
  return tieredCode(module)?.tierUpStats(waitMs);
}

/** The tier of each defined function of the module's tiered code; undefined when it has none. */
export function functionTiers(module: ModuleValue): ('singlepass' | 'optimizing')[] | undefined {
  return tieredCode(module)?.functionTiers(module.outline.funcs.length);
}

export class NativeEngine implements Engine {
  private readonly store = new NativeStore();
  // Externref host values by handle - 1: the C side keeps handles, so any number survives.
  private readonly externs: number[] = [];
  private readonly externHandles = new Map<number, number>();
  // The error of the host function that failed last, for the func_invoke that gets status 'host'.
  private hostError: WasmError | undefined;
  private readonly tags: TagType[] = [];
  private readonly exns: { readonly tag: number; readonly fields: readonly EngineVal[] }[] = [];

  /** `name`: the compiler of the store's modules; both run on the same runtime. `compile`: how it
   *  compiles them. */
  private readonly boundsChecks: boolean;

  constructor(limits: StoreLimits = {}, readonly name: NativeEngineName = 'singlepass', fuel?: number,
    private readonly compile: CompileOptions = {}, tierUp: Required<TierUpOptions> | undefined = undefined,
    memory: Required<MemoryConfig> = memoryConfig(undefined)) {
    this.store.setLimits(limits);
    this.store.setMemory(memory);
    this.boundsChecks = explicitBoundsChecks(memory);
    if (tierUp !== undefined) this.store.setTierUp(tierUp);
    if (fuel !== undefined) this.store.setFuel(fuel);
  }

  fuel(): number | undefined {
    return this.store.fuel();
  }

  setFuel(fuel: number): void {
    this.store.setFuel(fuel);
  }

  free(): void {
    this.store.free();
  }

  interruptAfter(ms: number | undefined): boolean {
    this.store.interruptAfter(ms);
    return true;
  }

  instantiate(module: ModuleValue, imports: readonly EngineExtern[], beforeStart?: BeforeStart):
    { readonly exports: readonly EngineExport[] } | WasmError {
    const compiled = compiledModule(module, this.name, { ...this.compile, meterFuel: this.store.fuel() !== undefined, boundsChecks: this.boundsChecks });
    if (isNativeFailure(compiled)) return this.error(compiled);
    const start: [number | undefined] = [undefined];
    const addrs = this.store.instantiate(compiled, imports.map((x) => x.addr), beforeStart === undefined ? undefined : start);
    if (isNativeFailure(addrs)) return this.error(addrs);
    const exports = module.outline.exports.map((e, i) => ({ name: e.name, extern: { kind: e.desc.kind, addr: addrs[i]! } }));
    if (beforeStart !== undefined) {
      const refused = beforeStart(exports);
      if (refused !== undefined) return refused;
      const r = start[0] === undefined ? true : this.store.runStart(start[0]);
      if (r !== true) return this.error(r);
    }
    return { exports };
  }

  private error(f: NativeFailure): WasmError {
    if (f.status === 'trap' || f.status === 'uninstantiable' || f.status === 'exhaustion') {
      return wasmError(f.status, f.message, undefined, this.store.trace());
    }
    if (f.status !== 'host') return toError(f);
    const caught = this.store.hostException;
    const e = this.hostError
      ?? (caught === undefined ? wasmError('host', f.message) : wasmError('host', `host function threw: ${describeThrown(caught.thrown)}`, caught.thrown));
    this.hostError = undefined;
    this.store.hostException = undefined;
    return e;
  }

  private toBits(v: EngineVal): bigint {
    switch (v.type) {
      case 'i32': return BigInt(v.value >>> 0);
      case 'i64': return BigInt.asUintN(64, v.value);
      case 'f32': return BigInt(v.bits >>> 0);
      case 'f64': return v.bits;
      case 'v128': throw new Error('a v128 takes two cells: writeVals and globalWrite place it');
      case 'ref.null': return 0n;
      case 'ref.func': return BigInt(v.addr) + 1n;
      case 'ref.extern': {
        let h = this.externHandles.get(v.host);
        if (h === undefined) {
          this.externs.push(v.host);
          h = this.externs.length;
          this.externHandles.set(v.host, h);
        }
        return BigInt(h);
      }
    }
  }

  private fromBits(t: ValType, bits: bigint): EngineVal {
    switch (t) {
      case 'i32': return { type: 'i32', value: Number(BigInt.asIntN(32, bits)) };
      case 'i64': return { type: 'i64', value: BigInt.asIntN(64, bits) };
      case 'f32': return { type: 'f32', bits: Number(bits & 0xffffffffn) };
      case 'f64': return { type: 'f64', bits: BigInt.asUintN(64, bits) };
      case 'v128': throw new Error('a v128 takes two cells: readVals and globalRead read it');
      case 'funcref': return bits === 0n ? { type: 'ref.null', heaptype: 'func' } : { type: 'ref.func', addr: Number(bits) - 1 };
      case 'externref': return bits === 0n ? { type: 'ref.null', heaptype: 'extern' } : { type: 'ref.extern', host: this.externs[Number(bits) - 1]! };
    }
  }

  private fromRefBits(t: ValType, bits: bigint): EngineRef {
    return this.fromBits(t, bits) as EngineRef;
  }

  funcAlloc(type: FuncType, host: EngineHostFunc): number {
    return this.store.funcAlloc(type, ({ bits, words }) => {
      let results: readonly EngineVal[] | WasmError;
      try {
        results = host(this.readVals(type.params, bits, words));
        if (!isError(results)) this.writeVals(results, bits, words);
      } catch (e) {
        // Nothing may unwind through native frames: an exception is the caller's error.
        results = wasmError('host', `host function threw: ${describeThrown(e)}`, e);
      }
      if (!isError(results)) return true;
      this.hostError = results;
      return false;
    });
  }

  /**
   * Puts `vals` in ABI cells, one each and two for a v128 (its bytes in order): i32 and f32 as 32-bit
   * words (zero-extended, as the ABI wants) without a BigInt, the rest as 64-bit cells. Numbers are
   * placed here, the rest out of line (writeCells): on the path of every call, this stays small
   * enough for V8 to inline.
   */
  private writeVals(vals: readonly EngineVal[], bits: BigUint64Array, words: Uint32Array): void {
    let c = 0;
    for (let i = 0; i < vals.length; i++) {
      const a = vals[i]!;
      if (a.type === 'i32' || a.type === 'f32') {
        words[2 * c] = a.type === 'i32' ? a.value : a.bits;
        words[2 * c + 1] = 0;
      } else if (a.type === 'i64') {
        bits[c] = BigInt.asUintN(64, a.value);
      } else if (a.type === 'f64') {
        bits[c] = a.bits;
      } else {
        c = this.writeCells(a, c, bits, words);
      }
      c++;
    }
  }

  /** A v128 or reference value in cell `c` (see writeVals); the last cell it took. */
  private writeCells(a: EngineVal, c: number, bits: BigUint64Array, words: Uint32Array): number {
    if (a.type !== 'v128') {
      bits[c] = this.toBits(a);
      return c;
    }
    new Uint8Array(words.buffer, words.byteOffset + 8 * c, 16).set(a.bytes);
    return c + 1;
  }

  /** Values of `types` from ABI cells (see writeVals): numbers read here, the rest by readCells. */
  private readVals(types: readonly ValType[], bits: BigUint64Array, words: Uint32Array): EngineVal[] {
    // Sized up front: growing an array from empty is a noticeable part of a host call.
    const vals = new Array<EngineVal>(types.length);
    let c = 0;
    for (let i = 0; i < types.length; i++) {
      const t = types[i]!;
      if (t === 'i32') vals[i] = { type: 'i32', value: words[2 * c]! | 0 };
      else if (t === 'f32') vals[i] = { type: 'f32', bits: words[2 * c]! };
      else if (t === 'i64') vals[i] = { type: 'i64', value: BigInt.asIntN(64, bits[c]!) };
      else if (t === 'f64') vals[i] = { type: 'f64', bits: bits[c]! };
      else vals[i] = this.readCells(t, c, bits, words);
      c += t === 'v128' ? 2 : 1;
    }
    return vals;
  }

  /** A v128 or reference value from cell `c` (see readVals). */
  private readCells(t: ValType, c: number, bits: BigUint64Array, words: Uint32Array): EngineVal {
    if (t !== 'v128') return this.fromBits(t, bits[c]!);
    const at = words.byteOffset + 8 * c;
    return { type: 'v128', bytes: new Uint8Array(words.buffer.slice(at, at + 16)) };
  }

  /** WASI function `id` of `wasi`, bound so that compiled code calls it with no JS on the path. */
  wasiFuncAlloc(wasi: NativeWasi, id: number): number {
    return this.store.wasiFuncAlloc(wasi, id);
  }

  /** The memory the directly bound WASI functions of `wasi` work on. */
  wasiBindMemory(wasi: NativeWasi, mem: number): void {
    this.store.wasiBindMemory(wasi, mem);
  }

  funcType(func: number): FuncType {
    return this.store.funcType(func);
  }

  funcInvoke(func: number, args: readonly EngineVal[]): EngineVal[] | WasmError {
    const type = this.store.funcType(func);
    // The thread's host slots serve nested calls (from host functions) too: see wasmo_func_invoke.
    const { bits, words } = threadHostSlots();
    this.writeVals(args, bits, words);
    const r = this.store.funcInvoke(func);
    if (r !== true) return this.error(r);
    return this.readVals(type.results, bits, words);
  }

  tableAlloc(type: TableType, init: EngineRef): number {
    checkAddrType(type, 'tables');
    const t = this.store.tableAlloc(type.reftype, type.limits.min, type.limits.max, this.toBits(init));
    if (isNativeFailure(t)) throw new NativeUnsupported(t.message);
    return t;
  }

  tableType(table: number): TableType {
    const t = this.store.tableType(table);
    const reftype = t.elem === 'externref' ? 'externref' : 'funcref';
    return { addrtype: 'i32', reftype, limits: t.max === undefined ? { min: t.size } : { min: t.size, max: t.max } };
  }

  tableSize(table: number): number {
    return this.store.tableType(table).size;
  }

  tableRead(table: number, i: number): EngineRef {
    return this.fromRefBits(this.store.tableType(table).elem, this.store.tableRead(table, i));
  }

  tableWrite(table: number, i: number, ref: EngineRef): void {
    this.store.tableWrite(table, i, this.toBits(ref));
  }

  tableGrow(table: number, n: number, init: EngineRef): boolean {
    return this.store.tableGrow(table, n, this.toBits(init));
  }

  memAlloc(type: MemType): number {
    checkAddrType(type, 'memories');
    const m = this.store.memAlloc(type.limits.min, type.limits.max);
    if (isNativeFailure(m)) throw new Error(`native engine: ${m.message}`);
    return m;
  }

  memType(mem: number): MemType {
    const m = this.store.memType(mem);
    return { addrtype: 'i32', limits: m.max === undefined ? { min: m.pages } : { min: m.pages, max: m.max } };
  }

  memSize(mem: number): number {
    return this.store.memType(mem).pages;
  }

  memBytes(mem: number): Uint8Array {
    return this.store.memBytes(mem);
  }

  memGrow(mem: number, n: number): boolean {
    return this.store.memGrow(mem, n);
  }

  globalAlloc(type: GlobalType, val: EngineVal): number {
    if (val.type !== 'v128') return this.store.globalAlloc(type.type, type.mut, this.toBits(val));
    const g = this.store.globalAlloc('v128', type.mut, 0n);
    this.store.globalWriteV128(g, val.bytes);
    return g;
  }

  globalType(global: number): GlobalType {
    const g = this.store.globalType(global);
    return { mut: g.mutable, type: g.type };
  }

  globalRead(global: number): EngineVal {
    const t = this.store.globalType(global).type;
    if (t === 'v128') return { type: 'v128', bytes: this.store.globalReadV128(global) };
    return this.fromBits(t, this.store.globalRead(global));
  }

  globalWrite(global: number, val: EngineVal): void {
    if (val.type === 'v128') this.store.globalWriteV128(global, val.bytes);
    else this.store.globalWrite(global, this.toBits(val));
  }

  // Tags and exception objects are store data that no WebAssembly 2.0 code touches: they stay on
  // this side until exception handling reaches the compiler.
  tagAlloc(type: TagType): number {
    this.tags.push(type);
    return this.tags.length - 1;
  }
  tagType(tag: number): TagType {
    return this.tags[tag]!;
  }
  exnAlloc(tag: number, fields: readonly EngineVal[]): number {
    this.exns.push({ tag, fields: [...fields] });
    return this.exns.length - 1;
  }
  exnTag(exn: number): number {
    return this.exns[exn]!.tag;
  }
  exnRead(exn: number): EngineVal[] {
    return [...this.exns[exn]!.fields];
  }
}
