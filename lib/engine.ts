// The engine seam: the one interface behind which the reference interpreter (spec/), the native
// engine (host-shim/, through koffi) and V8 (node's WebAssembly API) run a store. The appendix
// functions in lib/api.ts check their arguments (types, bounds, mutability, store ownership) and
// then call one of these methods, so an engine may assume its arguments are valid.

import type { Module as ModuleAst } from '../spec/structure/module.js';
import type {
  ExternKind, ExternType, FuncType, GlobalType, MemType, TableType, TagType,
} from '../spec/structure/types.js';
import type { WasmError } from './errors.js';
import type { Ref, Val } from './values.js';

export type EngineName = 'reference' | 'v8' | 'singlepass' | 'optimizing' | 'tiered';
/** The engines that run native code: host-shim's compilers (tiers) and runtime. `tiered` starts on
 *  singlepass code and has hot functions compiled by the optimizing compiler in the background. */
export type NativeEngineName = 'singlepass' | 'optimizing' | 'tiered';

/** A value at the seam: function references carry the store's plain function index. */
export type EngineVal = Val<number>;
export type EngineRef = Ref<number>;

/** An external address at the seam: the kind and the index in that kind's store list. */
export interface EngineExtern {
  readonly kind: ExternKind;
  readonly addr: number;
}

/**
 * A host function as an engine sees it. The lib wraps the embedder's store-passing function into
 * this shape; it returns results of the right types or an error (which the engine propagates to
 * the caller of func_invoke as that error). `args` is a fresh array, the callee's to keep; the
 * results are the engine's to read at once, not to keep (they may be the embedder's own array).
 */
export type EngineHostFunc = (args: EngineVal[]) => readonly EngineVal[] | WasmError;

/**
 * A decoded or parsed module as the API hands it around; validation results are cached. A module
 * module_decode gave to the native engines (lib/module.ts) builds `ast` and `outline` on first use.
 */
export interface ModuleValue {
  readonly ast: ModuleAst;
  /**
   * The module without its code (decodeModuleOutline): types, imports, exports, the types of its
   * functions, tables, memories and globals, start. What needs no code reads this, never `ast`.
   */
  readonly outline: ModuleAst;
  /** The binary form when the module came from bytes (engines that need bytes encode otherwise). */
  readonly bytes?: Uint8Array;
  /**
   * The native validator's verdict on `bytes`, when it judged them (module_validate's result then,
   * with no validation in TS): 'valid' or the 'invalid' error.
   */
  readonly verdict?: 'valid' | WasmError;
  /** Set by the first successful module_validate / module_instantiate. */
  validated?: { readonly imports: readonly ExternType[]; readonly exports: readonly ExternType[] };
  /**
   * Set on a module that exists only as compiled code (module_deserialize): only stores of this
   * engine can instantiate it, and `ast` (the same as `outline`) describes its interface only, with
   * no function bodies or initialisers.
   */
  readonly compiledFor?: NativeEngineName;
}

/** An export of a new instance at the seam. */
export interface EngineExport {
  readonly name: string;
  readonly extern: EngineExtern;
}

/** See Engine.instantiate. */
export type BeforeStart = (exports: readonly EngineExport[]) => WasmError | undefined;

export interface Engine {
  readonly name: EngineName;

  /**
   * Instantiate a *valid* module whose imports have already been checked against `imports`.
   * `beforeStart`, if given, is called with the exports once the instance is allocated and its
   * segments are initialised, before its start function runs; an error it returns ends the
   * instantiation with that error.
   */
  instantiate(module: ModuleValue, imports: readonly EngineExtern[], beforeStart?: BeforeStart):
    { readonly exports: readonly EngineExport[] } | WasmError;

  funcAlloc(type: FuncType, host: EngineHostFunc): number;
  funcType(func: number): FuncType;
  /** Arguments already match the function's parameter types; the results are a fresh array. */
  funcInvoke(func: number, args: readonly EngineVal[]): EngineVal[] | WasmError;

  tableAlloc(type: TableType, init: EngineRef): number;
  tableType(table: number): TableType;
  tableSize(table: number): number;
  /** `i` is in bounds. */
  tableRead(table: number, i: number): EngineRef;
  /** `i` is in bounds and `ref` matches the element type. */
  tableWrite(table: number, i: number, ref: EngineRef): void;
  /** False when the table cannot grow by `n` (limits or resources). */
  tableGrow(table: number, n: number, init: EngineRef): boolean;

  memAlloc(type: MemType): number;
  memType(mem: number): MemType;
  /** Size in pages. */
  memSize(mem: number): number;
  /**
   * The memory's bytes themselves, no copy, in O(1) whatever the memory's size (mem_read,
   * mem_write and their bulk forms, and native code that works on guest memory, such as WASI):
   * valid until the memory grows or wasm runs again, so fetch it afresh for each use.
   */
  memBytes(mem: number): Uint8Array;
  memGrow(mem: number, n: number): boolean;

  globalAlloc(type: GlobalType, val: EngineVal): number;
  globalType(global: number): GlobalType;
  globalRead(global: number): EngineVal;
  /** The global is mutable and `val` matches its type. */
  globalWrite(global: number, val: EngineVal): void;

  /** Releases every resource of the store now (native memory, reservations); nothing is used after. */
  free(): void;
  /**
   * Wasm running in the store after `ms` milliseconds from now traps "interrupted" (undefined:
   * cancel); false when the engine cannot be interrupted.
   */
  interruptAfter(ms: number | undefined): boolean;
  /** The fuel left (spec/fuel.ts), or undefined when the store was made without fuel. */
  fuel(): number | undefined;
  /** Sets the fuel left, in a store made with fuel. */
  setFuel(fuel: number): void;

  tagAlloc(type: TagType): number;
  tagType(tag: number): TagType;
  exnAlloc(tag: number, fields: readonly EngineVal[]): number;
  exnTag(exn: number): number;
  /** A fresh array. */
  exnRead(exn: number): EngineVal[];
}
