// `npm run bench`: run time of the compute kernels on wasmo singlepass and optimizing, V8 Liftoff,
// V8 TurboFan and native code (plus the reference interpreter on reduced sizes), then compile throughput and
// artifact load time; prints the tables bench/README.md explains.
//
//   node dist/bench/main.js [--reps N] [--kernels a,b,…] [--copies N] [--no-reference]

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { NativeModule, isNativeFailure, nativeAvailable } from '../lib/native.js';
import { bigModule, codeSectionSize } from './big-module.js';
import { KERNELS, NATIVE_FLAGS, WASM_FLAGS, buildDir, buildKernel, clangVersion, type Kernel } from './kernels.js';
import {
  LIFTOFF, ONE_THREAD, TURBOFAN, measure, progress, table, worker, type Outcome,
} from './measure.js';
import { scriptArgs } from './args.js';

interface Column { readonly label: string; readonly run: (k: Built, n: number, reps: number) => Outcome }
interface Built { readonly kernel: Kernel; readonly wasm: string; readonly native: string }

// Every measurement makes one warm-up call first: it is not timed.
const singlepass: Column = { label: 'singlepass', run: (k, n, reps) => worker([], ['run', 'singlepass', k.wasm, n, reps + 1], 1) };
const optimizing: Column = { label: 'optimizing', run: (k, n, reps) => worker([], ['run', 'optimizing', k.wasm, n, reps + 1], 1) };
const liftoff: Column = { label: 'liftoff', run: (k, n, reps) => worker(LIFTOFF, ['run', 'v8', k.wasm, n, reps + 1], 1) };
const turbofan: Column = { label: 'turbofan', run: (k, n, reps) => worker(TURBOFAN, ['run', 'v8', k.wasm, n, reps + 1], 1) };
const native: Column = { label: 'native', run: (k, n, reps) => measure(k.native, [String(n), String(reps + 1)], 1) };
const reference: Column = { label: 'reference', run: (k, n, reps) => worker([], ['run', 'reference', k.wasm, n, reps + 1], 1) };
/** `engine` with fuel or a deadline (bench/engines.ts Control), in a column labelled `label`. */
const controlled = (label: string, engine: string, flags: readonly string[] = []): Column =>
  ({ label, run: (k, n, reps) => worker(flags, ['run', engine, k.wasm, n, reps + 1], 1) });
const singlepassFuel = controlled('sp+fuel', 'singlepass+fuel');
const singlepassDeadline = controlled('sp+deadline', 'singlepass+deadline');
const optimizingFuel = controlled('opt+fuel', 'optimizing+fuel');
const optimizingDeadline = controlled('opt+deadline', 'optimizing+deadline');
const v8Engine = controlled('v8 engine', 'v8-engine+deadline', TURBOFAN);
const singlepassBounds = controlled('sp+bounds', 'singlepass+bounds');
const optimizingBounds = controlled('opt+bounds', 'optimizing+bounds');

/**
 * Runs every column on every kernel at the size `size` picks. The last column (native code) gives
 * the checksum the others must match; a mismatch turns that engine's time into a failure.
 */
function runAll(kernels: readonly Built[], columns: readonly Column[], size: (k: Kernel) => number, reps: number): Outcome[][] {
  return kernels.map((k) => {
    const outcomes = columns.map((c) => {
      progress(`${k.kernel.name} on ${c.label}`);
      return c.run(k, size(k.kernel), reps);
    });
    const oracle = outcomes[outcomes.length - 1]!;
    const expected = oracle.kind === 'time' ? oracle.checksum : undefined;
    return outcomes.map((o) =>
      o.kind === 'time' && o.checksum !== expected
        ? { kind: 'failed', message: `wrong checksum ${o.checksum}, expected ${expected}` }
        : o);
  });
}

const fmtMs = (ms: number): string => (ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtRatio = (r: number): string => `${r.toFixed(2)}×`;

function cell(o: Outcome, notes: string[], who: string): string {
  if (o.kind === 'time') return fmtMs(o.ms);
  notes.push(`${who}: ${o.message}`);
  return o.kind === 'unsupported' ? 'n/s' : 'FAILED';
}

function geomean(xs: readonly number[]): number {
  return Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
}

/** Time and ratio table: `pairs` are [numerator, denominator] column indices. */
function report(kernels: readonly Built[], columns: readonly Column[], outcomes: Outcome[][], size: (k: Kernel) => number,
  pairs: readonly (readonly [number, number])[]): string {
  const notes: string[] = [];
  const ratios: number[][] = pairs.map(() => []);
  const rows = kernels.map((k, i) => {
    const o = outcomes[i]!;
    const times = o.map((x, j) => cell(x, notes, `${k.kernel.name} on ${columns[j]!.label}`));
    const rs = pairs.map(([a, b], p) => {
      const x = o[a]!;
      const y = o[b]!;
      if (x.kind !== 'time' || y.kind !== 'time') return '—';
      ratios[p]!.push(x.ms / y.ms);
      return fmtRatio(x.ms / y.ms);
    });
    return [k.kernel.name, String(size(k.kernel)), ...times, ...rs];
  });
  const header = ['kernel', 'n', ...columns.map((c) => `${c.label} ms`),
    ...pairs.map(([a, b]) => `${columns[a]!.label}/${columns[b]!.label}`)];
  const mean = ['geomean', '', ...columns.map(() => ''),
    ...ratios.map((rs) => (rs.length === kernels.length ? fmtRatio(geomean(rs)) : rs.length > 0 ? `${fmtRatio(geomean(rs))}*` : '—'))];
  const partial = ratios.some((rs) => rs.length > 0 && rs.length < kernels.length)
    ? ['* over the kernels that ran on both engines only'] : [];
  return [table([header, ...rows, mean]), ...partial, ...notes.map((n) => `note: ${n}`)].join('\n');
}

function compileThroughput(kernels: readonly Built[], copies: number, reps: number): string {
  const wasm = bigModule(kernels.map((k) => ({ name: k.kernel.name, wasm: readFileSync(k.wasm) })), copies);
  const file = join(buildDir, 'big.wasm');
  writeFileSync(file, wasm);
  const mb = codeSectionSize(wasm) / 1e6;
  const engines: readonly (readonly [string, Outcome])[] = [
    ['singlepass', worker([], ['compile', 'singlepass', file, reps, 1], 0)],
    ['optimizing', worker([], ['compile', 'optimizing', file, reps, 1], 0)],
    ['liftoff', worker([...ONE_THREAD, ...LIFTOFF], ['compile', 'v8', file, reps], 0)],
    ['turbofan', worker([...ONE_THREAD, ...TURBOFAN], ['compile', 'v8', file, reps], 0)],
  ];
  const notes: string[] = [];
  const sp = engines[0]![1];
  const rows = engines.map(([label, o]) => {
    const ms = cell(o, notes, `compiling on ${label}`);
    if (o.kind !== 'time') return [label, ms, '—', '—'];
    return [label, ms, (mb / (o.ms / 1000)).toFixed(1), sp.kind === 'time' ? fmtRatio(o.ms / sp.ms) : '—'];
  });
  return [
    `Compile throughput: ${kernels.length} kernels × ${copies} copies, ${wasm.length.toLocaleString('en')} bytes, ` +
      `code section ${mb.toFixed(2)} MB (10^6 bytes); one thread; median of ${reps}`,
    table([['engine', 'ms', 'MB/s', 'time/singlepass'], ...rows]),
    ...notes.map((n) => `note: ${n}`),
    '',
    artifactLoad(wasm, sp, reps),
  ].join('\n');
}

/** Loading the big module's artifact (check + publish) against compiling it: the point of artifacts. */
function artifactLoad(wasm: Uint8Array, compile: Outcome, reps: number): string {
  const m = NativeModule.compile(wasm);
  if (isNativeFailure(m)) return `Artifact load: the big module does not compile (${m.status}: ${m.message})`;
  const artifact = m.serialize();
  m.free();
  const file = join(buildDir, 'big.cwasm');
  writeFileSync(file, artifact);
  const notes: string[] = [];
  const rows = [
    ['compile (singlepass)', compile] as const,
    ['load from buffer', worker([], ['load', 'buffer', file, reps], 0)] as const,
    ['load mapped file', worker([], ['load', 'file', file, reps], 0)] as const,
  ].map(([label, o]) => [label, cell(o, notes, label),
    o.kind === 'time' && compile.kind === 'time' ? fmtRatio(compile.ms / o.ms) : '—']);
  return [
    `Artifact load vs compile: the same big module, artifact ${artifact.length.toLocaleString('en')} bytes; median of ${reps}`,
    table([['', 'ms', 'compile/this'], ...rows]),
    ...notes.map((n) => `note: ${n}`),
  ].join('\n');
}

function main(): void {
  const { values } = scriptArgs('node dist/bench/main.js [--reps N] [--kernels a,b,…] [--copies N] [--no-reference]', {
    options: {
      reps: { type: 'string', default: '5' },
      kernels: { type: 'string' },
      copies: { type: 'string', default: '400' },
      'no-reference': { type: 'boolean', default: false },
    },
  });
  const reps = Number(values.reps);
  const copies = Number(values.copies);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps wants a positive integer, not ${values.reps}`);
  if (!Number.isInteger(copies) || copies < 1) throw new Error(`--copies wants a positive integer, not ${values.copies}`);
  const wanted = values.kernels?.split(',');
  const selected = KERNELS.filter((k) => wanted === undefined || wanted.includes(k.name));
  if (selected.length === 0) throw new Error(`no such kernels: ${values.kernels}; there are ${KERNELS.map((k) => k.name).join(', ')}`);

  const clang = clangVersion();
  if (clang instanceof Error) throw clang;
  const nativeLib = nativeAvailable();
  if (nativeLib !== true) throw nativeLib;

  const kernels: Built[] = selected.map((kernel) => ({ kernel, ...buildKernel(kernel.name) }));
  const columns = [singlepass, optimizing, liftoff, turbofan, native];
  const out: string[] = [
    `wasmo bench, ${new Date().toISOString()}: node ${process.version}, ${clang}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} threads)`,
    `wasm: clang ${WASM_FLAGS.join(' ')} (and -msimd128 for ${KERNELS.filter((k) => k.simd === true).map((k) => k.name).join(', ')}); native: clang ${NATIVE_FLAGS.join(' ')}`,
    `V8 Liftoff: node ${LIFTOFF.join(' ')}; V8 TurboFan: node ${TURBOFAN.join(' ')}`,
    '',
    `Run time in ms, median of ${reps} calls after one warm-up call; a/b = a's time over b's (above 1: a is slower)`,
    report(kernels, columns, runAll(kernels, columns, (k) => k.n, reps), (k) => k.n,
      [[0, 2], [0, 3], [0, 4], [1, 2], [1, 3], [1, 4], [2, 4], [3, 4]]),
  ];
  // Stopping guests: fuel metering and a deadline on the native engines, against each without them;
  // an interruptible v8 store (its modules meter fuel, that is how it is interrupted) against V8
  // running the module as is.
  const control = [singlepass, singlepassFuel, singlepassDeadline, optimizing, optimizingFuel, optimizingDeadline, v8Engine, turbofan, native];
  out.push('', `Fuel and deadlines, median of ${reps} calls after one warm-up call: singlepass and optimizing with fuel ` +
    '(store_init({ fuel })) and with a deadline set (store_interrupt_after), each over itself alone; ' +
    'wasmo\'s v8 engine in an interruptible store (whose modules meter fuel, under TurboFan) over TurboFan',
  report(kernels, control, runAll(kernels, control, (k) => k.n, reps), (k) => k.n, [[1, 0], [2, 0], [4, 3], [5, 3], [6, 7]]));
  // Explicit bounds checks (a store whose memories have no guard region) against guard pages.
  const bounds = [singlepass, singlepassBounds, optimizing, optimizingBounds, native];
  out.push('', `Explicit bounds checks, median of ${reps} calls after one warm-up call: singlepass and optimizing in a ` +
    'store whose memories have no guard region (store_init({ memory: { reservation: 4 GiB, guard: 0 } })), each over itself with guard pages',
  report(kernels, bounds, runAll(kernels, bounds, (k) => k.n, reps), (k) => k.n, [[1, 0], [3, 2]]));
  if (!values['no-reference']) {
    const small = [reference, singlepass, native];
    out.push('', `Reference interpreter on reduced sizes, median of ${reps} calls after one warm-up call`,
      report(kernels, small, runAll(kernels, small, (k) => k.smallN, reps), (k) => k.smallN, [[0, 1], [1, 2]]));
  }
  progress('compile throughput');
  out.push('', compileThroughput(kernels, copies, Math.max(3, Math.min(reps, 5))));
  progress('');
  process.stdout.write(`${out.join('\n')}\n`);
}

try {
  main();
} catch (e) {
  // What to fix (an option, a missing clang or native library) in one line, not a stack trace.
  process.stderr.write(`bench: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
