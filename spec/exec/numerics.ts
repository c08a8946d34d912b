// The numeric and vector instructions of spec §4.4.1 and §4.4.3, as one table from instruction name
// to operator: operands in operand order (args[0] is the first), values as in values.ts. Scalar
// operators are in integer.ts and float.ts (§4.3.2, §4.3.3); vector operators lift them lane-wise
// with simd.ts (§4.3.4). Trapping operators throw `Trap` with the testsuite's messages.

import { Trap } from '../errors.js';
import type { ImmOf, Instr, NumericOp, Opname, opcodes } from '../structure/instructions.js';
import { convert, demote, f32, f32ops, f64, f64ops, type Format, promote, truncSat, truncToInteger } from './float.js';
import { extend_s, extend_u, i32, i64, sat_s, sat_u, wrap } from './integer.js';
import {
  allTrue,
  anyTrue,
  binop,
  bitmask,
  bitselect,
  bitwise,
  convertZero,
  dot,
  extaddPairwise,
  extend,
  extmul,
  extractLane,
  f32x4,
  f64x2,
  i16x8,
  i16x8_u,
  i32x4,
  i64x2,
  i8x16,
  i8x16_u,
  narrow,
  relop,
  replaceLane,
  type Shape,
  shiftop,
  shuffle,
  splat,
  swizzle,
  unop,
} from './simd.js';
import type { Value } from './values.js';

type Args = readonly Value[];

// Adapters from operators on typed operands to table entries. The validator guarantees the operand
// types (§3.3), so the casts only restate them.
const op1 =
  <A>(f: (a: A) => Value) =>
  (args: Args): Value =>
    f(args[0] as A);
const op2 =
  <A, B = A>(f: (a: A, b: B) => Value) =>
  (args: Args): Value =>
    f(args[0] as A, args[1] as B);
const op3 =
  <A>(f: (a: A, b: A, c: A) => Value) =>
  (args: Args): Value =>
    f(args[0] as A, args[1] as A, args[2] as A);
const laneOp =
  <A>(f: (v: Uint8Array, i: number, x: A) => Value) =>
  (args: Args, instr: ImmOf['lane']): Value =>
    f(args[0] as Uint8Array, instr.lane, args[1] as A);

// Conversions (§4.3.3), shared by the scalar and the vector instructions.
const toI32 = (i: bigint): number => Number(BigInt.asIntN(32, i));

/** trunc: NaN and out-of-range operands trap (§4.4.1). */
function trunc<B extends number | bigint>(F: Format<B>, z: B, bits: 32 | 64, signed: boolean): bigint {
  if (F.isNaN(z)) throw new Trap('invalid conversion to integer');
  const t = truncToInteger(F, z, bits, signed);
  if (t === null) throw new Trap('integer overflow');
  return t;
}
const truncI32 =
  <B extends number | bigint>(F: Format<B>, signed: boolean) =>
  (z: B): number =>
    toI32(trunc(F, z, 32, signed));
const truncI64 =
  <B extends number | bigint>(F: Format<B>, signed: boolean) =>
  (z: B): bigint =>
    BigInt.asIntN(64, trunc(F, z, 64, signed));
const truncSatI32 =
  <B extends number | bigint>(F: Format<B>, signed: boolean) =>
  (z: B): number =>
    toI32(truncSat(F, z, 32, signed));
const truncSatI64 =
  <B extends number | bigint>(F: Format<B>, signed: boolean) =>
  (z: B): bigint =>
    BigInt.asIntN(64, truncSat(F, z, 64, signed));
const convertI32 =
  <B extends number | bigint>(F: Format<B>, signed: boolean) =>
  (i: number): B =>
    convert(F, BigInt(signed ? i : i >>> 0));
const convertI64 =
  <B extends number | bigint>(F: Format<B>, signed: boolean) =>
  (i: bigint): B =>
    convert(F, signed ? i : BigInt.asUintN(64, i));

// Vector operator builders over a lane shape.
const min =
  (lt: (a: number, b: number) => number) =>
  (a: number, b: number): number =>
    lt(a, b) === 1 ? a : b;
const max =
  (gt: (a: number, b: number) => number) =>
  (a: number, b: number): number =>
    gt(a, b) === 1 ? a : b;
/** §4.3.3 fpmin / fpmax: `b < a ? b : a` and `a < b ? b : a`, no NaN propagation. */
const pmin =
  <B>(lt: (a: B, b: B) => number) =>
  (a: B, b: B): B =>
    lt(b, a) === 1 ? b : a;
const pmax =
  <B>(lt: (a: B, b: B) => number) =>
  (a: B, b: B): B =>
    lt(a, b) === 1 ? b : a;
const avgr_u = (a: number, b: number): number => (a + b + 1) >>> 1;
const q15mulr_sat_s = (a: number, b: number): number => sat_s(16, (a * b + 0x4000) >> 15);
const id = <A>(a: A): A => a;
const shiftI64 = (f: (a: bigint, b: bigint) => bigint) => (a: bigint, k: number) => f(a, BigInt(k));
const vsplat = <L>(s: Shape<L>) => op1(splat(s));
const vextract = <L extends Value>(s: Shape<L>) => laneOp((v, i) => extractLane(s, v, i));
const vreplace = <L>(s: Shape<L>) => laneOp<L>((v, i, x) => replaceLane(s, v, i, x));

/** The instruction `op` with its immediates. The agreed export type's `Extract<Instr, { op: O }>`
 *  is `never` for every O, because `Instr` is a union over immediate kinds, not over instructions
 *  (to be fixed in instructions.ts): the table is checked against this precise type instead. */
type InstrOf<O extends Opname> = { readonly op: O } & ImmOf[(typeof opcodes)[O]['imm']];

const table = {
  // §4.4.1 i32
  'i32.eqz': op1(i32.eqz),
  'i32.eq': op2(i32.eq),
  'i32.ne': op2(i32.ne),
  'i32.lt_s': op2(i32.lt_s),
  'i32.lt_u': op2(i32.lt_u),
  'i32.gt_s': op2(i32.gt_s),
  'i32.gt_u': op2(i32.gt_u),
  'i32.le_s': op2(i32.le_s),
  'i32.le_u': op2(i32.le_u),
  'i32.ge_s': op2(i32.ge_s),
  'i32.ge_u': op2(i32.ge_u),
  'i32.clz': op1(i32.clz),
  'i32.ctz': op1(i32.ctz),
  'i32.popcnt': op1(i32.popcnt),
  'i32.add': op2(i32.add),
  'i32.sub': op2(i32.sub),
  'i32.mul': op2(i32.mul),
  'i32.div_s': op2(i32.div_s),
  'i32.div_u': op2(i32.div_u),
  'i32.rem_s': op2(i32.rem_s),
  'i32.rem_u': op2(i32.rem_u),
  'i32.and': op2(i32.and),
  'i32.or': op2(i32.or),
  'i32.xor': op2(i32.xor),
  'i32.shl': op2(i32.shl),
  'i32.shr_s': op2(i32.shr_s),
  'i32.shr_u': op2(i32.shr_u),
  'i32.rotl': op2(i32.rotl),
  'i32.rotr': op2(i32.rotr),
  'i32.extend8_s': op1(i32.extend8_s),
  'i32.extend16_s': op1(i32.extend16_s),
  // §4.4.1 i64
  'i64.eqz': op1(i64.eqz),
  'i64.eq': op2(i64.eq),
  'i64.ne': op2(i64.ne),
  'i64.lt_s': op2(i64.lt_s),
  'i64.lt_u': op2(i64.lt_u),
  'i64.gt_s': op2(i64.gt_s),
  'i64.gt_u': op2(i64.gt_u),
  'i64.le_s': op2(i64.le_s),
  'i64.le_u': op2(i64.le_u),
  'i64.ge_s': op2(i64.ge_s),
  'i64.ge_u': op2(i64.ge_u),
  'i64.clz': op1(i64.clz),
  'i64.ctz': op1(i64.ctz),
  'i64.popcnt': op1(i64.popcnt),
  'i64.add': op2(i64.add),
  'i64.sub': op2(i64.sub),
  'i64.mul': op2(i64.mul),
  'i64.div_s': op2(i64.div_s),
  'i64.div_u': op2(i64.div_u),
  'i64.rem_s': op2(i64.rem_s),
  'i64.rem_u': op2(i64.rem_u),
  'i64.and': op2(i64.and),
  'i64.or': op2(i64.or),
  'i64.xor': op2(i64.xor),
  'i64.shl': op2(i64.shl),
  'i64.shr_s': op2(i64.shr_s),
  'i64.shr_u': op2(i64.shr_u),
  'i64.rotl': op2(i64.rotl),
  'i64.rotr': op2(i64.rotr),
  'i64.extend8_s': op1(i64.extend8_s),
  'i64.extend16_s': op1(i64.extend16_s),
  'i64.extend32_s': op1(i64.extend32_s),
  // §4.4.1 f32
  'f32.eq': op2(f32ops.eq),
  'f32.ne': op2(f32ops.ne),
  'f32.lt': op2(f32ops.lt),
  'f32.gt': op2(f32ops.gt),
  'f32.le': op2(f32ops.le),
  'f32.ge': op2(f32ops.ge),
  'f32.abs': op1(f32ops.abs),
  'f32.neg': op1(f32ops.neg),
  'f32.ceil': op1(f32ops.ceil),
  'f32.floor': op1(f32ops.floor),
  'f32.trunc': op1(f32ops.trunc),
  'f32.nearest': op1(f32ops.nearest),
  'f32.sqrt': op1(f32ops.sqrt),
  'f32.add': op2(f32ops.add),
  'f32.sub': op2(f32ops.sub),
  'f32.mul': op2(f32ops.mul),
  'f32.div': op2(f32ops.div),
  'f32.min': op2(f32ops.min),
  'f32.max': op2(f32ops.max),
  'f32.copysign': op2(f32ops.copysign),
  // §4.4.1 f64
  'f64.eq': op2(f64ops.eq),
  'f64.ne': op2(f64ops.ne),
  'f64.lt': op2(f64ops.lt),
  'f64.gt': op2(f64ops.gt),
  'f64.le': op2(f64ops.le),
  'f64.ge': op2(f64ops.ge),
  'f64.abs': op1(f64ops.abs),
  'f64.neg': op1(f64ops.neg),
  'f64.ceil': op1(f64ops.ceil),
  'f64.floor': op1(f64ops.floor),
  'f64.trunc': op1(f64ops.trunc),
  'f64.nearest': op1(f64ops.nearest),
  'f64.sqrt': op1(f64ops.sqrt),
  'f64.add': op2(f64ops.add),
  'f64.sub': op2(f64ops.sub),
  'f64.mul': op2(f64ops.mul),
  'f64.div': op2(f64ops.div),
  'f64.min': op2(f64ops.min),
  'f64.max': op2(f64ops.max),
  'f64.copysign': op2(f64ops.copysign),
  // §4.4.1 conversions
  'i32.wrap_i64': op1(wrap),
  'i64.extend_i32_s': op1(extend_s),
  'i64.extend_i32_u': op1(extend_u),
  'i32.trunc_f32_s': op1(truncI32(f32, true)),
  'i32.trunc_f32_u': op1(truncI32(f32, false)),
  'i32.trunc_f64_s': op1(truncI32(f64, true)),
  'i32.trunc_f64_u': op1(truncI32(f64, false)),
  'i64.trunc_f32_s': op1(truncI64(f32, true)),
  'i64.trunc_f32_u': op1(truncI64(f32, false)),
  'i64.trunc_f64_s': op1(truncI64(f64, true)),
  'i64.trunc_f64_u': op1(truncI64(f64, false)),
  'i32.trunc_sat_f32_s': op1(truncSatI32(f32, true)),
  'i32.trunc_sat_f32_u': op1(truncSatI32(f32, false)),
  'i32.trunc_sat_f64_s': op1(truncSatI32(f64, true)),
  'i32.trunc_sat_f64_u': op1(truncSatI32(f64, false)),
  'i64.trunc_sat_f32_s': op1(truncSatI64(f32, true)),
  'i64.trunc_sat_f32_u': op1(truncSatI64(f32, false)),
  'i64.trunc_sat_f64_s': op1(truncSatI64(f64, true)),
  'i64.trunc_sat_f64_u': op1(truncSatI64(f64, false)),
  'f32.convert_i32_s': op1(convertI32(f32, true)),
  'f32.convert_i32_u': op1(convertI32(f32, false)),
  'f32.convert_i64_s': op1(convertI64(f32, true)),
  'f32.convert_i64_u': op1(convertI64(f32, false)),
  'f64.convert_i32_s': op1(convertI32(f64, true)),
  'f64.convert_i32_u': op1(convertI32(f64, false)),
  'f64.convert_i64_s': op1(convertI64(f64, true)),
  'f64.convert_i64_u': op1(convertI64(f64, false)),
  'f32.demote_f64': op1(demote),
  'f64.promote_f32': op1(promote),
  // reinterpret only changes how the bits are held (values.ts).
  'i32.reinterpret_f32': op1((z: number) => z | 0),
  'f32.reinterpret_i32': op1((i: number) => i >>> 0),
  'i64.reinterpret_f64': op1((z: bigint) => BigInt.asIntN(64, z)),
  'f64.reinterpret_i64': op1((i: bigint) => BigInt.asUintN(64, i)),

  // §4.4.3 vector instructions
  'i8x16.shuffle': (args, instr: ImmOf['shuffle']) => shuffle(args[0] as Uint8Array, args[1] as Uint8Array, instr.lanes),
  'i8x16.swizzle': op2(swizzle),
  'i8x16.splat': vsplat(i8x16),
  'i16x8.splat': vsplat(i16x8),
  'i32x4.splat': vsplat(i32x4),
  'i64x2.splat': vsplat(i64x2),
  'f32x4.splat': vsplat(f32x4),
  'f64x2.splat': vsplat(f64x2),
  'i8x16.extract_lane_s': vextract(i8x16),
  'i8x16.extract_lane_u': vextract(i8x16_u),
  'i16x8.extract_lane_s': vextract(i16x8),
  'i16x8.extract_lane_u': vextract(i16x8_u),
  'i32x4.extract_lane': vextract(i32x4),
  'i64x2.extract_lane': vextract(i64x2),
  'f32x4.extract_lane': vextract(f32x4),
  'f64x2.extract_lane': vextract(f64x2),
  'i8x16.replace_lane': vreplace(i8x16),
  'i16x8.replace_lane': vreplace(i16x8),
  'i32x4.replace_lane': vreplace(i32x4),
  'i64x2.replace_lane': vreplace(i64x2),
  'f32x4.replace_lane': vreplace(f32x4),
  'f64x2.replace_lane': vreplace(f64x2),

  'i8x16.eq': op2(relop(i8x16, i32.eq)),
  'i8x16.ne': op2(relop(i8x16, i32.ne)),
  'i8x16.lt_s': op2(relop(i8x16, i32.lt_s)),
  'i8x16.lt_u': op2(relop(i8x16, i32.lt_u)),
  'i8x16.gt_s': op2(relop(i8x16, i32.gt_s)),
  'i8x16.gt_u': op2(relop(i8x16, i32.gt_u)),
  'i8x16.le_s': op2(relop(i8x16, i32.le_s)),
  'i8x16.le_u': op2(relop(i8x16, i32.le_u)),
  'i8x16.ge_s': op2(relop(i8x16, i32.ge_s)),
  'i8x16.ge_u': op2(relop(i8x16, i32.ge_u)),
  'i16x8.eq': op2(relop(i16x8, i32.eq)),
  'i16x8.ne': op2(relop(i16x8, i32.ne)),
  'i16x8.lt_s': op2(relop(i16x8, i32.lt_s)),
  'i16x8.lt_u': op2(relop(i16x8, i32.lt_u)),
  'i16x8.gt_s': op2(relop(i16x8, i32.gt_s)),
  'i16x8.gt_u': op2(relop(i16x8, i32.gt_u)),
  'i16x8.le_s': op2(relop(i16x8, i32.le_s)),
  'i16x8.le_u': op2(relop(i16x8, i32.le_u)),
  'i16x8.ge_s': op2(relop(i16x8, i32.ge_s)),
  'i16x8.ge_u': op2(relop(i16x8, i32.ge_u)),
  'i32x4.eq': op2(relop(i32x4, i32.eq)),
  'i32x4.ne': op2(relop(i32x4, i32.ne)),
  'i32x4.lt_s': op2(relop(i32x4, i32.lt_s)),
  'i32x4.lt_u': op2(relop(i32x4, i32.lt_u)),
  'i32x4.gt_s': op2(relop(i32x4, i32.gt_s)),
  'i32x4.gt_u': op2(relop(i32x4, i32.gt_u)),
  'i32x4.le_s': op2(relop(i32x4, i32.le_s)),
  'i32x4.le_u': op2(relop(i32x4, i32.le_u)),
  'i32x4.ge_s': op2(relop(i32x4, i32.ge_s)),
  'i32x4.ge_u': op2(relop(i32x4, i32.ge_u)),
  'i64x2.eq': op2(relop(i64x2, i64.eq)),
  'i64x2.ne': op2(relop(i64x2, i64.ne)),
  'i64x2.lt_s': op2(relop(i64x2, i64.lt_s)),
  'i64x2.gt_s': op2(relop(i64x2, i64.gt_s)),
  'i64x2.le_s': op2(relop(i64x2, i64.le_s)),
  'i64x2.ge_s': op2(relop(i64x2, i64.ge_s)),
  'f32x4.eq': op2(relop(f32x4, f32ops.eq)),
  'f32x4.ne': op2(relop(f32x4, f32ops.ne)),
  'f32x4.lt': op2(relop(f32x4, f32ops.lt)),
  'f32x4.gt': op2(relop(f32x4, f32ops.gt)),
  'f32x4.le': op2(relop(f32x4, f32ops.le)),
  'f32x4.ge': op2(relop(f32x4, f32ops.ge)),
  'f64x2.eq': op2(relop(f64x2, f64ops.eq)),
  'f64x2.ne': op2(relop(f64x2, f64ops.ne)),
  'f64x2.lt': op2(relop(f64x2, f64ops.lt)),
  'f64x2.gt': op2(relop(f64x2, f64ops.gt)),
  'f64x2.le': op2(relop(f64x2, f64ops.le)),
  'f64x2.ge': op2(relop(f64x2, f64ops.ge)),

  'v128.not': op1((v: Uint8Array) => v.map((a) => ~a)),
  'v128.and': op2(bitwise((a, b) => a & b)),
  'v128.andnot': op2(bitwise((a, b) => a & ~b)),
  'v128.or': op2(bitwise((a, b) => a | b)),
  'v128.xor': op2(bitwise((a, b) => a ^ b)),
  'v128.bitselect': op3(bitselect),
  'v128.any_true': op1(anyTrue),

  'i8x16.abs': op1(unop(i8x16, i8x16, i32.abs)),
  'i8x16.neg': op1(unop(i8x16, i8x16, i32.neg)),
  'i8x16.popcnt': op1(unop(i8x16_u, i8x16, i32.popcnt)),
  'i8x16.all_true': op1(allTrue(i8x16)),
  'i8x16.bitmask': op1(bitmask(i8x16)),
  'i8x16.narrow_i16x8_s': op2(narrow(i16x8, i8x16, (x) => sat_s(8, x))),
  'i8x16.narrow_i16x8_u': op2(narrow(i16x8, i8x16, (x) => sat_u(8, x))),
  'i8x16.shl': op2(shiftop(i8x16, i32.shl)),
  'i8x16.shr_s': op2(shiftop(i8x16, i32.shr_s)),
  'i8x16.shr_u': op2(shiftop(i8x16_u, i32.shr_u)),
  'i8x16.add': op2(binop(i8x16, i32.add)),
  'i8x16.add_sat_s': op2(binop(i8x16, (a, b) => sat_s(8, a + b))),
  'i8x16.add_sat_u': op2(binop(i8x16_u, (a, b) => sat_u(8, a + b))),
  'i8x16.sub': op2(binop(i8x16, i32.sub)),
  'i8x16.sub_sat_s': op2(binop(i8x16, (a, b) => sat_s(8, a - b))),
  'i8x16.sub_sat_u': op2(binop(i8x16_u, (a, b) => sat_u(8, a - b))),
  'i8x16.min_s': op2(binop(i8x16, min(i32.lt_s))),
  'i8x16.min_u': op2(binop(i8x16, min(i32.lt_u))),
  'i8x16.max_s': op2(binop(i8x16, max(i32.gt_s))),
  'i8x16.max_u': op2(binop(i8x16, max(i32.gt_u))),
  'i8x16.avgr_u': op2(binop(i8x16_u, avgr_u)),

  'i16x8.extadd_pairwise_i8x16_s': op1(extaddPairwise(i8x16, i16x8)),
  'i16x8.extadd_pairwise_i8x16_u': op1(extaddPairwise(i8x16_u, i16x8)),
  'i32x4.extadd_pairwise_i16x8_s': op1(extaddPairwise(i16x8, i32x4)),
  'i32x4.extadd_pairwise_i16x8_u': op1(extaddPairwise(i16x8_u, i32x4)),

  'i16x8.abs': op1(unop(i16x8, i16x8, i32.abs)),
  'i16x8.neg': op1(unop(i16x8, i16x8, i32.neg)),
  'i16x8.q15mulr_sat_s': op2(binop(i16x8, q15mulr_sat_s)),
  'i16x8.all_true': op1(allTrue(i16x8)),
  'i16x8.bitmask': op1(bitmask(i16x8)),
  'i16x8.narrow_i32x4_s': op2(narrow(i32x4, i16x8, (x) => sat_s(16, x))),
  'i16x8.narrow_i32x4_u': op2(narrow(i32x4, i16x8, (x) => sat_u(16, x))),
  'i16x8.extend_low_i8x16_s': op1(extend(i8x16, i16x8, 'low', id)),
  'i16x8.extend_high_i8x16_s': op1(extend(i8x16, i16x8, 'high', id)),
  'i16x8.extend_low_i8x16_u': op1(extend(i8x16_u, i16x8, 'low', id)),
  'i16x8.extend_high_i8x16_u': op1(extend(i8x16_u, i16x8, 'high', id)),
  'i16x8.shl': op2(shiftop(i16x8, i32.shl)),
  'i16x8.shr_s': op2(shiftop(i16x8, i32.shr_s)),
  'i16x8.shr_u': op2(shiftop(i16x8_u, i32.shr_u)),
  'i16x8.add': op2(binop(i16x8, i32.add)),
  'i16x8.add_sat_s': op2(binop(i16x8, (a, b) => sat_s(16, a + b))),
  'i16x8.add_sat_u': op2(binop(i16x8_u, (a, b) => sat_u(16, a + b))),
  'i16x8.sub': op2(binop(i16x8, i32.sub)),
  'i16x8.sub_sat_s': op2(binop(i16x8, (a, b) => sat_s(16, a - b))),
  'i16x8.sub_sat_u': op2(binop(i16x8_u, (a, b) => sat_u(16, a - b))),
  'i16x8.mul': op2(binop(i16x8, i32.mul)),
  'i16x8.min_s': op2(binop(i16x8, min(i32.lt_s))),
  'i16x8.min_u': op2(binop(i16x8, min(i32.lt_u))),
  'i16x8.max_s': op2(binop(i16x8, max(i32.gt_s))),
  'i16x8.max_u': op2(binop(i16x8, max(i32.gt_u))),
  'i16x8.avgr_u': op2(binop(i16x8_u, avgr_u)),
  'i16x8.extmul_low_i8x16_s': op2(extmul(i8x16, i16x8, 'low', id, i32.mul)),
  'i16x8.extmul_high_i8x16_s': op2(extmul(i8x16, i16x8, 'high', id, i32.mul)),
  'i16x8.extmul_low_i8x16_u': op2(extmul(i8x16_u, i16x8, 'low', id, i32.mul)),
  'i16x8.extmul_high_i8x16_u': op2(extmul(i8x16_u, i16x8, 'high', id, i32.mul)),

  'i32x4.abs': op1(unop(i32x4, i32x4, i32.abs)),
  'i32x4.neg': op1(unop(i32x4, i32x4, i32.neg)),
  'i32x4.all_true': op1(allTrue(i32x4)),
  'i32x4.bitmask': op1(bitmask(i32x4)),
  'i32x4.extend_low_i16x8_s': op1(extend(i16x8, i32x4, 'low', id)),
  'i32x4.extend_high_i16x8_s': op1(extend(i16x8, i32x4, 'high', id)),
  'i32x4.extend_low_i16x8_u': op1(extend(i16x8_u, i32x4, 'low', id)),
  'i32x4.extend_high_i16x8_u': op1(extend(i16x8_u, i32x4, 'high', id)),
  'i32x4.shl': op2(shiftop(i32x4, i32.shl)),
  'i32x4.shr_s': op2(shiftop(i32x4, i32.shr_s)),
  'i32x4.shr_u': op2(shiftop(i32x4, i32.shr_u)),
  'i32x4.add': op2(binop(i32x4, i32.add)),
  'i32x4.sub': op2(binop(i32x4, i32.sub)),
  'i32x4.mul': op2(binop(i32x4, i32.mul)),
  'i32x4.min_s': op2(binop(i32x4, min(i32.lt_s))),
  'i32x4.min_u': op2(binop(i32x4, min(i32.lt_u))),
  'i32x4.max_s': op2(binop(i32x4, max(i32.gt_s))),
  'i32x4.max_u': op2(binop(i32x4, max(i32.gt_u))),
  'i32x4.dot_i16x8_s': op2(dot(i16x8, i32x4, i32.mul, i32.add)),
  'i32x4.extmul_low_i16x8_s': op2(extmul(i16x8, i32x4, 'low', id, i32.mul)),
  'i32x4.extmul_high_i16x8_s': op2(extmul(i16x8, i32x4, 'high', id, i32.mul)),
  'i32x4.extmul_low_i16x8_u': op2(extmul(i16x8_u, i32x4, 'low', id, i32.mul)),
  'i32x4.extmul_high_i16x8_u': op2(extmul(i16x8_u, i32x4, 'high', id, i32.mul)),

  'i64x2.abs': op1(unop(i64x2, i64x2, i64.abs)),
  'i64x2.neg': op1(unop(i64x2, i64x2, i64.neg)),
  'i64x2.all_true': op1(allTrue(i64x2)),
  'i64x2.bitmask': op1(bitmask(i64x2)),
  'i64x2.extend_low_i32x4_s': op1(extend(i32x4, i64x2, 'low', extend_s)),
  'i64x2.extend_high_i32x4_s': op1(extend(i32x4, i64x2, 'high', extend_s)),
  'i64x2.extend_low_i32x4_u': op1(extend(i32x4, i64x2, 'low', extend_u)),
  'i64x2.extend_high_i32x4_u': op1(extend(i32x4, i64x2, 'high', extend_u)),
  'i64x2.shl': op2(shiftop(i64x2, shiftI64(i64.shl))),
  'i64x2.shr_s': op2(shiftop(i64x2, shiftI64(i64.shr_s))),
  'i64x2.shr_u': op2(shiftop(i64x2, shiftI64(i64.shr_u))),
  'i64x2.add': op2(binop(i64x2, i64.add)),
  'i64x2.sub': op2(binop(i64x2, i64.sub)),
  'i64x2.mul': op2(binop(i64x2, i64.mul)),
  'i64x2.extmul_low_i32x4_s': op2(extmul(i32x4, i64x2, 'low', extend_s, i64.mul)),
  'i64x2.extmul_high_i32x4_s': op2(extmul(i32x4, i64x2, 'high', extend_s, i64.mul)),
  'i64x2.extmul_low_i32x4_u': op2(extmul(i32x4, i64x2, 'low', extend_u, i64.mul)),
  'i64x2.extmul_high_i32x4_u': op2(extmul(i32x4, i64x2, 'high', extend_u, i64.mul)),

  'f32x4.abs': op1(unop(f32x4, f32x4, f32ops.abs)),
  'f32x4.neg': op1(unop(f32x4, f32x4, f32ops.neg)),
  'f32x4.sqrt': op1(unop(f32x4, f32x4, f32ops.sqrt)),
  'f32x4.ceil': op1(unop(f32x4, f32x4, f32ops.ceil)),
  'f32x4.floor': op1(unop(f32x4, f32x4, f32ops.floor)),
  'f32x4.trunc': op1(unop(f32x4, f32x4, f32ops.trunc)),
  'f32x4.nearest': op1(unop(f32x4, f32x4, f32ops.nearest)),
  'f32x4.add': op2(binop(f32x4, f32ops.add)),
  'f32x4.sub': op2(binop(f32x4, f32ops.sub)),
  'f32x4.mul': op2(binop(f32x4, f32ops.mul)),
  'f32x4.div': op2(binop(f32x4, f32ops.div)),
  'f32x4.min': op2(binop(f32x4, f32ops.min)),
  'f32x4.max': op2(binop(f32x4, f32ops.max)),
  'f32x4.pmin': op2(binop(f32x4, pmin(f32ops.lt))),
  'f32x4.pmax': op2(binop(f32x4, pmax(f32ops.lt))),
  'f64x2.abs': op1(unop(f64x2, f64x2, f64ops.abs)),
  'f64x2.neg': op1(unop(f64x2, f64x2, f64ops.neg)),
  'f64x2.sqrt': op1(unop(f64x2, f64x2, f64ops.sqrt)),
  'f64x2.ceil': op1(unop(f64x2, f64x2, f64ops.ceil)),
  'f64x2.floor': op1(unop(f64x2, f64x2, f64ops.floor)),
  'f64x2.trunc': op1(unop(f64x2, f64x2, f64ops.trunc)),
  'f64x2.nearest': op1(unop(f64x2, f64x2, f64ops.nearest)),
  'f64x2.add': op2(binop(f64x2, f64ops.add)),
  'f64x2.sub': op2(binop(f64x2, f64ops.sub)),
  'f64x2.mul': op2(binop(f64x2, f64ops.mul)),
  'f64x2.div': op2(binop(f64x2, f64ops.div)),
  'f64x2.min': op2(binop(f64x2, f64ops.min)),
  'f64x2.max': op2(binop(f64x2, f64ops.max)),
  'f64x2.pmin': op2(binop(f64x2, pmin(f64ops.lt))),
  'f64x2.pmax': op2(binop(f64x2, pmax(f64ops.lt))),

  'i32x4.trunc_sat_f32x4_s': op1(unop(f32x4, i32x4, truncSatI32(f32, true))),
  'i32x4.trunc_sat_f32x4_u': op1(unop(f32x4, i32x4, truncSatI32(f32, false))),
  'i32x4.trunc_sat_f64x2_s_zero': op1(convertZero(f64x2, i32x4, truncSatI32(f64, true), 0)),
  'i32x4.trunc_sat_f64x2_u_zero': op1(convertZero(f64x2, i32x4, truncSatI32(f64, false), 0)),
  'f32x4.convert_i32x4_s': op1(unop(i32x4, f32x4, convertI32(f32, true))),
  'f32x4.convert_i32x4_u': op1(unop(i32x4, f32x4, convertI32(f32, false))),
  'f64x2.convert_low_i32x4_s': op1(extend(i32x4, f64x2, 'low', convertI32(f64, true))),
  'f64x2.convert_low_i32x4_u': op1(extend(i32x4, f64x2, 'low', convertI32(f64, false))),
  'f32x4.demote_f64x2_zero': op1(convertZero(f64x2, f32x4, demote, 0)),
  'f64x2.promote_low_f32x4': op1(extend(f32x4, f64x2, 'low', promote)),
} satisfies { readonly [O in NumericOp]: (args: readonly Value[], instr: InstrOf<O>) => Value };

export const numerics: {
  readonly [O in NumericOp]: (args: readonly Value[], instr: Extract<Instr, { op: O }>) => Value;
} = table;
