// Artifacts (host-shim/artifact/): every compiled module is loaded from one; they round-trip byte
// for byte, load from a mapped file and run; and every kind of damage or foreign configuration is
// refused with an error naming it, before any of the artifact's code could run.

import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as flatbuffers from 'flatbuffers';
import { artifactInterface, artifactSections, artifactSummary } from '../lib/artifact.js';
import { ModuleInfo } from '../lib/generated/module_generated.js';
import {
  func_alloc, func_invoke, i32, instance_export, isError, module_deserialize, module_deserialize_file,
  module_exports, module_function_tiers, module_imports, module_instantiate, module_parse, module_serialize, module_serialize_file, module_validate,
  store_init, type FuncAddr, type Module, type Val, type WasmError,
} from '../lib/index.js';
import {
  NativeModule, NativeStore, isNativeFailure, nativeAvailable, threadHostSlots, type NativeFailure,
} from '../lib/native.js';
import { encodeModule } from '../spec/binary/encode.js';

const available = nativeAvailable();

const TEXT = `(module
  (type $t (func (param i32) (result i32)))
  (memory 1 2)
  (data (i32.const 8) "hello")
  (data "passive")
  (global $g (mut i64) (i64.const 41))
  (global f64 (f64.const 2.5))
  (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func (export "popcnt") (type $t) (i32.popcnt (local.get 0)))
  (func (export "floor") (param f64) (result f64) (f64.floor (local.get 0)))
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "bump") (result i64) (global.set $g (i64.add (global.get $g) (i64.const 1))) (global.get $g))
  (func (export "twice") (param i32) (result i32) (call $add (local.get 0) (local.get 0)))
  (export "mem" (memory 0))
  (export "g" (global $g))
  (export "h" (global 1))
)`;

function wasm(text: string): Uint8Array {
  const m = module_parse(text);
  if (isError(m)) throw new Error(`test module does not parse: ${m.message}`);
  return encodeModule(m.ast);
}

function ok<T>(x: T | NativeFailure): T {
  if (isNativeFailure(x)) throw new Error(`${x.status}: ${x.message}`);
  return x;
}

/** Runs the test module's exports on a module however it was loaded. */
function exercise(module: NativeModule): unknown[] {
  const store = new NativeStore();
  const addrs = ok(store.instantiate(module, []));
  const addr = (name: string): number => addrs[module.exports().findIndex((e) => e.name === name)]!;
  const call = (name: string, ...args: bigint[]): bigint => {
    const vals = threadHostSlots().bits;
    args.forEach((a, i) => { vals[i] = a; });
    const r = store.funcInvoke(addr(name));
    if (r !== true) throw new Error(r.message);
    return vals[0]!;
  };
  const f64 = (x: number): bigint => new BigUint64Array(new Float64Array([x]).buffer)[0]!;
  const results = [
    call('add', 2n, 3n), call('popcnt', 0xf0f0n), call('floor', f64(-2.5)) === f64(-3), call('load8', 9n),
    call('bump'), call('bump'), call('twice', 21n), store.globalRead(addr('h')),
  ];
  store.free();
  return results;
}
const EXPECTED = [5n, 8n, true, BigInt('e'.charCodeAt(0)), 42n, 43n, 42n, new BigUint64Array(new Float64Array([2.5]).buffer)[0]!];

// --- The file format, as the tests see it (independently of host-shim) ---

const sections = artifactSections;

/** XXH64 (the 64-bit xxHash), as the artifact's checksum uses it. */
function xxh64(data: Uint8Array, seed: bigint): bigint {
  const M = (1n << 64n) - 1n;
  const P1 = 0x9E3779B185EBCA87n, P2 = 0xC2B2AE3D27D4EB4Fn, P3 = 0x165667B19E3779F9n;
  const P4 = 0x85EBCA77C2B2AE63n, P5 = 0x27D4EB2F165667C5n;
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M;
  const round = (acc: bigint, input: bigint): bigint => (rotl((acc + input * P2) & M, 31n) * P1) & M;
  let p = 0;
  const n = data.length;
  let h: bigint;
  if (n >= 32) {
    let v1 = (seed + P1 + P2) & M, v2 = (seed + P2) & M, v3 = seed, v4 = (seed - P1) & M;
    for (; n - p >= 32; p += 32) {
      v1 = round(v1, v.getBigUint64(p, true));
      v2 = round(v2, v.getBigUint64(p + 8, true));
      v3 = round(v3, v.getBigUint64(p + 16, true));
      v4 = round(v4, v.getBigUint64(p + 24, true));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M;
    for (const x of [v1, v2, v3, v4]) h = (((h ^ round(0n, x)) * P1) + P4) & M;
  } else {
    h = (seed + P5) & M;
  }
  h = (h + BigInt(n)) & M;
  for (; n - p >= 8; p += 8) h = (rotl(h ^ round(0n, v.getBigUint64(p, true)), 27n) * P1 + P4) & M;
  if (n - p >= 4) {
    h = (rotl(h ^ ((BigInt(v.getUint32(p, true)) * P1) & M), 23n) * P2 + P3) & M;
    p += 4;
  }
  for (; p < n; p++) h = (rotl(h ^ ((BigInt(data[p]!) * P5) & M), 11n) * P1) & M;
  h ^= h >> 33n; h = (h * P2) & M;
  h ^= h >> 29n; h = (h * P3) & M;
  h ^= h >> 32n;
  return h;
}

/**
 * Recomputes the checksum after a deliberate change, so the loader's other checks are reached;
 * `at` is where the checksum is (by default, where the damaged file's own headers say).
 */
function reseal(bytes: Uint8Array, at = sections(bytes).get('.wasmo.checksum')!.offset): Uint8Array {
  const sum = xxh64(bytes.subarray(at + 8), xxh64(bytes.subarray(0, at), 0n));
  new DataView(bytes.buffer, bytes.byteOffset).setBigUint64(at, sum, true);
  return bytes;
}

/** Replaces the first occurrence of `from` in section `name` by `to` (same length). */
function replaceIn(bytes: Uint8Array, name: string, from: string, to: string): Uint8Array {
  const out = bytes.slice();
  const s = sections(out).get(name)!;
  const hay = new TextDecoder('latin1').decode(out.subarray(s.offset, s.offset + s.size));
  const at = hay.indexOf(from);
  if (at < 0 || from.length !== to.length) throw new Error(`test: "${from}" not in ${name}`);
  out.set(new TextEncoder().encode(to), s.offset + at);
  return out;
}

function refusal(bytes: Uint8Array): NativeFailure {
  const r = NativeModule.deserialize(bytes);
  if (!isNativeFailure(r)) {
    r.free();
    throw new Error('artifact was accepted');
  }
  return r;
}

describe('artifacts', () => {
  let dir: string;
  let artifact: Uint8Array;
  beforeAll(() => {
    if (available !== true) throw available;
    dir = mkdtempSync(join(tmpdir(), 'wasmo-artifact-'));
    const m = ok(NativeModule.compile(wasm(TEXT)));
    artifact = m.serialize();
    m.free();
  });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true }); });

  it('is an ELF64 x86-64 file with code, data and metadata sections; compiling is deterministic', () => {
    expect([...artifact.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46]);
    expect(new DataView(artifact.buffer).getUint16(0x12, true)).toBe(62);  // EM_X86_64
    const s = sections(artifact);
    expect([...s.keys()].sort()).toEqual(
      ['.rodata', '.shstrtab', '.strtab', '.symtab', '.text', '.wasmo.checksum', '.wasmo.compat', '.wasmo.module', '.wasmo.types', '.wasmo.wasm']);
    expect(s.get('.wasmo.wasm')!.size).toBe(0);  // the module's binary: tiered code only
    expect(s.get('.text')!.offset % 4096).toBe(0);
    expect(new TextDecoder().decode(artifact.subarray(s.get('.rodata')!.offset, s.get('.rodata')!.offset + 12))).toBe('hellopassive');
    const again = ok(NativeModule.compile(wasm(TEXT)));
    expect(again.serialize()).toEqual(artifact);
    again.free();
  });

  it('names every function for tools: objdump shows wasm-function[i] at each function', () => {
    const file = join(dir, 'symbols.cwasm');
    writeFileSync(file, artifact);
    const r = spawnSync('objdump', ['-d', file], { encoding: 'utf8' });
    if (r.error) throw new Error(`objdump (binutils, installed with g++) is missing: ${r.error.message}`);
    expect([...r.stdout.matchAll(/^[0-9a-f]+ <([^>]+)>:$/gm)].map((m) => m[1])).toEqual([0, 1, 2, 3, 4, 5].map((i) => `wasm-function[${i}]`));
  });

  it('round-trips byte for byte, and a deserialized module runs', () => {
    const m = ok(NativeModule.deserialize(artifact));
    expect(m.serialize()).toEqual(artifact);
    expect(exercise(m)).toEqual(EXPECTED);
    m.free();
  });

  it('loads by mapping a file, and runs', () => {
    const file = join(dir, 'test.cwasm');
    writeFileSync(file, artifact);
    const m = ok(NativeModule.loadFile(file));
    expect(m.serialize()).toEqual(artifact);
    expect(exercise(m)).toEqual(EXPECTED);
    // The mapping outlives the module's handle while an instance holds the code.
    const store = new NativeStore();
    const addrs = ok(store.instantiate(m, []));
    m.free();
    const vals = threadHostSlots().bits;
    vals.set([1n, 2n]);
    expect(store.funcInvoke(addrs[0]!)).toBe(true);
    expect(vals[0]).toBe(3n);
    store.free();
  });

  it('keeps the module interface: exports, function and global types', () => {
    const m = ok(NativeModule.deserialize(artifact));
    expect(m.exports().map((e) => `${e.kind} ${e.name} ${e.index}`)).toEqual([
      'func add 0', 'func popcnt 1', 'func floor 2', 'func load8 3', 'func bump 4', 'func twice 5', 'mem mem 0', 'global g 0', 'global h 1',
    ]);
    expect(m.funcType(1)).toEqual({ params: ['i32'], results: ['i32'] });
    expect(m.globalType(0)).toEqual({ type: 'i64', mutable: true });
    m.free();
  });

  it('shows TS the module interface, read from the FlatBuffers metadata', () => {
    const m = ok(NativeModule.compile(wasm(`(module
      (import "env" "f" (func (param i64) (result f32)))
      (import "env" "t" (table 2 funcref))
      (import "env" "m" (memory 1 5))
      (import "env" "g" (global (mut externref)))
      (func (export "h") (param i32))
      (global (export "c") f64 (f64.const 1))
      (table (export "t2") 3 7 externref)
      (export "f" (func 0)) (export "m" (memory 0)) (export "g" (global 0)) (export "t" (table 0)))`)));
    const { ast, imports, exports } = artifactInterface(m.serialize());
    m.free();
    expect(ast.imports.map((im) => `${im.module}.${im.name}`)).toEqual(['env.f', 'env.t', 'env.m', 'env.g']);
    expect(imports).toEqual([
      { kind: 'func', type: { params: ['i64'], results: ['f32'] } },
      { kind: 'table', type: { addrtype: 'i32', limits: { min: 2 }, reftype: 'funcref' } },
      { kind: 'mem', type: { addrtype: 'i32', limits: { min: 1, max: 5 } } },
      { kind: 'global', type: { mut: true, type: 'externref' } },
    ]);
    expect(ast.exports.map((e) => e.name)).toEqual(['h', 'c', 't2', 'f', 'm', 'g', 't']);
    expect(exports).toEqual([
      { kind: 'func', type: { params: ['i32'], results: [] } },
      { kind: 'global', type: { mut: false, type: 'f64' } },
      { kind: 'table', type: { addrtype: 'i32', limits: { min: 3, max: 7 }, reftype: 'externref' } },
      imports[0], imports[2], imports[3], imports[1],
    ]);
    expect(ast.funcs).toEqual([{ type: 1, locals: [], body: [] }]);
  });

  it('refuses another format version, engine version, target, tier, flags, CPU or wasm features, naming it', () => {
    const compat = sections(artifact).get('.wasmo.compat')!;
    // format_version is the root table's first field (FlatBuffers: root offset, then vtable entry 0).
    const v = new DataView(artifact.buffer);
    const table = compat.offset + v.getUint32(compat.offset, true);
    const vtable = table - v.getInt32(table, true);
    const formatAt = table + v.getUint16(vtable + 4, true);
    const otherFormat = artifact.slice();
    new DataView(otherFormat.buffer).setUint32(formatAt, 1, true);
    expect(refusal(otherFormat)).toEqual({ status: 'incompatible', message: 'incompatible artifact: format version is 1, this engine reads version 3' });

    const engineVersion = /0\.1\.0\+[0-9a-f]{16}/.exec(new TextDecoder('latin1').decode(artifact.subarray(compat.offset, compat.offset + compat.size)))![0];
    const otherVersion = engineVersion.replace(/.$/, (c) => (c === '0' ? '1' : '0'));
    expect(refusal(reseal(replaceIn(artifact, '.wasmo.compat', engineVersion, otherVersion)))).toEqual({
      status: 'incompatible', message: `incompatible artifact: engine version is ${otherVersion}, this engine's is ${engineVersion}`,
    });
    const cases: [string, string, string][] = [
      ['x86_64-linux', 'x86_64-macos', 'target is x86_64-macos, this engine\'s is x86_64-linux'],
      ['singlepass', 'liftoff-v8', 'compiler tier is liftoff-v8, this engine\'s are singlepass, optimizing, tiered'],
      ['guard-pages', 'explicit-ck', 'compiler flags is bounds-checks=explicit-ck, this engine\'s is bounds-checks=guard-pages'],
      ['popcnt', '3dnow!', 'needs CPU features this CPU lacks: 3dnow!'],
      ['multi-value', 'gc-proposal', 'needs WebAssembly features this engine does not enable: gc-proposal'],
    ];
    for (const [from, to, message] of cases) {
      expect(refusal(reseal(replaceIn(artifact, '.wasmo.compat', from, to)))).toEqual({ status: 'incompatible', message: `incompatible artifact: ${message}` });
    }
    const arm = artifact.slice();
    new DataView(arm.buffer).setUint16(0x12, 183, true);  // EM_AARCH64
    expect(refusal(arm)).toEqual({ status: 'incompatible', message: 'incompatible artifact: ELF machine is 183, this engine\'s is 62 (x86-64)' });
  });

  it('records only the CPU features the code uses', () => {
    const plain = ok(NativeModule.compile(wasm('(module (func (export "f") (result i32) (i32.const 1)))')));
    const bytes = plain.serialize();
    plain.free();
    const compat = sections(bytes).get('.wasmo.compat')!;
    const text = new TextDecoder('latin1').decode(bytes.subarray(compat.offset, compat.offset + compat.size));
    expect(text).not.toContain('popcnt');
    expect(text).not.toContain('sse4.1');
    const used = new TextDecoder('latin1').decode(artifact.subarray(sections(artifact).get('.wasmo.compat')!.offset, sections(artifact).get('.wasmo.compat')!.offset + 400));
    expect(used).toContain('popcnt');
    expect(used).toContain('sse4.1');
  });

  it('refuses an artifact truncated at every section boundary', () => {
    const cuts = new Set<number>([0, 1, 4, 63, 64, artifact.length - 1]);
    for (const s of sections(artifact).values()) {
      cuts.add(s.offset); cuts.add(s.offset + s.size); cuts.add(s.header); cuts.add(s.header + 64);
    }
    for (const cut of [...cuts].filter((c) => c < artifact.length)) {
      const r = refusal(artifact.subarray(0, cut));
      expect({ cut, status: r.status, corrupted: r.message.startsWith('corrupted artifact: ') }).toEqual({ cut, status: 'malformed', corrupted: true });
    }
  });

  it('refuses headers, sizes and offsets out of range, with a valid checksum', () => {
    const s = sections(artifact);
    const patched = (f: (v: DataView) => void): NativeFailure => {
      const out = artifact.slice();
      f(new DataView(out.buffer));
      return refusal(reseal(out, s.get('.wasmo.checksum')!.offset));
    };
    const text = s.get('.text')!;
    const module = s.get('.wasmo.module')!;
    const cases: [string, NativeFailure][] = [
      ['section past the end', patched((v) => v.setBigUint64(module.header + 0x18, BigInt(artifact.length), true))],
      ['section size past the end', patched((v) => v.setBigUint64(module.header + 0x20, 1n << 62n, true))],
      ['section table past the end', patched((v) => v.setBigUint64(0x28, BigInt(artifact.length - 64), true))],
      ['section count', patched((v) => v.setUint16(0x3c, 200, true))],
      ['code not page-aligned', patched((v) => v.setBigUint64(text.header + 0x18, BigInt(text.offset - 8), true))],
      ['metadata overlapping the code', patched((v) => v.setBigUint64(module.header + 0x18, BigInt(text.offset), true))],
      ['unknown section', patched((v) => v.setUint32(module.header, 1, true))],
      ['function offsets past the code', patched((v) => v.setBigUint64(text.header + 0x20, 1n, true))],
    ];
    for (const [what, r] of cases) {
      expect({ what, status: r.status, corrupted: r.message.startsWith('corrupted artifact: ') }).toEqual({ what, status: 'malformed', corrupted: true });
    }
  });

  it('refuses a damaged per-function tier record of tiered code, naming the function and the damage', () => {
    // $add and $twice tier up, $other does not.
    const m = module_parse(`(module
      (func $add (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
      (func (export "twice") (param i32) (result i32) (call $add (local.get 0) (local.get 0)))
      (func (export "other") (result i32) (i32.const 7)))`);
    if (isError(m)) throw new Error(m.message);
    let [store, inst] = module_instantiate(store_init({ engine: 'tiered', tierUp: { threshold: 0, wait: true } }), m, []);
    if (isError(inst)) throw new Error(inst.message);
    [store] = func_invoke(store, instance_export(inst, 'twice') as FuncAddr, [i32(2)]);
    const tiered = module_serialize(m, { engine: 'tiered' });
    if (isError(tiered)) throw new Error(tiered.message);
    const s = sections(tiered);
    const module = s.get('.wasmo.module')!;
    const info = ModuleInfo.getRootAsModuleInfo(new flatbuffers.ByteBuffer(tiered.subarray(module.offset, module.offset + module.size)));
    expect(Array.from({ length: info.tieredLength() }, (_, k) => info.tiered(k)!.tier())).toEqual([1, 1, 0]);
    const block = { begin: info.tiered(1)!.begin(), end: info.tiered(1)!.end(), entry: info.tiered(1)!.entry() };
    // Field offsets in a TieredFunction: tier 0, begin 4, end 8, entry 12, entry_size 16.
    const damaged = (k: number, field: number, value: number): string => {
      const out = tiered.slice();
      const at = module.offset + info.tiered(k)!.bb_pos + field;
      if (field === 0) out[at] = value;
      else new DataView(out.buffer).setUint32(at, value, true);
      const r = refusal(reseal(out));
      expect(r.status).toBe('malformed');
      return r.message;
    };
    const record = (f: number) => `corrupted artifact: function ${f}'s tier record: `;
    expect(damaged(2, 0, 7)).toBe(`${record(2)}unknown tier 7`);
    expect(damaged(0, 0, 0)).toBe(`${record(0)}singlepass with a code block`);
    expect(damaged(2, 0, 1)).toBe(`${record(2)}code block out of range`);
    expect(damaged(1, 4, block.begin + 8)).toBe(`${record(1)}code block out of range`);
    expect(damaged(1, 8, 1 << 30)).toBe(`${record(1)}code block out of range`);
    expect(damaged(1, 12, block.end)).toBe(`${record(1)}entry out of range`);
    expect(damaged(1, 16, block.end - block.entry + 1)).toBe(`${record(1)}entry out of range`);
    // Intact, it loads with the tiers it records.
    const loaded = module_deserialize(tiered);
    if (isError(loaded)) throw new Error(loaded.message);
    expect(module_function_tiers(loaded)).toEqual(['optimizing', 'optimizing', 'singlepass']);
  });

  it('refuses any flipped byte (fast-check), before running anything', () => {
    fc.assert(fc.property(fc.nat({ max: artifact.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
      const bad = artifact.slice();
      bad[at]! ^= x;
      const r = refusal(bad);
      return r.status === 'malformed' || r.status === 'incompatible';
    }), { numRuns: 300 });
  });

  it('survives flipped metadata bytes behind a valid checksum: refused, or loaded intact (fast-check)', () => {
    const s = sections(artifact);
    const meta = ['.wasmo.compat', '.wasmo.types', '.wasmo.module'].map((n) => s.get(n)!);
    const shoff = Number(new DataView(artifact.buffer).getBigUint64(0x28, true));
    const shnum = new DataView(artifact.buffer).getUint16(0x3c, true);
    const ranges = [{ offset: 0, size: 64 }, ...meta, { offset: shoff, size: shnum * 64 }];
    const checksumAt = s.get('.wasmo.checksum')!.offset;
    fc.assert(fc.property(fc.constantFrom(...ranges), fc.nat(), fc.integer({ min: 1, max: 255 }), (range, k, x) => {
      const bad = artifact.slice();
      bad[range.offset + (k % range.size)]! ^= x;
      const r = NativeModule.deserialize(reseal(bad, checksumAt));
      if (isNativeFailure(r)) return ['malformed', 'incompatible'].includes(r.status);
      // Some bytes carry no meaning (padding, an unused struct field); what loads serializes back as given.
      const same = r.serialize().every((b, i) => b === bad[i]);
      r.free();
      return same;
    }), { numRuns: 500 });
  });
});

describe('module_serialize / module_deserialize (beyond the appendix)', () => {
  const SOURCE = `(module
    (import "env" "twice" (func $twice (param i32) (result i32)))
    (memory (export "mem") 1)
    (data (i32.const 0) "\\07")
    (func (export "f") (param i32) (result i32)
      (i32.add (call $twice (local.get 0)) (i32.load8_u (i32.const 0)))))`;
  let dir: string;
  beforeAll(() => {
    if (available !== true) throw available;
    dir = mkdtempSync(join(tmpdir(), 'wasmo-artifact-api-'));
  });
  afterAll(() => { if (dir) rmSync(dir, { recursive: true }); });

  function parsed(): Module {
    const m = module_parse(SOURCE);
    if (isError(m)) throw new Error(m.message);
    return m;
  }

  /** Instantiates with a host `twice` and calls f(20): 20*2 + 7. */
  function run(module: Module, engine: 'singlepass' | 'optimizing' = 'singlepass'): Val[] | WasmError {
    let store = store_init({ engine });
    let twice: FuncAddr;
    [store, twice] = func_alloc(store, { params: ['i32'], results: ['i32'] },
      (s, [x]) => [s, [i32((x as { value: number }).value * 2)]]);
    const [store1, inst] = module_instantiate(store, module, [twice]);
    if (isError(inst)) return inst;
    const f = instance_export(inst, 'f');
    if (isError(f) || f.kind !== 'func') throw new Error('no f');
    return func_invoke(store1, f, [i32(20)])[1];
  }

  it('round-trips byte for byte; the deserialized module links, instantiates and runs', () => {
    const original = parsed();
    const bytes = module_serialize(original);
    if (isError(bytes)) throw new Error(bytes.message);
    const loaded = module_deserialize(bytes);
    if (isError(loaded)) throw new Error(loaded.message);
    expect(module_serialize(loaded)).toEqual(bytes);
    expect(module_imports(loaded)).toEqual(module_imports(original));
    expect(module_exports(loaded)).toEqual(module_exports(original));
    expect(module_validate(loaded)).toBeUndefined();
    expect(run(loaded)).toEqual([i32(47)]);
    expect(run(loaded)).toEqual(run(original));
  });

  it('module_serialize_file writes the bytes module_serialize gives, and gives its errors', () => {
    const m = module_parse('(module (func (export "f") (result i32) (i32.const 47)))');
    if (isError(m)) throw new Error(m.message);
    const file = join(dir, 'written.cwasm');
    expect(module_serialize_file(m, file)).toBeUndefined();
    expect(new Uint8Array(readFileSync(file))).toEqual(module_serialize(m));
    const invalid = module_parse('(module (func (result i32)))');
    if (isError(invalid)) throw new Error(invalid.message);
    expect(module_serialize_file(invalid, join(dir, 'invalid.cwasm'))).toMatchObject({ kind: 'invalid' });
    expect(() => module_serialize_file(m, join(dir, 'no-such-folder', 'x.cwasm'))).toThrow(/ENOENT/);
    const loaded = module_deserialize_file(file);
    if (isError(loaded)) throw new Error(loaded.message);
    expect(() => module_serialize_file(loaded, file, { engine: 'optimizing' }))
      .toThrow('module_serialize_file: the module is compiled code for the singlepass engine, not optimizing');
  });

  it('a loaded file can change or shrink: the live instance runs the checked code, a new load is refused', () => {
    const m = module_parse('(module (func (export "f") (result i32) (i32.const 47)))');
    if (isError(m)) throw new Error(m.message);
    const bytes = module_serialize(m);
    if (isError(bytes)) throw new Error(bytes.message);
    const file = join(dir, 'changing.cwasm');
    writeFileSync(file, bytes);
    const loaded = module_deserialize_file(file);
    if (isError(loaded)) throw new Error(loaded.message);
    let [store, inst] = module_instantiate(store_init({ engine: 'singlepass' }), loaded, []);
    if (isError(inst)) throw new Error(inst.message);
    const f = instance_export(inst, 'f');
    if (isError(f) || f.kind !== 'func') throw new Error('no f');
    // Overwritten in place (code pages included: a private mapping would show these bytes), then
    // truncated (a mapping would fault with SIGBUS).
    const fd = openSync(file, 'r+');
    writeSync(fd, new Uint8Array(bytes.length).fill(0xcc), 0, bytes.length, 0);
    closeSync(fd);
    let result;
    [store, result] = func_invoke(store, f, []);
    expect(result).toEqual([i32(47)]);
    expect(module_deserialize_file(file)).toMatchObject({ kind: 'malformed', message: 'corrupted artifact: not an ELF file' });
    truncateSync(file, 10);
    expect(func_invoke(store, f, [])[1]).toEqual([i32(47)]);
    expect(module_serialize(loaded)).toEqual(bytes);
    expect(module_deserialize_file(file)).toMatchObject({ kind: 'malformed', message: 'corrupted artifact: shorter than an ELF header' });
    const [store2, inst2] = module_instantiate(store_init({ engine: 'singlepass' }), loaded, []);
    if (isError(inst2)) throw new Error(inst2.message);
    const f2 = instance_export(inst2, 'f');
    if (isError(f2) || f2.kind !== 'func') throw new Error('no f');
    expect(func_invoke(store2, f2, [])[1]).toEqual([i32(47)]);
  });

  it('records the optimizing compiler as the tier: its artifact round-trips and runs only on its engine', () => {
    const original = parsed();
    const bytes = module_serialize(original, { engine: 'optimizing' });
    if (isError(bytes)) throw new Error(bytes.message);
    const singlepass = module_serialize(original);
    if (isError(singlepass)) throw new Error(singlepass.message);
    expect(Buffer.compare(bytes, singlepass)).not.toBe(0);
    const loaded = module_deserialize(bytes);
    if (isError(loaded)) throw new Error(loaded.message);
    expect(loaded.compiledFor).toBe('optimizing');
    expect(module_serialize(loaded)).toEqual(bytes);
    expect(() => module_serialize(loaded, { engine: 'singlepass' })).toThrow(TypeError);
    expect(run(loaded, 'optimizing')).toEqual([i32(47)]);
    expect(() => run(loaded, 'singlepass')).toThrow(
      new TypeError('module_instantiate: the module is compiled code for the optimizing engine, this store runs on singlepass'));
  });

  it('loads a file written by module_serialize', () => {
    const bytes = module_serialize(parsed());
    if (isError(bytes)) throw new Error(bytes.message);
    const file = join(dir, 'm.cwasm');
    writeFileSync(file, bytes);
    const loaded = module_deserialize_file(file);
    if (isError(loaded)) throw new Error(loaded.message);
    expect(run(loaded)).toEqual([i32(47)]);
    expect(module_serialize(loaded)).toEqual(bytes);
  });

  it('gives errors for invalid modules, corrupted, incompatible and unreadable artifacts', () => {
    const invalid = module_parse('(module (func (result i32)))');
    if (isError(invalid)) throw new Error(invalid.message);
    expect(module_serialize(invalid)).toMatchObject({ kind: 'invalid' });
    expect(module_deserialize(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]))).toMatchObject({
      kind: 'malformed', message: 'corrupted artifact: shorter than an ELF header',
    });
    const bytes = module_serialize(parsed());
    if (isError(bytes)) throw new Error(bytes.message);
    expect(module_deserialize(reseal(replaceIn(bytes, '.wasmo.compat', 'singlepass', 'liftoff-v8')))).toMatchObject({
      kind: 'malformed', message: 'incompatible artifact: compiler tier is liftoff-v8, this engine\'s are singlepass, optimizing, tiered',
    });
    const missing = join(dir, 'missing.cwasm');
    expect(module_deserialize_file(missing)).toMatchObject({
      kind: 'malformed', message: `cannot read artifact ${missing}: No such file or directory`,
    });
  });

  it('instantiates only on the engine that compiled it, leaving the store usable', () => {
    const bytes = module_serialize(parsed());
    if (isError(bytes)) throw new Error(bytes.message);
    const loaded = module_deserialize(bytes);
    if (isError(loaded)) throw new Error(loaded.message);
    const store = store_init({ engine: 'reference' });
    expect(() => module_instantiate(store, loaded, [])).toThrow(
      new TypeError('module_instantiate: the module is compiled code for the singlepass engine, this store runs on reference'));
    expect(() => module_instantiate(store, parsed(), [])).not.toThrow(TypeError);
  });
});

describe.skipIf(!available)('compiling for a set of CPU features (CompileOptions.cpuFeatures)', () => {
  const SIMD = wasm(`(module
    (func (export "add") (param i64 i64) (result i64) (i64x2.extract_lane 1 (i32x4.add (i64x2.splat (local.get 0)) (i64x2.splat (local.get 1)))))
    (func (export "gt") (param i64 i64) (result i64) (i64x2.extract_lane 0 (i64x2.gt_s (i64x2.splat (local.get 0)) (i64x2.splat (local.get 1))))))`);
  const hostFlags = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.split(/\s+/) ?? [];
  const compiled = (cpuFeatures?: string[], tier: 'singlepass' | 'optimizing' = 'singlepass'): NativeModule | NativeFailure =>
    NativeModule.compile(SIMD, tier, cpuFeatures === undefined ? {} : { cpuFeatures });
  const recorded = (m: NativeModule): readonly string[] => artifactSummary(m.serialize()).cpuFeatures;
  // add and gt on 0x1_0000_0007 and -3 (as the low-level API passes them: bits in the thread's slots).
  const results = (m: NativeModule): bigint[] => {
    const store = new NativeStore();
    const addrs = ok(store.instantiate(m, []));
    const out = addrs.map((addr) => {
      const vals = threadHostSlots().bits;
      [vals[0], vals[1]] = [0x1_0000_0007n, BigInt.asUintN(64, -3n)];
      const r = store.funcInvoke(addr);
      if (r !== true) throw new Error(r.message);
      return vals[0]!;
    });
    store.free();
    return out;
  };

  it('records what the code uses: SSE4.1 alone, SSE4.2 for i64x2.gt_s where allowed, AVX where allowed', () => {
    const sse41 = ok(compiled(['popcnt', 'sse4.1']));
    const sse42 = ok(compiled(['sse4.1', 'sse4.2']));
    expect(recorded(sse41)).toEqual(['sse4.1']);
    expect(recorded(sse42)).toEqual(['sse4.1', 'sse4.2']);
    expect(results(sse41)).toEqual([4n, 0xffff_ffff_ffff_ffffn]);
    expect(results(sse42)).toEqual(results(sse41));
    if (hostFlags.includes('avx')) {
      const avx = ok(compiled(['sse4.1', 'avx']));
      expect(recorded(avx)).toEqual(['sse4.1', 'avx']);
      expect(recorded(ok(compiled()))).toContain('avx');  // the host's features by default
      expect(results(avx)).toEqual(results(sse41));
      avx.free();
    }
    sse41.free();
    sse42.free();
  });

  it('refuses unknown names, features this CPU lacks, and SIMD without SSE4.1, as error values', () => {
    expect(compiled(['sse4.1', 'sse5'])).toEqual({ status: 'incompatible', message: 'unknown CPU feature "sse5" (known: popcnt, sse4.1, sse4.2, avx)' });
    for (const f of ['popcnt', 'sse4.1', 'sse4.2', 'avx'].filter((f) => !hostFlags.includes(f.replace('.', '_')))) {
      expect(compiled([f])).toEqual({ status: 'incompatible', message: `CPU feature ${f} is not available on this CPU` });
    }
    expect(compiled([])).toEqual({ status: 'unsupported', message: 'not supported yet: i64x2.splat without SSE4.1 (the reference engine runs it)' });
    expect(compiled(['popcnt'], 'optimizing')).toEqual({
      status: 'unsupported', message: 'not supported yet: the optimizing compiler without SSE4.1 and POPCNT among the CPU features it may use',
    });
    const m = module_parse('(module)');
    if (isError(m)) throw new Error(m.message);
    const e = module_serialize(m, { cpuFeatures: ['mmx'] });
    expect(isError(e) && e.message).toContain('unknown CPU feature "mmx"');
  });

  it.skipIf(!hostFlags.includes('avx'))('loading refuses AVX code where the CPU lacks a feature it records', () => {
    const avx = ok(compiled(['sse4.1', 'avx']));
    const bytes = avx.serialize();
    avx.free();
    // The loader's check is the same for every name: one the host cannot have stands for AVX here.
    expect(refusal(reseal(replaceIn(bytes, '.wasmo.compat', 'avx', 'av9')))).toEqual({
      status: 'incompatible', message: 'incompatible artifact: needs CPU features this CPU lacks: av9',
    });
  });
});
