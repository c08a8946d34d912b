// The V8 engine: how its trap messages map to the spec's texts, and where it differs by design
// from the reference engine (exception fields cross the JS API as JS values).

import { describe, expect, it } from 'vitest';
import { trapMessage } from '../lib/engines/v8.js';
import {
  exn_alloc, exn_read, f32bits, f64bits, func_invoke, global_alloc, global_read, i32, instance_export, isError,
  module_instantiate, module_parse, refExtern, refNull, store_init, table_read, tag_alloc,
  type FuncAddr, type ModuleInst, type Store, type TableAddr, type Val, type WasmError,
} from '../lib/index.js';

function ok<T>(x: T | WasmError): T {
  if (isError(x)) throw new Error(`unexpected error ${x.kind}: ${x.message}`);
  return x;
}

function instantiate(store: Store, text: string): [Store, ModuleInst] {
  const [s, inst] = module_instantiate(store, ok(module_parse(text)), []);
  return [s, ok(inst)];
}

function call(store: Store, inst: ModuleInst, name: string, args: Val[]): [Store, Val[] | WasmError] {
  return func_invoke(store, ok(instance_export(inst, name)) as FuncAddr, args);
}

describe('trapMessage', () => {
  it.each([
    ['unreachable', 'unreachable'],
    ['memory access out of bounds', 'out of bounds memory access'],
    ['divide by zero', 'integer divide by zero'],
    ['remainder by zero', 'integer divide by zero'],
    ['divide result unrepresentable', 'integer overflow'],
    ['float unrepresentable in integer range', 'invalid conversion to integer'],
    ['table index is out of bounds', 'out of bounds table access'],
    ['null function or function signature mismatch', 'indirect call type mismatch'],
    ['WebAssembly.Instance(): data segment is out of bounds', 'out of bounds memory access'],
    ['something new', 'something new'],
  ])('maps %j to %j', (v8, spec) => {
    expect(trapMessage(v8)).toBe(spec);
  });
});

describe('v8 engine traps', () => {
  it('maps each trap of a running function to the spec text', () => {
    let [s, inst] = instantiate(store_init({ engine: 'v8' }), `(module (memory 1)
      (func (export "ld") (param i32) (result i32) local.get 0 i32.load)
      (func (export "rem") (param i32) (result i32) i32.const 1 local.get 0 i32.rem_s)
      (func (export "cvt") (param f64) (result i64) local.get 0 i64.trunc_f64_u))`);
    const cases: [string, Val[], string][] = [
      ['ld', [i32(65535)], 'out of bounds memory access'],
      ['rem', [i32(0)], 'integer divide by zero'],
      ['cvt', [f64bits(0xbff0000000000000n)], 'integer overflow'],
    ];
    for (const [name, args, message] of cases) {
      let r: Val[] | WasmError;
      [s, r] = call(s, inst, name, args);
      expect(r).toMatchObject({ kind: 'trap', message });
    }
  });

  it('tells the traps of truncations apart', () => {
    let [s, inst] = instantiate(store_init({ engine: 'v8' }), `(module
      (func (export "i32") (param f32) (result i32) (block (result i32) local.get 0 i32.trunc_f32_s))
      (func (export "i64u") (param f64) (result i64) (if (result i64) (i32.const 1)
        (then local.get 0 i64.trunc_f64_u) (else i64.const 0)))
      (func (export "sat") (param f32) (result i32) local.get 0 i32.trunc_sat_f32_s))`);
    const cases: [string, Val[], Val[] | string][] = [
      ['i32', [f32bits(0x7fc00000)], 'invalid conversion to integer'],
      ['i32', [f32bits(0x4f000000)], 'integer overflow'],
      ['i32', [f32bits(0xc0400000)], [i32(-3)]],
      ['i64u', [f64bits(0xfff8000000000001n)], 'invalid conversion to integer'],
      ['i64u', [f64bits(0xbff0000000000000n)], 'integer overflow'],
      ['sat', [f32bits(0x7fc00000)], [i32(0)]],
    ];
    for (const [name, args, expected] of cases) {
      let r: Val[] | WasmError;
      [s, r] = call(s, inst, name, args);
      if (typeof expected === 'string') expect(r).toMatchObject({ kind: 'trap', message: expected });
      else expect(ok(r)).toEqual(expected);
    }
  });

  it('tells the traps of call_indirect apart', () => {
    let [s, inst] = instantiate(store_init({ engine: 'v8' }), `(module
      (type $v (func)) (type $i (func (param i32)))
      (table 3 funcref) (elem (i32.const 0) $f)
      (func $f)
      (func (export "call") (param i32) local.get 0 call_indirect (type $v))
      (func (export "mismatch") i32.const 0 i32.const 0 call_indirect (type $i))
      (func (export "get") (param i32) (result funcref) local.get 0 table.get 0))`);
    let r: Val[] | WasmError;
    [s, r] = call(s, inst, 'call', [i32(3)]);
    expect(r).toMatchObject({ kind: 'trap', message: 'undefined element' });
    [s, r] = call(s, inst, 'call', [i32(1)]);
    expect(r).toMatchObject({ kind: 'trap', message: 'uninitialized element' });
    [s, r] = call(s, inst, 'get', [i32(3)]);
    expect(r).toMatchObject({ kind: 'trap', message: 'out of bounds table access' });
    [, r] = call(s, inst, 'call', [i32(0)]);
    expect(ok(r)).toEqual([]);
  });

  it('reports a type mismatch when the table holds no null entry', () => {
    const [s, inst] = instantiate(store_init({ engine: 'v8' }), `(module
      (type $i (func (param i32))) (table 1 funcref) (elem (i32.const 0) $f) (func $f)
      (func (export "mismatch") i32.const 0 i32.const 0 call_indirect (type $i)))`);
    expect(call(s, inst, 'mismatch', [])[1]).toMatchObject({ kind: 'trap', message: 'indirect call type mismatch' });
  });
});

describe('v8 engine differences by design', () => {
  it('passes v128 values and exact float bits through func_invoke (by a trampoline)', () => {
    let [s, inst] = instantiate(store_init({ engine: 'v8' }), `(module
      (func (export "id") (param v128) (result v128) local.get 0)
      (func (export "mix") (param f32 externref f64 funcref) (result funcref f64 externref f32)
        local.get 3 local.get 2 local.get 1 local.get 0))`);
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => 255 - i);
    let r: Val[] | WasmError;
    [s, r] = call(s, inst, 'id', [{ type: 'v128', bytes }]);
    expect(ok(r)).toEqual([{ type: 'v128', bytes }]);
    const f = ok(instance_export(inst, 'id')) as FuncAddr;
    [s, r] = call(s, inst, 'mix', [f32bits(0x7fa00001), refExtern(5), f64bits(0xfff4000000000123n), { type: 'ref.func', addr: f }]);
    expect(ok(r)).toEqual([{ type: 'ref.func', addr: f }, f64bits(0xfff4000000000123n), refExtern(5), f32bits(0x7fa00001)]);
  });

  it('has reference slots for more results than parameters', () => {
    const [s, inst] = instantiate(store_init({ engine: 'v8' }), `(module
      (func (export "refs") (result externref funcref externref) ref.null extern ref.null func ref.null extern))`);
    expect(ok(call(s, inst, 'refs', [])[1])).toEqual([refNull('extern'), refNull('func'), refNull('extern')]);
  });

  it('passes exception fields as JS values: no v128, no NaN payloads', () => {
    let s = store_init({ engine: 'v8' });
    expect(() => tag_alloc(s, { type: { params: ['v128'], results: [] } })).toThrow(/v128/);
    let tag;
    [s, tag] = tag_alloc(s, { type: { params: ['f32'], results: [] } });
    let exn;
    [s, exn] = exn_alloc(s, tag, [f32bits(0x7fa00001)]);
    const [field] = exn_read(s, exn) as [{ type: 'f32'; bits: number }];
    expect(Number.isNaN(new Float32Array(new Uint32Array([field.bits]).buffer)[0])).toBe(true);
  });

  it('gives imports sharing a name their own values and knows every function reference', () => {
    let s = store_init({ engine: 'v8' });
    let g1;
    let g2;
    [s, g1] = global_alloc(s, { mut: false, type: 'i32' }, i32(1));
    [s, g2] = global_alloc(s, { mut: false, type: 'i32' }, i32(2));
    const m = ok(module_parse(`(module (import "m" "g" (global $a i32)) (import "m" "g" (global $b i32))
      (table (export "t") 1 funcref) (elem (i32.const 0) $hidden) (func $hidden (result i32) i32.const 3)
      (func (export "sum") (result i32) global.get $a global.get $b i32.add))`));
    let inst;
    [s, inst] = module_instantiate(s, m, [g1, g2]);
    const i = ok(inst);
    let r: Val[] | WasmError;
    [s, r] = call(s, i, 'sum', []);
    expect(ok(r)).toEqual([i32(3)]);
    const ref = ok(table_read(s, ok(instance_export(i, 't')) as TableAddr, 0));
    expect(ref.type).toBe('ref.func');
    if (ref.type !== 'ref.func') return;
    [s, r] = func_invoke(s, ref.addr, []);
    expect(ok(r)).toEqual([i32(3)]);
    expect(global_read(s, g2)).toEqual(i32(2));
  });
});
