// The native front end decodes, validates and compiles function bodies on several threads: the
// artifact is the same bytes whatever the thread count, calls between functions compiled on
// different threads are linked right, and the verdict on a bad module is the one of decoding in
// order (the first malformed body, else the first invalid one), the reference's.

import { describe, expect, it } from 'vitest';
import { isError, module_decode, module_parse, module_validate } from '../lib/index.js';
import { NativeModule, NativeStore, isNativeFailure, nativeAvailable, threadHostSlots, validate } from '../lib/native.js';
import { encodeModule } from '../spec/binary/encode.js';

const native = nativeAvailable() === true;
const THREADS = [1, 2, 3, 8];

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    const b = n & 0x7f;
    n >>>= 7;
    out.push(n === 0 ? b : b | 0x80);
  } while (n !== 0);
  return out;
}
const section = (id: number, content: number[]): number[] => [id, ...leb(content.length), ...content];

/** A module of functions of type [] -> [] with these bodies (locals included); `after` is appended. */
function moduleOf(bodies: readonly number[][], after: number[] = []): Uint8Array {
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 0, 0]),
    ...section(3, [...leb(bodies.length), ...bodies.map(() => 0)]),
    ...section(10, [...leb(bodies.length), ...bodies.flatMap((b) => [...leb(b.length), ...b])]),
    ...after,
  ]);
}

/** 3,000 bodies of 33 bytes (about 100 KB of code, enough for several threads), `bad` replacing some. */
function bodies(bad: Record<number, number[]>): number[][] {
  const nops = [0x00, ...new Array<number>(31).fill(0x01), 0x0b];
  return Array.from({ length: 3000 }, (_, i) => bad[i] ?? nops);
}
const typeMismatch = [0x00, 0x41, 0x00, 0x0b];  // i32.const 0 left on the stack
const unknownLocal = [0x00, 0x20, 0x05, 0x0b];  // local.get 5
const illegalOpcode = [0x00, 0x27, 0x0b];       // 0x27 is no instruction
const dataDrop = [0x00, 0xfc, 0x09, 0x00, 0x0b]; // data.drop 0: needs a data count section

/** The reference engine's verdict: kind and message, or 'ok'. */
function reference(bytes: Uint8Array): string {
  const m = module_decode(bytes);
  if (isError(m)) return `${m.kind}: ${m.message}`;
  const invalid = module_validate(m);
  return invalid === undefined ? 'ok' : `${invalid.kind}: ${invalid.message}`;
}

/** Runs the chains' two exports (f_0 then h_{n-1}, each adding its index on the way to the end) on `c`. */
function expectChains(c: NativeModule, n: number): void {
  const store = new NativeStore();
  const addrs = store.instantiate(c, []);
  if (isNativeFailure(addrs)) throw new Error(addrs.message);
  for (const addr of addrs) {
    const vals = threadHostSlots().bits;
    vals[0] = 0n;
    expect(store.funcInvoke(addr)).toBe(true);
    expect(vals[0]).toBe(BigInt(((n - 1) * (n - 2)) / 2 + (addrs.indexOf(addr) === 1 ? n - 1 : 0)));
  }
  store.free();
}

describe.runIf(native)('parallel compile (singlepass)', () => {
  it('gives the same artifact whatever the thread count, with calls linked across threads', () => {
    // Two chains of 5,000 functions: f_i calls f_{i+1} (forward), h_i calls h_{i-1} (backward).
    const n = 5000;
    const funcs: string[] = [];
    for (let i = 0; i < n; i++) {
      funcs.push(i + 1 < n
        ? `(func $f${i} (param i32) (result i32) (call $f${i + 1} (i32.add (local.get 0) (i32.const ${i}))))`
        : `(func $f${i} (param i32) (result i32) (local.get 0))`);
      funcs.push(i > 0
        ? `(func $h${i} (param i32) (result i32) (call $h${i - 1} (i32.add (local.get 0) (i32.const ${i}))))`
        : `(func $h${i} (param i32) (result i32) (local.get 0))`);
    }
    const m = module_parse(`(module ${funcs.join('\n')} (export "f" (func $f0)) (export "h" (func $h${n - 1})))`);
    if (isError(m)) throw new Error(m.message);
    const bytes = encodeModule(m.ast);
    const artifacts = THREADS.map((threads) => {
      // Progress comes every ~100 ms, so maybe not at all here; if it comes, it ends with all done.
      const calls: [number, number][] = [];
      const c = NativeModule.compile(bytes, 'singlepass', { threads, progress: (done, total) => calls.push([done, total]) });
      for (const [done, total] of calls) expect(done).toBeLessThanOrEqual(total);
      if (calls.length > 0) expect(calls[calls.length - 1]).toEqual([2 * n, 2 * n]);
      if (isNativeFailure(c)) throw new Error(c.message);
      const artifact = c.serialize();
      if (threads === 3) {
        expectChains(c, n);
      }
      c.free();
      return artifact;
    });
    for (const a of artifacts.slice(1)) expect(Buffer.compare(a, artifacts[0]!)).toBe(0);
    // Code that charges fuel too.
    const metered = [1, 3].map((threads) => {
      const c = NativeModule.compile(bytes, 'singlepass', { threads, meterFuel: true });
      if (isNativeFailure(c)) throw new Error(c.message);
      const artifact = c.serialize();
      c.free();
      return artifact;
    });
    expect(Buffer.compare(metered[1]!, metered[0]!)).toBe(0);
    expect(Buffer.compare(metered[0]!, artifacts[0]!)).not.toBe(0);
  });

  it('keeps the 16-byte constants of SIMD code aligned wherever a function lands', () => {
    // Functions with SIMD constants (f32x4.abs masks with andps, which faults on an unaligned
    // operand) between functions of other sizes without any: a function compiled by one thread after
    // another's functions lands at an offset unrelated to where it was compiled. Every call must give
    // |x|, and every thread count the same artifact.
    const funcs: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const pad = '(local.set 1 (i32.add (local.get 1) (i32.const 3)))'.repeat(i % 7);
      funcs.push(i % 2 === 0
        ? `(func (export "f${i}") (param f32) (result f32) (local i32) ${pad} (f32x4.extract_lane 0 (f32x4.abs (f32x4.splat (local.get 0)))))`
        : `(func (export "f${i}") (param f32) (result f32) (local i32) ${pad} (f32.abs (local.get 0)))`);
    }
    const m = module_parse(`(module ${funcs.join('\n')})`);
    if (isError(m)) throw new Error(m.message);
    const bytes = encodeModule(m.ast);
    const artifacts = THREADS.map((threads) => {
      const c = NativeModule.compile(bytes, 'singlepass', { threads });
      if (isNativeFailure(c)) throw new Error(c.message);
      const store = new NativeStore();
      const addrs = store.instantiate(c, []);
      if (isNativeFailure(addrs)) throw new Error(addrs.message);
      let wrong = 0;
      for (const addr of addrs) {
        const vals = threadHostSlots().bits;
        vals[0] = 0xc0000000n;  // -2.0f
        if (store.funcInvoke(addr) !== true || vals[0] !== 0x40000000n) wrong++;  // 2.0f
      }
      expect(wrong).toBe(0);
      store.free();
      const artifact = c.serialize();
      c.free();
      return artifact;
    });
    for (const a of artifacts.slice(1)) expect(Buffer.compare(a, artifacts[0]!)).toBe(0);
  });

  it.each([
    ['the first invalid body in index order', moduleOf(bodies({ 2000: typeMismatch, 2500: unknownLocal })), 'invalid: type mismatch'],
    ['an earlier invalid body', moduleOf(bodies({ 100: unknownLocal, 2000: typeMismatch })), 'invalid: unknown local'],
    ['a malformed body over an earlier invalid one', moduleOf(bodies({ 100: typeMismatch, 2900: illegalOpcode })), 'malformed: illegal opcode 27'],
    ['a malformed body over a malformed later section', moduleOf(bodies({ 2900: illegalOpcode }), [0x0e, 0x00]), 'malformed: illegal opcode 27'],
    ['a malformed later section over an invalid body', moduleOf(bodies({ 10: typeMismatch }), [0x0e, 0x00]), 'malformed: malformed section id'],
    ['a data index without a data count section over an invalid body', moduleOf(bodies({ 10: typeMismatch, 2000: dataDrop })), 'malformed: data count section required'],
    ['a data index without a data count section', moduleOf(bodies({ 2000: dataDrop })), 'malformed: data count section required'],
    ['a valid module', moduleOf(bodies({})), 'ok'],
  ])('reports %s as the reference does, whatever the thread count', (_, bytes, expected) => {
    // The reference says more after the testsuite's words ("unknown local 5"), as the testsuite allows.
    const r = reference(bytes);
    expect(r === expected || r.startsWith(`${expected} `) || r.startsWith(`${expected}:`)).toBe(true);
    for (const threads of THREADS) {
      const v = validate(bytes, { threads });
      expect(v === true ? 'ok' : `${v.status}: ${v.message}`).toBe(expected);
      const c = NativeModule.compile(bytes, 'singlepass', { threads });
      expect(isNativeFailure(c) ? `${c.status}: ${c.message}` : 'ok').toBe(expected);
      if (!isNativeFailure(c)) c.free();
    }
  });

  it('takes its thread count from WASMO_COMPILE_THREADS, and refuses a count that is not one', () => {
    const bytes = moduleOf(bodies({}));
    const saved = process.env['WASMO_COMPILE_THREADS'];
    try {
      process.env['WASMO_COMPILE_THREADS'] = '2';
      expect(validate(bytes)).toBe(true);
      process.env['WASMO_COMPILE_THREADS'] = 'many';
      expect(() => validate(bytes)).toThrow(/WASMO_COMPILE_THREADS: the number of compile threads is an integer from 1 to 1024, not NaN/);
    } finally {
      if (saved === undefined) delete process.env['WASMO_COMPILE_THREADS'];
      else process.env['WASMO_COMPILE_THREADS'] = saved;
    }
    expect(() => NativeModule.compile(bytes, 'singlepass', { threads: 0 })).toThrow(RangeError);
  });
});

describe.runIf(native)('parallel compile (optimizing)', () => {
  it('compiles a large module in chunks on several threads, the same artifact whatever the count', () => {
    // Two chains of 400 functions as in singlepass's test, each padded with 350 nops (about 285 KB of
    // code: three chunks of about 128 KiB), so calls cross from chunk to chunk both ways; every fifth function also
    // uses a 16-byte constant (f32x4.abs's mask), which must stay aligned in each chunk's block.
    const n = 400;
    const pad = ' nop'.repeat(350);
    const simd = '(drop (f32x4.abs (f32x4.splat (f32.const -1))))';
    const funcs: string[] = [];
    for (let i = 0; i < n; i++) {
      const extra = `${pad} ${i % 5 === 0 ? simd : ''}`;
      funcs.push(i + 1 < n
        ? `(func $f${i} (param i32) (result i32) ${extra} (call $f${i + 1} (i32.add (local.get 0) (i32.const ${i}))))`
        : `(func $f${i} (param i32) (result i32) (local.get 0))`);
      funcs.push(i > 0
        ? `(func $h${i} (param i32) (result i32) ${extra} (call $h${i - 1} (i32.add (local.get 0) (i32.const ${i}))))`
        : `(func $h${i} (param i32) (result i32) (local.get 0))`);
    }
    const m = module_parse(`(module ${funcs.join('\n')} (export "f" (func $f0)) (export "h" (func $h${n - 1})))`);
    if (isError(m)) throw new Error(m.message);
    const bytes = encodeModule(m.ast);
    let artifacts1: Uint8Array | undefined;
    const artifacts = [1, 2, 0].map((threads) => {
      const calls: [number, number][] = [];
      // 0: the first compile's artifact, loaded (the chunks' blocks are one code section).
      const c = threads === 0 ? NativeModule.deserialize(artifacts1!)
        : NativeModule.compile(bytes, 'optimizing', { threads, progress: (done, total) => calls.push([done, total]) });
      if (isNativeFailure(c)) throw new Error(c.message);
      if (threads === 0) expect(c.tier()).toBe('optimizing');
      // A report as the calling thread finishes each of its chunks: alone, it compiles all three.
      if (threads === 1) expect(calls.map(([done, total]) => [done < 2 * n, total])).toEqual([[true, 2 * n], [true, 2 * n], [false, 2 * n]]);
      for (const [done, total] of calls) expect(done).toBeLessThanOrEqual(total);
      expectChains(c, n);
      const artifact = c.serialize();
      c.free();
      artifacts1 ??= artifact;
      return artifact;
    });
    expect(Buffer.compare(artifacts[1]!, artifacts[0]!)).toBe(0);
    expect(Buffer.compare(artifacts[2]!, artifacts[0]!)).toBe(0);
  });
});
