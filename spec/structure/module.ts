// Modules — WebAssembly spec §2.5 (structure/modules).

import type { Expr } from './instructions.js';
import type { FuncType, GlobalType, MemType, RefType, TableType, ValType } from './types.js';

/** §2.5.3 functions: `type` is a type index; `locals` excludes the parameters. */
export interface Func {
  readonly type: number;
  readonly locals: readonly ValType[];
  readonly body: Expr;
}

export interface Table {
  readonly type: TableType;
}

export interface Mem {
  readonly type: MemType;
}

export interface Global {
  readonly type: GlobalType;
  readonly init: Expr;
}

/** §2.5.7 element segments. */
export type ElemMode =
  | { readonly kind: 'passive' }
  | { readonly kind: 'active'; readonly table: number; readonly offset: Expr }
  | { readonly kind: 'declarative' };

export interface Elem {
  readonly type: RefType;
  /** One constant expression per element. */
  readonly init: readonly Expr[];
  readonly mode: ElemMode;
}

/** §2.5.8 data segments. */
export type DataMode =
  | { readonly kind: 'passive' }
  | { readonly kind: 'active'; readonly mem: number; readonly offset: Expr };

export interface Data {
  readonly init: Uint8Array;
  readonly mode: DataMode;
}

/** §2.5.11 import descriptions (functions and tags name a type index). */
export type ImportDesc =
  | { readonly kind: 'func'; readonly type: number }
  | { readonly kind: 'table'; readonly type: TableType }
  | { readonly kind: 'mem'; readonly type: MemType }
  | { readonly kind: 'global'; readonly type: GlobalType }
  | { readonly kind: 'tag'; readonly type: number };

export interface Import {
  readonly module: string;
  readonly name: string;
  readonly desc: ImportDesc;
}

/** §2.5.10 exports: the kind and the index in that kind's index space. */
export interface Export {
  readonly name: string;
  readonly desc: { readonly kind: 'func' | 'table' | 'mem' | 'global' | 'tag'; readonly index: number };
}

/** §2.5.13 custom sections (kept so a decoded module can be re-encoded with them). */
export interface Custom {
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** §2.5 a module. All index spaces count imports first, as in the spec. */
export interface Module {
  readonly types: readonly FuncType[];
  readonly funcs: readonly Func[];
  readonly tables: readonly Table[];
  readonly mems: readonly Mem[];
  readonly globals: readonly Global[];
  readonly elems: readonly Elem[];
  readonly datas: readonly Data[];
  readonly start?: number;
  readonly imports: readonly Import[];
  readonly exports: readonly Export[];
  readonly customs: readonly Custom[];
}

export function emptyModule(): Module {
  return {
    types: [], funcs: [], tables: [], mems: [], globals: [], elems: [], datas: [],
    imports: [], exports: [], customs: [],
  };
}
