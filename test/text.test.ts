import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MalformedError } from '../spec/errors.js';
import type { Command } from '../spec/script/ast.js';
import { parseModule } from '../spec/text/parse.js';
import { parseScript } from '../spec/text/script.js';

const SUITE = '/work/shared/testsuite';
const files = readFileSync(`${SUITE}/wasm2.txt`, 'utf8').split('\n').filter((f) => f !== '');

function script(file: string): Command[] {
  return parseScript(readFileSync(`${SUITE}/core/${file}`, 'utf8'));
}

/** The message a parse fails with, or undefined if it parses. */
function parseError(text: string): string | undefined {
  try {
    parseModule(text);
    return undefined;
  } catch (e) {
    if (!(e instanceof MalformedError)) throw e;
    return e.message;
  }
}

describe('the 2.0 testsuite', () => {
  it.each(files)('%s: the script parses and so does every text module outside assert_malformed', (file) => {
    const commands = script(file);
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) {
      if (!('source' in c) || c.source.type === 'binary' || c.kind === 'assert_malformed') continue;
      expect(parseError(c.source.text), `line ${c.line}`).toBeUndefined();
    }
  });

  it('every `module quote` of assert_malformed fails with the expected message', () => {
    let passed = 0;
    const failures: string[] = [];
    for (const file of files) {
      for (const c of script(file)) {
        if (c.kind !== 'assert_malformed' || c.source.type !== 'quote') continue;
        // The quoted text is a module or its fields (the reference's `module quote` semantics).
        const message = parseError(c.source.text);
        if (message?.startsWith(c.message)) passed++;
        else failures.push(`${file}:${c.line}: expected "${c.message}", got ${message === undefined ? 'no error' : `"${message}"`}`);
      }
    }
    expect(failures).toEqual([]);
    expect(passed).toBeGreaterThan(1000);
  });
});

describe('scripts', () => {
  it('reads every command kind with its line', () => {
    const commands = parseScript(`(module $M (func (export "f") (param i32) (result i32) local.get 0))
(module binary "\\00asm" "\\01\\00\\00\\00")
(module quote "(func)")
(module definition $D (func))
(module instance $I $D)
(register "m" $M)
(invoke $M "f" (i32.const -1))
(get "g")
(assert_return (invoke "f" (i64.const 0xffff_ffff_ffff_ffff) (f32.const -0x1p-149) (f64.const nan:0x1))
  (i32.const 4294967295) (f32.const nan:canonical) (either (ref.null func) (ref.extern 7)) (ref.func) (ref.extern))
(assert_return (invoke "v") (v128.const f32x4 nan:arithmetic 1 -0 inf) (v128.const i16x8 -1 0 1 2 3 4 5 0xffff))
(assert_trap (invoke "t") "unreachable")
(assert_exhaustion (invoke "e") "call stack exhausted")
(assert_invalid (module (func (result i32))) "type mismatch")
(assert_malformed (module quote "(func") "unexpected end")
(assert_unlinkable (module (import "x" "y" (func))) "unknown import")
(assert_uninstantiable (module (func unreachable) (start 0)) "unreachable")
(assert_trap (module (func unreachable) (start 0)) "unreachable")
`);
    expect(commands.map((c) => [c.kind, c.line])).toEqual([
      ['module', 1], ['module', 2], ['module', 3], ['module', 4], ['instance', 5], ['register', 6], ['action', 7],
      ['action', 8], ['assert_return', 9], ['assert_return', 11], ['assert_trap', 12], ['assert_exhaustion', 13],
      ['assert_invalid', 14], ['assert_malformed', 15], ['assert_unlinkable', 16], ['assert_uninstantiable', 17],
      ['assert_uninstantiable', 18],
    ]);
    expect(commands[0]).toEqual({
      kind: 'module', line: 1, name: '$M', definition: false,
      source: { type: 'text', text: '(module $M (func (export "f") (param i32) (result i32) local.get 0))' },
    });
    expect(commands[1]).toMatchObject({ source: { type: 'binary', bytes: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]) } });
    expect(commands[2]).toMatchObject({ source: { type: 'quote', text: '(func)' } });
    expect(commands[3]).toMatchObject({ name: '$D', definition: true });
    expect(parseModule((commands[3] as { source: { text: string } }).source.text).funcs).toHaveLength(1);
    expect(commands[4]).toEqual({ kind: 'instance', line: 5, name: '$I', module: '$D' });
    expect(commands[5]).toEqual({ kind: 'register', line: 6, as: 'm', name: '$M' });
    expect(commands[6]).toEqual({ kind: 'action', line: 7, action: { kind: 'invoke', module: '$M', name: 'f', args: [{ type: 'i32', value: -1 }] } });
    expect(commands[8]).toEqual({
      kind: 'assert_return', line: 9,
      action: { kind: 'invoke', name: 'f', args: [{ type: 'i64', value: -1n }, { type: 'f32', bits: 0x80000001 }, { type: 'f64', bits: 0x7ff0000000000001n }] },
      expected: [
        { kind: 'value', value: { type: 'i32', value: -1 } },
        { kind: 'nan', type: 'f32', nan: 'nan:canonical' },
        { kind: 'either', options: [
          { kind: 'value', value: { type: 'ref.null', heaptype: 'func' } },
          { kind: 'value', value: { type: 'ref.extern', host: 7 } },
        ] },
        { kind: 'anyref', heaptype: 'func' },
        { kind: 'anyref', heaptype: 'extern' },
      ],
    });
    expect(commands[9]).toMatchObject({
      expected: [
        { kind: 'v128lanes', shape: 'f32x4', lanes: [{ nan: 'nan:arithmetic' }, { bits: 0x3f800000 }, { bits: 0x80000000 }, { bits: 0x7f800000 }] },
        { kind: 'value', value: { type: 'v128', bytes: new Uint8Array([255, 255, 0, 0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 255, 255]) } },
      ],
    });
    expect(commands[13]).toMatchObject({ source: { type: 'quote', text: '(func' }, message: 'unexpected end' });
  });

  it('reports a script syntax error with its line', () => {
    expect(() => parseScript('(module)\n\n(assert_return (invoke "f") (i32.const))')).toThrow(MalformedError);
    try {
      parseScript('(module)\n\n(bogus)');
    } catch (e) {
      expect(e).toMatchObject({ line: 3 });
    }
    expect.assertions(2);
  });

  it('takes a script made of module fields as one module', () => {
    expect(parseScript('(func) (memory 0)')).toEqual([
      { kind: 'module', line: 1, definition: false, source: { type: 'text', text: '(func) (memory 0)' } },
    ]);
  });
});

/** The value of the single constant instruction of a one-global module. */
function constant(op: string, literal: string): unknown {
  const type = op.slice(0, 3);
  const init = parseModule(`(global ${type} (${op} ${literal}))`).globals[0]!.init[0]!;
  return 'bits' in init ? init.bits : 'value' in init ? init.value : undefined;
}

describe('numeric literals', () => {
  it('gives integers their bit patterns within both signed and unsigned ranges', () => {
    expect(constant('i32.const', '0xffff_ffff')).toBe(-1);
    expect(constant('i32.const', '-0x8000_0000')).toBe(-0x80000000);
    expect(constant('i32.const', '+2147483647')).toBe(2147483647);
    expect(constant('i64.const', '18446744073709551615')).toBe(-1n);
    expect(constant('i64.const', '-9223372036854775808')).toBe(-(2n ** 63n));
    expect(parseError('(global i64 (i64.const 18446744073709551616))')).toBe('constant out of range');
    expect(parseError('(global i64 (i64.const -9223372036854775809))')).toBe('constant out of range');
    expect(parseError('(global i32 (i32.const 1__0))')).toMatch(/^unknown operator/);
    expect(parseError('(global i32 (i32.const 1.0))')).toBe('constant out of range');
  });

  it('rounds decimal literals to f32 directly, to nearest even, without double rounding', () => {
    // 1 + 2^-24 is halfway between 1 and the next f32: ties go to the even significand.
    expect(constant('f32.const', '1.000000059604644775390625')).toBe(0x3f800000);
    expect(constant('f32.const', '1.000000059604644775390626')).toBe(0x3f800001);
    // 1 + 3·2^-24 is halfway too, between odd 1+2^-23 and even 1+2^-22: rounds up.
    expect(constant('f32.const', '1.000000178813934326171875')).toBe(0x3f800002);
    // Rounding first to f64 would give 1 + 2^-24 exactly and then 1 (a double rounding).
    expect(constant('f32.const', '1.00000005960464477550')).toBe(0x3f800001);
    expect(constant('f32.const', '0.1')).toBe(0x3dcccccd);
    expect(constant('f32.const', '3.4028235e38')).toBe(0x7f7fffff);
    expect(parseError('(global f32 (f32.const 3.40282357e38))')).toBe('constant out of range');
    expect(constant('f32.const', '1e-46')).toBe(0);
    expect(constant('f32.const', '-1e-46')).toBe(0x80000000);
    expect(constant('f64.const', '2.4703282292062328e-324')).toBe(1n);
    expect(constant('f64.const', '2.4703282292062327e-324')).toBe(0n);
    expect(constant('f64.const', '0.1')).toBe(0x3fb999999999999an);
  });

  it('reads hex floats exactly', () => {
    expect(constant('f32.const', '0x1p-149')).toBe(1);
    expect(constant('f32.const', '0x1p-150')).toBe(0);
    expect(constant('f32.const', '0x1.000001p-150')).toBe(1);
    expect(constant('f32.const', '0x1.fffffep127')).toBe(0x7f7fffff);
    expect(parseError('(global f32 (f32.const 0x1.ffffffp127))')).toBe('constant out of range');
    expect(constant('f32.const', '0x1.00000100000000001p0')).toBe(0x3f800001);
    expect(constant('f64.const', '-0x1.fffffffffffffp1023')).toBe(0xffefffffffffffffn);
    expect(constant('f64.const', '0x1P-1074')).toBe(1n);
    expect(constant('f64.const', '0x1.8p0')).toBe(0x3ff8000000000000n);
  });

  it('reads inf, nan and NaN payloads', () => {
    expect(constant('f32.const', 'inf')).toBe(0x7f800000);
    expect(constant('f32.const', '-inf')).toBe(0xff800000);
    expect(constant('f32.const', 'nan')).toBe(0x7fc00000);
    expect(constant('f32.const', '-nan:0x1')).toBe(0xff800001);
    expect(constant('f64.const', 'nan:0xf_ffff_ffff_ffff')).toBe(0x7fffffffffffffffn);
    expect(parseError('(global f32 (f32.const nan:0x80_0000))')).toBe('constant out of range');
    expect(parseError('(global f32 (f32.const nan:0x0))')).toBe('constant out of range');
  });

  it('lays out v128 lanes little-endian', () => {
    const init = parseModule('(global v128 (v128.const i32x4 1 0xffffffff -2 0x0102_0304))').globals[0]!.init[0]!;
    expect(init).toEqual({ op: 'v128.const', bytes: new Uint8Array([1, 0, 0, 0, 255, 255, 255, 255, 254, 255, 255, 255, 4, 3, 2, 1]) });
    expect(parseError('(global v128 (v128.const i8x16 0 1))')).toBe('wrong number of lane literals');
  });
});

describe('abbreviations give the same module as their expansions', () => {
  const same = (abbreviated: string, expanded: string): void => {
    expect(parseModule(abbreviated)).toEqual(parseModule(expanded));
  };

  it('inline exports and imports', () => {
    same('(func $f (export "a") (export "b"))', '(export "a" (func $f)) (export "b" (func $f)) (func $f)');
    same('(func $f (import "m" "n") (param i32))', '(import "m" "n" (func $f (param i32)))');
    same('(memory (export "m") (import "a" "b") 1 2)', '(export "m" (memory 0)) (import "a" "b" (memory 1 2))');
    same('(global (import "a" "b") (mut i32))', '(import "a" "b" (global (mut i32)))');
  });

  it('implicit type uses, appended after all explicit types in order of appearance', () => {
    same('(func (param i32)) (type (func)) (func (result i32) (block (param i32) (result i32 i32) unreachable))',
      '(type (func)) (type (func (param i32))) (type (func (result i32))) (type (func (param i32) (result i32 i32)))' +
      '(func (type 1)) (func (type 2) (block (type 3) unreachable))');
    // An existing equal type is reused, even if defined later.
    const m = parseModule('(func (param i64)) (type $t (func (param i64)))');
    expect(m.types).toHaveLength(1);
    expect(m.funcs[0]!.type).toBe(0);
    expect(parseError('(type $t (func)) (func (type $t) (param i32))')).toBe('inline function type');
    expect(parseError('(func (type $u))')).toMatch(/^unknown type/);
  });

  it('folded instructions', () => {
    same('(func (result i32) (i32.add (i32.const 1) (i32.mul (i32.const 2) (i32.const 3))))',
      '(func (result i32) i32.const 1 i32.const 2 i32.const 3 i32.mul i32.add)');
    same('(func $f (param i32) (if $l (result i32) (local.get 0) (then (br $l (i32.const 1))) (else (i32.const 2))))',
      '(func $f (param i32) local.get 0 if $l (result i32) i32.const 1 br 0 else i32.const 2 end $l)');
    same('(func (block $a (loop $b (br_table $a $b 0 (i32.const 0)))))',
      '(func block loop i32.const 0 br_table 1 0 0 end end)');
  });

  it('identifiers in every index space', () => {
    same('(type $t (func)) (table $tb 1 funcref) (memory $m 1) (global $g i32 (i32.const 0)) (elem $e func $f) (data $d "")' +
      '(func $f (param $p i32) (local $l i64) (call_indirect $tb (type $t)) (global.get $g) (local.get $p) (local.get $l)' +
      ' (elem.drop $e) (data.drop $d) (call $f) drop drop drop)',
    '(type (func)) (table 1 funcref) (memory 1) (global i32 (i32.const 0)) (elem func 0) (data "")' +
      '(func (param i32) (local i64) (call_indirect 0 (type 0)) (global.get 0) (local.get 0) (local.get 1)' +
      ' (elem.drop 0) (data.drop 0) (call 0) drop drop drop)');
  });

  it('tables with inline elements, memories with inline data, offsets and items', () => {
    same('(table funcref (elem $f $f)) (func $f)',
      '(table 2 2 funcref) (elem (table 0) (offset (i32.const 0)) func $f $f) (func $f)');
    same('(memory (data "ab" "c"))', '(memory 1 1) (data (memory 0) (offset (i32.const 0)) "abc")');
    same('(table 1 funcref) (elem (i32.const 0) $f) (func $f)',
      '(table 1 funcref) (elem (table 0) (offset (i32.const 0)) funcref (item (ref.func $f))) (func $f)');
    same('(elem funcref (ref.null func) (ref.func 0)) (func)', '(elem funcref (item ref.null func) (item ref.func 0)) (func)');
    expect(parseModule('(elem declare func 0) (func)').elems[0]!.mode).toEqual({ kind: 'declarative' });
  });

  it('memory arguments with default and explicit alignment', () => {
    same('(memory 1) (func (drop (i64.load (i32.const 0))))', '(memory 1) (func (drop (i64.load offset=0 align=8 (i32.const 0))))');
    const body = parseModule('(memory 1) (func (drop (i32.load16_u offset=0x10 align=1 (i32.const 0))))').funcs[0]!.body;
    expect(body[1]).toEqual({ op: 'i32.load16_u', memarg: { offset: 16, align: 0, mem: 0 } });
    expect(parseError('(memory 1) (func (drop (i32.load align=3 (i32.const 0))))')).toMatch(/^alignment/);
  });
});

describe('malformed modules', () => {
  it.each([
    ['(func $f) (func $f)', 'duplicate func'],
    ['(func (param $x i32) (local $x i32))', 'duplicate local'],
    ['(func (br $l))', 'unknown label'],
    ['(func block $a end $b)', 'mismatching label'],
    ['(func) (import "m" "n" (func))', 'import after function'],
    ['(global i32 (i32.const 0)) (import "m" "n" (memory 1))', 'import after global'],
    ['(func (export "\\ff"))', 'malformed UTF-8 encoding'],
    ['(func (i32.const 0x1_0000_0000))', 'constant out of range'],
    ['(func (i32.frob))', 'unknown operator'],
    ['(func (nop)', 'unexpected end'],
    ['(func) )', 'unexpected token'],
    ['(func (local.get $x))', 'unknown local'],
    ['(start 0) (start 0)', 'multiple start sections'],
  ])('%s fails with "%s"', (text, message) => {
    expect(parseError(text)).toMatch(new RegExp(`^${message}`));
  });

  it('leaves a numeric index out of range to the validator', () => {
    expect(parseModule('(func (call 7))').funcs[0]!.body).toEqual([{ op: 'call', func: 7 }]);
  });
});
