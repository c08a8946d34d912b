// Runtime structure — WebAssembly spec §4.2 (store, instances, addresses) and the allocation
// functions of §4.5.3. Addresses are indices into the store's lists.

import { Exhaustion } from '../errors.js';
import { MAX_TABLE_SIZE } from '../limits.js';
import type { Func } from '../structure/module.js';
import type {
  ExternKind, FuncType, GlobalType, MemType, RefType, TableType, TagType, ValType,
} from '../structure/types.js';
import { PAGE_SIZE } from '../structure/types.js';
import type { Ref, Value } from './values.js';

/** A host function's code: may throw a Trap (or a subclass) to fail the call. */
export type HostCode = (args: Value[]) => Value[];

/** §4.2.6 function instances: either a module function (`module` + `code`) or a host function. */
export interface FuncInst {
  readonly type: FuncType;
  readonly module?: ModuleInst;
  readonly code?: Func;
  readonly host?: HostCode;
}

/**
 * §4.2.7 table instances; `type.limits.min` follows growth. `cap` is the embedder's limit on its
 * size: growing past it may fail, as growing may for any implementation reason (§4.4.6 table.grow).
 */
export interface TableInst { type: TableType; elem: Ref[]; cap?: number }

/** §4.2.8 memory instances; `data` is replaced on grow; `cap` as a table's, in pages (§4.4.7 memory.grow). */
export interface MemInst { type: MemType; data: Uint8Array; cap?: number }

/** §4.2.9 global instances. */
export interface GlobalInst { readonly type: GlobalType; value: Value }

/** §4.2.10 element instances (dropping one empties `elem`). */
export interface ElemInst { readonly type: RefType; elem: Ref[] }

/** §4.2.11 data instances (dropping one empties `data`). */
export interface DataInst { data: Uint8Array }

/** Tag instances (3.0 exceptions). */
export interface TagInst { readonly type: TagType }

/** Exception instances (3.0 exceptions). */
export interface ExnInst { readonly tag: number; readonly fields: Value[] }

/** §4.2.12 external values. */
export interface ExternAddr { readonly kind: ExternKind; readonly addr: number }

/** §4.2.13 export instances. */
export interface ExportInst { readonly name: string; readonly value: ExternAddr }

/** §4.2.5 module instances. */
export interface ModuleInst {
  types: FuncType[];
  funcaddrs: number[];
  tableaddrs: number[];
  memaddrs: number[];
  globaladdrs: number[];
  elemaddrs: number[];
  dataaddrs: number[];
  tagaddrs: number[];
  exports: ExportInst[];
}

/** §4.2.3 the store. */
export class Store {
  funcs: FuncInst[] = [];
  tables: TableInst[] = [];
  mems: MemInst[] = [];
  globals: GlobalInst[] = [];
  elems: ElemInst[] = [];
  datas: DataInst[] = [];
  tags: TagInst[] = [];
  exns: ExnInst[] = [];
  /**
   * The embedder's deadline (performance.now() time): wasm running after it traps "interrupted"
   * at its next call or backward branch (checked every so many), which clears it.
   */
  deadline: number | undefined = undefined;
  /** The fuel left (spec/fuel.ts), or undefined when the store does not meter fuel. */
  fuel: number | undefined = undefined;
  /**
   * The embedder's limits on the size of the tables and memories allocated from now on, and on
   * the stack one invocation may use (bytes, as charged in eval.ts).
   */
  limits: { readonly memoryPages?: number; readonly tableElements?: number; readonly wasmStack?: number } = {};
}

/** Largest table size: §4.5.3.8 bounds it by 2^32 - 1 (the limits' range). */
const SPEC_MAX_TABLE_SIZE = 0xffffffff;
/** Largest memory size in pages (§2.3.8: 2^16 pages, 4 GiB). */
const MAX_PAGES = 0x10000;

/** §4.5.3.1 (module functions are allocated by instantiate, which knows the module instance). */
export function allocfunc(S: Store, type: FuncType, code: Func, module: ModuleInst): number {
  S.funcs.push({ type, module, code });
  return S.funcs.length - 1;
}

/** §4.5.3.2 */
export function allochostfunc(S: Store, type: FuncType, host: HostCode): number {
  S.funcs.push({ type, host });
  return S.funcs.length - 1;
}

/** §4.5.3.3; a table over the implementation limit is refused rather than exhaust the JS heap. */
export function alloctable(S: Store, type: TableType, init: Ref): number {
  if (type.limits.min > MAX_TABLE_SIZE.max) throw new Exhaustion(MAX_TABLE_SIZE.message);
  S.tables.push({ type, elem: new Array<Ref>(type.limits.min).fill(init), cap: S.limits.tableElements });
  return S.tables.length - 1;
}

/** §4.5.3.4 */
export function allocmem(S: Store, type: MemType): number {
  S.mems.push({ type, data: new Uint8Array(type.limits.min * PAGE_SIZE), cap: S.limits.memoryPages });
  return S.mems.length - 1;
}

/** §4.5.3.5 */
export function allocglobal(S: Store, type: GlobalType, value: Value): number {
  S.globals.push({ type, value });
  return S.globals.length - 1;
}

/** §4.5.3.6 */
export function allocelem(S: Store, type: RefType, elem: Ref[]): number {
  S.elems.push({ type, elem });
  return S.elems.length - 1;
}

/** §4.5.3.7 */
export function allocdata(S: Store, data: Uint8Array): number {
  S.datas.push({ data });
  return S.datas.length - 1;
}

/** §4.5.3.8 growing tables: false when the new size would exceed the maximum or 2^32 - 1, or
 *  the implementation limit (growing may fail for implementation reasons, §4.4.6 table.grow). */
export function growtable(table: TableInst, n: number, init: Ref): boolean {
  const len = table.elem.length + n;
  const { max } = table.type.limits;
  if (len > SPEC_MAX_TABLE_SIZE || (max !== undefined && len > max) || len > MAX_TABLE_SIZE.max || len > (table.cap ?? Infinity)) {
    return false;
  }
  for (let i = table.elem.length; i < len; i++) table.elem.push(init);
  table.type = { ...table.type, limits: { ...table.type.limits, min: len } };
  return true;
}

/** §4.5.3.9 growing memories: false beyond the maximum, 2^16 pages, or available host memory. */
export function growmem(mem: MemInst, n: number): boolean {
  const pages = mem.data.length / PAGE_SIZE + n;
  const { max } = mem.type.limits;
  if (pages > MAX_PAGES || (max !== undefined && pages > max) || pages > (mem.cap ?? Infinity)) return false;
  if (n === 0) return true;
  let data: Uint8Array;
  try {
    data = new Uint8Array(pages * PAGE_SIZE);
  } catch (e) {
    // The host could not provide the memory: the spec lets memory.grow fail (§4.4.7).
    if (e instanceof RangeError) return false;
    throw e;
  }
  data.set(mem.data);
  mem.data = data;
  mem.type = { ...mem.type, limits: { ...mem.type.limits, min: pages } };
  return true;
}

const NULL_FUNC: Ref = { type: 'ref.null', heaptype: 'func' };
const NULL_EXTERN: Ref = { type: 'ref.null', heaptype: 'extern' };

/** The null reference of a reference type. */
export function nullRef(t: RefType): Ref {
  return t === 'funcref' ? NULL_FUNC : NULL_EXTERN;
}

/** §4.2.1 default values: zero for numbers and vectors, null for references. */
export function defaultValue(t: ValType): Value {
  switch (t) {
    case 'i32': case 'f32': return 0;
    case 'i64': case 'f64': return 0n;
    case 'v128': return new Uint8Array(16);
    case 'funcref': case 'externref': return nullRef(t);
  }
}
