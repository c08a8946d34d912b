// Artifacts as TS sees them: the ELF section table, and the module's interface read in place from
// the FlatBuffers sections .wasmo.types and .wasmo.module with the readers flatc generates from
// host-shim/artifact/*.fbs (`npm run build:schemas`, into lib/generated/). The format itself is
// described in host-shim/artifact/artifact.h; only artifacts the native loader accepted (it checks
// every offset and size) are read here, but for artifactSummary, which `wasmo inspect` shows of any
// file (it throws on what it cannot read).

import * as flatbuffers from 'flatbuffers';
import { Compat, FormatVersion } from './generated/compat_generated.js';
import { ModuleInfo, type Limits as FbLimits } from './generated/module_generated.js';
import { Types } from './generated/types_generated.js';
import { valTypeByCode } from '../spec/binary/format.js';
import type { Export, Import, Module as ModuleAst } from '../spec/structure/module.js';
import { emptyModule } from '../spec/structure/module.js';
import type {
  ExternType, FuncType, GlobalType, Limits, MemType, RefType, TableType, ValType,
} from '../spec/structure/types.js';

/** Where a section's bytes are, and where its header is in the section header table. */
export interface ArtifactSection {
  readonly offset: number;
  readonly size: number;
  readonly header: number;
}

/** The ELF64 section table: name -> section. */
export function artifactSections(bytes: Uint8Array): Map<string, ArtifactSection> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shoff = Number(v.getBigUint64(0x28, true));
  const shnum = v.getUint16(0x3c, true);
  const names = Number(v.getBigUint64(shoff + v.getUint16(0x3e, true) * 64 + 0x18, true));
  const out = new Map<string, ArtifactSection>();
  for (let i = 1; i < shnum; i++) {
    const header = shoff + i * 64;
    const at = names + v.getUint32(header, true);
    const name = new TextDecoder().decode(bytes.subarray(at, bytes.indexOf(0, at)));
    out.set(name, {
      offset: Number(v.getBigUint64(header + 0x18, true)), size: Number(v.getBigUint64(header + 0x20, true)), header,
    });
  }
  return out;
}

/** The FlatBuffers section `name` of an artifact; throws if it is missing or runs past the file. */
function sectionBuffer(bytes: Uint8Array, sections: Map<string, ArtifactSection>, name: string): flatbuffers.ByteBuffer {
  const s = sections.get(name);
  if (s === undefined || s.offset + s.size > bytes.length) throw new Error(`no section ${name}`);
  return new flatbuffers.ByteBuffer(bytes.subarray(s.offset, s.offset + s.size));
}

/** An artifact's compatibility record, and each defined function's code when the format is ours. */
export interface ArtifactSummary {
  readonly formatVersion: number;
  readonly engineVersion: string;
  readonly target: string;
  readonly tier: string;
  readonly cpuFeatures: readonly string[];
  readonly flags: readonly string[];
  readonly wasmFeatures: readonly string[];
  /** In index order; the tier is what the function's calls run (tiered code: the tier it reached). */
  readonly functions?: readonly { readonly index: number; readonly name?: string; readonly tier: string; readonly bytes: number }[];
}

export function artifactSummary(bytes: Uint8Array): ArtifactSummary {
  if (bytes.length < 64 || bytes[0] !== 0x7f || String.fromCharCode(...bytes.subarray(1, 4)) !== 'ELF') throw new Error('not an ELF file');
  const sections = artifactSections(bytes);
  const buffer = (name: string): flatbuffers.ByteBuffer => sectionBuffer(bytes, sections, name);
  const compat = Compat.getRootAsCompat(buffer('.wasmo.compat'));
  const strings = (n: number, at: (i: number) => string | null): string[] => Array.from({ length: n }, (_, i) => at(i) ?? '');
  const summary: ArtifactSummary = {
    formatVersion: compat.formatVersion(),
    engineVersion: compat.engineVersion() ?? '',
    target: compat.target() ?? '',
    tier: compat.tier() ?? '',
    cpuFeatures: strings(compat.cpuFeaturesLength(), (i) => compat.cpuFeatures(i)),
    flags: strings(compat.flagsLength(), (i) => compat.flags(i)),
    wasmFeatures: strings(compat.wasmFeaturesLength(), (i) => compat.wasmFeatures(i)),
  };
  if (summary.formatVersion !== FormatVersion.Current) return summary;
  const info = ModuleInfo.getRootAsModuleInfo(buffer('.wasmo.module'));
  const imported = Array.from({ length: info.importsLength() }, (_, i) => info.imports(i)!.kind()).filter((k) => k === 0).length;
  const names = new Map(Array.from({ length: info.funcNamesLength() }, (_, i) => [info.funcNames(i)!.index(), info.funcNames(i)!.name() ?? '']));
  const offsets = [...info.functionOffsetsArray() ?? []];
  const tiered = Array.from({ length: info.tieredLength() }, (_, k) => info.tiered(k)!);
  // The singlepass code ends where the first optimized block of tiered code starts.
  // A loop, not Math.min(...): a module may have more optimized functions than a call takes arguments.
  let singlepassEnd = sections.get('.text')!.size;
  for (const t of tiered) if (t.tier() === 1) singlepassEnd = Math.min(singlepassEnd, t.begin());
  return {
    ...summary,
    functions: offsets.map((offset, k) => {
      const optimized = tiered[k]?.tier() === 1 ? tiered[k] : undefined;
      const name = names.get(imported + k);
      return {
        index: imported + k,
        ...(name === undefined ? {} : { name }),
        tier: optimized !== undefined ? 'optimizing' : summary.tier === 'tiered' ? 'singlepass' : summary.tier,
        bytes: optimized !== undefined ? optimized.end() - optimized.begin() : (offsets[k + 1] ?? singlepassEnd) - offset,
      };
    }),
  };
}

/**
 * What a module from an artifact shows the API: an abstract syntax that carries the module's
 * interface only (types, imports, the types of its functions, tables, memories and globals,
 * exports) with no code, and the import and export types validation would have given.
 */
export interface ArtifactInterface {
  readonly ast: ModuleAst;
  readonly imports: readonly ExternType[];
  readonly exports: readonly ExternType[];
}

function valType(code: number): ValType {
  const t = valTypeByCode.get(code);
  if (t === undefined) throw new Error(`artifact: unknown value type code ${code}`);
  return t;
}

function limits(l: FbLimits): Limits {
  return l.hasMax() ? { min: Number(l.min()), max: Number(l.max()) } : { min: Number(l.min()) };
}

export function artifactInterface(bytes: Uint8Array): ArtifactInterface {
  const sections = artifactSections(bytes);
  const buffer = (name: string): flatbuffers.ByteBuffer => sectionBuffer(bytes, sections, name);
  const fbTypes = Types.getRootAsTypes(buffer('.wasmo.types'));
  const info = ModuleInfo.getRootAsModuleInfo(buffer('.wasmo.module'));

  const types: FuncType[] = [];
  for (let i = 0; i < fbTypes.typesLength(); i++) {
    const t = fbTypes.types(i)!;
    types.push({ params: [...t.paramsArray() ?? []].map(valType), results: [...t.resultsArray() ?? []].map(valType) });
  }
  // The index spaces, imports first (spec 2.5.1).
  const funcs: number[] = [];
  const tables: TableType[] = [];
  const mems: MemType[] = [];
  const globals: GlobalType[] = [];
  const tableType = (t: { limits(): FbLimits | null; elem(): number }): TableType =>
    ({ addrtype: 'i32', limits: limits(t.limits()!), reftype: valType(t.elem()) as RefType });
  const globalType = (g: { type(): number; mutable(): boolean }): GlobalType => ({ mut: g.mutable(), type: valType(g.type()) });

  const imports: Import[] = [];
  const importTypes: ExternType[] = [];
  for (let i = 0; i < info.importsLength(); i++) {
    const im = info.imports(i)!;
    const names = { module: im.module()!, name: im.name()! };
    switch (im.kind()) {
      case 0:
        funcs.push(im.typeIndex());
        imports.push({ ...names, desc: { kind: 'func', type: im.typeIndex() } });
        importTypes.push({ kind: 'func', type: types[im.typeIndex()]! });
        break;
      case 1: {
        const type = tableType(im.table()!);
        tables.push(type);
        imports.push({ ...names, desc: { kind: 'table', type } });
        importTypes.push({ kind: 'table', type });
        break;
      }
      case 2: {
        const type: MemType = { addrtype: 'i32', limits: limits(im.memory()!) };
        mems.push(type);
        imports.push({ ...names, desc: { kind: 'mem', type } });
        importTypes.push({ kind: 'mem', type });
        break;
      }
      default: {
        const type = globalType(im.global()!);
        globals.push(type);
        imports.push({ ...names, desc: { kind: 'global', type } });
        importTypes.push({ kind: 'global', type });
      }
    }
  }
  const importedFuncs = funcs.length;
  for (const type of info.funcsArray() ?? []) funcs.push(type);
  for (let i = 0; i < info.tablesLength(); i++) tables.push(tableType(info.tables(i)!));
  for (let i = 0; i < info.memoriesLength(); i++) mems.push({ addrtype: 'i32', limits: limits(info.memories(i)!) });
  for (let i = 0; i < info.globalsLength(); i++) globals.push(globalType(info.globals(i)!));

  const kinds = ['func', 'table', 'mem', 'global'] as const;
  const exports: Export[] = [];
  for (let i = 0; i < info.exportsLength(); i++) {
    const ex = info.exports(i)!;
    exports.push({ name: ex.name()!, desc: { kind: kinds[ex.kind()]!, index: ex.index() } });
  }
  const externType = (kind: Export['desc']['kind'], index: number): ExternType => {
    switch (kind) {
      case 'func': return { kind, type: types[funcs[index]!]! };
      case 'table': return { kind, type: tables[index]! };
      case 'mem': return { kind, type: mems[index]! };
      case 'global': return { kind, type: globals[index]! };
      case 'tag': throw new Error('artifact: tags are not in WebAssembly 2.0');
    }
  };
  const ast: ModuleAst = {
    ...emptyModule(),
    types,
    imports,
    exports,
    // The functions' and globals' code stays in the artifact: the native engine runs it from there.
    funcs: funcs.slice(importedFuncs).map((type) => ({ type, locals: [], body: [] })),
    tables: tables.slice(tables.length - info.tablesLength()).map((type) => ({ type })),
    mems: mems.slice(mems.length - info.memoriesLength()).map((type) => ({ type })),
    globals: globals.slice(globals.length - info.globalsLength()).map((type) => ({ type, init: [] })),
    ...(info.hasStart() ? { start: info.start() } : {}),
  };
  return {
    ast,
    imports: importTypes,
    exports: exports.map((ex) => externType(ex.desc.kind, ex.desc.index)),
  };
}
