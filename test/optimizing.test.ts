// Defects of the optimizing tier's lowering to LLVM that the testsuite does not reach.

import { describe, expect, it } from 'vitest';
import {
  f32bits, func_invoke, i32, i64, instance_export, isError, module_instantiate, module_parse, store_init,
} from '../lib/index.js';
import { runWast } from '../lib/wast.js';

describe('optimizing engine', () => {
  // x86-64 returns a third and fourth floating-point result in x87 registers, whose loads quiet a
  // signalling NaN; results are f64 bits here whatever way they are returned (spec 4.3.3: only
  // arithmetic makes NaNs quiet).
  it('keeps the bits of a signalling NaN among four results', () => {
    const m = module_parse(`(module (func (export "f") (param i32) (result f64 f32 f32 f64)
      f64.const nan:0x4000000000001 f32.const nan:0x200001 f32.const nan:0x200002 f64.const nan:0x4000000000002
      local.get 0 br_if 0
      f64.trunc))`);
    if (isError(m)) throw new Error(m.message);
    const [store, inst] = module_instantiate(store_init({ engine: 'optimizing' }), m, []);
    if (isError(inst)) throw new Error(inst.message);
    const f = instance_export(inst, 'f');
    if (isError(f) || f.kind !== 'func') throw new Error('no f');
    const [, results] = func_invoke(store, f, [i32(1)]);
    expect(results).toEqual([
      { type: 'f64', bits: 0x7ff4000000000001n }, { type: 'f32', bits: 0x7fa00001 },
      { type: 'f32', bits: 0x7fa00002 }, { type: 'f64', bits: 0x7ff4000000000002n },
    ]);
  });
});

describe('select on the optimizing engine', () => {
  // Both operands of select are evaluated first (spec 4.4.7.1), so a load select does not choose
  // still traps. X86's cmov converter used to put a cmov's folded load on one arm of a branch
  // (generator seed 56005380); it is off (optimizing.cpp).
  it('traps on an out-of-bounds load that select then discards', () => {
    const m = module_parse(`(module (memory 0) (global $g (mut f64) (f64.const 1.5))
      (func (export "f") (param i32) (result f64)
        global.get $g
        (f64.reinterpret_i64 (i64.const 1)) (f64.load (local.get 0)) (local.get 0) select
        global.set $g)
      (func (export "i") (param i32 i32) (result i32)
        (select (local.get 1) (i32.load (local.get 0)) (local.get 0))))`);
    if (isError(m)) throw new Error(m.message);
    for (const engine of ['optimizing', 'tiered'] as const) {
      let [store, inst] = module_instantiate(store_init({ engine, tierUp: { threshold: 0, wait: true } }), m, []);
      if (isError(inst)) throw new Error(inst.message);
      for (const [name, args] of [['f', [i32(31)]], ['i', [i32(31), i32(1)]]] as const) {
        const f = instance_export(inst, name);
        if (isError(f) || f.kind !== 'func') throw new Error(`no ${name}`);
        let results;
        [store, results] = func_invoke(store, f, [...args]);
        expect(isError(results) ? results.message : results, `${engine} ${name}`).toBe('out of bounds memory access');
      }
    }
  });
});

describe('v128 on the optimizing engine', () => {
  // Where a v128 crosses something the testsuite's SIMD files hardly reach: several results with
  // floats (a struct), call_indirect (the entry convention's two cells), labels carrying it (loop
  // parameters, br_table), select, a mutable global; the reference engine says what is right.
  const text = `(module
    (type $t (func (param v128 f32 v128) (result f64 v128 i32 v128)))
    (table funcref (elem $mix))
    (global $g (mut v128) (v128.const i32x4 1 2 3 4))
    (func $mix (type $t)
      (f64.promote_f32 (local.get 1)) (local.get 2) (i32.const 7) (i32x4.add (local.get 0) (global.get $g)))
    (func (export "run") (param i32 i64 f32) (result f64 v128 i32 v128) (local v128)
      (local.set 3 (i64x2.splat (local.get 1)))
      (global.set $g (i8x16.add (global.get $g) (local.get 3)))
      (local.get 3)
      (loop $l (param v128) (result v128)
        (local.set 3 (i32x4.add (v128.const i32x4 1 0 0 0)))
        (br_if $l (local.get 3) (i32.lt_u (i32.and (i32x4.extract_lane 0 (local.get 3)) (i32.const 15)) (i32.const 12))))
      (block $b (param v128) (result v128)
        (block $c (param v128) (result v128)
          (br_table $b $c (local.get 0)))
        (i64x2.neg))
      (select (local.get 2) (f32.const nan:0x200001) (i32.and (local.get 0) (i32.const 2)))
      (select (v128.const i64x2 -1 -2) (global.get $g) (local.get 0))
      (call_indirect (type $t) (i32.const 0))))`;
  // The guard page faults the 16-byte access as a whole (spec 4.4.7: a store out of bounds writes nothing).
  it('traps on a v128 store across the end of memory, which writes nothing', () => {
    const text = `(module (memory 1)
        (func (export "store") (param i32) (v128.store (local.get 0) (v128.const i64x2 -1 -1)))
        (func (export "store_lane") (param i32) (v128.store64_lane 1 (local.get 0) (v128.const i64x2 -1 -1)))
        (func (export "byte") (param i32) (result i32) (i32.load8_u (local.get 0))))
      (assert_trap (invoke "store" (i32.const 65530)) "out of bounds memory access")
      (assert_return (invoke "byte" (i32.const 65530)) (i32.const 0))
      (assert_return (invoke "byte" (i32.const 65535)) (i32.const 0))
      (assert_trap (invoke "store_lane" (i32.const 65532)) "out of bounds memory access")
      (assert_return (invoke "byte" (i32.const 65532)) (i32.const 0))
      (assert_trap (invoke "store" (i32.const -1)) "out of bounds memory access")`;
    const r = runWast({ text, name: 'straddle.wast' }, { engine: 'optimizing' });
    expect(r.reports.filter((p) => p.outcome === 'failed').map((p) => p.message)).toEqual([]);
    expect(r.passed).toBe(7);
  });

  it.each([0, 1, 2, 3])('carries v128 values through calls, labels, select and globals like the reference (%i)', (arg) => {
    const runOn = (engine: 'reference' | 'optimizing') => {
      const m = module_parse(text);
      if (isError(m)) throw new Error(m.message);
      const [store, inst] = module_instantiate(store_init({ engine }), m, []);
      if (isError(inst)) throw new Error(inst.message);
      const f = instance_export(inst, 'run');
      if (isError(f) || f.kind !== 'func') throw new Error('no run');
      return func_invoke(store, f, [i32(arg), i64(0x0102030405060708n), f32bits(0x3fc00000)])[1];
    };
    const expected = runOn('reference');
    expect(isError(expected)).toBe(false);
    expect(runOn('optimizing')).toEqual(expected);
  });
});
