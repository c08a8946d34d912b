// The benchmark harness (bench/), kept honest: every kernel computes the same checksum on every
// engine at its reduced size, and the compile-throughput module is valid on V8 and singlepass.
// No timing is checked here.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
