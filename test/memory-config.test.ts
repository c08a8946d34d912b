// Memory reservation and guard sizes (store_init({ memory }), --memory-reservation, --memory-guard):
// memories grow no further than their reservation on every engine; below the default sizes the
// native engines compile code that checks bounds explicitly, which the artifact records (a store of
// the other kind refuses it); small reservations let many more memories live at once.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  func_invoke, i32, instance_export, isError, mem_read, module_deserialize, module_instantiate, module_parse,
  module_serialize, store_free, store_init, type EngineName, type MemoryConfig, type Module, type Val,
} from '../lib/index.js';
import { main } from '../lib/cli.js';
import { nativeAvailable } from '../lib/native.js';

const native = nativeAvailable() === true;
const engines: EngineName[] = native ? ['reference', 'singlepass', 'optimizing', 'v8'] : ['reference', 'v8'];
const KiB = 1024;
const MiB = 1024 * KiB;

function parse(text: string): Module {
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  return m;
}

// Two pages; loads and stores of every width at the end, with offsets, and memory.grow.
const shared = parse(`(module
  (memory (export "mem") 2)
  (func (export "load8") (param i32) (result i32) (i32.load8_u (local.get 0)))
  (func (export "load32") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "load64_off") (param i32) (result i64) (i64.load offset=65536 (local.get 0)))
  (func (export "load_far") (param i32) (result i32) (i32.load offset=0xfffffff0 (local.get 0)))
  (func (export "store32") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "store16_off") (param i32 i32) (i32.store16 offset=3 (local.get 0) (local.get 1)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "size") (result i32) (memory.size))
  (func (export "fill") (param i32 i32) (memory.fill (local.get 0) (i32.const 7) (local.get 1))))`);

function instance(engine: EngineName, memory?: MemoryConfig) {
  const [store, inst] = module_instantiate(store_init({ engine, ...(memory === undefined ? {} : { memory }) }), shared, []);
  if (isError(inst)) throw new Error(inst.message);
  let s = store;
  const call = (name: string, args: Val[]): string => {
    const f = instance_export(inst, name);
    if (isError(f) || f.kind !== 'func') throw new Error(`no ${name}`);
    const [next, r] = func_invoke(s, f, args);
    s = next;
    return isError(r) ? `${r.kind}: ${r.message}` : JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
  };
  const byte = (i: number): number => {
    const mem = instance_export(inst, 'mem');
    if (isError(mem) || mem.kind !== 'mem') throw new Error('no mem');
    const b = mem_read(s, mem, i);
    if (isError(b)) throw new Error(b.message);
    return b;
  };
  return { call, byte, free: () => store_free(s) };
}

const END = 2 * 65536;
const OOB = 'trap: out of bounds memory access';
// Accesses at and just past the end: the results, or traps, every engine must give.
const cases: [string, Val[], string][] = [
  ['load8', [i32(END - 1)], '[{"type":"i32","value":0}]'],
  ['load8', [i32(END)], OOB],
  ['load32', [i32(END - 4)], '[{"type":"i32","value":0}]'],
  ['load32', [i32(END - 3)], OOB],
  ['load32', [i32(-1)], OOB],
  ['load64_off', [i32(65536 - 8)], '[{"type":"i64","value":"0"}]'],
  ['load64_off', [i32(65536 - 7)], OOB],
  ['load_far', [i32(0)], OOB],
  ['load_far', [i32(0x20)], OOB],
  ['store32', [i32(END - 3), i32(-1)], OOB],
  ['store16_off', [i32(END - 5), i32(-1)], '[]'],
  ['store16_off', [i32(END - 4), i32(-1)], OOB],
  ['fill', [i32(END - 10), i32(11)], OOB],
];

const small: MemoryConfig = { reservation: 4 * 65536, guard: 0 };

describe.each(engines)('on %s', (engine) => {
  test.each([
    ['the default sizes', undefined],
    ['a 256 KiB reservation without guard', small],
    ['a 4 GiB reservation without guard', { reservation: 2 ** 32, guard: 0 }],
    ['a 1 MiB reservation and 64 KiB guard', { reservation: MiB, guard: 64 * KiB }],
  ] as const)('with %s, accesses at the end of memory load, store and trap as the spec says', (_, memory) => {
    const { call, byte, free } = instance(engine, memory);
    for (const [name, args, want] of cases) expect([name, args, call(name, args)]).toEqual([name, args, want]);
    // A trapping store changes nothing; the one that fit wrote its two bytes.
    expect([byte(END - 3), byte(END - 2), byte(END - 1)]).toEqual([0, 0xff, 0xff]);
    free();
  });

  test('memory.grow past the reservation gives -1, and the memory works as before', () => {
    const { call, free } = instance(engine, small);
    expect(call('grow', [i32(3)])).toBe('[{"type":"i32","value":-1}]');
    expect(call('grow', [i32(2)])).toBe('[{"type":"i32","value":2}]');
    expect(call('grow', [i32(1)])).toBe('[{"type":"i32","value":-1}]');
    expect(call('size', [])).toBe('[{"type":"i32","value":4}]');
    expect(call('load32', [i32(4 * 65536 - 4)])).toBe('[{"type":"i32","value":0}]');
    expect(call('load32', [i32(4 * 65536 - 3)])).toBe(OOB);
    free();
  });

  // Without a guard, the next reservation may start right after this one's end (the kernel maps
  // them side by side), accessible: only the explicit check stops an access that would land there.
  test('an access past a reservation without guard traps even where the next memory lies', () => {
    const m = parse(`(module (memory (export "mem") 1 1)
      (func (export "poke") (i32.store8 (i32.const 0) (i32.const 42)))
      (func (export "past") (result i32) (i32.load8_u offset=65536 (i32.const 0))))`);
    let store = store_init({ engine, memory: { reservation: 65536, guard: 0 } });
    const run = (inst: ReturnType<typeof module_instantiate>[1], name: string): string => {
      if (isError(inst)) throw new Error(inst.message);
      const f = instance_export(inst, name);
      if (isError(f) || f.kind !== 'func') throw new Error(`no ${name}`);
      const [next, r] = func_invoke(store, f, []);
      store = next;
      return isError(r) ? `${r.kind}: ${r.message}` : JSON.stringify(r);
    };
    for (let n = 0; n < 8; n++) {
      const [s1, a] = module_instantiate(store, m, []);
      const [s2, b] = module_instantiate(s1, m, []);
      store = s2;
      run(a, 'poke');
      run(b, 'poke');
      expect([run(a, 'past'), run(b, 'past')]).toEqual([OOB, OOB]);
    }
    store_free(store);
  });

  test('a memory that starts larger than the reservation is an exhaustion error', () => {
    const [, inst] = module_instantiate(store_init({ engine, memory: { reservation: 65536 } }), shared, []);
    expect(isError(inst) && inst.kind).toBe('exhaustion');
  });
});

test('wrong sizes are the embedder\'s mistake: a RangeError naming it', () => {
  expect(() => store_init({ memory: { guard: 65536 } })).toThrow(/memory.guard needs a reservation too/);
  expect(() => store_init({ memory: { reservation: 1000 } })).toThrow(/memory.reservation must be a multiple of 64KiB/);
  expect(() => store_init({ memory: { reservation: 0 } })).toThrow(/memory.reservation must be a multiple of 64KiB/);
  expect(() => store_init({ memory: { reservation: 2 ** 33 } })).toThrow(/memory.reservation must be .* to 4294967296 bytes/);
  expect(() => store_init({ memory: { reservation: MiB, guard: -65536 } })).toThrow(/memory.guard must be/);
  expect(() => store_init({ memory: { reservation: MiB, guard: 1.5 } })).toThrow(/memory.guard must be/);
});

describe.skipIf(!native)('explicit bounds checks in artifacts', () => {
  test.each(['singlepass', 'optimizing'] as const)('on %s: a store of the other kind refuses the code, saying why', (engine) => {
    const checked = module_serialize(shared, { engine, boundsChecks: true });
    const guarded = module_serialize(shared, { engine });
    if (isError(checked) || isError(guarded)) throw new Error('cannot serialize');
    const load = (bytes: Uint8Array): Module => {
      const m = module_deserialize(bytes);
      if (isError(m)) throw new Error(m.message);
      return m;
    };
    const [, a] = module_instantiate(store_init({ engine }), load(checked), []);
    expect(isError(a) && a.message).toMatch(/incompatible artifact: the code checks memory bounds explicitly/);
    const [, b] = module_instantiate(store_init({ engine, memory: small }), load(guarded), []);
    expect(isError(b) && b.message).toMatch(/incompatible artifact: the code relies on guard pages/);
    const [, c] = module_instantiate(store_init({ engine, memory: small }), load(checked), []);
    expect(isError(c)).toBe(false);
  });

  // The default reservation (8 GiB + 64 KiB of address space each) lets about 16,000 memories live
  // in the 128 TiB of a process; 1 MiB ones, far more: as many as the kernel's mappings allow
  // (vm.max_map_count, 65,530 by default, two per memory).
  test('with a 1 MiB reservation, 25,000 memories live at once in one store', () => {
    let store = store_init({ memory: { reservation: MiB } });
    const m = parse('(module (memory 1) (func (export "f") (result i32) (i32.store (i32.const 65532) (i32.const 5)) (i32.load (i32.const 65532))))');
    for (let n = 0; n < 25_000; n++) {
      const [next, inst] = module_instantiate(store, m, []);
      if (isError(inst)) throw new Error(`instance ${n}: ${inst.message}`);
      store = next;
    }
    store_free(store);
  }, 60_000);
});

test('wasmo run, compile and wast take --memory-reservation and --memory-guard', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasmo-memory-'));
  const file = join(dir, 'm.wat');
  writeFileSync(file, '(module (memory 1) (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))');
  let stdout = '';
  let stderr = '';
  const io = { stdout: (s: string) => (stdout += s), stderr: (s: string) => (stderr += s) };
  for (const engine of engines) {
    stdout = '';
    expect(main(['run', '--engine', engine, '--cache', dir, '--memory-reservation', '128KiB', '--invoke', 'grow', file, '2'], io)).toBe(0);
    expect(main(['run', '--engine', engine, '--cache', dir, '--memory-reservation=128KiB', '--memory-guard=64KiB', '--invoke', 'grow', file, '1'], io)).toBe(0);
    expect(stdout).toBe('-1\n1\n');
  }
  stderr = '';
  expect(main(['run', '--memory-guard', '64KiB', '--invoke', 'grow', file, '1'], io)).toBe(2);
  expect(stderr).toMatch(/--memory-guard needs a reservation too/);
  stderr = '';
  expect(main(['run', '--memory-reservation', '1000', '--invoke', 'grow', file, '1'], io)).toBe(2);
  expect(stderr).toMatch(/--memory-reservation must be a multiple of 64KiB/);
  stderr = '';
  expect(main(['run', '--memory-reservation', 'lots', '--invoke', 'grow', file, '1'], io)).toBe(2);
  expect(stderr).toMatch(/--memory-reservation takes a size/);
  if (native) {
    const out = join(dir, 'm.cwasm');
    expect(main(['compile', '--memory-reservation', '1MiB', file, '-o', out], io)).toBe(0);
    stdout = '';
    expect(main(['run', '--allow-precompiled', '--memory-reservation', '1MiB', '--invoke', 'grow', out, '1'], io)).toBe(0);
    expect(stdout).toBe('1\n');
    stderr = '';
    expect(main(['run', '--allow-precompiled', '--invoke', 'grow', out, '1'], io)).toBe(1);
    expect(stderr).toMatch(/incompatible artifact: the code checks memory bounds explicitly/);
  }
  const script = join(dir, 's.wast');
  writeFileSync(script, '(module (memory 1 10) (func (export "grow") (result i32) (memory.grow (i32.const 2))))\n(assert_return (invoke "grow") (i32.const -1))\n');
  stdout = '';
  expect(main(['wast', script, '--memory-reservation', '64KiB'], io)).toBe(0);
  expect(stdout).toMatch(/s\.wast\s+2\s+0/);
});
