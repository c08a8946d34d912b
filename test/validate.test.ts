import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeModule } from '../spec/binary/decode.js';
import { ValidationError } from '../spec/errors.js';
import type { ModuleSource } from '../spec/script/ast.js';
import { opcodes, type Expr, type Instr, type OpInfo, type Opname } from '../spec/structure/instructions.js';
import { emptyModule, type Module } from '../spec/structure/module.js';
import type { ExternType, FuncType, ValType } from '../spec/structure/types.js';
import { parseModule } from '../spec/text/parse.js';
import { parseScript } from '../spec/text/script.js';
import { matchExternType, matchValType } from '../spec/valid/match.js';
import { validateModule } from '../spec/valid/validate.js';

const ft = (params: ValType[], results: ValType[]): FuncType => ({ params, results });
const i32c = (value: number): Instr => ({ op: 'i32.const', value });
const i64c = (value: bigint): Instr => ({ op: 'i64.const', value });
const f32c: Instr = { op: 'f32.const', bits: 0 };
const memarg = (align: number, offset = 0) => ({ align, offset, mem: 0 });

/** A module with one function of type `type` (index 0 of the types) and body `body`. */
function func(body: Expr, type = ft([], []), extra: Partial<Module> = {}, locals: ValType[] = []): Module {
  return { ...emptyModule(), types: [type], funcs: [{ type: 0, locals, body }], ...extra };
}

function invalid(m: Module, msg: string): void {
  let err: unknown;
  try {
    validateModule(m);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ValidationError);
  expect((err as ValidationError).message.startsWith(msg), (err as ValidationError).message).toBe(true);
}

const valid = (m: Module) => expect(() => validateModule(m)).not.toThrow();
const mem1 = { mems: [{ type: { addrtype: 'i32' as const, limits: { min: 1 } } }] };
const table = (reftype: 'funcref' | 'externref' = 'funcref') =>
  ({ type: { addrtype: 'i32' as const, limits: { min: 1 }, reftype } });

describe('instruction sequences', () => {
  it('checks operand types', () => {
    valid(func([i32c(1), i32c(2), { op: 'i32.add' }], ft([], ['i32'])));
    invalid(func([i32c(1), f32c, { op: 'i32.add' }], ft([], ['i32'])), 'type mismatch');
    invalid(func([i32c(1)], ft([], [])), 'type mismatch');
    invalid(func([], ft([], ['i32'])), 'type mismatch');
    invalid(func([{ op: 'i32.eqz' }], ft([], ['i32'])), 'type mismatch');
  });

  it('makes code after unreachable, br and return stack-polymorphic', () => {
    valid(func([{ op: 'unreachable' }, { op: 'i32.add' }], ft([], ['i32'])));
    valid(func([{ op: 'unreachable' }, { op: 'select' }, { op: 'drop' }]));
    valid(func([i32c(1), { op: 'return' }, { op: 'i64.eqz' }], ft([], ['i32'])));
    invalid(func([{ op: 'return' }], ft([], ['i32'])), 'type mismatch');
    valid(func([{ op: 'block', bt: null, body: [{ op: 'br', label: 0 }, { op: 'f32.neg' }, { op: 'drop' }] }]));
    // Known operands are still checked below the polymorphic part.
    invalid(func([{ op: 'unreachable' }, f32c, { op: 'i32.add' }], ft([], ['i32'])), 'type mismatch');
    // br_table targets with Unknown operands need not agree on types, only on arity.
    valid(func([{ op: 'block', bt: 'f32', body: [
      { op: 'block', bt: 'i32', body: [{ op: 'unreachable' }, { op: 'br_table', labels: [0], default: 1 }] },
      { op: 'drop' }, f32c] }, { op: 'drop' }]));
    invalid(func([{ op: 'block', bt: 'f32', body: [
      { op: 'block', bt: null, body: [{ op: 'unreachable' }, { op: 'br_table', labels: [0], default: 1 }] },
      f32c] }, { op: 'drop' }]), 'type mismatch');
  });

  it('types multi-value blocks by type index', () => {
    const pair = ft(['i32', 'i64'], ['i64', 'i32']);
    const m = (body: Expr): Module => ({
      ...emptyModule(), types: [ft([], ['i64', 'i32']), pair],
      funcs: [{ type: 0, locals: [], body }],
    });
    valid(m([i32c(1), i64c(2n), { op: 'block', bt: { typeidx: 1 }, body: [
      { op: 'drop' }, { op: 'drop' }, i64c(3n), i32c(4)] }]));
    valid(m([i32c(1), i64c(2n), { op: 'loop', bt: { typeidx: 1 }, body: [
      { op: 'drop' }, { op: 'drop' }, i64c(3n), i32c(4)] }]));
    // A branch to a loop carries its parameters, to a block its results.
    valid(m([i32c(1), i64c(2n), { op: 'loop', bt: { typeidx: 1 }, body: [{ op: 'br', label: 0 }] }]));
    invalid(m([i32c(1), i64c(2n), { op: 'block', bt: { typeidx: 1 }, body: [{ op: 'br', label: 0 }] }]), 'type mismatch');
    invalid(m([i64c(2n), i32c(1), { op: 'block', bt: { typeidx: 1 }, body: [{ op: 'drop' }, { op: 'drop' }, i64c(3n), i32c(4)] }]), 'type mismatch');
    invalid(m([{ op: 'block', bt: { typeidx: 7 }, body: [] }]), 'unknown type 7');
    valid(m([i32c(1), i64c(2n), i32c(0), { op: 'if', bt: { typeidx: 1 }, then: [{ op: 'drop' }, { op: 'drop' }, i64c(3n), i32c(4)],
      else: [{ op: 'drop' }, { op: 'drop' }, i64c(5n), i32c(6)] }]));
  });

  it('requires an else when an if changes the stack type', () => {
    invalid(func([i32c(0), { op: 'if', bt: 'i32', then: [i32c(1)], else: [] }, { op: 'drop' }]), 'type mismatch');
    valid(func([i32c(0), { op: 'if', bt: null, then: [], else: [] }]));
  });

  it('types select: plain on numbers and vectors only, typed for references', () => {
    valid(func([i32c(1), i32c(2), i32c(0), { op: 'select' }], ft([], ['i32'])));
    invalid(func([i32c(1), f32c, i32c(0), { op: 'select' }, { op: 'drop' }]), 'type mismatch');
    const nullf: Instr = { op: 'ref.null', heaptype: 'func' };
    invalid(func([nullf, nullf, i32c(0), { op: 'select' }, { op: 'drop' }]), 'type mismatch');
    valid(func([nullf, nullf, i32c(0), { op: 'select', types: ['funcref'] }, { op: 'drop' }]));
    invalid(func([i32c(1), i32c(2), i32c(0), { op: 'select', types: [] }]), 'invalid result arity');
    invalid(func([i32c(1), i32c(2), i32c(0), { op: 'select', types: ['i32', 'i32'] }]), 'invalid result arity');
    // Under unreachable: select of one known reference operand is still refused.
    invalid(func([{ op: 'unreachable' }, nullf, i32c(0), { op: 'select' }, { op: 'drop' }]), 'type mismatch');
  });

  it('reports unknown indices', () => {
    invalid(func([{ op: 'local.get', local: 2 }, { op: 'drop' }], ft(['i32'], []), {}, ['i64']), 'unknown local 2');
    valid(func([{ op: 'local.get', local: 1 }], ft(['i32'], ['i64']), {}, ['i64']));
    invalid(func([{ op: 'global.get', global: 0 }, { op: 'drop' }]), 'unknown global 0');
    invalid(func([{ op: 'call', func: 3 }]), 'unknown function 3');
    invalid(func([{ op: 'br', label: 1 }]), 'unknown label 1');
    invalid(func([i32c(0), { op: 'call_indirect', type: 0, table: 0 }]), 'unknown table 0');
    invalid(func([i32c(0), { op: 'call_indirect', type: 5, table: 0 }], ft([], []), { tables: [table()] }), 'unknown type 5');
    invalid(func([i32c(0), { op: 'i32.load', memarg: memarg(2) }, { op: 'drop' }]), 'unknown memory 0');
    invalid(func([i32c(0), i32c(0), i32c(0), { op: 'memory.copy', dst: 0, src: 0 }]), 'unknown memory 0');
    invalid(func([{ op: 'data.drop', data: 1 }], ft([], []), { ...mem1, datas: [{ init: new Uint8Array(), mode: { kind: 'passive' } }] }),
      'unknown data segment 1');
    invalid(func([{ op: 'elem.drop', elem: 0 }]), 'unknown elem segment 0');
  });

  it('checks globals', () => {
    const globals = [{ type: { mut: false, type: 'i32' as const }, init: [i32c(0)] }];
    invalid(func([i32c(1), { op: 'global.set', global: 0 }], ft([], []), { globals }), 'immutable global');
    valid(func([i32c(1), { op: 'global.set', global: 0 }], ft([], []), { globals: [{ ...globals[0]!, type: { mut: true, type: 'i32' } }] }));
  });

  it('checks memory immediates', () => {
    valid(func([i32c(0), { op: 'i64.load32_u', memarg: memarg(2) }, { op: 'drop' }], ft([], []), mem1));
    invalid(func([i32c(0), { op: 'i64.load32_u', memarg: memarg(3) }, { op: 'drop' }], ft([], []), mem1),
      'alignment must not be larger than natural');
    valid(func([i32c(0), { op: 'v128.load8x8_s', memarg: memarg(3) }, { op: 'drop' }], ft([], []), mem1));
    invalid(func([i32c(0), { op: 'v128.load8x8_s', memarg: memarg(4) }, { op: 'drop' }], ft([], []), mem1),
      'alignment must not be larger than natural');
    invalid(func([i32c(0), { op: 'i32.load', memarg: memarg(0, 2 ** 32) }, { op: 'drop' }], ft([], []), mem1),
      'offset out of range');
  });

  it('checks lane indices', () => {
    const v: Instr = { op: 'v128.const', bytes: new Uint8Array(16) };
    valid(func([v, { op: 'i8x16.extract_lane_s', lane: 15 }, { op: 'drop' }]));
    invalid(func([v, { op: 'i8x16.extract_lane_s', lane: 16 }, { op: 'drop' }]), 'invalid lane index');
    invalid(func([v, { op: 'f64x2.extract_lane', lane: 2 }, { op: 'drop' }]), 'invalid lane index');
    invalid(func([v, v, { op: 'i8x16.shuffle', lanes: [...Array(15).fill(0), 32] }, { op: 'drop' }]), 'invalid lane index');
    valid(func([i32c(0), v, { op: 'v128.load32_lane', memarg: memarg(2), lane: 3 }, { op: 'drop' }], ft([], []), mem1));
    invalid(func([i32c(0), v, { op: 'v128.load32_lane', memarg: memarg(2), lane: 4 }, { op: 'drop' }], ft([], []), mem1),
      'invalid lane index');
  });

  it('checks table instructions and reference types', () => {
    const tables = [table('funcref'), table('externref')];
    valid(func([i32c(0), { op: 'table.get', table: 1 }], ft([], ['externref']), { tables }));
    invalid(func([i32c(0), { op: 'table.get', table: 0 }], ft([], ['externref']), { tables }), 'type mismatch');
    invalid(func([i32c(0), i32c(0), i32c(0), { op: 'table.copy', dst: 0, src: 1 }], ft([], []), { tables }), 'type mismatch');
    invalid(func([i32c(0), { op: 'call_indirect', type: 0, table: 1 }], ft([], []), { tables }), 'type mismatch');
    valid(func([{ op: 'ref.null', heaptype: 'extern' }, i32c(1), { op: 'table.grow', table: 1 }], ft([], ['i32']), { tables }));
    invalid(func([i32c(1), { op: 'ref.is_null' }, { op: 'drop' }]), 'type mismatch');
  });
});

describe('modules', () => {
  it('requires ref.func in bodies to be declared outside functions', () => {
    const body: Expr = [{ op: 'ref.func', func: 0 }, { op: 'drop' }];
    invalid(func(body), 'undeclared function reference');
    valid(func(body, ft([], []), { exports: [{ name: 'f', desc: { kind: 'func', index: 0 } }] }));
    valid(func(body, ft([], []), { elems: [{ type: 'funcref', init: [[{ op: 'ref.func', func: 0 }]], mode: { kind: 'declarative' } }] }));
    invalid(func([], ft([], []), { globals: [{ type: { mut: false, type: 'funcref' }, init: [{ op: 'ref.func', func: 7 }] }] }),
      'unknown function 7');
  });

  it('checks constant expressions', () => {
    const g = (init: Expr, mut = false) => ({ type: { mut, type: 'i32' as const }, init });
    invalid({ ...emptyModule(), globals: [g([i32c(1), i32c(2), { op: 'i32.add' }])] }, 'constant expression required');
    invalid({ ...emptyModule(), globals: [g([{ op: 'nop' }])] }, 'constant expression required');
    invalid({ ...emptyModule(), globals: [g([])] }, 'type mismatch');
    invalid({ ...emptyModule(), globals: [g([f32c])] }, 'type mismatch');
    // 2.0: initialisers see only imported globals, and only immutable ones are constant.
    invalid({ ...emptyModule(), globals: [g([i32c(0)]), g([{ op: 'global.get', global: 0 }])] }, 'unknown global 0');
    const imp = (mut: boolean) => ({ module: 'm', name: 'g', desc: { kind: 'global' as const, type: { mut, type: 'i32' as const } } });
    valid({ ...emptyModule(), imports: [imp(false)], globals: [g([{ op: 'global.get', global: 0 }])] });
    invalid({ ...emptyModule(), imports: [imp(true)], globals: [g([{ op: 'global.get', global: 0 }])] }, 'constant expression required');
    invalid({ ...emptyModule(), tables: [table()], elems: [{ type: 'funcref', init: [], mode: { kind: 'active', table: 0, offset: [{ op: 'nop' }] } }] },
      'constant expression required');
  });

  it('checks limits and memory count', () => {
    const mem = (min: number, max?: number) => ({ type: { addrtype: 'i32' as const, limits: max === undefined ? { min } : { min, max } } });
    valid({ ...emptyModule(), mems: [mem(0, 65536)] });
    invalid({ ...emptyModule(), mems: [mem(65537)] }, 'memory size must be at most 65536 pages (4GiB)');
    invalid({ ...emptyModule(), mems: [mem(0, 2 ** 32)] }, 'memory size');
    invalid({ ...emptyModule(), mems: [mem(1, 0)] }, 'size minimum must not be greater than maximum');
    invalid({ ...emptyModule(), mems: [mem(0), mem(0)] }, 'multiple memories');
    invalid({ ...emptyModule(), imports: [{ module: 'M', name: 'm', desc: { kind: 'mem', type: mem(2 ** 32).type } }] }, 'memory size');
    invalid({ ...emptyModule(), tables: [{ type: { ...table().type, limits: { min: 2 ** 32 } } }] }, 'table size');
  });

  it('checks start, exports, element and data segments', () => {
    invalid(func([i32c(0)], ft([], ['i32']), { start: 0 }), 'start function');
    invalid(func([], ft(['i32'], []), { start: 0 }), 'start function');
    invalid(func([], ft([], []), { start: 1 }), 'unknown function 1');
    valid(func([], ft([], []), { start: 0 }));
    const ex = (name: string) => ({ name, desc: { kind: 'func' as const, index: 0 } });
    invalid(func([], ft([], []), { exports: [ex('a'), ex('a')] }), 'duplicate export name');
    invalid(func([], ft([], []), { exports: [{ name: 'm', desc: { kind: 'mem', index: 0 } }] }), 'unknown memory 0');
    invalid({ ...emptyModule(), tables: [table('externref')],
      elems: [{ type: 'funcref', init: [], mode: { kind: 'active', table: 0, offset: [i32c(0)] } }] }, 'type mismatch');
    invalid({ ...emptyModule(), datas: [{ init: new Uint8Array(), mode: { kind: 'active', mem: 0, offset: [i32c(0)] } }] },
      'unknown memory 0');
  });

  it('returns the import and export types', () => {
    const f = ft(['i32'], ['i64']);
    const m: Module = {
      ...emptyModule(), types: [f],
      imports: [{ module: 'm', name: 'f', desc: { kind: 'func', type: 0 } }],
      funcs: [{ type: 0, locals: [], body: [{ op: 'i64.const', value: 0n }] }],
      ...mem1,
      exports: [{ name: 'g', desc: { kind: 'func', index: 1 } }, { name: 'mem', desc: { kind: 'mem', index: 0 } }],
    };
    expect(validateModule(m)).toEqual({
      imports: [{ kind: 'func', type: f }],
      exports: [{ kind: 'func', type: f }, { kind: 'mem', type: mem1.mems[0]!.type }],
    });
  });
});

describe('matching', () => {
  const mem = (min: number, max?: number): ExternType =>
    ({ kind: 'mem', type: { addrtype: 'i32', limits: max === undefined ? { min } : { min, max } } });
  it('matches value types by equality', () => {
    expect(matchValType('i32', 'i32')).toBe(true);
    expect(matchValType('funcref', 'externref')).toBe(false);
  });
  it('matches limits', () => {
    expect(matchExternType(mem(2), mem(1))).toBe(true);
    expect(matchExternType(mem(1), mem(2))).toBe(false);
    expect(matchExternType(mem(1), mem(1, 3))).toBe(false);
    expect(matchExternType(mem(1, 2), mem(1, 3))).toBe(true);
    expect(matchExternType(mem(1, 4), mem(1, 3))).toBe(false);
    expect(matchExternType(mem(1, 4), mem(1))).toBe(true);
  });
  it('matches functions, globals, tables and kinds', () => {
    const fn = (f: FuncType): ExternType => ({ kind: 'func', type: f });
    expect(matchExternType(fn(ft(['i32'], [])), fn(ft(['i32'], [])))).toBe(true);
    expect(matchExternType(fn(ft(['i32'], [])), fn(ft([], ['i32'])))).toBe(false);
    const gl = (mut: boolean, type: ValType): ExternType => ({ kind: 'global', type: { mut, type } });
    expect(matchExternType(gl(true, 'i32'), gl(true, 'i32'))).toBe(true);
    expect(matchExternType(gl(true, 'i32'), gl(false, 'i32'))).toBe(false);
    expect(matchExternType(gl(false, 'i32'), gl(false, 'i64'))).toBe(false);
    const tb = (reftype: 'funcref' | 'externref'): ExternType => ({ kind: 'table', type: table(reftype).type });
    expect(matchExternType(tb('funcref'), tb('funcref'))).toBe(true);
    expect(matchExternType(tb('funcref'), tb('externref'))).toBe(false);
    expect(matchExternType(mem(1), tb('funcref'))).toBe(false);
  });
});

describe('fixed-signature instructions (property)', () => {
  // Straight-line code built by tracking the operand types: every op whose parameters are on top of
  // the stack may come next. Such code validates; an op whose parameters are not there does not.
  const nullary = (Object.keys(opcodes) as Opname[]).filter((op) => opcodes[op].imm === 'none');
  const withSig = nullary.flatMap((op) => {
    const info: OpInfo = opcodes[op];
    return info.sig === undefined ? [] : [{ op, params: info.sig[0], results: info.sig[1] }];
  });
  const consts: Record<string, Instr> = {
    i32: i32c(7), i64: i64c(7n), f32: f32c, f64: { op: 'f64.const', bits: 0n },
    v128: { op: 'v128.const', bytes: new Uint8Array(16) },
  };
  const endsWith = (stack: readonly ValType[], ts: readonly ValType[]) =>
    stack.length >= ts.length && ts.every((t, i) => stack[stack.length - ts.length + i] === t);

  function build(choices: readonly number[]): { body: Instr[]; stack: ValType[] } {
    const body: Instr[] = [];
    const stack: ValType[] = [];
    for (const n of choices) {
      const fits = withSig.filter((s) => endsWith(stack, s.params));
      const pick = fits[n % (fits.length + 5)];
      if (pick === undefined) {
        const t = (['i32', 'i64', 'f32', 'f64', 'v128'] as const)[n % 5]!;
        body.push(consts[t]!);
        stack.push(t);
      } else {
        body.push({ op: pick.op } as Instr);
        stack.splice(stack.length - pick.params.length, pick.params.length, ...pick.results);
      }
    }
    return { body, stack };
  }

  it('accepts well-typed sequences', () => {
    fc.assert(fc.property(fc.array(fc.nat(1000), { maxLength: 40 }), (choices) => {
      const { body, stack } = build(choices);
      validateModule(func([...body, ...stack.map((): Instr => ({ op: 'drop' }))]));
      validateModule(func(body, ft([], stack)));
    }));
  });

  it('refuses an op whose operands are not on the stack', () => {
    fc.assert(fc.property(fc.array(fc.nat(1000), { maxLength: 40 }), fc.nat(), (choices, n) => {
      const { body, stack } = build(choices);
      const misfits = withSig.filter((s) => s.params.length > 0 && !endsWith(stack, s.params));
      const bad = misfits[n % misfits.length]!;
      invalid(func([...body, { op: bad.op } as Instr, ...bad.results.map((): Instr => ({ op: 'drop' }))]), 'type mismatch');
    }));
  });
});

describe('the 2.0 testsuite', () => {
  const SUITE = '/work/shared/testsuite';
  const files = readFileSync(`${SUITE}/wasm2.txt`, 'utf8').split('\n').filter((f) => f !== '');
  const load = (source: ModuleSource): Module =>
    source.type === 'binary' ? decodeModule(source.bytes) : parseModule(source.text);
  const errorOf = (m: Module): string | undefined => {
    try {
      validateModule(m);
      return undefined;
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return e.message;
    }
  };

  it('every assert_invalid fails with its message, every other module validates', () => {
    const failures: string[] = [];
    let invalidPassed = 0;
    let validPassed = 0;
    for (const file of files) {
      for (const c of parseScript(readFileSync(`${SUITE}/core/${file}`, 'utf8'))) {
        if (!('source' in c) || c.kind === 'assert_malformed') continue;
        const message = errorOf(load(c.source));
        if (c.kind === 'assert_invalid') {
          if (message?.startsWith(c.message)) invalidPassed++;
          else failures.push(`${file}:${c.line}: expected "${c.message}", got ${message === undefined ? 'valid' : `"${message}"`}`);
        } else if (message === undefined) {
          validPassed++;
        } else {
          failures.push(`${file}:${c.line}: expected valid, got "${message}"`);
        }
      }
    }
    expect(failures).toEqual([]);
    // 2.0 files, testsuite commit 193e551: 1665 assert_invalid, 1352 other modules (incl. assert_unlinkable and assert_uninstantiable).
    expect({ invalidPassed, validPassed }).toEqual({ invalidPassed: 1665, validPassed: 1352 });
  });
});
