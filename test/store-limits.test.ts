// Store limits on every engine: memory.grow / table.grow past a size limit fail as past a maximum
// (-1), mem_grow / table_grow too; a module whose memory or table starts over a limit, or one
// instance, table or memory too many, is an `exhaustion` error; allocations past a limit throw;
// the types still say what the module declared. A stack limit turns deep recursion into the
// exhaustion "call stack exhausted" (the v8 engine refuses one). And `wasmo run --max-memory` and
// `--max-wasm-stack`.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  func_invoke, i32, instance_export, isError, mem_alloc, mem_grow, mem_type, module_instantiate, module_parse,
  refNull, store_init, table_alloc, table_grow, type Module, type StoreLimits,
} from '../lib/index.js';
import { main } from '../lib/cli.js';
import type { EngineName } from '../lib/engine.js';

const engines: EngineName[] = ['reference', 'v8', 'singlepass'];

function parse(text: string): Module {
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  return m;
}

const grower = parse(`(module (memory (export "mem") 1 100) (table (export "tab") 1 funcref)
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "growTable") (param i32) (result i32) (table.grow (ref.null func) (local.get 0))))`);

function instance(engine: EngineName, limits: StoreLimits) {
  const [store, inst] = module_instantiate(store_init({ engine, limits }), grower, []);
  if (isError(inst)) throw new Error(inst.message);
  const get = (name: string) => {
    const x = instance_export(inst, name);
    if (isError(x)) throw new Error(x.message);
    return x;
  };
  return { store, get };
}

describe.each(engines)('store limits on %s', (engine) => {
  test('memory.grow and table.grow past a size limit give -1; the types say what was declared', () => {
    let { store, get } = instance(engine, { memoryPages: 4, tableElements: 3 });
    const grow = get('grow');
    const growTable = get('growTable');
    if (grow.kind !== 'func' || growTable.kind !== 'func') throw new Error('no functions');
    let r;
    [store, r] = func_invoke(store, grow, [i32(3)]);
    expect(r).toEqual([i32(1)]);
    [store, r] = func_invoke(store, grow, [i32(1)]);
    expect(r).toEqual([i32(-1)]);
    [store, r] = func_invoke(store, growTable, [i32(2)]);
    expect(r).toEqual([i32(1)]);
    [store, r] = func_invoke(store, growTable, [i32(1)]);
    expect(r).toEqual([i32(-1)]);
    const mem = get('mem');
    if (mem.kind !== 'mem') throw new Error('no memory');
    expect(mem_type(store, mem).limits).toEqual({ min: 4, max: 100 });
    const refused = mem_grow(store, mem, 1);
    expect(isError(refused)).toBe(true);
  });

  test('a module whose memory or table starts over a limit is an exhaustion error', () => {
    const [, mem] = module_instantiate(store_init({ engine, limits: { memoryPages: 0 } }), grower, []);
    expect(isError(mem) && [mem.kind, mem.message]).toEqual(['exhaustion', 'store limit: at most 0 pages in a memory']);
    const [, tab] = module_instantiate(store_init({ engine, limits: { tableElements: 0 } }), grower, []);
    expect(isError(tab) && tab.message).toBe('store limit: at most 0 elements in a table');
  });

  test('one instance, table or memory too many is an exhaustion error; allocations past a limit throw', () => {
    let store = store_init({ engine, limits: { instances: 1, memories: 1, tables: 2 } });
    let inst;
    [store, inst] = module_instantiate(store, grower, []);
    expect(isError(inst)).toBe(false);
    [store, inst] = module_instantiate(store, grower, []);
    expect(isError(inst) && inst.message).toBe('store limit: at most 1 instances');
    expect(() => mem_alloc(store, { addrtype: 'i32', limits: { min: 1 } })).toThrow(/mem_alloc: store limit: at most 1 memories/);
    let tab;
    [store, tab] = table_alloc(store, { addrtype: 'i32', reftype: 'funcref', limits: { min: 0 } }, refNull('func'));
    const grown = table_grow(store, tab, 1, refNull('func'));
    if (isError(grown)) throw new Error(grown.message);
    expect(() => table_alloc(grown, { addrtype: 'i32', reftype: 'funcref', limits: { min: 0 } }, refNull('func'))).toThrow(/at most 2 tables/);
  });
});

const recursion = parse(`(module (func $depth (export "depth") (param i32) (result i32)
  (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
    (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1))))))))`);

describe.each(['reference', 'singlepass'] as const)('a stack limit on %s', (engine) => {
  test('recursion deeper than the limit allows is "call stack exhausted"; shallower runs; the store goes on', () => {
    const depth = (wasmStack: number | undefined, n: number) => {
      const [store, inst] = module_instantiate(store_init({ engine, limits: { wasmStack } }), recursion, []);
      if (isError(inst)) throw new Error(inst.message);
      const f = instance_export(inst, 'depth');
      if (isError(f) || f.kind !== 'func') throw new Error('no export');
      const [s, r] = func_invoke(store, f, [i32(n)]);
      const [, again] = func_invoke(s, f, [i32(10)]);
      expect(again).toEqual([i32(10)]);
      return r;
    };
    expect(depth(64 * 1024, 100)).toEqual([i32(100)]);
    const r = depth(64 * 1024, 10_000);
    expect(isError(r) && [r.kind, r.message]).toEqual(['exhaustion', 'call stack exhausted']);
    // Without the limit the same depth is fine: the limit, not the engine, refused it.
    expect(depth(undefined, 10_000)).toEqual([i32(10_000)]);
  });
});

test('the v8 engine refuses a stack limit (node sets one for the process)', () => {
  expect(() => store_init({ engine: 'v8', limits: { wasmStack: 65536 } })).toThrow(/wasmStack is not supported on the v8 engine/);
});

test('limits must be whole numbers', () => {
  expect(() => store_init({ engine: 'reference', limits: { memoryPages: -1 } })).toThrow(RangeError);
  expect(() => store_init({ engine: 'reference', limits: { instances: 1.5 } })).toThrow(RangeError);
});

function run(...argv: string[]): { status: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const status = main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { status, stdout, stderr };
}

test('wasmo run --max-memory caps what the program may grow to', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'wasmo-limits-')), 'grow.wat');
  writeFileSync(file, '(module (memory 1) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))');
  expect(run('run', '--max-memory', '128KiB', '--invoke', 'grow', file, '1')).toEqual({ status: 0, stdout: '1\n', stderr: '' });
  expect(run('run', '--max-memory=128KiB', '--invoke', 'grow', file, '2').stdout).toBe('-1\n');
  expect(run('run', '--max-memory', '1MiB', '--invoke', 'grow', file, '15').stdout).toBe('1\n');
  expect(run('run', '--max-memory', 'lots', '--invoke', 'grow', file, '1').stderr).toMatch(/--max-memory takes a size/);
});

test('wasmo run --max-wasm-stack bounds recursion', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'wasmo-limits-')), 'depth.wat');
  writeFileSync(file, `(module (func $depth (export "depth") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $depth (i32.sub (local.get 0) (i32.const 1))))))))`);
  expect(run('run', '--max-wasm-stack', '1MiB', '--invoke', 'depth', file, '1000')).toEqual({ status: 0, stdout: '1000\n', stderr: '' });
  const deep = run('run', '--max-wasm-stack=64KiB', '--invoke', 'depth', file, '100000');
  expect([deep.status, deep.stderr]).toEqual([134, expect.stringContaining('call stack exhausted')]);
  expect(run('run', '--max-wasm-stack', 'deep', '--invoke', 'depth', file, '1').stderr).toMatch(/--max-wasm-stack takes a size/);
});
