// Running a kernel's `run(n)` and compiling a module on each engine, timed: what bench/worker.ts
// does in a child process, and what test/bench.test.ts checks the checksums of.

import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  func_invoke, i32, instance_export, isError, module_decode, module_instantiate, store_init, store_interrupt_after,
  type EngineName,
} from '../lib/index.js';
import { NativeUnsupported } from '../lib/engines/native.js';
import { NativeModule, isNativeFailure } from '../lib/native.js';

export type WorkerResult =
  | { readonly times: readonly number[]; readonly checksum?: number; readonly cpu?: readonly number[] }
  | { readonly unsupported: string };

/** Times `reps` calls of `call`, checking that every call returns the same checksum. */
function timeRuns(reps: number, call: () => number): WorkerResult {
  const times: number[] = [];
  let checksum: number | undefined;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const c = call();
    times.push(performance.now() - t0);
    if (checksum !== undefined && c !== checksum) throw new Error(`checksum changed between runs: ${checksum} then ${c}`);
    checksum = c;
  }
  return checksum === undefined ? { times } : { times, checksum };
}

export function runV8(bytes: Uint8Array<ArrayBuffer>, n: number, reps: number): WorkerResult {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  const run = instance.exports['run'];
  if (typeof run !== 'function') throw new Error('the module exports no function run');
  return timeRuns(reps, () => (run as (n: number) => number)(n) >>> 0);
}

/**
 * How a store is stopped: not at all, by fuel (more than any run needs, so what is measured is
 * metering), or by a deadline (an hour away, so what is measured is watching for it); or, 'bounds',
 * a store whose memories have a 4 GiB reservation and no guard, so that native code checks bounds
 * explicitly (what is measured is the checks).
 */
export type Control = 'none' | 'fuel' | 'deadline' | 'bounds';
export const CONTROLS: readonly Control[] = ['none', 'fuel', 'deadline', 'bounds'];

/** A wasmo engine through the public API, as an embedder runs it. */
export function runApi(engine: EngineName, bytes: Uint8Array, n: number, reps: number, control: Control = 'none'): WorkerResult {
  const module = module_decode(bytes);
  if (isError(module)) throw new Error(`${engine}: ${module.message}`);
  let instantiated: ReturnType<typeof module_instantiate>;
  try {
    const store = store_init(control === 'fuel' ? { engine, fuel: Number.MAX_SAFE_INTEGER }
      : control === 'bounds' ? { engine, memory: { reservation: 2 ** 32, guard: 0 } }
        : { engine, interruptible: control === 'deadline' });
    if (control === 'deadline') store_interrupt_after(store, 3_600_000);
    instantiated = module_instantiate(store, module, []);
  } catch (e) {
    // The native engine throws this for what it cannot do yet: a result to print, not a bench bug.
    if (e instanceof NativeUnsupported) return { unsupported: e.message };
    throw e;
  }
  let [store, instance] = instantiated;
  if (isError(instance)) throw new Error(`${engine}: ${instance.message}`);
  const run = instance_export(instance, 'run');
  if (isError(run) || run.kind !== 'func') throw new Error('the module exports no function run');
  return timeRuns(reps, () => {
    const [next, results] = func_invoke(store, run, [i32(n)]);
    store = next;
    if (isError(results)) throw new Error(`${engine}: ${results.message}`);
    const r = results[0];
    if (r?.type !== 'i32') throw new Error(`${engine}: run returned ${JSON.stringify(results)}`);
    return r.value >>> 0;
  });
}

/**
 * The module with a custom section holding `nonce` appended: each compilation sees new bytes, so
 * that no engine can answer from a cache of modules it has already compiled.
 */
function withNonce(bytes: Uint8Array, nonce: number): Uint8Array<ArrayBuffer> {
  const name = new TextEncoder().encode('wasmo-bench-nonce');
  const payload = [name.length, ...name, nonce & 0xff, (nonce >> 8) & 0xff, (nonce >> 16) & 0xff, nonce >>> 24];
  const out = new Uint8Array(bytes.length + 2 + payload.length);
  out.set(bytes);
  out.set([0, payload.length, ...payload], bytes.length);
  return out;
}

/** Times `reps` compilations; `threads` is the native engines' thread count (V8's follows its flags). */
export function compileTimes(engine: string, bytes: Uint8Array, reps: number, threads?: number): WorkerResult {
  const times: number[] = [];
  // CPU time of the whole process (every thread) too: on a busy machine it says what wall time hides.
  const cpu: number[] = [];
  const timed = <T>(f: () => T): T => {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const x = f();
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    return x;
  };
  for (let r = 0; r < reps; r++) {
    const input = withNonce(bytes, r);
    if (engine === 'v8') {
      timed(() => new WebAssembly.Module(input));
    } else if (engine === 'singlepass' || engine === 'optimizing') {
      const m = timed(() => NativeModule.compile(input, engine, threads === undefined ? {} : { threads }));
      if (isNativeFailure(m)) {
        if (m.status === 'unsupported') return { unsupported: m.message };
        throw new Error(`${engine}: ${m.status}: ${m.message}`);
      }
      m.free();
    } else {
      throw new Error(`no compile-only measurement for engine ${engine}`);
    }
  }
  return { times, cpu };
}

/**
 * Times loading the artifact in `file` (check, then publish its code), from `how`: 'buffer', bytes
 * already in memory (copied into a fresh mapping), or 'file', mapped straight from the file.
 */
export function loadTimes(how: string, file: string, reps: number): WorkerResult {
  const bytes = readFileSync(file);
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const m = how === 'buffer' ? NativeModule.deserialize(bytes) : how === 'file' ? NativeModule.loadFile(file) : undefined;
    times.push(performance.now() - t0);
    if (m === undefined) throw new Error(`load from buffer or file, not ${how}`);
    if (isNativeFailure(m)) throw new Error(`${m.status}: ${m.message}`);
    m.free();
  }
  return { times };
}
