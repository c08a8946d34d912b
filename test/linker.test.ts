// The Linker: imports resolved by name from host functions, other instances and WASI, on every
// engine; unknown and mistyped imports are unlinkable errors naming them; a Wasi serves one
// instance; reactors are initialized before their exports are called.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  func_invoke, global_read, i32, instance_export, isError, module_instantiate, module_parse, store_init,
  type FuncAddr, type Module, type Store,
} from '../lib/index.js';
import { main } from '../lib/cli.js';
import type { EngineName } from '../lib/engine.js';
import { Linker } from '../lib/index.js';
import { Wasi } from '../wasi/index.js';

const engines: EngineName[] = ['reference', 'v8', 'singlepass'];

function parse(text: string): Module {
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  return m;
}

function exported(inst: { exports: readonly { name: string; addr: unknown }[] }, name: string): FuncAddr {
  const f = instance_export(inst as never, name);
  if (isError(f) || f.kind !== 'func') throw new Error(`no function ${name}`);
  return f;
}

// A WASI program that also imports two functions of its embedder: it writes "n=<env.get()>\n" to
// stdout with fd_write, then reports its byte count through env.report.
const program = parse(`(module
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "env" "get" (func $get (result i32)))
  (import "env" "report" (func $report (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "n=?\\n")
  (func (export "_start")
    (i32.store8 (i32.const 18) (i32.add (i32.const 48) (call $get)))
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 4))
    (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $report (i32.load (i32.const 8)))))`);

// A WASI command whose start function writes to stdout (and keeps fd_write's errno).
const START_TEXT = `(module (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1) (data (i32.const 16) "from start\\n")
  (global $errno (export "errno") (mut i32) (i32.const -1))
  (func $init (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 11))
    (global.set $errno (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (start $init)
  (func (export "_start")))`;

describe.each(engines)('the linker on %s', (engine) => {
  test('a WASI program importing its own env functions runs', () => {
    const wasi = new Wasi({ stdout: 'buffer', stderr: 'buffer', stdin: new Uint8Array(0) });
    const reported: number[] = [];
    const linker = new Linker()
      .defineFunc('env', 'get', { params: [], results: ['i32'] }, (s) => [s, [i32(7)]])
      .defineFunc('env', 'report', { params: ['i32'], results: [] }, (s, [n]) => {
        if (n?.type === 'i32') reported.push(n.value);
        return [s, []];
      })
      .provide(wasi);
    const [store, inst] = linker.instantiate(store_init({ engine }), program);
    if (isError(inst)) throw new Error(inst.message);
    const [, status] = wasi.start(store, inst);
    expect(status).toBe(0);
    expect(new TextDecoder().decode(wasi.stdout())).toBe('n=7\n');
    expect(reported).toEqual([4]);
    wasi.free();
  });

  test('an import nobody supplies is unlinkable, named with its type', () => {
    const wasi = new Wasi();
    const [, r] = new Linker().defineFunc('env', 'get', { params: [], results: ['i32'] }, (s) => [s, [i32(1)]])
      .provide(wasi).resolve(store_init({ engine }), program);
    expect(isError(r) && r.kind).toBe('unlinkable');
    expect(isError(r) && r.message).toBe('unknown import "env" "report" (func (param i32))');
    wasi.free();
  });

  test('an import of the wrong type is unlinkable', () => {
    const m = parse('(module (import "env" "f" (func (param i64))))');
    const [, r] = new Linker().defineFunc('env', 'f', { params: ['i32'], results: [] }, (s) => [s, []])
      .instantiate(store_init({ engine }), m);
    expect(isError(r) && r.kind).toBe('unlinkable');
    expect(isError(r) && r.message).toMatch(/^incompatible import type for "env" "f"/);
  });

  test("another instance's exports, and a host function allocated once per store", () => {
    const lib = parse(`(module (global (export "g") (mut i32) (i32.const 0))
      (func (export "inc") (global.set 0 (i32.add (global.get 0) (i32.const 1)))))`);
    const user = parse(`(module (import "lib" "inc" (func $inc)) (import "host" "two" (func $two (result i32)))
      (func (export "run") (result i32) (call $inc) (call $inc) (call $two)))`);
    let calls = 0;
    let store: Store = store_init({ engine });
    let libInst;
    [store, libInst] = module_instantiate(store, lib, []);
    if (isError(libInst)) throw new Error(libInst.message);
    const linker = new Linker().defineInstance('lib', libInst)
      .defineFunc('host', 'two', { params: [], results: ['i32'] }, (s) => { calls++; return [s, [i32(2)]]; });
    let a, b;
    [store, a] = linker.resolve(store, user);
    [store, b] = linker.resolve(store, user);
    if (isError(a) || isError(b)) throw new Error('unresolved');
    expect(b[1]!.index).toBe(a[1]!.index);
    let inst;
    [store, inst] = module_instantiate(store, user, a);
    if (isError(inst)) throw new Error(inst.message);
    let r;
    [store, r] = func_invoke(store, exported(inst, 'run'), []);
    expect(r).toEqual([i32(2)]);
    expect(calls).toBe(1);
    const g = instance_export(libInst, 'g');
    if (isError(g) || g.kind !== 'global') throw new Error('no g');
    expect(global_read(store, g)).toEqual(i32(2));
  });

  test('a Wasi serves one instance: binding it to a second is refused', () => {
    const m = parse(`(module (import "wasi_snapshot_preview1" "sched_yield" (func (result i32)))
      (memory (export "memory") 1))`);
    const wasi = new Wasi();
    const linker = new Linker().provide(wasi);
    let store: Store = store_init({ engine });
    let first, second;
    [store, first] = linker.instantiate(store, m);
    if (isError(first)) throw new Error(first.message);
    expect(wasi.bind(first)).toBe(true);
    // Instantiating through the linker binds: a second instance is refused there already.
    [store, second] = linker.instantiate(store, m);
    expect(isError(second) && second.kind).toBe('argument');
    expect(isError(second) && second.message).toMatch(/belongs to another instance/);
    let externs;
    [store, externs] = wasi.imports(store, m);
    if (isError(externs)) throw new Error(externs.message);
    const [, third] = module_instantiate(store, m, externs);
    if (isError(third)) throw new Error(third.message);
    const refused = wasi.bind(third);
    expect(isError(refused) && refused.message).toMatch(/belongs to another instance/);
    wasi.free();
  });

  test('a start function may call WASI: the memory is bound before it runs, by the linker and wasmo run', () => {
    const m = parse(START_TEXT);
    for (const how of ['linker', 'wasi'] as const) {
      const wasi = new Wasi({ stdout: 'buffer' });
      const [store, inst] = how === 'linker' ? new Linker().provide(wasi).instantiate(store_init({ engine }), m) : wasi.instantiate(store_init({ engine }), m);
      if (isError(inst)) throw new Error(inst.message);
      expect(new TextDecoder().decode(wasi.stdout())).toBe('from start\n');
      const errno = instance_export(inst, 'errno');
      if (isError(errno) || errno.kind !== 'global') throw new Error('no errno');
      expect(global_read(store, errno)).toEqual(i32(0));
      expect(wasi.start(store, inst)[1]).toBe(0);
      wasi.free();
    }
  });

  test('a start function that exits through WASI ends instantiation with the exit', () => {
    const m = parse(`(module (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
      (memory (export "memory") 1) (func $init (call $exit (i32.const 3))) (start $init) (func (export "_start")))`);
    const wasi = new Wasi();
    const [, inst] = wasi.instantiate(store_init({ engine }), m);
    expect(isError(inst) && inst.kind).toBe('host');
    expect(isError(inst) && wasi.exitStatus(inst)).toBe(3);
    wasi.free();
  });

  test('a reactor: initialize calls _initialize before the exports are used', () => {
    const reactor = parse(`(module (import "wasi_snapshot_preview1" "sched_yield" (func $y (result i32)))
      (memory (export "memory") 1) (global $ready (mut i32) (i32.const 0))
      (func (export "_initialize") (drop (call $y)) (global.set $ready (i32.const 41)))
      (func (export "answer") (result i32) (i32.add (global.get $ready) (i32.const 1))))`);
    const wasi = new Wasi();
    const [s, inst] = new Linker().provide(wasi).instantiate(store_init({ engine }), reactor);
    if (isError(inst)) throw new Error(inst.message);
    const [s2, ready] = wasi.initialize(s, inst);
    expect(ready).toBe(true);
    const [, r] = func_invoke(s2, exported(inst, 'answer'), []);
    expect(r).toEqual([i32(42)]);
    wasi.free();
  });
});

test('defining a name twice throws', () => {
  const linker = new Linker().defineFunc('env', 'f', { params: [], results: [] }, (s) => [s, []]);
  expect(() => linker.defineFunc('env', 'f', { params: [], results: [] }, (s) => [s, []])).toThrow(/defined already/);
});

test('wasmo run --invoke initializes a WASI reactor first', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmo-linker-'));
  const file = join(dir, 'reactor.wat');
  writeFileSync(file, `(module (import "wasi_snapshot_preview1" "sched_yield" (func $y (result i32)))
    (memory (export "memory") 1) (global $ready (mut i32) (i32.const 0))
    (func (export "_initialize") (global.set $ready (i32.const 5)))
    (func (export "get") (result i32) (global.get $ready)))`);
  let out = '';
  const status = main(['run', '--invoke', 'get', file], { stdout: (s) => { out += s; }, stderr: () => {} });
  expect({ status, out }).toEqual({ status: 0, out: '5\n' });
});
