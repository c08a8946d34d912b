// Deterministic lifetimes: store_free (and disposing a store) releases a store's resources at once
// on every engine; afterwards every value of its lineage is stale. On the native engine a loop of
// instantiate/free cycles runs in flat address space and memory, far past the ~16,000 live 8 GiB
// memory reservations the address space holds.

import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  StaleStoreError, func_invoke, instance_export, isError, module_instantiate, module_parse, store_free,
  store_init, type Module, type Store,
} from '../lib/index.js';
import type { EngineName } from '../lib/engine.js';

const engines: EngineName[] = ['reference', 'v8', 'singlepass'];

function parse(text: string): Module {
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  return m;
}

// `touch` returns what address 1000 held before it wrote 7 there: 0 in every new memory.
const module = parse(`(module (memory (export "mem") 1)
  (func (export "touch") (result i32) (i32.load (i32.const 1000)) (i32.store (i32.const 1000) (i32.const 7))))`);

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

describe('the native engine in a loop', () => {
  test('40,000 instantiate/free cycles: no failure, every memory starts zero, flat address space and memory', () => {
    // VmSize would grow by 8 GiB for each reservation not given back.
    const vmSize = (): number => Number(/^VmSize:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;
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
});
