// Values of the embedding API, with exact bits: i64 as bigint, floats as their bit patterns (so NaN
// payloads survive every crossing), v128 as 16 bytes.

import type { HeapType } from '../spec/structure/types.js';

/**
 * A reference value. `F` is how a function address is represented: the public API uses
 * {@link FuncAddr}; the engine seam uses the store's plain index.
 */
export type Ref<F = FuncAddrLike> =
  | { readonly type: 'ref.null'; readonly heaptype: HeapType }
  | { readonly type: 'ref.func'; readonly addr: F }
  /** A host reference (`ref.extern N` in scripts): an opaque number the embedder chose. */
  | { readonly type: 'ref.extern'; readonly host: number };

/** A value (spec §4.2.1 `val`). */
export type Val<F = FuncAddrLike> =
  /** Signed 32-bit integer; any i32 bit pattern is a number in [-2^31, 2^31). */
  | { readonly type: 'i32'; readonly value: number }
  /** Signed 64-bit integer as bigint in [-2^63, 2^63). */
  | { readonly type: 'i64'; readonly value: bigint }
  /** f32 bit pattern as an unsigned 32-bit integer. */
  | { readonly type: 'f32'; readonly bits: number }
  /** f64 bit pattern as an unsigned 64-bit bigint. */
  | { readonly type: 'f64'; readonly bits: bigint }
  | { readonly type: 'v128'; readonly bytes: Uint8Array }
  | Ref<F>;

/** Public function addresses are opaque objects created by the store (see `lib/store.ts`). */
export interface FuncAddrLike {
  readonly kind: 'func';
}

const f32buf = new Float32Array(1);
const u32buf = new Uint32Array(f32buf.buffer);
const f64buf = new Float64Array(1);
const u64buf = new BigUint64Array(f64buf.buffer);

export function i32(value: number): Val<never> {
  return { type: 'i32', value: value | 0 };
}
export function i64(value: bigint | number): Val<never> {
  return { type: 'i64', value: BigInt.asIntN(64, BigInt(value)) };
}
/** An f32 from a JS number, rounded to single precision. */
export function f32(value: number): Val<never> {
  f32buf[0] = value;
  return { type: 'f32', bits: u32buf[0]! };
}
export function f32bits(bits: number): Val<never> {
  return { type: 'f32', bits: bits >>> 0 };
}
export function f64(value: number): Val<never> {
  f64buf[0] = value;
  return { type: 'f64', bits: u64buf[0]! };
}
export function f64bits(bits: bigint): Val<never> {
  return { type: 'f64', bits: BigInt.asUintN(64, bits) };
}
export function v128(bytes: ArrayLike<number>): Val<never> {
  if (bytes.length !== 16) throw new RangeError(`v128 needs 16 bytes, got ${bytes.length}`);
  return { type: 'v128', bytes: Uint8Array.from(bytes) };
}
export function refNull(heaptype: HeapType): Ref<never> {
  return { type: 'ref.null', heaptype };
}
export function refExtern(host: number): Ref<never> {
  return { type: 'ref.extern', host };
}

/** The JS number an f32 bit pattern denotes (NaN payloads are not kept by JS numbers). */
export function f32ToNumber(bits: number): number {
  u32buf[0] = bits;
  return f32buf[0]!;
}
/** The JS number an f64 bit pattern denotes. */
export function f64ToNumber(bits: bigint): number {
  u64buf[0] = bits;
  return f64buf[0]!;
}
