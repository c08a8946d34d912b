// Matching of types — WebAssembly 2.0 §3.2.8 "Import Subtyping": when an external value of type
// `a` may be supplied for an import of type `b` (module_instantiate, match_externtype).

import { funcTypeEquals, type ExternType, type Limits, type ValType } from '../structure/types.js';

/** Value types: 2.0 has no subtyping between them, so they match when equal. */
export function matchValType(a: ValType, b: ValType): boolean {
  return a === b;
}

/** Limits: `a` must be at least as large and, when `b` bounds its maximum, at most as large. */
export function matchLimits(a: Limits, b: Limits): boolean {
  if (a.min < b.min) return false;
  if (b.max === undefined) return true;
  return a.max !== undefined && a.max <= b.max;
}

export function matchExternType(a: ExternType, b: ExternType): boolean {
  switch (a.kind) {
    case 'func':
      return b.kind === 'func' && funcTypeEquals(a.type, b.type);
    case 'table':
      return b.kind === 'table' && a.type.addrtype === b.type.addrtype &&
        matchLimits(a.type.limits, b.type.limits) && a.type.reftype === b.type.reftype;
    case 'mem':
      return b.kind === 'mem' && a.type.addrtype === b.type.addrtype && matchLimits(a.type.limits, b.type.limits);
    case 'global':
      // Mutable globals are invariant; immutable ones would be covariant, which is equality in 2.0.
      return b.kind === 'global' && a.type.mut === b.type.mut && matchValType(a.type.type, b.type.type);
    case 'tag':
      return b.kind === 'tag' && funcTypeEquals(a.type.type, b.type.type);
  }
}
