// Instantiation — WebAssembly spec §4.5.4, in the order of the 3.0 spec's `instantiate`: imports
// checked, functions allocated, globals initialised in order (an initialiser may read the globals
// before it), tables, memories, element segment expressions, data, exports; then active element
// segments (table.init + elem.drop; declarative segments are dropped), active data segments
// (memory.init + data.drop) and the start function. A trap midway leaves what was already written:
// the store keeps the allocated instances (§4.5.4 note: partial initialisation is observable).

import { LinkError } from '../errors.js';
import type { ImportDesc, Module } from '../structure/module.js';
import type { ExternType } from '../structure/types.js';
import { matchExternType } from '../valid/match.js';
import { dataDrop, elemDrop, evalConst, invoke, memoryInit, tableInit } from './eval.js';
import type { ExternAddr, ModuleInst, Store } from './runtime.js';
import { allocdata, allocelem, allocfunc, allocglobal, allocmem, alloctable, nullRef } from './runtime.js';
import type { Ref } from './values.js';

/** §4.5.2 external typing: the type of the external value `ext` in store `S`. */
function externTypeOf(S: Store, ext: ExternAddr): ExternType | undefined {
  switch (ext.kind) {
    case 'func': { const f = S.funcs[ext.addr]; return f && { kind: 'func', type: f.type }; }
    case 'table': { const t = S.tables[ext.addr]; return t && { kind: 'table', type: t.type }; }
    case 'mem': { const m = S.mems[ext.addr]; return m && { kind: 'mem', type: m.type }; }
    case 'global': { const g = S.globals[ext.addr]; return g && { kind: 'global', type: g.type }; }
    case 'tag': { const t = S.tags[ext.addr]; return t && { kind: 'tag', type: t.type }; }
  }
}

/** The type an import expects, with type indices resolved in the module. */
function importType(module: Module, desc: ImportDesc): ExternType {
  switch (desc.kind) {
    case 'func': return { kind: 'func', type: module.types[desc.type]! };
    case 'tag': return { kind: 'tag', type: { type: module.types[desc.type]! } };
    default: return desc;
  }
}

/** §4.5.4 instantiates a valid module with the given imports. */
export function instantiate(S: Store, module: Module, externaddrs: readonly ExternAddr[]): ModuleInst {
  if (externaddrs.length !== module.imports.length) throw new LinkError('unknown import');
  const inst: ModuleInst = {
    types: [...module.types], funcaddrs: [], tableaddrs: [], memaddrs: [], globaladdrs: [],
    elemaddrs: [], dataaddrs: [], tagaddrs: [], exports: [],
  };
  module.imports.forEach((imp, i) => {
    const ext = externaddrs[i]!;
    const actual = externTypeOf(S, ext);
    if (actual === undefined || !matchExternType(actual, importType(module, imp.desc))) {
      throw new LinkError('incompatible import type');
    }
    addrsOf(inst, ext.kind).push(ext.addr);
  });

  for (const f of module.funcs) inst.funcaddrs.push(allocfunc(S, module.types[f.type]!, f, inst));
  for (const g of module.globals) inst.globaladdrs.push(allocglobal(S, g.type, evalConst(S, inst, g.init)));
  for (const t of module.tables) inst.tableaddrs.push(alloctable(S, t.type, nullRef(t.type.reftype)));
  for (const m of module.mems) inst.memaddrs.push(allocmem(S, m.type));
  for (const e of module.elems) {
    inst.elemaddrs.push(allocelem(S, e.type, e.init.map((expr) => evalConst(S, inst, expr) as Ref)));
  }
  for (const d of module.datas) inst.dataaddrs.push(allocdata(S, d.init));
  for (const ex of module.exports) {
    const addr = addrsOf(inst, ex.desc.kind)[ex.desc.index]!;
    inst.exports.push({ name: ex.name, value: { kind: ex.desc.kind, addr } });
  }

  module.elems.forEach((e, i) => {
    if (e.mode.kind === 'active') {
      const offset = evalConst(S, inst, e.mode.offset) as number;
      tableInit(S, inst, e.mode.table, i, offset >>> 0, 0, e.init.length);
    }
    if (e.mode.kind !== 'passive') elemDrop(S, inst, i);
  });
  module.datas.forEach((d, i) => {
    if (d.mode.kind === 'active') {
      const offset = evalConst(S, inst, d.mode.offset) as number;
      memoryInit(S, inst, d.mode.mem, i, offset >>> 0, 0, d.init.length);
      dataDrop(S, inst, i);
    }
  });
  if (module.start !== undefined) invoke(S, inst.funcaddrs[module.start]!, []);
  return inst;
}

function addrsOf(inst: ModuleInst, kind: ExternAddr['kind']): number[] {
  switch (kind) {
    case 'func': return inst.funcaddrs;
    case 'table': return inst.tableaddrs;
    case 'mem': return inst.memaddrs;
    case 'global': return inst.globaladdrs;
    case 'tag': return inst.tagaddrs;
  }
}
