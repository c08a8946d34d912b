// Host function calls from wasm on the native engines: the wasm's activation is suspended while the
// host function runs in JS and resumed after it (host-shim/runtime/traps.h), so host functions that
// re-enter wasm nest activations on the wasm stack. These check the nesting, and that every way a
// nested call can end (result, trap, host error, exhaustion, interrupt) leaves the outer ones going.

import { existsSync, readFileSync } from 'node:fs';
import vm from 'node:vm';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import {
  func_alloc, func_invoke, global_write, i32, instance_export, isError, module_exports, module_function_tiers, module_instantiate, module_parse,
  store_free, store_get_fuel, store_init, store_interrupt_after, wasmError, type FuncAddr, type Module, type Store, type Val,
} from '../lib/index.js';
import type { EngineName } from '../lib/engine.js';
import { CALL_TOKEN, NativeModule, NativeStore, isNativeFailure, nativeAvailable, threadHostSlots } from '../lib/native.js';
import { encodeModule } from '../spec/binary/encode.js';

const engines = nativeAvailable() === true ? (['singlepass', 'optimizing', 'tiered'] as const) : [];

function parse(text: string): Module {
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  return m;
}

// f(n) = 0 at n = 0 (or a trap when $trapAtZero), else 1 + down(n - 1); `deep` recurses for ever.
const pingPongText = `(module
  (import "host" "down" (func $down (param i32) (result i32)))
  (global $trapAtZero (export "trapAtZero") (mut i32) (i32.const 0))
  (func (export "f") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (if (global.get $trapAtZero) (then unreachable)) (i32.const 0))
      (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1)))))))
  (func $deep (export "deep") (result i32) (i32.add (i32.const 1) (call $deep)))
  (func (export "spin") (result i32) (loop $l (br $l)) (i32.const 0)))`;
const pingPong = parse(pingPongText);

const value = (r: readonly Val[] | ReturnType<typeof wasmError>): unknown => (isError(r) ? r : (r[0] as { value: number }).value);

type Host = (s: Store, n: number, fs: Record<string, FuncAddr>) => ReturnType<Parameters<typeof func_alloc>[2]>;

/** A store (made with `options`) with `module` instantiated, its one import (i32) -> i32 running
 *  `host(store, n, fs)`; fs: its exported functions by name. */
function setUp(engine: EngineName, host: Host, options: Parameters<typeof store_init>[0] = {}, module = pingPong) {
  let s = store_init({ ...options, engine });
  const fs: Record<string, FuncAddr> = {};
  let imported: FuncAddr;
  [s, imported] = func_alloc(s, { params: ['i32'], results: ['i32'] }, (store, [n]) => host(store, (n as { value: number }).value, fs));
  let inst;
  [s, inst] = module_instantiate(s, module, [imported]);
  if (isError(inst)) throw new Error(inst.message);
  for (const [name, type] of module_exports(module)) if (type.kind === 'func') fs[name] = instance_export(inst, name) as FuncAddr;
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

// Wasm that goes on after its host function returned: traps, exhausts its stack, or runs a loop.
const after = parse(`(module
  (import "host" "h" (func $h (param i32) (result i32)))
  (func $deep (result i32) (i32.add (i32.const 1) (call $deep)))
  (func (export "trap") (result i32) (drop (call $h (i32.const 1))) unreachable)
  (func (export "deep") (result i32) (drop (call $h (i32.const 2))) (call $deep))
  (func (export "spin") (result i32) (drop (call $h (i32.const 3))) (loop $l (br $l)) (i32.const 0))
  (func (export "twice") (param i32) (result i32) (i32.add (call $h (local.get 0)) (call $h (i32.const 10)))))`);

describe.each(engines)('wasm resumed after a host call on %s', (engine) => {
  it('traps and exhausts its stack as wasm that never called out, and the store goes on', () => {
    let { s, fs } = setUp(engine, (store, n) => [store, [i32(n)]], {}, after);
    let r;
    [s, r] = func_invoke(s, fs['trap']!, []);
    expect(r).toMatchObject({ kind: 'trap', message: 'unreachable' });
    [s, r] = func_invoke(s, fs['deep']!, []);
    expect(r).toMatchObject({ kind: 'exhaustion', message: 'call stack exhausted' });
    [s, r] = func_invoke(s, fs['twice']!, [i32(5)]);
    expect(value(r)).toBe(15);
    store_free(s);
  });

  it('stops with the host function\'s error, whether it throws or returns one, and the store goes on', () => {
    let { s, fs } = setUp(engine, (store, n) => {
      if (n === 1) throw new TypeError('first');
      if (n === 2) return wasmError('trap', 'refused 2');
      return [store, [i32(n)]];
    }, {}, after);
    let r;
    [s, r] = func_invoke(s, fs['twice']!, [i32(1)]);
    expect(r).toMatchObject({ kind: 'host', message: 'host function threw: first' });
    [s, r] = func_invoke(s, fs['twice']!, [i32(2)]);
    expect(r).toMatchObject({ kind: 'trap', message: 'refused 2' });
    [s, r] = func_invoke(s, fs['twice']!, [i32(3)]);
    expect(value(r)).toBe(13);
  });

  it('is stopped by a deadline that passed while its host function ran', () => {
    let { s, fs } = setUp(engine, (store, n) => {
      // Past the deadline before the wasm goes on: the watchdog requests the interrupt meanwhile.
      const end = performance.now() + 50;
      while (performance.now() < end);
      return [store, [i32(n)]];
    }, {}, after);
    expect(store_interrupt_after(s, 10)).toBeUndefined();
    let r;
    [s, r] = func_invoke(s, fs['spin']!, []);
    expect(r).toMatchObject({ kind: 'trap', message: 'interrupted' });
    expect(store_interrupt_after(s, undefined)).toBeUndefined();
    [s, r] = func_invoke(s, fs['twice']!, [i32(1)]);
    expect(value(r)).toBe(11);
  });

  it('draws on the store\'s fuel across nested calls as the reference engine does, and runs out in them alike', () => {
    // twice(n) = h(n) + h(10); h(n) nests twice(n - 1) but for 0 and 10, which it answers at once.
    const run = (e: EngineName, fuel: number): unknown[] => {
      const seen: unknown[] = [];
      let { s, fs } = setUp(e, (store, n, fs) => {
        if (n <= 0 || n === 10) return [store, [i32(n)]];
        const [next, r] = func_invoke(store, fs['twice']!, [i32(n - 1)]);
        if (isError(r)) {
          seen.push(`${n}: ${r.kind}: ${r.message}`);
          return r;
        }
        return [next, [i32(value(r) as number)]];
      }, { fuel }, after);
      let r;
      [s, r] = func_invoke(s, fs['twice']!, [i32(30)]);
      seen.push(isError(r) ? `${r.kind}: ${r.message}` : value(r), store_get_fuel(s));
      return seen;
    };
    const plenty = run('reference', 1_000_000);
    expect(plenty[0]).toBe(220);
    expect(run(engine, 1_000_000)).toEqual(plenty);
    const used = 1_000_000 - (plenty[1] as number);
    // Running out half-way: at some level below the top, each level above passing the error on.
    const short = run('reference', Math.floor(used / 2));
    expect(short.at(-1)).toBe(0);
    expect(short).toContain('trap: all fuel consumed');
    expect(run(engine, Math.floor(used / 2))).toEqual(short);
  });

  it('nests with another store\'s wasm several levels, and neither store can be freed meanwhile', () => {
    const refused: string[] = [];
    // The current value of each store: a host function is given its own, and takes the other's from here.
    const current: Store[] = [];
    const level = (self: 0 | 1): Host => (store, n) => {
      current[self] = store;
      const other = 1 - self;
      // b's wasm runs only inside a's host functions, so a's waits whenever b's host functions run.
      if (self === 1) {
        try {
          store_free(current[other]!);
        } catch (e) {
          refused.push(String(e));
        }
      }
      const [next, r] = func_invoke(current[other]!, fns[other]!, [i32(n)]);
      current[other] = next;
      return isError(r) ? r : [current[self]!, r];
    };
    const a = setUp(engine, level(0));
    const b = setUp(engine, level(1));
    const fns = [a.fs['f']!, b.fs['f']!];
    current.push(a.s, b.s);
    let r;
    // Each level of f adds one and calls into the other store: 40 levels, 20 in each.
    [current[0], r] = func_invoke(a.s, fns[0]!, [i32(40)]);
    expect(value(r)).toBe(40);
    expect(refused.length).toBe(20);
    expect(new Set(refused)).toEqual(new Set(['Error: native store freed while its wasm runs']));
    [current[1], r] = func_invoke(current[1]!, fns[1]!, [i32(0)]);
    expect(value(r)).toBe(0);
    store_free(current[0]!);
    store_free(current[1]!);
  });
});

// An execution V8 terminates (here vm's timeout) unwinds through the calls of wasmo's it was in
// without running their finally blocks; the calls whose host function it was in are ended when the
// vm run ends, so that their store can be freed, and goes on.
describe.each(engines)('a store whose call an execution was terminated in, on %s', (engine) => {
  type Runner = (call: () => unknown) => unknown;
  const runners: [string, Runner][] = [
    ['vm.runInNewContext', (call) => vm.runInNewContext('call()', { call }, { timeout: 20 })],
    ['vm.Script runInThisContext', (call) => {
      (globalThis as { wasmoTestCall?: () => unknown }).wasmoTestCall = call;
      return new vm.Script('globalThis.wasmoTestCall()').runInThisContext({ timeout: 20 });
    }],
  ];

  it.each(runners)('can be freed, and used with the store its host function got, after %s timed out in its host function', (_, run) => {
    let spin = true;
    let kept: Store | undefined;
    const { s: s0, fs } = setUp(engine, (store, n) => {
      kept = store;
      while (spin);
      return [store, [i32(n * 2)]];
    });
    expect(() => run(() => func_invoke(s0, fs['f']!, [i32(1)]))).toThrow(/timed out/);
    spin = false;
    // The host function's store is the current one: the terminated call never returned another.
    let [s, r] = func_invoke(kept!, fs['f']!, [i32(5)]);
    expect(value(r)).toBe(9);
    [s, r] = func_invoke(s, fs['f']!, [i32(0)]);
    expect(value(r)).toBe(0);
    // Any store value of the lineage frees it, the consumed one given to the terminated call too.
    store_free(s0);
    expect(() => func_invoke(s, fs['f']!, [i32(0)])).toThrow('this store was freed (store_free)');
  });

  it('stays unfreeable while a call of its waits for a host function, whatever was terminated inside it', () => {
    const refused: string[] = [];
    let spinning = false;
    let kept: Store | undefined;
    const { s: s0, fs } = setUp(engine, (store, n, fns) => {
      kept = store;
      if (spinning) for (;;);
      if (n !== 3) return [store, [i32(n)]];
      spinning = true;
      // f(2) calls this host function, which spins until the execution is terminated.
      expect(() => vm.runInNewContext('call()', { call: () => func_invoke(store, fns['f']!, [i32(2)]) }, { timeout: 20 })).toThrow(/timed out/);
      spinning = false;
      try {
        store_free(kept);
      } catch (e) {
        refused.push(String(e));
      }
      return [kept, [i32(40)]];
    });
    const [s, r] = func_invoke(s0, fs['f']!, [i32(4)]);
    expect(value(r)).toBe(41);
    expect(refused).toEqual(['Error: native store freed while its wasm runs']);
    store_free(s);
  });
});

describe.skipIf(engines.length === 0)('tier-up under a suspended call', () => {
  it('swaps in optimized code for a function whose singlepass frames wait for host functions, and they finish on it', () => {
    // A module of its own: tier-up counts per module and instance.
    const m = parse(pingPongText);
    let { s, fs } = setUp('tiered', (store, n, fns) => {
      const [next, r] = func_invoke(store, fns['f']!, [i32(n)]);
      return isError(r) ? r : [next, r];
    }, { tierUp: { threshold: 50, wait: true } }, m);
    let r;
    [s, r] = func_invoke(s, fs['f']!, [i32(200)]);
    expect(value(r)).toBe(200);
    // f tiered up at about its 50th level; the levels above it returned through their singlepass frames.
    expect(module_function_tiers(m)).toEqual(['optimizing', 'singlepass', 'singlepass']);
    [s, r] = func_invoke(s, fs['f']!, [i32(7)]);
    expect(value(r)).toBe(7);
    store_free(s);
  });
});

const built = join(fileURLToPath(new URL('..', import.meta.url)), 'dist/lib/index.js');
const vmSize = (): number => Number(/^VmSize:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]) * 1024;

describe.skipIf(!existsSync(built) || engines.length === 0)('a worker whose wasm waits for a host function', () => {
  // The worker's wasm calls its host function, which posts 'waiting' and then `then` (JS).
  const workerCode = (then: string) => `
    const w = await import(${JSON.stringify(built)});
    const { parentPort } = await import('node:worker_threads');
    const m = w.module_parse('(module (import "host" "h" (func $h)) (func (export "f") (call $h) (loop $l (br $l))))');
    let [s, h] = w.func_alloc(w.store_init({ engine: 'singlepass' }), { params: [], results: [] }, (store) => {
      parentPort.postMessage('waiting');
      ${then}
      return [store, []];
    });
    const [s2, inst] = w.module_instantiate(s, m, [h]);
    w.func_invoke(s2, w.instance_export(inst, 'f'), []);`;
  const waiting = (worker: Worker) => new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
  });

  it('stops at worker.terminate() while the host function spins, and exits; so does one whose host function exits the thread, and neither keeps its wasm stack', async () => {
    const spinning = async (): Promise<number> => {
      const worker = new Worker(workerCode('for (;;);'), { eval: true });
      await waiting(worker);
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      await worker.terminate();
      return exited;
    };
    const exiting = async (): Promise<number> => {
      const worker = new Worker(workerCode('process.exit(7);'), { eval: true });
      return new Promise<number>((resolve) => worker.once('exit', resolve));
    };
    expect(await spinning()).toBe(1);
    expect(await exiting()).toBe(7);
    const vm = vmSize();
    for (let i = 0; i < 8; i++) {
      const t = performance.now();
      expect(await spinning()).toBe(1);
      expect(performance.now() - t).toBeLessThan(5000);
      expect(await exiting()).toBe(7);
    }
    // A wasm stack is a 256 MiB reservation: 16 kept would be 4 GiB.
    expect(vmSize() - vm).toBeLessThan(1024 ** 3);
  }, 60_000);
});

// A host call resumes the suspended call its token names, so a call whose resume never came (its
// caller's execution was terminated, skipping every finally) is never resumed in another's place.
describe.runIf(nativeAvailable() === true)('the token of a suspended host call', () => {
  // g(x) = h(x) + 1 through host function h, the module's one import.
  const calling = (op: string) => {
    const m = NativeModule.compile(encodeModule(parse(`(module (import "host" "h" (func $h (param i32) (result i32)))
      (func (export "g") (param i32) (result i32) (${op} (call $h (local.get 0)) (i32.const 100))))`).ast));
    if (isNativeFailure(m)) throw new Error(m.message);
    return m;
  };
  const adding = calling('i32.add');
  const multiplying = calling('i32.mul');
  const slots = threadHostSlots();
  /** The export of `module` instantiated in `store` with host function `host`. */
  const instantiate = (store: NativeStore, module: NativeModule, host: () => boolean): number => {
    const addrs = store.instantiate(module, [store.funcAlloc({ params: ['i32'], results: ['i32'] }, host)]);
    if (isNativeFailure(addrs)) throw new Error(addrs.message);
    return addrs[0]!;
  };
  /** Runs `call` in a vm context whose execution is terminated after 20 ms: host function
   *  `spin` below it never returns, and no finally on the way out runs. */
  const terminated = (call: () => unknown): void => {
    expect(() => vm.runInNewContext('call()', { call }, { timeout: 20 })).toThrow(/timed out/);
  };
  let spunToken = -1;
  const spin = (): boolean => {
    spunToken = slots.words[CALL_TOKEN]!;
    for (;;);
  };

  it('resumes the call that waits for the host function, not a terminated one nested in it', () => {
    const store = new NativeStore();
    const inner = instantiate(store, multiplying, spin);
    const outer = instantiate(store, adding, () => {
      terminated(() => store.funcInvoke(inner));
      slots.words[0] = 41;
      return true;
    });
    slots.words[0] = 5;
    expect(store.funcInvoke(outer)).toBe(true);
    // 41 * 100 had the terminated inner call been resumed instead.
    expect(slots.words[0]).toBe(141);
    // The abandoned call was dropped: its token names nothing any more.
    expect(store.endHostCall(spunToken)).toEqual({
      status: 'internal', message: 'no suspended host function call has this token (it ended, or is another thread\'s)',
    });
    slots.words[0] = 7;
    expect(store.funcInvoke(outer)).toBe(true);
    expect(slots.words[0]).toBe(141);
  });

  it('refuses a token of another store\'s call or of no suspended call; a terminated execution ends the call it left suspended', () => {
    const store = new NativeStore();
    const other = new NativeStore();
    const refusals: unknown[] = [];
    const checking = instantiate(store, multiplying, () => {
      const token = slots.words[CALL_TOKEN]!;
      refusals.push(other.endHostCall(token), store.endHostCall(token + 1));
      slots.words[0] = 3;
      return true;
    });
    slots.words[0] = 1;
    expect(store.funcInvoke(checking)).toBe(true);
    expect(slots.words[0]).toBe(300);
    expect(refusals).toEqual([
      { status: 'internal', message: 'the host function call of this token is another store\'s' },
      { status: 'internal', message: 'no suspended host function call has this token (it ended, or is another thread\'s)' },
    ]);
    const spinning = instantiate(store, multiplying, spin);
    terminated(() => store.funcInvoke(spinning));
    // Ended when the vm run did: no call waits for it, and the store can be freed.
    expect(store.endHostCall(spunToken)).toMatchObject({ status: 'internal', message: /no suspended host function call has this token/ });
    const adder = instantiate(store, adding, () => true);
    slots.words[0] = 2;
    expect(store.funcInvoke(adder)).toBe(true);
    expect(slots.words[0]).toBe(102);
    store.free();
    other.free();
  });
});
