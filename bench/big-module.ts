// The module for the compile-throughput measurement: the kernels' clang output, every function
// copied `copies` times into one module, so that the code compiled is real compiler output rather
// than synthetic instruction soup, in whatever quantity makes the timing meaningful.

import { decodeModule } from '../spec/binary/decode.js';
import { encodeModule } from '../spec/binary/encode.js';
import { MAGIC, SectionId, VERSION } from '../spec/binary/format.js';
import { readUnsigned } from '../spec/binary/leb128.js';
import { mapExpr, type BlockType, type Instr } from '../spec/structure/instructions.js';
import type { Export, Func, Global, Module } from '../spec/structure/module.js';
import type { FuncType, MemType } from '../spec/structure/types.js';

/** Where one copy of one kernel starts in the merged module's index spaces. */
interface Offsets { readonly type: number; readonly func: number; readonly global: number }

function blockType(bt: BlockType, o: Offsets): BlockType {
  return bt !== null && typeof bt === 'object' ? { typeidx: bt.typeidx + o.type } : bt;
}

/** The instruction with its type, function and global indices moved by `o` (for `mapExpr`, which
 *  moves those of nested instructions). */
function relocate(instr: Instr, o: Offsets): Instr {
  if ('func' in instr) return { ...instr, func: instr.func + o.func };
  if ('global' in instr) return { ...instr, global: instr.global + o.global };
  if (instr.op === 'call_indirect') return { ...instr, type: instr.type + o.type };
  if ('bt' in instr) return { ...instr, bt: blockType(instr.bt, o) };
  return instr;
}

/**
 * One module holding `copies` copies of every kernel's functions; copy c of kernel k exports its
 * entry point as `k_c`. Kernels share one memory (big enough for any of them) and keep their own
 * globals; data segments are left out, as they do not change what is compiled.
 */
export function bigModule(kernels: readonly { readonly name: string; readonly wasm: Uint8Array }[], copies: number): Uint8Array<ArrayBuffer> {
  const types: FuncType[] = [];
  const funcs: Func[] = [];
  const globals: Global[] = [];
  const exports: Export[] = [];
  let mem: MemType | undefined;
  for (const { name, wasm } of kernels) {
    const m: Module = decodeModule(wasm);
    if (m.imports.length > 0 || m.tables.length > 0 || m.elems.length > 0) {
      throw new Error(`kernel ${name}: imports, tables and element segments are not expected in a kernel`);
    }
    const run = m.exports.find((e) => e.name === 'run' && e.desc.kind === 'func');
    if (run === undefined) throw new Error(`kernel ${name} exports no function run`);
    const typeBase = types.length;
    const globalBase = globals.length;
    for (const t of m.types) types.push(t);
    for (const g of m.globals) globals.push(g);
    const kmem = m.mems[0]?.type;
    if (kmem !== undefined && (mem === undefined || kmem.limits.min > mem.limits.min)) mem = kmem;
    for (let c = 0; c < copies; c++) {
      const o: Offsets = { type: typeBase, func: funcs.length, global: globalBase };
      for (const f of m.funcs) funcs.push({ type: f.type + o.type, locals: f.locals, body: mapExpr(f.body, (i) => relocate(i, o)) });
      exports.push({ name: `${name}_${c}`, desc: { kind: 'func', index: run.desc.index + o.func } });
    }
  }
  return encodeModule({
    types, funcs, globals, exports, tables: [], mems: mem === undefined ? [] : [{ type: mem }], elems: [], datas: [],
    imports: [], customs: [],
  });
}

/** bigModule with as many copies as make about `mb` megabytes (10^6 bytes); `copies` says how many. */
export function bigModuleOfSize(kernels: readonly { readonly name: string; readonly wasm: Uint8Array }[], mb: number):
  { readonly wasm: Uint8Array<ArrayBuffer>; readonly copies: number } {
  const perCopy = bigModule(kernels, 2).length - bigModule(kernels, 1).length;
  const copies = Math.max(1, Math.round((mb * 1e6) / perCopy));
  return { wasm: bigModule(kernels, copies), copies };
}

/** The size in bytes of the code section of a binary module. */
export function codeSectionSize(wasm: Uint8Array): number {
  let p = MAGIC.length + VERSION.length;
  const next = (): number => wasm[p++]!;
  while (p < wasm.length) {
    const id = next();
    const size = readUnsigned(next, 32);
    if (id === SectionId.code) return size;
    p += size;
  }
  throw new Error('the module has no code section');
}
