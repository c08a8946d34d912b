// wasmo's public entry point: the embedding API, values and their constructors, types and errors.

export * from './api.js';
export { Linker, type ImportProvider } from './linker.js';
export type { MemoryConfig, StoreLimits } from './store-limits.js';
export type { CompileOptions, TierUpOptions, TierUpStats } from './native.js';
export { formatExternType, formatFuncType } from './types.js';
export type { EngineName, NativeEngineName } from './engine.js';
export {
  ForeignAddressError, MAX_TRACE_FRAMES, StaleStoreError, formatTrace, isError, wasmError, type ErrorKind,
  type TraceFrame, type WasmError,
} from './errors.js';
export {
  f32, f32ToNumber, f32bits, f64, f64ToNumber, f64bits, i32, i64, refExtern, refNull, v128,
} from './values.js';
export type {
  AddrType, ExternKind, ExternType, FuncType, GlobalType, HeapType, Limits, MemType, NumType, RefType,
  TableType, TagType, ValType,
} from '../spec/structure/types.js';
export type { ModuleValue } from './engine.js';
export type { AddrKind } from './store.js';
export type { FuncAddrLike, Ref as RefOf, Val as ValOf } from './values.js';
export type { ResultType, VecType } from '../spec/structure/types.js';
/** The module's abstract syntax (spec §2.5), as decoded or parsed: `Module['ast']`. */
export type * as syntax from '../spec/structure/module.js';
/** Instructions (spec §2.4) with their opcode table. */
export type * as instructions from '../spec/structure/instructions.js';
