// The optimizing compiler's LLVM half is a library of its own, libwasmo-llvm.so, that libwasmo.so
// opens from its own folder on first use (host-shim/compiler/optimizing/llvm_library.h): a process
// that runs singlepass code never maps it, and where it is missing or broken an optimizing compile
// fails with an error naming the file, tier-up leaves functions on singlepass code, singlepass
// works, and so does optimized code from an artifact (the loader is wasmo's own). Each case runs in
// a process of its own (the built package in dist/, the library from a folder of the test's
// making), since a library once loaded stays.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const built = join(root, 'build/native');

/** node with `args` in a process whose libwasmo.so is `lib`. */
function node(lib: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, args, { encoding: 'utf8', env: { ...process.env, WASMO_NATIVE_LIB: lib }, timeout: 60_000 });
}

/** Runs `f` (i32.mul by 3) of 4 on each engine in a fresh process whose libwasmo.so is `lib`:
 *  the result or the error, tier-up's stats, and whether libwasmo-llvm.so is mapped after each. */
function runEngines(lib: string): Record<string, { result?: number; error?: string; stats?: unknown; llvm: boolean }> {
  const script = `
    import { readFileSync } from 'node:fs';
    import * as w from ${JSON.stringify(pathToFileURL(join(root, 'dist/lib/index.js')).href)};
    const llvm = () => readFileSync('/proc/self/maps', 'utf8').includes('libwasmo-llvm.so');
    const m = w.module_parse('(module (func (export "f") (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3))))');
    const run = (engine) => {
      const store = w.store_init({ engine, ...(engine === 'tiered' ? { tierUp: { threshold: 0, wait: true } } : {}) });
      const [s, inst] = w.module_instantiate(store, m, []);
      if (w.isError(inst)) return { error: inst.message, llvm: llvm() };
      const [, r] = w.func_invoke(s, w.instance_export(inst, 'f'), [w.i32(4)]);
      const stats = engine === 'tiered' ? { stats: w.module_tier_up_stats(m, { wait: 10000 }) } : {};
      return { ...(w.isError(r) ? { error: r.message } : { result: r[0].value }), ...stats, llvm: llvm() };
    };
    const out = {};
    for (const engine of ['singlepass', 'tiered', 'optimizing']) out[engine] = run(engine);
    console.log(JSON.stringify(out));`;
  const r = node(lib, ['--input-type=module', '-e', script]);
  if (r.status !== 0) throw new Error(`the child failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as ReturnType<typeof runEngines>;
}

const folders: string[] = [];

/** A folder with a copy of libwasmo.so and, if given, `llvm` as its libwasmo-llvm.so. */
function folder(llvm?: (path: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'wasmo-llvm-'));
  folders.push(dir);
  copyFileSync(join(built, 'libwasmo.so'), join(dir, 'libwasmo.so'));
  llvm?.(join(dir, 'libwasmo-llvm.so'));
  return dir;
}

describe('the optimizing compiler library', () => {
  beforeAll(() => {
    for (const file of ['dist/lib/index.js', 'dist/lib/cli.js', 'build/native/libwasmo.so', 'build/native/libwasmo-llvm.so']) {
      if (!existsSync(join(root, file))) throw new Error(`${file} is missing: run \`npm run build\` first`);
    }
  });
  afterAll(() => {
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  });

  it('is loaded by the first optimizing compile (tier-up here), not by singlepass', () => {
    expect(runEngines(join(built, 'libwasmo.so'))).toEqual({
      singlepass: { result: 12, llvm: false },
      tiered: { result: 12, stats: { optimized: 1, refused: 0, pending: 0 }, llvm: true },
      optimizing: { result: 12, llvm: true },
    });
  });

  it('missing: the optimizing compile names the file, tier-up refuses, singlepass runs', () => {
    const dir = folder();
    const missing = join(dir, 'libwasmo-llvm.so');
    expect(runEngines(join(dir, 'libwasmo.so'))).toEqual({
      singlepass: { result: 12, llvm: false },
      tiered: { result: 12, stats: { optimized: 0, refused: 1, pending: 0 }, llvm: false },
      optimizing: {
        error: `the optimizing compiler is not available: cannot load ${missing}: cannot open shared object file: No such file or directory`,
        llvm: false,
      },
    });
  });

  it('not a library, or not this one: the optimizing compile says which, singlepass runs', () => {
    const empty = folder((path) => writeFileSync(path, ''));
    const other = folder((path) => copyFileSync(join(built, 'libwasmo.so'), path));
    const optimizing = (dir: string): unknown => {
      const r = runEngines(join(dir, 'libwasmo.so'));
      expect(r['singlepass']).toEqual({ result: 12, llvm: false });
      return r['optimizing']?.error;
    };
    expect(optimizing(empty)).toBe(`the optimizing compiler is not available: cannot load ${join(empty, 'libwasmo-llvm.so')}: file too short`);
    expect(optimizing(other)).toBe(`the optimizing compiler is not available: ${join(other, 'libwasmo-llvm.so')} has no wasmo_llvm_compiler`);
  });

  it('is not needed to run optimized code from an artifact', () => {
    const dir = folder();
    const cli = (lib: string, ...args: string[]): unknown => {
      const r = node(lib, [join(root, 'dist/lib/cli.js'), ...args]);
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    };
    const artifact = join(dir, 'add.cwasm');
    expect(cli(join(built, 'libwasmo.so'), 'compile', '--engine', 'optimizing', join(root, 'examples/add.wat'), '-o', artifact))
      .toEqual({ status: 0, stdout: '', stderr: '' });
    expect(cli(join(dir, 'libwasmo.so'), 'run', '--allow-precompiled', '--invoke', 'add', artifact, '2', '3'))
      .toEqual({ status: 0, stdout: '5\n', stderr: '' });
  });
});
