// Mutants of testsuite modules for the differential test of the native decoder+validator against the
// reference (test/mutation.test.ts, and `npm run fuzz:mutate -- --count N --seed S` for long runs).
// Mutations are the ones that move a module between the classes: byte flips and random bytes,
// insertions and deletions, LEB128 lengthening and truncation, and section-size edits.

import { isError, module_decode, module_validate } from '../../lib/index.js';
import { validate } from '../../lib/native.js';
import { testsuiteModules } from '../testsuite-modules.js';

/** xorshift32: a deterministic stream from a seed. */
export function rng(seed: number): (n: number) => number {
  let s = (seed >>> 0) || 1;
  return (n) => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s % n;
  };
}

export const mutations = ['flip', 'byte', 'insert', 'delete', 'leb-extend', 'leb-cut', 'section-size'] as const;
export type Mutation = typeof mutations[number];

/** Offsets of the section-size fields, found by walking the section headers as far as they read. */
function sectionSizeOffsets(b: Uint8Array): number[] {
  const out: number[] = [];
  let p = 8;
  while (p < b.length) {
    const sizeAt = p + 1;
    let size = 0;
    let q = sizeAt;
    for (let shift = 0; q < b.length && shift < 35; shift += 7) {
      const byte = b[q++]!;
      size += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) break;
    }
    out.push(sizeAt);
    p = q + size;
  }
  return out;
}

function splice(b: Uint8Array, at: number, remove: number, insert: number[]): Uint8Array {
  return new Uint8Array([...b.subarray(0, at), ...insert, ...b.subarray(at + remove)]);
}

export function mutate(b: Uint8Array, kind: Mutation, r: (n: number) => number): Uint8Array {
  if (b.length === 0) return new Uint8Array([r(256)]);
  const at = r(b.length);
  switch (kind) {
    case 'flip': { const c = b.slice(); c[at] = c[at]! ^ (1 << r(8)); return c; }
    case 'byte': { const c = b.slice(); c[at] = [0x00, 0x7f, 0x80, 0xff, r(256)][r(5)]!; return c; }
    case 'insert': return splice(b, at, 0, [r(256)]);
    case 'delete': return splice(b, at, 1 + r(2), []);
    case 'leb-extend': {
      // A byte that ends a LEB128 gets a continuation and a zero byte: same value, one byte longer.
      for (let i = 0; i < 16; i++) {
        const p = (at + i) % b.length;
        if ((b[p]! & 0x80) === 0) return splice(b, p, 1, [b[p]! | 0x80, 0x00]);
      }
      return b;
    }
    case 'leb-cut': {
      // A continuation byte loses its continuation bit: the LEB128 ends early.
      for (let i = 0; i < 16; i++) {
        const p = (at + i) % b.length;
        if ((b[p]! & 0x80) !== 0) { const c = b.slice(); c[p] = b[p]! & 0x7f; return c; }
      }
      return b;
    }
    case 'section-size': {
      const offsets = sectionSizeOffsets(b).filter((o) => o < b.length);
      if (offsets.length === 0) return b;
      const o = offsets[r(offsets.length)]!;
      const c = b.slice();
      c[o] = (c[o]! & 0x80) | ((c[o]! & 0x7f) + [1, -1, 2, -2][r(4)]! & 0x7f);
      return c;
    }
  }
}

/** 'ok', or a failure's class (malformed, invalid; natively also unsupported, internal) and message. */
export interface Verdict { status: string; message: string }

export function referenceVerdict(bytes: Uint8Array): Verdict {
  const m = module_decode(bytes, { engine: 'reference' });
  if (isError(m)) return { status: m.kind, message: m.message };
  const e = module_validate(m);
  return e === undefined ? { status: 'ok', message: '' } : { status: e.kind, message: e.message };
}

export function nativeVerdict(bytes: Uint8Array): Verdict {
  const r = validate(bytes);
  return r === true ? { status: 'ok', message: '' } : { status: r.status, message: r.message };
}

/** Same class and, as the testsuite compares messages, one message a prefix of the other. */
export function sameVerdict(a: Verdict, b: Verdict): boolean {
  if (a.status !== b.status) return false;
  return a.message.startsWith(b.message) || b.message.startsWith(a.message);
}

export function describeVerdict(v: Verdict): string {
  return v.status === 'ok' ? v.status : `${v.status}: ${v.message}`;
}

export interface Difference { kind: string; where: string; bytes: Uint8Array }

/** Mutants from consecutive seeds, each one to three mutations of a testsuite module. */
export function runMutants(count: number, seed: number): { ran: number; differences: Difference[] } {
  const seeds = testsuiteModules();
  const r = rng(seed);
  const differences: Difference[] = [];
  for (let i = 0; i < count; i++) {
    const source = seeds[r(seeds.length)]!;
    let bytes = source.bytes;
    const steps: string[] = [];
    for (let k = 1 + r(3); k > 0; k--) {
      const m = mutations[r(mutations.length)]!;
      steps.push(m);
      bytes = mutate(bytes, m, r);
    }
    const want = referenceVerdict(bytes);
    const got = nativeVerdict(bytes);
    if (!sameVerdict(want, got)) {
      differences.push({
        kind: `${describeVerdict(want)} → ${describeVerdict(got)}`,
        where: `${source.where} #${i} (${steps.join('+')})`,
        bytes,
      });
    }
  }
  return { ran: count, differences };
}
