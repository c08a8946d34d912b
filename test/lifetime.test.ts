// Deterministic lifetimes: store_free (and disposing a store) releases a store's resources at once
// on every engine; afterwards every value of its lineage is stale. On the native engine a loop of
// instantiate/free cycles runs in flat address space and memory, far past the ~16,000 live 8 GiB
// memory reservations the address space holds; without store_free, unreachable stores are
// reclaimed when reservations run out; and a worker that ran wasm and exits gives its
// wasm stack back.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import {
  StaleStoreError, func_invoke, instance_export, isError, module_decode, module_instantiate, module_parse, store_free,
  store_init, type Module, type Store,
} from '../lib/index.js';
import type { EngineName } from '../lib/engine.js';
import { liveNativeObjects, nativeAvailable } from '../lib/native.js';

const engines: EngineName[] = ['reference', 'v8', 'singlepass'];

function parse(text: string): Module {
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  return m;
}

// `touch` returns what address 1000 held before it wrote 7 there: 0 in every new memory.
const moduleText = `(module (memory (export "mem") 1)
  (func (export "touch") (result i32) (i32.load (i32.const 1000)) (i32.store (i32.const 1000) (i32.const 7))))`;
const module = parse(moduleText);

function instantiate(store: Store): [Store, ReturnType<typeof instance_export>] {
  const [s, inst] = module_instantiate(store, module, []);
  if (isError(inst)) throw new Error(inst.message);
  return [s, instance_export(inst, 'touch')];
}

describe.each(engines)('store_free on %s', (engine) => {
  test('every store value of the lineage is stale afterwards; freeing again does nothing', () => {
    const first = store_init({ engine });
    const [current, touch] = instantiate(first);
    if (isError(touch) || touch.kind !== 'func') throw new Error('no export');
    expect(func_invoke(current, touch, [])[1]).toEqual([{ type: 'i32', value: 0 }]);
    store_free(first);  // a consumed value frees the lineage too
    expect(() => func_invoke(current, touch, [])).toThrow(StaleStoreError);
    expect(() => func_invoke(current, touch, [])).toThrow(/freed/);
    expect(() => store_free(current)).not.toThrow();
  });

  test('a store disposed at the end of a `using` scope is freed', () => {
    let kept: Store;
    {
      using store = store_init({ engine });
      kept = store;
    }
    expect(() => instantiate(kept)).toThrow(StaleStoreError);
  });
});

// VmSize would grow by 8 GiB for each memory reservation not given back, by 256 MiB for each
// thread's wasm stack.
const vmSize = (): number => Number(/^VmSize:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;

describe('the native engine in a loop', () => {
  test('40,000 instantiate/free cycles: no failure, every memory starts zero, flat address space and memory', () => {
    const cycle = (): void => {
      const store = store_init({ engine: 'singlepass' });
      const [s, touch] = instantiate(store);
      if (isError(touch) || touch.kind !== 'func') throw new Error('no export');
      const [, r] = func_invoke(s, touch, []);
      if (isError(r) || r[0]?.type !== 'i32' || r[0].value !== 0) throw new Error(`a reused memory was not zero: ${JSON.stringify(r)}`);
      store_free(s);
    };
    for (let i = 0; i < 2_000; i++) cycle();
    const [vm, rss] = [vmSize(), process.memoryUsage.rss()];
    // More than the address space could hold at 8 GiB per live memory (2^47 / 2^33 = 16,384).
    for (let i = 0; i < 40_000; i++) cycle();
    expect(vmSize() - vm).toBeLessThan(4 * 1024 ** 3);
    // Garbage the collector has not taken yet, not per-cycle native memory (which would be GBs).
    expect(process.memoryUsage.rss() - rss).toBeLessThan(256 * 1024 ** 2);
  }, 120_000);

  test('20,000 instantiations never freed, in one synchronous loop: no failure (unreachable stores are reclaimed)', () => {
    // The address space holds ~16,000 memory reservations; finalizers alone would run only after the loop.
    for (let i = 0; i < 20_000; i++) {
      const [s, touch] = instantiate(store_init({ engine: 'singlepass' }));
      if (isError(touch) || touch.kind !== 'func') throw new Error(`instantiation ${i} failed: ${JSON.stringify(touch)}`);
      const [, r] = func_invoke(s, touch, []);
      if (isError(r)) throw new Error(r.message);
    }
  }, 120_000);
});

test('40,000 modules compiled and never freed, each instantiated in a store never freed: no failure, and the native objects left alive stay bounded', () => {
  // Each module's code is a mapping or more, each store has its own: 80,000 objects would pass
  // vm.max_map_count (65,530) without reclamation, and the finalizers would run only after the loop.
  // (module (func (export "f") (result i32) (i32.const 7)))
  const bytes = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 127, 3, 2, 1, 0, 7, 5, 1, 1, 102, 0, 0, 10, 6, 1, 4, 0, 65, 7, 11]);
  let most = 0;
  for (let i = 0; i < 40_000; i++) {
    const m = module_decode(bytes);
    if (isError(m)) throw new Error(m.message);
    const [s, inst] = module_instantiate(store_init({ engine: 'singlepass' }), m, []);
    if (isError(inst)) throw new Error(`instantiation ${i} failed: ${inst.message}`);
    const f = instance_export(inst, 'f');
    if (isError(f) || f.kind !== 'func') throw new Error('no export');
    const [, r] = func_invoke(s, f, []);
    if (isError(r)) throw new Error(r.message);
    most = Math.max(most, liveNativeObjects());
  }
  expect(most).toBeLessThan(20_000);
}, 120_000);

const built = join(fileURLToPath(new URL('..', import.meta.url)), 'dist/lib/index.js');

test.skipIf(!existsSync(built) || nativeAvailable() !== true)('workers that ran wasm and exited leave no wasm stack behind', async () => {
  const code = `
    const w = await import(${JSON.stringify(built)});
    const m = w.module_parse(${JSON.stringify(moduleText)});
    const [s, inst] = w.module_instantiate(w.store_init({ engine: 'singlepass' }), m, []);
    w.func_invoke(s, w.instance_export(inst, 'touch'), []);
    w.store_free(s);`;
  const runWorker = () => new Promise<number>((resolve, reject) => {
    const worker = new Worker(code, { eval: true });
    worker.once('error', reject);
    worker.once('exit', resolve);
  });
  expect(await runWorker()).toBe(0);
  const vm = vmSize();
  for (let i = 0; i < 16; i++) expect(await runWorker()).toBe(0);
  // 16 stacks kept would be 4 GiB.
  expect(vmSize() - vm).toBeLessThan(1024 ** 3);
}, 60_000);
