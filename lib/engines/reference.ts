// The reference engine behind the seam: the spec-literal interpreter of spec/exec. Seam values and
// runtime values differ only in boxing (the runtime keeps bare numbers, bigints and byte arrays),
// so conversions need the value type, which every caller knows.

import type { StoreLimits } from '../store-limits.js';
import type {
  BeforeStart, Engine, EngineExtern, EngineHostFunc, EngineRef, EngineVal, ModuleValue,
} from '../engine.js';
import { MAX_TRACE_FRAMES, isError, traceFrame, wasmError, type TraceFrame, type WasmError } from '../errors.js';
import { Exhaustion, LinkError, Trap } from '../../spec/errors.js';
import { invoke } from '../../spec/exec/eval.js';
import { instantiate } from '../../spec/exec/instantiate.js';
import {
  Store, allocglobal, allochostfunc, allocmem, alloctable, growmem, growtable,
} from '../../spec/exec/runtime.js';
import type { Ref, Value } from '../../spec/exec/values.js';
import type { Func, Module as ModuleAst } from '../../spec/structure/module.js';
import type {
  FuncType, GlobalType, MemType, TableType, TagType, ValType,
} from '../../spec/structure/types.js';
import { PAGE_SIZE } from '../../spec/structure/types.js';

/** A host function's error, thrown through the interpreter as a trap so the invoker gets it back. */
class HostError extends Trap {
  constructor(readonly error: WasmError) {
    super(error.message);
  }
}

export function toValue(v: EngineVal): Value {
  switch (v.type) {
    case 'i32': case 'i64': return v.value;
    case 'f32': case 'f64': return v.bits;
    case 'v128': return v.bytes;
    default: return v;
  }
}

export function fromValue(t: ValType, v: Value): EngineVal {
  switch (t) {
    case 'i32': return { type: 'i32', value: v as number };
    case 'i64': return { type: 'i64', value: v as bigint };
    case 'f32': return { type: 'f32', bits: v as number };
    case 'f64': return { type: 'f64', bits: v as bigint };
    case 'v128': return { type: 'v128', bytes: v as Uint8Array };
    case 'funcref': case 'externref': return v as Ref;
  }
}

// Where each function body comes from, for traces: its module and its index there.
const funcOrigins = new WeakMap<Func, { readonly module: ModuleAst; readonly index: number }>();
const originsKnown = new WeakSet<ModuleAst>();

function learnOrigins(module: ModuleAst): void {
  if (originsKnown.has(module)) return;
  const imported = module.imports.filter((im) => im.desc.kind === 'func').length;
  module.funcs.forEach((f, i) => funcOrigins.set(f, { module, index: imported + i }));
  originsKnown.add(module);
}

/** Runs `f`, turning the interpreter's failures into errors of `trapKind`, traced in store `S`. */
function attempt<T>(S: Store, trapKind: 'trap' | 'uninstantiable', f: () => T): T | WasmError {
  try {
    return f();
  } catch (e) {
    if (e instanceof HostError) return e.error;
    const trace = (addrs: readonly number[] | undefined): TraceFrame[] | undefined => addrs?.slice(0, MAX_TRACE_FRAMES).map((a) => {
      const origin = funcOrigins.get(S.funcs[a]!.code!)!;
      return traceFrame(origin.module, origin.index);
    });
    if (e instanceof Trap) return wasmError(trapKind, e.message, undefined, trace(e.trace));
    if (e instanceof Exhaustion) return wasmError('exhaustion', e.message, undefined, trace(e.trace));
    if (e instanceof LinkError) return wasmError('unlinkable', e.message);
    // The JS heap refused an allocation (a memory's pages): the host is out of resources.
    if (e instanceof RangeError) return wasmError('exhaustion', `out of memory: ${e.message}`);
    throw e;
  }
}

export class ReferenceEngine implements Engine {
  readonly name = 'reference';
  private S = new Store();

  constructor(private readonly limits: StoreLimits = {}, fuel?: number) {
    this.S.limits = limits;
    this.S.fuel = fuel;
  }

  fuel(): number | undefined {
    return this.S.fuel;
  }

  setFuel(fuel: number): void {
    this.S.fuel = fuel;
  }

  interruptAfter(ms: number | undefined): boolean {
    this.S.deadline = ms === undefined ? undefined : performance.now() + ms;
    return true;
  }

  free(): void {
    this.S = new Store();  // the old one, memories included, is garbage now
    this.S.limits = this.limits;
  }

  instantiate(module: ModuleValue, imports: readonly EngineExtern[], beforeStart?: BeforeStart) {
    const { ast } = module;
    learnOrigins(ast);
    return attempt(this.S, 'uninstantiable', () => {
      // With a hook, the start function runs after it, as the last step of instantiation still.
      const deferred = beforeStart === undefined ? undefined : ast.start;
      const inst = instantiate(this.S, deferred === undefined ? ast : { ...ast, start: undefined }, imports);
      const exports = inst.exports.map((x) => ({ name: x.name, extern: x.value }));
      const refused = beforeStart?.(exports);
      if (refused !== undefined) return refused;
      if (deferred !== undefined) invoke(this.S, inst.funcaddrs[deferred]!, []);
      return { exports };
    });
  }

  funcAlloc(type: FuncType, host: EngineHostFunc): number {
    return allochostfunc(this.S, type, (args) => {
      const result = host(args.map((v, i) => fromValue(type.params[i]!, v)));
      if (isError(result)) throw new HostError(result);
      return result.map(toValue);
    });
  }

  funcType(func: number): FuncType {
    return this.S.funcs[func]!.type;
  }

  funcInvoke(func: number, args: readonly EngineVal[]): EngineVal[] | WasmError {
    const { results } = this.funcType(func);
    return attempt(this.S, 'trap', () => invoke(this.S, func, args.map(toValue)).map((v, i) => fromValue(results[i]!, v)));
  }

  tableAlloc(type: TableType, init: EngineRef): number {
    return alloctable(this.S, type, init);
  }

  tableType(table: number): TableType {
    return this.S.tables[table]!.type;
  }

  tableSize(table: number): number {
    return this.S.tables[table]!.elem.length;
  }

  tableRead(table: number, i: number): EngineRef {
    return this.S.tables[table]!.elem[i]!;
  }

  tableWrite(table: number, i: number, ref: EngineRef): void {
    this.S.tables[table]!.elem[i] = ref;
  }

  tableGrow(table: number, n: number, init: EngineRef): boolean {
    return growtable(this.S.tables[table]!, n, init);
  }

  memAlloc(type: MemType): number {
    return allocmem(this.S, type);
  }

  memType(mem: number): MemType {
    return this.S.mems[mem]!.type;
  }

  memSize(mem: number): number {
    return this.S.mems[mem]!.data.length / PAGE_SIZE;
  }

  memBytes(mem: number): Uint8Array {
    return this.S.mems[mem]!.data;
  }

  memGrow(mem: number, n: number): boolean {
    return growmem(this.S.mems[mem]!, n);
  }

  globalAlloc(type: GlobalType, val: EngineVal): number {
    return allocglobal(this.S, type, toValue(val));
  }

  globalType(global: number): GlobalType {
    return this.S.globals[global]!.type;
  }

  globalRead(global: number): EngineVal {
    const g = this.S.globals[global]!;
    return fromValue(g.type.type, g.value);
  }

  globalWrite(global: number, val: EngineVal): void {
    this.S.globals[global]!.value = toValue(val);
  }

  tagAlloc(type: TagType): number {
    this.S.tags.push({ type });
    return this.S.tags.length - 1;
  }

  tagType(tag: number): TagType {
    return this.S.tags[tag]!.type;
  }

  exnAlloc(tag: number, fields: readonly EngineVal[]): number {
    this.S.exns.push({ tag, fields: fields.map(toValue) });
    return this.S.exns.length - 1;
  }

  exnTag(exn: number): number {
    return this.S.exns[exn]!.tag;
  }

  exnRead(exn: number): EngineVal[] {
    const { tag, fields } = this.S.exns[exn]!;
    const { params } = this.tagType(tag).type;
    return fields.map((v, i) => fromValue(params[i]!, v));
  }
}
