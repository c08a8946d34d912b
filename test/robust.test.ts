// The front end is robust: nesting as deep as a module likes (100,000 nested blocks, far past what
// the JS stack allows recursive calls) is read from text and binary, validated, encoded, run and
// reported without a RangeError, on every engine; a module of tens of megabytes loads.

import { describe, expect, it } from 'vitest';
import {
  func_invoke, i32, instance_export, isError, module_decode, module_instantiate, module_parse, module_validate,
  store_init, type EngineName, type Module,
} from '../lib/index.js';
import { nativeAvailable, validate } from '../lib/native.js';
import { runWast } from '../lib/wast.js';
import { encodeModule } from '../spec/binary/encode.js';
import { readUnsigned, writeUnsigned } from '../spec/binary/leb128.js';

const DEPTH = 100_000;

function parse(text: string): Module {
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  return m;
}

/** Instantiates `m` on `engine` and calls its export "f" with `args`. */
function call(engine: EngineName, m: Module, ...args: number[]): unknown {
  const [s1, inst] = module_instantiate(store_init({ engine }), m, []);
  if (isError(inst)) throw new Error(`${engine}: ${inst.message}`);
  const f = instance_export(inst, 'f');
  if (isError(f) || f.kind !== 'func') throw new Error('no f');
  const [, results] = func_invoke(s1, f, args.map(i32));
  return results;
}

const SEVEN = [{ type: 'i32', value: 7 }];

// Flat: `block (result i32)` … `i32.const 7` … `end`; the innermost branches out of all of them.
const flat = `(module (func (export "f") (result i32)
  ${'block (result i32) '.repeat(DEPTH)} i32.const 7 br ${DEPTH - 1} ${'end '.repeat(DEPTH)}))`;
// Folded: `(block (result i32) (block … (i32.const 7)))`, loops and ifs alternating.
const folded = `(module (func (export "f") (param i32) (result i32)
  ${'(loop (result i32) (if (result i32) (local.get 0) (then '.repeat(DEPTH / 2)} (i32.const 7)
  ${') (else (i32.const 0))))'.repeat(DEPTH / 2)}))`;
// Folded operands: (i32.add (i32.add … (i32.const 1) (i32.const 1)) … (i32.const 1)) adding up to 7
// after subtracting: 1 + (DEPTH - 1) * 1 - (DEPTH - 7).
const operands = `(module (func (export "f") (result i32)
  (i32.sub ${'(i32.add '.repeat(DEPTH - 1)} (i32.const 1) ${'(i32.const 1)) '.repeat(DEPTH - 1)} (i32.const ${DEPTH - 7}))))`;

describe(`${DEPTH} nested blocks`, () => {
  const engines: EngineName[] = nativeAvailable() === true ? ['reference', 'singlepass', 'v8'] : ['reference', 'v8'];

  for (const [name, text, args] of [['flat', flat, []], ['folded', folded, [1]], ['folded operands', operands, []]] as const) {
    it(`${name}: parse, validate, encode, decode and run on ${engines.join(', ')}`, () => {
      const m = parse(text);
      expect(module_validate(m)).toBeUndefined();
      const bytes = encodeModule(m.ast);
      const decoded = module_decode(bytes);
      if (isError(decoded)) throw new Error(decoded.message);
      // (Not toEqual on the trees: vitest compares them recursively.)
      expect(encodeModule(decoded.ast)).toEqual(bytes);
      expect(module_validate(decoded)).toBeUndefined();
      if (nativeAvailable() === true) expect(validate(bytes)).toBe(true);
      for (const engine of engines) {
        expect(call(engine, decoded, ...args)).toEqual(SEVEN);
        expect(call(engine, m, ...args)).toEqual(SEVEN);
      }
    });
  }

  it('are decoded from bytes the encoder did not write', () => {
    // (func (result i32) block×DEPTH (result i32) i32.const 7 end×DEPTH)
    const body = [0x00];
    for (let i = 0; i < DEPTH; i++) body.push(0x02, 0x7f);
    body.push(0x41, 0x07);
    for (let i = 0; i <= DEPTH; i++) body.push(0x0b);
    const size = (n: number): number[] => [(n & 0x7f) | 0x80, (n >> 7 & 0x7f) | 0x80, n >> 14];
    const code = [0x01, ...size(body.length), ...body];
    const bytes = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00,
      0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, 0x0a, ...size(code.length), ...code,
    ]);
    const m = module_decode(bytes);
    if (isError(m)) throw new Error(m.message);
    expect(module_validate(m)).toBeUndefined();
    for (const engine of engines) expect(call(engine, m)).toEqual(SEVEN);
    // One `end` short: the error is a value, at the end of the body.
    expect(module_decode(bytes.subarray(0, bytes.length - 1))).toMatchObject({ kind: 'malformed' });
  });

  it('and a failing one say where in a script, and an `either` as deep', () => {
    const either = `${'(either '.repeat(DEPTH)} (i32.const 7) ${')'.repeat(DEPTH)}`;
    const script = `${flat}\n(assert_return (invoke "f") ${either})\n(assert_return (invoke "f") (either (i32.const 8) ${either.replace('7', '9')}))\n`;
    const r = runWast({ text: script, name: 'deep.wast' }, { engine: 'reference' });
    expect([r.passed, r.failed]).toEqual([2, 1]);
    expect(r.reports[0]!.message).toMatch(/^result 0: expected either\(i32 8 \| either\(either\(.*i32 9\)+, got i32 7$/);
  });
});

/** The sections of a module: id and content. */
function sections(bytes: Uint8Array): { id: number; content: Uint8Array }[] {
  const out: { id: number; content: Uint8Array }[] = [];
  let p = 8;
  const next = (): number => bytes[p++]!;
  while (p < bytes.length) {
    const id = next();
    const size = readUnsigned(next, 32);
    out.push({ id, content: bytes.subarray(p, p + size) });
    p += size;
  }
  return out;
}

function leb(n: number): number[] {
  const out: number[] = [];
  writeUnsigned(out, n);
  return out;
}

describe('a large module', () => {
  it('of 20 MB in 100,000 functions decodes and validates (bench:frontend times 75 MB)', () => {
    // One function, copied: a loop over memory with nested blocks.
    const one = parse(`(module (memory 1) (func (param i32 i32) (result i32) (local i32 i64 f64)
      (block (loop
        (br_if 1 (i32.eqz (local.get 1)))
        (local.set 2 (i32.add (local.get 2) (i32.load offset=4 (local.get 0))))
        (if (i32.and (local.get 2) (i32.const 1))
          (then (local.set 3 (i64.add (local.get 3) (i64.extend_i32_u (local.get 2)))))
          (else (local.set 4 (f64.add (local.get 4) (f64.convert_i32_s (local.get 2))))))
        ${'(i32.store (local.get 0) (i32.xor (i32.load (local.get 0)) (i32.const 0x5bd1e995))) '.repeat(8)}
        (local.set 0 (i32.add (local.get 0) (i32.const 4)))
        (local.set 1 (i32.sub (local.get 1) (i32.const 1)))
        (br 0)))
      (i32.add (local.get 2) (i32.wrap_i64 (local.get 3)))))`);
    const n = 100_000;
    const parts: ArrayLike<number>[] = [encodeModule(one.ast).subarray(0, 8)];
    for (const { id, content } of sections(encodeModule(one.ast))) {
      if (id === 3) {
        parts.push([3], leb(leb(n).length + n), leb(n), new Uint8Array(n));
      } else if (id === 10) {
        const entry = content.subarray(1);
        parts.push([10], leb(leb(n).length + n * entry.length), leb(n));
        for (let i = 0; i < n; i++) parts.push(entry);
      } else {
        parts.push([id], leb(content.length), content);
      }
    }
    const bytes = new Uint8Array(parts.reduce((size, b) => size + b.length, 0));
    let at = 0;
    for (const b of parts) {
      bytes.set(b, at);
      at += b.length;
    }
    expect(bytes.length).toBeGreaterThan(20e6);

    const m = module_decode(bytes);
    if (isError(m)) throw new Error(m.message);
    expect(m.ast.funcs.length).toBe(n);
    expect(module_validate(m)).toBeUndefined();
    if (nativeAvailable() === true) expect(validate(bytes)).toBe(true);
  });
});
