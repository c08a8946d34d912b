// The npm package works where it is installed: the packed tarball of this (built) checkout,
// installed into a fresh project, runs a WASI program and a .wast script on the native engine
// through its `wasmo` command, with nothing of the checkout on the path.

import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const env = { ...process.env };
  delete env['WASMO_NATIVE_LIB'];
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env, timeout: 240_000 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stderr}${r.error?.message ?? ''}`);
  return r.stdout;
}

describe('the npm package', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmo-package-'));
  let tarball = '';
  let files: string[] = [];
  const wasmo = (...args: string[]): SpawnSyncReturns<string> =>
    run(join(dir, 'node_modules/.bin/wasmo'), args, dir);

  beforeAll(() => {
    for (const built of ['dist/lib/cli.js', 'dist/native/libwasmo.so', 'dist/native/libwasmo-llvm.so', 'build/examples/hello.wasm']) {
      if (!existsSync(join(root, built))) throw new Error(`${built} is missing: run \`npm run build\` first`);
    }
    // --ignore-scripts: the checkout is built already (prepack would build it again).
    const packed = JSON.parse(ok(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], root), 'npm pack')) as
      { filename: string; files: { path: string }[] }[];
    tarball = join(dir, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'uses-wasmo', version: '1.0.0', private: true }));
    ok(run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], dir), 'npm install of the tarball');
    copyFileSync(join(root, 'build/examples/hello.wasm'), join(dir, 'hello.wasm'));
    copyFileSync(join(root, 'examples/add.wast'), join(dir, 'add.wast'));
    copyFileSync(join(root, 'examples/add.wat'), join(dir, 'add.wat'));
  }, 300_000);

  test('ships the runtime, the native libraries and the license, not the sources of the tests', () => {
    expect(files).toContain('LICENSE');
    expect(files).toContain('dist/native/libwasmo.so');
    expect(files).toContain('dist/native/libwasmo-llvm.so');
    expect(files).toContain('dist/lib/cli.js');
    expect(files.filter((f) => f.startsWith('test/') || f.startsWith('dist/bench/'))).toEqual([]);
  });

  test('npx wasmo runs a WASI program on the native engine', () => {
    const r = wasmo('run', '--engine', 'singlepass', 'hello.wasm', 'package');
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: 'Hello, package!\n', stderr: '' });
  });

  test('npx wasmo runs a WASI program on the optimizing engine (its LLVM library ships beside)', () => {
    const r = wasmo('run', '--engine', 'optimizing', '--no-cache', 'hello.wasm', 'optimizer');
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: 'Hello, optimizer!\n', stderr: '' });
  });

  test('the default engine is the native one: no fallback message', () => {
    const r = wasmo('run', '--invoke', 'add', 'add.wat', '2', '3');
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: '5\n', stderr: '' });
  });

  test('wasmo wast runs a conformance script', () => {
    const r = wasmo('wast', 'add.wast', '--engine', 'singlepass');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/total \(1 files, singlepass\)/);
  });
});
