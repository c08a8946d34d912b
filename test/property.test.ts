// Differential property: the reference engine, V8, singlepass and optimizing agree, bit for bit, on every
// numeric and vector instruction applied to random operands. Each
// instruction is wrapped in a function whose parameters and results are integers only (floats and
// vectors are reinterpreted / assembled inside the module), so no value crosses V8's JS API as a
// lossy JS number.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeModule } from '../spec/binary/encode.js';
import { type Instr, type NumericOp, opcodes } from '../spec/structure/instructions.js';
import type { Func, Module } from '../spec/structure/module.js';
import type { NumType, ValType } from '../spec/structure/types.js';
import {
  func_invoke, instance_export, isError, module_decode, module_instantiate, store_init,
  type EngineName, type FuncAddr, type Store, type Val,
} from '../lib/index.js';

type Operand = NumType | 'v128';

const numericOps = (Object.keys(opcodes) as (keyof typeof opcodes)[]).filter(
  (op): op is NumericOp => {
    const info = opcodes[op] as { imm: string; sig?: unknown };
    return info.sig !== undefined && (info.imm === 'none' || info.imm === 'lane' || info.imm === 'shuffle');
  },
);

/** How a value of each type crosses the JS boundary exactly: as these integer parameters. */
const carrier: Record<Operand, NumType[]> = {
  i32: ['i32'], i64: ['i64'], f32: ['i32'], f64: ['i64'], v128: ['i64', 'i64'],
};

/** Instructions that rebuild an operand of type `t` from its carrier locals starting at `at`. */
function assemble(t: Operand, at: number): Instr[] {
  switch (t) {
    case 'i32': case 'i64': return [{ op: 'local.get', local: at }];
    case 'f32': return [{ op: 'local.get', local: at }, { op: 'f32.reinterpret_i32' }];
    case 'f64': return [{ op: 'local.get', local: at }, { op: 'f64.reinterpret_i64' }];
    case 'v128': return [
      { op: 'local.get', local: at }, { op: 'i64x2.splat' },
      { op: 'local.get', local: at + 1 }, { op: 'i64x2.replace_lane', lane: 1 },
    ];
  }
}

/** Lane-count and lane-bounded immediates for the instruction. */
function arbInstr(op: NumericOp): fc.Arbitrary<Instr> {
  const imm = (opcodes[op] as { imm: string }).imm;
  if (imm === 'shuffle') {
    return fc.array(fc.integer({ min: 0, max: 31 }), { minLength: 16, maxLength: 16 })
      .map((lanes) => ({ op, lanes }) as Instr);
  }
  if (imm === 'lane') {
    const shape = op.slice(0, op.indexOf('.'));
    const count = Number(shape.slice(shape.indexOf('x') + 1));
    return fc.integer({ min: 0, max: count - 1 }).map((lane) => ({ op, lane }) as Instr);
  }
  return fc.constant({ op } as Instr);
}

/** Per operand of `params`, the instructions that push it from its carrier parameters. */
function operandsOf(params: readonly Operand[]): Instr[][] {
  let at = 0;
  return params.map((p) => {
    const code = assemble(p, at);
    at += carrier[p].length;
    return code;
  });
}

/** One module: export "f" takes carriers of the operands, runs `code` and returns the result's
 *  bits (a v128 as two i64 lanes, using a local to read both). */
function moduleFor(params: readonly Operand[], result: Operand, code: readonly Instr[]): Module {
  const carriers = params.flatMap((p) => carrier[p]);
  const body: Instr[] = [...code];
  const at = carriers.length;
  const locals: ValType[] = [];
  switch (result) {
    case 'f32': body.push({ op: 'i32.reinterpret_f32' }); break;
    case 'f64': body.push({ op: 'i64.reinterpret_f64' }); break;
    case 'v128':
      locals.push('v128');
      body.push(
        { op: 'local.set', local: at },
        { op: 'local.get', local: at }, { op: 'i64x2.extract_lane', lane: 0 },
        { op: 'local.get', local: at }, { op: 'i64x2.extract_lane', lane: 1 },
      );
      break;
    default: break;
  }
  const func: Func = { type: 0, locals, body };
  return {
    types: [{ params: carriers, results: carrier[result] }],
    funcs: [func], tables: [], mems: [], globals: [], elems: [], datas: [],
    imports: [], exports: [{ name: 'f', desc: { kind: 'func', index: 0 } }], customs: [],
  };
}

type Outcome = { ok: true; bits: bigint[] } | { ok: false; message: string };
const showArgs = (args: readonly Val[]): string => args.map((a) => ('value' in a ? String(a.value) : a.type)).join(', ');
const show = (o: Outcome): string => JSON.stringify(o, (_, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v));

// Each engine compiles a module once and runs it on every operand drawn for it (most instructions
// have no immediate, so one module serves all their runs): the optimizing engine's LLVM compile
// costs milliseconds.
const instances = new Map<string, { store: Store; f: FuncAddr }>();

// Singlepass twice: as it compiles by default (with the VEX encodings where the CPU has AVX), and
// with SSE4.1 at most (CompileOptions.cpuFeatures).
const SSE_ONLY = 'singlepass without AVX';
const ENGINES = ['v8', 'singlepass', SSE_ONLY, 'optimizing'] as const;

function run(engine: EngineName | typeof SSE_ONLY, bytes: Uint8Array, args: Val[]): Outcome {
  const key = `${engine} ${Buffer.from(bytes).toString('base64')}`;
  let instance = instances.get(key);
  if (instance === undefined) {
    const module = module_decode(bytes);
    if (isError(module)) throw new Error(`encoder produced a malformed module: ${module.message}`);
    const [store, inst] = module_instantiate(
      store_init(engine === SSE_ONLY ? { engine: 'singlepass', compile: { cpuFeatures: ['popcnt', 'sse4.1'] } } : { engine }), module, []);
    if (isError(inst)) throw new Error(`${engine}: instantiation failed: ${inst.message}`);
    const f = instance_export(inst, 'f');
    if (isError(f) || f.kind !== 'func') throw new Error('export f missing');
    instance = { store, f };
    instances.set(key, instance);
  }
  const [store, results] = func_invoke(instance.store, instance.f, args);
  instance.store = store;
  if (isError(results)) return { ok: false, message: results.message };
  return {
    ok: true,
    bits: results.map((r) => {
      if (r.type === 'i32') return BigInt(r.value >>> 0);
      if (r.type === 'i64') return BigInt.asUintN(64, r.value);
      throw new Error(`unexpected result type ${r.type}`);
    }),
  };
}

// §4.3.3: a NaN result is canonical when every NaN operand is canonical, arithmetic otherwise; so
// two engines may differ in NaN bits only. Compare lane by lane with that freedom.
const isNaN32 = (b: bigint) => (b & 0x7f800000n) === 0x7f800000n && (b & 0x7fffffn) !== 0n;
const isNaN64 = (b: bigint) =>
  (b & 0x7ff0000000000000n) === 0x7ff0000000000000n && (b & 0xfffffffffffffn) !== 0n;
const quiet32 = (b: bigint) => (b & 0x400000n) !== 0n;
const quiet64 = (b: bigint) => (b & 0x8000000000000n) !== 0n;

/** NaN-producing float instructions may return any arithmetic NaN; everything else is exact. */
function nanFreedom(op: NumericOp): 'f32' | 'f64' | undefined {
  if (/^(f32x4|f64x2|f32|f64)\.(add|sub|mul|div|sqrt|min|max|ceil|floor|trunc|nearest|demote_f64x2_zero|promote_low_f32x4|demote_f64|promote_f32)$/.test(op)) {
    return op.startsWith('f32') ? 'f32' : 'f64';
  }
  return undefined;
}

function sameResult(op: NumericOp, result: Operand, a: Outcome, b: Outcome): boolean {
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.message === b.message;
  const lanesOf = (bits: bigint[]): { bits: bigint; width: 32 | 64 }[] =>
    result === 'v128'
      ? bits.flatMap((w): { bits: bigint; width: 32 | 64 }[] => (nanFreedom(op) === 'f32'
        ? [{ bits: w & 0xffffffffn, width: 32 }, { bits: w >> 32n, width: 32 }]
        : [{ bits: w, width: 64 }]))
      : bits.map((w) => ({ bits: w, width: (result === 'f32' || result === 'i32' ? 32 : 64) as 32 | 64 }));
  const la = lanesOf(a.bits), lb = lanesOf(b.bits);
  if (la.length !== lb.length) return false;
  const free = nanFreedom(op) !== undefined;
  return la.every((x, i) => {
    const y = lb[i]!;
    if (x.bits === y.bits) return true;
    if (!free) return false;
    const [nan, quiet] = x.width === 32 ? [isNaN32, quiet32] : [isNaN64, quiet64];
    return nan(x.bits) && nan(y.bits) && quiet(x.bits) && quiet(y.bits);
  });
}

/** Operands biased towards the edges where engines go wrong: zeros, extremes, NaNs, infinities. */
const arbI32 = fc.oneof(fc.integer({ min: -2147483648, max: 2147483647 }),
  fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000, 0x7f800000, 0xff800000 | 0, 0x7fc00000, 0x7fa00001, 0xffc00000 | 0, 0x80000000 | 0, 0x4f000000, 0xcf000000 | 0));
const arbI64 = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(0n, 1n, -1n, 2n ** 63n - 1n, -(2n ** 63n), 0x7ff0000000000000n, -0x10000000000000n,
    0x7ff8000000000000n, 0x7ff4000000000001n, 0x43e0000000000000n, -0x3c20000000000000n, 0x41e0000000000000n,
    // f32 lane pairs (NaN payloads, signed zeros, the bounds of trunc_sat) and i8/i16 extremes.
    0x7fc000007fa00001n, -0x3fffff80000000n, 0x4f0000004f800000n, -0x30ffffff80800000n, 0x0000000180000000n,
    -0x7fff800000010000n, -0x7f8000fffe7f8080n));

function arbArgs(params: readonly Operand[]): fc.Arbitrary<Val[]> {
  const carriers = params.flatMap((p) => carrier[p]);
  return fc.tuple(...carriers.map((c) => (c === 'i32'
    ? arbI32.map((v): Val => ({ type: 'i32', value: v }))
    : arbI64.map((v): Val => ({ type: 'i64', value: BigInt.asIntN(64, v) })))));
}

describe('reference engine, V8, singlepass and optimizing agree on single instructions', () => {
  it.each(numericOps)('%s', (op) => {
    instances.clear();
    const [params, results] = opcodes[op].sig as unknown as [Operand[], Operand[]];
    const result = results[0]!;
    fc.assert(
      fc.property(arbInstr(op), arbArgs(params), (instr, args) => {
        const bytes = encodeModule(moduleFor(params, result, [...operandsOf(params).flat(), instr]));
        const ref = run('reference', bytes, args);
        for (const engine of ENGINES) {
          const other = run(engine, bytes, args);
          if (!sameResult(op, result, ref, other)) {
            expect.fail(`${JSON.stringify(instr)} on ${showArgs(args)}:`
              + ` reference ${show(ref)} ${engine} ${show(other)}`);
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});

// Chains of vector instructions in one function, each taking the result before it as its first
// operand (its others: the function's parameters), so that the optimizing engine's LLVM works
// across instructions as on real code. Only instructions with one exact result are chained: a NaN
// result's payload may differ between engines, and the next instruction would see its bits.
const chainParams: readonly Operand[] = ['v128', 'v128', 'v128', 'i32'];
const chainOps = numericOps.filter((op) => {
  const [params, results] = opcodes[op].sig as unknown as [Operand[], Operand[]];
  return results[0] === 'v128' && params[0] === 'v128' && params.every((p) => p === 'v128' || p === 'i32')
    && nanFreedom(op) === undefined;
});

describe('reference engine, V8, singlepass and optimizing agree on chains of vector instructions', () => {
  it('of 2 to 8 instructions', () => {
    const operands = operandsOf(chainParams);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...chainOps).chain(arbInstr), { minLength: 2, maxLength: 8 }), arbArgs(chainParams), (instrs, args) => {
        const code: Instr[] = [...operands[0]!];
        for (const instr of instrs) {
          const params = (opcodes[instr.op as NumericOp].sig as unknown as [Operand[], Operand[]])[0];
          params.slice(1).forEach((p, j) => code.push(...(p === 'i32' ? operands[3]! : operands[j + 1]!)));
          code.push(instr);
        }
        const bytes = encodeModule(moduleFor(chainParams, 'v128', code));
        const ref = run('reference', bytes, args);
        for (const engine of ENGINES) {
          const other = run(engine, bytes, args);
          if (!sameResult(instrs[instrs.length - 1]!.op as NumericOp, 'v128', ref, other)) {
            expect.fail(`${instrs.map((i) => JSON.stringify(i)).join(' ')} on ${showArgs(args)}:`
              + ` reference ${show(ref)} ${engine} ${show(other)}`);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

// Shifts by a constant count compile to immediate forms on singlepass (a count in a register to
// another): every count modulo the lane width and a few beyond, on random vectors.
const shiftOps = numericOps.filter((op) => /^i(8x16|16x8|32x4|64x2)\.sh[lr]/.test(op));

describe('reference engine, V8, singlepass and optimizing agree on vector shifts by constant counts', () => {
  it.each(shiftOps)('%s', (op) => {
    instances.clear();
    const counts = [0, 1, 3, 7, 8, 9, 15, 16, 31, 32, 33, 63, 64, 65, 127, -1];
    fc.assert(
      fc.property(fc.constantFrom(...counts), arbArgs(['v128']), (count, args) => {
        const code: Instr[] = [...operandsOf(['v128'])[0]!, { op: 'i32.const', value: count }, { op } as Instr];
        const bytes = encodeModule(moduleFor(['v128'], 'v128', code));
        const ref = run('reference', bytes, args);
        for (const engine of ENGINES) {
          const other = run(engine, bytes, args);
          if (!sameResult(op, 'v128', ref, other)) expect.fail(`${op} by ${count} on ${showArgs(args)}: reference ${show(ref)} ${engine} ${show(other)}`);
        }
      }),
      { numRuns: 60 },
    );
  });
});

// The edges of the instructions singlepass computes by sequences (spec 4.3.3: fmin/fmax on NaN
// payloads and signed zeros, saturation bounds, q15mulr's overflow, 64-bit lanes), every pair of
// these vectors, on both encodings; and the scalar float instructions with operands held in
// registers (through f32x4.splat / extract_lane, which keep the bits), as the other tests pass
// them in general registers.
const EDGES: readonly bigint[] = [
  0n, 0x8000000080000000n, 0x7fc000017fa00001n, -0x3fffff00800000n, 0x3f8000004f800000n, 0x4f0000004effffffn,
  -0x8000000000000000n, 0x7ff8000000000001n, 0x7ff0000000000001n, -0x10000000000000n, 0x41efffffffe00000n,
  0x41e0000000000000n, -0x3e1fffffffe00000n, -0x7fff7fff7fff8000n, 0x7fff7fff80018001n, -1n, 1n,
];
const edgeOps = numericOps.filter((op) => (opcodes[op].sig as unknown as [Operand[], Operand[]])[1][0] === 'v128'
  && /^(f32x4|f64x2)\.(p?min|p?max)$|trunc_sat|convert_i32x4_u|convert_low_i32x4_u|q15mulr|^i64x2\.(mul|abs|neg|shr_s)$|^i8x16\.(popcnt|shr_s)$|extadd_pairwise/.test(op));

describe('reference engine, V8, singlepass and optimizing agree on edge operands', () => {
  it.each(edgeOps)('%s', (op) => {
    instances.clear();
    const [params] = opcodes[op].sig as unknown as [Operand[], Operand[]];
    const bytes = encodeModule(moduleFor(params, 'v128', [...operandsOf(params).flat(), { op } as Instr]));
    for (const [i, x] of EDGES.entries()) {
      for (const [j, z] of EDGES.entries()) {
        const vectors = [[x, EDGES[(i + 1) % EDGES.length]!], [z, EDGES[(j + 3) % EDGES.length]!]];
        const args = params.flatMap((p, k): Val[] => (p === 'v128'
          ? vectors[k]!.map((v): Val => ({ type: 'i64', value: BigInt.asIntN(64, v) }))
          : [{ type: 'i32', value: Number(BigInt.asIntN(32, vectors[k]![0]!)) }]));
        const ref = run('reference', bytes, args);
        for (const engine of ENGINES) {
          const other = run(engine, bytes, args);
          if (!sameResult(op, 'v128', ref, other)) expect.fail(`${op} on ${showArgs(args)}: reference ${show(ref)} ${engine} ${show(other)}`);
        }
      }
    }
  });

  const scalarOps = numericOps.filter((op) => /^f(32|64)\.(add|sub|mul|div|min|max|eq|ne|lt|gt|le|ge|sqrt|ceil|floor|trunc|nearest|abs|neg)$/.test(op));
  it.each(scalarOps)('%s with operands in registers', (op) => {
    instances.clear();
    const [params, results] = opcodes[op].sig as unknown as [Operand[], Operand[]];
    const shape = op.startsWith('f32') ? 'f32x4' : 'f64x2';
    const code = operandsOf(params).flatMap((c): Instr[] => [...c, { op: `${shape}.splat` } as Instr, { op: `${shape}.extract_lane`, lane: 0 } as Instr]);
    const bytes = encodeModule(moduleFor(params, results[0]!, [...code, { op } as Instr]));
    const lanes = op.startsWith('f32') ? EDGES.flatMap((v) => [v & 0xffffffffn, (v >> 32n) & 0xffffffffn]) : EDGES;
    for (const x of lanes) {
      for (const z of params.length === 2 ? lanes : [0n]) {
        const args = [x, z].slice(0, params.length).map((v): Val => (op.startsWith('f32')
          ? { type: 'i32', value: Number(BigInt.asIntN(32, v)) } : { type: 'i64', value: BigInt.asIntN(64, v) }));
        const ref = run('reference', bytes, args);
        for (const engine of ENGINES) {
          const other = run(engine, bytes, args);
          if (!sameResult(op, results[0]!, ref, other)) expect.fail(`${op} on ${showArgs(args)}: reference ${show(ref)} ${engine} ${show(other)}`);
        }
      }
    }
  });
});
