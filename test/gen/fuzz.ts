// Long differential runs: `npm run fuzz -- --minutes N [--seed S] [--out DIR] [--big] [--jobs J]
// [--registers R]`; `--count N` runs N modules instead (`--seed S --count 1` reproduces one).
// Generates modules from consecutive seeds, runs each on every engine, and writes every
// disagreement, shrunk, to DIR (default build/fuzz-failures) as seed-N.wat / seed-N.wasm with the
// calls and the differing observation. Prints modules/s and counts as it goes.
// - `--jobs J` runs J processes (one per core), process j taking seeds S + j, S + j + J, ...
// - `--registers R` gives singlepass R operand registers per pool for every module (otherwise
//   `registersFor` varies them by seed).
// - `--engines a,b` compares only these engines with the reference (default: all of ENGINES); the
//   optimizing tier's LLVM compile is most of a module's time, so leaving it out about doubles the rate.
// - `--fuel` runs every module in stores that meter fuel (`fuelFor(seed)` units), so the fuel left
//   after each call and the point where a call runs out are compared too.
// - `--simd all|none`: every module with v128 values and SIMD instructions, or none (otherwise
//   every fourth seed's, seed % 4 = 3).
// - `--parallel all|none`: every module with a 64 KiB function, so that the native compilers
//   compile it on several threads, or none (otherwise seed % 16 = 5 or 15).
// - `--coverage` only generates (N modules, default 10,000) and prints what they cover
//   (see coverage.ts).

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from '../../bench/args.js';
import { encodeModule } from '../../spec/binary/encode.js';
import { countSeeds, report } from './coverage.js';
import { bigOptions, defaultOptions, type GenOptions } from './generator.js';
import { check, ENGINES, fuelFor, generate, plannedCalls, registersFor } from './runner.js';
import type { EngineName } from '../../lib/engine.js';
import { shrink } from './shrink.js';
import { moduleText } from './wat.js';

const USAGE = 'npm run fuzz -- [--minutes N | --count N] [--seed S] [--out DIR] [--jobs J] [--engines a,b] [--fuel] '
  + '[--simd all|none] [--parallel all|none] [--big] [--registers R] [--coverage]   (test/gen/fuzz.ts explains each)';
const { values } = scriptArgs(USAGE, {
  options: {
    minutes: { type: 'string', default: '1' },
    seed: { type: 'string' },
    out: { type: 'string', default: 'build/fuzz-failures' },
    big: { type: 'boolean', default: false },
    count: { type: 'string' },
    coverage: { type: 'boolean', default: false },
    jobs: { type: 'string', default: '1' },
    stride: { type: 'string', default: '1' },
    registers: { type: 'string' },
    engines: { type: 'string' },
    fuel: { type: 'boolean', default: false },
    simd: { type: 'string' },
    parallel: { type: 'string' },
  },
});
const first = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const jobs = Number(values.jobs);
const engines = (values.engines?.split(',') ?? ENGINES).map((e) => {
  if ((ENGINES as readonly string[]).includes(e)) return e as EngineName;
  console.error(`fuzz: --engines: unknown engine "${e}" (engines: ${ENGINES.join(', ')})`);
  process.exit(2);
});

for (const k of ['simd', 'parallel'] as const) {
  if (values[k] !== undefined && values[k] !== 'all' && values[k] !== 'none') {
    console.error(`fuzz: --${k}: "${values[k]}" is not all or none`);
    process.exit(2);
  }
}
/** The generator's options: --big, --simd, --parallel. */
const options: GenOptions = {
  ...(values.big ? bigOptions : defaultOptions),
  ...(values.simd === undefined ? {} : { simd: values.simd === 'all' }),
  ...(values.parallel === undefined ? {} : { parallel: values.parallel === 'all' }),
};

/** The final line of a run, which `--jobs` reads back from each process. */
const SUMMARY = /^fuzz: (\d+) modules .*, (\d+) failing/;

if (values.coverage) {
  const n = Number(values.count ?? 10_000);
  console.log(report(countSeeds(Number(values.seed ?? 1), n, options), n));
} else if (jobs > 1) {
  runJobs();
} else {
  run();
}

/** `--jobs J`: J processes of this script on interleaved seeds; their counts added up. */
function runJobs(): void {
  const start = performance.now();
  const passOn = (['minutes', 'out', 'registers', 'engines', 'simd', 'parallel'] as const).flatMap((k) => (values[k] === undefined ? [] : [`--${k}`, values[k]]));
  let modules = 0;
  let failures = 0;
  let running = jobs;
  console.log(`fuzz: ${jobs} jobs, seeds ${first} + ${jobs}k + j`);
  for (let j = 0; j < jobs; j++) {
    const count = values.count === undefined ? [] : ['--count', String(Math.ceil((Number(values.count) - j) / jobs))];
    const child = spawn(process.execPath, [
      process.argv[1]!, fileURLToPath(import.meta.url), '--', ...passOn, ...count, ...(values.big ? ['--big'] : []), ...(values.fuel ? ['--fuel'] : []),
      '--seed', String((first + j) >>> 0), '--stride', String(jobs),
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    let pending = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = (pending + chunk).split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        console.log(`[${j}] ${line}`);
        const m = SUMMARY.exec(line);
        if (m !== null) { modules += Number(m[1]); failures += Number(m[2]); }
      }
    });
    child.on('close', (code) => {
      if (code !== 0 && code !== 1) failures++;
      if (--running > 0) return;
      const secs = (performance.now() - start) / 1000;
      console.log(`fuzz: ${modules} modules in all (${jobs} jobs from seed ${first}), ${failures} failing, ${(modules / secs).toFixed(1)} modules/s`);
      process.exitCode = failures > 0 ? 1 : 0;
    });
  }
}

function run(): void {
  const minutes = Number(values.minutes);
  const stride = Number(values.stride);
  const deadline = performance.now() + minutes * 60_000;
  const start = performance.now();
  let modules = 0;
  let failures = 0;
  let lastReport = start;
  let seed = first;
  const strideText = stride === 1 ? '' : ` step ${stride}`;
  const regsText = (values.registers === undefined ? '' : `, ${values.registers} singlepass registers`)
    + (values.engines === undefined ? '' : `, engines ${engines.join(',')}`)
    + (values.fuel ? ', metering fuel' : '');
  const simdText = values.simd === undefined ? ', SIMD in every fourth' : values.simd === 'all' ? ', all with SIMD' : ', no SIMD';
  console.log(`fuzz: seeds from ${first}${strideText}, ${minutes} min, ${values.big ? 'big' : 'default'} modules${simdText}${regsText}, failures to ${values.out}`);
  const count = values.count === undefined ? Infinity : Number(values.count);
  for (; modules < count && (values.count !== undefined || performance.now() < deadline); seed = (seed + stride) >>> 0) {
    const g = generate(seed, options);
    const calls = plannedCalls(g.ast, seed);
    modules++;
    const fuel = values.fuel ? fuelFor(seed) : undefined;
    const d = check(g.bytes, calls, engines, values.registers === undefined ? registersFor(seed) : Number(values.registers), fuel);
    if (d !== undefined) {
      failures++;
      // Shrinking gets up to two minutes, within the run's time.
      const s = shrink(g.ast, calls, d, Math.max(5_000, Math.min(120_000, deadline - performance.now())));
      mkdirSync(values.out, { recursive: true });
      const base = join(values.out, `seed-${seed}${values.big ? '-big' : ''}`);
      const calls2 = s.calls.map((c) => `;; ${c.name}(${c.args.map((a) => JSON.stringify(a, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).join(', ')})`);
      const regs = s.disagreement.registers === undefined ? '' : ` (WASMO_SINGLEPASS_REGISTERS=${s.disagreement.registers})`;
      const metered = fuel === undefined ? '' : ` with ${fuel} fuel`;
      writeFileSync(`${base}.wat`, `;; seed ${seed}: ${s.disagreement.engine}${regs} differs from reference${metered}\n;; reference: ${s.disagreement.expected}\n;; ${s.disagreement.engine}: ${s.disagreement.actual}\n;; calls:\n${calls2.join('\n')}\n${moduleText(s.ast)}`);
      writeFileSync(`${base}.wasm`, encodeModule(s.ast));
      console.log(`seed ${seed}${metered}: ${d.engine} differs: reference "${d.expected}" vs "${d.actual}" -> ${base}.wat`);
    }
    if (performance.now() - lastReport > 10_000) {
      lastReport = performance.now();
      const secs = (lastReport - start) / 1000;
      console.log(`${modules} modules, ${failures} failing, ${(modules / secs).toFixed(1)} modules/s`);
    }
  }
  const secs = (performance.now() - start) / 1000;
  const last = (seed - stride) >>> 0;
  console.log(`fuzz: ${modules} modules (seeds ${first}..${last}${strideText}), ${failures} failing, ${(modules / secs).toFixed(1)} modules/s`);
  process.exitCode = failures > 0 ? 1 : 0;
}
