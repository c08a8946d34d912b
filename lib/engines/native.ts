// The native engine behind the seam: host-shim's singlepass compiler and runtime, through
// lib/native.ts. As far as the C side goes today: modules without imports or tables, functions,
// memories and globals of number types. Everything else throws NativeUnsupported, naming what is
// missing, rather than answering wrongly.
//
// Not yet in lib/engine.ts: EngineName has no 'singlepass', so this class states its name itself
// and satisfies the rest of the seam (`NativeEngineSeam`).

import type {
  Engine, EngineExtern, EngineHostFunc, EngineRef, EngineVal, ModuleValue,
} from '../engine.js';
import { wasmError, type WasmError } from '../errors.js';
import {
  NativeInstance, NativeModule, isNativeFailure, type NativeFailure,
} from '../native.js';
import { encodeModule } from '../../spec/binary/encode.js';
import type { FuncType, GlobalType, MemType, TableType, TagType, ValType } from '../../spec/structure/types.js';

/** What the native engine cannot do yet; the message names it. */
export class NativeUnsupported extends Error {
  override readonly name = 'NativeUnsupported';
}

export type NativeEngineSeam = Omit<Engine, 'name'> & { readonly name: 'singlepass' };

interface FuncEntry { readonly instance: NativeInstance; readonly index: number; readonly type: FuncType }
interface MemEntry { readonly instance: NativeInstance; readonly index: number; readonly type: MemType }
interface GlobalEntry { readonly instance: NativeInstance; readonly index: number; readonly type: GlobalType }

function toBits(v: EngineVal): bigint {
  switch (v.type) {
    case 'i32': return BigInt(v.value >>> 0);
    case 'i64': return BigInt.asUintN(64, v.value);
    case 'f32': return BigInt(v.bits >>> 0);
    case 'f64': return v.bits;
    default: throw new NativeUnsupported(`not supported yet: ${v.type} values in the native engine`);
  }
}

function fromBits(t: ValType, bits: bigint): EngineVal {
  switch (t) {
    case 'i32': return { type: 'i32', value: Number(BigInt.asIntN(32, bits)) };
    case 'i64': return { type: 'i64', value: BigInt.asIntN(64, bits) };
    case 'f32': return { type: 'f32', bits: Number(bits & 0xffffffffn) };
    case 'f64': return { type: 'f64', bits: BigInt.asUintN(64, bits) };
    default: throw new NativeUnsupported(`not supported yet: ${t} values in the native engine`);
  }
}

/** A C-side failure as the seam's error; 'unsupported' and 'internal' are not spec errors. */
function toError(f: NativeFailure): WasmError {
  switch (f.status) {
    case 'malformed': case 'invalid': case 'unlinkable': case 'uninstantiable': case 'trap': case 'exhaustion':
      return wasmError(f.status, f.message);
    case 'unsupported': throw new NativeUnsupported(f.message);
    case 'incompatible': return wasmError('malformed', f.message);
    case 'internal': throw new Error(`native engine: ${f.message}`);
  }
}

export class NativeEngine implements NativeEngineSeam {
  readonly name = 'singlepass' as const;
  private readonly funcs: FuncEntry[] = [];
  private readonly mems: MemEntry[] = [];
  private readonly globals: GlobalEntry[] = [];

  instantiate(module: ModuleValue, imports: readonly EngineExtern[]):
    { readonly exports: readonly { readonly name: string; readonly extern: EngineExtern }[] } | WasmError {
    if (imports.length > 0) throw new NativeUnsupported('not supported yet: imports in the native engine');
    const compiled = NativeModule.compile(module.bytes ?? encodeModule(module.ast));
    if (isNativeFailure(compiled)) return toError(compiled);
    const instance = NativeInstance.create(compiled);
    // The instance keeps the compiled code alive on the C side.
    compiled.free();
    if (isNativeFailure(instance)) return toError(instance);
    return { exports: this.exportsOf(module, instance) };
  }

  private exportsOf(module: ModuleValue, instance: NativeInstance): { name: string; extern: EngineExtern }[] {
    const { ast } = module;
    return ast.exports.map((e) => {
      const index = e.desc.index;
      switch (e.desc.kind) {
        case 'func':
          this.funcs.push({ instance, index, type: ast.types[ast.funcs[index]!.type]! });
          return { name: e.name, extern: { kind: 'func', addr: this.funcs.length - 1 } };
        case 'mem':
          this.mems.push({ instance, index, type: ast.mems[index]!.type });
          return { name: e.name, extern: { kind: 'mem', addr: this.mems.length - 1 } };
        case 'global':
          this.globals.push({ instance, index, type: ast.globals[index]!.type });
          return { name: e.name, extern: { kind: 'global', addr: this.globals.length - 1 } };
        default:
          throw new NativeUnsupported(`not supported yet: ${e.desc.kind} exports in the native engine`);
      }
    });
  }

  funcAlloc(_type: FuncType, _host: EngineHostFunc): number {
    throw new NativeUnsupported('not supported yet: host functions in the native engine');
  }
  funcType(func: number): FuncType {
    return this.funcs[func]!.type;
  }
  funcInvoke(func: number, args: readonly EngineVal[]): EngineVal[] | WasmError {
    const f = this.funcs[func]!;
    const vals = new BigUint64Array(Math.max(f.type.params.length, f.type.results.length, 1));
    args.forEach((a, i) => { vals[i] = toBits(a); });
    const r = f.instance.invoke(f.index, vals);
    if (r !== true) return toError(r);
    return f.type.results.map((t, i) => fromBits(t, vals[i]!));
  }

  tableAlloc(_type: TableType, _init: EngineRef): number { return this.noTables(); }
  tableType(_table: number): TableType { return this.noTables(); }
  tableSize(_table: number): number { return this.noTables(); }
  tableRead(_table: number, _i: number): EngineRef { return this.noTables(); }
  tableWrite(_table: number, _i: number, _ref: EngineRef): void { this.noTables(); }
  tableGrow(_table: number, _n: number, _init: EngineRef): boolean { return this.noTables(); }
  private noTables(): never {
    throw new NativeUnsupported('not supported yet: tables in the native engine');
  }

  memAlloc(_type: MemType): number {
    throw new NativeUnsupported('not supported yet: memory_alloc in the native engine');
  }
  memType(mem: number): MemType {
    const m = this.mems[mem]!;
    return { ...m.type, limits: { ...m.type.limits, min: m.instance.memoryPages(m.index) } };
  }
  memSize(mem: number): number {
    const m = this.mems[mem]!;
    return m.instance.memoryPages(m.index);
  }
  memRead(mem: number, i: number): number {
    const m = this.mems[mem]!;
    return m.instance.memoryBytes(m.index)[i]!;
  }
  memWrite(mem: number, i: number, byte: number): void {
    const m = this.mems[mem]!;
    m.instance.memoryBytes(m.index)[i] = byte;
  }
  memBytes(mem: number): Uint8Array {
    const m = this.mems[mem]!;
    return m.instance.memoryBytes(m.index);
  }
  memGrow(mem: number, n: number): boolean {
    const m = this.mems[mem]!;
    return m.instance.memoryGrow(m.index, n) >= 0;
  }

  globalAlloc(_type: GlobalType, _val: EngineVal): number {
    throw new NativeUnsupported('not supported yet: global_alloc in the native engine');
  }
  globalType(global: number): GlobalType {
    return this.globals[global]!.type;
  }
  globalRead(global: number): EngineVal {
    const g = this.globals[global]!;
    return fromBits(g.type.type, g.instance.globalGet(g.index));
  }
  globalWrite(global: number, val: EngineVal): void {
    const g = this.globals[global]!;
    g.instance.globalSet(g.index, toBits(val));
  }

  tagAlloc(_type: TagType): number { return this.noTags(); }
  tagType(_tag: number): TagType { return this.noTags(); }
  exnAlloc(_tag: number, _fields: readonly EngineVal[]): number { return this.noTags(); }
  exnTag(_exn: number): number { return this.noTags(); }
  exnRead(_exn: number): EngineVal[] { return this.noTags(); }
  private noTags(): never {
    throw new NativeUnsupported('not supported yet: tags and exceptions (not in WebAssembly 2.0)');
  }
}
