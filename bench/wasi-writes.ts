// `npm run bench:wasi`: a syscall-heavy WASI program (bench/wasi/writes.c: N writes of 16 bytes,
// unbuffered) on wasmo's engines and on node:wasi, each in its own process with stdout on
// /dev/null; prints the time per write each reports and the ratio to node:wasi. One run each.
//
//   node dist/bench/wasi-writes.js [--writes N] [--reference-writes N]

import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { scriptArgs } from './args.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const { values } = scriptArgs('node dist/bench/wasi-writes.js [--writes N] [--reference-writes N]', { options: { writes: { type: 'string', default: '200000' }, 'reference-writes': { type: 'string', default: '20000' } } });
const writes = Number(values.writes);
const referenceWrites = Number(values['reference-writes']);

const out = join(root, 'build/bench');
mkdirSync(out, { recursive: true });
const program = join(out, 'wasi-writes.wasm');
const cc = spawnSync(join(root, 'scripts/wasi-cc.sh'), [join(root, 'bench/wasi/writes.c'), '-o', program], { encoding: 'utf8' });
if (cc.status !== 0) throw new Error(`cannot compile bench/wasi/writes.c: ${cc.stderr}`);

interface Row { readonly label: string; readonly nsPerWrite: number; readonly wallMs: number }

/** Runs one runtime's process; the program reports its loop time on stderr. */
function measure(label: string, args: readonly string[], n: number): Row {
  const devnull = openSync('/dev/null', 'w');
  const start = performance.now();
  const p = spawnSync(process.execPath, [...args, program, String(n)], { stdio: ['ignore', devnull, 'pipe'], encoding: 'utf8' });
  const wallMs = performance.now() - start;
  closeSync(devnull);
  const m = /writes=(\d+) ns=(\d+)/.exec(p.stderr);
  if (p.status !== 0 || m === null) throw new Error(`${label} failed (status ${p.status}): ${p.stderr}`);
  return { label, nsPerWrite: Number(m[2]) / Number(m[1]), wallMs };
}

const cli = join(root, 'dist/lib/cli.js');
const rows: Row[] = [
  measure('node:wasi (--no-turbo-fast-api-calls)', ['--no-turbo-fast-api-calls', join(root, 'dist/bench/wasi-node.js')], writes),
  measure('wasmo --engine v8', [cli, 'run', '--engine', 'v8'], writes),
  measure('wasmo --engine singlepass', [cli, 'run', '--engine', 'singlepass'], writes),
  measure('wasmo --engine reference', [cli, 'run', '--engine', 'reference'], referenceWrites),
];
const base = rows[0]!.nsPerWrite;
console.log(`${writes} writes of 16 bytes to /dev/null (reference engine: ${referenceWrites}), one run each`);
console.log(`${'runtime'.padEnd(40)}${'ns/write'.padStart(10)}${'× node:wasi'.padStart(13)}${'process ms'.padStart(12)}`);
for (const r of rows) {
  console.log(`${r.label.padEnd(40)}${r.nsPerWrite.toFixed(0).padStart(10)}${(r.nsPerWrite / base).toFixed(2).padStart(13)}${r.wallMs.toFixed(0).padStart(12)}`);
}
