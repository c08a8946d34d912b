// Numeric literals (spec §6.3.1, §6.3.2): integers of any width and floats rounded exactly,
// round-to-nearest-even, with BigInt arithmetic so no double rounding happens on the way to f32.

const DEC = /^[0-9](?:_?[0-9])*$/;
const HEX = /^[0-9a-fA-F](?:_?[0-9a-fA-F])*$/;

const NUM = '[0-9](?:_?[0-9])*';
const HEXNUM = '[0-9a-fA-F](?:_?[0-9a-fA-F])*';
/** §6.3.1–§6.3.2 the lexical forms of numbers; an idchar run starting like one but of none of
 *  these forms is no token at all. */
const NUMBER_TOKEN = new RegExp(
  `^[+-]?(?:${NUM}(?:\\.(?:${NUM})?)?(?:[eE][+-]?${NUM})?|0x${HEXNUM}(?:\\.(?:${HEXNUM})?)?(?:[pP][+-]?${NUM})?|inf|nan|nan:0x${HEXNUM})$`,
);

export function isNumberToken(s: string): boolean {
  return NUMBER_TOKEN.test(s);
}

/** Why a literal was rejected: not of the literal's form, or of it but not representable. */
export type LiteralError = 'syntax' | 'range';

function digits(s: string): bigint | undefined {
  if (s.startsWith('0x')) {
    const h = s.slice(2);
    return HEX.test(h) ? BigInt('0x' + h.replace(/_/g, '')) : undefined;
  }
  return DEC.test(s) ? BigInt(s.replace(/_/g, '')) : undefined;
}

/** §6.3.1 `u32`/`u64`…: an unsigned literal without sign, or undefined. */
export function parseNat(s: string): bigint | undefined {
  return s[0] === '+' || s[0] === '-' ? undefined : digits(s);
}

/** §6.3.1 `iN`: returns the N-bit pattern (unsigned). Like the reference interpreter, a `+` sign
 *  admits the unsigned range; a `-` sign the signed one. */
export function parseInt(s: string, bits: number): bigint | LiteralError {
  const neg = s[0] === '-';
  const n = digits(s[0] === '+' || neg ? s.slice(1) : s);
  if (n === undefined) return 'syntax';
  const limit = 1n << BigInt(bits);
  if (neg ? n > limit >> 1n : n >= limit) return 'range';
  return neg ? (limit - n) % limit : n;
}

interface FloatFormat {
  /** Significand bits including the implicit one. */
  readonly p: number;
  readonly emax: number;
  readonly bits: number;
}

export const F32: FloatFormat = { p: 24, emax: 127, bits: 32 };
export const F64: FloatFormat = { p: 53, emax: 1023, bits: 64 };

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Rounds num/den · 2^scale (num, den > 0) to the format, round-to-nearest-even (§6.3.2 with
 *  IEEE 754 §4.3.1); returns the bits without sign, or 'range' when the result is infinite. */
function roundToFormat(num: bigint, den: bigint, scale: number, f: FloatFormat): bigint | 'range' {
  const emin = 2 - f.emax - f.p; // exponent of the least subnormal
  // Choose e so that q = num/den · 2^(scale - e) has p bits, but never below emin.
  let e = bitLength(num) - bitLength(den) + scale - f.p;
  const quotient = (ex: number): [bigint, bigint, bigint] => {
    const sh = scale - ex;
    const n = sh >= 0 ? num << BigInt(sh) : num;
    const d = sh >= 0 ? den : den << BigInt(-sh);
    return [n / d, n % d, d];
  };
  let [q, r, d] = quotient(e);
  if (q >= 1n << BigInt(f.p)) [q, r, d] = quotient(++e);
  else if (q < 1n << BigInt(f.p - 1)) [q, r, d] = quotient(--e);
  if (e < emin) {
    e = emin;
    [q, r, d] = quotient(e);
  }
  if (2n * r > d || (2n * r === d && (q & 1n) === 1n)) q++;
  if (q === 1n << BigInt(f.p)) {
    q >>= 1n;
    e++;
  }
  const mant = BigInt(f.p - 1);
  if (q < 1n << mant) return q; // subnormal or zero: biased exponent 0
  const biased = BigInt(e + f.p - 1 + f.emax);
  if (biased >= (1n << BigInt(f.bits - f.p)) - 1n) return 'range';
  return (biased << mant) | (q - (1n << mant));
}

/** §6.3.2 `fN`: returns the bit pattern of the literal in the format. */
export function parseFloat(s: string, f: FloatFormat): bigint | LiteralError {
  const neg = s[0] === '-';
  const body = s[0] === '+' || neg ? s.slice(1) : s;
  const sign = neg ? 1n << BigInt(f.bits - 1) : 0n;
  const mant = BigInt(f.p - 1);
  const expAll = ((1n << BigInt(f.bits - f.p)) - 1n) << mant;
  if (body === 'inf') return sign | expAll;
  if (body === 'nan') return sign | expAll | (1n << (mant - 1n));
  if (body.startsWith('nan:0x')) {
    const payload = digits(body.slice(4));
    if (payload === undefined) return 'syntax';
    if (payload === 0n || payload >= 1n << mant) return 'range';
    return sign | expAll | payload;
  }
  const hex = body.startsWith('0x');
  const m = hex
    ? /^0x([0-9a-fA-F](?:_?[0-9a-fA-F])*)(?:\.([0-9a-fA-F](?:_?[0-9a-fA-F])*)?)?(?:[pP]([+-]?[0-9](?:_?[0-9])*))?$/.exec(body)
    : /^([0-9](?:_?[0-9])*)(?:\.([0-9](?:_?[0-9])*)?)?(?:[eE]([+-]?[0-9](?:_?[0-9])*))?$/.exec(body);
  if (m === null) return 'syntax';
  const intPart = m[1]!.replace(/_/g, '');
  const fracPart = (m[2] ?? '').replace(/_/g, '');
  const exp = m[3] === undefined ? 0 : Number(m[3].replace(/_/g, ''));
  const all = (intPart + fracPart).replace(/^0+/, '');
  if (all === '') return sign;
  const n = BigInt((hex ? '0x' : '') + all);
  // Exponents far outside the format give 0 or infinity; bail out before building huge powers.
  // Bounds on log2 of the value: [lo, hi).
  const d = all.length - fracPart.length + exp;
  const [lo, hi] = hex ? [bitLength(n) - 4 * fracPart.length + exp - 1, bitLength(n) - 4 * fracPart.length + exp] : [(d - 1) * 3.3, d * (d < 0 ? 3.3 : 3.33)];
  if (!(lo <= f.emax + 1)) return 'range';
  if (hi < -(f.emax + f.p + 2)) return sign;
  const e10 = exp - fracPart.length;
  const r = hex
    ? roundToFormat(n, 1n, exp - 4 * fracPart.length, f)
    : e10 >= 0 ? roundToFormat(n * 10n ** BigInt(e10), 1n, 0, f) : roundToFormat(n, 10n ** BigInt(-e10), 0, f);
  return r === 'range' ? r : sign | r;
}
