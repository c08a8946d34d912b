// Floating-point operators of spec §4.3.3, on bit patterns (f32: u32 number, f64: u64 bigint; see
// values.ts). Every operator is written once, generically over a `Format`, and instantiated for f32
// and f64. Non-NaN values are computed with JS doubles: f64 operations are IEEE 754 binary64 with
// round-to-nearest-even already; f32 add/sub/mul/div/sqrt are computed exactly rounded in binary64
// and rounded again to binary32 with Math.fround, which is exact for these operations because
// 53 >= 2*24 + 2 (Figueroa, "When is double rounding innocuous?").
//
// NaN propagation (§4.3.3): the result of an operator with a NaN operand is the first NaN operand
// (in operand order) made quiet, as x86 SSE does; quieting keeps a canonical NaN canonical and
// makes any other NaN an arithmetic NaN, so this is one of the results the spec allows. A NaN
// produced from non-NaN operands (inf - inf, 0 / 0, sqrt(-1)) is the positive canonical NaN. This
// is the choice of the spec's reference interpreter (determine_binary_nan in
// interpreter/exec/fxx.ml). V8 on x86 differs only where it returns the negative canonical NaN
// (the x86 default NaN) or canonicalises in min/max: both results are allowed.

export interface Format<B extends number | bigint> {
  /** Significand bits, without the implicit leading bit. */
  readonly mantissa: number;
  readonly canonicalNaN: B;
  readonly isNaN: (z: B) => boolean;
  /** Sets the quiet bit (the top bit of the significand) of a NaN. */
  readonly quiet: (z: B) => B;
  /** Whether the payload is exactly the canonical one (either sign), §4.3.3. */
  readonly isCanonicalNaN: (z: B) => boolean;
  readonly signOf: (z: B) => 0 | 1;
  readonly withSign: (z: B, s: 0 | 1) => B;
  /** The value of a non-NaN pattern. */
  readonly toNumber: (z: B) => number;
  /** A double rounded to the format (round to nearest, ties to even); never called with NaN. */
  readonly fromNumber: (x: number) => B;
}

const scratch = new DataView(new ArrayBuffer(8));

export const f32: Format<number> = {
  mantissa: 23,
  canonicalNaN: 0x7fc00000,
  isNaN: (z) => (z & 0x7fffffff) > 0x7f800000,
  quiet: (z) => (z | 0x00400000) >>> 0,
  isCanonicalNaN: (z) => (z & 0x7fffffff) === 0x7fc00000,
  signOf: (z) => (z >>> 31) as 0 | 1,
  withSign: (z, s) => ((z & 0x7fffffff) | (s << 31)) >>> 0,
  toNumber: (z) => {
    scratch.setUint32(0, z);
    return scratch.getFloat32(0);
  },
  fromNumber: (x) => {
    scratch.setFloat32(0, x);
    return scratch.getUint32(0);
  },
};

const F64_MAGNITUDE = (1n << 63n) - 1n;
const F64_INF = 0x7ff0000000000000n;
const F64_QUIET = 1n << 51n;

export const f64: Format<bigint> = {
  mantissa: 52,
  canonicalNaN: 0x7ff8000000000000n,
  isNaN: (z) => (z & F64_MAGNITUDE) > F64_INF,
  quiet: (z) => z | F64_QUIET,
  isCanonicalNaN: (z) => (z & F64_MAGNITUDE) === 0x7ff8000000000000n,
  signOf: (z) => (z >> 63n === 1n ? 1 : 0),
  withSign: (z, s) => (z & F64_MAGNITUDE) | (BigInt(s) << 63n),
  toNumber: (z) => {
    scratch.setBigUint64(0, z);
    return scratch.getFloat64(0);
  },
  fromNumber: (x) => {
    scratch.setFloat64(0, x);
    return scratch.getBigUint64(0);
  },
};

/** Round to nearest integer, ties to even (§4.3.3 fnearest); keeps the sign of zero. */
function nearest(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 2 ** 52) return x; // already integral
  // Math.round breaks ties toward +inf, and keeps the sign of zero (Math.round(-0.5) is -0).
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface FloatOps<B extends number | bigint> {
  readonly add: (z1: B, z2: B) => B;
  readonly sub: (z1: B, z2: B) => B;
  readonly mul: (z1: B, z2: B) => B;
  readonly div: (z1: B, z2: B) => B;
  readonly min: (z1: B, z2: B) => B;
  readonly max: (z1: B, z2: B) => B;
  readonly copysign: (z1: B, z2: B) => B;
  readonly sqrt: (z: B) => B;
  readonly ceil: (z: B) => B;
  readonly floor: (z: B) => B;
  readonly trunc: (z: B) => B;
  readonly nearest: (z: B) => B;
  readonly abs: (z: B) => B;
  readonly neg: (z: B) => B;
  /** Comparisons return the i32 result, 1 or 0. */
  readonly eq: (z1: B, z2: B) => number;
  readonly ne: (z1: B, z2: B) => number;
  readonly lt: (z1: B, z2: B) => number;
  readonly gt: (z1: B, z2: B) => number;
  readonly le: (z1: B, z2: B) => number;
  readonly ge: (z1: B, z2: B) => number;
}

function floatOps<B extends number | bigint>(F: Format<B>): FloatOps<B> {
  const result = (x: number): B => (Number.isNaN(x) ? F.canonicalNaN : F.fromNumber(x));
  const unop =
    (f: (x: number) => number) =>
    (z: B): B =>
      F.isNaN(z) ? F.quiet(z) : result(f(F.toNumber(z)));
  const binop =
    (f: (x: number, y: number) => number) =>
    (z1: B, z2: B): B =>
      F.isNaN(z1) ? F.quiet(z1) : F.isNaN(z2) ? F.quiet(z2) : result(f(F.toNumber(z1), F.toNumber(z2)));
  // Comparisons are false on NaN operands (true for ne), as JS's on doubles.
  const relop =
    (f: (x: number, y: number) => boolean) =>
    (z1: B, z2: B): number =>
      f(F.isNaN(z1) ? NaN : F.toNumber(z1), F.isNaN(z2) ? NaN : F.toNumber(z2)) ? 1 : 0;
  return {
    add: binop((x, y) => x + y),
    sub: binop((x, y) => x - y),
    mul: binop((x, y) => x * y),
    div: binop((x, y) => x / y),
    // Math.min/max order -0 below +0 as fmin/fmax require.
    min: binop(Math.min),
    max: binop(Math.max),
    sqrt: unop(Math.sqrt),
    ceil: unop(Math.ceil),
    floor: unop(Math.floor),
    trunc: unop(Math.trunc),
    nearest: unop(nearest),
    // fabs, fneg, fcopysign are pure bit operations, even on NaNs (§4.3.3).
    abs: (z) => F.withSign(z, 0),
    neg: (z) => F.withSign(z, F.signOf(z) === 0 ? 1 : 0),
    copysign: (z1, z2) => F.withSign(z1, F.signOf(z2)),
    eq: relop((x, y) => x === y),
    ne: relop((x, y) => x !== y),
    lt: relop((x, y) => x < y),
    gt: relop((x, y) => x > y),
    le: relop((x, y) => x <= y),
    ge: relop((x, y) => x >= y),
  };
}

export const f32ops = floatOps(f32);
export const f64ops = floatOps(f64);

/** §4.3.3 promote: exact; a NaN keeps its payload, shifted into the wider significand, quieted. */
export function promote(z: number): bigint {
  if (!f32.isNaN(z)) return f64.fromNumber(f32.toNumber(z));
  return f64.quiet((BigInt(z >>> 31) << 63n) | F64_INF | (BigInt(z & 0x7fffff) << 29n));
}

/** §4.3.3 demote: rounds; a NaN keeps the top bits of its payload, quieted. */
export function demote(z: bigint): number {
  if (!f64.isNaN(z)) return f32.fromNumber(f64.toNumber(z));
  return f32.quiet((Number(z >> 63n) << 31) | 0x7f800000 | Number((z >> 29n) & 0x7fffffn));
}

/**
 * §4.3.3 convert: the integer `i` (exact, as a bigint) rounded to the format, nearest with ties to
 * even. Rounding happens once, on the bigint, so that 64-bit integers do not round twice
 * (first to binary64 by Number(), then to binary32).
 */
export function convert<B extends number | bigint>(F: Format<B>, i: bigint): B {
  const magnitude = i < 0n ? -i : i;
  const precision = BigInt(F.mantissa + 1);
  const excess = BigInt(magnitude.toString(2).length) - precision;
  let rounded = magnitude;
  if (excess > 0n) {
    const half = 1n << (excess - 1n);
    const rest = magnitude & ((1n << excess) - 1n);
    let q = magnitude >> excess;
    if (rest > half || (rest === half && (q & 1n) === 1n)) q += 1n;
    rounded = q << excess;
  }
  // `rounded` has at most precision+1 significant bits: Number() and the format are exact on it.
  return F.fromNumber(Number(i < 0n ? -rounded : rounded));
}

/**
 * §4.3.3 trunc_s/trunc_u for an N-bit result: the value truncated toward zero, or null where the
 * spec leaves it undefined (NaN, or out of range); the caller traps or saturates.
 */
export function truncToInteger<B extends number | bigint>(
  F: Format<B>,
  z: B,
  bits: 32 | 64,
  signed: boolean,
): bigint | null {
  if (F.isNaN(z)) return null;
  const t = Math.trunc(F.toNumber(z));
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) : 2 ** bits; // exclusive; powers of two are exact doubles
  return t >= lo && t < hi ? BigInt(t) : null;
}

/** §4.3.3 trunc_sat: NaN is 0, out-of-range values saturate. */
export function truncSat<B extends number | bigint>(F: Format<B>, z: B, bits: 32 | 64, signed: boolean): bigint {
  if (F.isNaN(z)) return 0n;
  const t = truncToInteger(F, z, bits, signed);
  if (t !== null) return t;
  const negative = F.toNumber(z) < 0;
  if (signed) return negative ? -(1n << BigInt(bits - 1)) : (1n << BigInt(bits - 1)) - 1n;
  return negative ? 0n : (1n << BigInt(bits)) - 1n;
}
