// The tier-up timeline: how soon each engine gives a kernel's first result, and how fast its later
// iterations run, for wasmo's singlepass, optimizing and tiered engines and for V8 as node runs it by
// default (Liftoff first, hot functions recompiled by TurboFan in the background), with V8's two
// tiers alone beside. Each engine runs in a fresh process: it compiles the module (on the wasmo
// engines, module_decode and module_instantiate; on V8, new WebAssembly.Module and Instance) and
// calls `run(n)` ITERS times, timing each call. "tiered, 2nd run" loads the artifact the tiered run
// wrote after its calls (each function at the tier it reached) instead of compiling.
//
//   npm run bench:tiering [-- --iters 40 --kernels matmul,fib --threshold 10000]
//
// Columns: compile (ms, until the first call can start), first (ms from the start to the first
// result), steady (median ms of the last third of the iterations), total (ms from the start to the
// last result), and the tiered engine's iterations over time as a sparkline-free list of the first
// few calls. Timings are for people, never asserted (test/bench.test.ts checks the kernels only).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  func_invoke, i32, instance_export, isError, module_decode, module_deserialize_file, module_instantiate, module_serialize,
  module_tier_up_stats, store_init, type EngineName,
} from '../lib/index.js';
import { KERNELS, buildKernel, clangVersion } from './kernels.js';
import { LIFTOFF, TURBOFAN, median, table } from './measure.js';
import { scriptArgs } from './args.js';

/** Per kernel, an `n` for which one singlepass iteration takes some tens of milliseconds. */
const ITERATION_N: Readonly<Record<string, number>> = {
  matmul: 160, jacobi2d: 320, heapsort: 60_000, crc32: 40, sha256: 40_000, nbody: 150_000, fib: 28, simdmix: 100,
};

interface Timeline {
  readonly compileMs: number;
  readonly callMs: readonly number[];
  readonly checksum: number;
  readonly optimized?: number;
}

/**
 * In the child: compile, then `iters` calls of run(n), timed from the process's start of work.
 * `artifact`: on tiered, where to write the module's artifact after the calls (each function at the
 * tier it reached, as `wasmo run`'s cache keeps it); on 'tiered-artifact', where to load the module
 * from instead of compiling it.
 */
function child(engine: string, file: string, n: number, iters: number, artifact?: string): Timeline {
  const bytes = new Uint8Array(readFileSync(file));
  const t0 = performance.now();
  let call: () => number;
  let optimized: (() => number | undefined) | undefined;
  let save: (() => void) | undefined;
  if (engine === 'v8') {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    const run = instance.exports['run'] as (n: number) => number;
    call = () => run(n) >>> 0;
  } else {
    const module = engine === 'tiered-artifact' ? module_deserialize_file(artifact!) : module_decode(bytes);
    if (isError(module)) throw new Error(module.message);
    let [store, inst] = module_instantiate(store_init({ engine: (module.compiledFor ?? engine) as EngineName }), module, []);
    if (isError(inst)) throw new Error(inst.message);
    const run = instance_export(inst, 'run');
    if (isError(run) || run.kind !== 'func') throw new Error('no run export');
    call = () => {
      const [s, r] = func_invoke(store, run, [i32(n)]);
      store = s;
      if (isError(r) || r[0]?.type !== 'i32') throw new Error(isError(r) ? r.message : 'not an i32');
      return r[0].value >>> 0;
    };
    if (module.compiledFor === 'tiered' || engine === 'tiered') optimized = () => module_tier_up_stats(module)?.optimized;
    if (engine === 'tiered' && artifact !== undefined) {
      save = () => {
        const written = module_serialize(module, { engine: 'tiered' });
        if (isError(written)) throw new Error(written.message);
        writeFileSync(artifact, written);
      };
    }
  }
  const compileMs = performance.now() - t0;
  const callMs: number[] = [];
  let checksum = 0;
  for (let k = 0; k < iters; k++) {
    const t = performance.now();
    const c = call();
    callMs.push(performance.now() - t);
    if (k > 0 && c !== checksum) throw new Error(`checksum changed: ${checksum} then ${c}`);
    checksum = c;
  }
  const o = optimized?.();
  save?.();
  return { compileMs, callMs, checksum, ...(o === undefined ? {} : { optimized: o }) };
}

interface Column {
  readonly label: string;
  readonly engine: string;
  readonly flags: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

function measureColumn(c: Column, file: string, n: number, iters: number, artifact: string): Timeline | string {
  const self = fileURLToPath(import.meta.url);
  const p = spawnSync(process.execPath, [...c.flags, self, '--child', c.engine, file, String(n), String(iters), artifact],
    { encoding: 'utf8', env: { ...process.env, ...c.env }, maxBuffer: 1 << 24 });
  if (p.status !== 0) return (p.stderr || `exit status ${p.status}`).trim().split('\n').slice(-2).join(' | ');
  return JSON.parse(p.stdout.trim().split('\n').pop()!) as Timeline;
}

function fmt(ms: number): string {
  return ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2);
}

function main(): void {
  const { values, positionals } = scriptArgs('node dist/bench/tiering.js [--iters 40] [--kernels a,b,…] [--threshold N]...', {
    options: {
      iters: { type: 'string', default: '40' },
      kernels: { type: 'string' },
      threshold: { type: 'string', multiple: true, default: [] },
      // The measuring process's mode (see `measureColumn`): ENGINE FILE N ITERS ARTIFACT follow.
      child: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (values.child) {
    const [engine, file, n, iters, artifact] = positionals as [string, string, string, string, string];
    process.stdout.write(`${JSON.stringify(child(engine, file, Number(n), Number(iters), artifact))}\n`);
    return;
  }
  const iters = Number(values.iters);
  if (!Number.isInteger(iters) || iters < 3) throw new Error(`--iters wants an integer ≥ 3, not ${values.iters}`);
  const wanted = values.kernels?.split(',');
  const selected = KERNELS.filter((k) => wanted === undefined || wanted.includes(k.name));
  if (selected.length === 0) throw new Error(`no such kernels: ${values.kernels}; there are ${KERNELS.map((k) => k.name).join(', ')}`);
  const thresholds = values.threshold;
  const clang = clangVersion();
  if (clang instanceof Error) throw clang;
  const columns: Column[] = [
    { label: 'singlepass', engine: 'singlepass', flags: [] },
    { label: 'optimizing', engine: 'optimizing', flags: [] },
    { label: 'tiered', engine: 'tiered', flags: [] },
    // A second run from the artifact the first left (as `wasmo run --engine tiered` with its cache).
    { label: 'tiered, 2nd run', engine: 'tiered-artifact', flags: [] },
    ...thresholds.map((t) => ({ label: `tiered@${t}`, engine: 'tiered', flags: [], env: { WASMO_TIER_UP_THRESHOLD: t } })),
    { label: 'v8 (Liftoff→TurboFan)', engine: 'v8', flags: [] },
    { label: 'v8 Liftoff only', engine: 'v8', flags: LIFTOFF },
    { label: 'v8 TurboFan only', engine: 'v8', flags: TURBOFAN },
  ];
  const out: string[] = [
    `wasmo tier-up timeline, ${new Date().toISOString()}: node ${process.version}, ${clang}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} threads)`,
    `${iters} calls of run(n) per engine in a fresh process; ms: compile = until the first call can start, first = start to first result,`,
    'steady = median call of the last third, total = start to last result; tiered: the default threshold unless @N ($WASMO_TIER_UP_THRESHOLD).',
  ];
  const scratch = mkdtempSync(join(tmpdir(), 'wasmo-tiering-'));
  for (const kernel of selected) {
    const { wasm } = buildKernel(kernel.name);
    const artifact = join(scratch, `${kernel.name}.cwasm`);
    const n = ITERATION_N[kernel.name] ?? kernel.smallN;
    const rows: string[][] = [['', 'compile', 'first', 'steady', 'total', 'first calls (ms)']];
    let checksum: number | undefined;
    for (const c of columns) {
      const t = measureColumn(c, wasm, n, iters, artifact);
      if (typeof t === 'string') {
        rows.push([c.label, '—', '—', '—', '—', t.slice(0, 80)]);
        continue;
      }
      if (checksum !== undefined && t.checksum !== checksum) throw new Error(`${kernel.name} on ${c.label}: checksum ${t.checksum}, expected ${checksum}`);
      checksum = t.checksum;
      const first = t.compileMs + t.callMs[0]!;
      const total = t.compileMs + t.callMs.reduce((a, b) => a + b, 0);
      const steady = median(t.callMs.slice(Math.floor((2 * t.callMs.length) / 3)));
      const early = t.callMs.slice(0, 6).map(fmt).join(' ') + (t.optimized === undefined ? '' : ` (${t.optimized} optimized)`);
      rows.push([c.label, fmt(t.compileMs), fmt(first), fmt(steady), fmt(total), early]);
    }
    out.push('', `${kernel.name} (n = ${n})`, table(rows));
  }
  rmSync(scratch, { recursive: true, force: true });
  process.stdout.write(`${out.join('\n')}\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`bench:tiering: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}
