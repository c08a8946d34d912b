// Types — WebAssembly spec §2.3 (structure/types). WebAssembly 2.0 plus the 3.0 pieces the
// embedding API names (address types on tables/memories, tag types).

/** §2.3.1 number types. */
export type NumType = 'i32' | 'i64' | 'f32' | 'f64';
/** §2.3.2 vector types. */
export type VecType = 'v128';
/** Abstract heap types of WebAssembly 2.0 (funcref = (ref null func), externref = (ref null extern)). */
export type HeapType = 'func' | 'extern';
/** §2.3.3 reference types (2.0: always nullable). */
export type RefType = 'funcref' | 'externref';
/** §2.3.4 value types. */
export type ValType = NumType | VecType | RefType;
/** §2.3.5 result types. */
export type ResultType = readonly ValType[];

/** §2.3.6 function types. */
export interface FuncType {
  readonly params: ResultType;
  readonly results: ResultType;
}

/** Address type of a memory or table (3.0; always 'i32' in a 2.0 module). */
export type AddrType = 'i32' | 'i64';

/** §2.3.7 limits (counts in pages for memories, in elements for tables). */
export interface Limits {
  readonly min: number;
  readonly max?: number;
}

export interface MemType {
  readonly addrtype: AddrType;
  readonly limits: Limits;
}

export interface TableType {
  readonly addrtype: AddrType;
  readonly limits: Limits;
  readonly reftype: RefType;
}

export interface GlobalType {
  readonly mut: boolean;
  readonly type: ValType;
}

/** Tag type (3.0 exceptions): a function type with no results. */
export interface TagType {
  readonly type: FuncType;
}

export type ExternKind = 'func' | 'table' | 'mem' | 'global' | 'tag';

/** §2.3.11 external types. */
export type ExternType =
  | { readonly kind: 'func'; readonly type: FuncType }
  | { readonly kind: 'table'; readonly type: TableType }
  | { readonly kind: 'mem'; readonly type: MemType }
  | { readonly kind: 'global'; readonly type: GlobalType }
  | { readonly kind: 'tag'; readonly type: TagType };

export const PAGE_SIZE = 65536;

export function isNumType(t: ValType): t is NumType {
  return t === 'i32' || t === 'i64' || t === 'f32' || t === 'f64';
}

export function isRefType(t: ValType): t is RefType {
  return t === 'funcref' || t === 'externref';
}

export function heapTypeOf(t: RefType): HeapType {
  return t === 'funcref' ? 'func' : 'extern';
}

export function refTypeOf(h: HeapType): RefType {
  return h === 'func' ? 'funcref' : 'externref';
}

export function funcTypeEquals(a: FuncType, b: FuncType): boolean {
  return (
    a.params.length === b.params.length &&
    a.results.length === b.results.length &&
    a.params.every((t, i) => t === b.params[i]) &&
    a.results.every((t, i) => t === b.results[i])
  );
}
