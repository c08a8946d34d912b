import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeModule } from '../spec/binary/decode.js';
import { encodeModule } from '../spec/binary/encode.js';
import { readSigned, readSigned64, readUnsigned, writeSigned, writeUnsigned } from '../spec/binary/leb128.js';
import { MalformedError } from '../spec/errors.js';
import { parseModule } from '../spec/text/parse.js';
import { parseScript } from '../spec/text/script.js';
import { emptyModule, type Module } from '../spec/structure/module.js';
import { arbitraryModule } from './arbitrary-module.js';

const TESTSUITE = process.env['WASMO_TESTSUITE'] ?? '/work/shared/testsuite';

// ---- helpers to build binaries by hand ----

const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

function bin(...parts: (number | string | readonly number[])[]): Uint8Array {
  const out: number[] = [];
  for (const p of parts) {
    if (typeof p === 'number') out.push(p);
    else if (typeof p === 'string') out.push(...new TextEncoder().encode(p));
    else out.push(...p);
  }
  return Uint8Array.from(out);
}

/** A section: id, size, content. */
function sec(id: number, ...content: number[]): number[] {
  return [id, content.length, ...content];
}

/** A module with one `() -> ()` function whose body (locals + instrs + end) is given. */
function withBody(body: number[], ...extra: number[][]): Uint8Array {
  return bin(HEADER, sec(1, 1, 0x60, 0, 0), sec(3, 1, 0), sec(5, 1, 0, 1), ...extra.slice(0, 1), sec(10, 1, body.length, ...body), ...extra.slice(1));
}

function malformed(bytes: Uint8Array): string {
  try {
    decodeModule(bytes);
  } catch (e) {
    if (e instanceof MalformedError) return e.message;
    throw e;
  }
  throw new Error('decoded without error');
}

// ---- unit tests ----

describe('LEB128', () => {
  const src = (bytes: number[]) => {
    let i = 0;
    return () => {
      if (i >= bytes.length) throw new MalformedError('unexpected end');
      return bytes[i++]!;
    };
  };
  it('reads padded and negative values', () => {
    expect(readUnsigned(src([0x80, 0x80, 0x80, 0x80, 0x00]), 32)).toBe(0);
    expect(readUnsigned(src([0xff, 0xff, 0xff, 0xff, 0x0f]), 32)).toBe(0xffffffff);
    expect(readSigned(src([0x7f]), 32)).toBe(-1);
    expect(readSigned(src([0x80, 0x80, 0x80, 0x80, 0x78]), 32)).toBe(-(2 ** 31));
    expect(readSigned64(src([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f]))).toBe(-(2n ** 63n));
  });
  it('rejects long and large encodings with the testsuite texts', () => {
    expect(() => readUnsigned(src([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]), 32)).toThrow('integer representation too long');
    expect(() => readUnsigned(src([0x80, 0x80, 0x80, 0x80, 0x10]), 32)).toThrow('integer too large');
    expect(() => readSigned(src([0x80, 0x80, 0x80, 0x80, 0x70]), 32)).toThrow('integer too large');
    expect(() => readSigned64(src([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x41]))).toThrow('integer too large');
  });
  it('writes the shortest encoding, and reads it back', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), (v) => {
      const out: number[] = [];
      writeSigned(out, v);
      // The shortest n has -2^(7n-1) <= v < 2^(7n-1).
      const n = out.length;
      expect(v >= -(2n ** BigInt(7 * n - 1)) && v < 2n ** BigInt(7 * n - 1)).toBe(true);
      if (n > 1) expect(v >= -(2n ** BigInt(7 * n - 8)) && v < 2n ** BigInt(7 * n - 8)).toBe(false);
      expect(readSigned64(src(out))).toBe(v);
    }));
    const out: number[] = [];
    writeUnsigned(out, 624485);
    expect(out).toEqual([0xe5, 0x8e, 0x26]);
  });
});

describe('decodeModule', () => {
  it('decodes the empty module and a function with locals', () => {
    expect(decodeModule(bin(HEADER))).toEqual(emptyModule());
    const m = decodeModule(withBody([0x03, 0x01, 0x7f, 0x02, 0x7e, 0x00, 0x7b, 0x20, 0x02, 0x1a, 0x0b]));
    expect(m.funcs).toEqual([{ type: 0, locals: ['i32', 'i64', 'i64'], body: [{ op: 'local.get', local: 2 }, { op: 'drop' }] }]);
  });

  it('decodes prefixed, typed-select, memarg and block instructions', () => {
    const m = decodeModule(withBody([
      0x00,
      0x02, 0x7f, 0x41, 0x7f, 0x0b, // block (result i32) i32.const -1 end
      0x04, 0x40, 0x01, 0x05, 0x00, 0x0b, // if nop else unreachable end
      0x1c, 0x01, 0x6f, // select (result externref)
      0x28, 0x42, 0x01, 0x10, // i32.load align=2 mem=1 offset=16 (bit 6: memory index)
      0xfc, 0x80, 0x00, // i32.trunc_sat_f32_s with a padded sub-opcode
      0xfd, 0x0d, ...Array.from({ length: 16 }, (_, i) => i), // i8x16.shuffle
      0x0b,
    ], sec(12, 0)));
    expect(m.funcs[0]!.body).toEqual([
      { op: 'block', bt: 'i32', body: [{ op: 'i32.const', value: -1 }] },
      { op: 'if', bt: null, then: [{ op: 'nop' }], else: [{ op: 'unreachable' }] },
      { op: 'select', types: ['externref'] },
      { op: 'i32.load', memarg: { align: 2, mem: 1, offset: 16 } },
      { op: 'i32.trunc_sat_f32_s' },
      { op: 'i8x16.shuffle', lanes: Array.from({ length: 16 }, (_, i) => i) },
    ]);
  });

  it('decodes every element segment encoding', () => {
    const off = [0x41, 0x00, 0x0b];
    const segs = [
      [0x00, ...off, 0x01, 0x00],
      [0x01, 0x00, 0x01, 0x00],
      [0x02, 0x01, ...off, 0x00, 0x01, 0x00],
      [0x03, 0x00, 0x01, 0x00],
      [0x04, ...off, 0x01, 0xd2, 0x00, 0x0b],
      [0x05, 0x6f, 0x01, 0xd0, 0x6f, 0x0b],
      [0x06, 0x01, ...off, 0x70, 0x01, 0xd2, 0x00, 0x0b],
      [0x07, 0x70, 0x01, 0xd2, 0x00, 0x0b],
    ].flat();
    const m = decodeModule(bin(HEADER, sec(9, 8, ...segs)));
    const offset = [{ op: 'i32.const', value: 0 }];
    const f = [[{ op: 'ref.func', func: 0 }]];
    expect(m.elems).toEqual([
      { type: 'funcref', init: f, mode: { kind: 'active', table: 0, offset } },
      { type: 'funcref', init: f, mode: { kind: 'passive' } },
      { type: 'funcref', init: f, mode: { kind: 'active', table: 1, offset } },
      { type: 'funcref', init: f, mode: { kind: 'declarative' } },
      { type: 'funcref', init: f, mode: { kind: 'active', table: 0, offset } },
      { type: 'externref', init: [[{ op: 'ref.null', heaptype: 'extern' }]], mode: { kind: 'passive' } },
      { type: 'funcref', init: f, mode: { kind: 'active', table: 1, offset } },
      { type: 'funcref', init: f, mode: { kind: 'declarative' } },
    ]);
  });

  it('keeps custom sections and checks their names', () => {
    const m = decodeModule(bin(HEADER, sec(0, 3, ...'abc'.split('').map((c) => c.charCodeAt(0)), 9, 8), sec(1, 0)));
    expect(m.customs).toEqual([{ name: 'abc', bytes: Uint8Array.of(9, 8) }]);
    expect(decodeModule(bin(HEADER, sec(0, 3, 0xef, 0xbb, 0xbf))).customs[0]!.name).toBe('\ufeff');
    expect(malformed(bin(HEADER, sec(0, 3, 0x02, 0xc0, 0x80)))).toBe('malformed UTF-8 encoding');
    expect(malformed(bin(HEADER, sec(0, 4, 0x03, 0xed, 0xa0, 0x80)))).toBe('malformed UTF-8 encoding');
  });

  const cases: [string, Uint8Array][] = [
    ['unexpected end', bin(0x00, 0x61, 0x73)],
    ['magic header not detected', bin(0x00, 0x41, 0x53, 0x4d, 1, 0, 0, 0)],
    ['unknown binary version', bin(0x00, 0x61, 0x73, 0x6d, 2, 0, 0, 0)],
    ['unexpected end of section or function', bin(HEADER, 0x04, 0x01, 0x01)],
    ['integer representation too long', bin(HEADER, 0x01, 0x06, 0x81, 0x80, 0x80, 0x80, 0x80, 0x00)],
    ['integer too large', bin(HEADER, 0x01, 0x05, 0x80, 0x80, 0x80, 0x80, 0x10)],
    ['section size mismatch', bin(HEADER, sec(1, 0, 0))],
    ['malformed section id', bin(HEADER, 0x0e, 0x01, 0x00)],
    ['function and code section have inconsistent lengths', bin(HEADER, sec(1, 1, 0x60, 0, 0), sec(3, 1, 0))],
    ['data count and data section have inconsistent lengths', bin(HEADER, sec(12, 1))],
    ['data count section required', withBody([0x00, 0xfc, 0x09, 0x00, 0x0b])],
    ['malformed UTF-8 encoding', bin(HEADER, sec(2, 1, 1, 0xff, 0, 0, 0))],
    ['too many locals', withBody([0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x01, 0x7e, 0x0b])],
    ['illegal opcode ff', withBody([0x00, 0xff, 0x0b])],
    ['illegal opcode fc 12', withBody([0x00, 0xfc, 0x12, 0x0b])],
    ['illegal opcode fd 9a', withBody([0x00, 0xfd, 0x9a, 0x01, 0x0b])],
    ['zero byte expected', withBody([0x00, 0x3f, 0x01, 0x1a, 0x0b])],
    ['malformed reference type', bin(HEADER, sec(4, 1, 0x7f, 0, 0))],
    ['length out of bounds', bin(HEADER, 0x01, 0x07, 0x02, 0x60, 0x00, 0x00)],
    ['malformed mutability', bin(HEADER, sec(6, 1, 0x7f, 0x02, 0x41, 0x00, 0x0b))],
    ['malformed import kind', bin(HEADER, sec(2, 1, 0, 0, 0x05, 0))],
    ['malformed limits flags', bin(HEADER, sec(5, 1, 0x08, 0))],
    ['END opcode expected', withBody([0x00, 0x04, 0x40, 0x05, 0x05, 0x0b])],
    ['unexpected content after last section', bin(HEADER, sec(3, 0), sec(1, 0))],
    ['malformed memop flags', withBody([0x00, 0x41, 0x00, 0x28, 0x80, 0x01, 0x00, 0x1a, 0x0b])],
    ['malformed value type', bin(HEADER, sec(1, 1, 0x60, 1, 0x40, 0))],
    ['malformed function type', bin(HEADER, sec(1, 1, 0x61, 0, 0))],
    ['malformed export kind', bin(HEADER, sec(7, 1, 1, 0x61, 0x05, 0))],
    ['malformed element kind', bin(HEADER, sec(9, 1, 0x01, 0x01, 0x00))],
    ['malformed elements segment kind', bin(HEADER, sec(9, 1, 0x08))],
    ['malformed data segment kind', bin(HEADER, sec(11, 1, 0x03))],
  ];
  it.each(cases)('rejects with "%s"', (message, bytes) => {
    expect(malformed(bytes)).toBe(message);
  });
});

// ---- round trip ----

describe('encodeModule', () => {
  it('round-trips arbitrary well-formed modules', () => {
    fc.assert(
      fc.property(arbitraryModule, (m: Module) => {
        expect(decodeModule(encodeModule(m))).toEqual(m);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips bodies and data far larger than its buffers start (growth, appends across a growth)', () => {
    const labels = Array.from({ length: 65_000 }, (_, i) => i % 2); // V8 takes 65,520 at most
    const m: Module = {
      ...emptyModule(),
      types: [{ params: [], results: [] }],
      funcs: [{ type: 0, locals: [], body: [
        { op: 'block', bt: null, body: [{ op: 'i32.const', value: -123_456 }, { op: 'br_table', labels, default: 1 }] },
        { op: 'v128.const', bytes: Uint8Array.from({ length: 16 }, (_, i) => 255 - i) }, { op: 'drop' },
      ] }],
      mems: [{ type: { addrtype: 'i32', limits: { min: 1 } } }],
      datas: [{ init: Uint8Array.from({ length: 100_000 }, (_, i) => i * 7), mode: { kind: 'passive' } }],
    };
    const bytes = encodeModule(m);
    expect(decodeModule(bytes)).toEqual(m);
    expect(WebAssembly.validate(bytes)).toBe(true);
  });

  it('produces binaries V8 accepts', () => {
    const m: Module = {
      ...emptyModule(),
      types: [{ params: ['i32', 'i32'], results: ['i32'] }],
      funcs: [{ type: 0, locals: [], body: [{ op: 'local.get', local: 0 }, { op: 'local.get', local: 1 }, { op: 'i32.add' }] }],
      mems: [{ type: { addrtype: 'i32', limits: { min: 1 } } }],
      datas: [{ init: Uint8Array.of(1, 2), mode: { kind: 'passive' } }],
      exports: [{ name: 'add', desc: { kind: 'func', index: 0 } }],
    };
    const instance = new WebAssembly.Instance(new WebAssembly.Module(encodeModule(m)));
    expect((instance.exports['add'] as (a: number, b: number) => number)(2, 40)).toBe(42);
  });

  it('uses the shortest element segment form that represents the segment', () => {
    const offset = [{ op: 'i32.const', value: 0 }] as const;
    const m: Module = {
      ...emptyModule(),
      elems: [
        { type: 'funcref', init: [[{ op: 'ref.func', func: 3 }]], mode: { kind: 'active', table: 0, offset } },
        { type: 'funcref', init: [[{ op: 'ref.null', heaptype: 'func' }]], mode: { kind: 'active', table: 0, offset } },
        { type: 'externref', init: [], mode: { kind: 'declarative' } },
      ],
    };
    const bytes = encodeModule(m);
    expect(Array.from(bytes.slice(8))).toEqual([
      0x09, 0x12, 0x03,
      0x00, 0x41, 0x00, 0x0b, 0x01, 0x03,
      0x04, 0x41, 0x00, 0x0b, 0x01, 0xd0, 0x70, 0x0b,
      0x07, 0x6f, 0x00,
    ]);
  });
});

// ---- the testsuite's binary modules ----

interface BinaryCase {
  readonly file: string;
  readonly line: number;
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** The expected message of an assert_malformed, absent for a well-formed module. */
  readonly malformed?: string;
}

/** The binary modules of the 2.0 files, read with the script parser. */
function testsuiteCases(): BinaryCase[] {
  const files = readFileSync(join(TESTSUITE, 'wasm2.txt'), 'utf8').split('\n').filter((f) => f.endsWith('.wast'));
  const out: BinaryCase[] = [];
  for (const file of files) {
    for (const cmd of parseScript(readFileSync(join(TESTSUITE, 'core', file), 'utf8'))) {
      if (!('source' in cmd) || cmd.source.type !== 'binary') continue;
      const bytes = Uint8Array.from(cmd.source.bytes);
      if (cmd.kind === 'assert_malformed') out.push({ file, line: cmd.line, bytes, malformed: cmd.message });
      else out.push({ file, line: cmd.line, bytes });
    }
  }
  return out;
}

describe('testsuite binary modules (WebAssembly 2.0 files)', () => {
  const all = testsuiteCases();
  it('finds them', () => {
    expect(all.length).toBeGreaterThan(750);
  });
  it.each(all.filter((c) => c.malformed === undefined).map((c) => [`${c.file}:${c.line}`, c] as const))(
    '%s decodes', (_, c) => {
      expect(() => decodeModule(c.bytes)).not.toThrow();
    });
  it.each(all.filter((c) => c.malformed !== undefined).map((c) => [`${c.file}:${c.line}`, c] as const))(
    '%s is malformed', (_, c) => {
      expect(malformed(c.bytes).slice(0, c.malformed!.length)).toBe(c.malformed);
    });
  // Re-encoding a decoded module gives the same module, and a binary V8 judges as it judges the
  // original (both valid, or both not: the encoder adds no error of its own).
  it.each(all.filter((c) => c.malformed === undefined).map((c) => [`${c.file}:${c.line}`, c] as const))(
    '%s re-encodes', (_, c) => {
      const m = decodeModule(c.bytes);
      const again = encodeModule(m);
      expect(decodeModule(again)).toEqual(m);
      expect(WebAssembly.validate(again)).toBe(WebAssembly.validate(c.bytes));
    });
});

// The V8 engine hands text modules to `new WebAssembly.Module` through the encoder.
describe('testsuite text modules (WebAssembly 2.0 files)', () => {
  it('encode to binaries V8 validates, which decode to the same module', () => {
    const failures: string[] = [];
    let count = 0;
    for (const file of readFileSync(join(TESTSUITE, 'wasm2.txt'), 'utf8').split('\n').filter((f) => f.endsWith('.wast'))) {
      for (const cmd of parseScript(readFileSync(join(TESTSUITE, 'core', file), 'utf8'))) {
        if (cmd.kind !== 'module' || cmd.source.type !== 'text') continue;
        const m = parseModule(cmd.source.text);
        const bytes = encodeModule(m);
        count++;
        if (!WebAssembly.validate(bytes)) failures.push(`${file}:${cmd.line} rejected by V8`);
        else if (!isDeepStrictEqual(normalize(decodeModule(bytes)), normalize(m))) failures.push(`${file}:${cmd.line} round trip`);
      }
    }
    expect(count).toBeGreaterThan(1000);
    expect(failures).toEqual([]);
  });
});

/** Key order and absent-versus-undefined fields do not matter to a Module. */
function normalize(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(normalize);
  if (x instanceof Uint8Array) return Array.from(x);
  if (x === null || typeof x !== 'object') return x;
  return Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, normalize(v)]));
}

