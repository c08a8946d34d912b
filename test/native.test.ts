// The native engine through its binding (lib/native.ts): compile and run with the singlepass
// backend, every trap it supports comes back as the spec's message with the process still alive,
// node's own WebAssembly still traps correctly afterwards, and deep recursion is "call stack exhausted".

import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  f64, f64ToNumber, func_alloc, func_invoke, i32 as i32val, i64, instance_export, isError, module_instantiate,
  module_parse, store_init, type FuncAddr, type ModuleInst, type Store, type Val, wasmError,
} from '../lib/index.js';
import {
  NativeModule, NativeStore, isNativeFailure, nativeAvailable, threadHostSlots, validate, type NativeFailure,
} from '../lib/native.js';
import { NativeEngine, NativeUnsupported } from '../lib/engines/native.js';
import { encodeModule } from '../spec/binary/encode.js';
import { testsuiteModules } from './testsuite-modules.js';

const available = nativeAvailable();

function wasm(text: string): Uint8Array {
  const m = module_parse(text);
  if (isError(m)) throw new Error(`test module does not parse: ${m.message}`);
  return encodeModule(m.ast);
}

function compile(text: string): NativeModule {
  const m = NativeModule.compile(wasm(text));
  if (isNativeFailure(m)) throw new Error(`compile failed: ${m.status}: ${m.message}`);
  return m;
}

/** A module instantiated without imports in a fresh store; `func` gives an export's store address. */
function instantiate(text: string): { instance: NativeStore; func: (name: string) => number } {
  const module = compile(text);
  const instance = new NativeStore();
  const addrs = instance.instantiate(module, []);
  if (isNativeFailure(addrs)) throw new Error(`instantiate failed: ${addrs.message}`);
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  const func = (name: string): number => {
    const i = m.ast.exports.findIndex((x) => x.name === name);
    if (i < 0) throw new Error(`no export ${name}`);
    return addrs[i]!;
  };
  return { instance, func };
}

/** Calls with i32/i64 arguments given as bigints (bits); returns the result bits or the failure. */
function run(store: NativeStore, func: number, args: bigint[], results = 1): bigint[] | NativeFailure {
  const vals = threadHostSlots().bits;
  args.forEach((a, i) => { vals[i] = BigInt.asUintN(64, a); });
  const r = store.funcInvoke(func);
  return r === true ? [...vals.subarray(0, results)] : r;
}

const i32 = (x: bigint): bigint => BigInt.asIntN(32, x);

describe('native engine (singlepass)', () => {
  beforeAll(() => {
    if (available !== true) throw available;
  });

  it('runs arithmetic, locals, blocks, loops and calls', () => {
    const { instance, func } = instantiate(`(module
      (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func $fac (export "fac") (param i64) (result i64)
        (if (result i64) (i64.eqz (local.get 0))
          (then (i64.const 1))
          (else (i64.mul (local.get 0) (call $fac (i64.sub (local.get 0) (i64.const 1)))))))
      (func (export "sum") (param i32) (result i32) (local i32)
        (block $done
          (loop $next
            (br_if $done (i32.eqz (local.get 0)))
            (local.set 1 (i32.add (local.get 1) (local.get 0)))
            (local.set 0 (i32.sub (local.get 0) (i32.const 1)))
            (br $next)))
        (local.get 1))
      (func (export "sel") (param i32) (result i64) (select (i64.const -1) (i64.const 7) (local.get 0)))
      (func (export "bits") (param i32) (result i32)
        (i32.add (i32.clz (local.get 0)) (i32.mul (i32.ctz (local.get 0)) (i32.const 100))))
      (func (export "table") (param i32) (result i32)
        (block (block (block (br_table 0 1 2 (local.get 0))) (return (i32.const 10))) (return (i32.const 11)))
        (i32.const 12))
      (func (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
      (func (export "divs") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
      (func (export "rems") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
      (func (export "ext") (param i32) (result i64) (i64.extend_i32_s (local.get 0)))
    )`);
    expect(run(instance, func('add'), [2n, 3n])).toEqual([5n]);
    expect(run(instance, func('fac'), [20n])).toEqual([2432902008176640000n]);
    expect(run(instance, func('sum'), [100000n])).toEqual([BigInt.asUintN(32, 5000050000n)]);
    expect(run(instance, func('sel'), [1n])).toEqual([BigInt.asUintN(64, -1n)]);
    expect(run(instance, func('sel'), [0n])).toEqual([7n]);
    expect(run(instance, func('bits'), [8n])).toEqual([328n]);
    expect(run(instance, func('bits'), [0n])).toEqual([3232n]);
    expect([0n, 1n, 2n, 3n, 99n].map((i) => run(instance, func('table'), [i]))).toEqual([[10n], [11n], [12n], [12n], [12n]]);
    expect(run(instance, func('swap'), [1n, 2n], 2)).toEqual([2n, 1n]);
    const divs = run(instance, func('divs'), [-7n, 2n]);
    expect(Array.isArray(divs) ? divs.map(i32) : divs).toEqual([-3n]);
    expect(run(instance, func('rems'), [-0x80000000n, -1n])).toEqual([0n]);
    expect(run(instance, func('ext'), [-5n])).toEqual([BigInt.asUintN(64, -5n)]);
  });

  it('reads and writes memory and globals, grows memory in place', () => {
    const { instance, func } = instantiate(`(module
      (memory (export "mem") 1 3)
      (data (i32.const 16) "\\2a\\00\\00\\00")
      (global $g (export "g") (mut i64) (i64.const 5))
      (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "load8s") (param i32) (result i32) (i32.load8_s offset=1 (local.get 0)))
      (func (export "store") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
      (func (export "size") (result i32) (memory.size))
      (func (export "bump") (result i64) (global.set $g (i64.add (global.get $g) (i64.const 1))) (global.get $g))
    )`);
    expect(run(instance, func('load'), [16n])).toEqual([42n]);
    expect(run(instance, func('store'), [100n, 0x1122334455667788n], 0)).toEqual([]);
    expect(run(instance, func('load'), [104n])).toEqual([0x11223344n]);
    expect(instance.memBytes(func('mem'))[100]).toBe(0x88);
    expect(run(instance, func('load8s'), [99n])).toEqual([BigInt.asUintN(32, -0x78n)]);
    expect(run(instance, func('grow'), [1n])).toEqual([1n]);
    expect(run(instance, func('size'), [])).toEqual([2n]);
    expect(run(instance, func('store'), [65536n * 2n - 8n, 1n], 0)).toEqual([]);
    expect(run(instance, func('grow'), [2n])).toEqual([BigInt.asUintN(32, -1n)]);
    expect(run(instance, func('bump'), [])).toEqual([6n]);
    expect(instance.globalRead(func('g'))).toBe(6n);
  });

  it('turns every supported trap into the spec message, and the process goes on', () => {
    const { instance, func } = instantiate(`(module
      (memory 1)
      (func (export "unreachable") (unreachable))
      (func (export "div0") (param i32) (result i32) (i32.div_u (i32.const 1) (local.get 0)))
      (func (export "rem0") (param i64) (result i64) (i64.rem_s (i64.const 1) (local.get 0)))
      (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
      (func (export "overflow64") (result i64) (i64.div_s (i64.const 0x8000000000000000) (i64.const -1)))
      (func (export "oob") (param i32) (result i32) (i32.load (local.get 0)))
      (func (export "oob_offset") (param i32) (result i32) (i32.load offset=0xffffffff (local.get 0)))
      (func (export "oob_store") (param i32) (i64.store (local.get 0) (i64.const 1)))
      (func $deep (export "deep") (param i32) (result i32) (i32.add (call $deep (local.get 0)) (i32.const 1)))
      (func (export "ok") (result i32) (i32.const 1))
    )`);
    const cases: [string, bigint[], string, string][] = [
      ['unreachable', [], 'trap', 'unreachable'],
      ['div0', [0n], 'trap', 'integer divide by zero'],
      ['rem0', [0n], 'trap', 'integer divide by zero'],
      ['overflow', [], 'trap', 'integer overflow'],
      ['overflow64', [], 'trap', 'integer overflow'],
      ['oob', [65536n], 'trap', 'out of bounds memory access'],
      ['oob', [0xfffffffcn], 'trap', 'out of bounds memory access'],
      ['oob_offset', [0xffffffffn], 'trap', 'out of bounds memory access'],
      ['oob_store', [65533n], 'trap', 'out of bounds memory access'],
      ['deep', [0n], 'exhaustion', 'call stack exhausted'],
    ];
    for (let round = 0; round < 2; round++) {
      for (const [name, args, status, message] of cases) {
        expect({ name, r: run(instance, func(name), args) }).toEqual({ name, r: { status, message } });
        expect(run(instance, func('ok'), [])).toEqual([1n]);
      }
    }
    // The bytes just below the end are still accessible: the guard begins exactly at the end.
    expect(run(instance, func('oob'), [65532n])).toEqual([0n]);
  });

  it('computes floating point as V8 does, signs of zero and NaNs included', () => {
    const binops = ['add', 'sub', 'mul', 'div', 'min', 'max', 'copysign', 'eq', 'ne', 'lt', 'gt', 'le', 'ge'];
    const unops = ['abs', 'neg', 'sqrt', 'ceil', 'floor', 'trunc', 'nearest'];
    const cmp = new Set(['eq', 'ne', 'lt', 'gt', 'le', 'ge']);
    const fns = ['f32', 'f64'].flatMap((t) => [
      ...binops.map((op) => `(func (export "${t}.${op}") (param ${t} ${t}) (result ${cmp.has(op) ? 'i32' : t}) (${t}.${op} (local.get 0) (local.get 1)))`),
      ...unops.map((op) => `(func (export "${t}.${op}") (param ${t}) (result ${t}) (${t}.${op} (local.get 0)))`),
    ]);
    const conv = [
      ['f32.convert_i32_s', 'i32', 'f32'], ['f32.convert_i32_u', 'i32', 'f32'], ['f32.convert_i64_s', 'i64', 'f32'],
      ['f32.convert_i64_u', 'i64', 'f32'], ['f64.convert_i32_s', 'i32', 'f64'], ['f64.convert_i32_u', 'i32', 'f64'],
      ['f64.convert_i64_s', 'i64', 'f64'], ['f64.convert_i64_u', 'i64', 'f64'], ['f32.demote_f64', 'f64', 'f32'],
      ['f64.promote_f32', 'f32', 'f64'],
    ] as const;
    const text = `(module ${fns.join(' ')} ${conv.map(([op, a, r]) => `(func (export "${op}") (param ${a}) (result ${r}) (${op} (local.get 0)))`).join(' ')})`;
    const { instance, func } = instantiate(text);
    const v8 = new WebAssembly.Instance(new WebAssembly.Module(wasm(text) as Uint8Array<ArrayBuffer>)).exports;
    const floats = [0, -0, 1, -1.5, 2.5, 0.1, 1e30, -3e38, Infinity, -Infinity, NaN, 2 ** -140, 123456.789];
    const f64buf = new Float64Array(1);
    const u64 = new BigUint64Array(f64buf.buffer);
    const f32buf = new Float32Array(1);
    const u32 = new Uint32Array(f32buf.buffer);
    const toBits = (t: string, x: number): bigint => {
      if (t === 'f64') { f64buf[0] = x; return u64[0]!; }
      f32buf[0] = x; return BigInt(u32[0]!);
    };
    const fromBits = (t: string, b: bigint): number => {
      if (t === 'f64') { u64[0] = b; return f64buf[0]!; }
      if (t === 'f32') { u32[0] = Number(b); return f32buf[0]!; }
      return Number(BigInt.asIntN(32, b));
    };
    const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));
    const mismatches: string[] = [];
    for (const t of ['f32', 'f64']) {
      for (const op of binops) {
        const name = `${t}.${op}`;
        for (const a of floats) for (const b of floats) {
          const r = run(instance, func(name), [toBits(t, a), toBits(t, b)]);
          const want = (v8[name] as (x: number, y: number) => number)(a, b);
          if (isNativeFailure(r) || !same(fromBits(cmp.has(op) ? 'i32' : t, r[0]!), want)) mismatches.push(`${name}(${a}, ${b})`);
        }
      }
      for (const op of unops) {
        const name = `${t}.${op}`;
        for (const a of floats) {
          const r = run(instance, func(name), [toBits(t, a)]);
          const want = (v8[name] as (x: number) => number)(a);
          if (isNativeFailure(r) || !same(fromBits(t, r[0]!), want)) mismatches.push(`${name}(${a})`);
        }
      }
    }
    const ints = [0n, 1n, -1n, 0x7fffffffn, -0x80000000n, 0x7fffffffffffffffn, -0x8000000000000000n, 0x7ffffffffffffdffn, 12345678901234567n];
    for (const [op, a, r] of conv) {
      const args: (number | bigint)[] = a === 'i64' ? ints : a === 'i32' ? ints.map((x) => Number(BigInt.asIntN(32, x))) : floats;
      for (const x of args) {
        const bits = typeof x === 'bigint' ? x : a === 'i32' ? BigInt(x) : toBits(a, x);
        const got = run(instance, func(op), [bits]);
        const want = (v8[op] as (x: number | bigint) => number)(x);
        if (isNativeFailure(got) || !same(fromBits(r, got[0]!), want)) mismatches.push(`${op}(${x})`);
      }
    }
    const truncs = ['i32.trunc_f32_s', 'i32.trunc_f32_u', 'i32.trunc_f64_s', 'i32.trunc_f64_u',
      'i64.trunc_f32_s', 'i64.trunc_f32_u', 'i64.trunc_f64_s', 'i64.trunc_f64_u'];
    const edges = [...floats, -0.9, -1, 2147483647, 2147483648, -2147483648, -2147483649, 4294967295, 4294967296,
      9223372036854775807, -9223372036854775808, 18446744073709551615, 18446744073709551616, 1e19];
    for (const base of truncs) {
      for (const name of [base, base.replace('trunc', 'trunc_sat')]) {
        const r = name.slice(0, 3);
        const src = name.includes('f32') ? 'f32' : 'f64';
        const t = `(module (func (export "f") (param ${src}) (result ${r}) (${name} (local.get 0))))`;
        const ours = instantiate(t);
        const theirs = new WebAssembly.Instance(new WebAssembly.Module(wasm(t) as Uint8Array<ArrayBuffer>)).exports['f'] as (x: number) => number | bigint;
        for (const x of edges) {
          const got = run(ours.instance, ours.func('f'), [toBits(src, x)]);
          let want: number | bigint | string;
          try { want = theirs(x); } catch { want = 'trap'; }
          const gotValue = isNativeFailure(got) ? 'trap' : r === 'i64' ? BigInt.asIntN(64, got[0]!) : Number(BigInt.asIntN(32, got[0]!));
          if (gotValue !== want) mismatches.push(`${name}(${x}): ${String(gotValue)} vs ${String(want)}`);
          if (isNativeFailure(got)) {
            const expected = Number.isNaN(src === 'f32' ? Math.fround(x) : x) ? 'invalid conversion to integer' : 'integer overflow';
            if (got.message !== expected) mismatches.push(`${name}(${x}): ${got.message}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it("leaves node's own WebAssembly trapping correctly after ours trapped", () => {
    const text = `(module (memory 1) (func (export "oob") (param i32) (result i32) (i32.load (local.get 0))))`;
    const { instance, func } = instantiate(text);
    expect(run(instance, func('oob'), [70000n])).toEqual({ status: 'trap', message: 'out of bounds memory access' });
    const v8 = new WebAssembly.Instance(new WebAssembly.Module(wasm(text) as Uint8Array<ArrayBuffer>));
    const oob = v8.exports['oob'] as (x: number) => number;
    expect(() => oob(70000)).toThrow(WebAssembly.RuntimeError);
    expect(oob(0)).toBe(0);
    expect(run(instance, func('oob'), [70000n])).toEqual({ status: 'trap', message: 'out of bounds memory access' });
    expect(() => oob(0x7fffffff)).toThrow(/out of bounds/);
  });

  it('validates with the testsuite texts and refuses what it cannot compile yet', () => {
    const bytes = (...body: number[]): Uint8Array => new Uint8Array([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, // type 0: [] -> [i32]
      0x03, 0x02, 0x01, 0x00,
      0x0a, body.length + 2, 0x01, body.length, ...body,
    ]);
    expect(validate(bytes(0x00, 0x41, 0x01, 0x0b))).toBe(true);
    expect(validate(bytes(0x00, 0x42, 0x01, 0x0b))).toEqual({ status: 'invalid', message: 'type mismatch' });
    expect(validate(bytes(0x00, 0x20, 0x00, 0x0b))).toEqual({ status: 'invalid', message: 'unknown local' });
    expect(validate(bytes(0x00, 0x0b))).toEqual({ status: 'invalid', message: 'type mismatch' });
    expect(validate(bytes(0x00, 0x41, 0x01))).toEqual({ status: 'malformed', message: 'unexpected end of section or function' });
    expect(validate(bytes(0x00, 0x41))).toEqual({ status: 'malformed', message: 'unexpected end of section or function' });
    expect(validate(bytes(0x00, 0xff, 0x0b))).toEqual({ status: 'malformed', message: 'illegal opcode ff' });
    expect(validate(bytes(0x00, 0xfc, 0x12, 0x0b))).toEqual({ status: 'malformed', message: 'illegal opcode fc 12' });
    expect(validate(bytes(0x00, 0x0c, 0x01, 0x0b))).toEqual({ status: 'invalid', message: 'unknown label' });
    expect(validate(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00])))
      .toEqual({ status: 'malformed', message: 'unknown binary version' });
    // Unreachable code is validated but never reaches the backend.
    expect(validate(bytes(0x00, 0x00, 0x6a, 0x0b))).toBe(true);
    // v128 values: both tiers compile them.
    for (const tier of ['singlepass', 'optimizing'] as const) {
      expect(isNativeFailure(NativeModule.compile(wasm('(module (func (param v128)))'), tier))).toBe(false);
      expect(isNativeFailure(NativeModule.compile(wasm('(module (func (local v128)))'), tier))).toBe(false);
    }
  });
});

describe('NativeEngine at the engine seam', () => {
  it('instantiates, invokes and reads exports with exact values', () => {
    const engine = new NativeEngine();
    const m = module_parse(`(module (memory (export "mem") 1) (global (export "g") (mut f64) (f64.const -0.5))
      (func (export "f") (param i64 f32) (result f32 i64) (local.get 1) (local.get 0))
      (func (export "poke") (i32.store8 (i32.const 3) (i32.const 0xab))))`);
    if (isError(m)) throw new Error(m.message);
    const r = engine.instantiate(m, []);
    if (isError(r)) throw new Error(r.message);
    const addr = (name: string): number => r.exports.find((e) => e.name === name)!.extern.addr;
    // A signalling NaN's payload survives the crossing.
    expect(engine.funcInvoke(addr('f'), [{ type: 'i64', value: -2n }, { type: 'f32', bits: 0x7fa00001 }]))
      .toEqual([{ type: 'f32', bits: 0x7fa00001 }, { type: 'i64', value: -2n }]);
    expect(engine.funcInvoke(addr('poke'), [])).toEqual([]);
    expect(engine.memBytes(addr('mem'))[3]).toBe(0xab);
    expect(engine.memGrow(addr('mem'), 1)).toBe(true);
    expect(engine.memSize(addr('mem'))).toBe(2);
    expect(engine.globalRead(addr('g'))).toEqual({ type: 'f64', bits: 0xbfe0000000000000n });
  });

  it('returns spec errors and names what it cannot do yet', () => {
    const engine = new NativeEngine();
    const bad = module_parse('(module (func (result i32) (i64.const 1)))');
    if (isError(bad)) throw new Error(bad.message);
    expect(engine.instantiate(bad, [])).toMatchObject({ kind: 'invalid', message: 'type mismatch' });
    const start = module_parse('(module (func $s unreachable) (start $s))');
    if (isError(start)) throw new Error(start.message);
    expect(engine.instantiate(start, [])).toMatchObject({ kind: 'uninstantiable', message: 'unreachable' });
    const bytes = Uint8Array.from({ length: 16 }, (_, i) => 0xf0 + i);
    expect(engine.globalRead(engine.globalAlloc({ mut: false, type: 'v128' }, { type: 'v128', bytes }))).toEqual({ type: 'v128', bytes });
    expect(() => engine.memAlloc({ addrtype: 'i64', limits: { min: 1 } })).toThrow(/not supported yet: 64-bit memories/);
  });
});

describe('native validator on the testsuite', () => {
  // Every module, assert_invalid and binary assert_malformed of the 2.0 files (SIMD too): the native
  // decoder+validator agrees on the outcome and the message.
  it('agrees with the expected outcomes and messages', () => {
    let agree = 0;
    const differ: string[] = [];
    for (const { where, want, message, bytes } of testsuiteModules()) {
      const r = validate(bytes);
      if (r === true ? want === 'ok' : r.status === want && (r.message.startsWith(message) || message.startsWith(r.message))) agree++;
      else differ.push(`${where}: want ${want} ${message}, got ${r === true ? 'ok' : `${r.status} ${r.message}`}`);
    }
    expect(agree).toBeGreaterThanOrEqual(3719);
    expect(differ).toEqual([]);
  });
});

describe('trap safety', () => {
  // Every trap the native engine raises, a million frames of recursion, stack exhaustion, then
  // node's own WebAssembly trapping on a bounds check: each gives its error and the process goes on.
  it('survives every trap, deep recursion and exhaustion, and node still traps', () => {
    const text = `(module
      (type $v (func))
      (type $i (func (result i32)))
      (memory 1)
      (table $t 3 funcref)
      (elem (table $t) (i32.const 0) func $ok)
      (func $ok (result i32) (i32.const 1))
      (func (export "unreachable") (unreachable))
      (func (export "div0") (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
      (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
      (func (export "conversion") (result i32) (i32.trunc_f32_s (f32.const nan)))
      (func (export "memory") (result i32) (i32.load (i32.const 65535)))
      (func (export "fill") (memory.fill (i32.const 65000) (i32.const 0) (i32.const 1000)))
      (func (export "table") (result funcref) (table.get $t (i32.const 3)))
      (func (export "undefined") (result i32) (call_indirect $t (type $i) (i32.const 3)))
      (func (export "uninitialized") (result i32) (call_indirect $t (type $i) (i32.const 1)))
      (func (export "mismatch") (call_indirect $t (type $v) (i32.const 0)))
      (func $deep (export "deep") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $deep (i32.sub (local.get 0) (i32.const 1)))))))
      (func $forever (export "forever") (call $forever))
      (func (export "ok") (result i32) (call_indirect $t (type $i) (i32.const 0))))`;
    const m = module_parse(text);
    if (isError(m)) throw new Error(m.message);
    let [s, inst]: [Store, ModuleInst | ReturnType<typeof wasmError>] = module_instantiate(store_init({ engine: 'singlepass' }), m, []);
    if (isError(inst)) throw new Error(inst.message);
    const call = (name: string, args: Val[] = []): unknown => {
      const f = instance_export(inst as ModuleInst, name) as FuncAddr;
      const [next, r] = func_invoke(s, f, args);
      s = next;
      return isError(r) ? `${r.kind}: ${r.message}` : r;
    };
    const traps: [string, string][] = [
      ['unreachable', 'trap: unreachable'],
      ['div0', 'trap: integer divide by zero'],
      ['overflow', 'trap: integer overflow'],
      ['conversion', 'trap: invalid conversion to integer'],
      ['memory', 'trap: out of bounds memory access'],
      ['fill', 'trap: out of bounds memory access'],
      ['table', 'trap: out of bounds table access'],
      ['undefined', 'trap: undefined element 3'],
      ['uninitialized', 'trap: uninitialized element 1'],
      ['mismatch', 'trap: indirect call type mismatch'],
      ['forever', 'exhaustion: call stack exhausted'],
    ];
    for (const [name, error] of traps) {
      expect(call(name)).toBe(error);
      expect(call('ok')).toEqual([i32val(1)]);
    }
    expect(call('deep', [i32val(1_000_000)])).toEqual([i32val(1_000_000)]);
    expect(call('forever')).toBe('exhaustion: call stack exhausted');
    const v8 = new WebAssembly.Instance(new WebAssembly.Module(wasm('(module (memory 1) (func (export "oob") (result i32) (i32.load (i32.const 65536))))') as Uint8Array<ArrayBuffer>));
    expect(() => (v8.exports['oob'] as () => number)()).toThrow(WebAssembly.RuntimeError);
    expect(call('deep', [i32val(10)])).toEqual([i32val(10)]);
  });
});

describe('host functions that re-enter wasm', () => {
  it('re-enter wasm many levels deep, and errors and exceptions reach the caller', () => {
    const m = module_parse(`(module
      (import "host" "down" (func $down (param i32) (result i32)))
      (func (export "f") (param i32) (result i32)
        (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
          (else (i32.add (i32.const 1) (call $down (i32.sub (local.get 0) (i32.const 1))))))))`);
    if (isError(m)) throw new Error(m.message);
    let s = store_init({ engine: 'singlepass' });
    let f: FuncAddr | undefined;
    let down: FuncAddr;
    [s, down] = func_alloc(s, { params: ['i32'], results: ['i32'] }, (store, [n]) => {
      const k = (n as { value: number }).value;
      if (k === 7777) throw new Error('seven');
      if (k === 8888) return wasmError('trap', 'refused 8888');
      const [next, r] = func_invoke(store, f!, [n!]);
      return isError(r) ? r : [next, r];
    });
    let inst;
    [s, inst] = module_instantiate(s, m, [down]);
    if (isError(inst)) throw new Error(inst.message);
    f = instance_export(inst, 'f') as FuncAddr;
    let r;
    [s, r] = func_invoke(s, f, [i32val(100)]);
    expect(r).toEqual([i32val(100)]);
    // Each level takes JS stack too: too deep is V8's RangeError, as a host error, not a crash.
    [s, r] = func_invoke(s, f, [i32val(100_000)]);
    expect(r).toMatchObject({ kind: 'host', message: 'host function threw: Maximum call stack size exceeded' });
    [s, r] = func_invoke(s, f, [i32val(7780)]);
    expect(r).toMatchObject({ kind: 'host', message: 'host function threw: seven' });
    [s, r] = func_invoke(s, f, [i32val(8890)]);
    expect(r).toMatchObject({ kind: 'trap', message: 'refused 8888' });
    [s, r] = func_invoke(s, f, [i32val(3)]);
    expect(r).toEqual([i32val(3)]);
  });
});

describe('host function values', () => {
  it('survive host functions that re-enter wasm which calls them again (the host slots are shared)', () => {
    const m = module_parse(`(module
      (import "host" "h" (func $h (param i32 i64 f64) (result i64 i32 f64)))
      (func (export "g") (param i32 i64 f64) (result i64 i32 f64) (call $h (local.get 0) (local.get 1) (local.get 2))))`);
    if (isError(m)) throw new Error(m.message);
    let s = store_init({ engine: 'singlepass' });
    let g: FuncAddr | undefined;
    let h: FuncAddr;
    // h(a, b, c) = (b, 7, c) at a = 0, else g(a - 1, b + 1, c * 2) + (a, a, 0.5).
    [s, h] = func_alloc(s, { params: ['i32', 'i64', 'f64'], results: ['i64', 'i32', 'f64'] }, (store, [a, b, c]) => {
      const [x, y, z] = [(a as { value: number }).value, (b as { value: bigint }).value, f64ToNumber((c as { bits: bigint }).bits)];
      if (x === 0) return [store, [i64(y), i32val(7), f64(z)]];
      const [next, r] = func_invoke(store, g!, [i32val(x - 1), i64(y + 1n), f64(z * 2)]);
      if (isError(r)) return r;
      const [p, q, t] = r as unknown as [{ value: bigint }, { value: number }, { bits: bigint }];
      return [next, [i64(p.value + BigInt(x)), i32val(q.value + x), f64(f64ToNumber(t.bits) + 0.5)]];
    });
    let inst;
    [s, inst] = module_instantiate(s, m, [h]);
    if (isError(inst)) throw new Error(inst.message);
    g = instance_export(inst, 'g') as FuncAddr;
    const [, r] = func_invoke(s, g, [i32val(3), i64(100n), f64(1.25)]);
    // b: 103 at the bottom, then + 1 + 2 + 3; the i32: 7 + 6; c: 1.25 * 8 + 1.5.
    expect(r).toEqual([i64(109n), i32val(13), f64(11.5)]);
  });
});

describe('default engine', () => {
  it('is the native engine where it loads', async () => {
    const { store_init } = await import('../lib/api.js');
    expect(store_init().engine).toBe('singlepass');
  });
});

describe('native engine not built', () => {
  it('makes the reference engine the default, and says so once', async () => {
    vi.stubEnv('WASMO_NATIVE_LIB', '/nonexistent/libwasmo.so');
    vi.resetModules();
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const fresh = await import('../lib/api.js');
      expect(fresh.store_init().engine).toBe('reference');
      expect(fresh.store_init().engine).toBe('reference');
      expect(write.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringMatching(/^wasmo: running on the reference engine: cannot load the native engine from \/nonexistent\/libwasmo.so/),
      ]);
    } finally {
      write.mockRestore();
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });

  it('says how to build it', async () => {
    vi.stubEnv('WASMO_NATIVE_LIB', '/nonexistent/libwasmo.so');
    vi.resetModules();
    try {
      const fresh = await import('../lib/native.js');
      expect(String(fresh.nativeAvailable())).toMatch(/cannot load the native engine from \/nonexistent\/libwasmo.so/);
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
  });
});
