// Implementation limits (spec/limits.ts and host-shim/environ/limits.h): the same names, values and
// messages on both sides; a module at each limit is valid on the reference and native decoders, and
// one past it is refused by both with the same error, before anything is allocated for it.

import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  func_invoke, instance_export, isError, module_decode, module_instantiate, module_parse, module_validate, store_init,
  table_alloc, type Module,
} from '../lib/index.js';
import { nativeAvailable, validate } from '../lib/native.js';
import { decodeModule } from '../spec/binary/decode.js';
import { writeSigned, writeUnsigned } from '../spec/binary/leb128.js';
import { MalformedError } from '../spec/errors.js';
import * as limits from '../spec/limits.js';

const {
  MAX_DATA_SEGMENTS, MAX_EXPORTS, MAX_FUNCTION_SIZE, MAX_FUNCTIONS, MAX_GLOBALS, MAX_IMPORTS, MAX_LOCALS,
  MAX_MODULE_SIZE, MAX_PARAMS, MAX_RESULTS, MAX_TABLE_SIZE, MAX_TABLES, MAX_TYPES,
} = limits;

/** `MAX_DATA_SEGMENTS` → `kMaxDataSegments`, the C++ name of the same limit. */
const cppName = (name: string): string =>
  'k' + name.split('_').map((w) => w[0] + w.slice(1).toLowerCase()).join('');

describe('limits', () => {
  it('are the same names, values and messages in limits.ts and limits.h', () => {
    const header = readFileSync(new URL('../host-shim/environ/limits.h', import.meta.url), 'utf8');
    const native = new Map([...header.matchAll(/inline constexpr Limit (kMax\w+)\{([\d']+), "([^"]*)"\};/g)]
      .map((m) => [m[1]!, { max: Number(m[2]!.replaceAll("'", '')), message: m[3]! }]));
    const ts = new Map(Object.entries(limits).filter(([k]) => k.startsWith('MAX_')).map(([k, v]) => [cppName(k), v]));
    expect(native.size).toBeGreaterThan(10);
    expect(native).toEqual(ts);
  });
});

// ---- binary modules, built as bytes (the encoder would refuse nothing, but is not under test) ----

function leb(n: number): number[] {
  const out: number[] = [];
  writeUnsigned(out, n);
  return out;
}

/** `n` copies of `item`, as one array (no spreading of large arrays into calls). */
function times(n: number, item: readonly number[]): number[] {
  const out = new Array<number>(n * item.length);
  for (let i = 0; i < n; i++) for (let k = 0; k < item.length; k++) out[i * item.length + k] = item[k]!;
  return out;
}

function signed(n: number): number[] {
  const out: number[] = [];
  writeSigned(out, n);
  return out;
}

function vec(n: number, item: readonly number[]): number[] {
  return leb(n).concat(times(n, item));
}

function section(id: number, content: readonly number[]): number[] {
  return [id].concat(leb(content.length), content);
}

function wasm(...sections: number[][]): Uint8Array {
  return Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00].concat(...sections));
}

const TYPE_VOID = section(1, vec(1, [0x60, 0, 0]));
/** One function of type 0 whose body is `body` (locals declarations included). */
const oneFunc = (body: readonly number[]): number[][] =>
  [section(3, vec(1, [0])), section(10, [1].concat(leb(body.length), body))];

/** A module with `n` of what the limit bounds (each case is valid at any `n`). */
const cases: readonly { readonly limit: limits.Limit; readonly module: (n: number) => Uint8Array }[] = [
  { limit: MAX_TYPES, module: (n) => wasm(section(1, vec(n, [0x60, 0, 0]))) },
  { limit: MAX_PARAMS, module: (n) => wasm(section(1, [1, 0x60].concat(vec(n, [0x7f]), [0]))) },
  { limit: MAX_RESULTS, module: (n) => wasm(section(1, [1, 0x60, 0].concat(vec(n, [0x7f])))) },
  // (import "" "" (global i32))
  { limit: MAX_IMPORTS, module: (n) => wasm(section(2, vec(n, [0, 0, 3, 0x7f, 0]))) },
  { limit: MAX_FUNCTIONS, module: (n) => wasm(TYPE_VOID, section(3, vec(n, [0])), section(10, vec(n, [2, 0, 0x0b]))) },
  { limit: MAX_TABLES, module: (n) => wasm(section(4, vec(n, [0x70, 0, 0]))) },
  { limit: MAX_GLOBALS, module: (n) => wasm(section(6, vec(n, [0x7f, 0, 0x41, 0, 0x0b]))) },
  {
    limit: MAX_EXPORTS,
    module: (n) => {
      // Export names must differ: the export's number, in decimal.
      const exports = leb(n);
      for (let i = 0; i < n; i++) {
        const name = String(i);
        exports.push(name.length);
        for (const ch of name) exports.push(ch.charCodeAt(0));
        exports.push(0, 0);
      }
      return wasm(TYPE_VOID, section(3, vec(1, [0])), section(7, exports), section(10, vec(1, [2, 0, 0x0b])));
    },
  },
  // Passive segments.
  { limit: MAX_DATA_SEGMENTS, module: (n) => wasm(section(11, vec(n, [1, 0]))) },
  // One parameter and n - 1 declared locals.
  {
    limit: MAX_LOCALS,
    module: (n) => wasm(section(1, vec(1, [0x60, 1, 0x7f, 0])), ...oneFunc([1].concat(leb(n - 1), [0x7f, 0x0b]))),
  },
  {
    limit: MAX_FUNCTION_SIZE,
    module: (n) => {
      // A br_table whose labels are 5-byte zeros (few instructions for many bytes), nops to fill.
      const labels = Math.floor((n - 16) / 5);
      const head = [0, 0x41, 0, 0x0e].concat(leb(labels));
      const nops = n - head.length - labels * 5 - 2;
      return wasm(TYPE_VOID, ...oneFunc(head.concat(times(labels, [0x80, 0x80, 0x80, 0x80, 0]), [0], times(nops, [0x01]), [0x0b])));
    },
  },
];

describe('a module at each limit is valid, one past it malformed, on both decoders', () => {
  beforeAll(() => {
    if (nativeAvailable() !== true) throw nativeAvailable();
  });

  for (const { limit, module } of cases) {
    it(`${limit.message} (${limit.max})`, () => {
      const at = module(limit.max);
      const m = module_decode(at);
      if (isError(m)) throw new Error(`at the limit: ${m.message}`);
      expect(module_validate(m)).toBeUndefined();
      expect(validate(at)).toBe(true);

      const past = module(limit.max + 1);
      expect(module_decode(past)).toMatchObject({ kind: 'malformed', message: limit.message });
      expect(validate(past)).toEqual({ status: 'malformed', message: limit.message });
    });
  }

  it(`${MAX_MODULE_SIZE.message} (${MAX_MODULE_SIZE.max}), refused before anything is read or copied`, () => {
    // Zero pages that nobody touches: the size alone is refused.
    const past = new Uint8Array(MAX_MODULE_SIZE.max + 1);
    expect(() => decodeModule(past)).toThrow(new MalformedError(MAX_MODULE_SIZE.message));
    expect(validate(past)).toEqual({ status: 'malformed', message: MAX_MODULE_SIZE.message });
  });

  it('2^32 - 1 locals (shared/repros/huge-local-count.wasm) are refused, not allocated', () => {
    // (func (export "f") (local <2^32 - 1 x i64>))
    const huge = wasm(TYPE_VOID, section(3, vec(1, [0])), section(7, [1, 1, 0x66, 0, 0]),
      section(10, [1, 8, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7e, 0x0b]));
    expect(module_decode(huge)).toMatchObject({ kind: 'malformed', message: 'too many locals' });
    expect(validate(huge)).toEqual({ status: 'malformed', message: 'too many locals' });
  });
});

describe('limits of modules read from text', () => {
  it('count parameters with the locals', () => {
    const locals = (n: number): string => `(func (param i32) (local ${'i32 '.repeat(n - 1)}))`;
    expect(module_validate(parse(locals(MAX_LOCALS.max)))).toBeUndefined();
    expect(module_parse(locals(MAX_LOCALS.max + 1))).toMatchObject({ kind: 'malformed', message: MAX_LOCALS.message });
  });

  it('bound the parameters of a type', () => {
    const params = (n: number): string => `(type (func (param ${'i64 '.repeat(n)})))`;
    expect(module_validate(parse(params(MAX_PARAMS.max)))).toBeUndefined();
    expect(module_parse(params(MAX_PARAMS.max + 1))).toMatchObject({ kind: 'malformed', message: MAX_PARAMS.message });
  });
});

describe("exports past V8's 100,000", () => {
  // The exports' names, each the export's number in decimal, and what they export (kind, index).
  function exportSection(n: number, desc: (i: number) => readonly number[]): number[] {
    const out = leb(n);
    for (let i = 0; i < n; i++) {
      const name = String(i);
      out.push(name.length);
      for (const ch of name) out.push(ch.charCodeAt(0));
      out.push(...desc(i));
    }
    return section(7, out);
  }

  // 150,000 functions, function i returning i and exported as "i" (clang's module has 133,000).
  const n = 150_000;
  const bodies = leb(n);
  for (let i = 0; i < n; i++) {
    const body = [0, 0x41, ...signed(i), 0x0b];
    bodies.push(body.length, ...body);
  }
  const functions = wasm(section(1, vec(1, [0x60, 0, 1, 0x7f])), section(3, vec(n, [0])),
    exportSection(n, (i) => [0, ...leb(i)]), section(10, bodies));

  // The v8 engine hands V8 the module without its function exports (lib/engines/v8.ts).
  for (const engine of ['reference', 'singlepass', 'v8'] as const) {
    it(`${n} function exports instantiate and each reaches its own function, on ${engine}`, () => {
      const m = module_decode(functions);
      if (isError(m)) throw new Error(m.message);
      let [s, inst] = module_instantiate(store_init({ engine }), m, []);
      if (isError(inst)) throw new Error(inst.message);
      for (const i of [0, 1, 99_999, 100_000, n - 1]) {
        const f = instance_export(inst, String(i));
        if (f?.kind !== 'func') throw new Error(`export ${i}: ${JSON.stringify(f)}`);
        let results;
        [s, results] = func_invoke(s, f, []);
        expect(results).toEqual([{ type: 'i32', value: i }]);
      }
    });
  }

  it('other exports past V8\'s limit: an exhaustion error on the v8 engine only', () => {
    const globals = 100_000;
    const bytes = wasm(section(6, vec(globals, [0x7f, 0, 0x41, 0, 0x0b])), exportSection(globals, (i) => [3, ...leb(i)]));
    const m = module_decode(bytes);
    if (isError(m)) throw new Error(m.message);
    for (const engine of ['reference', 'singlepass'] as const) {
      expect(isError(module_instantiate(store_init({ engine }), m, [])[1])).toBe(false);
    }
    expect(module_instantiate(store_init({ engine: 'v8' }), m, [])[1]).toMatchObject({
      kind: 'exhaustion',
      message: 'too many exports for the v8 engine: V8 allows 100000, and this module exports 100000 tables, '
        + 'memories, globals and tags (its functions do not count)',
    });
  });
});

describe('a table at the size limit is allocated, one past it refused, on every engine', () => {
  for (const engine of ['reference', 'singlepass', 'v8'] as const) {
    it(engine, () => {
      const table = (n: number): Module => parse(`(table (export "t") ${n} funcref)`);
      const [s1, inst] = module_instantiate(store_init({ engine }), table(MAX_TABLE_SIZE.max), []);
      if (isError(inst)) throw new Error(inst.message);
      expect(instance_export(inst, 't')).toMatchObject({ kind: 'table' });
      const [s2, past] = module_instantiate(s1, table(MAX_TABLE_SIZE.max + 1), []);
      expect(past).toMatchObject({ kind: 'exhaustion', message: MAX_TABLE_SIZE.message });
      const type = { addrtype: 'i32', limits: { min: MAX_TABLE_SIZE.max + 1 }, reftype: 'funcref' } as const;
      expect(() => table_alloc(s2, type, { type: 'ref.null', heaptype: 'func' })).toThrow(RangeError);
    });
  }
});

function parse(text: string): Module {
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  return m;
}
