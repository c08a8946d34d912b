// Stopping guests: a deadline interrupts an infinite loop on every engine (a trap "interrupted",
// the store usable afterwards); worker.terminate() stops a worker spinning
// in singlepass code, and a process whose worker spins can still exit; wasmo run --timeout.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import {
  func_invoke, i32, instance_export, isError, module_instantiate, module_parse, store_init, store_interrupt_after,
  type FuncAddr, type Store,
} from '../lib/index.js';
import { main } from '../lib/cli.js';
import { nativeAvailable } from '../lib/native.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = join(root, 'dist/lib/index.js');

const spinText = `(module
  (func $work (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "spin") (local i32) (loop (local.set 0 (call $work (local.get 0))) (br 0)))
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (block (loop (br_if 1 (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $i (i32.add (local.get $i) (i32.const 1))) (br 0)))
    (local.get $i)))`;

type Engine = 'reference' | 'singlepass' | 'optimizing' | 'v8';

/** A store of `engine` with the spinning module; a v8 store made interruptible. */
function spinner(engine: Engine): { store: Store; spin: FuncAddr; count: FuncAddr } {
  const m = module_parse(spinText);
  if (isError(m)) throw new Error(m.message);
  const [store, inst] = module_instantiate(store_init({ engine, interruptible: engine === 'v8' }), m, []);
  if (isError(inst)) throw new Error(inst.message);
  const get = (name: string): FuncAddr => {
    const f = instance_export(inst, name);
    if (isError(f) || f.kind !== 'func') throw new Error(name);
    return f;
  };
  return { store, spin: get('spin'), count: get('count') };
}

describe.each(['reference', 'singlepass', 'optimizing', 'v8'] as const)('a deadline on %s', (engine) => {
  test('stops an infinite loop with "interrupted"; the store goes on working', () => {
    let { store, spin, count } = spinner(engine);
    // Timed from before the deadline is set: a busy machine may pause us between the two.
    const t = performance.now();
    expect(store_interrupt_after(store, 50)).toBeUndefined();
    let r;
    [store, r] = func_invoke(store, spin, []);
    const took = performance.now() - t;
    expect(isError(r) && [r.kind, r.message]).toEqual(['trap', 'interrupted']);
    expect(took).toBeGreaterThanOrEqual(45);
    expect(took).toBeLessThan(2000);
    [store, r] = func_invoke(store, count, [i32(1000)]);
    expect(r).toEqual([i32(1000)]);
  });

  test('a cancelled deadline interrupts nothing', () => {
    let { store, count } = spinner(engine);
    store_interrupt_after(store, 1);
    store_interrupt_after(store, undefined);
    const t = performance.now();
    while (performance.now() - t < 5) { /* past the cancelled deadline */ }
    let r;
    [store, r] = func_invoke(store, count, [i32(100_000)]);
    expect(r).toEqual([i32(100_000)]);
  });
});

test('a plain v8 store says it cannot be interrupted (its code is V8\'s own, unmetered)', () => {
  const r = store_interrupt_after(store_init({ engine: 'v8' }), 10);
  expect(isError(r) && r.kind).toBe('argument');
  expect(isError(r) && r.message).toMatch(/v8 engine cannot be interrupted/);
});

test('a deadline is a number of milliseconds', () => {
  expect(() => store_interrupt_after(store_init({ engine: 'reference' }), -1)).toThrow(RangeError);
});

// A worker that spins in singlepass code, posting 'spinning' first.
const workerCode = (index: string) => `
  const w = await import(${JSON.stringify(index)});
  const { parentPort } = await import('node:worker_threads');
  const m = w.module_parse(${JSON.stringify(spinText)});
  const [s, inst] = w.module_instantiate(w.store_init({ engine: 'singlepass' }), m, []);
  parentPort.postMessage('spinning');
  w.func_invoke(s, w.instance_export(inst, 'spin'), []);
  parentPort.postMessage('returned');`;

describe.skipIf(!existsSync(built) || nativeAvailable() !== true)('threads', () => {
  test('worker.terminate() stops a worker spinning in singlepass code', async () => {
    nativeAvailable();  // wasmo's native side is loaded in this thread, as an embedder's would be
    const worker = new Worker(workerCode(built), { eval: true });
    await new Promise<void>((resolve) => worker.once('message', () => resolve()));
    await new Promise((resolve) => setTimeout(resolve, 50));  // well inside the loop
    const t = performance.now();
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    await worker.terminate();
    await exited;
    expect(performance.now() - t).toBeLessThan(1000);
  }, 20_000);

  test('a process exits at once with a deadline pending, or one cancelled', () => {
    // The watchdog thread waits for the next deadline; exiting must not wait with it.
    for (const cancel of [false, true]) {
      const script = `
        const w = await import(${JSON.stringify(built)});
        const store = w.store_init({ engine: 'singlepass' });
        w.store_interrupt_after(store, 60_000);
        ${cancel ? 'w.store_interrupt_after(store, undefined);' : ''}`;
      const t = performance.now();
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
      expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 0, signal: null, stderr: '' });
      expect(performance.now() - t).toBeLessThan(10_000);
    }
  }, 40_000);

  test('a process whose worker spins in wasm can still exit', () => {
    const script = `
      import { Worker } from 'node:worker_threads';
      await import(${JSON.stringify(built)});
      const worker = new Worker(${JSON.stringify(workerCode(built))}, { eval: true });
      worker.once('message', () => setTimeout(() => process.exit(3), 50));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15_000 });
    expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({ status: 3, signal: null, stderr: '' });
  }, 20_000);
});

test('wasmo run --timeout stops a program that does not end', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'wasmo-timeout-')), 'spin.wat');
  writeFileSync(file, spinText);
  let stderr = '';
  const t = performance.now();
  const status = main(['run', '--timeout', '100ms', '--invoke', 'spin', file], { stdout: () => {}, stderr: (s) => (stderr += s) });
  expect(status).toBe(134);
  expect(stderr).toMatch(/spin: trap: interrupted/);
  expect(performance.now() - t).toBeLessThan(5000);
  expect(main(['run', '--timeout', 'soon', '--invoke', 'spin', file], { stdout: () => {}, stderr: () => {} })).toBe(2);
});
