// The tiered engine: functions start on singlepass code and switch to the optimizing compiler's code
// once hot, while the program runs. The testsuite (conformance.test.ts) and the generator
// (gen.test.ts) check what it computes; these check that tier-up happens when it should, that the
// switch shows (optimized frames are smaller), and that traps, stack limits, deadlines, fuel,
// artifacts and freeing work across it.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  func_invoke, global_read, i32, instance_export, isError, module_deserialize, module_function_tiers, module_instantiate,
  module_parse, module_serialize, module_tier_up_stats, store_free, store_get_fuel, store_init, store_interrupt_after,
  type FuncAddr, type Module, type ModuleInst, type Store, type TierUpOptions, type Val,
} from '../lib/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));

function parse(text: string): Module {
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  return m;
}

function instantiate(module: Module, options: { tierUp?: TierUpOptions; fuel?: number; wasmStack?: number } = {}): [Store, ModuleInst] {
  const store = store_init({
    engine: 'tiered', tierUp: options.tierUp ?? {}, ...(options.fuel === undefined ? {} : { fuel: options.fuel }),
    ...(options.wasmStack === undefined ? {} : { limits: { wasmStack: options.wasmStack } }),
  });
  const [s, inst] = module_instantiate(store, module, []);
  if (isError(inst)) throw new Error(inst.message);
  return [s, inst];
}

function exported(inst: ModuleInst, name: string): FuncAddr {
  const e = instance_export(inst, name);
  if (isError(e) || e.kind !== 'func') throw new Error(`no function ${name}`);
  return e;
}

function call(store: Store, f: FuncAddr, args: Val[]): [Store, Val[]] {
  const [s, r] = func_invoke(store, f, args);
  if (isError(r)) throw new Error(r.message);
  return [s, r];
}

const SUM = `(module
  (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "sum") (param i32) (result i32) (local i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get 0)))
      (local.set 1 (call $add (local.get 1) (local.get 0)))
      (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
      (br $l)))
    (local.get 1)))`;

describe('tiered engine', () => {
  it('queues a function at the call after its threshold of calls, and runs its optimized code after', () => {
    const m = parse('(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))');
    let [store, inst] = instantiate(m, { tierUp: { threshold: 5 } });
    const f = exported(inst, 'f');
    for (let k = 0; k < 5; k++) [store] = call(store, f, [i32(k)]);
    expect(module_tier_up_stats(m, { wait: 10_000 })).toEqual({ optimized: 0, refused: 0, pending: 0 });
    [store] = call(store, f, [i32(1)]);
    expect(module_tier_up_stats(m, { wait: 10_000 })).toEqual({ optimized: 1, refused: 0, pending: 0 });
    expect(call(store, f, [i32(7)])[1]).toEqual([i32(21)]);
  });

  it('leaves a function whose body is larger than 16 KiB on singlepass code, refused, and optimizes one just under', () => {
    // (drop (i32.const 0)) is 3 bytes of body.
    const body = (n: number): string => '(drop (i32.const 0))'.repeat(n);
    const m = parse(`(module (func (export "large") ${body(5500)}) (func (export "under") (result i32) ${body(5400)} (i32.const 7)))`);
    let [store, inst] = instantiate(m, { tierUp: { threshold: 0, wait: true } });
    let results: Val[];
    [store] = call(store, exported(inst, 'large'), []);
    [store, results] = call(store, exported(inst, 'under'), []);
    expect(results).toEqual([i32(7)]);
    expect(module_tier_up_stats(m, { wait: 10_000 })).toEqual({ optimized: 1, refused: 1, pending: 0 });
    expect(module_function_tiers(m)).toEqual(['singlepass', 'optimizing']);
    // Refused, it goes on running on singlepass code; the other runs its optimized code.
    [store] = call(store, exported(inst, 'large'), []);
    [store, results] = call(store, exported(inst, 'under'), []);
    expect(results).toEqual([i32(7)]);
    store_free(store);
  });

  it('counts loop iterations, so a hot loop in a function called once tiers up, and its callees too', () => {
    const m = parse(SUM);
    const [store, inst] = instantiate(m, { tierUp: { threshold: 100 } });
    expect(call(store, exported(inst, 'sum'), [i32(1000)])[1]).toEqual([i32(500500)]);
    expect(module_tier_up_stats(m, { wait: 10_000 })).toEqual({ optimized: 2, refused: 0, pending: 0 });
  });

  it('has no tier-up statistics for a module it did not compile', () => {
    expect(module_tier_up_stats(parse('(module)'))).toBeUndefined();
  });

  // Optimized frames are smaller than singlepass ones, so under the same stack limit recursion goes
  // deeper once the function runs optimized code: proof that new calls enter it, and that its
  // prologue checks the stack limit (the recursion ends in "call stack exhausted", not a crash).
  it('switches new calls to the optimized code, whose frames are smaller, under the same stack limit', () => {
    const m = parse(`(module (global $depth (export "depth") (mut i32) (i32.const 0))
      (func $down (export "down") (param i64 i64 i64 i64) (result i64)
        (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
        (i64.add (call $down (i64.add (local.get 0) (i64.const 1)) (local.get 1) (local.get 2) (local.get 3)) (local.get 0))))`);
    // A threshold beyond the first recursion, then waiting for the compile at the call that asks.
    let [store, inst] = instantiate(m, { tierUp: { threshold: 1_000_000, wait: true }, wasmStack: 1 << 20 });
    const down = exported(inst, 'down');
    const depth = (): number => {
      const d = instance_export(inst, 'depth');
      if (isError(d) || d.kind !== 'global') throw new Error('no depth');
      const v = global_read(store, d);
      return v.type === 'i32' ? v.value : -1;
    };
    const args = [{ type: 'i64', value: 0n }, { type: 'i64', value: 1n }, { type: 'i64', value: 2n }, { type: 'i64', value: 3n }] as const;
    const run = (): number => {
      const before = depth();
      const [s, r] = func_invoke(store, down, [...args]);
      store = s;
      expect(isError(r) && r.message).toBe('call stack exhausted');
      return depth() - before;
    };
    const singlepass = run();
    expect(module_tier_up_stats(m)).toEqual({ optimized: 0, refused: 0, pending: 0 });
    // Enough calls to run out the counter: the call that does so waits for the optimized code.
    let optimized = 0;
    for (let k = 0; k < 1_000_000 / singlepass + 2 && optimized === 0; k++) {
      run();
      optimized = module_tier_up_stats(m)?.optimized ?? 0;
    }
    expect(optimized).toBe(1);
    const deeper = run();
    expect(deeper).toBeGreaterThan(singlepass);
  });

  it('traps from optimized code with the backtrace singlepass code gives', () => {
    const m = parse(`(module
      (func $inner (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
      (func $outer (export "outer") (param i32) (result i32) (call $inner (local.get 0))))`);
    let [store, inst] = instantiate(m, { tierUp: { threshold: 0, wait: true } });
    const outer = exported(inst, 'outer');
    const traces = [];
    for (let k = 0; k < 3; k++) {
      const [s, r] = func_invoke(store, outer, [i32(0)]);
      store = s;
      if (!isError(r)) throw new Error('no trap');
      traces.push([r.message, r.trace]);
    }
    expect(module_tier_up_stats(m)).toEqual({ optimized: 2, refused: 0, pending: 0 });
    const expected = ['integer divide by zero', [{ func: 0 }, { func: 1 }]];
    expect(traces).toEqual([expected, expected, expected]);
  });

  it('interrupts an optimized loop at a deadline', () => {
    const m = parse('(module (func (export "spin") (loop $l (br $l))))');
    const [store, inst] = instantiate(m, { tierUp: { threshold: 1000 } });
    expect(store_interrupt_after(store, 300)).toBeUndefined();
    const [next, r] = func_invoke(store, exported(inst, 'spin'), []);
    expect(isError(r) && r.message).toBe('interrupted');
    // The loop asked for tier-up while spinning; its next call runs the optimized loop.
    expect(module_tier_up_stats(m, { wait: 10_000 })?.optimized).toBe(1);
    expect(store_interrupt_after(next, 100)).toBeUndefined();
    const [, again] = func_invoke(next, exported(inst, 'spin'), []);
    expect(isError(again) && again.message).toBe('interrupted');
  });

  it('charges the same fuel on either tier', () => {
    const m = parse(SUM);
    const fuelLeft = (tierUp: TierUpOptions): number[] => {
      let [store, inst] = instantiate(m, { tierUp, fuel: 1_000_000 });
      const out: number[] = [];
      for (let k = 0; k < 4; k++) {
        [store] = call(store, exported(inst, 'sum'), [i32(50)]);
        const fuel = store_get_fuel(store);
        if (isError(fuel)) throw new Error(fuel.message);
        out.push(fuel);
      }
      return out;
    };
    const never = fuelLeft({ threshold: 0x7fffffff });
    expect(fuelLeft({ threshold: 0, wait: true })).toEqual(never);
    expect(module_tier_up_stats(m)?.optimized).toBe(2);
  });

  it('tiers up functions with SIMD and without alike', () => {
    const m = parse(`(module
      (func (export "splat") (param i32) (result i32) (i32x4.extract_lane 3 (i32x4.splat (local.get 0))))
      (func (export "twice") (param i32) (result i32) (i32.shl (local.get 0) (i32.const 1))))`);
    let [store, inst] = instantiate(m, { tierUp: { threshold: 0, wait: true } });
    for (let k = 0; k < 3; k++) {
      let r;
      [store, r] = call(store, exported(inst, 'splat'), [i32(k)]);
      expect(r).toEqual([i32(k)]);
      [store, r] = call(store, exported(inst, 'twice'), [i32(k)]);
      expect(r).toEqual([i32(2 * k)]);
    }
    expect(module_tier_up_stats(m)).toEqual({ optimized: 2, refused: 0, pending: 0 });
  });

  it('serializes singlepass code that counts, recorded as tiered, which only tiered stores run and which tiers up', () => {
    const m = parse(SUM);
    const bytes = module_serialize(m, { engine: 'tiered' });
    if (isError(bytes)) throw new Error(bytes.message);
    const loaded = module_deserialize(bytes);
    if (isError(loaded)) throw new Error(loaded.message);
    expect(loaded.compiledFor).toBe('tiered');
    expect(module_function_tiers(loaded)).toEqual(['singlepass', 'singlepass']);
    expect(() => module_instantiate(store_init({ engine: 'singlepass' }), loaded, [])).toThrow(TypeError);
    const [store, inst] = instantiate(loaded, { tierUp: { threshold: 10 } });
    const [next, r] = call(store, exported(inst, 'sum'), [i32(100)]);
    expect(r).toEqual([i32(5050)]);
    // Tier-up compiles from the module's binary the artifact holds.
    expect(module_tier_up_stats(loaded, { wait: 10_000 })).toEqual({ optimized: 2, refused: 0, pending: 0 });
    expect(module_function_tiers(loaded)).toEqual(['optimizing', 'optimizing']);
    expect(call(next, exported(inst, 'sum'), [i32(100)])[1]).toEqual([i32(5050)]);
  });

  it('frees a store whose functions are being compiled', () => {
    const m = parse(SUM);
    for (let k = 0; k < 20; k++) {
      const [store, inst] = instantiate(m, { tierUp: { threshold: 0 } });
      call(store, exported(inst, 'sum'), [i32(10)]);
      store_free(store);
    }
    expect(module_tier_up_stats(m, { wait: 10_000 })).toEqual({ optimized: 2, refused: 0, pending: 0 });
  });

  it('lets the process exit at once while functions wait to be compiled', () => {
    // Many functions queued, none waited for: exit must neither hang nor crash.
    const funcs = Array.from({ length: 300 }, (_, k) => `(func (export "f${k}") (result i32) (i32.const ${k}))`).join('\n');
    const script = `
      import { store_init, module_parse, module_instantiate, instance_export, func_invoke } from './dist/lib/index.js';
      const m = module_parse(${JSON.stringify(`(module ${funcs})`)});
      let [s, inst] = module_instantiate(store_init({ engine: 'tiered', tierUp: { threshold: 0 } }), m, []);
      for (let k = 0; k < 300; k++) [s] = func_invoke(s, instance_export(inst, 'f' + k), []);
      console.log('done');`;
    const started = Date.now();
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 60_000 });
    expect({ status: r.status, signal: r.signal, stdout: r.stdout.trim() }).toEqual({ status: 0, signal: null, stdout: 'done' });
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

// A tiered artifact holds the tier each function reached: serializing after a run writes the
// optimized code of the functions that tiered up (and their singlepass code, which singlepass
// callers still call directly), and loading it starts them optimized while the others go on counting.
describe('tiered artifacts', () => {
  const MIXED = `(module
    (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
    (func $sum (export "sum") (param i32) (result i32) (local i32)
      (block $done (loop $l
        (br_if $done (i32.eqz (local.get 0)))
        (local.set 1 (call $add (local.get 1) (local.get 0)))
        (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
        (br $l)))
      (local.get 1))
    (func (export "cold") (param i32) (result i32) (i32.mul (call $add (local.get 0) (i32.const 1)) (i32.const 3)))
    (func (export "div") (param i32) (result i32) (i32.div_u (call $sum (i32.const 4)) (local.get 0))))`;

  function serialized(m: Module): Uint8Array {
    const bytes = module_serialize(m, { engine: 'tiered' });
    if (isError(bytes)) throw new Error(bytes.message);
    return bytes;
  }
  function deserialized(bytes: Uint8Array): Module {
    const m = module_deserialize(bytes);
    if (isError(m)) throw new Error(m.message);
    return m;
  }

  it('holds the optimized code of the functions that tiered up; loaded, they start optimized, the rest go on tiering', () => {
    const m = parse(MIXED);
    let [store, inst] = instantiate(m, { tierUp: { threshold: 50, wait: true } });
    expect(call(store, exported(inst, 'sum'), [i32(1000)])[1]).toEqual([i32(500500)]);
    expect(module_function_tiers(m)).toEqual(['optimizing', 'optimizing', 'singlepass', 'singlepass']);
    const first = serialized(m);
    // Written anew only when tier-up has compiled something since: the same state, the same bytes.
    expect(serialized(m)).toEqual(first);

    const loaded = deserialized(first);
    expect(module_function_tiers(loaded)).toEqual(['optimizing', 'optimizing', 'singlepass', 'singlepass']);
    expect(module_tier_up_stats(loaded)).toEqual({ optimized: 2, refused: 0, pending: 0 });
    // Nothing compiled since loading: its artifact is the one it was loaded from.
    expect(serialized(loaded)).toEqual(first);
    [store, inst] = instantiate(loaded, { tierUp: { threshold: 5, wait: true } });
    let sum;
    [store, sum] = call(store, exported(inst, 'sum'), [i32(1000)]);
    expect(sum).toEqual([i32(500500)]);
    expect(module_tier_up_stats(loaded)).toEqual({ optimized: 2, refused: 0, pending: 0 });
    for (let k = 0; k < 3; k++) [store] = call(store, exported(inst, 'cold'), [i32(k)]);
    expect(module_tier_up_stats(loaded)).toEqual({ optimized: 2, refused: 0, pending: 0 });
    for (let k = 0; k < 4; k++) {
      let r;
      [store, r] = call(store, exported(inst, 'cold'), [i32(k)]);
      expect(r).toEqual([i32(3 * (k + 1))]);
    }
    expect(module_function_tiers(loaded)).toEqual(['optimizing', 'optimizing', 'optimizing', 'singlepass']);

    // And again: the second artifact holds three optimized functions, the first's two among them.
    const second = serialized(loaded);
    const again = deserialized(second);
    expect(module_function_tiers(again)).toEqual(['optimizing', 'optimizing', 'optimizing', 'singlepass']);
    [store, inst] = instantiate(again, { tierUp: { threshold: 1_000_000 } });
    const results = [];
    for (const [name, arg] of [['sum', 100], ['cold', 6], ['div', 2]] as const) {
      let r;
      [store, r] = call(store, exported(inst, name), [i32(arg)]);
      results.push(r);
    }
    expect(results).toEqual([[i32(5050)], [i32(21)], [i32(5)]]);
    expect(module_tier_up_stats(again)).toEqual({ optimized: 3, refused: 0, pending: 0 });
  });

  it('runs loaded optimized code for calls from singlepass code, whose frames are smaller', () => {
    // "outer" stays on singlepass code and calls "down" directly: the loaded optimized "down" must run.
    const m = parse(`(module (global $depth (export "depth") (mut i32) (i32.const 0))
      (func $down (export "down") (param i64 i64 i64 i64) (result i64)
        (global.set $depth (i32.add (global.get $depth) (i32.const 1)))
        (i64.add (call $down (i64.add (local.get 0) (i64.const 1)) (local.get 1) (local.get 2) (local.get 3)) (local.get 0)))
      (func (export "outer") (result i64) (call $down (i64.const 0) (i64.const 1) (i64.const 2) (i64.const 3))))`);
    const depthOf = (module: Module): number => {
      let [store, inst] = instantiate(module, { tierUp: { threshold: 1_000_000 }, wasmStack: 1 << 20 });
      const [s, r] = func_invoke(store, exported(inst, 'outer'), []);
      store = s;
      expect(isError(r) && r.message).toBe('call stack exhausted');
      const d = instance_export(inst, 'depth');
      if (isError(d) || d.kind !== 'global') throw new Error('no depth');
      const v = global_read(store, d);
      return v.type === 'i32' ? v.value : -1;
    };
    const singlepass = depthOf(deserialized(serialized(m)));
    // "down" tiers up alone: called directly, in a store that waits for its code at its first call.
    const [store, inst] = instantiate(m, { tierUp: { threshold: 0, wait: true }, wasmStack: 1 << 20 });
    const i64 = (value: bigint): Val => ({ type: 'i64', value });
    const [, r] = func_invoke(store, exported(inst, 'down'), [i64(0n), i64(1n), i64(2n), i64(3n)]);
    expect(isError(r) && r.message).toBe('call stack exhausted');
    expect(module_function_tiers(m)).toEqual(['optimizing', 'singlepass']);
    expect(depthOf(deserialized(serialized(m)))).toBeGreaterThan(singlepass);
  });
});
