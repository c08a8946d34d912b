// The official testsuite's WebAssembly 2.0 scripts on every engine, one test per file, against
// each engine's expected-failures file; plus the runner's own judging (NaN patterns, lanes,
// counting) on small inline scripts.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { EngineName } from '../lib/engine.js';
import { artifactSummary } from '../lib/artifact.js';
import { isError, module_parse, module_serialize, type MemoryConfig } from '../lib/index.js';
import { f32bits, f64bits, i32, refExtern, refNull, v128 } from '../lib/values.js';
import { formatVal, isNan32, isNan64, loadExpectedFailures, matches, runWast } from '../lib/wast.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const suite = process.env.WASMO_TESTSUITE ?? resolve(root, '../shared/testsuite');
const listPath = join(suite, 'wasm2.txt');
// Where a run must be complete (CI, or an explicit path), a missing testsuite is a failure, not a skip.
if ((process.env.WASMO_TESTSUITE !== undefined || process.env.CI) && !existsSync(listPath)) {
  throw new Error(`no testsuite at ${suite} (wasm2.txt missing); set WASMO_TESTSUITE`);
}
const files = existsSync(listPath) ? readFileSync(listPath, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '') : [];
if (files.length === 0) console.warn(`conformance: testsuite not found at ${suite}; set WASMO_TESTSUITE to run it`);

// Singlepass runs them all twice: as it compiles by default, and with one register per pool for
// operands, so that every operand is spilled to its slot and reloaded (the spill paths the small
// testsuite functions otherwise hardly reach). Tiered runs them with every function compiled by the
// optimizing compiler at its first call, which waits for it (WASMO_TIER_UP_THRESHOLD=0,
// WASMO_TIER_UP_WAIT=1): the testsuite's functions are mostly called a few times, so this runs
// nearly all of it on optimized code compiled one function at a time, each calling the others
// through their references. Both native tiers run the files about memory again in stores whose
// memories have no guard region, where their code checks bounds explicitly. Singlepass runs them
// all once more compiled for SSE4.1 without AVX (CompileOptions.cpuFeatures, through
// $WASMO_CPU_FEATURES): by default it uses the VEX (AVX) encodings for SIMD where the CPU has AVX,
// and this runs the SSE ones too.
const suiteFiles = files;
const memoryFiles = files.filter((f) => /^(memory|address|align|bulk|endianness|float_memory|simd_load|simd_store)/.test(f));
const noGuard: MemoryConfig = { reservation: 2 ** 32, guard: 0 };
const engines: readonly {
  readonly engine: EngineName; readonly files: readonly string[]; readonly registers?: number; readonly memory?: MemoryConfig;
  readonly cpuFeatures?: string;
}[] = [
  { engine: 'reference', files },
  { engine: 'v8', files },
  { engine: 'singlepass', files },
  { engine: 'singlepass', files, registers: 1 },
  { engine: 'singlepass', files, cpuFeatures: 'popcnt,sse4.1' },
  { engine: 'optimizing', files },
  { engine: 'tiered', files },
  { engine: 'singlepass', files: memoryFiles, memory: noGuard },
  { engine: 'optimizing', files: memoryFiles, memory: noGuard },
];

for (const { engine, files, registers, memory, cpuFeatures } of engines) {
  const title = `WebAssembly 2.0 testsuite on ${engine}${registers === undefined ? '' : ` with ${registers} operand register(s)`}${
    memory === undefined ? '' : ', memories without guard pages (explicit bounds checks)'}${
    cpuFeatures === undefined ? '' : ` compiled for the CPU features ${cpuFeatures}`}`;
  describe.skipIf(files.length === 0)(title, () => {
    if (engine === 'tiered') {
      beforeAll(() => Object.assign(process.env, { WASMO_TIER_UP_THRESHOLD: '0', WASMO_TIER_UP_WAIT: '1' }));
      afterAll(() => { delete process.env['WASMO_TIER_UP_THRESHOLD']; delete process.env['WASMO_TIER_UP_WAIT']; });
    }
    if (registers !== undefined) {
      // Read by the singlepass compiler at each compile (host-shim/compiler/singlepass).
      beforeAll(() => { process.env['WASMO_SINGLEPASS_REGISTERS'] = String(registers); });
      afterAll(() => { delete process.env['WASMO_SINGLEPASS_REGISTERS']; });
      test('the register limit reaches the compiler: the same code compiles differently', () => {
        const text = '(module (func (export "f") (param i32 i32) (result i32) (i32.add (i32.mul (local.get 0) (local.get 1)) (i32.sub (local.get 0) (local.get 1)))))';
        const artifact = (): Uint8Array => {
          const m = module_parse(text);
          if (isError(m)) throw new Error(m.message);
          const bytes = module_serialize(m);
          if (isError(bytes)) throw new Error(bytes.message);
          return bytes;
        };
        const limited = artifact();
        delete process.env['WASMO_SINGLEPASS_REGISTERS'];
        const [unlimited, again] = [artifact(), artifact()];
        process.env['WASMO_SINGLEPASS_REGISTERS'] = String(registers);
        expect(Buffer.compare(unlimited, again)).toBe(0);
        expect(Buffer.compare(limited, unlimited)).not.toBe(0);
      });
    }
    if (cpuFeatures !== undefined) {
      // Read by lib/native.ts at each compile.
      beforeAll(() => { process.env['WASMO_CPU_FEATURES'] = cpuFeatures; });
      afterAll(() => { delete process.env['WASMO_CPU_FEATURES']; });
      test('the feature set reaches the compiler: SIMD code records SSE4.1 and not AVX', () => {
        const m = module_parse('(module (func (export "f") (param v128 v128) (result v128) (i32x4.add (local.get 0) (local.get 1))))');
        if (isError(m)) throw new Error(m.message);
        const bytes = module_serialize(m);
        if (isError(bytes)) throw new Error(bytes.message);
        expect(artifactSummary(bytes).cpuFeatures).toEqual(cpuFeatures.split(',').filter((f) => f === 'sse4.1'));
      });
    }
    const expectedPath = join(root, 'test/expected-failures', `${engine}.json`);
    const expected = loadExpectedFailures(expectedPath);
    const unexpectedPasses: string[] = [];

    test('every expected failure names a file of the suite', () => {
      const unknown = Object.keys(expected).filter((key) => !suiteFiles.includes(key.replace(/:\d+$/, '')));
      expect(unknown).toEqual([]);
    });

    for (const file of files) {
      test(file, () => {
        const r = runWast(join(suite, 'core', file), { engine, expected, ...(memory === undefined ? {} : { memory }) });
        for (const p of r.reports) if (p.outcome === 'unexpected-pass') unexpectedPasses.push(`${file}:${p.line} (${p.reason})`);
        const failures = r.reports.filter((p) => p.outcome === 'failed').map((p) => `${file}:${p.line} ${p.command}: ${p.message}`);
        // Enough lines to diagnose without flooding the report of a badly broken engine.
        expect(failures.slice(0, 40), `${failures.length} unexpected failures`).toEqual([]);
      }, 300_000);
    }

    afterAll(() => {
      if (unexpectedPasses.length > 0) {
        console.warn(`${engine}: ${unexpectedPasses.length} unexpected passes; remove them from ${expectedPath}:\n  ${unexpectedPasses.join('\n  ')}`);
      }
    });
  });
}

describe('result matching', () => {
  test('nan:canonical accepts only the canonical payload, of either sign', () => {
    expect(isNan32(0x7fc00000, 'nan:canonical')).toBe(true);
    expect(isNan32(0xffc00000, 'nan:canonical')).toBe(true);
    expect(isNan32(0x7fc00001, 'nan:canonical')).toBe(false);
    expect(isNan32(0x7f800001, 'nan:canonical')).toBe(false);
    expect(isNan64(0x7ff8000000000000n, 'nan:canonical')).toBe(true);
    expect(isNan64(0xfff8000000000000n, 'nan:canonical')).toBe(true);
    expect(isNan64(0x7ff8000000000001n, 'nan:canonical')).toBe(false);
  });

  test('nan:arithmetic accepts any quiet NaN and no signalling one or infinity', () => {
    expect(isNan32(0x7fc00001, 'nan:arithmetic')).toBe(true);
    expect(isNan32(0xffffffff, 'nan:arithmetic')).toBe(true);
    expect(isNan32(0x7f800001, 'nan:arithmetic')).toBe(false);
    expect(isNan32(0x7f800000, 'nan:arithmetic')).toBe(false);
    expect(isNan64(0x7ffc000000000000n, 'nan:arithmetic')).toBe(true);
    expect(isNan64(0x7ff4000000000000n, 'nan:arithmetic')).toBe(false);
  });

  test('values match by exact bits and type', () => {
    expect(matches({ kind: 'value', value: { type: 'f32', bits: 0x7fc00000 } }, f32bits(0x7fc00000))).toBe(true);
    expect(matches({ kind: 'value', value: { type: 'f32', bits: 0x7fc00000 } }, f32bits(0x7fc00001))).toBe(false);
    expect(matches({ kind: 'value', value: { type: 'f32', bits: 0 } }, f32bits(0x80000000))).toBe(false);
    expect(matches({ kind: 'value', value: { type: 'i32', value: 1 } }, f32bits(1))).toBe(false);
    expect(matches({ kind: 'value', value: { type: 'ref.null', heaptype: 'func' } }, refNull('func'))).toBe(true);
    expect(matches({ kind: 'value', value: { type: 'ref.null', heaptype: 'func' } }, refNull('extern'))).toBe(false);
    expect(matches({ kind: 'value', value: { type: 'ref.extern', host: 3 } }, refExtern(3))).toBe(true);
    expect(matches({ kind: 'value', value: { type: 'ref.extern', host: 3 } }, refExtern(4))).toBe(false);
    expect(matches({ kind: 'anyref', heaptype: 'extern' }, refExtern(4))).toBe(true);
    expect(matches({ kind: 'anyref', heaptype: 'extern' }, refNull('extern'))).toBe(false);
  });

  test('either matches when one option does', () => {
    const either = { kind: 'either', options: [{ kind: 'value', value: { type: 'i32', value: 1 } }, { kind: 'value', value: { type: 'i32', value: 2 } }] } as const;
    expect(matches(either, i32(2))).toBe(true);
    expect(matches(either, i32(3))).toBe(false);
  });

  test('v128 lane patterns judge each lane by its own pattern', () => {
    const bytes = new Uint8Array(16);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 0x7fc00000, true);
    view.setUint32(4, 0x7fc00001, true);
    view.setUint32(8, 0x3f800000, true);
    view.setUint32(12, 0xffc00000, true);
    const lanes = (l1: 'nan:canonical' | 'nan:arithmetic') => ({
      kind: 'v128lanes', shape: 'f32x4',
      lanes: [{ nan: 'nan:canonical' }, { nan: l1 }, { bits: 0x3f800000 }, { nan: 'nan:canonical' }],
    } as const);
    expect(matches(lanes('nan:arithmetic'), v128(bytes))).toBe(true);
    expect(matches(lanes('nan:canonical'), v128(bytes))).toBe(false);
    const f64x2 = new Uint8Array(16);
    new DataView(f64x2.buffer).setBigUint64(8, 0x3ff0000000000000n, true);
    expect(matches({ kind: 'v128lanes', shape: 'f64x2', lanes: [{ bits: 0n }, { bits: 0x3ff0000000000000n }] }, v128(f64x2))).toBe(true);
    expect(matches({ kind: 'v128lanes', shape: 'f64x2', lanes: [{ bits: 0n }, { nan: 'nan:arithmetic' }] }, v128(f64x2))).toBe(false);
  });

  test('formatVal writes wasm text constants', () => {
    expect(formatVal(i32(-1))).toBe('-1');
    expect(formatVal(f32bits(0x3dcccccd))).toBe('0.1');
    expect(formatVal(f32bits(0x7fc00000))).toBe('nan');
    expect(formatVal(f32bits(0xff800000))).toBe('-inf');
    expect(formatVal(f32bits(0x7f800001))).toBe('nan:0x1');
    expect(formatVal(f32bits(0x80000000))).toBe('-0');
    expect(formatVal(f64bits(0x3ff8000000000000n))).toBe('1.5');
    expect(formatVal(f64bits(0xfff8000000000000n))).toBe('-nan');
  });
});

describe('runner', () => {
  const script = `
    (module (func (export "one") (result i32) (i32.const 1))
            (func (export "nan") (result f32) (f32.const nan:0x600000))
            (global (export "g") i32 (i32.const 7)))
    (assert_return (invoke "one") (i32.const 1))
    (assert_return (invoke "one") (i32.const 2))
    (assert_return (invoke "nan") (f32.const nan:arithmetic))
    (assert_return (get "g") (i32.const 7))
    (assert_trap (invoke "one") "unreachable")
    (assert_invalid (module (func (result i32))) "type mismatch")
    (assert_malformed (module quote "(func (i32.add2))") "unknown operator")
    (assert_unlinkable (module (import "spectest" "nothing" (func))) "unknown import")
    (module (import "spectest" "print_i32" (func (param i32))) (import "spectest" "global_i32" (global i32))
            (import "spectest" "table" (table 10 funcref)) (import "spectest" "memory" (memory 1)))
    (assert_return (invoke "one") (i32.const 1))
  `;

  test('counts passes and failures per command and goes on after a failure', () => {
    const r = runWast({ text: script, name: 'inline.wast' }, { engine: 'reference' });
    expect(r.reports.map((p) => [p.line, p.outcome])).toEqual([[6, 'failed'], [9, 'failed'], [15, 'failed']]);
    expect(r.reports[0]!.message).toBe('result 0: expected i32 2, got i32 1');
    expect(r.reports[1]!.message).toMatch(/^expected trap error "unreachable", got results i32 1/);
    // The module at line 13 instantiated from spectest, so line 15 invokes on it and fails for want of "one".
    expect(r.reports[2]!.message).toMatch(/^export failed unexpectedly/);
    expect([r.passed, r.failed, r.expectedFailures, r.unexpectedPasses]).toEqual([8, 3, 0, 0]);
  });

  test('expected failures are counted as such, and listed passes as unexpected', () => {
    const expected = { 'inline.wast:6': 'demo', 'inline.wast:5': 'passes really' };
    const r = runWast({ text: script, name: 'inline.wast' }, { engine: 'reference', expected });
    expect([r.passed, r.failed, r.expectedFailures, r.unexpectedPasses]).toEqual([7, 2, 1, 1]);
    expect(r.reports.find((p) => p.line === 5)).toMatchObject({ outcome: 'unexpected-pass', reason: 'passes really' });
  });

  test('commands on a module that failed say which one', () => {
    const text = '(module $M (func (result i32)))\n(assert_return (invoke "f"))\n(assert_return (invoke $M "f"))\n(assert_return (invoke $N "f"))\n';
    const r = runWast({ text, name: 'cascade.wast' }, { engine: 'reference' });
    expect(r.reports.map((p) => p.message)).toEqual([
      expect.stringMatching(/^instantiation failed unexpectedly: invalid: type mismatch/),
      'no current module: the module at line 1 failed',
      'no module $M: the module at line 1 failed',
      'no module $N',
    ]);
  });

  test('a script that does not parse is one failure', () => {
    const r = runWast({ text: '(module', name: 'broken.wast' }, { engine: 'reference' });
    expect([r.passed, r.failed]).toEqual([0, 1]);
    expect(r.reports[0]!.message).toMatch(/^script does not parse/);
  });
});
