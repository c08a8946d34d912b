// The compute kernels (bench/kernels/*.c) and how they are built: to wasm32 with clang-19, freestanding,
// and to a native executable with clang -O2 and bench/native-main.c as its driver.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Kernel {
  readonly name: string;
  /** The size run on every engine: native code takes some tens of milliseconds. */
  readonly n: number;
  /** A reduced size that the reference interpreter runs in about a second or less. */
  readonly smallN: number;
  /** Built for wasm with -msimd128: clang vectorizes its loops with 128-bit SIMD. */
  readonly simd?: boolean;
}

export const KERNELS: readonly Kernel[] = [
  { name: 'matmul', n: 512, smallN: 64 },
  { name: 'jacobi2d', n: 1024, smallN: 64 },
  { name: 'heapsort', n: 500_000, smallN: 10_000 },
  { name: 'crc32', n: 300, smallN: 30 },
  { name: 'sha256', n: 300_000, smallN: 3_000 },
  { name: 'nbody', n: 1_000_000, smallN: 3_000 },
  { name: 'fib', n: 36, smallN: 30 },
  { name: 'simdmix', n: 1000, smallN: 5, simd: true },
];

/** The checkout's root, from bench/ or dist/bench/. */
const sourceRoot = fileURLToPath(new URL(import.meta.url.includes('/dist/bench/') ? '../../' : '../', import.meta.url));
export const benchSource = join(sourceRoot, 'bench');
export const buildDir = join(sourceRoot, 'build', 'bench');

export const CLANG = process.env['WASMO_CLANG'] ?? 'clang-19';

/** clang's version line, or an Error saying what to install. */
export function clangVersion(): string | Error {
  try {
    return execFileSync(CLANG, ['--version'], { encoding: 'utf8' }).split('\n')[0]!;
  } catch {
    return new Error(`${CLANG} is not installed: run scripts/debian-deps.sh (Debian packages clang-19 and lld-19)`);
  }
}

/**
 * Freestanding wasm32: no libc, one export. Only the MVP's features plus what clang-19 turns on by
 * default; the kernels take no function pointers, so the module has no table.
 */
export const WASM_FLAGS = ['--target=wasm32', '-nostdlib', '-O2', '-fno-exceptions', '-Wl,--no-entry', '-Wl,--export=run'];
export const NATIVE_FLAGS = ['-O2'];

/** Builds kernel `name` to wasm and native code under build/bench/; returns the two paths. */
export function buildKernel(name: string): { readonly wasm: string; readonly native: string } {
  const simd = KERNELS.find((k) => k.name === name)?.simd === true;
  mkdirSync(buildDir, { recursive: true });
  const source = join(benchSource, 'kernels', `${name}.c`);
  const wasm = join(buildDir, `${name}.wasm`);
  const native = join(buildDir, name);
  execFileSync(CLANG, [...WASM_FLAGS, ...(simd ? ['-msimd128'] : []), source, '-o', wasm], { stdio: ['ignore', 'inherit', 'inherit'] });
  execFileSync(CLANG, [...NATIVE_FLAGS, source, join(benchSource, 'native-main.c'), '-o', native], { stdio: ['ignore', 'inherit', 'inherit'] });
  return { wasm, native };
}
