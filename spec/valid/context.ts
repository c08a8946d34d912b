// Validation contexts — WebAssembly spec §3.1.1.

import { ValidationError } from '../errors.js';
import type {
  FuncType, GlobalType, MemType, RefType, ResultType, TableType, TagType, ValType,
} from '../structure/types.js';

/** §3.1.1 the context C: what is known about the module (and, inside a function, its locals,
 *  labels and return type) while an instruction is checked. */
export interface Context {
  readonly types: readonly FuncType[];
  readonly funcs: readonly FuncType[];
  readonly tables: readonly TableType[];
  readonly mems: readonly MemType[];
  readonly globals: readonly GlobalType[];
  /** 3.0 exceptions: only imported tags exist in a Module AST. */
  readonly tags: readonly TagType[];
  readonly elems: readonly RefType[];
  /** As in the spec, a list of `ok`: data segments have no type, only an index. */
  readonly datas: readonly 'ok'[];
  readonly locals: readonly ValType[];
  // C.labels is not kept here: the control frames of the algorithm (spec/valid/instructions.ts)
  // carry the label types.
  /** Absent outside function bodies (constant expressions). */
  readonly return?: ResultType;
  /** Function indices that `ref.func` may name in function bodies (§3.4.10). */
  readonly refs: ReadonlySet<number>;
}

export function emptyContext(): Context {
  return {
    types: [], funcs: [], tables: [], mems: [], globals: [], tags: [], elems: [], datas: [],
    locals: [], refs: new Set(),
  };
}

/** `C.<space>[x]`, failing with the reference interpreter's "unknown <space> x". */
export function lookup<T>(space: string, list: readonly T[], x: number): T {
  const v = list[x];
  if (v === undefined) throw new ValidationError(`unknown ${space} ${x}`);
  return v;
}

export function typeAt(c: Context, x: number): FuncType {
  return lookup('type', c.types, x);
}
