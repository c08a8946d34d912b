// Measuring in child processes, for the bench scripts: each measurement runs bench/worker.ts (or a
// native executable) in a fresh process, so node flags pick V8's tier and no engine's garbage or
// caches affect another.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerResult } from './engines.js';

const workerPath = fileURLToPath(new URL('./worker.js', import.meta.url));

/** V8's tiers as DESIGN.md's "Comparing with V8 fairly" sets them: every function compiled up front. */
export const LIFTOFF = ['--liftoff-only', '--no-wasm-lazy-compilation'];
export const TURBOFAN = ['--no-liftoff', '--no-wasm-lazy-compilation'];
/** Compile throughput is per thread: V8 would otherwise compile on background threads too. */
export const ONE_THREAD = ['--single-threaded'];

/** One engine's outcome on one measurement: a time (and the process's CPU time, when the worker
 *  measures it), or why there is none. */
export type Outcome =
  | { readonly kind: 'time'; readonly ms: number; readonly checksum?: number; readonly cpuMs?: number }
  | { readonly kind: 'unsupported'; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string };

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Runs a measuring process; the first `warmup` times it reports are dropped. */
export function measure(command: string, args: readonly string[], warmup: number): Outcome {
  const p = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (p.status !== 0) {
    const why = (p.stderr || p.error?.message || `exit status ${p.status}`).trim().split('\n').slice(-3).join(' | ');
    return { kind: 'failed', message: why };
  }
  const r = JSON.parse(p.stdout.trim().split('\n').pop()!) as WorkerResult;
  if ('unsupported' in r) return { kind: 'unsupported', message: r.unsupported };
  const ms = median(r.times.slice(warmup));
  return {
    kind: 'time', ms,
    ...(r.checksum === undefined ? {} : { checksum: r.checksum }),
    ...(r.cpu === undefined ? {} : { cpuMs: median(r.cpu.slice(warmup)) }),
  };
}

/** bench/worker.ts in a fresh node with `flags`. */
export function worker(flags: readonly string[], args: readonly (string | number)[], warmup: number): Outcome {
  return measure(process.execPath, [...flags, workerPath, ...args.map(String)], warmup);
}

/** What is running now, on a terminal only (a redirected log gets just the tables). */
export function progress(what: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[K${what === '' ? '' : `${what}…`}`);
}

export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
}
