// The numeric and vector operators of the reference engine (spec/exec/numerics.ts):
// 1. edge cases drawn from the WebAssembly 2.0 testsuite files (i32, i64, f32, f64, conversions,
//    float_misc, simd_*.wast), as direct calls of the operators;
// 2. a fast-check property per operator comparing with V8 bit for bit: a tiny module built by hand
//    takes the operands as integers (reinterpreted inside the module, so every bit crosses the JS
//    boundary), applies the operator and returns the result's bits. NaN results are compared by
//    the spec's rule (§4.3.3): both NaN, ours arithmetic, and canonical whenever no NaN operand
//    is non-canonical.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Trap } from '../spec/errors.js';
import { numerics } from '../spec/exec/numerics.js';
import { f32x4, f64x2, fromLanes, i16x8, i32x4, i64x2, i8x16, lanes, type Shape } from '../spec/exec/simd.js';
import type { Value } from '../spec/exec/values.js';
import { type NumericOp, opcodes } from '../spec/structure/instructions.js';

type Imm = { lane?: number; lanes?: readonly number[] };
/** Calls an operator. The table's `instr` parameter type is `never` (see the report), hence the cast. */
function run(op: NumericOp, args: readonly Value[], imm: Imm = {}): Value {
  const f = numerics[op] as unknown as (args: readonly Value[], instr: Imm & { op: NumericOp }) => Value;
  return f(args, { op, ...imm });
}

const dv = new DataView(new ArrayBuffer(8));
/** f32 bits of a JS number (rounded to binary32). */
const F32 = (x: number): number => (dv.setFloat32(0, x), dv.getUint32(0));
/** f64 bits of a JS number. */
const F64 = (x: number): bigint => (dv.setFloat64(0, x), dv.getBigUint64(0));
const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const hex = (v: Uint8Array): string => Buffer.from(v).toString('hex');

// The NaN classes of §4.3.3, written independently of the code under test.
const nan32 = (z: Value): boolean => typeof z === 'number' && (z & 0x7fffffff) > 0x7f800000;
const nan64 = (z: Value): boolean => typeof z === 'bigint' && (z & ((1n << 63n) - 1n)) > 0x7ff0000000000000n;
const canonical32 = (z: Value): boolean => nan32(z) && ((z as number) & 0x7fffffff) === 0x7fc00000;
const arithmetic32 = (z: Value): boolean => nan32(z) && ((z as number) & 0x400000) !== 0;
const canonical64 = (z: Value): boolean => nan64(z) && ((z as bigint) & ((1n << 63n) - 1n)) === 0x7ff8000000000000n;
const arithmetic64 = (z: Value): boolean => nan64(z) && ((z as bigint) & (1n << 51n)) !== 0n;
const nanClasses = {
  32: { isNaN: nan32, canonical: canonical32, arithmetic: arithmetic32 },
  64: { isNaN: nan64, canonical: canonical64, arithmetic: arithmetic64 },
} as const;
type NanClasses = (typeof nanClasses)[32 | 64];

const trapMessage = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    if (e instanceof Trap) return e.message;
    throw e;
  }
  return undefined;
};

describe('integer operators (i32.wast, i64.wast)', () => {
  it('computes the edge cases', () => {
    const cases: [NumericOp, Value[], Value][] = [
      ['i32.add', [0x7fffffff, 1], -0x80000000],
      ['i32.mul', [0x01234567, 0x76543210], 0x358e7470],
      ['i32.div_s', [-7, 2], -3],
      ['i32.div_u', [-1, 2], 0x7fffffff],
      ['i32.div_u', [-0x80000000, 2], 0x40000000],
      ['i32.rem_s', [-0x80000000, -1], 0],
      ['i32.rem_s', [-7, 2], -1],
      ['i32.rem_u', [-1, 3], 0],
      ['i32.clz', [0], 32],
      ['i32.ctz', [0], 32],
      ['i32.ctz', [-0x80000000], 31],
      ['i32.popcnt', [-1], 32],
      ['i32.popcnt', [0x55555555], 16],
      ['i32.shl', [1, 32], 1],
      ['i32.shr_s', [-1, 33], -1],
      ['i32.shr_u', [-1, 1], 0x7fffffff],
      ['i32.rotl', [0xfe00dc00 | 0, 4], 0xe00dc00f | 0],
      ['i32.rotr', [0xb0c1d2e3 | 0, 5], 0x1d860e97],
      ['i32.rotl', [1, 0], 1],
      ['i32.lt_u', [-1, 1], 0],
      ['i32.lt_s', [-1, 1], 1],
      ['i32.extend8_s', [0x80], -128],
      ['i32.extend16_s', [0x7fff], 0x7fff],
      ['i32.eqz', [0], 1],
      ['i64.add', [0x7fffffffffffffffn, 1n], -0x8000000000000000n],
      ['i64.mul', [0x0123456789abcdefn, s64(0xfedcba9876543210n)], 0x2236d88fe5618cf0n],
      ['i64.div_u', [-1n, 2n], 0x7fffffffffffffffn],
      ['i64.rem_s', [-0x8000000000000000n, -1n], 0n],
      ['i64.rem_u', [-0x8000000000000000n, -1n], -0x8000000000000000n],
      ['i64.clz', [0n], 64n],
      ['i64.clz', [1n], 63n],
      ['i64.ctz', [-0x8000000000000000n], 63n],
      ['i64.ctz', [0n], 64n],
      ['i64.popcnt', [-1n], 64n],
      ['i64.shl', [1n, 64n], 1n],
      ['i64.shl', [1n, 63n], -0x8000000000000000n],
      ['i64.shr_u', [-1n, 65n], 0x7fffffffffffffffn],
      ['i64.shr_s', [-0x8000000000000000n, 63n], -1n],
      ['i64.rotl', [s64(0xabcd987602468acen), 1n], 0x579b30ec048d159dn],
      ['i64.rotr', [s64(0xabcd987602468acen), 1n], 0x55e6cc3b01234567n],
      ['i64.rotl', [1n, 64n], 1n],
      ['i64.lt_u', [-1n, 1n], 0],
      ['i64.extend32_s', [0x80000000n], -0x80000000n],
      ['i64.extend8_s', [0xffn], -1n],
      ['i32.wrap_i64', [0x1_0000_0001n], 1],
      ['i32.wrap_i64', [0xffffffffn], -1],
      ['i64.extend_i32_s', [-1], -1n],
      ['i64.extend_i32_u', [-1], 0xffffffffn],
    ];
    for (const [op, args, want] of cases) expect(run(op, args), `${op}(${args.join(', ')})`).toBe(want);
  });

  it('traps on division by zero and overflow', () => {
    expect(trapMessage(() => run('i32.div_s', [-0x80000000, -1]))).toBe('integer overflow');
    expect(trapMessage(() => run('i64.div_s', [-0x8000000000000000n, -1n]))).toBe('integer overflow');
    for (const op of ['i32.div_s', 'i32.div_u', 'i32.rem_s', 'i32.rem_u'] as const)
      expect(trapMessage(() => run(op, [1, 0]))).toBe('integer divide by zero');
    for (const op of ['i64.div_s', 'i64.div_u', 'i64.rem_s', 'i64.rem_u'] as const)
      expect(trapMessage(() => run(op, [1n, 0n]))).toBe('integer divide by zero');
  });
});

describe('float operators (f32.wast, f64.wast, float_misc.wast)', () => {
  const nan = 0x7fc00000;
  const negNan = 0xffc00000;
  const snan = 0x7fa00000; // nan:0x200000
  const nan64 = 0x7ff8000000000000n;
  const snan64 = 0x7ff4000000000000n; // nan:0x4000000000000

  it('rounds exactly', () => {
    expect(run('f32.add', [F32(1), F32(2 ** -24)])).toBe(F32(1)); // tie to even
    expect(run('f32.add', [F32(1), F32(2 ** -23 + 2 ** -24)])).toBe(F32(1 + 2 ** -22));
    expect(run('f64.add', [F64(1), F64(2 ** -53)])).toBe(F64(1));
    expect(run('f32.mul', [F32(1e38), F32(10)])).toBe(F32(Infinity));
    expect(run('f32.div', [F32(1), F32(3)])).toBe(0x3eaaaaab);
    expect(run('f32.sqrt', [F32(2)])).toBe(0x3fb504f3);
    expect(run('f64.sqrt', [F64(-0)])).toBe(F64(-0));
    expect(run('f32.sub', [F32(2 ** -149), F32(2 ** -149)])).toBe(0); // +0
    expect(run('f64.mul', [F64(2 ** -1022), F64(2 ** -52)])).toBe(1n); // subnormal result
  });

  it('orders zeros in min and max, and keeps the sign of rounded zeros', () => {
    expect(run('f32.min', [F32(0), F32(-0)])).toBe(F32(-0));
    expect(run('f32.max', [F32(-0), F32(0)])).toBe(F32(0));
    expect(run('f64.min', [F64(-0), F64(0)])).toBe(F64(-0));
    expect(run('f32.ceil', [F32(-0.5)])).toBe(F32(-0));
    expect(run('f32.floor', [F32(-0.5)])).toBe(F32(-1));
    expect(run('f64.trunc', [F64(-0.9)])).toBe(F64(-0));
    expect(run('f64.floor', [F64(-(2 ** -1074))])).toBe(F64(-1));
  });

  it('rounds to nearest with ties to even', () => {
    const cases: [number, number][] = [
      [0.5, 0], [-0.5, -0], [1.5, 2], [-1.5, -2], [2.5, 2], [-2.5, -2], [3.5, 4], [-3.5, -4],
      [2 ** -149, 0], [-(2 ** -149), -0], [8388607.5, 8388608], [4.5, 4], [Infinity, Infinity],
    ];
    for (const [x, want] of cases) {
      expect(run('f32.nearest', [F32(x)]), `f32.nearest(${x})`).toBe(F32(want));
      expect(run('f64.nearest', [F64(x)]), `f64.nearest(${x})`).toBe(F64(want));
    }
    expect(run('f64.nearest', [F64(4503599627370497)])).toBe(F64(4503599627370497)); // 2^52 + 1
    expect(run('f64.nearest', [F64(4503599627370495.5)])).toBe(F64(4503599627370496));
  });

  it('propagates NaNs by the spec rule', () => {
    expect(run('f32.add', [nan, F32(1)])).toBe(nan);
    expect(canonical32(run('f32.add', [negNan, F32(-0)]))).toBe(true);
    expect(arithmetic32(run('f32.add', [F32(0), snan]))).toBe(true);
    expect(canonical32(run('f32.sub', [F32(Infinity), F32(Infinity)]))).toBe(true);
    expect(canonical32(run('f32.div', [F32(0), F32(-0)]))).toBe(true);
    expect(canonical32(run('f32.sqrt', [F32(-1)]))).toBe(true);
    expect(arithmetic32(run('f32.min', [snan, F32(-Infinity)]))).toBe(true);
    expect(arithmetic32(run('f32.nearest', [snan]))).toBe(true);
    expect(canonical64(run('f64.mul', [F64(Infinity), F64(0)]))).toBe(true);
    expect(arithmetic64(run('f64.max', [F64(1), snan64]))).toBe(true);
    expect(canonical64(run('f64.ceil', [nan64]))).toBe(true);
  });

  it('treats abs, neg and copysign as bit operations', () => {
    expect(run('f32.abs', [0xffa00000])).toBe(snan);
    expect(run('f32.neg', [snan])).toBe(0xffa00000);
    expect(run('f32.copysign', [snan, F32(-0)])).toBe(0xffa00000);
    expect(run('f32.copysign', [F32(1), negNan])).toBe(F32(-1));
    expect(run('f64.neg', [snan64])).toBe(0xfff4000000000000n);
    expect(run('f64.abs', [F64(-0)])).toBe(0n);
  });

  it('compares with NaN false, and -0 equal to +0', () => {
    expect(run('f32.eq', [nan, nan])).toBe(0);
    expect(run('f32.ne', [nan, nan])).toBe(1);
    expect(run('f32.eq', [F32(0), F32(-0)])).toBe(1);
    expect(run('f64.lt', [F64(-0), F64(0)])).toBe(0);
    expect(run('f64.ge', [nan64, F64(0)])).toBe(0);
    expect(run('f64.le', [F64(-Infinity), F64(-Number.MAX_VALUE)])).toBe(1);
  });
});

describe('conversions (conversions.wast)', () => {
  it('truncates, trapping on NaN and out-of-range operands', () => {
    expect(run('i32.trunc_f32_s', [F32(-2147483648)])).toBe(-0x80000000);
    expect(run('i32.trunc_f32_u', [F32(-0.9)])).toBe(0);
    expect(run('i32.trunc_f64_u', [F64(4294967295.9)])).toBe(-1);
    expect(run('i32.trunc_f64_s', [F64(-2147483648.9)])).toBe(-0x80000000);
    expect(run('i64.trunc_f64_u', [F64(18446744073709549568)])).toBe(-2048n);
    expect(run('i64.trunc_f32_s', [F32(-9223372036854775808)])).toBe(-0x8000000000000000n);
    expect(trapMessage(() => run('i32.trunc_f32_s', [0x7fc00000]))).toBe('invalid conversion to integer');
    expect(trapMessage(() => run('i64.trunc_f64_u', [0xfff4000000000000n]))).toBe('invalid conversion to integer');
    expect(trapMessage(() => run('i32.trunc_f32_s', [F32(2147483648)]))).toBe('integer overflow');
    expect(trapMessage(() => run('i32.trunc_f32_s', [F32(-2147483904)]))).toBe('integer overflow');
    expect(trapMessage(() => run('i32.trunc_f64_s', [F64(-2147483649)]))).toBe('integer overflow');
    expect(trapMessage(() => run('i32.trunc_f32_u', [F32(-1)]))).toBe('integer overflow');
    expect(trapMessage(() => run('i64.trunc_f64_s', [F64(9223372036854775808)]))).toBe('integer overflow');
    expect(trapMessage(() => run('i64.trunc_f64_u', [F64(18446744073709551616)]))).toBe('integer overflow');
    expect(trapMessage(() => run('i64.trunc_f32_u', [F32(-Infinity)]))).toBe('integer overflow');
  });

  it('saturates', () => {
    expect(run('i32.trunc_sat_f32_s', [0x7fc00000])).toBe(0);
    expect(run('i32.trunc_sat_f32_s', [F32(Infinity)])).toBe(0x7fffffff);
    expect(run('i32.trunc_sat_f32_s', [F32(-Infinity)])).toBe(-0x80000000);
    expect(run('i32.trunc_sat_f64_u', [F64(-1)])).toBe(0);
    expect(run('i32.trunc_sat_f64_u', [F64(1e10)])).toBe(-1);
    expect(run('i64.trunc_sat_f64_s', [F64(1e19)])).toBe(0x7fffffffffffffffn);
    expect(run('i64.trunc_sat_f32_u', [F32(1e20)])).toBe(-1n);
    expect(run('i64.trunc_sat_f64_u', [0xfff8000000000000n])).toBe(0n);
  });

  it('converts integers exactly rounded, without double rounding', () => {
    expect(run('f32.convert_i32_s', [16777217])).toBe(F32(16777216));
    expect(run('f32.convert_i32_u', [-1])).toBe(F32(4294967296));
    expect(run('f32.convert_i32_u', [0x80000080 | 0])).toBe(F32(2147483648));
    expect(run('f64.convert_i32_u', [-1])).toBe(F64(4294967295));
    expect(run('f32.convert_i64_s', [0x7fffff4000000001n])).toBe(0x5effffff); // 0x1.fffffep+62
    expect(run('f32.convert_i64_s', [s64(0x8000004000000001n)])).toBe(0xdeffffff);
    expect(run('f32.convert_i64_s', [0x0020000020000001n])).toBe(0x5a000001); // 0x1.000002p+53
    expect(run('f32.convert_i64_s', [s64(0xffdfffffdfffffffn)])).toBe(0xda000001);
    expect(run('f32.convert_i64_u', [-1n])).toBe(F32(18446744073709551616));
    expect(run('f32.convert_i64_u', [s64(0x8000008000000001n)])).toBe(0x5f000001); // 0x1.000002p+63
    expect(run('f64.convert_i64_s', [9007199254740993n])).toBe(F64(9007199254740992));
    expect(run('f64.convert_i64_s', [-9007199254740995n])).toBe(F64(-9007199254740996));
    expect(run('f64.convert_i64_u', [s64(0x8000000000000401n)])).toBe(0x43e0000000000001n);
    expect(run('f64.convert_i64_u', [-1n])).toBe(F64(18446744073709551616));
  });

  it('promotes and demotes, keeping NaN payloads quieted', () => {
    expect(run('f64.promote_f32', [F32(-0)])).toBe(F64(-0));
    expect(run('f64.promote_f32', [1])).toBe(F64(2 ** -149));
    expect(run('f64.promote_f32', [0x7fc00000])).toBe(0x7ff8000000000000n);
    expect(arithmetic64(run('f64.promote_f32', [0x7fa00000]))).toBe(true);
    expect(run('f32.demote_f64', [F64(Number.MAX_VALUE)])).toBe(F32(Infinity));
    expect(run('f32.demote_f64', [0x3ff0000010000000n])).toBe(F32(1)); // halfway: to even
    expect(run('f32.demote_f64', [0x3ff0000030000000n])).toBe(F32(1 + 2 ** -22));
    expect(run('f32.demote_f64', [F64(2 ** -150)])).toBe(0); // ties to even at the smallest subnormal
    expect(run('f32.demote_f64', [0xfff8000000000000n])).toBe(0xffc00000);
    expect(arithmetic32(run('f32.demote_f64', [0x7ff4000000000000n]))).toBe(true);
  });

  it('reinterprets bits unchanged', () => {
    expect(run('f32.reinterpret_i32', [0x7fa00001])).toBe(0x7fa00001);
    expect(run('i32.reinterpret_f32', [0xffa00001])).toBe(0xffa00001 | 0);
    expect(run('i64.reinterpret_f64', [0xfff4000000000001n])).toBe(s64(0xfff4000000000001n));
    expect(run('f64.reinterpret_i64', [-1n])).toBe(0xffffffffffffffffn);
  });
});

describe('vector operators (simd_*.wast)', () => {
  const v8 = (...xs: number[]): Uint8Array => fromLanes(i8x16, xs);
  const v16 = (...xs: number[]): Uint8Array => fromLanes(i16x8, xs);
  const v32 = (...xs: number[]): Uint8Array => fromLanes(i32x4, xs);
  const v64 = (...xs: bigint[]): Uint8Array => fromLanes(i64x2, xs);
  const vf32 = (...xs: number[]): Uint8Array => fromLanes(f32x4, xs.map(F32));
  const vf64 = (...xs: number[]): Uint8Array => fromLanes(f64x2, xs.map(F64));
  const iota = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));
  const vec = (op: NumericOp, args: Value[], imm?: Imm): string => hex(run(op, args, imm) as Uint8Array);

  it('splats, extracts and replaces lanes (little-endian)', () => {
    expect(vec('i8x16.splat', [0x1ff])).toBe('ff'.repeat(16));
    expect(vec('i32x4.splat', [0x01020304])).toBe('04030201'.repeat(4));
    expect(vec('f64x2.splat', [0x7ff4000000000001n])).toBe('010000000000f47f'.repeat(2));
    const v = v8(...iota(16, (i) => 0xf0 + i));
    expect(run('i8x16.extract_lane_s', [v], { lane: 15 })).toBe(-1);
    expect(run('i8x16.extract_lane_u', [v], { lane: 15 })).toBe(255);
    expect(run('i16x8.extract_lane_u', [v], { lane: 0 })).toBe(0xf1f0);
    expect(run('i64x2.extract_lane', [v], { lane: 1 })).toBe(s64(0xfffefdfcfbfaf9f8n));
    expect(run('f32x4.extract_lane', [v], { lane: 0 })).toBe(0xf3f2f1f0);
    expect(vec('i16x8.replace_lane', [v16(...iota(8, () => 0)), 0x12345], { lane: 7 })).toBe('0000'.repeat(7) + '4523');
    expect(hex(v)).toBe('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff'); // operands are not mutated
  });

  it('shuffles and swizzles', () => {
    const a = v8(...iota(16, (i) => i));
    const b = v8(...iota(16, (i) => 0x10 + i));
    expect(vec('i8x16.shuffle', [a, b], { lanes: iota(16, (i) => 31 - i) })).toBe(hex(v8(...iota(16, (i) => 31 - i))));
    expect(vec('i8x16.swizzle', [b, v8(0, 15, 16, 255, ...iota(12, () => 1))])).toBe('101f000011'.padEnd(32, '11'));
  });

  it('computes bitwise operators and boolean reductions', () => {
    const ones = v8(...iota(16, () => -1));
    const zero = v8(...iota(16, () => 0));
    expect(vec('v128.not', [zero])).toBe(hex(ones));
    expect(vec('v128.andnot', [ones, v32(0xff, 0, 0, 0)])).toBe('00ffffff' + 'ff'.repeat(12));
    expect(vec('v128.bitselect', [v32(0x12345678, 0, 0, 0), v32(-1, 0, 0, 0), v32(0x0f0f0f0f, 0, 0, 0)])).toBe(
      'f8f6f4f2' + '00'.repeat(12),
    );
    expect(run('v128.any_true', [zero])).toBe(0);
    expect(run('v128.any_true', [v8(...iota(15, () => 0), 1)])).toBe(1);
    expect(run('i8x16.all_true', [v8(...iota(15, () => 1), 0)])).toBe(0);
    expect(run('i16x8.all_true', [v8(...iota(16, (i) => i % 2))])).toBe(1);
    expect(run('i64x2.all_true', [v64(1n << 63n, 1n)])).toBe(1);
    expect(run('i8x16.bitmask', [v8(...iota(16, (i) => (i % 3 === 0 ? -1 : 1)))])).toBe(0b1001001001001001);
    expect(run('i32x4.bitmask', [v32(-1, 0, -0x80000000, 0x7fffffff)])).toBe(0b0101);
    expect(run('i64x2.bitmask', [v64(0n, -1n)])).toBe(0b10);
  });

  it('computes integer lane arithmetic with wrapping and saturation', () => {
    expect(vec('i8x16.add', [v8(...iota(16, () => 0x7f)), v8(...iota(16, () => 1))])).toBe('80'.repeat(16));
    expect(vec('i8x16.add_sat_s', [v8(...iota(16, () => 0x7f)), v8(...iota(16, () => 1))])).toBe('7f'.repeat(16));
    expect(vec('i8x16.sub_sat_s', [v8(...iota(16, () => -128)), v8(...iota(16, () => 1))])).toBe('80'.repeat(16));
    expect(vec('i8x16.add_sat_u', [v8(...iota(16, () => 0xff)), v8(...iota(16, () => 1))])).toBe('ff'.repeat(16));
    expect(vec('i16x8.sub_sat_u', [v16(...iota(8, () => 1)), v16(...iota(8, () => 2))])).toBe('0000'.repeat(8));
    expect(vec('i8x16.abs', [v8(...iota(16, () => -128))])).toBe('80'.repeat(16));
    expect(vec('i8x16.popcnt', [v8(...iota(16, () => -1))])).toBe('08'.repeat(16));
    expect(vec('i8x16.min_u', [v8(...iota(16, () => -1)), v8(...iota(16, () => 1))])).toBe('01'.repeat(16));
    expect(vec('i8x16.max_s', [v8(...iota(16, () => -1)), v8(...iota(16, () => 1))])).toBe('01'.repeat(16));
    expect(vec('i8x16.avgr_u', [v8(...iota(16, () => 255)), v8(...iota(16, () => 254))])).toBe('ff'.repeat(16));
    expect(vec('i16x8.avgr_u', [v16(...iota(8, () => 0)), v16(...iota(8, () => 1))])).toBe('0100'.repeat(8));
    expect(vec('i16x8.mul', [v16(...iota(8, () => 0x100)), v16(...iota(8, () => 0x100))])).toBe('0000'.repeat(8));
    expect(vec('i16x8.q15mulr_sat_s', [v16(...iota(8, () => -0x8000)), v16(...iota(8, () => -0x8000))])).toBe(
      'ff7f'.repeat(8),
    );
    expect(vec('i16x8.q15mulr_sat_s', [v16(...iota(8, () => 0x4000)), v16(...iota(8, () => -1))])).toBe(
      '0000'.repeat(8), // (-0x4000 + 0x4000) >> 15
    );
    expect(vec('i32x4.dot_i16x8_s', [v16(...iota(8, () => -0x8000)), v16(...iota(8, () => -0x8000))])).toBe(
      '00000080'.repeat(4),
    );
    expect(vec('i32x4.min_u', [v32(-1, 0, 1, -0x80000000), v32(0, -1, 2, 0x7fffffff)])).toBe(
      hex(v32(0, 0, 1, 0x7fffffff)),
    );
    expect(vec('i64x2.mul', [v64(0x100000000n, -1n), v64(0x100000000n, -1n)])).toBe(hex(v64(0n, 1n)));
    expect(vec('i64x2.abs', [v64(-0x8000000000000000n, -5n)])).toBe(hex(v64(-0x8000000000000000n, 5n)));
  });

  it('shifts by the count modulo the lane width', () => {
    const v = v8(...iota(16, () => 0x81));
    expect(vec('i8x16.shl', [v, 9])).toBe('02'.repeat(16));
    expect(vec('i8x16.shr_s', [v, 1])).toBe('c0'.repeat(16));
    expect(vec('i8x16.shr_u', [v, 1])).toBe('40'.repeat(16));
    expect(vec('i16x8.shr_u', [v16(...iota(8, () => -1)), 17])).toBe('ff7f'.repeat(8));
    expect(vec('i32x4.shl', [v32(1, 1, 1, 1), 33])).toBe('02000000'.repeat(4));
    expect(vec('i64x2.shr_s', [v64(-0x8000000000000000n, 1n), 127])).toBe(hex(v64(-1n, 0n)));
  });

  it('compares lanes into masks', () => {
    expect(vec('i8x16.lt_u', [v8(...iota(16, () => -1)), v8(...iota(16, () => 1))])).toBe('00'.repeat(16));
    expect(vec('i8x16.lt_s', [v8(...iota(16, () => -1)), v8(...iota(16, () => 1))])).toBe('ff'.repeat(16));
    expect(vec('i16x8.ge_u', [v16(...iota(8, () => 0x8000)), v16(...iota(8, () => 0x7fff))])).toBe('ffff'.repeat(8));
    expect(vec('i64x2.gt_s', [v64(0n, -1n), v64(-1n, 0n)])).toBe(hex(v64(-1n, 0n)));
    expect(vec('f32x4.eq', [vf32(NaN, 0, -0, 1), vf32(NaN, -0, 0, 2)])).toBe(hex(v32(0, -1, -1, 0)));
    expect(vec('f64x2.ne', [vf64(NaN, 1), vf64(NaN, 1)])).toBe(hex(v64(-1n, 0n)));
  });

  it('narrows with saturation and extends', () => {
    expect(vec('i8x16.narrow_i16x8_s', [v16(128, -129, 5, -5, 127, -128, 0, 1), v16(...iota(8, () => 0x7fff))])).toBe(
      hex(v8(127, -128, 5, -5, 127, -128, 0, 1, ...iota(8, () => 127))),
    );
    expect(vec('i8x16.narrow_i16x8_u', [v16(-1, 256, 255, 0, 0, 0, 0, 0), v16(...iota(8, () => 0))])).toBe(
      hex(v8(0, 255, 255, ...iota(13, () => 0))),
    );
    expect(vec('i16x8.narrow_i32x4_u', [v32(-1, 0x10000, 0xffff, 1), v32(0, 0, 0, 0)])).toBe(
      hex(v16(0, -1, -1, 1, 0, 0, 0, 0)),
    );
    const v = v8(...iota(16, (i) => (i < 8 ? -1 : -2)));
    expect(vec('i16x8.extend_low_i8x16_s', [v])).toBe('ffff'.repeat(8));
    expect(vec('i16x8.extend_high_i8x16_u', [v])).toBe('fe00'.repeat(8));
    expect(vec('i64x2.extend_high_i32x4_u', [v32(0, 0, -1, -2)])).toBe(hex(v64(0xffffffffn, 0xfffffffen)));
    expect(vec('i16x8.extadd_pairwise_i8x16_u', [v8(...iota(16, () => -1))])).toBe(hex(v16(...iota(8, () => 510))));
    expect(vec('i32x4.extadd_pairwise_i16x8_s', [v16(...iota(8, () => -0x8000))])).toBe(hex(v32(...iota(4, () => -0x10000))));
    expect(vec('i64x2.extmul_low_i32x4_u', [v32(-1, -1, 0, 0), v32(-1, 2, 0, 0)])).toBe(
      hex(v64(s64(0xfffffffe00000001n), 0x1fffffffen)),
    );
    expect(vec('i32x4.extmul_high_i16x8_s', [v16(0, 0, 0, 0, -0x8000, 1, 2, 3), v16(0, 0, 0, 0, -0x8000, -1, 2, 3)])).toBe(
      hex(v32(0x40000000, -1, 4, 9)),
    );
  });

  it('applies the scalar float semantics per lane', () => {
    const r = run('f32x4.add', [fromLanes(f32x4, [0x7fa00000, 0x7fc00000, F32(Infinity), F32(1)]), vf32(1, 1, -Infinity, 2 ** -24)]);
    const [l0, l1, l2, l3] = lanes(f32x4, r as Uint8Array);
    expect(arithmetic32(l0!)).toBe(true);
    expect(canonical32(l1!)).toBe(true);
    expect(canonical32(l2!)).toBe(true);
    expect(l3).toBe(F32(1));
    expect(vec('f32x4.min', [vf32(0, -0, 1, 2), vf32(-0, 0, 2, 1)])).toBe(hex(vf32(-0, -0, 1, 1)));
    expect(vec('f64x2.nearest', [vf64(2.5, -0.5)])).toBe(hex(vf64(2, -0)));
    expect(vec('f32x4.abs', [fromLanes(f32x4, [0xffa00000, F32(-1), 0, 0x80000000])])).toBe(
      hex(fromLanes(f32x4, [0x7fa00000, F32(1), 0, 0])),
    );
  });

  it('computes pmin and pmax as b < a ? b : a and a < b ? b : a', () => {
    const nanLane = 0x7fa00000;
    const a = fromLanes(f32x4, [nanLane, F32(0), F32(-0), F32(1)]);
    const b = fromLanes(f32x4, [F32(0), nanLane, F32(0), F32(-1)]);
    expect(vec('f32x4.pmin', [a, b])).toBe(hex(fromLanes(f32x4, [nanLane, F32(0), F32(-0), F32(-1)])));
    expect(vec('f32x4.pmax', [a, b])).toBe(hex(fromLanes(f32x4, [nanLane, F32(0), F32(-0), F32(1)])));
    expect(vec('f64x2.pmax', [vf64(-0, 1), vf64(0, NaN)])).toBe(hex(vf64(-0, 1)));
  });

  it('converts lanes', () => {
    expect(vec('i32x4.trunc_sat_f32x4_s', [vf32(NaN, Infinity, -Infinity, -1.5)])).toBe(
      hex(v32(0, 0x7fffffff, -0x80000000, -1)),
    );
    expect(vec('i32x4.trunc_sat_f32x4_u', [vf32(-1, 4294967296, 1.9, 3e9)])).toBe(hex(v32(0, -1, 1, 3000000000 | 0)));
    expect(vec('i32x4.trunc_sat_f64x2_s_zero', [vf64(-3e9, 2.9)])).toBe(hex(v32(-0x80000000, 2, 0, 0)));
    expect(vec('i32x4.trunc_sat_f64x2_u_zero', [vf64(5e9, -0.5)])).toBe(hex(v32(-1, 0, 0, 0)));
    expect(vec('f32x4.convert_i32x4_u', [v32(-1, 16777217, 0, 1)])).toBe(hex(vf32(4294967296, 16777216, 0, 1)));
    expect(vec('f64x2.convert_low_i32x4_u', [v32(-1, 1, 7, 7)])).toBe(hex(vf64(4294967295, 1)));
    expect(vec('f64x2.convert_low_i32x4_s', [v32(-1, 1, 7, 7)])).toBe(hex(vf64(-1, 1)));
    expect(vec('f32x4.demote_f64x2_zero', [vf64(1 + 2 ** -24, Number.MAX_VALUE)])).toBe(hex(vf32(1, Infinity, 0, 0)));
    expect(vec('f64x2.promote_low_f32x4', [vf32(2 ** -149, -0, 5, 5)])).toBe(hex(vf64(2 ** -149, -0)));
  });
});

// ---------------------------------------------------------------------------------------------
// Differential property against V8.

type OpSig = readonly [readonly string[], readonly string[]];
const sigOf = (op: NumericOp): OpSig => (opcodes[op] as { readonly sig: OpSig }).sig;
const immOf = (op: NumericOp): string => opcodes[op].imm;

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const vecOf = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const encodeOp = (op: NumericOp): number[] => {
  const info: { prefix?: number; code: number } = opcodes[op];
  return info.prefix === undefined ? [info.code] : [info.prefix, ...uleb(info.code)];
};
const I32 = 0x7f;
const I64 = 0x7e;
const V128 = 0x7b;
/** How each operand/result type crosses the JS boundary: as integers of the same bits. */
const carriers: Record<string, number[]> = { i32: [I32], f32: [I32], i64: [I64], f64: [I64], v128: [I64, I64] };

/**
 * (func (param <operands as integers>) (result <result as integers>)
 *   <each operand, reinterpreted or rebuilt from two i64 lanes> <op> <result reinterpreted>)
 */
function moduleFor(op: NumericOp, imm: Imm): WebAssembly.Module {
  const [ins, outs] = sigOf(op);
  const params = ins.flatMap((t) => carriers[t]!);
  const results = outs.flatMap((t) => carriers[t]!);
  const body: number[] = [];
  let local = 0;
  for (const t of ins) {
    body.push(0x20, ...uleb(local++));
    if (t === 'f32') body.push(0xbe);
    if (t === 'f64') body.push(0xbf);
    if (t === 'v128') body.push(...encodeOp('i64x2.splat'), 0x20, ...uleb(local++), ...encodeOp('i64x2.replace_lane'), 1);
  }
  body.push(...encodeOp(op));
  if (imm.lane !== undefined) body.push(imm.lane);
  if (imm.lanes !== undefined) body.push(...imm.lanes);
  const tmp = params.length;
  for (const t of outs) {
    if (t === 'f32') body.push(0xbc);
    if (t === 'f64') body.push(0xbd);
    if (t === 'v128') {
      const extract = encodeOp('i64x2.extract_lane');
      body.push(0x22, ...uleb(tmp), ...extract, 0, 0x20, ...uleb(tmp), ...extract, 1);
    }
  }
  body.push(0x0b);
  const locals = outs.includes('v128') ? vecOf([[1, V128]]) : vecOf([]);
  const code = [...locals, ...body];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vecOf([[0x60, ...vecOf(params.map((p) => [p])), ...vecOf(results.map((r) => [r]))]])),
    ...section(3, vecOf([[0]])),
    ...section(7, vecOf([[...vecOf([[0x66]]), 0x00, 0]])),
    ...section(10, vecOf([[...uleb(code.length), ...code]])),
  ];
  return new WebAssembly.Module(new Uint8Array(bytes));
}

const instances = new Map<string, (...args: unknown[]) => unknown>();
function v8Function(op: NumericOp, imm: Imm): (...args: unknown[]) => unknown {
  const key = `${op} ${JSON.stringify(imm)}`;
  let f = instances.get(key);
  if (f === undefined) {
    f = new WebAssembly.Instance(moduleFor(op, imm)).exports['f'] as (...args: unknown[]) => unknown;
    instances.set(key, f);
  }
  return f;
}

/** Our value as the integers the V8 function takes. */
function toCarriers(t: string, v: Value): unknown[] {
  if (t === 'f32') return [(v as number) | 0];
  if (t === 'f64') return [s64(v as bigint)];
  if (t === 'v128') return lanes(i64x2, v as Uint8Array);
  return [v];
}
/** V8's results (a single value, or an array for multiple results) as our value. */
function fromCarriers(t: string, r: unknown): Value {
  if (t === 'f32') return (r as number) >>> 0;
  if (t === 'f64') return u64(r as bigint);
  if (t === 'v128') return fromLanes(i64x2, r as bigint[]);
  return r as Value;
}

/** Operators whose float results follow the NaN propagation rule of §4.3.3 (others are exact). */
const nanRule =
  /^(f32|f64|f32x4|f64x2)\.(add|sub|mul|div|sqrt|min|max|ceil|floor|trunc|nearest|demote_f64|promote_f32|demote_f64x2_zero|promote_low_f32x4)$/;
const nanStats = { nanResults: 0, sameBitsAsV8: 0 };

type Bits = number | bigint;
const anyF32x4 = f32x4 as Shape<Bits>;
const anyF64x2 = f64x2 as Shape<Bits>;

/** Checks one float result (or lane) against V8's by the §4.3.3 rule; `inputs` are the operands (of that lane), of class `G`. */
function checkFloat(F: NanClasses, G: NanClasses, ours: Bits, theirs: Bits, inputs: readonly Bits[], what: string): void {
  if (!F.isNaN(theirs)) {
    expect(ours, what).toBe(theirs);
    return;
  }
  nanStats.nanResults++;
  if (ours === theirs) nanStats.sameBitsAsV8++;
  expect(F.arithmetic(ours), `${what}: arithmetic NaN expected, got ${ours.toString(16)}`).toBe(true);
  if (inputs.every((z) => !G.isNaN(z) || G.canonical(z)))
    expect(F.canonical(ours), `${what}: canonical NaN expected, got ${ours.toString(16)}`).toBe(true);
}

function compare(op: NumericOp, args: readonly Value[], ours: Value, theirs: Value): void {
  const [ins, [out]] = sigOf(op);
  const what = `${op}(${args.map((a) => (a instanceof Uint8Array ? hex(a) : String(a))).join(', ')})`;
  if (!nanRule.test(op)) {
    if (out === 'v128') expect(hex(ours as Uint8Array), what).toBe(hex(theirs as Uint8Array));
    else expect(ours, what).toBe(theirs);
    return;
  }
  const outF32 = op.startsWith('f32');
  const inF32 = op.includes('promote') || (outF32 && !op.includes('demote'));
  const [F, G] = [nanClasses[outF32 ? 32 : 64], nanClasses[inF32 ? 32 : 64]];
  if (out !== 'v128') {
    checkFloat(F, G, ours as Bits, theirs as Bits, args as Bits[], what);
    return;
  }
  const [outShape, inShape] = [outF32 ? anyF32x4 : anyF64x2, inF32 ? anyF32x4 : anyF64x2];
  const theirLanes = lanes(outShape, theirs as Uint8Array);
  const inLanes = ins.map((_, k) => lanes(inShape, args[k] as Uint8Array));
  lanes(outShape, ours as Uint8Array).forEach((z, i) => {
    const inputs = i < inShape.dim ? inLanes.map((ls) => ls[i]!) : [];
    checkFloat(F, G, z, theirLanes[i]!, inputs, `${what} lane ${i}`);
  });
}

// Operand generators: uniform bits plus the edge values the testsuite dwells on.
const F32_EDGES = [0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 2 ** -149, -(2 ** -149), 2 ** -126, 3.4028234663852886e38,
  Infinity, -Infinity, 2 ** 23, 2 ** 24 + 2, 2 ** 31, -(2 ** 31), 2 ** 32, 2 ** 63, -(2 ** 63), 2 ** 64, 4294967040,
  -2147483904, 0.9999999403953552].map(F32);
const F32_NANS = [0x7fc00000, 0xffc00000, 0x7fa00000, 0xffa00000, 0x7f800001, 0x7fffffff, 0x7fc00001];
const F64_EDGES = [0, -0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 2 ** -1074, -(2 ** -1074), 2 ** -1022, Number.MAX_VALUE,
  Infinity, -Infinity, 2 ** 52, 2 ** 53 + 2, 2 ** 31, -(2 ** 31), -2147483648.9, 4294967295.9, 2 ** 32, 2 ** 63,
  -(2 ** 63), 2 ** 64, 3.4028235677973366e38, 1 + 2 ** -24, 1 + 2 ** -23 + 2 ** -52].map(F64);
const F64_NANS = [0x7ff8000000000000n, 0xfff8000000000000n, 0x7ff4000000000000n, 0xfff4000000000000n,
  0x7ff0000000000001n, 0x7fffffffffffffffn, 0x7ff8000000000001n];

const i32Arb = fc.oneof(
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.constantFrom(0, 1, -1, -0x80000000, 0x7fffffff, 7, 31, 32, 33, 63, 64, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x10000),
  fc.integer({ min: -300, max: 300 }),
);
const i64Arb = fc.oneof(
  fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
  fc.constantFrom(0n, 1n, -1n, -(1n << 63n), (1n << 63n) - 1n, 63n, 64n, 65n, 0xffffffffn, 0x80000000n, -0x80000000n),
  fc.bigInt({ min: -300n, max: 300n }),
  i32Arb.map(BigInt),
  // Near the halfway points between binary32 (and binary64) neighbours, where double rounding errs.
  fc
    .tuple(fc.bigInt({ min: 1n << 23n, max: (1n << 24n) - 1n }), fc.integer({ min: 1, max: 40 }), fc.bigInt({ min: -2n, max: 2n }), fc.boolean())
    .map(([m, s, d, neg]) => s64((neg ? -1n : 1n) * ((m << BigInt(s)) + (1n << BigInt(s - 1)) + d))),
  fc
    .tuple(fc.bigInt({ min: 1n << 52n, max: (1n << 53n) - 1n }), fc.integer({ min: 1, max: 11 }), fc.bigInt({ min: -2n, max: 2n }))
    .map(([m, s, d]) => s64((m << BigInt(s)) + (1n << BigInt(s - 1)) + d)),
);
const f32Arb = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(...F32_EDGES, ...F32_NANS),
  fc.float({ noNaN: true }).map(F32),
  fc.integer({ min: -64, max: 64 }).map((k) => F32(k / 2)),
);
const f64Arb = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.constantFrom(...F64_EDGES, ...F64_NANS),
  fc.double({ noNaN: true }).map(F64),
  fc.float({ noNaN: true }).map(F64),
  fc.integer({ min: -64, max: 64 }).map((k) => F64(k / 2)),
);
const v128Arb = fc.oneof(
  fc.uint8Array({ minLength: 16, maxLength: 16 }),
  fc.array(f32Arb, { minLength: 4, maxLength: 4 }).map((ls) => fromLanes(f32x4, ls)),
  fc.array(f64Arb, { minLength: 2, maxLength: 2 }).map((ls) => fromLanes(f64x2, ls)),
  fc.array(i32Arb, { minLength: 4, maxLength: 4 }).map((ls) => fromLanes(i32x4, ls)),
  fc.array(fc.constantFrom(0, 1, -1, 0x7fff, -0x8000, 0x7f, 0x80, -0x80, 0xff, -0x81, 0x100), { minLength: 8, maxLength: 8 }).map((ls) =>
    fromLanes(i16x8, ls),
  ),
  fc.array(fc.constantFrom(0, 1, -1, 0x7f, -0x80, 0x40), { minLength: 16, maxLength: 16 }).map((ls) => fromLanes(i8x16, ls)),
);
const arbOf: Record<string, fc.Arbitrary<Value>> = { i32: i32Arb, i64: i64Arb, f32: f32Arb, f64: f64Arb, v128: v128Arb };
const laneCount = (op: NumericOp): number => 128 / Number(/^[if](\d+)x/.exec(op)![1]);
const immArb = (op: NumericOp): fc.Arbitrary<Imm> =>
  immOf(op) === 'lane'
    ? fc.nat({ max: laneCount(op) - 1 }).map((lane) => ({ lane }))
    : immOf(op) === 'shuffle'
      ? fc.array(fc.nat({ max: 31 }), { minLength: 16, maxLength: 16 }).map((ls) => ({ lanes: ls }))
      : fc.constant({});

// NUMERICS_RUNS=3000 for a deeper run.
const NUM_RUNS = Number(process.env["NUMERICS_RUNS"] ?? 300);
const allOps = Object.keys(numerics) as NumericOp[];

describe('agrees with V8', () => {
  it('covers exactly the operators of the opcode table that take no memory or constant immediate', () => {
    const expected = (Object.keys(opcodes) as (keyof typeof opcodes)[]).filter((op) => {
      const info: { sig?: unknown; imm: string } = opcodes[op];
      return info.sig !== undefined && ['none', 'lane', 'shuffle'].includes(info.imm);
    });
    expect([...allOps].sort()).toEqual([...expected].sort());
  });

  for (const op of allOps) {
    it(op, () => {
      const [ins, outs] = sigOf(op);
      fc.assert(
        fc.property(fc.tuple(...ins.map((t) => arbOf[t]!)), immArb(op), (args, imm) => {
          const f = v8Function(op, imm);
          let theirs: Value | 'trap';
          try {
            theirs = fromCarriers(outs[0]!, f(...ins.flatMap((t, k) => toCarriers(t, args[k]!))));
          } catch (e) {
            if (!(e instanceof WebAssembly.RuntimeError)) throw e;
            theirs = 'trap';
          }
          let ours: Value | 'trap';
          try {
            ours = run(op, args, imm);
          } catch (e) {
            if (!(e instanceof Trap)) throw e;
            ours = 'trap';
          }
          if (theirs === 'trap' || ours === 'trap') expect(ours, `${op}(${args.join(', ')}) traps`).toBe(theirs);
          else compare(op, args, ours, theirs);
        }),
        { numRuns: NUM_RUNS },
      );
    });
  }

  it('reports how often NaN results carry the same bits as V8', () => {
    console.log(`numerics vs V8: ${allOps.length} operators x ${NUM_RUNS} runs; NaN results: ${nanStats.nanResults}, same bits as V8: ${nanStats.sameBitsAsV8}`);
  });
});
