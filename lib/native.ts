// The binding of host-shim's C ABI (host-shim/include/wasmo.h): the one module that imports koffi.
// Everything native goes through the typed wrappers below; statuses become values, never throws,
// except when the library itself cannot be loaded (NativeUnavailableError).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { Worker, isMainThread, threadId } from 'node:worker_threads';
import koffi, { type LibraryHandle } from 'koffi';
import type { NativeEngineName } from './engine.js';

/** host-shim's wasmo_status, as in wasmo.h. */
export const Status = {
  ok: 0, malformed: 1, invalid: 2, unlinkable: 3, uninstantiable: 4, trap: 5, exhaustion: 6,
  unsupported: 7, internal: 8, incompatible: 9, host: 10, resources: 11,
} as const;
// wasmo_func_invoke's and wasmo_func_resume's status while the wasm waits for a host function
// (WASMO_HOST_PENDING): not a failure, and never returned from this module.
const HOST_PENDING = 12;
export type StatusName = keyof typeof Status;
const statusNames = Object.keys(Status) as StatusName[];

/** A failed native call: its status and the C side's message (the spec's text for traps). */
export interface NativeFailure {
  readonly status: Exclude<StatusName, 'ok'>;
  readonly message: string;
}
export function isNativeFailure(x: unknown): x is NativeFailure {
  return typeof x === 'object' && x !== null && 'status' in x && 'message' in x;
}

/** Value type codes of the binary format, as wasmo.h's WASMO_I32 … */
export const TypeCode = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b, funcref: 0x70, externref: 0x6f } as const;
export type TypeName = keyof typeof TypeCode;
const typeNames = new Map<number, TypeName>(Object.entries(TypeCode).map(([k, v]) => [v, k as TypeName]));

export const ExternCode = { func: 0, table: 1, mem: 2, global: 3 } as const;
export type ExternName = keyof typeof ExternCode;
const externNames: ExternName[] = ['func', 'table', 'mem', 'global'];

/** The native library is not built or cannot be loaded. */
export class NativeUnavailableError extends Error {
  override readonly name = 'NativeUnavailableError';
}

const ERR_LEN = 1024;
// The compilers by their number in the C ABI (WASMO_TIER_SINGLEPASS, WASMO_TIER_OPTIMIZING,
// WASMO_TIER_TIERED).
const TIERS: readonly NativeEngineName[] = ['singlepass', 'optimizing', 'tiered'];

// koffi returns pointers as opaque objects; keep them typed apart at this module's boundary.
type Ptr = { readonly __native: unique symbol };

interface Bindings {
  validate(bytes: Uint8Array, len: number, threads: number, err: Uint8Array, errLen: number): number;
  compile(bytes: Uint8Array, len: number, tier: number, flags: number, threads: number, cpuFeatures: string | null,
    progress: ((done: number, total: number) => void) | null, out: [Ptr | null], err: Uint8Array, errLen: number): number;
  checkCpuFeatures(cpuFeatures: string, err: Uint8Array, errLen: number): number;
  engineVersion(): string;
  moduleTier(m: Ptr): number;
  moduleFree(m: Ptr): void;
  metersFuel(m: Ptr): number;
  checksBounds(m: Ptr): number;
  tierUpStats(m: Ptr, waitMs: number, optimized: [number], refused: [number], pending: [number]): number;
  storeSetTierUp(s: Ptr, threshold: number, wait: number): void;
  deserialize(bytes: Uint8Array, len: number, out: [Ptr | null], err: Uint8Array, errLen: number): number;
  loadFile(path: string, out: [Ptr | null], err: Uint8Array, errLen: number): number;
  artifact(m: Ptr, len: [number]): Ptr;
  serialize(m: Ptr, bytes: [Ptr | null], len: [number], err: Uint8Array, errLen: number): number;
  functionTiers(m: Ptr, tiers: Uint8Array, count: number): number;
  importCount(m: Ptr): number;
  exportCount(m: Ptr): number;
  exportAt(m: Ptr, i: number, name: Uint8Array, nameLen: number, kind: [number], index: [number]): number;
  moduleFuncType(m: Ptr, f: number, params: Uint8Array, np: [number], results: Uint8Array, nr: [number]): number;
  moduleGlobalType(m: Ptr, g: number, type: [number], mut: [number]): number;
  storeNew(): Ptr | null;
  hostSlots(): Ptr;
  storeFree(s: Ptr): void;
  storeSetLimits(s: Ptr, memoryPages: bigint, tableElements: bigint, wasmStack: bigint): void;
  storeInterruptAfter(s: Ptr, timeoutNs: bigint): void;
  storeSetFuel(s: Ptr, fuel: number): void;
  storeSetMemory(s: Ptr, reservation: number, guard: number): void;
  storeGetFuel(s: Ptr): number | bigint;
  interruptAll(): void;
  tierUpStop(): void;
  setThreadOwner(owner: number): void;
  interruptOwner(owner: number): void;
  instantiate(s: Ptr, m: Ptr, imports: Uint32Array, n: number, exports: Uint32Array, start: [number] | null, err: Uint8Array, errLen: number): number;
  traceLength(s: Ptr): number;
  traceFrame(s: Ptr, i: number, func: [number], name: Uint8Array, nameLen: number): number;
  funcAlloc(s: Ptr, params: Uint8Array, np: number, results: Uint8Array, nr: number, out: [number]): number;
  funcType(s: Ptr, f: number, params: Uint8Array, np: [number], results: Uint8Array, nr: [number]): number;
  funcInvoke(s: Ptr, f: number): number;
  funcResume(s: Ptr, token: number, ok: number): number;
  storeMessage(s: Ptr, buf: Uint8Array, len: number): number;
  tableAlloc(s: Ptr, elem: number, min: bigint, max: bigint, init: bigint, out: [number], err: Uint8Array, errLen: number): number;
  tableType(s: Ptr, t: number, elem: [number], min: [bigint | number], max: [bigint | number]): void;
  tableRead(s: Ptr, t: number, i: number): bigint | number;
  tableWrite(s: Ptr, t: number, i: number, ref: bigint): void;
  tableGrow(s: Ptr, t: number, n: number, init: bigint): number;
  memAlloc(s: Ptr, min: bigint, max: bigint, out: [number], err: Uint8Array, errLen: number): number;
  memType(s: Ptr, m: number, min: [bigint | number], max: [bigint | number]): void;
  memData(s: Ptr, m: number): Ptr | null;
  memGrow(s: Ptr, m: number, n: number): number;
  globalAlloc(s: Ptr, type: number, mut: number, bits: bigint, out: [number]): number;
  globalType(s: Ptr, g: number, type: [number], mut: [number]): void;
  globalRead(s: Ptr, g: number): bigint | number;
  globalWrite(s: Ptr, g: number, bits: bigint): void;
  globalReadV128(s: Ptr, g: number, cells: BigUint64Array): void;
  globalWriteV128(s: Ptr, g: number, cells: BigUint64Array): void;
  wasiFunctionCount(): number;
  wasiFunction(id: number, name: Uint8Array, nameLen: number, params: Uint8Array, np: [number], nr: [number]): number;
  wasiNew(args: readonly string[], argc: number, env: readonly string[], envc: number,
    hosts: readonly string[], guests: readonly string[], readonly: Uint8Array, npreopens: number,
    stdio: Int32Array, stdinData: Uint8Array, stdinLen: number, flags: number,
    out: [Ptr | null], err: Uint8Array, errLen: number): number;
  wasiFree(w: Ptr): void;
  wasiCall(w: Ptr, id: number, args: BigUint64Array, mem: Uint8Array, memLen: number): number;
  wasiExitCode(w: Ptr): number | bigint;
  wasiOutput(w: Ptr, fd: number, buf: Uint8Array, len: number): number | bigint;
  wasiFuncAlloc(s: Ptr, w: Ptr, id: number, out: [number]): number;
  wasiBindMemory(w: Ptr, s: Ptr, mem: number): number;
}

/**
 * Where the library is: $WASMO_NATIVE_LIB; else build/native/ of a source checkout (what the last
 * native build made, from lib/ or dist/lib/); else the copy the package ships in dist/native/.
 */
function libraryPath(): string {
  const fromEnv = process.env['WASMO_NATIVE_LIB'];
  if (fromEnv) return fromEnv;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new NativeUnavailableError(`the native engine generates x86-64 code for Linux; this is ${process.platform}-${process.arch}`);
  }
  const candidates = ['../build/native/libwasmo.so', '../../build/native/libwasmo.so', '../native/libwasmo.so', '../dist/native/libwasmo.so']
    .map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const found = candidates.find((p) => existsSync(p));
  if (!found) {
    throw new NativeUnavailableError(
      `the native engine is not built (looked for ${candidates.join(', ')}); in a checkout, build it with ` +
      '`npm run build:native` (Debian 12: scripts/debian-deps.sh installs what it needs)');
  }
  return found;
}

/**
 * Which build of the native engine this is, its engine version: package.json's version and a hash
 * of every native source and the toolchain (artifacts of another build are refused; a cache keys
 * by it to avoid the retry). libwasmo-llvm.so, which makes optimized code, is of the same build
 * (libwasmo.so refuses another's).
 */
let build: string | undefined;
export function engineBuild(): string {
  build ??= load().engineVersion();
  return build;
}

let bindings: Bindings | undefined;

function load(): Bindings {
  if (bindings) return bindings;
  const path = libraryPath();
  let lib: LibraryHandle;
  try {
    lib = koffi.load(path);
  } catch (e) {
    throw new NativeUnavailableError(`cannot load the native engine from ${path}: ${(e as Error).message}`);
  }
  // Named pointer types: the signatures below refer to them by name.
  koffi.pointer('wasmo_module', koffi.opaque());
  koffi.pointer('wasmo_store', koffi.opaque());
  koffi.proto('void wasmo_progress_fn(uint32_t done, uint32_t total)');
  koffi.pointer('wasmo_wasi', koffi.opaque());
  const f = (sig: string): ReturnType<LibraryHandle['func']> => lib.func(sig);
  const b = {
    validate: f('int wasmo_module_validate(const uint8_t *bytes, size_t len, uint32_t threads, _Out_ uint8_t *err, size_t err_len)'),
    // `progress` is called back during the call only, on this thread: a JS function passes as is.
    compile: f('int wasmo_module_compile(const uint8_t *bytes, size_t len, uint32_t tier, uint32_t flags, uint32_t threads, const char *cpu_features, wasmo_progress_fn *progress, _Out_ wasmo_module *out, _Out_ uint8_t *err, size_t err_len)'),
    checkCpuFeatures: f('int wasmo_cpu_features_check(const char *cpu_features, _Out_ uint8_t *err, size_t err_len)'),
    engineVersion: f('const char *wasmo_engine_version()'),
    moduleTier: f('uint32_t wasmo_module_tier(wasmo_module m)'),
    moduleFree: f('void wasmo_module_free(wasmo_module m)'),
    metersFuel: f('int wasmo_module_meters_fuel(wasmo_module m)'),
    checksBounds: f('int wasmo_module_checks_bounds(wasmo_module m)'),
    tierUpStats: f('int wasmo_module_tier_up_stats(wasmo_module m, uint32_t wait_ms, _Out_ uint32_t *optimized, _Out_ uint32_t *refused, _Out_ uint32_t *pending)'),
    storeSetTierUp: f('void wasmo_store_set_tier_up(wasmo_store s, uint32_t threshold, int wait)'),
    deserialize: f('int wasmo_module_deserialize(const uint8_t *bytes, size_t len, _Out_ wasmo_module *out, _Out_ uint8_t *err, size_t err_len)'),
    loadFile: f('int wasmo_module_load_file(const char *path, _Out_ wasmo_module *out, _Out_ uint8_t *err, size_t err_len)'),
    artifact: f('const uint8_t *wasmo_module_artifact(wasmo_module m, _Out_ size_t *len)'),
    serialize: f('int wasmo_module_serialize(wasmo_module m, _Out_ void **bytes, _Out_ size_t *len, _Out_ uint8_t *err, size_t err_len)'),
    functionTiers: f('int wasmo_module_function_tiers(wasmo_module m, _Out_ uint8_t *tiers, uint32_t count)'),
    importCount: f('uint32_t wasmo_module_import_count(wasmo_module m)'),
    exportCount: f('uint32_t wasmo_module_export_count(wasmo_module m)'),
    exportAt: f('int wasmo_module_export(wasmo_module m, uint32_t i, _Out_ uint8_t *name, size_t name_len, _Out_ uint32_t *kind, _Out_ uint32_t *index)'),
    moduleFuncType: f('int wasmo_module_func_type(wasmo_module m, uint32_t f, _Out_ uint8_t *params, _Out_ uint32_t *np, _Out_ uint8_t *results, _Out_ uint32_t *nr)'),
    moduleGlobalType: f('int wasmo_module_global_type(wasmo_module m, uint32_t g, _Out_ uint8_t *type, _Out_ uint8_t *mut)'),
    storeNew: f('wasmo_store wasmo_store_new()'),
    hostSlots: f('uint64_t *wasmo_host_slots()'),
    storeFree: f('void wasmo_store_free(wasmo_store s)'),
    storeSetLimits: f('void wasmo_store_set_limits(wasmo_store s, uint64_t memory_pages, uint64_t table_elements, uint64_t wasm_stack)'),
    storeInterruptAfter: f('void wasmo_store_interrupt_after(wasmo_store s, uint64_t timeout_ns)'),
    storeSetFuel: f('void wasmo_store_set_fuel(wasmo_store s, uint64_t fuel)'),
    storeSetMemory: f('void wasmo_store_set_memory(wasmo_store s, uint64_t reservation, uint64_t guard)'),
    storeGetFuel: f('int64_t wasmo_store_get_fuel(wasmo_store s)'),
    interruptAll: f('void wasmo_interrupt_all()'),
    tierUpStop: f('void wasmo_tier_up_stop()'),
    setThreadOwner: f('void wasmo_set_thread_owner(uint64_t owner)'),
    interruptOwner: f('void wasmo_interrupt_owner(uint64_t owner)'),
    instantiate: f('int wasmo_store_instantiate(wasmo_store s, wasmo_module m, const uint32_t *imports, uint32_t n, _Out_ uint32_t *exports, _Out_ uint32_t *start, _Out_ uint8_t *err, size_t err_len)'),
    traceLength: f('uint32_t wasmo_store_trace_length(wasmo_store s)'),
    traceFrame: f('int wasmo_store_trace_frame(wasmo_store s, uint32_t i, _Out_ uint32_t *func, _Out_ uint8_t *name, size_t name_len)'),
    funcAlloc: f('int wasmo_func_alloc(wasmo_store s, const uint8_t *params, uint32_t np, const uint8_t *results, uint32_t nr, _Out_ uint32_t *out)'),
    funcType: f('int wasmo_func_type(wasmo_store s, uint32_t f, _Out_ uint8_t *params, _Out_ uint32_t *np, _Out_ uint8_t *results, _Out_ uint32_t *nr)'),
    funcInvoke: f('int wasmo_func_invoke(wasmo_store s, uint32_t f)'),
    funcResume: f('int wasmo_func_resume(wasmo_store s, uint32_t token, int ok)'),
    storeMessage: f('size_t wasmo_store_message(wasmo_store s, _Out_ uint8_t *buf, size_t len)'),
    tableAlloc: f('int wasmo_table_alloc(wasmo_store s, uint8_t elem, uint64_t min, uint64_t max, uint64_t init, _Out_ uint32_t *out, _Out_ uint8_t *err, size_t err_len)'),
    tableType: f('void wasmo_table_type(wasmo_store s, uint32_t t, _Out_ uint8_t *elem, _Out_ uint64_t *min, _Out_ uint64_t *max)'),
    tableRead: f('uint64_t wasmo_table_read(wasmo_store s, uint32_t t, uint64_t i)'),
    tableWrite: f('void wasmo_table_write(wasmo_store s, uint32_t t, uint64_t i, uint64_t ref)'),
    tableGrow: f('int wasmo_table_grow(wasmo_store s, uint32_t t, uint64_t n, uint64_t init)'),
    memAlloc: f('int wasmo_mem_alloc(wasmo_store s, uint64_t min, uint64_t max, _Out_ uint32_t *out, _Out_ uint8_t *err, size_t err_len)'),
    memType: f('void wasmo_mem_type(wasmo_store s, uint32_t m, _Out_ uint64_t *min, _Out_ uint64_t *max)'),
    memData: f('void *wasmo_mem_data(wasmo_store s, uint32_t m)'),
    memGrow: f('int wasmo_mem_grow(wasmo_store s, uint32_t m, uint64_t n)'),
    globalAlloc: f('int wasmo_global_alloc(wasmo_store s, uint8_t type, uint8_t mut, uint64_t bits, _Out_ uint32_t *out)'),
    globalType: f('void wasmo_global_type(wasmo_store s, uint32_t g, _Out_ uint8_t *type, _Out_ uint8_t *mut)'),
    globalRead: f('uint64_t wasmo_global_read(wasmo_store s, uint32_t g)'),
    globalWrite: f('void wasmo_global_write(wasmo_store s, uint32_t g, uint64_t bits)'),
    globalReadV128: f('void wasmo_global_read_v128(wasmo_store s, uint32_t g, _Out_ uint64_t *cells)'),
    globalWriteV128: f('void wasmo_global_write_v128(wasmo_store s, uint32_t g, const uint64_t *cells)'),
    wasiFunctionCount: f('uint32_t wasmo_wasi_function_count()'),
    wasiFunction: f('int wasmo_wasi_function(uint32_t id, _Out_ uint8_t *name, size_t name_len, _Out_ uint8_t *params, _Out_ uint32_t *np, _Out_ uint32_t *nr)'),
    wasiNew: f('int wasmo_wasi_new(const char **args, uint32_t argc, const char **env, uint32_t envc, const char **hosts, const char **guests, const uint8_t *readonly, uint32_t npreopens, const int32_t *stdio, const uint8_t *stdin_data, size_t stdin_len, uint32_t flags, _Out_ wasmo_wasi *out, _Out_ uint8_t *err, size_t err_len)'),
    wasiFree: f('void wasmo_wasi_free(wasmo_wasi w)'),
    // `mem` is the guest memory itself: koffi hands native code a pointer into the buffer, no copy.
    wasiCall: f('int32_t wasmo_wasi_call(wasmo_wasi w, uint32_t id, const uint64_t *args, uint8_t *mem, size_t mem_len)'),
    wasiExitCode: f('int64_t wasmo_wasi_exit_code(wasmo_wasi w)'),
    wasiOutput: f('size_t wasmo_wasi_output(wasmo_wasi w, uint32_t fd, _Out_ uint8_t *buf, size_t len)'),
    wasiFuncAlloc: f('int wasmo_wasi_func_alloc(wasmo_store s, wasmo_wasi w, uint32_t id, _Out_ uint32_t *out)'),
    wasiBindMemory: f('int wasmo_wasi_bind_memory(wasmo_wasi w, wasmo_store s, uint32_t mem)'),
  };
  bindings = b as unknown as Bindings;
  bindings.setThreadOwner(threadId);
  return bindings;
}

/** One call of a trivial C function through koffi: the floor under every crossing (benchmarks). */
export function nativeNoop(): number {
  return load().wasiFunctionCount();
}

/**
 * Compiled code checks for interrupts only at calls and loop headers, and JS cannot run while it
 * spins, so node could neither exit nor terminate a worker running it. Wasm stops instead: every
 * store's when the process exits, and a worker's own stores when a Worker object terminates it
 * (in any thread that imported wasmo, whether or not it used the native engine itself).
 */
function stopWasmWithThreads(): void {
  const withNative = (f: (b: Bindings) => void): void => {
    if (nativeAvailable() === true) f(load());
  };
  process.on('exit', () => withNative((b) => {
    b.interruptAll();
    // Before node's teardown and the static destructors: tier-up's compiler must not run under them.
    if (isMainThread) b.tierUpStop();
  }));
  const proto = Worker.prototype as { terminate: Worker['terminate']; [wrapped]?: true };
  if (proto[wrapped]) return;
  const terminate = proto.terminate;
  proto.terminate = function (this: Worker, ...args: Parameters<Worker['terminate']>) {
    const owner = this.threadId;
    withNative((b) => b.interruptOwner(owner));
    return terminate.apply(this, args);
  };
  proto[wrapped] = true;
}
const wrapped = Symbol.for('wasmo.terminate-interrupts');
stopWasmWithThreads();

/** Is the native library loadable here? (The message says why not.) */
export function nativeAvailable(): true | NativeUnavailableError {
  try {
    load();
    return true;
  } catch (e) {
    if (e instanceof NativeUnavailableError) return e;
    throw e;
  }
}

function cString(buf: Uint8Array): string {
  const end = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, end < 0 ? buf.length : end));
}

function failure(status: number, err: Uint8Array): NativeFailure {
  const name = statusNames[status];
  if (name === undefined || name === 'ok') return { status: 'internal', message: `unknown native status ${status}` };
  return { status: name, message: cString(err) };
}

export interface NativeFuncType {
  readonly params: readonly TypeName[];
  readonly results: readonly TypeName[];
}
export interface NativeExport {
  readonly name: string;
  readonly kind: ExternName;
  readonly index: number;
}

/** The type codes of a function type from the C side's 256-byte arrays. */
function funcTypeFrom(params: Uint8Array, np: number, results: Uint8Array, nr: number): NativeFuncType {
  return { params: [...params.subarray(0, np)].map(typeName), results: [...results.subarray(0, nr)].map(typeName) };
}

function typeName(code: number): TypeName {
  const t = typeNames.get(code);
  if (t === undefined) throw new Error(`native: unknown value type code ${code}`);
  return t;
}

/**
 * How a native compile uses the machine (beyond the appendix). Function bodies are validated and
 * compiled on several threads; the code, the artifact and every error are the same whatever their
 * number.
 */
export interface CompileOptions {
  /** Threads to compile on: a positive integer; by default $WASMO_COMPILE_THREADS, else one per
   *  hardware thread. */
  readonly threads?: number;
  /** Called about every 100 ms while function bodies compile (on the thread that compiles, during
   *  the call that compiles): how many are done, of how many; and with both equal at the end if it
   *  was called before. Singlepass only: the optimizing engine does not report progress yet. */
  readonly progress?: (done: number, total: number) => void;
  /** The x86-64 CPU features beyond SSE2 that native code may use, of `popcnt`, `sse4.1`, `sse4.2`
   *  and `avx` (like wasmtime's target features): by default $WASMO_CPU_FEATURES (the names
   *  comma-separated), else all this CPU has. Fewer make code that runs on older CPUs (an artifact
   *  records the features its code uses, and loading refuses code the CPU cannot run); `[]` means
   *  SSE2 only, where singlepass leaves SIMD and the float rounding instructions to the reference
   *  engine. A name this engine does not know, or a feature this CPU lacks, fails the compile with
   *  an `incompatible` error naming it. */
  readonly cpuFeatures?: readonly string[];
}

/** The calls and loop iterations a function runs on singlepass code before tier-up, by default
 *  (host-shim/runtime/tier_up.h kDefaultTierUpThreshold). */
export const DEFAULT_TIER_UP_THRESHOLD = 10_000;

/**
 * How the `tiered` engine switches functions to optimized code (beyond the appendix).
 */
export interface TierUpOptions {
  /** Calls plus loop iterations of a function, counted per instance, after which it is compiled by
   *  the optimizing compiler in the background: an integer from 0 to 2^31 - 1; by default
   *  $WASMO_TIER_UP_THRESHOLD, else 10,000. 0 compiles each function on its first call. A function
   *  whose body is larger than 16 KiB is refused instead, and stays on singlepass code: its compile
   *  would take longer than it saves (host-shim/runtime/tier_up.h kMaxTierUpBodyBytes). */
  readonly threshold?: number;
  /** The wasm code whose count runs out waits until its function is compiled (instead of going on
   *  on singlepass code), so tests see tier-up at a known point; by default $WASMO_TIER_UP_WAIT=1. */
  readonly wait?: boolean;
}

/** A tiered module's functions: running optimized code, refused by the optimizing compiler (they
 *  stay on singlepass code: bodies larger than 16 KiB, and none else should be), and queued or
 *  compiling. */
export interface TierUpStats {
  readonly optimized: number;
  readonly refused: number;
  readonly pending: number;
}

/** The tier-up options of a store: `options` completed from $WASMO_TIER_UP_THRESHOLD and
 *  $WASMO_TIER_UP_WAIT; a threshold out of range throws a RangeError naming `what`. */
export function tierUpOptions(options: TierUpOptions | undefined, what: string): Required<TierUpOptions> {
  const env = process.env['WASMO_TIER_UP_THRESHOLD'];
  const threshold = options?.threshold ?? (env === undefined || env === '' ? DEFAULT_TIER_UP_THRESHOLD : Number(env));
  if (!Number.isInteger(threshold) || threshold < 0 || threshold > 0x7fffffff) {
    throw new RangeError(`${what}: the tier-up threshold is an integer from 0 to 2^31 - 1, not ${options?.threshold ?? env}`);
  }
  return { threshold, wait: options?.wait ?? process.env['WASMO_TIER_UP_WAIT'] === '1' };
}

/** How NativeModule.compile compiles: as CompileOptions says, with fuel metering if `meterFuel`
 *  (the code charges fuel, for stores that meter it: see NativeStore.setFuel), and with explicit
 *  bounds checks if `boundsChecks` (for stores with small memory reservations: NativeStore.setMemory). */
export interface NativeCompileOptions extends CompileOptions {
  readonly meterFuel?: boolean;
  readonly boundsChecks?: boolean;
}

/** Checks a thread count given as an option: a positive integer, at most 1024. */
export function checkThreads(threads: number, what: string): number {
  if (!Number.isInteger(threads) || threads < 1 || threads > 1024) {
    throw new RangeError(`${what}: the number of compile threads is an integer from 1 to 1024, not ${threads}`);
  }
  return threads;
}

/** The thread count to pass: the option, else $WASMO_COMPILE_THREADS, else 0 (one per hardware thread). */
function compileThreads(options: CompileOptions | undefined): number {
  if (options?.threads !== undefined) return checkThreads(options.threads, 'threads');
  const env = process.env['WASMO_COMPILE_THREADS'];
  return env === undefined || env === '' ? 0 : checkThreads(Number(env), 'WASMO_COMPILE_THREADS');
}

/** The CPU features to compile for, comma-separated: the option, else $WASMO_CPU_FEATURES, else
 *  null (all the host has). */
export function cpuFeatureList(options: CompileOptions | undefined): string | null {
  if (options?.cpuFeatures !== undefined) return options.cpuFeatures.join(',');
  return process.env['WASMO_CPU_FEATURES'] ?? null;
}

/** Would a compile accept these CPU features (CompileOptions.cpuFeatures)? The failure says why not:
 *  an unknown name, or a feature this CPU lacks (`incompatible`). */
export function checkCpuFeatures(cpuFeatures: readonly string[]): true | NativeFailure {
  const err = new Uint8Array(ERR_LEN);
  const status = load().checkCpuFeatures(cpuFeatures.join(','), err, ERR_LEN);
  return status === Status.ok ? true : failure(status, err);
}

/** Decode and validate only. */
export function validate(bytes: Uint8Array, options?: CompileOptions): true | NativeFailure {
  const b = load();
  const err = new Uint8Array(ERR_LEN);
  const status = b.validate(bytes, bytes.length, compileThreads(options), err, ERR_LEN);
  return status === Status.ok ? true : failure(status, err);
}

/** Runs a C constructor of modules: the module, or the failure it reported. */
function made(call: (out: [Ptr | null], err: Uint8Array) => number): Ptr | NativeFailure {
  return withReclamation(() => {
    const err = new Uint8Array(ERR_LEN);
    const out: [Ptr | null] = [null];
    const status = call(out, err);
    if (status !== Status.ok || out[0] === null) return failure(status, err);
    return out[0];
  });
}

/**
 * A module compiled by one of the native compilers (`tier`); free() releases its code. Every module is loaded
 * from an artifact (host-shim/artifact/): compiling makes one and loads it from memory,
 * `deserialize` and `loadFile` load one made earlier, `serialize` gives its bytes back. Instances
 * keep its code alive after free().
 */
export class NativeModule {
  private constructor(private handle: Ptr | null) {
    const b = load();
    track(this, () => b.moduleFree(handle!));
  }

  private static of(p: Ptr | NativeFailure): NativeModule | NativeFailure {
    return isNativeFailure(p) ? p : new NativeModule(p);
  }

  static compile(bytes: Uint8Array, tier: NativeEngineName = 'singlepass', options: NativeCompileOptions = {}): NativeModule | NativeFailure {
    const b = load();
    const threads = compileThreads(options);
    const progress = options.progress ?? null;
    const flags = (options.meterFuel === true ? 1 : 0) | (options.boundsChecks === true ? 2 : 0);
    return NativeModule.of(made((out, err) => b.compile(bytes, bytes.length, TIERS.indexOf(tier), flags, threads, cpuFeatureList(options), progress, out, err, ERR_LEN)));
  }

  /** The compiler that made the code (an artifact records it). */
  tier(): NativeEngineName {
    const tier = TIERS[load().moduleTier(this.ptr())];
    if (tier === undefined) throw new Error('native module of an unknown tier');
    return tier;
  }

  /** Does the code charge fuel? */
  get metersFuel(): boolean {
    return load().metersFuel(this.ptr()) === 1;
  }

  /** Does the code check memory bounds explicitly? */
  get checksBounds(): boolean {
    return load().checksBounds(this.ptr()) === 1;
  }

  /** A tiered module's tier-up so far (see TierUpStats), after waiting up to `waitMs` for the
   *  functions queued to be compiled; undefined for a module of another tier. */
  tierUpStats(waitMs = 0): TierUpStats | undefined {
    const optimized: [number] = [0], refused: [number] = [0], pending: [number] = [0];
    if (load().tierUpStats(this.ptr(), waitMs, optimized, refused, pending) !== Status.ok) return undefined;
    return { optimized: optimized[0], refused: refused[0], pending: pending[0] };
  }

  /**
   * Loads an artifact from bytes. A corrupted one fails with status 'malformed', one made by
   * another format, engine, CPU or configuration with 'incompatible'; the message names the problem.
   */
  static deserialize(bytes: Uint8Array): NativeModule | NativeFailure {
    const b = load();
    return NativeModule.of(made((out, err) => b.deserialize(bytes, bytes.length, out, err, ERR_LEN)));
  }

  /** Loads an artifact by reading the file into code memory of its own; failures as deserialize ('malformed' when unreadable). */
  static loadFile(path: string): NativeModule | NativeFailure {
    const b = load();
    return NativeModule.of(made((out, err) => b.loadFile(path, out, err, ERR_LEN)));
  }

  /** The artifact this module was loaded from, byte for byte. */
  serialize(): Uint8Array {
    return this.artifactView().slice();
  }

  /**
   * The module's artifact as its code is now, for tiered code with the optimized code of the
   * functions tier-up compiled since it was loaded (each function's tier recorded, so that loading
   * it starts them optimized), otherwise serialize()'s: given to `use` in the engine's memory,
   * valid until `use` returns (a copy of a large artifact costs as much as writing it to a file).
   */
  withCurrentArtifact<T>(use: (bytes: Uint8Array) => T): T | NativeFailure {
    const err = new Uint8Array(ERR_LEN);
    const bytes: [Ptr | null] = [null];
    const len: [number] = [0];
    const status = load().serialize(this.ptr(), bytes, len, err, ERR_LEN);
    if (status !== Status.ok || bytes[0] === null) return failure(status, err);
    return use(new Uint8Array(koffi.view(bytes[0], len[0])));
  }

  /** A tiered module's tier per defined function (`count` of them): which code its calls run now;
   *  undefined for a module of another tier. */
  functionTiers(count: number): ('singlepass' | 'optimizing')[] | undefined {
    const tiers = new Uint8Array(count);
    if (load().functionTiers(this.ptr(), tiers, count) !== Status.ok) return undefined;
    return [...tiers].map((t) => (t === 1 ? 'optimizing' : 'singlepass'));
  }

  /**
   * @internal The artifact in place, without a copy (for a file, the copy read from it): valid
   * until free(), and read-only — writing to it crashes the process.
   */
  artifactView(): Uint8Array {
    const len: [number] = [0];
    const p = load().artifact(this.ptr(), len);
    return new Uint8Array(koffi.view(p, len[0]));
  }

  /** @internal the live handle; throws after free(). */
  ptr(): Ptr {
    if (this.handle === null) throw new Error('native module used after free()');
    return this.handle;
  }

  get importCount(): number {
    return load().importCount(this.ptr());
  }

  get exportCount(): number {
    return load().exportCount(this.ptr());
  }

  /** The exports with their index in the module's index spaces. */
  exports(): NativeExport[] {
    const b = load();
    const n = b.exportCount(this.ptr());
    const result: NativeExport[] = [];
    for (let i = 0; i < n; i++) {
      const name = new Uint8Array(ERR_LEN);
      const kind: [number] = [0];
      const index: [number] = [0];
      b.exportAt(this.ptr(), i, name, ERR_LEN, kind, index);
      result.push({ name: cString(name), kind: externNames[kind[0]]!, index: index[0] });
    }
    return result;
  }

  /** The type of function `func` of the module's index space. */
  funcType(func: number): NativeFuncType {
    const params = new Uint8Array(256);
    const results = new Uint8Array(256);
    const np: [number] = [0];
    const nr: [number] = [0];
    if (load().moduleFuncType(this.ptr(), func, params, np, results, nr) !== Status.ok) {
      throw new RangeError(`native: no function ${func}`);
    }
    return funcTypeFrom(params, np[0], results, nr[0]);
  }

  globalType(global: number): { readonly type: TypeName; readonly mutable: boolean } {
    const type: [number] = [0];
    const mut: [number] = [0];
    if (load().moduleGlobalType(this.ptr(), global, type, mut) !== Status.ok) throw new RangeError(`native: no global ${global}`);
    return { type: typeName(type[0]), mutable: mut[0] === 1 };
  }

  free(): void {
    if (this.handle !== null) load().moduleFree(this.handle);
    untrack(this);
    this.handle = null;
  }
}

/**
 * A host function as the native store calls it: `slots` hold the arguments' bits and receive the
 * results'. It returns true, or false when it failed (its caller then gets status 'host'); it should
 * not throw (what it throws is kept in NativeStore.hostException, and the call fails).
 */
export type NativeHostFunc = (slots: HostSlots) => boolean;

/**
 * The calling thread's host slots (wasmo_host_slots), where every host function call passes its
 * values: as 64-bit slots, and as 32-bit words for i32 and f32 values (slot i's low word is
 * words[2i]) so that those need no BigInt.
 */
export interface HostSlots {
  readonly bits: BigUint64Array;
  readonly words: Uint32Array;
}

// wasmo.h: WASMO_HOST_SLOTS cells of values, then the host function called (WASMO_HOST_CALL) and
// the token of its suspended call (WASMO_HOST_TOKEN), by their low words.
const HOST_SLOTS = 2000;
const CALL_FUNC = 2 * HOST_SLOTS;
/** The index in HostSlots.words of the token of the host call in progress (NativeStore.endHostCall). */
export const CALL_TOKEN = CALL_FUNC + 2;
let hostSlots: HostSlots | undefined;

/**
 * This thread's host slots, where host function calls and func_invoke pass their values; one view,
 * made on first use (a thread loads this module once).
 */
export function threadHostSlots(): HostSlots {
  if (hostSlots === undefined) {
    const buffer = koffi.view(load().hostSlots(), (HOST_SLOTS + 2) * 8);
    hostSlots = { bits: new BigUint64Array(buffer, 0, HOST_SLOTS), words: new Uint32Array(buffer) };
  }
  return hostSlots;
}

// Counts the moments a memory may have grown unseen (wasm entered or left, a host function called):
// a memory's view stays good while this does not move.
let wasmRuns = 0;

// The calls into wasm in progress on this thread (NativeStore.funcInvoke frames), outermost first:
// the first `depth` entries, each one's store, and the token of the host call its wasm waits for
// (0 while it waits for none). A frame removes itself, and any left above it, when it ends. An
// execution that V8 terminates (a vm timeout, SIGINT with breakOnSigint, worker.terminate()) unwinds
// without running a finally: its frames stay, and their stores could not be freed, though their
// calls will never be resumed. vm's timeout and SIGINT are the terminations that JS runs on after
// (a terminated worker runs no more JS): the executions vm runs are watched, and the frames a
// terminated one left end when it does (endAbandoned). A counter, not the array's length: setting
// that is a call into V8's runtime, a noticeable part of a call.
const invoking: (NativeStore | undefined)[] = [];
const invokingTokens: number[] = [];
let depth = 0;

/** Ends the calls of the frames from `frame` on, whose JS is gone: their wasm waiting for a host
 *  function ends with a host error (leaving this thread's wasm stack), their stores can be freed. */
function endAbandoned(frame: number): void {
  for (let i = frame; i < depth; i++) {
    // The outermost suspended call ends the ones nested in it; their tokens then name nothing.
    if (invokingTokens[i] !== 0) invoking[i]!.endHostCall(invokingTokens[i]!);
    invoking[i] = undefined;
  }
  depth = frame;
  wasmRuns++;
}

/**
 * Makes vm's executions (vm.Script's runInContext, which runInNewContext and vm.runIn*Context call,
 * and runInThisContext) end the calls their termination abandoned. The methods are wrapped once per
 * thread; each copy of this module loaded in it registers its own ending.
 */
function endAbandonedCallsAfterVm(): void {
  type Run = (this: vm.Script, ...args: unknown[]) => unknown;
  const key = Symbol.for('wasmo.vm-abandoned-calls');
  const global = globalThis as { [key]?: Set<{ readonly mark: () => number; readonly end: (mark: number) => void }> };
  let copies = global[key];
  if (copies === undefined) {
    const all = (copies = global[key] = new Set());
    const proto = vm.Script.prototype as unknown as Record<'runInContext' | 'runInThisContext', Run>;
    for (const name of ['runInContext', 'runInThisContext'] as const) {
      const run = proto[name];
      proto[name] = function (this: vm.Script, ...args: unknown[]) {
        const marks = [...all].map((c) => [c, c.mark()] as const);
        try {
          return run.apply(this, args);
        } finally {
          for (const [c, mark] of marks) c.end(mark);
        }
      };
    }
  }
  copies.add({ mark: () => depth, end: (mark) => { if (depth > mark) endAbandoned(mark); } });
}
endAbandonedCallsAfterVm();

// Stores and modules dropped without store_free / free() are freed by their finalizers, which V8
// runs only between jobs, and only after collections the JS heap's own use decides: a synchronous
// loop of instantiations would run out of address space (8 GiB per memory) or of memory mappings
// (vm.max_map_count: code, memories) long before. So two things free the unreachable ones at once
// with a full collection and FinalizationRegistry.prototype.cleanupSome: an allocation that fails
// with WASMO_RESOURCES (then tried again), and the number of native objects not yet freed passing
// a threshold that doubles with the number still live after a collection. Both V8 features are
// behind flags, set only while a private context is made (later contexts, and the embedder's, see
// neither); where they are missing, finalizers run when V8 runs them. Made with the first native
// object, so loading wasmo without one costs nothing.
interface Reclamation {
  readonly finalizer: FinalizationRegistry<() => void>;
  readonly reclaim: () => void;
}
let reclamation: Reclamation | undefined;
function makeReclamation(): Reclamation {
  const free = (release: () => void): void => {
    live--;
    release();
  };
  try {
    v8.setFlagsFromString('--expose-gc');
    v8.setFlagsFromString('--harmony-weak-refs-with-cleanup-some');
    const [gc, Registry] = vm.runInNewContext('[globalThis.gc, FinalizationRegistry]') as [(() => void) | undefined, typeof FinalizationRegistry];
    const finalizer = new Registry<() => void>(free) as FinalizationRegistry<() => void> & { cleanupSome?: () => void };
    const { cleanupSome } = finalizer;
    if (gc !== undefined && typeof cleanupSome === 'function') {
      return { finalizer, reclaim: () => { gc(); cleanupSome.call(finalizer); } };
    }
  } catch {
    // A V8 without these flags: no reclamation under pressure.
  } finally {
    v8.setFlagsFromString('--no-expose-gc');
    v8.setFlagsFromString('--no-harmony-weak-refs-with-cleanup-some');
  }
  return { finalizer: new FinalizationRegistry<() => void>(free), reclaim: () => {} };
}

// Native objects (stores, modules) made and not yet freed, and the count at which to reclaim.
const RECLAIM_FLOOR = 4096;
let live = 0;
let reclaimAt = RECLAIM_FLOOR;

/** Registers a new native object, to be released by `release` if `owner` is collected unfreed. */
function track(owner: object, release: () => void): void {
  const r = (reclamation ??= makeReclamation());
  r.finalizer.register(owner, release, owner);
  if (++live > reclaimAt) {
    r.reclaim();
    reclaimAt = Math.max(RECLAIM_FLOOR, 2 * live);
  }
}

/** The object `owner` was freed explicitly. */
function untrack(owner: object): void {
  if (reclamation?.finalizer.unregister(owner) === true) live--;
}

/** @internal Native objects made and not yet freed (for tests). */
export function liveNativeObjects(): number {
  return live;
}

/** Runs `allocate`; if it ran out of address space or mappings, once more after reclaiming. */
function withReclamation<T>(allocate: () => T | NativeFailure): T | NativeFailure {
  const first = allocate();
  if (!isNativeFailure(first) || first.status !== 'resources') return first;
  reclamation?.reclaim();
  return allocate();
}
/** wasmo_store_instantiate's start address for a module without a start function. */
const NO_START = 0xffffffff;

/** Limits at the ABI: a missing maximum is WASMO_NO_MAX. */
const NO_MAX = 0xffffffffffffffffn;
function maxOf(max: bigint | number): number | undefined {
  const m = BigInt(max);
  return m === NO_MAX ? undefined : Number(m);
}

/**
 * A native store (spec 4.2.3): functions, tables, memories and globals by address. Reference values
 * cross as bits: 0 null, a funcref its address + 1, an externref the caller's non-zero handle.
 */
export class NativeStore {
  private handle: Ptr | null;
  // By function address: arrays, as a Map look-up would be a noticeable part of a call.
  private readonly hosts: (NativeHostFunc | undefined)[] = [];
  private readonly types: (NativeFuncType | undefined)[] = [];
  private readonly views = new Map<number, { readonly view: Uint8Array; readonly runs: number }>();

  constructor() {
    const b = load();
    threadHostSlots();
    this.handle = b.storeNew();
    if (this.handle === null) throw new Error('native: cannot create a store');
    const handle = this.handle;
    track(this, () => b.storeFree(handle));
  }

  /** The embedder's caps (none where undefined): see wasmo_store_set_limits. */
  setLimits(limits: { readonly memoryPages?: number; readonly tableElements?: number; readonly wasmStack?: number }): void {
    const cap = (n: number | undefined): bigint => (n === undefined ? NO_MAX : BigInt(n));
    load().storeSetLimits(this.ptr(), cap(limits.memoryPages), cap(limits.tableElements), cap(limits.wasmStack));
  }

  /**
   * Interrupts wasm running in this store `ms` milliseconds from now (0: at once, undefined: never,
   * which also cancels a pending interrupt); see wasmo_store_interrupt_after.
   */
  interruptAfter(ms: number | undefined): void {
    const ns = ms === undefined ? NO_MAX : BigInt(Math.max(0, Math.round(ms * 1e6)));
    load().storeInterruptAfter(this.ptr(), ns);
  }

  /** The layout of memories made from now on (checked sizes): see wasmo_store_set_memory. */
  setMemory(memory: { readonly reservation: number; readonly guard: number }): void {
    load().storeSetMemory(this.ptr(), memory.reservation, memory.guard);
  }

  /**
   * Sets the fuel left, and makes the store meter fuel: it then instantiates only modules compiled
   * to charge it (see wasmo_store_set_fuel).
   */
  setFuel(fuel: number): void {
    load().storeSetFuel(this.ptr(), fuel);
  }

  /** How tiered code instantiated from now on tiers up: see wasmo_store_set_tier_up. */
  setTierUp(options: TierUpOptions): void {
    load().storeSetTierUp(this.ptr(), options.threshold ?? DEFAULT_TIER_UP_THRESHOLD, options.wait === true ? 1 : 0);
  }

  /** The fuel left, or undefined when the store does not meter fuel. */
  fuel(): number | undefined {
    const n = Number(load().storeGetFuel(this.ptr()));
    return n < 0 ? undefined : n;
  }

  private ptr(): Ptr {
    if (this.handle === null) throw new Error('native store used after free()');
    return this.handle;
  }

  /** @internal What the last failed host call threw past its handler, if it did. */
  hostException: { readonly thrown: unknown } | undefined;

  /**
   * Instantiates with `imports` (addresses in import order); the addresses of the exports, in order.
   * With `start` given, the start function does not run: start[0] receives its address (undefined
   * when the module has none), for the caller to invoke; else it runs, and a trap in it fails the
   * instantiation ('uninstantiable').
   */
  instantiate(module: NativeModule, imports: readonly number[], start?: [number | undefined]): number[] | NativeFailure {
    const err = new Uint8Array(ERR_LEN);
    const exports = new Uint32Array(Math.max(module.exportCount, 1));
    const startOut: [number] = [0];
    const addrs = withReclamation(() => {
      const status = load().instantiate(this.ptr(), module.ptr(), Uint32Array.from(imports), imports.length, exports, startOut, err, ERR_LEN);
      return status === Status.ok ? [...exports.subarray(0, module.exportCount)] : failure(status, err);
    });
    const startAddr = startOut[0] === NO_START ? undefined : startOut[0];
    if (isNativeFailure(addrs) || start !== undefined) {
      if (start !== undefined) start[0] = startAddr;
      return addrs;
    }
    const r = startAddr === undefined ? true : this.runStart(startAddr);
    return r === true ? addrs : r;
  }

  /** Runs the start function at `addr`: a trap in it fails the instantiation ('uninstantiable'). */
  runStart(addr: number): true | NativeFailure {
    const r = this.funcInvoke(addr);
    return r === true || (r.status !== 'trap' && r.status !== 'exhaustion') ? r : { ...r, status: 'uninstantiable' };
  }

  /**
   * The backtrace of the last trap (after a funcInvoke failing with 'trap' or 'exhaustion', an
   * instantiate failing with 'uninstantiable'): each frame's function index in its module and its
   * name-section name, innermost first.
   */
  trace(): { readonly func: number; readonly name?: string }[] {
    const b = load();
    const frames: { func: number; name?: string }[] = [];
    const func: [number] = [0];
    const name = new Uint8Array(ERR_LEN);
    for (let i = 0, n = b.traceLength(this.ptr()); i < n; i++) {
      const named = b.traceFrame(this.ptr(), i, func, name, ERR_LEN);
      frames.push(named === 1 ? { func: func[0], name: cString(name) } : { func: func[0] });
    }
    return frames;
  }

  funcAlloc(type: NativeFuncType, fn: NativeHostFunc): number {
    const out: [number] = [0];
    const codes = (ts: readonly TypeName[]): Uint8Array => Uint8Array.from(ts.map((t) => TypeCode[t]));
    if (load().funcAlloc(this.ptr(), codes(type.params), type.params.length, codes(type.results), type.results.length, out) !== Status.ok) {
      throw new Error('native: cannot allocate a host function');
    }
    this.hosts[out[0]] = fn;
    this.types[out[0]] = type;
    return out[0];
  }

  funcType(func: number): NativeFuncType {
    let t = this.types[func];
    if (t === undefined) {
      const params = new Uint8Array(256);
      const results = new Uint8Array(256);
      const np: [number] = [0];
      const nr: [number] = [0];
      const status = load().funcType(this.ptr(), func, params, np, results, nr);
      if (status !== Status.ok) throw new Error(`native: the type of function ${func} has more than 256 values`);
      t = funcTypeFrom(params, np[0], results, nr[0]);
      this.types[func] = t;
    }
    return t;
  }

  /** WASI function `id` of `wasi` as a host function whose code calls host-shim's implementation directly. */
  wasiFuncAlloc(wasi: NativeWasi, id: number): number {
    const out: [number] = [0];
    if (load().wasiFuncAlloc(this.ptr(), wasi.ptr(), id, out) !== Status.ok) throw new Error(`native: no WASI function ${id}`);
    return out[0];
  }

  /** The memory `wasi`'s directly bound functions work on. */
  wasiBindMemory(wasi: NativeWasi, mem: number): void {
    load().wasiBindMemory(wasi.ptr(), this.ptr(), mem);
  }

  /**
   * Calls `func` with its arguments in the thread's host slots (threadHostSlots), which receive its
   * results.
   */
  funcInvoke(func: number): true | NativeFailure {
    const b = load();
    const s = this.ptr();
    // The slots exist once a store does (the constructor made them).
    const words = hostSlots!.words;
    const frame = depth++;
    invoking[frame] = this;
    invokingTokens[frame] = 0;
    let status: number = Status.internal;
    wasmRuns++;
    try {
      // Each host function the wasm calls returns it here (wasmo.h wasmo_func_resume), naming the
      // call by its token. The token is recorded as soon as a native call returns, before JS can be
      // terminated (at a call or a loop's back edge), so that endAbandoned can end the call.
      status = b.funcInvoke(s, func);
      if (status === HOST_PENDING) {
        invokingTokens[frame] = words[CALL_TOKEN]!;
        do {
          status = b.funcResume(s, invokingTokens[frame]!, this.callHost());
          invokingTokens[frame] = status === HOST_PENDING ? words[CALL_TOKEN]! : 0;
        } while (status === HOST_PENDING);
      }
    } finally {
      // Left by a throw the host call could not catch (a JS stack overflow at its edge), the wasm
      // waiting for it must not stay suspended: it ends with a host error; so do the calls of frames
      // left above this one by a terminated execution.
      endAbandoned(frame);
    }
    return this.outcome(status);
  }

  /**
   * Ends the suspended host call that `token` names (the value of its host slot WASMO_HOST_TOKEN)
   * as failed: its wasm call ends with a host error. A token of no suspended call of this store's
   * on this thread ends nothing and fails with 'internal'.
   */
  endHostCall(token: number): true | NativeFailure {
    return this.outcome(load().funcResume(this.ptr(), token, 0));
  }

  /** A native call's status as funcInvoke returns it (not HOST_PENDING). */
  private outcome(status: number): true | NativeFailure {
    if (status === Status.ok) return true;
    const err = new Uint8Array(ERR_LEN);
    load().storeMessage(this.ptr(), err, ERR_LEN);
    return failure(status, err);
  }

  /** Runs the host function the wasm calls (its arguments in the host slots): 1 when it succeeded. */
  private callHost(): number {
    // The slots exist: the constructor made them.
    const slots = hostSlots!;
    // The host function may grow a memory; a view is made anew after it (memBytes).
    wasmRuns++;
    try {
      const host = this.hosts[slots.words[CALL_FUNC]!];
      return host !== undefined && host(slots) ? 1 : 0;
    } catch (e) {
      // Thrown past the host function's own handling (as a JS stack overflow can be): kept for the
      // call that fails with it.
      this.hostException = { thrown: e };
      return 0;
    }
  }

  tableAlloc(elem: TypeName, min: number, max: number | undefined, init: bigint): number | NativeFailure {
    const out: [number] = [0];
    const err = new Uint8Array(ERR_LEN);
    const status = load().tableAlloc(this.ptr(), TypeCode[elem], BigInt(min), max === undefined ? NO_MAX : BigInt(max), init, out, err, ERR_LEN);
    return status === Status.ok ? out[0] : failure(status, err);
  }

  tableType(table: number): { readonly elem: TypeName; readonly size: number; readonly max: number | undefined } {
    const elem: [number] = [0];
    const min: [bigint | number] = [0];
    const max: [bigint | number] = [0];
    load().tableType(this.ptr(), table, elem, min, max);
    return { elem: typeName(elem[0]), size: Number(min[0]), max: maxOf(max[0]) };
  }

  tableRead(table: number, i: number): bigint {
    return BigInt.asUintN(64, BigInt(load().tableRead(this.ptr(), table, i)));
  }

  tableWrite(table: number, i: number, ref: bigint): void {
    load().tableWrite(this.ptr(), table, i, ref);
  }

  tableGrow(table: number, n: number, init: bigint): boolean {
    return load().tableGrow(this.ptr(), table, n, init) === 1;
  }

  memAlloc(min: number, max: number | undefined): number | NativeFailure {
    const out: [number] = [0];
    const err = new Uint8Array(ERR_LEN);
    return withReclamation(() => {
      const status = load().memAlloc(this.ptr(), BigInt(min), max === undefined ? NO_MAX : BigInt(max), out, err, ERR_LEN);
      return status === Status.ok ? out[0] : failure(status, err);
    });
  }

  memType(mem: number): { readonly pages: number; readonly max: number | undefined } {
    const min: [bigint | number] = [0];
    const max: [bigint | number] = [0];
    load().memType(this.ptr(), mem, min, max);
    return { pages: Number(min[0]), max: maxOf(max[0]) };
  }

  /** The memory's current bytes, without copy (valid until the next grow or free()). */
  memBytes(mem: number): Uint8Array {
    // A memory grows in place, so a view stays right until it grows. Made once per size: each
    // external buffer costs V8 an accounting of its whole length (~1 ms for 64 MiB).
    const cached = this.views.get(mem);
    if (cached !== undefined && cached.runs === wasmRuns) return cached.view;
    const length = this.memType(mem).pages * 65536;
    let view = cached?.view;
    if (view?.length !== length) {
      const data = load().memData(this.ptr(), mem);
      view = data === null || length === 0 ? new Uint8Array(0) : new Uint8Array(koffi.view(data, length));
    }
    this.views.set(mem, { view, runs: wasmRuns });
    return view;
  }

  memGrow(mem: number, n: number): boolean {
    wasmRuns++;
    return load().memGrow(this.ptr(), mem, n) === 1;
  }

  globalAlloc(type: TypeName, mutable: boolean, bits: bigint): number {
    const out: [number] = [0];
    if (load().globalAlloc(this.ptr(), TypeCode[type], mutable ? 1 : 0, bits, out) !== Status.ok) {
      throw new Error('native: cannot allocate a global');
    }
    return out[0];
  }

  globalType(global: number): { readonly type: TypeName; readonly mutable: boolean } {
    const type: [number] = [0];
    const mut: [number] = [0];
    load().globalType(this.ptr(), global, type, mut);
    return { type: typeName(type[0]), mutable: mut[0] === 1 };
  }

  globalRead(global: number): bigint {
    return BigInt.asUintN(64, BigInt(load().globalRead(this.ptr(), global)));
  }

  globalWrite(global: number, bits: bigint): void {
    load().globalWrite(this.ptr(), global, bits);
  }

  /** A v128 global's 16 bytes (two cells, the low half first). */
  globalReadV128(global: number): Uint8Array {
    const cells = new BigUint64Array(2);
    load().globalReadV128(this.ptr(), global, cells);
    return new Uint8Array(cells.buffer);
  }

  globalWriteV128(global: number, bytes: Uint8Array): void {
    const cells = new BigUint64Array(2);
    new Uint8Array(cells.buffer).set(bytes);
    load().globalWriteV128(this.ptr(), global, cells);
  }

  /** Releases the store's native objects now (memories, tables, instances); using it afterwards throws. */
  free(): void {
    // Its wasm waiting for a host function would be resumed in freed memory.
    for (let i = 0; i < depth; i++) if (invoking[i] === this) throw new Error('native store freed while its wasm runs');
    if (this.handle !== null) load().storeFree(this.handle);
    untrack(this);
    this.handle = null;
    this.views.clear();
  }
}

// ---- WASI preview1 (host-shim/wasi/) ----

/** A wasi_snapshot_preview1 function as the native side describes it; `id` is its index in witx order. */
export interface NativeWasiFunction {
  readonly id: number;
  readonly name: string;
  readonly params: readonly ('i32' | 'i64')[];
  readonly results: readonly 'i32'[];
}

let wasiTable: readonly NativeWasiFunction[] | undefined;

/** Every WASI preview1 function the native side implements, in witx order. */
export function wasiFunctions(): readonly NativeWasiFunction[] {
  if (wasiTable) return wasiTable;
  const b = load();
  const table: NativeWasiFunction[] = [];
  for (let id = 0, n = b.wasiFunctionCount(); id < n; id++) {
    const name = new Uint8Array(64);
    const params = new Uint8Array(16);
    const np: [number] = [0];
    const nr: [number] = [0];
    b.wasiFunction(id, name, name.length, params, np, nr);
    table.push({
      id, name: cString(name),
      params: [...params.subarray(0, np[0])].map((c) => (c === TypeCode.i64 ? 'i64' : 'i32')),
      results: nr[0] === 1 ? ['i32'] : [],
    });
  }
  wasiTable = table;
  return table;
}

/** What a guest's stdio stream is bound to: a host descriptor (duplicated), or an in-memory file. */
export type NativeStdio = { readonly fd: number } | { readonly memory: Uint8Array };

export interface NativeWasiConfig {
  readonly args: readonly string[];
  readonly env: readonly string[];
  readonly preopens: readonly { readonly host: string; readonly guest: string; readonly readonly: boolean }[];
  /** fd 0, 1, 2; `memory` for stdout/stderr captures (its bytes are ignored). */
  readonly stdio: readonly [NativeStdio, NativeStdio, NativeStdio];
  /** Resolve paths by the component walk even where openat2 exists (to test that path). */
  readonly walk?: boolean;
}

/** wasmo_wasi_call's result after proc_exit / a fatal proc_raise. */
export const WASI_EXITED = -1;

/** One program's WASI state on the native side; free() releases its descriptors. */
export class NativeWasi {
  private constructor(private handle: Ptr | null) {}

  static create(config: NativeWasiConfig): NativeWasi | NativeFailure {
    const b = load();
    const err = new Uint8Array(ERR_LEN);
    const out: [Ptr | null] = [null];
    const stdio = Int32Array.from(config.stdio, (s) => ('fd' in s ? s.fd : -1));
    const stdin = config.stdio[0];
    const stdinData = 'memory' in stdin ? stdin.memory : new Uint8Array(0);
    const status = b.wasiNew(
      config.args, config.args.length, config.env, config.env.length,
      config.preopens.map((p) => p.host), config.preopens.map((p) => p.guest),
      Uint8Array.from(config.preopens, (p) => (p.readonly ? 1 : 0)), config.preopens.length,
      stdio, stdinData, stdinData.length, config.walk === true ? 1 : 0, out, err, ERR_LEN);
    if (status !== Status.ok || out[0] === null) return failure(status, err);
    return new NativeWasi(out[0]);
  }

  /** @internal the live handle; throws after free(). */
  ptr(): Ptr {
    if (this.handle === null) throw new Error('native WASI context used after free()');
    return this.handle;
  }

  /**
   * Calls WASI function `id` with its arguments' bits on the guest memory `mem` (the engine's own
   * bytes, passed without copy): the witx errno, or WASI_EXITED.
   */
  call(id: number, args: BigUint64Array, mem: Uint8Array): number {
    return load().wasiCall(this.ptr(), id, args, mem, mem.length);
  }

  /** The program's exit status once a call returned WASI_EXITED, else undefined. */
  exitCode(): number | undefined {
    const code = Number(load().wasiExitCode(this.ptr()));
    return code < 0 ? undefined : code;
  }

  /** What the program wrote to an in-memory stdout (1) or stderr (2). */
  output(fd: 1 | 2): Uint8Array {
    const b = load();
    const size = Number(b.wasiOutput(this.ptr(), fd, new Uint8Array(0), 0));
    const buf = new Uint8Array(size);
    if (size > 0) b.wasiOutput(this.ptr(), fd, buf, size);
    return buf;
  }

  free(): void {
    if (this.handle !== null) load().wasiFree(this.handle);
    this.handle = null;
  }
}
