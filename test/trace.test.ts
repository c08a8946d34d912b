// Traps carry the wasm backtrace (WasmError.trace): the frames innermost first, each with its
// function index and its name from the name section; the same on every engine, whichever way the
// trap was raised (a check in compiled code, a guard-page fault, a runtime helper, the stack limit).

import { describe, expect, test } from 'vitest';
import {
  MAX_TRACE_FRAMES, formatTrace, func_alloc, func_invoke, i32, instance_export, isError, module_decode,
  module_deserialize, module_function_tiers, module_instantiate, module_parse, module_serialize, store_init, type FuncAddr, type Module,
  type Store, type TraceFrame, type Val, type WasmError,
} from '../lib/index.js';
import type { EngineName } from '../lib/engine.js';
import { encodeModule } from '../spec/binary/encode.js';
import { writeUnsigned } from '../spec/binary/leb128.js';

const engines: EngineName[] = ['reference', 'v8', 'singlepass', 'optimizing', 'tiered'];

/** A name section with the function names subsection (spec appendix 7.4). */
function nameSection(names: ReadonlyMap<number, string | Uint8Array>): { name: string; bytes: Uint8Array } {
  const sub: number[] = [];
  writeUnsigned(sub, names.size);
  for (const [index, name] of names) {
    const utf8 = typeof name === 'string' ? new TextEncoder().encode(name) : name;
    writeUnsigned(sub, index);
    writeUnsigned(sub, utf8.length);
    sub.push(...utf8);
  }
  const bytes = [1];
  writeUnsigned(bytes, sub.length);
  return { name: 'name', bytes: Uint8Array.from([...bytes, ...sub]) };
}

/** The module of `text` as bytes, with a name section naming `names` if given. */
function binary(text: string, names?: ReadonlyMap<number, string>): Module {
  const parsed = module_parse(text);
  if (isError(parsed)) throw new Error(parsed.message);
  const bytes = encodeModule({ ...parsed.ast, customs: names === undefined ? [] : [nameSection(names)] });
  const m = module_decode(bytes);
  if (isError(m)) throw new Error(m.message);
  return m;
}

// Function 0 is an import (the host), so indices start past it; $outer → $middle → $inner, whose
// trap depends on the argument.
const TEXT = `(module
  (import "host" "f" (func $host (param i32) (result i32)))
  (memory 1)
  (table $t 1 funcref)
  (func $outer (export "outer") (param i32) (result i32) (call $middle (local.get 0)))
  (func $middle (param i32) (result i32) (i32.add (i32.const 1) (call $inner (local.get 0))))
  (func $inner (param i32) (result i32)
    (if (i32.eq (local.get 0) (i32.const 0)) (then (return (i32.div_s (i32.const 1) (local.get 0)))))
    (if (i32.eq (local.get 0) (i32.const 1)) (then (return (i32.load (i32.const 70000)))))
    (if (i32.eq (local.get 0) (i32.const 2)) (then (drop (table.get $t (i32.const 5))) (return (i32.const 0))))
    (if (i32.eq (local.get 0) (i32.const 3)) (then (return (call_indirect (result i32) (i32.const 9)))))
    (if (i32.eq (local.get 0) (i32.const 4)) (then (return (call $host (i32.const 0)))))
    (if (i32.eq (local.get 0) (i32.const 5)) (then (return (call $recurse (i32.const 0)))))
    (unreachable))
  (func $recurse (param i32) (result i32) (i32.add (i32.const 1) (call $recurse (local.get 0))))
  (func (export "trapper") (param i32) (result i32) (unreachable)))`;

const NAMES = new Map([[0, 'host'], [1, 'outer'], [2, 'middle'], [3, 'inner'], [4, 'recurse']]);
const THREE_DEEP: TraceFrame[] = [{ func: 3, name: 'inner' }, { func: 2, name: 'middle' }, { func: 1, name: 'outer' }];

/** Instantiates `module`; the host import calls the export "trapper" (a trap inside a host call). */
function instance(engine: EngineName, module: Module): { store: Store; call: (f: string, arg: number) => WasmError | Val[] } {
  let store: Store = store_init({ engine });
  let trapper: FuncAddr | undefined;
  let host: FuncAddr;
  [store, host] = func_alloc(store, { params: ['i32'], results: ['i32'] }, (s, args) => {
    const [s1, r] = func_invoke(s, trapper!, args);
    return isError(r) ? r : [s1, r];
  });
  const [s, inst] = module_instantiate(store, module, [host]);
  if (isError(inst)) throw new Error(inst.message);
  const get = (name: string) => instance_export(inst, name) as FuncAddr;
  trapper = get('trapper');
  return {
    store: s,
    call: (f, arg) => func_invoke(s, get(f), [i32(arg)])[1],
  };
}

function trapOf(r: WasmError | Val[]): WasmError {
  if (!isError(r)) throw new Error(`no trap: ${JSON.stringify(r)}`);
  return r;
}

describe.each(engines)('on %s', (engine) => {
  const named = binary(TEXT, NAMES);

  test.each([
    [0, 'integer divide by zero'],
    [1, 'out of bounds memory access'],
    [2, 'out of bounds table access'],
    [3, 'undefined element'],
  ])('a trap three calls deep (case %i, %s) lists the three frames, named, innermost first', (arg, message) => {
    const e = trapOf(instance(engine, named).call('outer', arg));
    expect(e.kind).toBe('trap');
    expect(e.message.startsWith(message)).toBe(true);
    expect(e.trace).toEqual(THREE_DEEP);
  });

  test('a stripped module gives indices only', () => {
    const e = trapOf(instance(engine, binary(TEXT)).call('outer', 0));
    expect(e.trace).toEqual([{ func: 3 }, { func: 2 }, { func: 1 }]);
  });

  test('a trap in wasm called by a host function lists only the frames of that call', () => {
    // The host function returns the inner trap as its error: func_invoke's result unchanged.
    const e = trapOf(instance(engine, named).call('outer', 4));
    expect(e).toMatchObject({ kind: 'trap', message: 'unreachable' });
    expect(e.trace).toEqual([{ func: 5 }]);
  });

  test('call stack exhaustion keeps the innermost frames', () => {
    const e = trapOf(instance(engine, named).call('outer', 5));
    expect(e).toMatchObject({ kind: 'exhaustion', message: 'call stack exhausted' });
    expect(e.trace).toHaveLength(MAX_TRACE_FRAMES);
    expect(e.trace!.every((f) => f.func === 4 && f.name === 'recurse')).toBe(true);
  });

  test('a trapping start function is traced', () => {
    const m = binary('(module (func $start (call $boom)) (func $boom (unreachable)) (start $start))', new Map([[0, 'start'], [1, 'boom']]));
    const [, inst] = module_instantiate(store_init({ engine }), m, []);
    expect(inst).toMatchObject({ kind: 'uninstantiable', message: 'unreachable' });
    expect((inst as WasmError).trace).toEqual([{ func: 1, name: 'boom' }, { func: 0, name: 'start' }]);
  });

  test('errors that are no trap have no trace', () => {
    const m = binary('(module (memory 0) (data (i32.const 1) "x"))');
    const [, inst] = module_instantiate(store_init({ engine }), m, []);
    expect(inst).toMatchObject({ kind: 'uninstantiable', message: 'out of bounds memory access' });
    expect(inst).not.toHaveProperty('trace');
  });
});

test.each(['singlepass', 'optimizing'] as const)('a module serialized for %s keeps its names and its frames', (engine) => {
  const bytes = module_serialize(binary(TEXT, NAMES), { engine });
  if (isError(bytes)) throw new Error(bytes.message);
  const m = module_deserialize(bytes);
  if (isError(m)) throw new Error(m.message);
  const e = trapOf(instance(engine, m).call('outer', 0));
  expect(e.trace).toEqual(THREE_DEEP);
});

// Tiered code mixes tiers: here $leaf and $hot run optimized code, $cold its singlepass code, which
// calls $hot's singlepass entry, which jumps on to the optimized one. The same frames, whether the
// code tiered up in this process or came so from a tiered artifact.
test('a trap through optimized and singlepass frames of tiered code, live and from its artifact, lists each once', () => {
  const m = binary(`(module
    (func $leaf (param i32) (result i32) (i32.div_u (i32.const 100) (local.get 0)))
    (func $hot (export "hot") (param i32) (result i32) (call $leaf (local.get 0)))
    (func $cold (export "cold") (param i32) (result i32) (call $hot (local.get 0))))`, new Map([[0, 'leaf'], [1, 'hot'], [2, 'cold']]));
  const expected = { kind: 'trap', message: 'integer divide by zero', trace: [{ func: 0, name: 'leaf' }, { func: 1, name: 'hot' }, { func: 2, name: 'cold' }] };
  const traced = (module: Module, tierUp: { threshold: number; wait?: boolean }, warm: number): WasmError => {
    let [store, inst] = module_instantiate(store_init({ engine: 'tiered', tierUp }), module, []);
    if (isError(inst)) throw new Error(inst.message);
    const call = (name: string, arg: number): WasmError | Val[] => {
      const [s, r] = func_invoke(store, instance_export(inst, name) as FuncAddr, [i32(arg)]);
      store = s;
      return r;
    };
    for (let k = 0; k < warm; k++) expect(call('hot', 1)).toEqual([i32(100)]);
    return trapOf(call('cold', 0));
  };
  expect(traced(m, { threshold: 2, wait: true }, 4)).toMatchObject(expected);
  expect(module_function_tiers(m)).toEqual(['optimizing', 'optimizing', 'singlepass']);
  const bytes = module_serialize(m, { engine: 'tiered' });
  if (isError(bytes)) throw new Error(bytes.message);
  const loaded = module_deserialize(bytes);
  if (isError(loaded)) throw new Error(loaded.message);
  expect(module_function_tiers(loaded)).toEqual(['optimizing', 'optimizing', 'singlepass']);
  expect(traced(loaded, { threshold: 1_000_000 }, 0)).toMatchObject(expected);
});

test('formatTrace prints a line per frame, as wasmtime does', () => {
  expect(formatTrace([{ func: 3, name: 'inner' }, { func: 1 }])).toBe('wasm backtrace:\n    0: inner (wasm-function[3])\n    1: wasm-function[1]\n');
  expect(formatTrace(undefined)).toBe('');
});

test('a damaged name section gives the names before the damage, and never fails the module', () => {
  // The second name is not UTF-8.
  const damaged = nameSection(new Map<number, string | Uint8Array>([[1, 'outer'], [2, Uint8Array.of(0xff, 0xfe)], [3, 'inner']]));
  const parsed = module_parse(TEXT);
  if (isError(parsed)) throw new Error(parsed.message);
  for (const engine of engines) {
    const m = module_decode(encodeModule({ ...parsed.ast, customs: [damaged] }));
    if (isError(m)) throw new Error(m.message);
    const e = trapOf(instance(engine, m).call('outer', 0));
    expect(e.trace).toEqual([{ func: 3 }, { func: 2 }, { func: 1, name: 'outer' }]);
  }
});
