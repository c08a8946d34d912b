// Integer operators of spec §4.3.2 for N = 32 (i32 values: signed numbers) and N = 64 (i64 values:
// signed bigints). The spec works on unsigned N-bit integers and reads them signed where an
// operator says so; here values are stored signed and read unsigned (`>>> 0`, `asUintN`) where
// needed. Operators whose result is undefined in the spec (division by zero, overflow) throw the
// Trap of §4.4.1.

import { Trap } from '../errors.js';

const divideByZero = (): never => {
  throw new Trap('integer divide by zero');
};
const overflow = (): never => {
  throw new Trap('integer overflow');
};

const u32 = (i: number): number => i >>> 0;
const u64 = (i: bigint): bigint => BigInt.asUintN(64, i);
const s64 = (i: bigint): bigint => BigInt.asIntN(64, i);
const bool = (b: boolean): number => (b ? 1 : 0);

function popcnt32(i: number): number {
  let x = i - ((i >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) | 0;
}
const ctz32 = (i: number): number => (i === 0 ? 32 : 31 - Math.clz32(i & -i));

export const i32 = {
  add: (a: number, b: number): number => (a + b) | 0,
  sub: (a: number, b: number): number => (a - b) | 0,
  mul: (a: number, b: number): number => Math.imul(a, b),
  // a / b is exact enough for 32-bit operands that truncating it gives the integer quotient.
  div_s: (a: number, b: number): number =>
    b === 0 ? divideByZero() : a === -0x80000000 && b === -1 ? overflow() : (a / b) | 0,
  div_u: (a: number, b: number): number => (b === 0 ? divideByZero() : (u32(a) / u32(b)) | 0),
  // JS % truncates like irem_s (the result takes the dividend's sign).
  rem_s: (a: number, b: number): number => (b === 0 ? divideByZero() : (a % b) | 0),
  rem_u: (a: number, b: number): number => (b === 0 ? divideByZero() : (u32(a) % u32(b)) | 0),
  and: (a: number, b: number): number => a & b,
  or: (a: number, b: number): number => a | b,
  xor: (a: number, b: number): number => a ^ b,
  // JS shift counts are already taken modulo 32, as ishl/ishr require.
  shl: (a: number, b: number): number => a << b,
  shr_s: (a: number, b: number): number => a >> b,
  shr_u: (a: number, b: number): number => (a >>> b) | 0,
  rotl: (a: number, b: number): number => (a << b) | (a >>> (32 - (b & 31))),
  rotr: (a: number, b: number): number => (a >>> b) | (a << (32 - (b & 31))),
  // iabs and ineg (§4.3.2) are used by the vector instructions only.
  abs: (a: number): number => (a < 0 ? -a | 0 : a),
  neg: (a: number): number => -a | 0,
  clz: (a: number): number => Math.clz32(a),
  ctz: ctz32,
  popcnt: popcnt32,
  eqz: (a: number): number => bool(a === 0),
  eq: (a: number, b: number): number => bool(a === b),
  ne: (a: number, b: number): number => bool(a !== b),
  lt_s: (a: number, b: number): number => bool(a < b),
  lt_u: (a: number, b: number): number => bool(u32(a) < u32(b)),
  gt_s: (a: number, b: number): number => bool(a > b),
  gt_u: (a: number, b: number): number => bool(u32(a) > u32(b)),
  le_s: (a: number, b: number): number => bool(a <= b),
  le_u: (a: number, b: number): number => bool(u32(a) <= u32(b)),
  ge_s: (a: number, b: number): number => bool(a >= b),
  ge_u: (a: number, b: number): number => bool(u32(a) >= u32(b)),
  extend8_s: (a: number): number => (a << 24) >> 24,
  extend16_s: (a: number): number => (a << 16) >> 16,
} as const;

const hi32 = (a: bigint): number => Number(BigInt.asIntN(32, a >> 32n));
const lo32 = (a: bigint): number => Number(BigInt.asIntN(32, a));

export const i64 = {
  add: (a: bigint, b: bigint): bigint => s64(a + b),
  sub: (a: bigint, b: bigint): bigint => s64(a - b),
  mul: (a: bigint, b: bigint): bigint => s64(a * b),
  // bigint / and % truncate toward zero, as idiv_s/irem_s.
  div_s: (a: bigint, b: bigint): bigint =>
    b === 0n ? divideByZero() : a === -(1n << 63n) && b === -1n ? overflow() : a / b,
  div_u: (a: bigint, b: bigint): bigint => (b === 0n ? divideByZero() : s64(u64(a) / u64(b))),
  rem_s: (a: bigint, b: bigint): bigint => (b === 0n ? divideByZero() : a % b),
  rem_u: (a: bigint, b: bigint): bigint => (b === 0n ? divideByZero() : s64(u64(a) % u64(b))),
  and: (a: bigint, b: bigint): bigint => a & b,
  or: (a: bigint, b: bigint): bigint => a | b,
  xor: (a: bigint, b: bigint): bigint => a ^ b,
  shl: (a: bigint, b: bigint): bigint => s64(a << (b & 63n)),
  shr_s: (a: bigint, b: bigint): bigint => a >> (b & 63n),
  shr_u: (a: bigint, b: bigint): bigint => s64(u64(a) >> (b & 63n)),
  rotl: (a: bigint, b: bigint): bigint => s64((u64(a) << (b & 63n)) | (u64(a) >> (64n - (b & 63n)))),
  rotr: (a: bigint, b: bigint): bigint => s64((u64(a) >> (b & 63n)) | (u64(a) << (64n - (b & 63n)))),
  abs: (a: bigint): bigint => (a < 0n ? s64(-a) : a),
  neg: (a: bigint): bigint => s64(-a),
  clz: (a: bigint): bigint => BigInt(hi32(a) === 0 ? 32 + Math.clz32(lo32(a)) : Math.clz32(hi32(a))),
  ctz: (a: bigint): bigint => BigInt(lo32(a) === 0 ? 32 + ctz32(hi32(a)) : ctz32(lo32(a))),
  popcnt: (a: bigint): bigint => BigInt(popcnt32(hi32(a)) + popcnt32(lo32(a))),
  eqz: (a: bigint): number => bool(a === 0n),
  eq: (a: bigint, b: bigint): number => bool(a === b),
  ne: (a: bigint, b: bigint): number => bool(a !== b),
  lt_s: (a: bigint, b: bigint): number => bool(a < b),
  lt_u: (a: bigint, b: bigint): number => bool(u64(a) < u64(b)),
  gt_s: (a: bigint, b: bigint): number => bool(a > b),
  gt_u: (a: bigint, b: bigint): number => bool(u64(a) > u64(b)),
  le_s: (a: bigint, b: bigint): number => bool(a <= b),
  le_u: (a: bigint, b: bigint): number => bool(u64(a) <= u64(b)),
  ge_s: (a: bigint, b: bigint): number => bool(a >= b),
  ge_u: (a: bigint, b: bigint): number => bool(u64(a) >= u64(b)),
  extend8_s: (a: bigint): bigint => BigInt.asIntN(8, a),
  extend16_s: (a: bigint): bigint => BigInt.asIntN(16, a),
  extend32_s: (a: bigint): bigint => BigInt.asIntN(32, a),
} as const;

/** §4.3.2 wrap: i64 to i32. */
export const wrap = (a: bigint): number => Number(BigInt.asIntN(32, a));
/** §4.3.2 extend_s / extend_u: i32 to i64. */
export const extend_s = (a: number): bigint => BigInt(a);
export const extend_u = (a: number): bigint => BigInt(u32(a));

/** §4.3.2 sat_s / sat_u: clamp an exact integer to the signed/unsigned N-bit range. */
export const sat_s = (n: number, i: number): number => Math.min(Math.max(i, -(2 ** (n - 1))), 2 ** (n - 1) - 1);
export const sat_u = (n: number, i: number): number => Math.min(Math.max(i, 0), 2 ** n - 1);
