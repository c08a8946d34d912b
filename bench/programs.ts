// Whole runs of a real WASI program, from process start to exit, in one run:
// node:wasi (bench/wasi-node.ts, V8 compiling every time), `wasmo run` cold (an empty compile
// cache: decode, compile, write the cache) and `wasmo run` cached (the cache's artifact mapped).
//
//   node dist/bench/programs.js [--reps N] [--stdin FILE] [--dir HOST::GUEST]... PROG.wasm [ARG...]
//
// Programs are not part of the repository; npm has some, e.g. `npm install @esbuild/wasi-preview1`
// gives node_modules/@esbuild/wasi-preview1/esbuild.wasm. Each figure is the minimum of --reps
// runs (default 5); every run's output must be the same on all three, or the bench says so.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { table } from './measure.js';

// Options come before PROG.wasm; everything after it is the program's.
const argv = process.argv.slice(2);
const at = argv.findIndex((a, i) => !a.startsWith('--') && (i === 0 || !['--reps', '--stdin', '--dir'].includes(argv[i - 1]!)));
const { values } = parseArgs({
  args: at < 0 ? argv : argv.slice(0, at),
  options: {
    reps: { type: 'string', default: '5' },
    stdin: { type: 'string' },
    dir: { type: 'string', multiple: true, default: [] },
  },
});
const [program, ...args] = at < 0 ? [] : argv.slice(at);
if (program === undefined) {
  console.error('usage: node dist/bench/programs.js [--reps N] [--stdin FILE] [--dir HOST::GUEST]... PROG.wasm [ARG...]');
  process.exit(2);
}
const reps = Number(values.reps);
const input = values.stdin === undefined ? undefined : readFileSync(values.stdin);
const cli = fileURLToPath(new URL('../lib/cli.js', import.meta.url));
const nodeWasi = fileURLToPath(new URL('./wasi-node.js', import.meta.url));

/** One run: wall time in ms and what it printed. */
function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { ms: number; output: string } {
  const start = performance.now();
  const p = spawnSync(process.execPath, argv, { input, env, maxBuffer: 1 << 28 });
  const ms = performance.now() - start;
  if (p.status !== 0) throw new Error(`${argv.join(' ')}: exit status ${p.status}: ${p.stderr.toString().trim().split('\n').slice(-3).join(' | ')}`);
  return { ms, output: p.stdout.toString() };
}

const dirs = values.dir.flatMap((d) => ['--dir', d]);
const cache = mkdtempSync(join(tmpdir(), 'wasmo-bench-cache-'));
const wasmo = ['--no-warnings', cli, 'run', '--cache', cache, ...dirs, program, ...args];
const node = ['--no-warnings', '--no-turbo-fast-api-calls', nodeWasi, ...dirs, program, ...args];
const times = { 'node:wasi': [] as number[], 'wasmo cold': [] as number[], 'wasmo cached': [] as number[] };
let expected: string | undefined;
const same = (output: string, who: string): void => {
  expected ??= output;
  if (output !== expected) throw new Error(`${who} printed something else than node:wasi`);
};
try {
  for (let i = 0; i < reps; i++) {
    let r = run(node);
    same(r.output, 'node:wasi');
    times['node:wasi'].push(r.ms);
    rmSync(cache, { recursive: true, force: true });
    r = run(wasmo);
    same(r.output, 'wasmo cold');
    times['wasmo cold'].push(r.ms);
    r = run(wasmo);
    same(r.output, 'wasmo cached');
    times['wasmo cached'].push(r.ms);
  }
} finally {
  rmSync(cache, { recursive: true, force: true });
}
const best = (xs: readonly number[]): number => Math.min(...xs);
const base = best(times['node:wasi']);
console.log(`${program} ${args.join(' ')}: whole runs, min of ${reps}, same output on all`);
console.log(table([
  ['run', 'ms', 'vs node:wasi'],
  ...Object.entries(times).map(([k, xs]) => [k, best(xs).toFixed(0), `${(best(xs) / base).toFixed(2)}×`]),
]));
