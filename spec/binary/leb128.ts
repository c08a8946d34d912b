// LEB128 integers — WebAssembly spec §5.2.2. Decoding follows the reference interpreter's
// `uN`/`sN` (interpreter/binary/decode.ml) so the errors come in the same order: a byte beyond
// ⌈N/7⌉ is "integer representation too long"; unused bits of the last byte that are not zero
// (unsigned) or not a sign extension (signed) are "integer too large".

import { MalformedError } from '../errors.js';

/** Reads the next byte; throws MalformedError at the end of the input. */
export type ByteSource = () => number;

/** uN for N ≤ 53, as a number. */
export function readUnsigned(next: ByteSource, bits: number): number {
  let result = 0;
  let scale = 1;
  for (let remaining = bits; ; remaining -= 7) {
    if (remaining <= 0) throw new MalformedError('integer representation too long');
    const b = next();
    if (remaining < 7 && (b & 0x7f) >= 1 << remaining) throw new MalformedError('integer too large');
    result += (b & 0x7f) * scale;
    if ((b & 0x80) === 0) return result;
    scale *= 128;
  }
}

/** sN for N ≤ 53, as a number. */
export function readSigned(next: ByteSource, bits: number): number {
  let result = 0;
  let scale = 1;
  for (let remaining = bits; ; remaining -= 7) {
    if (remaining <= 0) throw new MalformedError('integer representation too long');
    const b = next();
    checkSignedLast(b, remaining);
    result += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return (b & 0x40) === 0 ? result : result - scale;
  }
}

/** s64 as a bigint in [-2^63, 2^63). */
export function readSigned64(next: ByteSource): bigint {
  let result = 0n;
  let shift = 0n;
  for (let remaining = 64; ; remaining -= 7) {
    if (remaining <= 0) throw new MalformedError('integer representation too long');
    const b = next();
    checkSignedLast(b, remaining);
    result |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) return BigInt.asIntN(64, (b & 0x40) === 0 ? result : result - (1n << shift));
  }
}

/** u64 as a bigint in [0, 2^64). */
export function readUnsigned64(next: ByteSource): bigint {
  let result = 0n;
  let shift = 0n;
  for (let remaining = 64; ; remaining -= 7) {
    if (remaining <= 0) throw new MalformedError('integer representation too long');
    const b = next();
    if (remaining < 7 && (b & 0x7f) >= 1 << remaining) throw new MalformedError('integer too large');
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return result;
    shift += 7n;
  }
}

/** In the last possible byte, the bits beyond N (and the sign bit) must all equal the sign. */
function checkSignedLast(b: number, remaining: number): void {
  if (remaining >= 7) return;
  const mask = (-1 << (remaining - 1)) & 0x7f;
  if ((b & mask) !== 0 && (b & mask) !== mask) throw new MalformedError('integer too large');
}

/** Where encoded bytes go: a number[], or the encoder's growable buffer. */
export interface ByteSink {
  push(b: number): unknown;
}

/** Shortest unsigned encoding of a non-negative integer (number or bigint). */
export function writeUnsigned(out: ByteSink, value: number | bigint): void {
  if (typeof value === 'number' && value <= 0xffff_ffff) {
    // Indices and sizes: the common case, without bigint arithmetic.
    let v = value;
    for (; v >= 0x80; v = Math.floor(v / 0x80)) out.push((v & 0x7f) | 0x80);
    out.push(v);
    return;
  }
  let v = BigInt(value);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if (v === 0n) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** Shortest signed encoding. */
export function writeSigned(out: ByteSink, value: number | bigint): void {
  if (typeof value === 'number' && (value | 0) === value) {
    // i32 constants and type indices: the common case, without bigint arithmetic.
    let v = value;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        out.push(b);
        return;
      }
      out.push(b | 0x80);
    }
  }
  let v = BigInt(value);
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}
