// Host function calls from wasm on the native engines: the wasm's activation is suspended while the
// host function runs in JS and resumed after it (host-shim/runtime/traps.h), so host functions that
// re-enter wasm nest activations on the wasm stack. These check the nesting, and that every way a
// nested call can end (result, trap, host error, exhaustion, interrupt) leaves the outer ones going.

import { describe, expect, it } from 'vitest';
import {
  func_alloc, func_invoke, global_write, i32, instance_export, isError, module_instantiate, module_parse, store_free, store_init,
  store_interrupt_after, wasmError, type FuncAddr, type Module, type Store, type Val,
} from '../lib/index.js';
import { nativeAvailable } from '../lib/native.js';

const engines = nativeAvailable() === true ? (['singlepass', 'optimizing', 'tiered'] as const) : [];

function parse(text: string): Module {
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  return m;
}

// f(n) = 0 at n = 0 (or a trap when $trapAtZero), else 1 + down(n - 1); `deep` recurses for ever.
const pingPong = parse(`(module
  (import "host" "down" (func $down (param i32) (result i32)))
  (global $trapAtZero (export "trapAtZero") (mut i32) (i32.const 0))
  (func (export "f") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (if (global.get $trapAtZero) (then unreachable)) (i32.const 0))
      (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))
  (func $deep (export "deep") (result i32) (i32.add (i32.const 1) (call $deep)))
  (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0)))`);

const value = (r: readonly Val[] | ReturnType<typeof wasmError>): unknown => (isError(r) ? r : (r[0] as { value: number }).value);

/** A store with pingPong instantiated, `down` running `host(store, n)`. */
function setUp(engine: (typeof engines)[number], host: (s: Store, n: number, fs: Record<string, FuncAddr>) => ReturnType<Parameters<typeof func_alloc>[2]>) {
  let s = store_init({ engine });
  const fs: Record<string, FuncAddr> = {};
  let down: FuncAddr;
  [s, down] = func_alloc(s, { params: ['i32'], results: ['i32'] }, (store, [n]) => host(store, (n as { value: number }).value, fs));
  let inst;
  [s, inst] = module_instantiate(s, pingPong, [down]);
  if (isError(inst)) throw new Error(inst.message);
  for (const name of ['f', 'deep', 'spin']) fs[name] = instance_export(inst, name) as FuncAddr;
  return { s, fs, inst };
}

describe.each(engines)('host calls on %s', (engine) => {
  it('nest 300 levels of wasm and host functions (each level takes JS stack too), and the store goes on', () => {
    let depth = 0;
    let deepest = 0;
    const { s: s0, fs } = setUp(engine, (store, n) => {
      depth++;
      deepest = Math.max(deepest, depth);
      const [next, r] = func_invoke(store, fs['f']!, [i32(n)]);
      depth--;
      return isError(r) ? r : [next, r];
    });
    let [s, r] = func_invoke(s0, fs['f']!, [i32(300)]);
    expect(value(r)).toBe(300);
    expect(deepest).toBe(300);
    [s, r] = func_invoke(s, fs['f']!, [i32(5)]);
    expect(value(r)).toBe(5);
    store_free(s);
  });

  it('end the calls between a host function that throws at depth and the host function that catches', () => {
    const { s: s0, fs } = setUp(engine, (store, n) => {
      if (n === 500) throw new Error('boom at 500');
      const [next, r] = func_invoke(store, fs['f']!, [i32(n)]);
      // Level 700 catches the error from below and answers 7 instead.
      if (isError(r)) return n === 700 ? [next, [i32(7)]] : r;
      return [next, r];
    });
    let [s, r] = func_invoke(s0, fs['f']!, [i32(1000)]);
    // 1000 - 700 levels above the catch, each adding 1, on top of the 7 it answered.
    expect(value(r)).toBe(300 + 7);
    [s, r] = func_invoke(s, fs['f']!, [i32(600)]);
    expect(r).toMatchObject({ kind: 'host', message: 'host function threw: boom at 500' });
    [s, r] = func_invoke(s, fs['f']!, [i32(20)]);
    expect(value(r)).toBe(20);
  });

  it('let a host function catch a trap or exhaustion at depth and go on', () => {
    let caught: unknown[] = [];
    const { s: s0, fs, inst } = setUp(engine, (store, n, fns) => {
      if (n === 50) {
        // Exhaustion of the nested call: the wasm stack below this level, not the whole stack.
        const [after, e] = func_invoke(store, fns['deep']!, []);
        caught.push(isError(e) ? e.kind : e);
        store = after;
      }
      const [next, r] = func_invoke(store, fns['f']!, [i32(n)]);
      if (isError(r)) {
        caught.push(`${r.kind}: ${r.message}`);
        return [next, [i32(100)]];
      }
      return [next, r];
    });
    const g = instance_export(inst, 'trapAtZero');
    if (isError(g) || g.kind !== 'global') throw new Error('no global');
    let s = s0;
    // The innermost level traps.
    const w = global_write(s, g, i32(1));
    if (isError(w)) throw new Error(w.message);
    s = w;
    let r;
    [s, r] = func_invoke(s, fs['f']!, [i32(200)]);
    // The level of the trap answers 100, and the 200 wasm levels above add one each.
    expect(value(r)).toBe(100 + 200);
    expect(caught).toEqual(['exhaustion', 'trap: unreachable']);
    caught = [];
    [s, r] = func_invoke(s, fs['f']!, [i32(3)]);
    expect(value(r)).toBe(100 + 3);
  });

  it('see an interrupt requested while a host function runs stop the wasm nested in it', () => {
    const { s: s0, fs } = setUp(engine, (store, n, fns) => {
      // f(1)'s host function requests the interrupt; f(1) then returns with no check on its way.
      if (n === 1) return store_interrupt_after(store, 0) ?? [store, [i32(0)]];
      const [next, r] = func_invoke(store, fns['f']!, [i32(n)]);
      if (isError(r) || n !== 2) return isError(r) ? r : [next, r];
      expect(value(r)).toBe(1);
      // The next loop iteration of wasm stops, here the nested one.
      const [after, spun] = func_invoke(next, fns['spin']!, []);
      return isError(spun) ? spun : [after, spun];
    });
    let [s, r] = func_invoke(s0, fs['f']!, [i32(4)]);
    expect(r).toMatchObject({ kind: 'trap', message: 'interrupted' });
    // The interrupt was consumed by the call it stopped.
    [s, r] = func_invoke(s, fs['f']!, [i32(0)]);
    expect(value(r)).toBe(0);
  });

  it('refuse to free the store while a call of its waits for a host function', () => {
    let refused: unknown;
    const { s: s0, fs } = setUp(engine, (store) => {
      try {
        store_free(store);
      } catch (e) {
        refused = e;
      }
      return [store, [i32(41)]];
    });
    let [s, r] = func_invoke(s0, fs['f']!, [i32(1)]);
    expect(value(r)).toBe(42);
    expect(String(refused)).toBe('Error: native store freed while its wasm runs');
    [s, r] = func_invoke(s, fs['f']!, [i32(1)]);
    expect(value(r)).toBe(42);
    store_free(s);
  });

  it('run from a start function, and a trap after them fails the instantiation', () => {
    const m = parse(`(module
      (import "host" "h" (func $h (param i32) (result i32)))
      (global $g (export "g") (mut i32) (i32.const 0))
      (func $start (global.set $g (call $h (i32.const 20))) (if (i32.eq (global.get $g) (i32.const 99)) (then unreachable)))
      (start $start))`);
    let s = store_init({ engine });
    const calls: number[] = [];
    let answer = 21;
    let h: FuncAddr;
    [s, h] = func_alloc(s, { params: ['i32'], results: ['i32'] }, (store, [x]) => {
      calls.push((x as { value: number }).value);
      return [store, [i32(answer)]];
    });
    let inst;
    [s, inst] = module_instantiate(s, m, [h]);
    if (isError(inst)) throw new Error(inst.message);
    expect(calls).toEqual([20]);
    answer = 99;
    [s, inst] = module_instantiate(s, m, [h]);
    expect(inst).toMatchObject({ kind: 'uninstantiable', message: 'unreachable' });
    expect(calls).toEqual([20, 20]);
    [s, h] = func_alloc(s, { params: ['i32'], results: ['i32'] }, () => { throw new Error('no start'); });
    [s, inst] = module_instantiate(s, m, [h]);
    expect(inst).toMatchObject({ kind: 'host', message: 'host function threw: no start' });
  });
});
