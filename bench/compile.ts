// `npm run bench:compile`: compile throughput, in MB/s of code section, from one run: wasmo's
// singlepass on one thread and on N threads (whole compile: decode, validate, generate code, link,
// write the artifact and load it), and V8's Liftoff on one thread (`--liftoff-only
// --no-wasm-lazy-compilation --single-threaded`), on the kernels' clang output copied into a module
// of about `--mb` megabytes (bench/big-module.ts, as bench:frontend). Each engine runs in its own
// process; the table gives the median of `--reps` compiles, wall time and the process's CPU time.
//
//   node dist/bench/compile.js [--mb 20] [--threads N] [--reps 5]

import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { nativeAvailable } from '../lib/native.js';
import { bigModuleOfSize, codeSectionSize } from './big-module.js';
import { KERNELS, buildDir, buildKernel } from './kernels.js';
import { LIFTOFF, ONE_THREAD, progress, table, worker, type Outcome } from './measure.js';
import { scriptArgs } from './args.js';

function main(): void {
  const { values } = scriptArgs('node dist/bench/compile.js [--mb 20] [--threads N] [--reps 5]', {
    options: {
      mb: { type: 'string', default: '20' },
      threads: { type: 'string', default: String(availableParallelism()) },
      reps: { type: 'string', default: '5' },
    },
  });
  const mb = Number(values.mb);
  const threads = Number(values.threads);
  const reps = Number(values.reps);
  if (!(mb > 0)) throw new Error(`--mb wants a positive number, not ${values.mb}`);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads wants a positive integer, not ${values.threads}`);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps wants a positive integer, not ${values.reps}`);
  const lib = nativeAvailable();
  if (lib !== true) throw lib;

  progress('building the module');
  const kernels = KERNELS.map((k) => ({ name: k.name, wasm: readFileSync(buildKernel(k.name).wasm) }));
  const { wasm, copies } = bigModuleOfSize(kernels, mb);
  const file = join(buildDir, 'compile.wasm');
  writeFileSync(file, wasm);
  const code = codeSectionSize(wasm) / 1e6;

  const runs: [string, () => Outcome][] = [
    ['singlepass, 1 thread', () => worker([], ['compile', 'singlepass', file, reps, 1], 0)],
    [`singlepass, ${threads} threads`, () => worker([], ['compile', 'singlepass', file, reps, threads], 0)],
    ['V8 Liftoff, 1 thread', () => worker([...ONE_THREAD, ...LIFTOFF], ['compile', 'v8', file, reps], 0)],
  ];
  const rows = runs.map(([label, run]) => {
    progress(label);
    const o = run();
    if (o.kind !== 'time') return [label, o.kind === 'unsupported' ? 'n/s' : 'FAILED', o.message, '', ''];
    const cpu = o.cpuMs === undefined ? '—' : o.cpuMs.toFixed(0);
    const cpuRate = o.cpuMs === undefined ? '—' : (code / (o.cpuMs / 1000)).toFixed(1);
    return [label, o.ms.toFixed(0), (code / (o.ms / 1000)).toFixed(1), cpu, cpuRate];
  });
  progress('');
  console.log(`wasmo bench:compile, ${new Date().toISOString()}: node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${availableParallelism()} threads)`);
  console.log(`code section ${code.toFixed(2)} MB (10^6 bytes) of ${wasm.length.toLocaleString('en')}: ${KERNELS.length} kernels × ${copies} copies; median of ${reps}`);
  console.log(table([['engine', 'ms', 'MB/s', 'cpu ms', 'MB/s of cpu'], ...rows]));
}

try {
  main();
} catch (e) {
  process.stderr.write(`bench:compile: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
