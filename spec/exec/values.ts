// Runtime values of the reference interpreter (spec §4.2.1), chosen so every bit survives:
// - i32: number, signed (`x | 0`)            - i64: bigint, signed (`BigInt.asIntN(64, x)`)
// - f32: number, the bit pattern, unsigned (`x >>> 0`)
// - f64: bigint, the bit pattern, unsigned (`BigInt.asUintN(64, x)`)
// - v128: Uint8Array(16), never mutated once it is a value (operations return new arrays)
// - references: the objects below.
// JS doubles cannot carry f32/f64 NaN payloads reliably (V8 canonicalises NaNs stored in double
// arrays, and float32→float64 conversion quiets signalling NaNs), hence bit patterns.

import type { HeapType } from '../structure/types.js';

export type Ref =
  | { readonly type: 'ref.null'; readonly heaptype: HeapType }
  | { readonly type: 'ref.func'; readonly addr: number }
  | { readonly type: 'ref.extern'; readonly host: number };

export type Value = number | bigint | Uint8Array | Ref;
