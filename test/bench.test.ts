// The benchmark harness (bench/), kept honest: every kernel computes the same checksum on every
// engine at its reduced size, and the compile-throughput module is valid on V8 and singlepass.
// The scripts' option handling too. No timing is checked here.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { bigModule } from '../bench/big-module.js';
import { compileTimes, runApi, runV8 } from '../bench/engines.js';
import { KERNELS, buildKernel, clangVersion } from '../bench/kernels.js';

describe('bench kernels', () => {
  const built = new Map<string, { readonly wasm: Uint8Array<ArrayBuffer>; readonly native: string }>();

  beforeAll(() => {
    const clang = clangVersion();
    if (clang instanceof Error) throw clang;
    for (const k of KERNELS) {
      const { wasm, native } = buildKernel(k.name);
      built.set(k.name, { wasm: new Uint8Array(readFileSync(wasm)), native });
    }
  });

  it.each(KERNELS)('$name: the same checksum on native code, V8, singlepass, optimizing and the reference interpreter', (k) => {
    const { wasm, native } = built.get(k.name)!;
    const expected = (JSON.parse(execFileSync(native, [String(k.smallN), '1'], { encoding: 'utf8' })) as { checksum: number }).checksum;
    for (const result of [runV8(wasm, k.smallN, 1), runApi('singlepass', wasm, k.smallN, 1), runApi('optimizing', wasm, k.smallN, 1),
      runApi('reference', wasm, k.smallN, 1)]) {
      expect(result).toMatchObject({ checksum: expected });
    }
  });

  it('the compile-throughput module is valid on V8 and compiles on singlepass', () => {
    const big = bigModule(KERNELS.map((k) => ({ name: k.name, wasm: built.get(k.name)!.wasm })), 2);
    expect(WebAssembly.validate(big)).toBe(true);
    expect(WebAssembly.Module.exports(new WebAssembly.Module(big))).toHaveLength(2 * KERNELS.length);
    expect(compileTimes('singlepass', big, 1)).toHaveProperty('times');
  });
});

const root = fileURLToPath(new URL('..', import.meta.url));
const SCRIPTS = ['compile', 'crossings', 'main', 'programs', 'tiering', 'wasi-writes'];

describe.skipIf(!existsSync(`${root}/dist/bench/main.js`))('bench scripts, built', () => {
  it.each(SCRIPTS)('%s: --help prints the usage and exits 0; an unknown option says so, with the usage, and exits 2', (name) => {
    const script = `dist/bench/${name}.js`;
    const help = spawnSync(process.execPath, [script, '--help'], { cwd: root, encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(new RegExp(`^usage: node ${script} `));
    const bad = spawnSync(process.execPath, [script, '--no-such-option'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("Unknown option '--no-such-option'");
    expect(bad.stderr).toContain(`usage: node ${script} `);
    expect(bad.stderr).not.toContain('    at ');
  });
});
