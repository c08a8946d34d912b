// Runs a generated module on one engine through the public API and records everything an embedder
// can observe: each export's results or trap, then the final globals, tables and memory (its bytes
// read in place, as WASI does, and hashed: mem_read's byte at a time would take most of the run).
// Two engines agree on a module when their records are equal (bit-exact floats, trap messages
// included).

import { createHash } from 'node:crypto';
import {
  func_alloc, func_invoke, func_type, global_read, instance_export, isError, mem_size, module_decode,
  module_imports, module_instantiate, module_validate, store_free, store_get_fuel, store_init, store_set_fuel,
  table_read, table_size,
  type EngineName, type FuncAddr, type GlobalAddr, type MemAddr, type Module, type ModuleInst,
  type Store, type TableAddr, type Val, refExtern, refNull,
} from '../../lib/index.js';
import { live, own } from '../../lib/store.js';
import type { MemoryConfig } from '../../lib/store-limits.js';
import { encodeModule } from '../../spec/binary/encode.js';
import type { Module as ModuleAst } from '../../spec/structure/module.js';
import type { FuncType, NumType, ValType } from '../../spec/structure/types.js';
import { ModuleGen, Rng, type GenOptions } from './generator.js';

export const ENGINES: readonly EngineName[] = ['reference', 'singlepass', 'optimizing', 'tiered', 'v8'];

/**
 * How `tiered` runs generated modules: each function is compiled by the optimizing compiler at its
 * second call or loop iteration, and the code that asked waits for it, so that functions switch
 * tiers in the middle of the calls (a frame that asked goes on on singlepass code, while the calls
 * it makes and the later calls run optimized code, which calls singlepass code in turn).
 */
export const GEN_TIER_UP = { threshold: 1, wait: true } as const;

/** What one engine did with one module: one line per observation. */
export type Record = readonly string[];

function bitsOf(v: Val): bigint {
  switch (v.type) {
    case 'i32': return BigInt(v.value >>> 0);
    case 'i64': return BigInt.asUintN(64, v.value);
    case 'f32': return BigInt(v.bits);
    case 'f64': return v.bits;
    case 'ref.extern': return BigInt(v.host) + 1n;
    case 'v128': {
      const d = new DataView(v.bytes.buffer, v.bytes.byteOffset, 16);
      return d.getBigUint64(0, true) ^ d.getBigUint64(8, true) * 3n;
    }
    default: return 0n;
  }
}

/** A host value of type `t` made from `bits`. */
function valOf(t: ValType, bits: bigint): Val {
  switch (t) {
    case 'i32': return { type: 'i32', value: Number(BigInt.asIntN(32, bits)) };
    case 'i64': return { type: 'i64', value: BigInt.asIntN(64, bits) };
    case 'f32': return { type: 'f32', bits: Number(BigInt.asUintN(32, bits)) };
    case 'f64': return { type: 'f64', bits };
    case 'externref': return bits % 3n === 0n ? refNull('extern') : refExtern(Number(bits % 1000n));
    case 'v128': {
      const bytes = new Uint8Array(16);
      const v = new DataView(bytes.buffer);
      v.setBigUint64(0, BigInt.asUintN(64, bits), true);
      v.setBigUint64(8, BigInt.asUintN(64, bits * 0x9e3779b97f4a7c15n), true);
      return { type: 'v128', bytes };
    }
    default: return refNull('func');
  }
}

/** A value as a record shows it; functions by their export name. */
function showVal(v: Val, names?: ReadonlyMap<FuncAddr, string>): string {
  switch (v.type) {
    case 'i32': return `i32:${v.value}`;
    case 'i64': return `i64:${v.value}`;
    case 'f32': return `f32:0x${v.bits.toString(16)}`;
    case 'f64': return `f64:0x${v.bits.toString(16)}`;
    case 'ref.extern': return `extern:${v.host}`;
    case 'ref.null': return `null:${v.heaptype}`;
    case 'ref.func': return `func:${names?.get(v.addr) ?? '?'}`;
    case 'v128': return `v128:${Buffer.from(v.bytes).toString('hex')}`;
  }
}

/** The spec's trap texts: an engine's message must start with one (as the testsuite judges). */
const TRAP_TEXTS = [
  'unreachable', 'out of bounds memory access', 'integer divide by zero', 'integer overflow',
  'invalid conversion to integer', 'out of bounds table access', 'indirect call type mismatch',
  'uninitialized element', 'undefined element', 'null reference', 'call stack exhausted',
];

/** A trap message reduced to its spec text. */
function specText(message: string): string {
  return TRAP_TEXTS.find((t) => message.startsWith(t)) ?? message;
}

/** V8 reports a null entry and a signature mismatch at call_indirect alike (lib/engines/v8.ts
 *  guesses which), so for it they are one. */
function forV8(line: string): string {
  return line.replace(/uninitialized element|indirect call type mismatch/, 'call_indirect trap');
}

/** The calls made on each instance: export name and arguments, the same for every engine. */
export interface Call { readonly name: string; readonly args: readonly Val[] }

export function plannedCalls(ast: ModuleAst, seed: number): Call[] {
  const rng = new Rng(seed ^ 0x5bd1e995);
  const consts = new ModuleGen(rng.u32());
  const calls: Call[] = [];
  const funcs = ast.exports.filter((e) => e.desc.kind === 'func');
  for (let round = 0; round < 2; round++) {
    for (const e of funcs) {
      if (round > 0 && e.name === 'exhaust') continue;
      const ft = ast.types[ast.funcs[e.desc.index - ast.imports.length]!.type]!;
      calls.push({ name: e.name, args: ft.params.map((t) => (t === 'funcref' || t === 'externref' ? valOf(t, BigInt(rng.u32())) : argOf(consts.constant(t as NumType | 'v128')))) });
    }
  }
  return calls;
}

function argOf(c: ReturnType<ModuleGen['constant']>): Val {
  switch (c.op) {
    case 'i32.const': return { type: 'i32', value: c.value };
    case 'i64.const': return { type: 'i64', value: c.value };
    case 'f32.const': return { type: 'f32', bits: c.bits };
    case 'f64.const': return { type: 'f64', bits: c.bits };
    case 'v128.const': return { type: 'v128', bytes: c.bytes };
    default: throw new Error(`not a constant: ${c.op}`);
  }
}

/**
 * Decodes `bytes` as `engine` does (the reference engine with the reference decoder, the others
 * with the native one), instantiates the module in a fresh store of `engine` and records every
 * observation. The store is freed at once: waiting for the garbage collector would leave thousands
 * of native memories (8 GiB of address space each) reserved. With `fuel`, the store meters fuel
 * (spec/fuel.ts), starting with that much, and the fuel left after each call is an observation too.
 * With `memory`, the store's memories have that reservation and guard (small ones: the native
 * engines check bounds explicitly, and every engine grows memories no further than the reservation).
 */
export function runOn(engine: EngineName, bytes: Uint8Array, calls: readonly Call[], fuel?: number, memory?: MemoryConfig): Record {
  const module = module_decode(bytes, { engine });
  if (isError(module)) return [`decode: ${module.kind}: ${module.message}`];
  const store = store_init({ engine, tierUp: GEN_TIER_UP, ...(fuel === undefined ? {} : { fuel }), ...(memory === undefined ? {} : { memory }) });
  try {
    return observe(store, module, calls, fuel);
  } finally {
    store_free(store);
  }
}

function observe(first: Store, module: Module, calls: readonly Call[], fuel?: number): Record {
  const out: string[] = [];
  let store = first;
  // The host function: results from a hash of its arguments, and every call counted in the hash.
  // Once the instance exists, a quarter of its calls call back into an export (two deep at most)
  // with arguments from the hash, and hash what that gives.
  let hostCalls = 0;
  let hostHash = 0n;
  const mix = (bits: bigint): void => { hostHash = BigInt.asUintN(64, (hostHash ^ bits) * 0x100000001b3n); };
  const fromHash = (t: ValType, i: number): Val => valOf(t, BigInt.asUintN(64, hostHash + BigInt(i) * 0x9e3779b97f4a7c15n));
  let callbacks: FuncAddr[] = [];
  let depth = 0;
  const hostType = (module_imports(module)[0]![2] as { type: FuncType }).type;
  const [s0, host] = func_alloc(store, hostType, (s, args) => {
    hostCalls++;
    for (const a of args) mix(bitsOf(a));
    if (callbacks.length === 0 || depth >= 2 || hostHash % 4n !== 0n) return [s, hostType.results.map(fromHash)];
    const f = callbacks[Number(hostHash % BigInt(callbacks.length))]!;
    depth++;
    const [s1, r] = func_invoke(s, f, func_type(s, f).params.map(fromHash));
    depth--;
    // A trap counts by its kind only: V8 tells call_indirect's traps apart by a guess (forV8).
    if (isError(r)) mix(BigInt(r.kind.length));
    else for (const v of r) mix(bitsOf(v));
    return [s1, hostType.results.map(fromHash)];
  });
  const [s1, inst] = module_instantiate(s0, module, [host]);
  store = s1;
  if (isError(inst)) return [`instantiate: ${inst.kind}: ${specText(inst.message)}`];
  // Not the function that exhausts the call stack: its depth differs between engines.
  callbacks = (inst as ModuleInst).exports.flatMap((e) => (e.addr.kind === 'func' && e.name !== 'exhaust' ? [e.addr as FuncAddr] : []));
  const exp = <A>(name: string): A => instance_export(inst, name) as A;
  const funcNames = new Map<FuncAddr, string>();
  for (const e of (inst as ModuleInst).exports) if (e.addr.kind === 'func') funcNames.set(e.addr, e.name);
  funcNames.set(host, 'host');
  const invoke = (name: string, args: readonly Val[]): string => {
    const [s, r] = func_invoke(store, exp<FuncAddr>(name), args);
    store = s;
    const shown = isError(r) ? `${r.kind}: ${specText(r.message)}` : r.map((v) => showVal(v, funcNames)).join(' ');
    if (fuel === undefined) return shown;
    // Engines exhaust the call stack at different depths, having consumed different fuel, so
    // whether `exhaust` runs out of fuel first differs too: either is the same outcome, and the
    // fuel starts again from the same amount.
    const deep = isError(r) && (r.kind === 'exhaustion' || (name === 'exhaust' && r.message === 'all fuel consumed'));
    if (deep) {
      const refilled = store_set_fuel(store, fuel);
      if (isError(refilled)) throw new Error(refilled.message);
      store = refilled;
      return name === 'exhaust' ? 'exhaustion: call stack exhausted, or out of fuel' : shown;
    }
    return `${shown}; fuel left ${String(store_get_fuel(store))}`;
  };
  for (const c of calls) out.push(`${c.name}(${c.args.map((v) => showVal(v)).join(' ')}) = ${invoke(c.name, c.args)}`);
  for (const e of (inst as ModuleInst).exports) {
    if (e.addr.kind === 'global') out.push(`${e.name} = ${showVal(global_read(store, e.addr as GlobalAddr), funcNames)}`);
  }
  for (const e of (inst as ModuleInst).exports) {
    if (e.addr.kind !== 'table') continue;
    const tab = e.addr as TableAddr;
    const elems: string[] = [];
    for (let i = 0; i < table_size(store, tab); i++) {
      const r = table_read(store, tab, i);
      elems.push(isError(r) ? r.message : showVal(r, funcNames));
    }
    out.push(`${e.name} = [${elems.join(' ')}]`);
  }
  out.push(`pages = ${mem_size(store, exp<MemAddr>('mem'))}`);
  const st = live(store);
  const bytes = st.engine.memBytes(own(st, exp<MemAddr>('mem'), 'mem'));
  out.push(`memory sha1 = ${createHash('sha1').update(bytes).digest('hex')}`);
  out.push(`host calls = ${hostCalls} ${hostHash}`);
  return out;
}

/** A generated module, and its bytes: what every engine gets. */
export interface Generated { readonly seed: number; readonly ast: ModuleAst; readonly bytes: Uint8Array }

export function generate(seed: number, opt?: GenOptions): Generated {
  const ast = new ModuleGen(seed, opt).module();
  return { seed, ast, bytes: encodeModule(ast) };
}

export interface Disagreement {
  readonly engine: EngineName;
  /** First differing line: the reference's and the engine's. */
  readonly expected: string;
  readonly actual: string;
  readonly registers?: number;
  /** The fuel the stores started with, if they metered fuel. */
  readonly fuel?: number;
}

/**
 * The operand registers singlepass gets for a seed: mostly all of them, sometimes one to three per
 * pool, so that values live in spill slots much more often (WASMO_SINGLEPASS_REGISTERS, read at
 * each compile).
 */
export function registersFor(seed: number): number | undefined {
  return [undefined, undefined, 1, 2, 3][seed % 5];
}

/**
 * The fuel a seed's module runs with in a run that meters fuel: from a few units, so that calls run
 * out early, to enough for most to finish. Not by `seed % 5`, which picks the registers and, in
 * test/gen.test.ts, the engines: every engine meets every amount.
 */
export function fuelFor(seed: number): number {
  return [5, 50, 500, 5000, 1_000_000][Math.floor(seed / 5) % 5]!;
}

/**
 * Runs every engine; the first engine whose record differs from the reference's, if any. The
 * module must be valid by the reference's own decoder and validator (else the generator is wrong).
 */
export function check(
  bytes: Uint8Array, calls: readonly Call[], engines: readonly EngineName[] = ENGINES, registers?: number, fuel?: number,
  memory?: MemoryConfig,
): Disagreement | undefined {
  const module = module_decode(bytes, { engine: 'reference' });
  const invalid = isError(module) ? module : module_validate(module);
  if (invalid !== undefined) throw new Error(`generator bug: module is not valid: ${invalid.message}`);
  const ref = runOn('reference', bytes, calls, fuel, memory);
  for (const engine of engines) {
    if (engine === 'reference') continue;
    let rec: Record;
    if (registers !== undefined) process.env['WASMO_SINGLEPASS_REGISTERS'] = String(registers);
    try {
      rec = runOn(engine, bytes, calls, fuel, memory);
    } catch (e) {
      rec = [`exception: ${e instanceof Error ? e.message : String(e)}`];
    } finally {
      delete process.env['WASMO_SINGLEPASS_REGISTERS'];
    }
    const norm = engine === 'v8' ? forV8 : (line: string): string => line;
    const n = Math.max(ref.length, rec.length);
    for (let i = 0; i < n; i++) {
      const [want, got] = [ref[i], rec[i]];
      if (want === undefined || got === undefined || norm(want) !== norm(got)) {
        return { engine, expected: want ?? '(nothing)', actual: got ?? '(nothing)', registers, ...(fuel === undefined ? {} : { fuel }) };
      }
    }
  }
  return undefined;
}
