// Execution (spec ch. 4) of the reference engine on hand-built module ASTs: control flow, calls,
// call_indirect traps, memory/table/bulk instructions and their bounds, instantiation order and
// partial initialisation, host functions, call-depth exhaustion.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Exhaustion, LinkError, Trap } from '../spec/errors.js';
import { invoke } from '../spec/exec/eval.js';
import { instantiate } from '../spec/exec/instantiate.js';
import {
  allocglobal, allochostfunc, allocmem, alloctable, defaultValue, growmem, growtable, Store,
  type ExternAddr, type ModuleInst,
} from '../spec/exec/runtime.js';
import type { Ref, Value } from '../spec/exec/values.js';
import type { BlockType, Expr, Instr } from '../spec/structure/instructions.js';
import { emptyModule, type Elem, type Func, type Module } from '../spec/structure/module.js';
import type { FuncType, ValType } from '../spec/structure/types.js';

// ---- tiny AST builders ----------------------------------------------------------------------

const i32 = (value: number): Instr => ({ op: 'i32.const', value });
const i64 = (value: bigint): Instr => ({ op: 'i64.const', value });
const get = (local: number): Instr => ({ op: 'local.get', local });
const set = (local: number): Instr => ({ op: 'local.set', local });
const br = (label: number): Instr => ({ op: 'br', label });
const brIf = (label: number): Instr => ({ op: 'br_if', label });
const call = (func: number): Instr => ({ op: 'call', func });
const block = (bt: BlockType, ...body: Instr[]): Instr => ({ op: 'block', bt, body });
const loop = (bt: BlockType, ...body: Instr[]): Instr => ({ op: 'loop', bt, body });
const memarg = (offset = 0) => ({ align: 0, offset, mem: 0 });
const ft = (params: ValType[], results: ValType[]): FuncType => ({ params, results });
const ref = (addr: number): Ref => ({ type: 'ref.func', addr });
const nullFunc: Ref = { type: 'ref.null', heaptype: 'func' };

/** A module whose functions are listed with their types (types deduplicated into the type list),
 *  every function exported under its index as a name. */
function module(
  funcs: readonly { type: FuncType; locals?: ValType[]; body: Expr }[],
  rest: Partial<Module> = {},
): Module {
  const types: FuncType[] = [...(rest.types ?? [])];
  const typeIndex = (t: FuncType): number => {
    const i = types.findIndex((u) => JSON.stringify(u) === JSON.stringify(t));
    return i >= 0 ? i : types.push(t) - 1;
  };
  const imported = (rest.imports ?? []).filter((i) => i.desc.kind === 'func').length;
  const fs: Func[] = funcs.map((f) => ({ type: typeIndex(f.type), locals: f.locals ?? [], body: f.body }));
  return {
    ...emptyModule(),
    exports: funcs.map((_, i) => ({ name: String(i), desc: { kind: 'func', index: imported + i } })),
    ...rest,
    types,
    funcs: fs,
  };
}

function setup(m: Module, imports: ExternAddr[] = []): { S: Store; inst: ModuleInst; run: (name: string, ...args: Value[]) => Value[] } {
  const S = new Store();
  const inst = instantiate(S, m, imports);
  const run = (name: string, ...args: Value[]): Value[] => {
    const ex = inst.exports.find((e) => e.name === name)!;
    return invoke(S, ex.value.addr, args);
  };
  return { S, inst, run };
}

const trap = (msg: string) => expect.objectContaining({ constructor: Trap, message: msg });

// ---- control --------------------------------------------------------------------------------

describe('control instructions', () => {
  it('loops with br_if and locals', () => {
    // sum 1..n
    const { run } = setup(module([{
      type: ft(['i32'], ['i32']), locals: ['i32'],
      body: [
        block(null, loop(null,
          get(0), { op: 'i32.eqz' }, brIf(1),
          get(1), get(0), { op: 'i32.add' }, set(1),
          get(0), i32(1), { op: 'i32.sub' }, set(0),
          br(0))),
        get(1),
      ],
    }]));
    expect(run('0', 100)).toEqual([5050]);
    expect(run('0', 0)).toEqual([0]);
  });

  it('br_table selects its label, the default beyond the list, and carries multiple values', () => {
    // Inner and outer block both yield (i32 i32); label 0 adds 10 to the second value on the way.
    const two = { typeidx: 0 };
    const m = module([{
      type: ft(['i32'], ['i32', 'i32']),
      body: [
        block(two,
          block(two, i32(1), i32(2), get(0), { op: 'br_table', labels: [0, 1], default: 2 }),
          i32(10), { op: 'i32.add' }, br(0)),
      ],
    }], { types: [ft([], ['i32', 'i32'])] });
    const { run } = setup(m);
    expect(run('0', 0)).toEqual([1, 12]);
    expect(run('0', 1)).toEqual([1, 2]);
    // label 2 is the function body: returns directly
    expect(run('0', 2)).toEqual([1, 2]);
    expect(run('0', -1)).toEqual([1, 2]);
  });

  it('block and if take parameters from a type index; branches keep the values below them', () => {
    const binop = ft(['i32', 'i32'], ['i32']);
    const { run } = setup(module([
      {
        type: ft(['i32', 'i32', 'i32'], ['i32']),
        body: [get(0), get(1), get(2),
          { op: 'if', bt: { typeidx: 0 }, then: [{ op: 'i32.sub' }], else: [{ op: 'i32.mul' }] }],
      },
      {
        type: ft(['i32', 'i32'], ['i32']),
        body: [i32(100), get(0), get(1),
          block({ typeidx: 0 }, { op: 'i32.add' }, br(0), { op: 'unreachable' }),
          { op: 'i32.sub' }],
      },
    ], { types: [binop] }));
    expect(run('0', 7, 2, 1)).toEqual([5]);
    expect(run('0', 7, 2, 0)).toEqual([14]);
    expect(run('1', 3, 4)).toEqual([93]);
  });

  it('br out of a loop with parameters re-enters it with the carried value', () => {
    // (loop (param i32) (result i32) …) adds 1 to its parameter and branches back while it is < 5.
    const m = module([{
      type: ft([], ['i32']),
      body: [
        i32(0),
        loop({ typeidx: 0 }, i32(1), { op: 'i32.add' }, { op: 'local.tee', local: 0 },
          get(0), i32(5), { op: 'i32.lt_s' }, brIf(0)),
      ],
      locals: ['i32'],
    }], { types: [ft(['i32'], ['i32'])] });
    expect(setup(m).run('0')).toEqual([5]);
  });

  it('return leaves nested blocks; unreachable traps', () => {
    const { run } = setup(module([
      { type: ft([], ['i32']), body: [block(null, block(null, i32(3), { op: 'return' })), i32(4)] },
      { type: ft([], []), body: [{ op: 'unreachable' }] },
    ]));
    expect(run('0')).toEqual([3]);
    expect(() => run('1')).toThrow(trap('unreachable'));
  });

  it('select picks by its condition', () => {
    const { run } = setup(module([{
      type: ft(['i32'], ['i64']),
      body: [i64(1n), i64(2n), get(0), { op: 'select' }],
    }]));
    expect(run('0', 1)).toEqual([1n]);
    expect(run('0', 0)).toEqual([2n]);
  });
});

// ---- calls ----------------------------------------------------------------------------------

describe('calls', () => {
  const fac: Instr[] = [
    get(0), { op: 'i64.eqz' },
    { op: 'if', bt: 'i64', then: [i64(1n)], else: [get(0), get(0), i64(1n), { op: 'i64.sub' }, call(0), { op: 'i64.mul' }] },
  ];

  it('recursive calls', () => {
    expect(setup(module([{ type: ft(['i64'], ['i64']), body: fac }])).run('0', 25n)).toEqual([7034535277573963776n]);
  });

  it('multi-value results pass through calls', () => {
    const { run } = setup(module([
      { type: ft([], ['i32', 'i64']), body: [i32(1), i64(2n)] },
      { type: ft([], ['i64', 'i32']), body: [call(0), { op: 'local.set', local: 0 }, { op: 'local.set', local: 1 }, get(0), get(1)], locals: ['i64', 'i32'] },
    ]));
    expect(run('1')).toEqual([2n, 1]);
  });

  it('call_indirect calls through the table and traps with the testsuite texts', () => {
    const elems: Elem[] = [{
      type: 'funcref', init: [[{ op: 'ref.func', func: 0 }], [{ op: 'ref.func', func: 1 }]],
      mode: { kind: 'active', table: 0, offset: [i32(0)] },
    }];
    const { run } = setup(module([
      { type: ft([], ['i32']), body: [i32(42)] },
      { type: ft([], ['i64']), body: [i64(7n)] },
      { type: ft(['i32'], ['i32']), body: [get(0), { op: 'call_indirect', type: 0, table: 0 }] },
    ], { types: [ft([], ['i32'])], tables: [{ type: { addrtype: 'i32', limits: { min: 3 }, reftype: 'funcref' } }], elems }));
    expect(run('2', 0)).toEqual([42]);
    expect(() => run('2', 1)).toThrow(trap('indirect call type mismatch'));
    expect(() => run('2', 2)).toThrow(trap('uninitialized element 2'));
    expect(() => run('2', 3)).toThrow(trap('undefined element 3'));
    expect(() => run('2', -1)).toThrow(trap('undefined element 4294967295'));
  });

  it('function types of call_indirect compare structurally across type indices', () => {
    const elems: Elem[] = [{ type: 'funcref', init: [[{ op: 'ref.func', func: 0 }]], mode: { kind: 'active', table: 0, offset: [i32(0)] } }];
    const m = module([
      { type: ft([], ['i32']), body: [i32(5)] },
      { type: ft([], ['i32']), body: [i32(0), { op: 'call_indirect', type: 1, table: 0 }] },
    ], { types: [ft([], ['i32']), ft([], ['i32'])], tables: [{ type: { addrtype: 'i32', limits: { min: 1 }, reftype: 'funcref' } }], elems });
    expect(setup(m).run('1')).toEqual([5]);
  });

  it('runaway recursion ends in Exhaustion and the engine keeps working', () => {
    const { run } = setup(module([
      { type: ft([], []), body: [call(0)] },
      { type: ft(['i64'], ['i64']), body: fac.map((i) => (i.op === 'if' ? { ...i, else: i.else.map((j) => (j.op === 'call' ? call(1) : j)) } : i)) },
    ]));
    expect(() => run('0')).toThrow(Exhaustion);
    expect(() => run('0')).toThrow('call stack exhausted');
    expect(run('1', 20n)).toEqual([2432902008176640000n]);
  });
});

// ---- host functions -------------------------------------------------------------------------

describe('host functions', () => {
  it('are called with their arguments; results and traps propagate', () => {
    const S = new Store();
    const seen: Value[][] = [];
    const add = allochostfunc(S, ft(['i32', 'i64'], ['i64']), (args) => {
      seen.push(args);
      return [BigInt(args[0] as number) + (args[1] as bigint)];
    });
    const fail = allochostfunc(S, ft([], []), () => { throw new Trap('host says no'); });
    const m = module([
      { type: ft([], ['i64']), body: [i32(2), i64(40n), call(0)] },
      { type: ft([], []), body: [call(1)] },
    ], { imports: [
      { module: 'h', name: 'add', desc: { kind: 'func', type: 0 } },
      { module: 'h', name: 'fail', desc: { kind: 'func', type: 1 } },
    ], types: [ft(['i32', 'i64'], ['i64']), ft([], [])] });
    const inst = instantiate(S, m, [{ kind: 'func', addr: add }, { kind: 'func', addr: fail }]);
    const exp = (n: string) => inst.exports.find((e) => e.name === n)!.value.addr;
    expect(invoke(S, exp('0'), [])).toEqual([42n]);
    expect(seen).toEqual([[2, 40n]]);
    expect(() => invoke(S, exp('1'), [])).toThrow(trap('host says no'));
    expect(invoke(S, add, [1, 1n])).toEqual([2n]);
  });

  it('may re-enter the interpreter; unbounded re-entry is Exhaustion', () => {
    const S = new Store();
    let target = -1;
    const reenter = allochostfunc(S, ft([], []), () => invoke(S, target, []));
    const m = module([{ type: ft([], []), body: [call(0)] }],
      { imports: [{ module: 'h', name: 'r', desc: { kind: 'func', type: 0 } }], types: [ft([], [])] });
    const inst = instantiate(S, m, [{ kind: 'func', addr: reenter }]);
    target = inst.funcaddrs[1]!;
    expect(() => invoke(S, target, [])).toThrow(Exhaustion);
  });

  it('may call back into wasm with its own arguments', () => {
    const S = new Store();
    let double = -1;
    const viaHost = allochostfunc(S, ft(['i32'], ['i32']), (args) => [(invoke(S, double, args)[0] as number) + 1]);
    const m = module([
      { type: ft(['i32'], ['i32']), body: [get(0), get(0), { op: 'i32.add' }] },
      { type: ft(['i32'], ['i32']), body: [get(0), call(0), call(0)] },
    ], { imports: [{ module: 'h', name: 'f', desc: { kind: 'func', type: 0 } }], types: [ft(['i32'], ['i32'])] });
    const inst = instantiate(S, m, [{ kind: 'func', addr: viaHost }]);
    double = inst.funcaddrs[1]!;
    expect(invoke(S, inst.funcaddrs[2]!, [5])).toEqual([23]);
  });

  it('a mismatching import is a LinkError', () => {
    const S = new Store();
    const h = allochostfunc(S, ft(['i32'], []), () => []);
    const m = module([], { imports: [{ module: 'h', name: 'f', desc: { kind: 'func', type: 0 } }], types: [ft([], [])] });
    expect(() => instantiate(S, m, [{ kind: 'func', addr: h }])).toThrow(LinkError);
    const g = allocglobal(S, { mut: false, type: 'i32' }, 1);
    expect(() => instantiate(S, m, [{ kind: 'global', addr: g }])).toThrow('incompatible import type');
  });
});

// ---- memory ---------------------------------------------------------------------------------

const mem1 = { mems: [{ type: { addrtype: 'i32' as const, limits: { min: 1, max: 2 } } }] };

describe('memory instructions', () => {
  it('loads and stores every width, little-endian, with sign/zero extension', () => {
    const { run, S } = setup(module([
      { type: ft(['i32', 'i64'], []), body: [get(0), get(1), { op: 'i64.store', memarg: memarg() }] },
      { type: ft(['i32'], ['i32', 'i32', 'i32', 'i32', 'i32']), body: [
        get(0), { op: 'i32.load', memarg: memarg() },
        get(0), { op: 'i32.load8_s', memarg: memarg() },
        get(0), { op: 'i32.load8_u', memarg: memarg() },
        get(0), { op: 'i32.load16_s', memarg: memarg(1) },
        get(0), { op: 'f32.load', memarg: memarg() },
      ] },
      { type: ft(['i32'], ['i64', 'i64', 'i64', 'f64']), body: [
        get(0), { op: 'i64.load32_s', memarg: memarg() },
        get(0), { op: 'i64.load32_u', memarg: memarg() },
        get(0), { op: 'i64.load16_u', memarg: memarg() },
        get(0), { op: 'f64.load', memarg: memarg() },
      ] },
      { type: ft(['i32', 'i32'], []), body: [get(0), get(1), { op: 'i32.store16', memarg: memarg(2) }] },
    ], mem1));
    run('0', 8, -0x7edcba9876543211n); // bytes ef cd ab 89 67 45 23 81
    expect([...S.mems[0]!.data.subarray(8, 16)]).toEqual([0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x81]);
    expect(run('1', 8)).toEqual([0x89abcdef | 0, -0x11, 0xef, (0xabcd << 16) >> 16, 0x89abcdef]);
    expect(run('2', 8)).toEqual([-0x76543211n, 0x89abcdefn, 0xcdefn, 0x8123456789abcdefn]);
    run('3', 8, 0x12345678);
    expect([...S.mems[0]!.data.subarray(8, 14)]).toEqual([0xef, 0xcd, 0x78, 0x56, 0x67, 0x45]);
  });

  it('bounds: the effective address is computed without wrapping', () => {
    const { run } = setup(module([
      { type: ft(['i32'], ['i32']), body: [get(0), { op: 'i32.load', memarg: memarg(0xffffffff) }] },
      { type: ft(['i32'], ['i32']), body: [get(0), { op: 'i32.load', memarg: memarg() }] },
      { type: ft(['i32'], []), body: [get(0), i64(0n), { op: 'i64.store', memarg: memarg() }] },
    ], mem1));
    expect(() => run('0', 1)).toThrow(trap('out of bounds memory access'));
    expect(run('1', 65532)).toEqual([0]);
    expect(() => run('1', 65533)).toThrow(trap('out of bounds memory access'));
    expect(() => run('1', -1)).toThrow(trap('out of bounds memory access'));
    expect(() => run('2', 65529)).toThrow(trap('out of bounds memory access'));
  });

  it('memory.size and memory.grow respect the maximum', () => {
    const { run, S } = setup(module([
      { type: ft([], ['i32']), body: [{ op: 'memory.size', mem: 0 }] },
      { type: ft(['i32'], ['i32']), body: [get(0), { op: 'memory.grow', mem: 0 }] },
    ], mem1));
    expect(run('0')).toEqual([1]);
    expect(run('1', 1)).toEqual([1]);
    expect(run('1', 1)).toEqual([-1]);
    expect(run('0')).toEqual([2]);
    expect(S.mems[0]!.type.limits.min).toBe(2);
  });

  it('bulk memory: fill, copy (overlapping), init, data.drop and their bounds', () => {
    const { run, S } = setup(module([
      { type: ft(['i32', 'i32', 'i32'], []), body: [get(0), get(1), get(2), { op: 'memory.fill', mem: 0 }] },
      { type: ft(['i32', 'i32', 'i32'], []), body: [get(0), get(1), get(2), { op: 'memory.copy', dst: 0, src: 0 }] },
      { type: ft(['i32', 'i32', 'i32'], []), body: [get(0), get(1), get(2), { op: 'memory.init', data: 0, mem: 0 }] },
      { type: ft([], []), body: [{ op: 'data.drop', data: 0 }] },
    ], { ...mem1, datas: [{ init: new Uint8Array([1, 2, 3, 4]), mode: { kind: 'passive' } }] }));
    const bytes = (a: number, n: number) => [...S.mems[0]!.data.subarray(a, a + n)];
    run('0', 10, 0x1ff, 3);
    expect(bytes(9, 5)).toEqual([0, 0xff, 0xff, 0xff, 0]);
    run('2', 20, 1, 3);
    expect(bytes(20, 4)).toEqual([2, 3, 4, 0]);
    run('1', 21, 20, 3);
    expect(bytes(20, 4)).toEqual([2, 2, 3, 4]);
    expect(() => run('0', 65535, 7, 2)).toThrow(trap('out of bounds memory access'));
    expect(bytes(65535, 1)).toEqual([0]);
    run('0', 65536, 7, 0); // zero length at the end is allowed
    expect(() => run('1', 0, 65535, 2)).toThrow(trap('out of bounds memory access'));
    expect(() => run('2', 0, 2, 3)).toThrow(trap('out of bounds memory access'));
    run('3');
    run('2', 0, 0, 0);
    expect(() => run('2', 0, 0, 1)).toThrow(trap('out of bounds memory access'));
  });

  it('v128 loads and stores: extend, splat, zero, lane', () => {
    const { run, S } = setup(module([
      { type: ft(['i32'], ['v128', 'v128', 'v128', 'v128']), body: [
        get(0), { op: 'v128.load8x8_s', memarg: memarg() },
        get(0), { op: 'v128.load16x4_u', memarg: memarg() },
        get(0), { op: 'v128.load16_splat', memarg: memarg() },
        get(0), { op: 'v128.load32_zero', memarg: memarg() },
      ] },
      { type: ft(['i32', 'v128'], ['v128']), body: [get(0), get(1), { op: 'v128.load8_lane', memarg: memarg(), lane: 15 }] },
      { type: ft(['i32', 'v128'], []), body: [get(0), get(1), { op: 'v128.store32_lane', memarg: memarg(), lane: 1 }] },
      { type: ft(['i32', 'v128'], []), body: [get(0), get(1), { op: 'v128.store', memarg: memarg() }] },
      { type: ft(['i32'], ['v128']), body: [get(0), { op: 'v128.load', memarg: memarg() }] },
    ], mem1));
    S.mems[0]!.data.set([0x81, 0x02, 0x83, 0x04, 0x05, 0x06, 0x07, 0x08], 0);
    const [ext, ext16, splat, zero] = run('0', 0) as Uint8Array[];
    expect([...ext!]).toEqual([0x81, 0xff, 2, 0, 0x83, 0xff, 4, 0, 5, 0, 6, 0, 7, 0, 8, 0]);
    expect([...ext16!]).toEqual([0x81, 2, 0, 0, 0x83, 4, 0, 0, 5, 6, 0, 0, 7, 8, 0, 0]);
    expect([...splat!]).toEqual(Array.from({ length: 16 }, (_, k) => (k % 2 ? 2 : 0x81)));
    expect([...zero!]).toEqual([0x81, 2, 0x83, 4, ...new Array(12).fill(0)]);
    const v = new Uint8Array(16).map((_, k) => k);
    const lane = run('1', 2, v)[0] as Uint8Array;
    expect([...lane]).toEqual([...v.subarray(0, 15), 0x83]);
    expect([...v]).toEqual(Array.from({ length: 16 }, (_, k) => k)); // operand untouched
    run('2', 100, v);
    expect([...S.mems[0]!.data.subarray(100, 104)]).toEqual([4, 5, 6, 7]);
    run('3', 200, v);
    expect([...(run('4', 200)[0] as Uint8Array)]).toEqual([...v]);
    expect(() => run('4', 65521)).toThrow(trap('out of bounds memory access'));
    expect(() => run('0', 65529)).toThrow(trap('out of bounds memory access'));
  });
});

// ---- tables ---------------------------------------------------------------------------------

describe('table instructions', () => {
  const funcref = (min: number, max?: number) => ({ type: { addrtype: 'i32' as const, limits: max === undefined ? { min } : { min, max }, reftype: 'funcref' as const } });
  const m = module([
    { type: ft(['i32'], ['funcref']), body: [get(0), { op: 'table.get', table: 0 }] },
    { type: ft(['i32', 'funcref'], []), body: [get(0), get(1), { op: 'table.set', table: 0 }] },
    { type: ft([], ['i32']), body: [{ op: 'table.size', table: 0 }] },
    { type: ft(['funcref', 'i32'], ['i32']), body: [get(0), get(1), { op: 'table.grow', table: 0 }] },
    { type: ft(['i32', 'funcref', 'i32'], []), body: [get(0), get(1), get(2), { op: 'table.fill', table: 0 }] },
    { type: ft(['i32', 'i32', 'i32'], []), body: [get(0), get(1), get(2), { op: 'table.copy', dst: 0, src: 0 }] },
    { type: ft(['i32', 'i32', 'i32'], []), body: [get(0), get(1), get(2), { op: 'table.init', elem: 0, table: 0 }] },
    { type: ft([], []), body: [{ op: 'elem.drop', elem: 0 }] },
    { type: ft([], ['i32', 'funcref']), body: [{ op: 'ref.null', heaptype: 'func' }, { op: 'ref.is_null' }, { op: 'ref.func', func: 2 }] },
  ], {
    tables: [funcref(2, 4)],
    elems: [{ type: 'funcref', init: [[{ op: 'ref.func', func: 0 }], [{ op: 'ref.null', heaptype: 'func' }], [{ op: 'ref.func', func: 1 }]], mode: { kind: 'passive' } }],
  });

  it('get, set, size, grow, fill, copy, init, elem.drop and their bounds', () => {
    const { run, inst } = setup(m);
    const f = (i: number) => ref(inst.funcaddrs[i]!);
    expect(run('0', 1)).toEqual([nullFunc]);
    run('1', 1, f(3));
    expect(run('0', 1)).toEqual([f(3)]);
    expect(() => run('0', 2)).toThrow(trap('out of bounds table access'));
    expect(() => run('1', 2, f(3))).toThrow(trap('out of bounds table access'));
    expect(run('3', f(5), 1)).toEqual([2]);
    expect(run('2')).toEqual([3]);
    expect(run('3', nullFunc, 2)).toEqual([-1]);
    expect(run('0', 2)).toEqual([f(5)]);
    run('4', 0, f(4), 2);
    expect([run('0', 0), run('0', 1), run('0', 2)]).toEqual([[f(4)], [f(4)], [f(5)]]);
    expect(() => run('4', 2, f(4), 2)).toThrow(trap('out of bounds table access'));
    run('5', 0, 1, 2);
    expect([run('0', 0), run('0', 1)]).toEqual([[f(4)], [f(5)]]);
    expect(() => run('5', 0, 2, 2)).toThrow(trap('out of bounds table access'));
    run('6', 0, 0, 3);
    expect([run('0', 0), run('0', 1), run('0', 2)]).toEqual([[f(0)], [nullFunc], [f(1)]]);
    expect(() => run('6', 1, 1, 3)).toThrow(trap('out of bounds table access'));
    run('7');
    run('6', 3, 0, 0);
    expect(() => run('6', 0, 0, 1)).toThrow(trap('out of bounds table access'));
    expect(run('8')).toEqual([1, f(2)]);
  });
});

// ---- instantiation --------------------------------------------------------------------------

describe('instantiation', () => {
  it('initialises globals in order from imported globals, then runs the start function', () => {
    const S = new Store();
    const g = allocglobal(S, { mut: false, type: 'i32' }, 40);
    const m = module([
      { type: ft([], []), body: [{ op: 'global.get', global: 1 }, i32(1), { op: 'i32.add' }, { op: 'global.set', global: 2 }] },
    ], {
      imports: [{ module: 'm', name: 'g', desc: { kind: 'global', type: { mut: false, type: 'i32' } } }],
      globals: [
        { type: { mut: false, type: 'i32' }, init: [{ op: 'global.get', global: 0 }] },
        { type: { mut: true, type: 'i32' }, init: [i32(0)] },
      ],
      start: 0,
    });
    const inst = instantiate(S, m, [{ kind: 'global', addr: g }]);
    expect(S.globals[inst.globaladdrs[1]!]!.value).toBe(40);
    expect(S.globals[inst.globaladdrs[2]!]!.value).toBe(41);
  });

  it('a trap in a data segment leaves earlier segments written and skips the start function', () => {
    const S = new Store();
    const mem = allocmem(S, { addrtype: 'i32', limits: { min: 1 } });
    const tab = alloctable(S, { addrtype: 'i32', limits: { min: 2 }, reftype: 'funcref' }, nullFunc);
    let started = false;
    const start = allochostfunc(S, ft([], []), () => { started = true; return []; });
    const m = module([{ type: ft([], []), body: [] }], {
      imports: [
        { module: 'm', name: 'mem', desc: { kind: 'mem', type: { addrtype: 'i32', limits: { min: 1 } } } },
        { module: 'm', name: 'tab', desc: { kind: 'table', type: { addrtype: 'i32', limits: { min: 1 }, reftype: 'funcref' } } },
        { module: 'm', name: 'start', desc: { kind: 'func', type: 0 } },
      ],
      types: [ft([], [])],
      elems: [{ type: 'funcref', init: [[{ op: 'ref.func', func: 1 }]], mode: { kind: 'active', table: 0, offset: [i32(1)] } }],
      datas: [
        { init: new Uint8Array([7, 8]), mode: { kind: 'active', mem: 0, offset: [i32(3)] } },
        { init: new Uint8Array([9, 9]), mode: { kind: 'active', mem: 0, offset: [i32(65535)] } },
        { init: new Uint8Array([5]), mode: { kind: 'active', mem: 0, offset: [i32(0)] } },
      ],
      start: 0,
    });
    expect(() => instantiate(S, m, [{ kind: 'mem', addr: mem }, { kind: 'table', addr: tab }, { kind: 'func', addr: start }]))
      .toThrow(trap('out of bounds memory access'));
    const data = S.mems[mem]!.data;
    expect([data[0], data[3], data[4], data[65535]]).toEqual([0, 7, 8, 0]);
    expect(S.tables[tab]!.elem[1]).toEqual({ type: 'ref.func', addr: S.funcs.length - 1 });
    expect(started).toBe(false);
  });

  it('an out-of-bounds element segment traps after earlier ones', () => {
    const S = new Store();
    const tab = alloctable(S, { addrtype: 'i32', limits: { min: 2 }, reftype: 'funcref' }, nullFunc);
    const seg = (offset: number): Elem => ({ type: 'funcref', init: [[{ op: 'ref.func', func: 0 }]], mode: { kind: 'active', table: 0, offset: [i32(offset)] } });
    const m = module([{ type: ft([], []), body: [] }], {
      imports: [{ module: 'm', name: 'tab', desc: { kind: 'table', type: { addrtype: 'i32', limits: { min: 2 }, reftype: 'funcref' } } }],
      elems: [seg(0), seg(2), seg(1)],
    });
    expect(() => instantiate(S, m, [{ kind: 'table', addr: tab }])).toThrow(trap('out of bounds table access'));
    expect(S.tables[tab]!.elem.map((r) => r.type)).toEqual(['ref.func', 'ref.null']);
  });
});

describe('instantiation drops segments', () => {
  it('active and declarative segments are dropped; passive ones stay usable', () => {
    const seg = (mode: Elem['mode']): Elem => ({ type: 'funcref', init: [[{ op: 'ref.func', func: 0 }]], mode });
    const { run } = setup(module([
      { type: ft(['i32', 'i32', 'i32'], []), body: [get(0), get(1), get(2), { op: 'table.init', elem: 0, table: 0 }] },
      { type: ft(['i32', 'i32', 'i32'], []), body: [get(0), get(1), get(2), { op: 'table.init', elem: 1, table: 0 }] },
      { type: ft(['i32', 'i32', 'i32'], []), body: [get(0), get(1), get(2), { op: 'table.init', elem: 2, table: 0 }] },
      { type: ft(['i32', 'i32', 'i32'], []), body: [get(0), get(1), get(2), { op: 'memory.init', data: 0, mem: 0 }] },
      { type: ft(['i32', 'i32', 'i32'], []), body: [get(0), get(1), get(2), { op: 'memory.init', data: 1, mem: 0 }] },
    ], {
      ...mem1,
      tables: [{ type: { addrtype: 'i32', limits: { min: 4 }, reftype: 'funcref' } }],
      elems: [seg({ kind: 'active', table: 0, offset: [i32(0)] }), seg({ kind: 'declarative' }), seg({ kind: 'passive' })],
      datas: [
        { init: new Uint8Array([1]), mode: { kind: 'active', mem: 0, offset: [i32(0)] } },
        { init: new Uint8Array([2]), mode: { kind: 'passive' } },
      ],
    }));
    run('0', 0, 0, 0);
    expect(() => run('0', 0, 0, 1)).toThrow(trap('out of bounds table access'));
    expect(() => run('1', 0, 0, 1)).toThrow(trap('out of bounds table access'));
    run('2', 0, 0, 1);
    expect(() => run('3', 0, 0, 1)).toThrow(trap('out of bounds memory access'));
    run('4', 0, 0, 1);
  });
});

describe('globals and references', () => {
  it('global.get / global.set, ref.func in initialisers', () => {
    const { run, inst } = setup(module([
      { type: ft(['i64'], ['i64']), body: [{ op: 'global.get', global: 0 }, get(0), { op: 'global.set', global: 0 }] },
      { type: ft([], ['funcref']), body: [{ op: 'global.get', global: 1 }] },
    ], {
      globals: [
        { type: { mut: true, type: 'i64' }, init: [i64(-1n)] },
        { type: { mut: false, type: 'funcref' }, init: [{ op: 'ref.func', func: 0 }] },
      ],
    }));
    expect(run('0', 5n)).toEqual([-1n]);
    expect(run('0', 6n)).toEqual([5n]);
    expect(run('1')).toEqual([ref(inst.funcaddrs[0]!)]);
  });
});

describe('allocation and growth', () => {
  it('default values are zero bit patterns and null references', () => {
    expect(['i32', 'i64', 'f32', 'f64', 'funcref', 'externref'].map((t) => defaultValue(t as ValType)))
      .toEqual([0, 0n, 0, 0n, nullFunc, { type: 'ref.null', heaptype: 'extern' }]);
    expect([...(defaultValue('v128') as Uint8Array)]).toEqual(new Array(16).fill(0));
  });

  it('growmem fails beyond the maximum and 2^16 pages; growtable beyond the maximum and 2^32 - 1', () => {
    const S = new Store();
    const mem = S.mems[allocmem(S, { addrtype: 'i32', limits: { min: 0 } })]!;
    expect(growmem(mem, 0x10001)).toBe(false);
    expect(growmem(mem, 2)).toBe(true);
    expect(mem.data.length).toBe(2 * 65536);
    expect(mem.type.limits.min).toBe(2);
    const table = S.tables[alloctable(S, { addrtype: 'i32', limits: { min: 1, max: 3 }, reftype: 'funcref' }, nullFunc)]!;
    expect(growtable(table, 3, nullFunc)).toBe(false);
    expect(growtable(table, 2, ref(0))).toBe(true);
    expect(table.elem).toEqual([nullFunc, ref(0), ref(0)]);
    expect(table.type.limits).toEqual({ min: 3, max: 3 });
    const unbounded = S.tables[alloctable(S, { addrtype: 'i32', limits: { min: 1 }, reftype: 'funcref' }, nullFunc)]!;
    expect(growtable(unbounded, 0xffffffff, nullFunc)).toBe(false);
  });

  it('memory.grow without a maximum still stops at 2^16 pages', () => {
    const { run } = setup(module([
      { type: ft(['i32'], ['i32']), body: [get(0), { op: 'memory.grow', mem: 0 }] },
    ], { mems: [{ type: { addrtype: 'i32', limits: { min: 0 } } }] }));
    expect(run('0', 0x10001)).toEqual([-1]);
    expect(run('0', -1)).toEqual([-1]);
    expect(run('0', 1)).toEqual([0]);
  });
});

describe('properties against a byte-array model', () => {
  const small = { mems: [{ type: { addrtype: 'i32' as const, limits: { min: 1 } } }] };
  const u32 = fc.oneof(fc.integer({ min: 0, max: 70000 }), fc.integer({ min: 0xfffe0000, max: 0xffffffff }));

  it('memory.copy and memory.fill trap exactly when out of bounds, else act as memmove / memset', () => {
    const { run, S } = setup(module([
      { type: ft(['i32', 'i32', 'i32'], []), body: [get(0), get(1), get(2), { op: 'memory.copy', dst: 0, src: 0 }] },
      { type: ft(['i32', 'i32', 'i32'], []), body: [get(0), get(1), get(2), { op: 'memory.fill', mem: 0 }] },
    ], small));
    fc.assert(fc.property(fc.boolean(), u32, u32, fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 255 }),
      (copy, d, s, n, seed) => {
        const mem = S.mems[0]!.data;
        for (let k = 0; k < mem.length; k += 97) mem[k] = (k + seed) & 0xff;
        const model = mem.slice();
        const inBounds = d + n <= mem.length && (!copy || s + n <= mem.length);
        if (inBounds) {
          if (copy) model.set(model.slice(s, s + n), d);
          else model.fill(s & 0xff, d, d + n);
        }
        const act = () => run(copy ? '0' : '1', d | 0, s | 0, n);
        if (inBounds) act();
        else expect(act).toThrow(trap('out of bounds memory access'));
        expect(Buffer.from(S.mems[0]!.data).equals(Buffer.from(model))).toBe(true);
      }));
  });

  it('loads trap exactly when address + offset + width exceeds the memory, without wrapping', () => {
    const offsets = [0, 1, 65532, 65536, 0x7fffffff, 0xffffffff];
    const { run, S } = setup(module(offsets.map((offset) => (
      { type: ft(['i32'], ['i32']), body: [get(0), { op: 'i32.load', memarg: memarg(offset) }] }
    )), small));
    const mem = S.mems[0]!.data;
    for (let k = 0; k < mem.length; k++) mem[k] = (k * 7) & 0xff;
    fc.assert(fc.property(fc.integer({ min: 0, max: offsets.length - 1 }), u32, (which, addr) => {
      const ea = addr + offsets[which]!;
      const act = () => run(String(which), addr | 0);
      if (ea + 4 > mem.length) expect(act).toThrow(trap('out of bounds memory access'));
      else expect(act()).toEqual([Buffer.from(mem).readInt32LE(ea)]);
    }));
  });
});
