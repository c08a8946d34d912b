// Defects of the optimizing tier's lowering to LLVM that the testsuite does not reach.

import { describe, expect, it } from 'vitest';
import {
  func_invoke, i32, instance_export, isError, module_instantiate, module_parse, store_init,
} from '../lib/index.js';

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
