// The embedding API: every appendix function, its errors and the embedder checks, on both engines
// where their behaviour should agree. Where V8 differs by design (values crossing JS numbers, no
// v128 across the JS API) the test says so and checks each engine's own behaviour.

import { describe, expect, it } from 'vitest';
import {
  ForeignAddressError, StaleStoreError, wasmError, f32bits, f64bits, i32, i64, isError, refExtern, refNull, v128,
  exn_alloc, exn_read, exn_tag, func_alloc, func_invoke, func_type, global_alloc, global_read,
  global_type, global_write, instance_export, match_externtype, match_valtype, mem_alloc, mem_grow,
  mem_read, mem_read_bytes, mem_size, mem_type, mem_write, mem_write_bytes, module_decode, module_exports, module_imports,
  module_instantiate, module_parse, module_validate, ref_type, store_init, table_alloc, table_grow,
  table_read, table_size, table_type, table_write, tag_alloc, tag_type, val_default,
  type EngineName, type ExternAddr, type FuncAddr, type GlobalAddr, type MemAddr, type Module,
  type ModuleInst, type Store, type TableAddr, type Val, type WasmError,
} from '../lib/index.js';

function ok<T>(x: T | WasmError): T {
  if (isError(x)) throw new Error(`unexpected error ${x.kind}: ${x.message}`);
  return x;
}

function err(x: unknown): WasmError {
  if (!isError(x)) throw new Error(`expected an error, got ${String(x)}`);
  return x;
}

function parse(text: string): Module {
  return ok(module_parse(text));
}

function instantiate(store: Store, text: string, imports: readonly ExternAddr[] = []): [Store, ModuleInst] {
  const [s, inst] = module_instantiate(store, parse(text), imports);
  return [s, ok(inst)];
}

function func(inst: ModuleInst, name: string): FuncAddr {
  return ok(instance_export(inst, name)) as FuncAddr;
}

/** The empty module in binary form. */
const EMPTY = Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);

const ARITH = `(module
  (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
  (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)
  (func (export "id64") (param i64) (result i64) local.get 0)
  (func (export "idf32") (param f32) (result f32) local.get 0)
  (func (export "idf64") (param f64) (result f64) local.get 0)
  (func (export "idref") (param externref) (result externref) local.get 0)
  (func (export "two") (result i32 i64) i32.const 7 i64.const -1)
  (func $loop (export "loop") call $loop)
  (func (export "unreachable") unreachable))`;

describe.each<EngineName>(['reference', 'v8', 'singlepass'])('%s engine', (engine) => {
  const init = (): Store => store_init({ engine });

  describe('store_init', () => {
    it('returns an empty store run by the chosen engine', () => {
      const s = init();
      expect(s.engine).toBe(engine);
      const [, addr] = mem_alloc(s, { addrtype: 'i32', limits: { min: 0 } });
      expect(addr.index).toBe(0);
    });
  });

  describe('module_decode / module_parse / module_validate', () => {
    it('decodes bytes and keeps its own copy of them', () => {
      const bytes = EMPTY.slice();
      const m = ok(module_decode(bytes));
      bytes[0] = 0xff;
      expect(m.bytes).toEqual(EMPTY);
      expect(m.ast.funcs).toEqual([]);
    });

    it('returns a malformed error for bytes that are not a module', () => {
      expect(err(module_decode(Uint8Array.of(0x00, 0x61, 0x73)))).toMatchObject({ kind: 'malformed' });
      expect(err(module_decode(Uint8Array.of(1, 2, 3, 4, 1, 0, 0, 0))).message).toBe('magic header not detected');
    });

    it('parses text and returns a malformed error for bad text', () => {
      expect(parse('(module (func))').ast.funcs).toHaveLength(1);
      expect(err(module_parse('(module (func (i32.bogus)))')).kind).toBe('malformed');
    });

    it('validates, caching the types, and reports invalid modules', () => {
      const m = parse('(module (func (export "f") (result i32) i32.const 1))');
      expect(module_validate(m)).toBeUndefined();
      expect(m.validated?.exports).toEqual([{ kind: 'func', type: { params: [], results: ['i32'] } }]);
      const bad = err(module_validate(parse('(module (func (result i32)))')));
      expect(bad.kind).toBe('invalid');
      expect(bad.message).toMatch(/^type mismatch/);
    });
  });

  describe('module_instantiate', () => {
    it('instantiates and consumes the store', () => {
      const s0 = init();
      const [s1, inst] = instantiate(s0, ARITH);
      expect(instance_export(inst, 'add')).toMatchObject({ kind: 'func' });
      expect(() => module_instantiate(s0, parse('(module)'), [])).toThrow(StaleStoreError);
      expect(() => module_instantiate(s1, parse('(module)'), [])).not.toThrow();
    });

    it('refuses an invalid module', () => {
      const [s, r] = module_instantiate(init(), parse('(module (func (result i32)))'), []);
      expect(err(r).kind).toBe('invalid');
      expect(() => mem_alloc(s, { addrtype: 'i32', limits: { min: 0 } })).not.toThrow();
    });

    it('refuses the wrong number of imports', () => {
      const [, r] = module_instantiate(init(), parse('(module (import "m" "g" (global i32)))'), []);
      expect(err(r)).toMatchObject({ kind: 'unlinkable' });
    });

    it('refuses imports of incompatible type, with import subtyping', () => {
      let [s, g] = global_alloc(init(), { mut: false, type: 'i64' }, i64(1));
      let r: ModuleInst | WasmError;
      [s, r] = module_instantiate(s, parse('(module (import "m" "g" (global i32)))'), [g]);
      expect(err(r)).toMatchObject({ kind: 'unlinkable' });
      expect(err(r).message).toMatch(/^incompatible import type/);
      let mem: MemAddr;
      [s, mem] = mem_alloc(s, { addrtype: 'i32', limits: { min: 1, max: 2 } });
      [s, r] = module_instantiate(s, parse('(module (import "m" "mem" (memory 0 3)))'), [mem]);
      ok(r);
      [s, r] = module_instantiate(s, parse('(module (import "m" "mem" (memory 2)))'), [mem]);
      expect(err(r).kind).toBe('unlinkable');
      [, r] = module_instantiate(s, parse('(module (import "m" "mem" (global i64)))'), [mem]);
      expect(err(r).kind).toBe('unlinkable');
    });

    it('reports a trap in a segment or the start function as uninstantiable', () => {
      const [s, r] = module_instantiate(init(), parse('(module (memory 1) (data (i32.const 65535) "ab"))'), []);
      expect(err(r)).toMatchObject({ kind: 'uninstantiable', message: 'out of bounds memory access' });
      const [s1, r1] = module_instantiate(s, parse('(module (table 1 funcref) (func $f) (elem (i32.const 1) $f $f))'), []);
      expect(err(r1)).toMatchObject({ kind: 'uninstantiable', message: 'out of bounds table access' });
      const [, r2] = module_instantiate(s1, parse('(module (func $s unreachable) (start $s))'), []);
      expect(err(r2)).toMatchObject({ kind: 'uninstantiable', message: 'unreachable' });
    });

    // Spec 4.5.4: the instance's functions exist before its segments and start function run, and
    // what those wrote stays when a later step traps.
    it('gives functions of an instance under instantiation their types, before and after a trap', () => {
      let s = init();
      let table: TableAddr;
      [s, table] = table_alloc(s, { addrtype: 'i32', limits: { min: 2 }, reftype: 'funcref' }, refNull('func'));
      const seen: Val[][] = [];
      let host: FuncAddr;
      [s, host] = func_alloc(s, { params: ['funcref'], results: [] }, (hs, [ref]) => {
        if (ref?.type !== 'ref.func') return [hs, []];
        const [hs1, r] = func_invoke(hs, ref.addr, [i32(41)]);
        seen.push([ref, ...ok(r)]);
        expect(func_type(hs1, ref.addr)).toEqual({ params: ['i32'], results: ['i32'] });
        return [hs1, []];
      });
      let r: ModuleInst | WasmError;
      [s, r] = module_instantiate(s, parse(`(module
        (import "m" "h" (func $h (param funcref))) (import "m" "t" (table 2 funcref))
        (func $f (param i32) (result i32) local.get 0 i32.const 1 i32.add)
        (elem (i32.const 0) $f)
        (func $start (call $h (ref.func $f)) unreachable)
        (start $start))`), [host, table]);
      expect(err(r)).toMatchObject({ kind: 'uninstantiable', message: 'unreachable' });
      expect(seen).toHaveLength(1);
      const [f, result] = seen[0]!;
      expect(result).toEqual(i32(42));
      expect(ok(table_read(s, table, 0))).toEqual(f);
      const fAddr = (f as { addr: FuncAddr }).addr;
      expect(func_type(s, fAddr)).toEqual({ params: ['i32'], results: ['i32'] });
      let v: Val[] | WasmError;
      [s, v] = func_invoke(s, fAddr, [i32(1)]);
      expect(ok(v)).toEqual([i32(2)]);
      // A data segment traps after an element segment wrote a function to the imported table.
      [s, r] = module_instantiate(s, parse(`(module (import "m" "t" (table 2 funcref)) (memory 1)
        (func $g (result i32) i32.const 7) (elem (i32.const 1) $g) (data (i32.const 65536) "x"))`), [table]);
      expect(err(r)).toMatchObject({ kind: 'uninstantiable', message: 'out of bounds memory access' });
      const g = ok(table_read(s, table, 1));
      if (g.type !== 'ref.func') throw new Error(`expected a function, got ${g.type}`);
      expect(func_type(s, g.addr)).toEqual({ params: [], results: ['i32'] });
      [, v] = func_invoke(s, g.addr, []);
      expect(ok(v)).toEqual([i32(7)]);
    });

    it('links imports: a function, a memory, a table and a global of this store', () => {
      let s = init();
      let exporter: ModuleInst;
      [s, exporter] = instantiate(s, `(module
        (func (export "f") (result i32) i32.const 42)
        (memory (export "m") 1) (table (export "t") 1 funcref) (global (export "g") (mut i32) (i32.const 5)))`);
      const names = ['f', 'm', 't', 'g'];
      let importer: ModuleInst;
      [s, importer] = instantiate(s, `(module
        (import "a" "f" (func $f (result i32))) (import "a" "m" (memory 1))
        (import "a" "t" (table 1 funcref)) (import "a" "g" (global $g (mut i32)))
        (elem (i32.const 0) $f)
        (func (export "run") (result i32)
          (i32.store (i32.const 0) (i32.const 1))
          (global.set $g (i32.const 6))
          (call_indirect (result i32) (i32.const 0))))`, names.map((n) => ok(instance_export(exporter, n))));
      let r: Val[] | WasmError;
      [s, r] = func_invoke(s, func(importer, 'run'), []);
      expect(ok(r)).toEqual([i32(42)]);
      expect(mem_read(s, ok(instance_export(exporter, 'm')) as MemAddr, 0)).toBe(1);
      expect(global_read(s, ok(instance_export(exporter, 'g')) as GlobalAddr)).toEqual(i32(6));
      expect(ok(table_read(s, ok(instance_export(exporter, 't')) as TableAddr, 0))).toEqual({ type: 'ref.func', addr: func(exporter, 'f') });
    });

    it('throws ForeignAddressError for an import from another store', () => {
      const [, g] = global_alloc(init(), { mut: false, type: 'i32' }, i32(1));
      expect(() => module_instantiate(init(), parse('(module (import "m" "g" (global i32)))'), [g])).toThrow(ForeignAddressError);
    });
  });

  describe('module_imports / module_exports / instance_export', () => {
    const text = `(module (import "env" "f" (func (param i32))) (import "env" "m" (memory 1 2))
      (global (export "g") (mut f64) (f64.const 0)) (table (export "t") 2 externref) (func (export "h")))`;

    it('lists the validated import and export types in order', () => {
      const m = parse(text);
      expect(module_imports(m)).toEqual([
        ['env', 'f', { kind: 'func', type: { params: ['i32'], results: [] } }],
        ['env', 'm', { kind: 'mem', type: { addrtype: 'i32', limits: { min: 1, max: 2 } } }],
      ]);
      expect(module_exports(m)).toEqual([
        ['g', { kind: 'global', type: { mut: true, type: 'f64' } }],
        ['t', { kind: 'table', type: { addrtype: 'i32', limits: { min: 2 }, reftype: 'externref' } }],
        ['h', { kind: 'func', type: { params: [], results: [] } }],
      ]);
    });

    it('throws for a module that is not valid (a precondition)', () => {
      const bad = parse('(module (func (result i32)))');
      expect(() => module_imports(bad)).toThrow(TypeError);
      expect(() => module_exports(bad)).toThrow(TypeError);
    });

    it('finds exports by name, the same address object each time, and errors for unknown names', () => {
      const [, inst] = instantiate(init(), ARITH);
      expect(instance_export(inst, 'add')).toBe(instance_export(inst, 'add'));
      expect(err(instance_export(inst, 'nope')).kind).toBe('argument');
    });
  });

  describe('func_alloc / func_type / func_invoke', () => {
    it('invokes, with i64 as bigint and multiple results', () => {
      let [s, inst] = instantiate(init(), ARITH);
      let r: Val[] | WasmError;
      [s, r] = func_invoke(s, func(inst, 'add'), [i32(0x7fffffff), i32(1)]);
      expect(ok(r)).toEqual([i32(-0x80000000)]);
      [s, r] = func_invoke(s, func(inst, 'id64'), [i64(-(2n ** 63n))]);
      expect(ok(r)).toEqual([{ type: 'i64', value: -(2n ** 63n) }]);
      [s, r] = func_invoke(s, func(inst, 'two'), []);
      expect(ok(r)).toEqual([i32(7), i64(-1)]);
      [s, r] = func_invoke(s, func(inst, 'idref'), [refExtern(17)]);
      expect(ok(r)).toEqual([refExtern(17)]);
      [, r] = func_invoke(s, func(inst, 'idref'), [refNull('extern')]);
      expect(ok(r)).toEqual([refNull('extern')]);
    });

    it('reports the function type', () => {
      const [s, inst] = instantiate(init(), ARITH);
      expect(func_type(s, func(inst, 'two'))).toEqual({ params: [], results: ['i32', 'i64'] });
    });

    it('checks the arguments against the function type', () => {
      let [s, inst] = instantiate(init(), ARITH);
      let r: Val[] | WasmError;
      [s, r] = func_invoke(s, func(inst, 'add'), [i32(1)]);
      expect(err(r)).toMatchObject({ kind: 'argument' });
      expect(err(r).message).toMatch(/^type mismatch/);
      [s, r] = func_invoke(s, func(inst, 'add'), [i32(1), i64(2)]);
      expect(err(r).message).toMatch(/^type mismatch/);
      [, r] = func_invoke(s, func(inst, 'idref'), [refNull('func')]);
      expect(err(r).kind).toBe('argument');
    });

    it('throws for malformed value representations', () => {
      const [s, inst] = instantiate(init(), ARITH);
      expect(() => func_invoke(s, func(inst, 'add'), [{ type: 'i32', value: 2 ** 31 }, i32(0)])).toThrow(RangeError);
    });

    it('maps traps and exhaustion to errors, and the store lives on', () => {
      let [s, inst] = instantiate(init(), ARITH);
      let r: Val[] | WasmError;
      [s, r] = func_invoke(s, func(inst, 'div'), [i32(1), i32(0)]);
      expect(err(r)).toMatchObject({ kind: 'trap', message: 'integer divide by zero' });
      [s, r] = func_invoke(s, func(inst, 'div'), [i32(-0x80000000), i32(-1)]);
      expect(err(r)).toMatchObject({ kind: 'trap', message: 'integer overflow' });
      [s, r] = func_invoke(s, func(inst, 'unreachable'), []);
      expect(err(r)).toMatchObject({ kind: 'trap', message: 'unreachable' });
      [s, r] = func_invoke(s, func(inst, 'loop'), []);
      expect(err(r)).toMatchObject({ kind: 'exhaustion', message: 'call stack exhausted' });
      [, r] = func_invoke(s, func(inst, 'add'), [i32(1), i32(2)]);
      expect(ok(r)).toEqual([i32(3)]);
    });

    it('calls host functions, directly and from wasm', () => {
      let s = init();
      let f: FuncAddr;
      const seen: Val[][] = [];
      [s, f] = func_alloc(s, { params: ['i32', 'i64'], results: ['i64'] }, (store, args) => {
        seen.push(args);
        const [a, b] = args as [Extract<Val, { type: 'i32' }>, Extract<Val, { type: 'i64' }>];
        return [store, [i64(BigInt(a.value) + b.value)]];
      });
      expect(func_type(s, f)).toEqual({ params: ['i32', 'i64'], results: ['i64'] });
      let r: Val[] | WasmError;
      [s, r] = func_invoke(s, f, [i32(2), i64(40)]);
      expect(ok(r)).toEqual([i64(42)]);
      let inst: ModuleInst;
      [s, inst] = instantiate(s, `(module (import "h" "f" (func $f (param i32 i64) (result i64)))
        (func (export "g") (result i64) (call $f (i32.const -1) (i64.const 10))))`, [f]);
      [, r] = func_invoke(s, func(inst, 'g'), []);
      expect(ok(r)).toEqual([i64(9)]);
      expect(seen[1]).toEqual([i32(-1), i64(10)]);
    });

    it('lets a host function re-enter wasm with the store it was given', () => {
      let s = init();
      let inst: ModuleInst;
      [s, inst] = instantiate(s, `(module (memory (export "mem") 1)
        (func (export "inc") (param i32) (result i32) local.get 0 i32.const 1 i32.add))`);
      const inc = func(inst, 'inc');
      const mem = ok(instance_export(inst, 'mem')) as MemAddr;
      let host: FuncAddr;
      [s, host] = func_alloc(s, { params: ['i32'], results: ['i32'] }, (store, args) => {
        const [s1, r] = func_invoke(store, inc, args);
        const s2 = ok(mem_write(s1, mem, 0, 99));
        return [s2, ok(r)];
      });
      let user: ModuleInst;
      [s, user] = instantiate(s, `(module (import "h" "f" (func $f (param i32) (result i32)))
        (func (export "run") (result i32) (call $f (i32.const 41))))`, [host]);
      let r: Val[] | WasmError;
      [s, r] = func_invoke(s, func(user, 'run'), []);
      expect(ok(r)).toEqual([i32(42)]);
      expect(mem_read(s, mem, 0)).toBe(99);
    });

    it('turns a throwing host function into a host error, and goes on', () => {
      let s = init();
      let f: FuncAddr;
      const boom = new Error('boom');
      [s, f] = func_alloc(s, { params: [], results: [] }, () => {
        throw boom;
      });
      let inst: ModuleInst;
      [s, inst] = instantiate(s, `(module (import "h" "f" (func $f)) (func (export "g") call $f))`, [f]);
      let r: Val[] | WasmError;
      [s, r] = func_invoke(s, func(inst, 'g'), []);
      expect(err(r)).toMatchObject({ kind: 'host', cause: boom });
      expect(err(r).message).toContain('boom');
      [s, r] = func_invoke(s, f, []);
      expect(err(r).kind).toBe('host');
      const [, g] = global_alloc(s, { mut: false, type: 'i32' }, i32(3));
      expect(g.kind).toBe('global');
    });

    it('returns the very error a host function returns', () => {
      const failure = wasmError('host', 'refused');
      const [s, f] = func_alloc(init(), { params: [], results: ['i32'] }, () => failure);
      const [, r] = func_invoke(s, f, []);
      expect(r).toBe(failure);
    });

    it('reports host results of the wrong type or a stale store as host errors', () => {
      let s = init();
      let wrong: FuncAddr;
      let stale: FuncAddr;
      [s, wrong] = func_alloc(s, { params: [], results: ['i32'] }, (store) => [store, [i64(1)]]);
      [s, stale] = func_alloc(s, { params: [], results: [] }, (store) => {
        ok(mem_grow(store, mem, 0));
        return [store, []];
      });
      let mem: MemAddr;
      [s, mem] = mem_alloc(s, { addrtype: 'i32', limits: { min: 1 } });
      let r: Val[] | WasmError;
      [s, r] = func_invoke(s, wrong, []);
      expect(err(r).kind).toBe('host');
      expect(err(r).message).toMatch(/type mismatch/);
      [, r] = func_invoke(s, stale, []);
      expect(err(r).kind).toBe('host');
    });
  });

  describe('tables', () => {
    it('allocates, reads, writes, sizes and grows', () => {
      let s = init();
      let t: TableAddr;
      [s, t] = table_alloc(s, { addrtype: 'i32', limits: { min: 2, max: 4 }, reftype: 'externref' }, refExtern(7));
      expect(table_type(s, t)).toEqual({ addrtype: 'i32', limits: { min: 2, max: 4 }, reftype: 'externref' });
      expect(table_size(s, t)).toBe(2);
      expect(ok(table_read(s, t, 1))).toEqual(refExtern(7));
      s = ok(table_write(s, t, 1n, refNull('extern')));
      expect(ok(table_read(s, t, 1))).toEqual(refNull('extern'));
      s = ok(table_grow(s, t, 2, refExtern(9)));
      expect(table_size(s, t)).toBe(4);
      expect(table_type(s, t).limits).toEqual({ min: 4, max: 4 });
      expect(ok(table_read(s, t, 3))).toEqual(refExtern(9));
    });

    it('keeps function reference identity', () => {
      let s = init();
      let f: FuncAddr;
      let t: TableAddr;
      [s, f] = func_alloc(s, { params: [], results: [] }, (store) => [store, []]);
      [s, t] = table_alloc(s, { addrtype: 'i32', limits: { min: 1 }, reftype: 'funcref' }, refNull('func'));
      s = ok(table_write(s, t, 0, { type: 'ref.func', addr: f }));
      const r = ok(table_read(s, t, 0));
      expect(r.type === 'ref.func' && r.addr).toBe(f);
    });

    it('returns errors for out-of-bounds indices, wrong reference types and failed grows', () => {
      let s = init();
      let t: TableAddr;
      [s, t] = table_alloc(s, { addrtype: 'i32', limits: { min: 1, max: 2 }, reftype: 'funcref' }, refNull('func'));
      expect(err(table_read(s, t, 1)).kind).toBe('argument');
      expect(err(table_read(s, t, 2n ** 64n - 1n)).kind).toBe('argument');
      expect(err(table_write(s, t, 1, refNull('func'))).kind).toBe('argument');
      expect(err(table_write(s, t, 0, refExtern(1))).message).toMatch(/^type mismatch/);
      expect(err(table_grow(s, t, 2, refNull('func'))).kind).toBe('argument');
      expect(err(table_grow(s, t, 1, refExtern(1))).kind).toBe('argument');
      // Failed operations return no store, so the one passed in stays current.
      expect(table_size(s, t)).toBe(1);
      expect(() => table_read(s, t, -1)).toThrow(RangeError);
      expect(() => table_read(s, t, 0.5)).toThrow(RangeError);
      expect(() => table_alloc(s, { addrtype: 'i32', limits: { min: 1 }, reftype: 'funcref' }, refExtern(1))).toThrow(TypeError);
    });
  });

  describe('memories', () => {
    it('allocates, reads, writes, sizes in pages and grows', () => {
      let s = init();
      let m: MemAddr;
      [s, m] = mem_alloc(s, { addrtype: 'i32', limits: { min: 1, max: 3 } });
      expect(mem_type(s, m)).toEqual({ addrtype: 'i32', limits: { min: 1, max: 3 } });
      expect(mem_size(s, m)).toBe(1);
      expect(mem_read(s, m, 65535)).toBe(0);
      s = ok(mem_write(s, m, 65535n, 255));
      expect(mem_read(s, m, 65535)).toBe(255);
      s = ok(mem_grow(s, m, 2));
      expect(mem_size(s, m)).toBe(3);
      expect(mem_type(s, m).limits.min).toBe(3);
      expect(mem_read(s, m, 65535)).toBe(255);
      expect(mem_read(s, m, 3 * 65536 - 1)).toBe(0);
    });

    it('returns errors for out-of-bounds indices, non-bytes and failed grows', () => {
      let s = init();
      let m: MemAddr;
      [s, m] = mem_alloc(s, { addrtype: 'i32', limits: { min: 1, max: 1 } });
      expect(err(mem_read(s, m, 65536)).kind).toBe('argument');
      expect(err(mem_write(s, m, 65536, 0)).kind).toBe('argument');
      expect(err(mem_write(s, m, 0, 256)).kind).toBe('argument');
      expect(err(mem_write(s, m, 0, -1)).kind).toBe('argument');
      expect(err(mem_write(s, m, 0, 1.5)).kind).toBe('argument');
      expect(err(mem_grow(s, m, 1)).kind).toBe('argument');
      expect(mem_size(s, m)).toBe(1);
      expect(() => mem_read(s, m, -1)).toThrow(RangeError);
    });

    it('reads and writes in bulk, all or nothing, and sees what wasm wrote after growing', () => {
      let [s, inst] = instantiate(init(), `(module (memory (export "m") 1)
        (func (export "grow") (drop (memory.grow (i32.const 1))))
        (func (export "poke") (param i32 i32) (i32.store8 (local.get 0) (local.get 1))))`);
      const m = ok(instance_export(inst, 'm')) as MemAddr;
      s = ok(mem_write_bytes(s, m, 65534, Uint8Array.of(7, 8)));
      expect(mem_read_bytes(s, m, 65533, 3)).toEqual(Uint8Array.of(0, 7, 8));
      expect(mem_read(s, m, 65535)).toBe(8);
      expect(mem_read_bytes(s, m, 65536, 0)).toEqual(new Uint8Array(0));
      expect(err(mem_read_bytes(s, m, 65535, 2)).message).toBe('out of bounds memory access: index 65535, length 2, size 65536');
      expect(err(mem_write_bytes(s, m, 65535, Uint8Array.of(1, 2))).kind).toBe('argument');
      expect(mem_read(s, m, 65535)).toBe(8);
      expect(err(mem_read_bytes(s, m, 0, -1)).kind).toBe('argument');
      // wasm grows the memory and writes past the old end: the embedder sees both.
      let r;
      [s, r] = func_invoke(s, func(inst, 'grow'), []);
      ok(r);
      expect(mem_size(s, m)).toBe(2);
      [s, r] = func_invoke(s, func(inst, 'poke'), [i32(2 * 65536 - 1), i32(42)]);
      ok(r);
      expect(mem_read(s, m, 2 * 65536 - 1)).toBe(42);
      expect(mem_read_bytes(s, m, 2 * 65536 - 2, 2)).toEqual(Uint8Array.of(0, 42));
    });

    it('throws for memory and table types that are not valid (a precondition)', () => {
      const s = init();
      expect(() => mem_alloc(s, { addrtype: 'i32', limits: { min: 2, max: 1 } })).toThrow(/minimum must not be greater than maximum/);
      expect(() => mem_alloc(s, { addrtype: 'i32', limits: { min: 65537 } })).toThrow(RangeError);
      expect(() => table_alloc(s, { addrtype: 'i32', limits: { min: 3, max: 2 }, reftype: 'funcref' }, refNull('func'))).toThrow(RangeError);
      // Nothing was allocated, so the store is still current.
      expect(mem_alloc(s, { addrtype: 'i32', limits: { min: 0 } })[1].index).toBe(0);
    });
  });

  describe('tags and exceptions', () => {
    it('allocates tags and exceptions and reads them back', () => {
      let s = init();
      const type = { type: { params: ['i32', 'i64', 'externref'] as const, results: [] } };
      let tag;
      [s, tag] = tag_alloc(s, type);
      expect(tag_type(s, tag)).toEqual(type);
      let exn;
      [s, exn] = exn_alloc(s, tag, [i32(1), i64(2), refExtern(3)]);
      expect(exn_tag(s, exn)).toBe(tag);
      expect(exn_read(s, exn)).toEqual([i32(1), i64(2), refExtern(3)]);
      expect(() => exn_alloc(s, tag, [i32(1)])).toThrow(TypeError);
    });
  });

  describe('globals', () => {
    it('allocates, reads, writes, and checks mutability and type', () => {
      let s = init();
      let g: GlobalAddr;
      let c: GlobalAddr;
      [s, g] = global_alloc(s, { mut: true, type: 'i64' }, i64(5));
      [s, c] = global_alloc(s, { mut: false, type: 'i32' }, i32(1));
      expect(global_type(s, g)).toEqual({ mut: true, type: 'i64' });
      expect(global_read(s, g)).toEqual(i64(5));
      s = ok(global_write(s, g, i64(-6)));
      expect(global_read(s, g)).toEqual(i64(-6));
      expect(err(global_write(s, c, i32(2)))).toMatchObject({ kind: 'argument', message: 'global is immutable' });
      expect(err(global_write(s, g, i32(2))).message).toMatch(/^type mismatch/);
      expect(global_read(s, c)).toEqual(i32(1));
      expect(() => global_alloc(s, { mut: false, type: 'f32' }, i32(1))).toThrow(TypeError);
    });
  });

  describe('ref_type / val_default / match_valtype / match_externtype', () => {
    it('types references', () => {
      const [s, f] = func_alloc(init(), { params: [], results: [] }, (store) => [store, []]);
      expect(ref_type(s, { type: 'ref.func', addr: f })).toBe('funcref');
      expect(ref_type(s, refNull('func'))).toBe('funcref');
      expect(ref_type(s, refNull('extern'))).toBe('externref');
      expect(ref_type(s, refExtern(0))).toBe('externref');
      expect(() => ref_type(init(), { type: 'ref.func', addr: f })).toThrow(ForeignAddressError);
    });

    it('gives default values', () => {
      expect(val_default('i32')).toEqual(i32(0));
      expect(val_default('i64')).toEqual(i64(0));
      expect(val_default('f32')).toEqual(f32bits(0));
      expect(val_default('f64')).toEqual(f64bits(0n));
      expect(val_default('v128')).toEqual(v128(new Uint8Array(16)));
      expect(val_default('funcref')).toEqual(refNull('func'));
      expect(val_default('externref')).toEqual(refNull('extern'));
    });

    it('matches types', () => {
      expect(match_valtype('i32', 'i32')).toBe(true);
      expect(match_valtype('funcref', 'externref')).toBe(false);
      const mem = (min: number, max?: number) => ({ kind: 'mem' as const, type: { addrtype: 'i32' as const, limits: max === undefined ? { min } : { min, max } } });
      expect(match_externtype(mem(2, 3), mem(1, 4))).toBe(true);
      expect(match_externtype(mem(1), mem(1, 4))).toBe(false);
      expect(match_externtype(
        { kind: 'global', type: { mut: true, type: 'i32' } }, { kind: 'global', type: { mut: false, type: 'i32' } },
      )).toBe(false);
    });
  });

  describe('store consumption and ownership', () => {
    it('consumes the store on every operation that returns one, and only those', () => {
      const s0 = init();
      const [s1, m] = mem_alloc(s0, { addrtype: 'i32', limits: { min: 1 } });
      expect(() => mem_size(s0, m)).toThrow(StaleStoreError);
      mem_size(s1, m);
      mem_read(s1, m, 0);
      mem_type(s1, m);
      const s2 = ok(mem_write(s1, m, 0, 1));
      expect(() => mem_read(s1, m, 0)).toThrow(StaleStoreError);
      expect(() => mem_write(s1, m, 0, 1)).toThrow(StaleStoreError);
      const [s3, g] = global_alloc(s2, { mut: true, type: 'i32' }, i32(0));
      expect(() => global_write(s2, g, i32(1))).toThrow(StaleStoreError);
      const [s4, f] = func_alloc(s3, { params: [], results: [] }, (store) => [store, []]);
      const [s5] = func_invoke(s4, f, []);
      expect(() => func_invoke(s4, f, [])).toThrow(StaleStoreError);
      const [s6] = func_invoke(s5, f, [i32(1)]);
      expect(() => func_type(s5, f)).toThrow(StaleStoreError);
      expect(func_type(s6, f)).toEqual({ params: [], results: [] });
    });

    it('throws ForeignAddressError for addresses of another store', () => {
      const [sa, m] = mem_alloc(init(), { addrtype: 'i32', limits: { min: 1 } });
      const [sb] = mem_alloc(init(), { addrtype: 'i32', limits: { min: 1 } });
      expect(() => mem_read(sb, m, 0)).toThrow(ForeignAddressError);
      expect(() => mem_write(sb, m, 0, 1)).toThrow(ForeignAddressError);
      const [sa1, f] = func_alloc(sa, { params: [], results: [] }, (store) => [store, []]);
      expect(() => func_invoke(sb, f, [])).toThrow(ForeignAddressError);
      const [sb1, t] = table_alloc(sb, { addrtype: 'i32', limits: { min: 1 }, reftype: 'funcref' }, refNull('func'));
      expect(() => table_write(sb1, t, 0, { type: 'ref.func', addr: f })).toThrow(ForeignAddressError);
      expect(mem_size(sa1, m)).toBe(1);
    });
  });
});

describe('exact bits', () => {
  // A signalling NaN with a payload, in each float type.
  const snan32 = 0x7fa00001;
  const snan64 = 0xfff4000000000123n;

  it.each<EngineName>(['reference', 'v8', 'singlepass'])('NaN payloads survive globals on the %s engine', (engine) => {
    let s = store_init({ engine });
    let g32: GlobalAddr;
    let g64: GlobalAddr;
    [s, g32] = global_alloc(s, { mut: false, type: 'f32' }, f32bits(snan32));
    [s, g64] = global_alloc(s, { mut: true, type: 'f64' }, f64bits(0n));
    s = ok(global_write(s, g64, f64bits(snan64)));
    expect(global_read(s, g32)).toEqual(f32bits(snan32));
    expect(global_read(s, g64)).toEqual(f64bits(snan64));
  });

  it.each<EngineName>(['reference', 'v8', 'singlepass', 'optimizing'])('NaN payloads and v128 values cross host functions on the %s engine', (engine) => {
    let s = store_init({ engine });
    let host: FuncAddr;
    const seen: Val[][] = [];
    [s, host] = func_alloc(s, { params: ['f32', 'v128'], results: ['f64', 'v128'] }, (store, args) => {
      seen.push(args);
      return [store, [f64bits(snan64), args[1]!]];
    });
    let inst: ModuleInst;
    [s, inst] = instantiate(s, `(module (import "h" "f" (func $f (param f32 v128) (result f64 v128)))
      (func (export "run") (param f32 v128) (result f64 v128) local.get 0 local.get 1 call $f))`, [host]);
    const vec = v128(Uint8Array.from({ length: 16 }, (_, i) => i * 3));
    const [, r] = func_invoke(s, func(inst, 'run'), [f32bits(snan32), vec]);
    expect(ok(r)).toEqual([f64bits(snan64), vec]);
    expect(seen).toEqual([[f32bits(snan32), vec]]);
  });

  it.each<EngineName>(['reference', 'v8', 'singlepass'])('NaN payloads survive func_invoke on the %s engine', (engine) => {
    let [s, inst] = instantiate(store_init({ engine }), ARITH);
    let r: Val[] | WasmError;
    [s, r] = func_invoke(s, func(inst, 'idf32'), [f32bits(snan32)]);
    expect(ok(r)).toEqual([f32bits(snan32)]);
    [, r] = func_invoke(s, func(inst, 'idf64'), [f64bits(snan64)]);
    expect(ok(r)).toEqual([f64bits(snan64)]);
  });

  it.each<EngineName>(['reference', 'v8', 'singlepass', 'optimizing'])('v128 values are copied in and out on the %s engine', (engine) => {
    let s = store_init({ engine });
    let g: GlobalAddr;
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => i);
    const val = { type: 'v128', bytes } as const;
    [s, g] = global_alloc(s, { mut: true, type: 'v128' }, val);
    bytes[0] = 99;
    const read = global_read(s, g);
    expect(read).toEqual(v128(Uint8Array.from({ length: 16 }, (_, i) => i)));
    if (read.type === 'v128') read.bytes[1] = 99;
    expect(global_read(s, g)).toEqual(v128(Uint8Array.from({ length: 16 }, (_, i) => i)));
    let inst: ModuleInst;
    [s, inst] = instantiate(s, '(module (func (export "id") (param v128) (result v128) local.get 0))');
    const [, r] = func_invoke(s, func(inst, 'id'), [val]);
    expect(ok(r)).toEqual([v128(bytes)]);
  });
});
