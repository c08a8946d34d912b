// Nesting as deep as a module likes: 100,000 nested blocks (far past what the JS stack allows
// recursive calls) are read from text and binary, validated, encoded, run and reported without a
// RangeError, on every engine. Every walk over nested instructions uses an explicit stack.

import { describe, expect, it } from 'vitest';
import {
  func_invoke, i32, instance_export, isError, module_decode, module_instantiate, module_parse, module_validate,
  store_init, type EngineName, type Module,
} from '../lib/index.js';
import { nativeAvailable, validate } from '../lib/native.js';
import { runWast } from '../lib/wast.js';
import { encodeModule } from '../spec/binary/encode.js';

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
