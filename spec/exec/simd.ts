// Vector lanes (spec §4.3.4 lanes, §4.4.3 vector instructions): reading a v128 as lanes of a shape,
// building one from lanes, and lifting scalar operators lane-wise. Lanes are little-endian.
//
// Integer lanes narrower than 32 bits are read into i32 values (sign- or zero-extended) so the i32
// operators of integer.ts apply to them; writing a lane back keeps its low bits. This gives
// iop_N for add, sub, mul, neg, abs, bitwise ops, popcnt (on zero-extended lanes), shifts (with
// the count already reduced modulo N: shr_s on sign-extended lanes, shr_u on zero-extended lanes)
// and all comparisons (sign extension preserves the unsigned order of N-bit patterns).

export interface Shape<L> {
  /** Number of lanes. */
  readonly dim: number;
  /** Lane width in bits. */
  readonly width: number;
  readonly read: (v: DataView, i: number) => L;
  /** Writes the low `width` bits of `x`. */
  readonly write: (v: DataView, i: number, x: L) => void;
}

const LE = true;

export const i8x16: Shape<number> = {
  dim: 16,
  width: 8,
  read: (v, i) => v.getInt8(i),
  write: (v, i, x) => v.setInt8(i, x),
};
export const i8x16_u: Shape<number> = { ...i8x16, read: (v, i) => v.getUint8(i) };
export const i16x8: Shape<number> = {
  dim: 8,
  width: 16,
  read: (v, i) => v.getInt16(2 * i, LE),
  write: (v, i, x) => v.setInt16(2 * i, x, LE),
};
export const i16x8_u: Shape<number> = { ...i16x8, read: (v, i) => v.getUint16(2 * i, LE) };
export const i32x4: Shape<number> = {
  dim: 4,
  width: 32,
  read: (v, i) => v.getInt32(4 * i, LE),
  write: (v, i, x) => v.setInt32(4 * i, x, LE),
};
export const i64x2: Shape<bigint> = {
  dim: 2,
  width: 64,
  read: (v, i) => v.getBigInt64(8 * i, LE),
  write: (v, i, x) => v.setBigInt64(8 * i, x, LE),
};
/** f32 lanes as bit patterns (u32 numbers), like f32 values. */
export const f32x4: Shape<number> = {
  dim: 4,
  width: 32,
  read: (v, i) => v.getUint32(4 * i, LE),
  write: (v, i, x) => v.setUint32(4 * i, x, LE),
};
/** f64 lanes as bit patterns (u64 bigints), like f64 values. */
export const f64x2: Shape<bigint> = {
  dim: 2,
  width: 64,
  read: (v, i) => v.getBigUint64(8 * i, LE),
  write: (v, i, x) => v.setBigUint64(8 * i, x, LE),
};

const view = (v: Uint8Array): DataView => new DataView(v.buffer, v.byteOffset, 16);

/** §4.3.4 lanes_{shape}(v). */
export function lanes<L>(s: Shape<L>, v: Uint8Array): L[] {
  const dv = view(v);
  return Array.from({ length: s.dim }, (_, i) => s.read(dv, i));
}

/** The inverse of `lanes`: a new v128 from `s.dim` lanes. */
export function fromLanes<L>(s: Shape<L>, ls: readonly L[]): Uint8Array {
  const out = new Uint8Array(16);
  const dv = view(out);
  ls.forEach((x, i) => s.write(dv, i, x));
  return out;
}

/** Lifts a unary lane operator. */
export const unop =
  <A, R>(s: Shape<A>, r: Shape<R>, f: (a: A) => R) =>
  (v: Uint8Array): Uint8Array =>
    fromLanes(r, lanes(s, v).map(f));

/** Lifts a binary lane operator. */
export const binop =
  <L>(s: Shape<L>, f: (a: L, b: L) => L) =>
  (v1: Uint8Array, v2: Uint8Array): Uint8Array => {
    const b = lanes(s, v2);
    return fromLanes(s, lanes(s, v1).map((a, i) => f(a, b[i]!)));
  };

/** Lifts a lane comparison: each result lane is all ones where it holds, zeros elsewhere (§4.4.3 vrelop). */
export const relop =
  <L>(s: Shape<L>, f: (a: L, b: L) => number) =>
  (v1: Uint8Array, v2: Uint8Array): Uint8Array => {
    const a = lanes(s, v1);
    const b = lanes(s, v2);
    const out = new Uint8Array(16);
    const bytes = s.width / 8;
    a.forEach((x, i) => {
      if (f(x, b[i]!) !== 0) out.fill(0xff, i * bytes, (i + 1) * bytes);
    });
    return out;
  };

/** §4.4.3 vishiftop: the count is taken modulo the lane width before the lane operator sees it. */
export const shiftop =
  <L>(s: Shape<L>, f: (a: L, k: number) => L) =>
  (v: Uint8Array, k: number): Uint8Array =>
    fromLanes(
      s,
      lanes(s, v).map((a) => f(a, k & (s.width - 1))),
    );

/** §4.4.3 binary v128 bitwise operators, byte by byte. */
export const bitwise =
  (f: (a: number, b: number) => number) =>
  (v1: Uint8Array, v2: Uint8Array): Uint8Array =>
    v1.map((a, i) => f(a, v2[i]!));

/** §4.4.3 v128.bitselect: bits of v1 where v3 is set, of v2 elsewhere. */
export const bitselect = (v1: Uint8Array, v2: Uint8Array, v3: Uint8Array): Uint8Array =>
  v1.map((a, i) => (a & v3[i]!) | (v2[i]! & ~v3[i]!));

/** §4.4.3 all_true. */
export const allTrue =
  <L>(s: Shape<L>) =>
  (v: Uint8Array): number =>
    lanes(s, v).every((x) => x !== 0 && x !== 0n) ? 1 : 0;

/** §4.4.3 bitmask: bit i is the top bit of lane i. */
export const bitmask =
  <L extends number | bigint>(s: Shape<L>) =>
  (v: Uint8Array): number =>
    lanes(s, v).reduce((m, x, i) => (x < 0 ? m | (1 << i) : m), 0);

/** §4.4.3 narrow: the lanes of both operands, each saturated to half the width. */
export const narrow =
  (s: Shape<number>, r: Shape<number>, sat: (x: number) => number) =>
  (v1: Uint8Array, v2: Uint8Array): Uint8Array =>
    fromLanes(r, [...lanes(s, v1), ...lanes(s, v2)].map(sat));

/** §4.4.3 extend_half: the low or high half of the lanes of `s`, converted by `f`. */
export const extend =
  <A, R>(s: Shape<A>, r: Shape<R>, half: 'low' | 'high', f: (a: A) => R) =>
  (v: Uint8Array): Uint8Array => {
    const ls = lanes(s, v);
    return fromLanes(r, (half === 'low' ? ls.slice(0, r.dim) : ls.slice(r.dim)).map(f));
  };

/** §4.4.3 extmul_half: `extend` both operands, then multiply lane-wise. */
export const extmul =
  <A, R>(s: Shape<A>, r: Shape<R>, half: 'low' | 'high', ext: (a: A) => R, mul: (a: R, b: R) => R) =>
  (v1: Uint8Array, v2: Uint8Array): Uint8Array =>
    binop(r, mul)(extend(s, r, half, ext)(v1), extend(s, r, half, ext)(v2));

/** §4.4.3 extadd_pairwise: sums of adjacent lanes, in lanes twice as wide. */
export const extaddPairwise =
  (s: Shape<number>, r: Shape<number>) =>
  (v: Uint8Array): Uint8Array => {
    const ls = lanes(s, v);
    return fromLanes(
      r,
      Array.from({ length: r.dim }, (_, i) => ls[2 * i]! + ls[2 * i + 1]!),
    );
  };

/** §4.4.3 i32x4.dot_i16x8_s: sums of the products of adjacent lanes, in lanes twice as wide. */
export const dot =
  (s: Shape<number>, r: Shape<number>, mul: (a: number, b: number) => number, add: (a: number, b: number) => number) =>
  (v1: Uint8Array, v2: Uint8Array): Uint8Array => {
    const a = lanes(s, v1);
    const b = lanes(s, v2);
    return fromLanes(
      r,
      Array.from({ length: r.dim }, (_, i) => add(mul(a[2 * i]!, b[2 * i]!), mul(a[2 * i + 1]!, b[2 * i + 1]!))),
    );
  };

/** §4.4.3 f32x4.demote_f64x2_zero / i32x4.trunc_sat_f64x2_zero: two lanes converted, two zero lanes. */
export const convertZero =
  <A, R>(s: Shape<A>, r: Shape<R>, f: (a: A) => R, zero: R) =>
  (v: Uint8Array): Uint8Array =>
    fromLanes(r, [...lanes(s, v).map(f), zero, zero]);

/** §4.4.3 splat. */
export const splat =
  <L>(s: Shape<L>) =>
  (x: L): Uint8Array =>
    fromLanes(s, Array<L>(s.dim).fill(x));

/** §4.4.3 extract_lane. */
export const extractLane = <L>(s: Shape<L>, v: Uint8Array, i: number): L => s.read(view(v), i);

/** §4.4.3 replace_lane. */
export function replaceLane<L>(s: Shape<L>, v: Uint8Array, i: number, x: L): Uint8Array {
  const out = v.slice();
  s.write(view(out), i, x);
  return out;
}

/** §4.4.3 i8x16.swizzle: indices of 16 or more select zero. */
export const swizzle = (v1: Uint8Array, v2: Uint8Array): Uint8Array => v2.map((j) => (j < 16 ? v1[j]! : 0));

/** §4.4.3 i8x16.shuffle: indices select from the 32 bytes of both operands. */
export const shuffle = (v1: Uint8Array, v2: Uint8Array, laneidx: readonly number[]): Uint8Array =>
  Uint8Array.from(laneidx, (j) => (j < 16 ? v1[j]! : v2[j - 16]!));

/** §4.4.3 v128.any_true. */
export const anyTrue = (v: Uint8Array): number => (v.some((b) => b !== 0) ? 1 : 0);
