// Whole runs of a real WASI program, from process start to exit, in one run:
// node:wasi (bench/wasi-node.ts, V8 compiling every time), and per wasmo engine `wasmo run` cold
// (an empty compile cache: decode, compile, write the cache) and cached (the cache's artifact mapped).
// With --v8-tiers, node:wasi also with each V8 tier alone (Liftoff only, TurboFan only), so that a
// long-running program's figures compare the code generators, as sightglass's programs would.
// --cached-only leaves out the cold runs (the cache is filled once, untimed, before the first run):
// the optimizing engine's compile of a large program takes minutes.
//
//   node dist/bench/programs.js [--reps N] [--engine E]... [--v8-tiers] [--cached-only] [--stdin FILE]
//     [--dir HOST::GUEST]... PROG.wasm [ARG...]
//
// Programs are not part of the repository; npm has some, e.g. `npm install @esbuild/wasi-preview1`
// gives node_modules/@esbuild/wasi-preview1/esbuild.wasm. Each figure is the minimum of --reps
// runs (default 5); every run's output must be the same on all, or the bench says so.

import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from './measure.js';
import { scriptArgs } from './args.js';

// Options come before PROG.wasm; everything after it is the program's.
const argv = process.argv.slice(2);
const at = argv.findIndex((a, i) => !a.startsWith('--') && (i === 0 || !['--reps', '--stdin', '--dir', '--engine'].includes(argv[i - 1]!)));
const USAGE = 'node dist/bench/programs.js [--reps N] [--engine E]... [--v8-tiers] [--cached-only] [--stdin FILE] [--dir HOST::GUEST]... PROG.wasm [ARG...]';
const { values } = scriptArgs(USAGE, {
  args: at < 0 ? argv : argv.slice(0, at),
  options: {
    reps: { type: 'string', default: '5' },
    stdin: { type: 'string' },
    dir: { type: 'string', multiple: true, default: [] },
    engine: { type: 'string', multiple: true, default: ['singlepass'] },
    'v8-tiers': { type: 'boolean', default: false },
    'cached-only': { type: 'boolean', default: false },
  },
});
const [program, ...args] = at < 0 ? [] : argv.slice(at);
if (program === undefined) {
  console.error(`usage: ${USAGE}`);
  process.exit(2);
}
const reps = Number(values.reps);
const cli = fileURLToPath(new URL('../lib/cli.js', import.meta.url));
const nodeWasi = fileURLToPath(new URL('./wasi-node.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'wasmo-bench-programs-'));
const outFile = join(scratch, 'stdout');

/**
 * One run: wall time in ms and what it printed. Standard input and output are files, not pipes:
 * node:wasi writes to a non-blocking pipe as if EAGAIN were the end, and loses output.
 */
function run(argv: readonly string[]): { ms: number; output: string } {
  const stdin = openSync(values.stdin ?? '/dev/null', 'r');
  const stdout = openSync(outFile, 'w');
  try {
    const start = performance.now();
    const p = spawnSync(process.execPath, argv, { stdio: [stdin, stdout, 'pipe'], maxBuffer: 1 << 28 });
    const ms = performance.now() - start;
    if (p.status !== 0) throw new Error(`${argv.join(' ')}: exit status ${p.status}: ${p.stderr.toString().trim().split('\n').slice(-3).join(' | ')}`);
    return { ms, output: readFileSync(outFile, 'latin1') };
  } finally {
    closeSync(stdin);
    closeSync(stdout);
  }
}

const dirs = values.dir.flatMap((d) => ['--dir', d]);
const cache = mkdtempSync(join(tmpdir(), 'wasmo-bench-cache-'));
const wasmo = (engine: string): string[] =>
  ['--no-warnings', cli, 'run', '--engine', engine, '--cache', cache, ...dirs, program, ...args];
const node = (v8: readonly string[]): string[] =>
  ['--no-warnings', '--no-turbo-fast-api-calls', ...v8, nodeWasi, ...dirs, program, ...args];
/** Each row's command, run in this order; a cold run empties the cache first. */
const rows: { name: string; argv: string[]; cold?: true }[] = [
  { name: 'node:wasi', argv: node([]) },
  ...(values['v8-tiers'] ? [
    // Lazy compilation (V8's default) kept, unlike bench/measure.ts's tiers for kernels: a program
    // runs a fraction of its functions, and compiling the rest up front would dominate its time.
    { name: 'node:wasi Liftoff only', argv: node(['--liftoff-only']) },
    { name: 'node:wasi TurboFan only', argv: node(['--no-liftoff']) },
  ] : []),
  ...values.engine.flatMap((e) => [
    ...(values['cached-only'] ? [] : [{ name: `wasmo ${e} cold`, argv: wasmo(e), cold: true as const }]),
    { name: `wasmo ${e} cached`, argv: wasmo(e) },
  ]),
];
if (values['cached-only']) for (const e of values.engine) run(wasmo(e));
const times = new Map(rows.map((r) => [r.name, [] as number[]]));
let expected: string | undefined;
try {
  for (let i = 0; i < reps; i++) {
    for (const row of rows) {
      if (row.cold) rmSync(cache, { recursive: true, force: true });
      const r = run(row.argv);
      expected ??= r.output;
      if (r.output !== expected) {
        const [want, got] = [join(tmpdir(), 'programs-node-wasi.out'), join(tmpdir(), 'programs-differs.out')];
        writeFileSync(want, expected, 'latin1');
        writeFileSync(got, r.output, 'latin1');
        throw new Error(`${row.name} printed something else than node:wasi (the two outputs: ${want}, ${got})`);
      }
      times.get(row.name)!.push(r.ms);
    }
  }
} finally {
  rmSync(cache, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
}
const best = (name: string): number => Math.min(...times.get(name)!);
const versus = ['node:wasi', ...(values['v8-tiers'] ? ['node:wasi Liftoff only', 'node:wasi TurboFan only'] : [])];
console.log(`${program} ${args.join(' ')}: whole runs, min of ${reps}, same output on all`);
console.log(table([
  ['run', 'ms', ...versus.map((v) => `vs ${v.replace('node:wasi ', '')}`)],
  ...rows.map(({ name }) => [name, best(name).toFixed(0), ...versus.map((v) => `${(best(name) / best(v)).toFixed(2)}×`)]),
]));
