// Fuel (spec/fuel.ts): every engine charges the same costs at the same points, so the fuel left
// after a run is the same on each; running out is the trap "all fuel consumed", after which the
// store has 0 fuel and works again once refilled. Artifacts say whether their code meters fuel and
// a store of the other kind refuses them; wasmo run --fuel, wasmo compile --fuel, wasmo wast --fuel.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  func_alloc, func_invoke, i32, i64, instance_export, isError, module_deserialize, module_instantiate, module_parse,
  module_serialize, module_tier_up_stats, store_get_fuel, store_init, store_set_fuel, type EngineName, type FuncAddr, type Module, type Store,
  type Val, type WasmError,
} from '../lib/index.js';
import { main } from '../lib/cli.js';
import { nativeAvailable } from '../lib/native.js';

const engines: EngineName[] = nativeAvailable() === true ? ['reference', 'singlepass', 'optimizing', 'v8'] : ['reference', 'v8'];

const text = `(module
  (import "env" "host" (func $host (param i32) (result i32)))
  (global $g (mut i32) (i32.const 0))
  (memory 1)
  (table funcref (elem $add $fac32))
  (type $bin (func (param i32 i32) (result i32)))
  (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func $fac32 (param i32 i32) (result i32) (local.get 0))
  (func $fac (export "fac") (param i64) (result i64)
    (if (result i64) (i64.eqz (local.get 0))
      (then (i64.const 1))
      (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (block (loop (br_if 1 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1))) (br 0)))
    (local.get $i))
  (func (export "spin") (loop (global.set $g (i32.add (global.get $g) (i32.const 1))) (br 0)))
  (func (export "mixed") (param $n i32) (result i32) (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (block $b2 (block $b1 (block $b0
          (br_table $b0 $b1 $b2 (i32.rem_u (local.get $n) (i32.const 3))))
          (local.set $acc (call_indirect (type $bin) (local.get $acc) (local.get $n) (i32.const 0)))
          (br $b2))
          (i32.store (i32.const 8) (local.get $n))
          (local.set $acc (i32.xor (local.get $acc) (i32.load (i32.const 8)))))
        (if (i32.and (local.get $n) (i32.const 4))
          (then (local.set $acc (call $host (local.get $acc))))
          (else nop (drop (i32.const 7))))
        (memory.fill (i32.const 0) (i32.const 1) (i32.const 100))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc))
  (func (export "trapmid") (result i32) (i32.const 1) (i32.const 0) (i32.div_u) (i32.const 5) (i32.add))
  (func (export "oob") (param $a i32) (result i32)
    (if (i32.eqz (local.get $a)) (then (return (i32.const 0))))
    (drop (call $add (local.get $a) (i32.const 1)))
    (i32.load (i32.add (local.get $a) (i32.const 65536)))))`;

function parse(src: string): Module {
  const m = module_parse(src);
  if (isError(m)) throw new Error(m.message);
  return m;
}

// One module value for every store: the native engines compile it once per kind of code.
const shared = parse(text);

/** A store of `engine` with `fuel`, the module instantiated, its exports, and the fuel the host import saw. */
function setup(engine: EngineName, fuel: number, module: Module = shared) {
  const seen: number[] = [];
  const [s0, host] = func_alloc(store_init({ engine, fuel }), { params: ['i32'], results: ['i32'] }, (store, args) => {
    const f = store_get_fuel(store);
    if (isError(f)) return f;
    seen.push(f);
    return [store, [i32(((args[0] as { value: number }).value + 1) | 0)]];
  });
  const [store, inst] = module_instantiate(s0, module, [host]);
  if (isError(inst)) throw new Error(inst.message);
  const get = (name: string): FuncAddr => {
    const f = instance_export(inst, name);
    if (isError(f) || f.kind !== 'func') throw new Error(name);
    return f;
  };
  return { store, get, seen };
}

function fuelOf(store: Store): number {
  const f = store_get_fuel(store);
  if (isError(f)) throw new Error(f.message);
  return f;
}

/** Runs `name(args)` with `fuel` and gives the result (or error) and the fuel left. */
function runWith(engine: EngineName, fuel: number, name: string, args: Val[]) {
  const { store, get, seen } = setup(engine, fuel);
  const [s, r] = func_invoke(store, get(name), args);
  return { result: isError(r) ? { kind: r.kind, message: r.message } : r, left: fuelOf(s), seen };
}

describe('the cost model', () => {
  // Costs worked out by hand from spec/fuel.ts, the same on every engine.
  test.each(engines)('%s charges what spec/fuel.ts says', (engine) => {
    // add: local.get, local.get, i32.add.
    expect(runWith(engine, 1000, 'add', [i32(2), i32(3)])).toMatchObject({ result: [i32(5)], left: 997 });
    // fac(n) = 9n + 4: [local.get i64.eqz if] 3, then [i64.const] 1, else [5 instructions + call] 6.
    expect(runWith(engine, 1000, 'fac', [i64(5n)])).toMatchObject({ result: [i64(120n)], left: 1000 - 49 });
    // count(n) = 9n + 5: per iteration [4 up to br_if] + [5 up to br]; the last [4] and [local.get].
    expect(runWith(engine, 1000, 'count', [i32(10)])).toMatchObject({ result: [i32(10)], left: 1000 - 95 });
    // A trap consumes its whole segment: [i32.const i32.const i32.div_u i32.const i32.add].
    expect(runWith(engine, 1000, 'trapmid', [])).toMatchObject({ result: { kind: 'trap', message: 'integer divide by zero' }, left: 995 });
    // A memory access that faults too, after a call in its segment: [local.get i32.eqz if] 3, then
    // [local.get i32.const call drop local.get i32.const i32.add i32.load] 7, and add's 3.
    expect(runWith(engine, 1000, 'oob', [i32(5)])).toMatchObject({ result: { kind: 'trap', message: 'out of bounds memory access' }, left: 987 });
  });

  test('every engine leaves the same fuel, also as seen from a host function mid-run', () => {
    for (const n of [0, 1, 5, 17, 40]) {
      const runs = engines.map((e) => runWith(e, 1_000_000, 'mixed', [i32(n)]));
      for (const r of runs.slice(1)) expect(r).toEqual(runs[0]);
    }
  });

  test('running out at any point: every engine stops at the same segment', () => {
    for (let fuel = 0; fuel < 400; fuel += 7) {
      const runs = engines.map((e) => runWith(e, fuel, 'mixed', [i32(13)]));
      for (const r of runs.slice(1)) expect(r).toEqual(runs[0]);
    }
  });
});

// The optimizing tier keeps the fuel left in a register and the store's copy is stale while a loop
// runs (compiler/optimizing/optimizing.cpp markedLoad): a trap there must still leave exactly the
// reference's fuel, whether the access faults on the guard pages, a division traps or the fuel runs
// out, after calls that charged it too, in code compiled ahead (optimizing) or tiered up.
describe('a trap inside a hot loop leaves the fuel the reference leaves', () => {
  const loops = parse(`(module
    (memory 1)
    (func $inc (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
    ;; Walks memory from $start by $step: loads of every width and kind, a store, a call every
    ;; eighth step; out of bounds past the memory's end (a load, or the store when $store is set).
    (func (export "walk") (param $start i32) (param $step i32) (param $store i32) (result i64)
      (local $a i32) (local $acc i64)
      (local.set $a (local.get $start))
      (loop $next
        (local.set $acc (i64.add (local.get $acc) (i64.load (local.get $a))))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.load8_s offset=1 (local.get $a)))))
        (local.set $acc (i64.add (local.get $acc) (i64.load16_u offset=2 (local.get $a))))
        (local.set $acc (i64.add (local.get $acc) (i64.load32_s offset=4 (local.get $a))))
        (local.set $acc (i64.add (local.get $acc) (i64.reinterpret_f64 (f64.load (local.get $a)))))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_u (i32.reinterpret_f32 (f32.load offset=4 (local.get $a))))))
        (if (i32.eqz (i32.and (local.get $a) (i32.const 63)))
          (then (local.set $a (call $inc (local.get $a))) (local.set $a (i32.sub (local.get $a) (i32.const 1)))))
        (if (local.get $store)
          (then (i64.store32 offset=8 (i32.add (local.get $a) (local.get $step)) (local.get $acc))
                (i32.store8 offset=7 (local.get $a) (i32.wrap_i64 (local.get $acc)))))
        (local.set $a (i32.add (local.get $a) (local.get $step)))
        (br $next))
      (unreachable))
    ;; Divides by $d - i at step i: an integer division by zero at step $d.
    (func (export "divide") (param $d i32) (result i32) (local $i i32) (local $acc i32)
      (loop $next
        (i32.store (i32.const 16) (local.get $acc))
        (local.set $acc (i32.add (i32.load (i32.const 16)) (i32.div_u (i32.const 1000) (i32.sub (local.get $d) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))
      (unreachable))
    ;; An offset past 2 GiB: out of bounds whatever the address, after $n steps.
    (func (export "far") (param $n i32) (result i32) (local $acc i32)
      (loop $next
        (local.set $acc (i32.add (local.get $acc) (i32.load (i32.const 0))))
        (if (i32.eqz (local.get $n)) (then (drop (i32.load offset=0x80000000 (i32.const 0)))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next))
      (local.get $acc)))`);
  const calls: [string, Val[]][] = [
    ['walk', [i32(0), i32(8), i32(0)]], ['walk', [i32(3), i32(8), i32(1)]], ['walk', [i32(60000), i32(1), i32(0)]],
    ['walk', [i32(5), i32(24), i32(1)]], ['divide', [i32(37)]], ['far', [i32(9)]],
  ];
  /** Each call in a new store with `fuel`, its outcome and the fuel left; on tiered, each function optimized first. */
  function outcomes(engine: EngineName, fuel: number) {
    return calls.map(([name, args]) => {
      const store0 = store_init(engine === 'tiered' ? { engine, fuel, tierUp: { threshold: 0, wait: true } } : { engine, fuel });
      const [s1, inst] = module_instantiate(store0, loops, []);
      if (isError(inst)) throw new Error(inst.message);
      const f = instance_export(inst, name);
      if (isError(f) || f.kind !== 'func') throw new Error(name);
      let s = s1;
      if (engine === 'tiered') {
        // A call that runs out of fuel at once has the function compiled; then the store is refilled.
        [s] = func_invoke(s, f, args);
        expect(module_tier_up_stats(loops, { wait: 10_000 })?.pending).toBe(0);
        const refilled = store_set_fuel(s, fuel);
        if (isError(refilled)) throw new Error(refilled.message);
        s = refilled;
      }
      const [after, r] = func_invoke(s, f, args);
      return { name, result: isError(r) ? `${r.kind}: ${r.message}` : r, left: fuelOf(after) };
    });
  }
  const native: EngineName[] = nativeAvailable() === true ? ['singlepass', 'optimizing', 'tiered'] : [];

  test.each(native)('on %s', (engine) => {
    for (const fuel of [1_000_000, 200_000, 5_000, 777]) {
      const expected = outcomes('reference', fuel);
      expect(outcomes(engine, fuel)).toEqual(expected);
    }
    // The calls trap as meant when fuel suffices, not only by running out.
    expect(outcomes('reference', 1_000_000).map((o) => o.result)).toEqual([
      'trap: out of bounds memory access', 'trap: out of bounds memory access', 'trap: out of bounds memory access',
      'trap: out of bounds memory access', 'trap: integer divide by zero', 'trap: out of bounds memory access',
    ]);
  });
});

describe.each(engines)('fuel on %s', (engine) => {
  test('an infinite loop stops with "all fuel consumed", leaving 0; refilled, the store runs again', () => {
    let { store, get } = setup(engine, 100_000);
    let r: Val[] | WasmError;
    [store, r] = func_invoke(store, get('spin'), []);
    expect(isError(r) && [r.kind, r.message]).toEqual(['trap', 'all fuel consumed']);
    expect(fuelOf(store)).toBe(0);
    [store, r] = func_invoke(store, get('add'), [i32(1), i32(2)]);
    expect(isError(r) && r.message).toBe('all fuel consumed');
    const refilled = store_set_fuel(store, 50);
    if (isError(refilled)) throw new Error(refilled.message);
    [store, r] = func_invoke(refilled, get('add'), [i32(1), i32(2)]);
    expect(r).toEqual([i32(3)]);
    expect(fuelOf(store)).toBe(47);
  });

  test('a store without fuel has none to read or set; amounts are checked', () => {
    const plain = store_init({ engine });
    expect(store_get_fuel(plain)).toMatchObject({ kind: 'argument' });
    expect(store_set_fuel(plain, 5)).toMatchObject({ kind: 'argument' });
    expect(() => store_init({ engine, fuel: -1 })).toThrow(RangeError);
    expect(() => store_set_fuel(store_init({ engine, fuel: 1 }), 1.5)).toThrow(RangeError);
    // Setting fuel consumes the store, as every change does.
    const s = store_init({ engine, fuel: 1 });
    expect(isError(store_set_fuel(s, 2))).toBe(false);
    expect(() => store_get_fuel(s)).toThrow(/consumed/);
  });

  test('a start function is metered: out of fuel, instantiation fails', () => {
    const m = parse('(module (global (mut i32) (i32.const 0)) (func $s (loop (global.set 0 (i32.const 1)) (br 0))) (start $s))');
    const [, inst] = module_instantiate(store_init({ engine, fuel: 1000 }), m, []);
    expect(isError(inst) && [inst.kind, inst.message]).toEqual(['uninstantiable', 'all fuel consumed']);
  });
});

describe.skipIf(nativeAvailable() !== true)('artifacts and fuel', () => {
  test.each(['singlepass', 'optimizing'] as const)('%s code is made for stores with fuel or without, and the other kind refuses it', (engine) => {
    const m = parse('(module (func (export "f") (result i32) (i32.add (i32.const 1) (i32.const 2))))');
    const plain = module_serialize(m, { engine });
    const metered = module_serialize(m, { engine, fuel: true });
    if (isError(plain) || isError(metered)) throw new Error('serialize');
    const plainModule = module_deserialize(plain);
    const meteredModule = module_deserialize(metered);
    if (isError(plainModule) || isError(meteredModule)) throw new Error('deserialize');
    const [, refused] = module_instantiate(store_init({ engine, fuel: 10 }), plainModule, []);
    expect(isError(refused) && refused.message).toBe('incompatible artifact: the code does not meter fuel, the store does');
    const [, refused2] = module_instantiate(store_init({ engine }), meteredModule, []);
    expect(isError(refused2) && refused2.message).toBe('incompatible artifact: the code meters fuel, the store does not');
    const [store, inst] = module_instantiate(store_init({ engine, fuel: 10 }), meteredModule, []);
    if (isError(inst)) throw new Error(inst.message);
    const f = instance_export(inst, 'f');
    if (isError(f) || f.kind !== 'func') throw new Error('f');
    const [after, r] = func_invoke(store, f, []);
    expect(r).toEqual([i32(3)]);
    expect(store_get_fuel(after)).toBe(7);
  });
});

test('wasmo run --fuel', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmo-fuel-'));
  const file = join(dir, 'm.wat');
  writeFileSync(file, `(module
    (func (export "spin") (loop (br 0)))
    (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))`);
  for (const engine of engines) {
    let stderr = '';
    let stdout = '';
    const io = { stdout: (s: string) => (stdout += s), stderr: (s: string) => (stderr += s) };
    expect(main(['run', '--engine', engine, '--cache', dir, '--fuel', '1000', '--invoke', 'spin', file], io)).toBe(134);
    expect(stderr).toMatch(/spin: trap: all fuel consumed/);
    expect(main(['run', '--engine', engine, '--cache', dir, '--fuel=3', '--invoke', 'add', file, '2', '3'], io)).toBe(0);
    expect(stdout).toBe('5\n');
    stderr = '';
    expect(main(['run', '--engine', engine, '--cache', dir, '--fuel', '2', '--invoke', 'add', file, '2', '3'], io)).toBe(134);
    expect(stderr).toMatch(/add: trap: all fuel consumed/);
  }
  let stderr = '';
  expect(main(['run', '--fuel', 'lots', '--invoke', 'spin', file], { stdout: () => {}, stderr: (s) => (stderr += s) })).toBe(2);
  expect(stderr).toMatch(/--fuel takes a whole number/);
});

describe.skipIf(nativeAvailable() !== true)('wasmo compile --fuel', () => {
  test.each(['singlepass', 'optimizing'] as const)('on %s: the artifact runs only with wasmo run --fuel', (engine) => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmo-fuel-compile-'));
    const file = join(dir, 'm.wat');
    writeFileSync(file, '(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))');
    const out = join(dir, 'm.cwasm');
    const quiet = { stdout: () => {}, stderr: () => {} };
    expect(main(['compile', '--engine', engine, '--fuel', file, '-o', out], quiet)).toBe(0);
    let stdout = '';
    let stderr = '';
    const io = { stdout: (s: string) => (stdout += s), stderr: (s: string) => (stderr += s) };
    expect(main(['run', '--allow-precompiled', '--fuel', '3', '--invoke', 'add', out, '2', '3'], io)).toBe(0);
    expect(stdout).toBe('5\n');
    expect(main(['run', '--allow-precompiled', '--fuel', '2', '--invoke', 'add', out, '2', '3'], io)).toBe(134);
    expect(stderr).toMatch(/add: trap: all fuel consumed/);
    stderr = '';
    expect(main(['run', '--allow-precompiled', '--invoke', 'add', out, '2', '3'], io)).toBe(1);
    expect(stderr).toMatch(/incompatible artifact: the code meters fuel, the store does not/);
    // Compiled without --fuel, the other way round.
    expect(main(['compile', '--engine', engine, file, '-o', out], quiet)).toBe(0);
    stderr = '';
    expect(main(['run', '--allow-precompiled', '--fuel', '3', '--invoke', 'add', out, '2', '3'], io)).toBe(1);
    expect(stderr).toMatch(/incompatible artifact: the code does not meter fuel, the store does/);
  });

  test('--fuel takes no value in compile', () => {
    let stderr = '';
    expect(main(['compile', '--fuel=5', 'm.wat'], { stdout: () => {}, stderr: (s) => (stderr += s) })).toBe(2);
    expect(stderr).toMatch(/--fuel takes no value/);
  });
});

test('wasmo wast --fuel: every command starts with N units', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmo-fuel-wast-'));
  const file = join(dir, 'count.wast');
  // count(10) costs 95 units (see the cost model above); two of them fit in 100 only if refilled.
  writeFileSync(file, `(module
    (func (export "count") (param $n i32) (result i32) (local $i i32)
      (block (loop (br_if 1 (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1))) (br 0)))
      (local.get $i)))
  (assert_return (invoke "count" (i32.const 10)) (i32.const 10))
  (assert_return (invoke "count" (i32.const 10)) (i32.const 10))`);
  for (const engine of engines) {
    let stdout = '';
    const io = { stdout: (s: string) => (stdout += s), stderr: () => {} };
    expect(main(['wast', file, '--engine', engine, '--fuel', '100'], io)).toBe(0);
    stdout = '';
    expect(main(['wast', file, '--engine', engine, '--fuel', '94'], io)).toBe(1);
    expect(stdout).toMatch(/FAIL count\.wast:6 assert_return: action failed unexpectedly: trap: all fuel consumed/);
  }
  let stderr = '';
  expect(main(['wast', file, '--fuel', '-1'], { stdout: () => {}, stderr: (s) => (stderr += s) })).toBe(2);
  expect(stderr).toMatch(/--fuel takes a whole number/);
  stderr = '';
  expect(main(['wast', file, '--fuel'], { stdout: () => {}, stderr: (s) => (stderr += s) })).toBe(2);
  expect(stderr).toMatch(/--fuel needs a value/);
});
