// Errors are values, never throws or crashes: whatever a host function throws or returns, a
// module the engine cannot run yet, a host out of address space. A failing host function stops
// the wasm that called it at once, and the store goes on working; on every engine.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  func_alloc, func_invoke, global_read, i32, instance_export, isError, module_instantiate, module_parse,
  module_serialize, store_init, wasmError, type FuncAddr, type GlobalAddr, type Module, type Store, type Val,
} from '../lib/index.js';
import type { EngineName } from '../lib/engine.js';
import { nativeAvailable } from '../lib/native.js';

const engines: EngineName[] = ['reference', 'v8', 'singlepass'];
const root = fileURLToPath(new URL('..', import.meta.url));

function parse(text: string): Module {
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  return m;
}

// `run` calls the host function, then sets $after: a failing host function must leave it 0.
const caller = parse(`(module (import "host" "f" (func $f (param i32) (result i32)))
  (global $after (export "after") (mut i32) (i32.const 0))
  (func (export "run") (param i32) (result i32) (local $r i32)
    (local.set $r (call $f (local.get 0))) (global.set $after (i32.const 1)) (local.get $r))
  (func (export "ok") (result i32) (i32.const 42)))`);

/** `host` returns what the host function returns, or undefined for a proper result. */
function withHost(engine: EngineName, host: (store: Store) => unknown) {
  let store: Store = store_init({ engine });
  let f: FuncAddr;
  [store, f] = func_alloc(store, { params: ['i32'], results: ['i32'] }, (s) => {
    const r = host(s);
    return (r === undefined ? [s, [i32(7)]] : r) as [Store, Val[]];
  });
  const [s, inst] = module_instantiate(store, caller, [f]);
  if (isError(inst)) throw new Error(inst.message);
  const get = (name: string) => {
    const x = instance_export(inst, name);
    if (isError(x)) throw new Error(name);
    return x;
  };
  return { store: s, run: get('run') as FuncAddr, ok: get('ok') as FuncAddr, after: get('after') };
}

const throwing: [string, () => unknown, RegExp][] = [
  ['an object whose toString throws', () => { throw { toString() { throw new Error('no'); } }; }, /^host function threw: a thrown \[object Object\] that cannot be shown$/],
  ['a Symbol', () => { throw Symbol('odd'); }, /^host function threw: Symbol\(odd\)$/],
  ['null', () => { throw null; }, /^host function threw: null$/],
  ['an object whose toString throws a number', () => { throw { toString() { throw 1; } }; }, /^host function threw: a thrown \[object Object\] that cannot be shown$/],
  ['a Proxy whose every trap throws', () => {
    throw new Proxy({}, { get() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); } });
  }, /^host function threw: a thrown value that cannot be shown$/],
  ['an Error whose message getter throws', () => {
    const e = new Error('x');
    Object.defineProperty(e, 'message', { get() { throw new Error('no'); } });
    throw e;
  }, /^host function threw: a thrown \[object Error\] that cannot be shown$/],
];

const malformed: [string, (s: Store) => unknown, RegExp][] = [
  ['a Proxy whose every property throws', () => new Proxy({}, { get() { throw new Error('trap'); } }), /^host function returned malformed results/],
  ['not an array', () => 42, /^host function returned malformed results: not an error nor \[store, values\]$/],
  ['a value of the wrong type', (s) => [s, [{ type: 'f32', bits: 0 }]], /^type mismatch: host function result 0 expects i32, got f32$/],
  ['a stale store', () => [store_init(), [i32(1)]], /^host function returned a store that is not the current one$/],
  ['too many results', (s) => [s, [i32(1), i32(2)]], /^type mismatch: host function result expects 1 values, got 2$/],
  ['no results', (s) => [s, []], /^type mismatch: host function result expects 1 values, got 0$/],
  ['results that are not an array', (s) => [s, 7], /^host function returned malformed results: not an error nor \[store, values\]$/],
  ['a promise (an async host function)', (s) => Promise.resolve([s, [i32(1)]]), /^host function returned malformed results: not an error nor \[store, values\]$/],
  ['null', () => null, /^host function returned malformed results: not an error nor \[store, values\]$/],
  // Numbers-only results take a fast path (lib/api.ts numbersFit): malformed ones fail as on the slow one.
  ['an i32 out of range', (s) => [s, [{ type: 'i32', value: 2 ** 31 }]], /^host function returned malformed results: i32 value must be a signed 32-bit integer, got 2147483648$/],
  ['an i32 that is not an integer', (s) => [s, [{ type: 'i32', value: 0.5 }]], /^host function returned malformed results: i32 value must be a signed 32-bit integer, got 0.5$/],
  ['an i32 that is a bigint', (s) => [s, [{ type: 'i32', value: 1n }]], /^host function returned malformed results: i32 value must be a signed 32-bit integer, got 1$/],
  ['a value whose type getter throws', (s) => [s, [{ get type() { throw new Error('getter'); } }]], /^host function returned malformed results: getter$/],
  ['a hole for a value', (s) => [s, new Array(1)], /^host function returned malformed results: /],
  ['a value of the wrong type after a good one', (s) => [s, [i32(1), { type: 'f32', bits: 0 }]], /^type mismatch: host function result expects 1 values, got 2$/],
];

describe.each(engines)('on %s', (engine) => {
  test.each(throwing)('a host function throwing %s: a host error, the wasm after it never runs', (_, thrower, message) => {
    let { store, run, ok, after } = withHost(engine, thrower);
    let r;
    [store, r] = func_invoke(store, run, [i32(1)]);
    expect(isError(r) && r.kind).toBe('host');
    expect(isError(r) && r.message).toMatch(message);
    if (after.kind !== 'global') throw new Error('no global');
    expect(global_read(store, after)).toEqual(i32(0));
    [store, r] = func_invoke(store, ok, []);
    expect(r).toEqual([i32(42)]);
  });

  test.each(malformed)('a host function returning %s: a host error', (_, host, message) => {
    let { store, run, ok } = withHost(engine, host);
    let r;
    [store, r] = func_invoke(store, run, [i32(1)]);
    expect(isError(r) && r.kind).toBe('host');
    expect(isError(r) && r.message).toMatch(message);
    [store, r] = func_invoke(store, ok, []);
    expect(r).toEqual([i32(42)]);
  });

  test('a host function returning an error: that error, unchanged, and the wasm after it never runs', () => {
    const own = wasmError('host', 'refused');
    let { store, run, ok, after } = withHost(engine, () => own);
    let r;
    [store, r] = func_invoke(store, run, [i32(1)]);
    expect(r).toBe(own);
    if (after.kind !== 'global') throw new Error('no global');
    expect(global_read(store, after)).toEqual(i32(0));
    [store, r] = func_invoke(store, ok, []);
    expect(r).toEqual([i32(42)]);
  });

  test('a host error deep in wasm -> host -> wasm -> host unwinds every level', () => {
    let store: Store = store_init({ engine });
    let inner: FuncAddr | undefined;
    let depth = 0;
    let f: FuncAddr;
    [store, f] = func_alloc(store, { params: ['i32'], results: ['i32'] }, (s, [x]) => {
      if (x?.type === 'i32' && x.value === 0) throw new Error('bottom');
      depth++;
      const [s2, r] = func_invoke(s, inner!, [i32((x as { value: number }).value - 1)]);
      return isError(r) ? r : [s2, r];
    });
    const [s, inst] = module_instantiate(store, caller, [f]);
    if (isError(inst)) throw new Error(inst.message);
    inner = instance_export(inst, 'run') as FuncAddr;
    const [s2, r] = func_invoke(s, inner, [i32(3)]);
    expect(isError(r) && r.message).toBe('host function threw: bottom');
    expect(depth).toBe(3);
    expect(func_invoke(s2, instance_export(inst, 'ok') as FuncAddr, [])[1]).toEqual([i32(42)]);
  });
});

// Host calls nest (wasm -> host -> wasm -> host): each reports its own outcome, whatever the calls
// it made reported, and a trap in wasm a host function called is that host function's to handle.
const nesting = parse(`(module (import "host" "f" (func $f (param i32) (result i32)))
  (global $after (export "after") (mut i32) (i32.const 0))
  (func (export "run") (param i32) (result i32) (local $r i32)
    (global.set $after (i32.const 0))
    (local.set $r (call $f (local.get 0))) (global.set $after (i32.const 1)) (local.get $r))
  (func (export "trap") (result i32) unreachable))`);

describe.each(engines)('nested host calls on %s', (engine) => {
  let store: Store = store_init({ engine });
  let f: FuncAddr;
  [store, f] = func_alloc(store, { params: ['i32'], results: ['i32'] }, (s, [x]) => {
    const n = (x as { value: number }).value;
    if (n === 1) return [s, [i32(100)]];
    if (n === 2) return wasmError('host', 'inner refused');
    // The outer calls: through wasm to an inner one (1 succeeds, 2 fails), or to a trap.
    const [s2, r] = func_invoke(s, n === 30 ? trap : run, n === 30 ? [] : [i32(n === 10 ? 1 : 2)]);
    if (n === 10) return [s2, []];
    return [s2, [i32(isError(r) ? (r.kind === 'trap' ? 6 : 5) : -1)]];
  });
  const [s, inst] = module_instantiate(store, nesting, [f]);
  if (isError(inst)) throw new Error(inst.message);
  store = s;
  const run = instance_export(inst, 'run') as FuncAddr;
  const trap = instance_export(inst, 'trap') as FuncAddr;
  const after = instance_export(inst, 'after') as GlobalAddr;
  const outer = (x: number) => {
    let r;
    [store, r] = func_invoke(store, run, [i32(x)]);
    return r;
  };

  test('an inner success does not make a failing outer call succeed', () => {
    const r = outer(10);
    expect(isError(r) && r.kind).toBe('host');
    expect(isError(r) && r.message).toMatch(/^type mismatch: host function result expects 1 values, got 0$/);
  });

  test('an inner failure does not make a succeeding outer call fail', () => {
    expect(outer(20)).toEqual([i32(5)]);
    expect(global_read(store, after)).toEqual(i32(1));
  });

  test('a trap in wasm a host function called is its to handle', () => {
    expect(outer(30)).toEqual([i32(6)]);
    expect(outer(1)).toEqual([i32(100)]);
  });
});

describe.skipIf(nativeAvailable() !== true)('the native engines', () => {
  const simd = parse('(module (func (export "f") (result i32) (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4))))');

  test.each(['singlepass', 'optimizing'] as const)('%s runs SIMD, and serializes it', (engine) => {
    const [store, inst] = module_instantiate(store_init({ engine }), simd, []);
    if (isError(inst)) throw new Error(inst.message);
    expect(func_invoke(store, instance_export(inst, 'f') as FuncAddr, [])[1]).toEqual([i32(1)]);
    expect(isError(module_serialize(simd, { engine }))).toBe(false);
  });

  test.skipIf(!existsSync(join(root, 'dist/lib/index.js')))('running out of address space for memories is an exhaustion error, not a throw', () => {
    // In a process of its own: it takes the address space this one needs.
    const script = `
      const w = await import(${JSON.stringify(join(root, 'dist/lib/index.js'))});
      const m = w.module_parse('(module (memory 1))');
      const kept = [];
      for (let i = 0; i < 100000; i++) {
        const [s, inst] = w.module_instantiate(w.store_init({ engine: 'singlepass' }), m, []);
        kept.push(s);
        if (w.isError(inst)) { console.log(inst.kind + ': ' + inst.message); process.exit(0); }
      }
      console.log('never ran out');`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr })
      .toEqual({ status: 0, stdout: 'exhaustion: native engine: cannot reserve address space for a memory\n', stderr: '' });
  }, 70_000);
});
