// The `wasmo` command line, called in-process through `main` with captured output; plus one run of
// the built program when dist/ exists (CI builds before testing).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { main } from '../lib/cli.js';
import { CompileCache } from '../lib/cache.js';
import {
  MAX_TRACE_FRAMES, func_invoke, i64, instance_export, isError, module_deserialize_file, module_instantiate,
  module_function_tiers, module_parse, store_init,
} from '../lib/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const example = (name: string) => join(root, 'examples', name);
const dir = mkdtempSync(join(tmpdir(), 'wasmo-cli-'));
function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function wasmo(...argv: string[]): { status: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const status = main(argv, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { status, stdout, stderr };
}

/** A user error: a non-zero status and exactly one line on stderr, with no stack trace. */
/** A trap's error line, then the backtrace: a line per frame, innermost first. */
function expectTrap(r: { status: number; stdout: string; stderr: string }, text: RegExp, frames: readonly string[]): void {
  expect(r.status).toBe(134);
  const [line, ...rest] = r.stderr.split('\n');
  expect(line).toMatch(/^wasmo: /);
  expect(line).toMatch(text);
  expect(rest).toEqual(['wasm backtrace:', ...frames.map((f, i) => `    ${i}: ${f}`), '']);
}

function expectOneLineError(r: { status: number; stdout: string; stderr: string }, text: string | RegExp): void {
  expect(r.status).not.toBe(0);
  expect(r.stderr.split('\n')).toHaveLength(2);
  expect(r.stderr).toMatch(/^wasmo: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).toMatch(text);
}

describe('wasmo', () => {
  test('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(wasmo('--version')).toEqual({ status: 0, stdout: `${pkg.version}\n`, stderr: '' });
  });

  test('--help names the commands; no command at all is a usage error', () => {
    const r = wasmo('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/run \[options\] FILE/);
    expect(r.stdout).toMatch(/wast PATH/);
    expect(wasmo().status).toBe(2);
  });

  test('each command documents every flag it takes', () => {
    const run = wasmo('run', '--help').stdout;
    for (const flag of ['--dir', '--readonly-dir', '--env', '--invoke', '--engine', '--cache', '--no-cache', '--allow-precompiled', '--help']) expect(run).toContain(flag);
    const wast = wasmo('wast', '--help').stdout;
    for (const flag of ['--engine', '--expected', '--list', '--json', '--help']) expect(wast).toContain(flag);
  });

  test('an unknown command is a usage error', () => {
    expectOneLineError(wasmo('frobnicate'), /unknown command "frobnicate"/);
  });
});

describe('wasmo run', () => {
  test('invokes a function with arguments and prints its result', () => {
    expect(wasmo('run', '--invoke', 'add', example('add.wat'), '2', '3')).toEqual({ status: 0, stdout: '5\n', stderr: '' });
  });

  test('parses arguments by parameter type: negative, hex, i64, floats', () => {
    expect(wasmo('run', '--invoke', 'add', example('add.wat'), '-7', '0x10').stdout).toBe('9\n');
    expect(wasmo('run', '--invoke', 'add', example('add.wat'), '0xffffffff', '0').stdout).toBe('-1\n');
    expect(wasmo('run', '--invoke', 'fac', example('add.wat'), '20').stdout).toBe('2432902008176640000\n');
    expect(wasmo('run', '--invoke', 'sqrt', example('add.wat'), '0x1.2p4').stdout).toBe('4.242640687119285\n');
    expect(wasmo('run', '--invoke', 'sqrt', example('add.wat'), 'inf').stdout).toBe('inf\n');
    expect(wasmo('run', '--invoke', 'sqrt', example('add.wat'), '-1').stdout).toMatch(/^-?nan\n$/);
  });

  test('prints every result on its own line, floats in wasm text form', () => {
    const path = file('multi.wat', `(module (func (export "f") (param f32) (result f32 i64 f32)
      (local.get 0) (i64.const -5) (f32.const nan:0x1234)))`);
    expect(wasmo('run', '--invoke', 'f', path, '0.1').stdout).toBe('0.1\n-5\nnan:0x1234\n');
  });

  test('takes a v128 argument as a shape and its lanes, in one argument', () => {
    const path = file('v128.wat', `(module (func (export "f") (param v128 i32) (result v128)
      (i32x4.add (local.get 0) (i32x4.splat (local.get 1)))))`);
    expect(wasmo('run', '--invoke', 'f', path, 'i32x4 1 2 3 -1', '1')).toEqual({ status: 0, stdout: 'i32x4 0x00000002 0x00000003 0x00000004 0x00000000\n', stderr: '' });
    expect(wasmo('run', '--invoke', 'f', path, 'f32x4 1.5 -0 inf nan:0x1', '0').stdout).toBe(wasmo('run', '--invoke', 'f', path, 'i32x4 0x3fc00000 0x80000000 0x7f800000 0x7f800001', '0').stdout);
    expect(wasmo('run', '--invoke', 'f', path, 'i8x16 1 2 3', '0')).toMatchObject({ status: 2, stderr: expect.stringContaining('argument 1 "i8x16 1 2 3" has 3 lanes: i8x16 needs 16') });
    expect(wasmo('run', '--invoke', 'f', path, '7', '0')).toMatchObject({ status: 2, stderr: expect.stringContaining('is not a v128 constant: give a shape and its lanes in one argument, as in "i32x4 1 2 3 4"') });
    expect(wasmo('run', '--invoke', 'f', path, 'i16x8 0 0 0 0 0 0 0 65536', '0')).toMatchObject({ status: 2, stderr: expect.stringContaining('lane "65536" out of range for i16x8') });
  });

  test('runs a binary module', () => {
    const add = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type (i32 i32) -> i32
      0x03, 0x02, 0x01, 0x00, // one function of type 0
      0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, // export "add"
      0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b, // local.get 0 local.get 1 i32.add
    ]);
    expect(wasmo('run', '--invoke', 'add', file('add.wasm', add), '40', '2').stdout).toBe('42\n');
  });

  test('on the v8 engine too', () => {
    expect(wasmo('run', '--engine', 'v8', '--invoke', 'add', example('add.wat'), '2', '3').stdout).toBe('5\n');
  });

  test('on the optimizing engine, a WASI program too', () => {
    expect(wasmo('run', '--engine', 'optimizing', '--no-cache', '--invoke', 'fac', example('add.wat'), '20').stdout).toBe('2432902008176640000\n');
    expect(wasmo('run', '--engine', 'optimizing', '--no-cache', join(root, 'build/examples/hello.wasm'), 'opt')).toMatchObject({ status: 0, stdout: 'Hello, opt!\n' });
  });

  test('without --invoke lists the exports, or calls _start when there is one', () => {
    const r = wasmo('run', example('add.wat'));
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('add: func (param i32 i32) (result i32)\n');
    expect(r.stdout).toContain('fac: func (param i64) (result i64)\n');
    const start = file('start.wat', '(module (func (export "_start") (result i32) (i32.const 42)))');
    expect(wasmo('run', start)).toEqual({ status: 0, stdout: '42\n', stderr: '' });
  });

  test('a trap is one line, the wasm backtrace and a failure', () => {
    const trap = wasmo('run', '--invoke', 'div', example('add.wat'), '1', '0');
    expectTrap(trap, /trap: integer divide by zero/, ['wasm-function[2]']);
    expect(trap.status).toBe(134);  // wasmtime's status for a trap
    // A start function's trap too; other failures stay 1.
    const start = wasmo('run', file('start-trap.wat', '(module (func $s unreachable) (start $s))'));
    expectTrap(start, /start-trap\.wat: instantiation failed: unreachable/, ['wasm-function[0]']);
    expect(start.status).toBe(134);
    expect(wasmo('run', '--invoke', 'nope', example('add.wat')).status).toBe(1);
  });

  test('call stack exhaustion is a trap: its line, the innermost frames and a failure', () => {
    const path = file('recurse.wat', '(module (func $f (export "f") (call $f)))');
    const r = wasmo('run', '--invoke', 'f', path);
    expectTrap(r, /f: exhaustion: call stack exhausted/, Array<string>(MAX_TRACE_FRAMES).fill('wasm-function[0]'));
  });

  test('file and module errors are one line each', () => {
    expectOneLineError(wasmo('run', join(dir, 'missing.wat')), /cannot read .*missing\.wat: no such file/);
    expectOneLineError(wasmo('run', file('bad.wat', '(module (func (i32.add2)))')), /malformed module: /);
    expectOneLineError(wasmo('run', file('bad.wasm', Uint8Array.from([0, 0x61, 0x73]))), /malformed module: /);
    expectOneLineError(wasmo('run', file('invalid.wat', '(module (func (result i32) (i64.const 0)))')), /invalid module: type mismatch/);
  });

  test('a module with imports is refused, naming the import', () => {
    const path = file('imports.wat', '(module (import "env" "log" (func (param i32))))');
    expectOneLineError(wasmo('run', path), /unknown import "env" "log"/);
  });

  test('argument mistakes are usage errors', () => {
    const add = example('add.wat');
    expectOneLineError(wasmo('run', '--invoke', 'add', add, '1'), /add takes 2 argument/);
    expectOneLineError(wasmo('run', '--invoke', 'add', add, '1', 'x'), /argument 2 "x" is not a valid i32 constant/);
    expectOneLineError(wasmo('run', '--invoke', 'add', add, '1', '0x100000000'), /argument 2 "0x100000000" is out of range for i32/);
    expectOneLineError(wasmo('run', '--invoke', 'nope', add), /no export named "nope"/);
    expectOneLineError(wasmo('run', '--invoke'), /--invoke needs a value/);
    expectOneLineError(wasmo('run', add, '--invoke', 'add'), /is not a WASI program, so it takes no arguments; wasmo's options \(--invoke\) go before FILE/);
    expectOneLineError(wasmo('run', '--engine', 'spidermonkey', add), /--engine takes reference, singlepass, optimizing, tiered or v8/);
    expectOneLineError(wasmo('run', '--bogus', add), /unknown option --bogus/);
    const simd = file('simd.wat', '(module (func (export "f") (result i32) (i32x4.extract_lane 0 (v128.const i32x4 1 2 3 4))))');
    expect(wasmo('run', '--engine', 'optimizing', '--invoke', 'f', simd).stdout).toBe('1\n');
    expect(wasmo('run', '--engine', 'reference', '--invoke', 'f', simd).stdout).toBe('1\n');
    expect(wasmo('run', '--invoke', 'f', simd).stdout).toBe('1\n');
    expectOneLineError(wasmo('run'), /no module file given/);
  });
});

describe('the compile cache of wasmo run', () => {
  const source = (n: number): string => `(module (func (export "f") (result i32) (i32.const ${n})))`;
  const cacheDir = (): string => mkdtempSync(join(tmpdir(), 'wasmo-cache-'));
  const entries = (cache: string): string[] => {
    const d = join(cache, 'artifacts-v1');
    return existsSync(d) ? readdirSync(d) : [];
  };

  test('the first run keeps the compiled module; the next run maps it instead of compiling', () => {
    const cache = cacheDir();
    const one = file('cached-one.wat', source(1));
    expect(wasmo('run', '--cache', cache, '--invoke', 'f', one).stdout).toBe('1\n');
    const [entry] = entries(cache);
    expect(entry).toMatch(/^[0-9a-f]{64}-[0-9a-f]{16}\.cwasm$/);
    // Put another module's code in its place: a hit runs what the entry holds.
    const two = file('cached-two.wat', source(2));
    expect(wasmo('compile', two, '-o', join(cache, 'artifacts-v1', entry!)).status).toBe(0);
    expect(wasmo('run', '--cache', cache, '--invoke', 'f', one).stdout).toBe('2\n');
  });

  test('a corrupted entry is a miss: compiled again and replaced', () => {
    const cache = cacheDir();
    const one = file('corrupt-one.wat', source(1));
    expect(wasmo('run', '--cache', cache, '--invoke', 'f', one).stdout).toBe('1\n');
    const path = join(cache, 'artifacts-v1', entries(cache)[0]!);
    writeFileSync(path, 'not an artifact');
    expect(wasmo('run', '--cache', cache, '--invoke', 'f', one)).toEqual({ status: 0, stdout: '1\n', stderr: '' });
    expect(readFileSync(path).subarray(1, 4).toString('latin1')).toBe('ELF');
  });

  test('--no-cache reads and writes nothing; other engines keep nothing', () => {
    const cache = cacheDir();
    const one = file('nocache.wat', source(1));
    expect(wasmo('run', '--cache', cache, '--no-cache', '--invoke', 'f', one).stdout).toBe('1\n');
    expect(wasmo('run', '--cache', cache, '--engine', 'reference', '--invoke', 'f', one).stdout).toBe('1\n');
    expect(entries(cache)).toEqual([]);
  });

  test('on tiered it keeps the code as each run leaves it: the next run starts with the hot functions optimized', () => {
    const cache = cacheDir();
    const program = file('tiered.wat', `(module
      (func $square (param i32) (result i32) (i32.mul (local.get 0) (local.get 0)))
      (func (export "squares") (param i32) (result i32) (local i32)
        (block $done (loop $l (br_if $done (i32.eqz (local.get 0)))
          (local.set 1 (i32.add (local.get 1) (call $square (local.get 0))))
          (local.set 0 (i32.sub (local.get 0) (i32.const 1))) (br $l)))
        (local.get 1))
      (func (export "five") (result i32) (i32.const 5)))`);
    const tiersOf = (entry: string): unknown => {
      const m = module_deserialize_file(join(cache, 'artifacts-v1', entry));
      if (isError(m)) throw new Error(m.message);
      return module_function_tiers(m);
    };
    const saved = { threshold: process.env['WASMO_TIER_UP_THRESHOLD'], wait: process.env['WASMO_TIER_UP_WAIT'] };
    const run = (threshold: number, ...args: string[]): string => {
      process.env['WASMO_TIER_UP_THRESHOLD'] = String(threshold);
      process.env['WASMO_TIER_UP_WAIT'] = '1';
      try {
        return wasmo('run', '--engine', 'tiered', '--cache', cache, '--invoke', ...args).stdout;
      } finally {
        for (const [key, value] of [['WASMO_TIER_UP_THRESHOLD', saved.threshold], ['WASMO_TIER_UP_WAIT', saved.wait]] as const) {
          if (value === undefined) delete process.env[key];
          else process.env[key] = value;
        }
      }
    };
    expect(run(100, 'squares', program, '1000')).toBe('333833500\n');
    const [entry] = entries(cache);
    expect(entry).toMatch(/^[0-9a-f]{64}-[0-9a-f]{16}-tiered\.cwasm$/);
    expect(tiersOf(entry!)).toEqual(['optimizing', 'optimizing', 'singlepass']);
    // A run that tiers nothing up leaves the entry as it is.
    const first = readFileSync(join(cache, 'artifacts-v1', entry!));
    expect(run(100, 'five', program)).toBe('5\n');
    expect(readFileSync(join(cache, 'artifacts-v1', entry!))).toEqual(first);
    // One that does rewrites it, the earlier runs' optimized code kept.
    expect(run(0, 'five', program)).toBe('5\n');
    expect(entries(cache)).toEqual([entry]);
    expect(tiersOf(entry!)).toEqual(['optimizing', 'optimizing', 'optimizing']);
    expect(run(1_000_000, 'squares', program, '10')).toBe('385\n');
    // wasmo inspect lists each function's tier.
    const r = wasmo('inspect', join(cache, 'artifacts-v1', entry!));
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(3, 4)).toEqual(['  compiler        tiered']);
    expect(lines.filter((l) => l.startsWith('  loads here') || l.startsWith('  functions'))).toEqual(['  loads here      yes', '  functions       3: 3 optimizing']);
    expect(lines.filter((l) => l.startsWith('    ')).map((l) => l.replace(/ +\d+ bytes/, ' N bytes'))).toEqual([
      '    wasm-function[0]  optimizing N bytes', '    wasm-function[1]  optimizing N bytes', '    wasm-function[2]  optimizing N bytes']);
  });

  test('wasmo inspect shows what an artifact was made for, whether it loads here, and each function', () => {
    const out = join(dir, 'inspect-me.cwasm');
    expect(wasmo('compile', file('inspect-me.wat', `(module (func $one (export "one") (result i32) (i32.const 1))
      (func (export "two") (result i32) (i32.const 2)))`), '-o', out).status).toBe(0);
    const r = wasmo('inspect', out);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`${out}: wasmo artifact, format version 3`);
    expect(lines.slice(3, 5)).toEqual(['  compiler        singlepass', '  code flags      bounds-checks=guard-pages']);
    expect(lines.slice(7, 9)).toEqual(['  loads here      yes', '  functions       2: 2 singlepass']);
    expect(lines[9]).toMatch(/^ {4}wasm-function\[0\] {2}singlepass {2} +\d+ bytes$/);
    expect(lines[10]).toMatch(/^ {4}wasm-function\[1\] {2}singlepass {2} +\d+ bytes$/);
    expectOneLineError(wasmo('inspect', file('not-an-artifact.cwasm', 'hello')), /not-an-artifact\.cwasm: not a wasmo artifact/);
  });

  test('the least recently used entries go past the bound', () => {
    const cache = cacheDir();
    const small = new CompileCache(cache, 1);
    const bytes = (n: number): Uint8Array => new TextEncoder().encode(source(n));
    const module = (n: number) => {
      const m = module_parse(source(n));
      if (isError(m)) throw new Error(m.message);
      return m;
    };
    expect(small.put(bytes(1), module(1))).toBe(true);
    expect(small.put(bytes(2), module(2))).toBe(true);
    expect(small.get(bytes(1))).toBeUndefined();
    expect(entries(cache)).toHaveLength(0);
    const roomy = new CompileCache(cache);
    roomy.put(bytes(1), module(1));
    roomy.put(bytes(2), module(2));
    expect(entries(cache)).toHaveLength(2);
    expect(roomy.get(bytes(1))).toBeDefined();
  });

  test('wasmo run --cpu-features compiles for those features, into entries of their own', () => {
    const cache = cacheDir();
    const wat = file('run-cpu.wat', `(module (func (export "f") (result i32)
      (i32x4.extract_lane 1 (i32x4.add (v128.const i32x4 1 2 3 4) (v128.const i32x4 10 20 30 40)))))`);
    expect(wasmo('run', '--cache', cache, '--cpu-features', 'popcnt,sse4.1', '--invoke', 'f', wat)).toEqual({ status: 0, stdout: '22\n', stderr: '' });
    const [entry] = entries(cache);
    expect(entry).toMatch(/-cpu=popcnt_sse4\.1\.cwasm$/);
    expect(/^ {2}CPU features +(.*)$/m.exec(wasmo('inspect', join(cache, 'artifacts-v1', entry!)).stdout)?.[1]).toBe('sse4.1');
    expect(wasmo('run', '--cache', cache, '--cpu-features=popcnt,sse4.1', '--invoke', 'f', wat).stdout).toBe('22\n');
    expect(entries(cache)).toHaveLength(1);
    expect(wasmo('run', '--cache', cache, '--invoke', 'f', wat).stdout).toBe('22\n');
    expect(entries(cache)).toHaveLength(2);
  });

  test('wasmo run --cpu-features refuses a name it does not know or a feature this CPU lacks, as a usage error', () => {
    const wat = file('run-cpu-bad.wat', source(1));
    const unknown = wasmo('run', '--cpu-features', 'sse4.1,3dnow', '--invoke', 'f', wat);
    expectOneLineError(unknown, /^wasmo: --cpu-features: unknown CPU feature "3dnow" \(known: popcnt, sse4\.1, sse4\.2, avx\)$/m);
    expect(unknown.status).toBe(2);
    // An empty name between or after commas is a mistake too, not a name left out.
    for (const list of ['sse4.1,', 'sse4.1,,popcnt', ',sse4.1']) {
      const empty = wasmo('run', '--cpu-features', list, '--invoke', 'f', wat);
      expectOneLineError(empty, /^wasmo: --cpu-features: unknown CPU feature "" \(known: /m);
      expect(empty.status).toBe(2);
    }
    const hostFlags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? [];
    for (const f of ['popcnt', 'sse4.1', 'sse4.2', 'avx'].filter((f) => !hostFlags.includes(f.replace('.', '_')))) {
      const lacking = wasmo('run', '--cpu-features', f, '--invoke', 'f', wat);
      expectOneLineError(lacking, `wasmo: --cpu-features: CPU feature ${f} is not available on this CPU`);
      expect(lacking.status).toBe(2);
    }
  });

  test('code compiled for fewer CPU features ($WASMO_CPU_FEATURES) has entries of its own', () => {
    const cache = cacheDir();
    const wat = file('cpu.wat', source(4));
    expect(wasmo('run', '--cache', cache, '--invoke', 'f', wat).stdout).toBe('4\n');
    const saved = process.env['WASMO_CPU_FEATURES'];
    process.env['WASMO_CPU_FEATURES'] = 'popcnt,sse4.1';
    try {
      expect(wasmo('run', '--cache', cache, '--invoke', 'f', wat).stdout).toBe('4\n');
      expect(wasmo('run', '--cache', cache, '--invoke', 'f', wat).stdout).toBe('4\n');
    } finally {
      if (saved === undefined) delete process.env['WASMO_CPU_FEATURES'];
      else process.env['WASMO_CPU_FEATURES'] = saved;
    }
    const names = entries(cache);
    expect(names).toHaveLength(2);
    expect(names.filter((n) => n.endsWith('-cpu=popcnt_sse4.1.cwasm'))).toHaveLength(1);
  });

  test('an entry is keyed by the CPU features the compile is given (CompileOptions.cpuFeatures), as put compiles with them', () => {
    const cache = new CompileCache(cacheDir());
    const simd = '(module (func (export "f") (param v128 v128) (result v128) (f32x4.min (local.get 0) (local.get 1))))';
    const bytes = new TextEncoder().encode(simd);
    const m = module_parse(simd);
    if (isError(m)) throw new Error(m.message);
    const sse = { cpuFeatures: ['popcnt', 'sse4.1'] };
    expect(cache.put(bytes, m, sse)).toBe(true);
    // Not the entry of a compile with all the host's features, which would run this SSE-only code.
    expect(cache.get(bytes)).toBeUndefined();
    expect(cache.get(bytes, { cpuFeatures: ['sse4.1'] })).toBeUndefined();
    expect(cache.get(bytes, sse)).toBeDefined();
    const [entry] = cache.entries();
    expect(entry!.path).toMatch(/-cpu=popcnt_sse4\.1\.cwasm$/);
    expect(/^ {2}CPU features +(.*)$/m.exec(wasmo('inspect', entry!.path).stdout)?.[1]).toBe('sse4.1');
  });

  test('wasmo cache clean empties it; a wrong action is a usage error', () => {
    const cache = cacheDir();
    expect(wasmo('run', '--cache', cache, '--invoke', 'f', file('clean.wat', source(3))).stdout).toBe('3\n');
    expect(entries(cache)).toHaveLength(1);
    const r = wasmo('cache', 'clean', '--cache', cache);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^removed \d+\.\d MiB of compiled modules from /);
    expect(entries(cache)).toEqual([]);
    expectOneLineError(wasmo('cache', 'wipe'), /cache: unknown action "wipe"/);
  });
});

describe('wasmo wast', () => {
  const failing = file('failing.wast', '(module (func (export "one") (result i32) (i32.const 1)))\n(assert_return (invoke "one") (i32.const 2))\n');

  test('runs a script and prints a table with totals', () => {
    const r = wasmo('wast', example('add.wast'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^file\s+passed\s+failed\s+xfail\s+xpass\s+ms\n/);
    expect(r.stdout).toMatch(/\nadd\.wast\s+10\s+0\s+0\s+0\s+\d+\n/);
    expect(r.stdout).toMatch(/\ntotal \(1 files, singlepass\)\s+10\s+0\s+0\s+0\s+\d+\n/);
  });

  test('on the v8 engine', () => {
    expect(wasmo('wast', '--engine', 'v8', example('add.wast')).stdout).toMatch(/total \(1 files, v8\)\s+10\s+0/);
  });

  test('a failing command fails the run and is named', () => {
    const r = wasmo('wast', failing);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('FAIL failing.wast:2 assert_return: result 0: expected i32 2, got i32 1\n');
  });

  test('--expected excuses listed failures and reports listed passes', () => {
    const expected = file('expected.json', JSON.stringify({ 'failing.wast:2': 'demo', 'add.wast:14': 'not really' }));
    const r = wasmo('wast', '--expected', expected, failing, example('add.wast'));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\nfailing\.wast\s+1\s+0\s+1\s+0/);
    expect(r.stdout).toContain('XPASS add.wast:14 assert_return (listed as: not really)\n');
    expectOneLineError(wasmo('wast', '--expected', file('bad.json', '[1]'), failing), /--expected .*bad\.json/);
  });

  test('--json prints the results as one document', () => {
    const r = wasmo('wast', '--json', failing);
    const doc = JSON.parse(r.stdout) as { engine: string; totals: { passed: number; failed: number }; files: { file: string }[] };
    expect(doc.engine).toBe('singlepass');
    expect(doc.totals).toMatchObject({ files: 1, passed: 1, failed: 1 });
    expect(doc.files[0]!.file).toBe('failing.wast');
  });

  test('a directory stands for its .wast files; --list picks files by name', () => {
    const listDir = mkdtempSync(join(tmpdir(), 'wasmo-list-'));
    writeFileSync(join(listDir, 'b.wast'), '(module)\n');
    writeFileSync(join(listDir, 'a.wast'), '(module)\n(module)\n');
    writeFileSync(join(listDir, 'notes.txt'), 'not a script');
    expect(wasmo('wast', listDir).stdout).toMatch(/\na\.wast\s+2.*\nb\.wast\s+1.*\ntotal \(2 files/s);
    const list = join(listDir, 'list.txt');
    writeFileSync(list, '# just one\nb.wast\n');
    expect(wasmo('wast', '--list', list).stdout).toMatch(/\nb\.wast\s+1.*\ntotal \(1 files/s);
    expect(wasmo('wast', listDir, '--list', list).stdout).toMatch(/total \(1 files/);
    writeFileSync(list, 'c.wast\n');
    expectOneLineError(wasmo('wast', '--list', list), /c\.wast \(from .*\) is not in/);
  });

  test('command-line mistakes', () => {
    expectOneLineError(wasmo('wast', join(dir, 'none.wast')), /no such file or directory: .*none\.wast/);
    expectOneLineError(wasmo('wast'), /no \.wast files given/);
    expectOneLineError(wasmo('wast', '--engine'), /--engine needs a value/);
    expectOneLineError(wasmo('wast', '--frob', failing), /unknown option --frob/);
  });
});

describe('wasmo compile', () => {
  test('writes an artifact next to the module that wasmo run --allow-precompiled runs without compiling', () => {
    const wat = file('cadd.wat', readFileSync(example('add.wat')));
    expect(wasmo('compile', wat)).toEqual({ status: 0, stdout: '', stderr: '' });
    const cwasm = join(dir, 'cadd.cwasm');
    expect([...readFileSync(cwasm).subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expectOneLineError(wasmo('run', '--invoke', 'fac', cwasm, '20'), /cadd\.cwasm: a \.cwasm is native code that would run unsandboxed in wasmo's process; run it only if you trust it, with --allow-precompiled/);
    expect(wasmo('run', '--allow-precompiled', '--invoke', 'fac', cwasm, '20')).toEqual({ status: 0, stdout: '2432902008176640000\n', stderr: '' });
    expect(wasmo('run', '--allow-precompiled', '--engine', 'singlepass', '--invoke', 'add', cwasm, '2', '3').stdout).toBe('5\n');
    expect(wasmo('run', '--allow-precompiled', cwasm).stdout).toMatch(/^add: func \(param i32 i32\) \(result i32\)\n/);
    const optimized = join(dir, 'cadd-opt.cwasm');
    expect(wasmo('compile', '--engine', 'optimizing', wat, '-o', optimized)).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(wasmo('run', '--allow-precompiled', '--invoke', 'fac', optimized, '20').stdout).toBe('2432902008176640000\n');
    expectOneLineError(wasmo('run', '--allow-precompiled', '--engine', 'singlepass', optimized), /compiled code for the optimizing engine cannot run on singlepass/);
    expectOneLineError(wasmo('compile', '--engine', 'v8', wat), /compile: --engine takes singlepass, optimizing or tiered, not "v8"/);
    const trap = wasmo('run', '--allow-precompiled', '--invoke', 'div', cwasm, '1', '0');
    expectTrap(trap, /div: trap: integer divide by zero/, ['wasm-function[2]']);
    expect(trap.status).toBe(134);
  });

  test('--cpu-features restricts the CPU features the code may use, and the artifact records them', () => {
    const wat = file('vadd.wat', '(module (func (export "f") (param v128 v128) (result v128) (i64x2.gt_s (local.get 0) (local.get 1))))');
    const features = (...options: string[]): string | undefined => {
      const out = join(dir, 'vadd.cwasm');
      expect(wasmo('compile', ...options, wat, '-o', out)).toEqual({ status: 0, stdout: '', stderr: '' });
      return /^ {2}CPU features +(.*)$/m.exec(wasmo('inspect', out).stdout)?.[1];
    };
    expect(features('--cpu-features', 'popcnt,sse4.1')).toBe('sse4.1');
    expect(features('--cpu-features=sse4.1,sse4.2')).toBe('sse4.1, sse4.2');
    const unknown = wasmo('compile', '--cpu-features', 'sse4.1,3dnow', wat);
    expectOneLineError(unknown, /^wasmo: --cpu-features: unknown CPU feature "3dnow" \(known: popcnt, sse4\.1, sse4\.2, avx\)$/m);
    expect(unknown.status).toBe(2);
    expectOneLineError(wasmo('compile', '--cpu-features', '', wat), /vadd\.wat: not supported yet: i64x2\.gt_s without SSE4\.1/);
  });

  test('-o names the output; the same module compiles to the same bytes', () => {
    const out = join(dir, 'other.cwasm');
    expect(wasmo('compile', example('add.wat'), '-o', out).status).toBe(0);
    expect(wasmo('compile', example('add.wat'), '--output', join(dir, 'again.cwasm')).status).toBe(0);
    expect(readFileSync(join(dir, 'again.cwasm'))).toEqual(readFileSync(out));
  });

  test('replaces an artifact without disturbing a process that has the old one mapped', () => {
    const cwasm = join(dir, 'replaced.cwasm');
    expect(wasmo('compile', example('add.wat'), '-o', cwasm).status).toBe(0);
    const old = module_deserialize_file(cwasm);
    if (isError(old)) throw new Error(old.message);
    const [store, inst] = module_instantiate(store_init({ engine: 'singlepass' }), old, []);
    if (isError(inst)) throw new Error(inst.message);
    const fac = instance_export(inst, 'fac');
    if (isError(fac) || fac.kind !== 'func') throw new Error('no fac');
    expect(wasmo('compile', file('other.wat', '(module (func (export "f") (result i32) (i32.const 7)))'), '-o', cwasm).status).toBe(0);
    expect(func_invoke(store, fac, [i64(20n)])[1]).toEqual([i64(2432902008176640000n)]);
    expect(wasmo('run', '--allow-precompiled', '--invoke', 'f', cwasm).stdout).toBe('7\n');
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('refusals and mistakes are one line each', () => {
    const cwasm = join(dir, 'other.cwasm');
    expect(wasmo('compile', example('add.wat'), '-o', cwasm).status).toBe(0);
    expectOneLineError(wasmo('run', '--allow-precompiled', '--engine', 'reference', cwasm), /other\.cwasm: compiled code for the singlepass engine cannot run on reference/);
    const bytes = readFileSync(cwasm);
    bytes[bytes.length - 100]! ^= 1;
    expectOneLineError(wasmo('run', '--allow-precompiled', '--invoke', 'add', file('bad.cwasm', bytes), '1', '2'),
      /bad\.cwasm: cannot load compiled module: corrupted artifact: checksum mismatch$/m);
    expectOneLineError(wasmo('run', '--allow-precompiled', join(dir, 'none.cwasm')), /none\.cwasm: cannot load compiled module: cannot read artifact .*: No such file or directory/);
    expectOneLineError(wasmo('compile', file('invalid.wat', '(module (func (result i32)))')), /invalid\.wat: invalid module: type mismatch/);
    const tags = file('tags.wasm', Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x0d, 0x00]));  // a tag section (3.0)
    expectOneLineError(wasmo('compile', '--engine', 'optimizing', tags), /tags\.wasm: not supported yet: exception handling/);
    expectOneLineError(wasmo('compile', example('add.wat'), '-o', join(dir, 'no-such-dir', 'x.cwasm')), /cannot write .*x\.cwasm/);
    expectOneLineError(wasmo('compile'), /no module file given/);
    expectOneLineError(wasmo('compile', '-o'), /-o needs a value/);
    expectOneLineError(wasmo('compile', '--frob'), /unknown option --frob/);
    for (const flag of ['-o', '--output', '--help']) expect(wasmo('compile', '--help').stdout).toContain(flag);
  });
});

describe.skipIf(!existsSync(join(root, 'dist/lib/cli.js')))('the built program', () => {
  test('runs the README command', () => {
    const r = spawnSync(process.execPath, ['dist/lib/cli.js', 'run', '--invoke', 'add', 'examples/add.wat', '2', '3'], { cwd: root, encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '5\n', '']);
  });

  test('exits non-zero on an error', () => {
    const r = spawnSync(process.execPath, ['dist/lib/cli.js', 'run', 'examples/missing.wat'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('wasmo: cannot read examples/missing.wat: no such file\n');
  });
});
