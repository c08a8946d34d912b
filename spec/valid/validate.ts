// Validation of modules — WebAssembly spec §3.2 (types) and §3.4 (modules), in the order of the
// reference interpreter's check_module, so a module with several errors reports the same one.

import { ValidationError } from '../errors.js';
import type { Expr, Instr } from '../structure/instructions.js';
import type { Func, ImportDesc, Module } from '../structure/module.js';
import type {
  ExternType, FuncType, GlobalType, Limits, MemType, TableType, TagType, ValType,
} from '../structure/types.js';
import { emptyContext, lookup, typeAt, type Context } from './context.js';
import { validateBody } from './instructions.js';

/** §3.2.1 limits within range `k`. */
function validateLimits(limits: Limits, k: number, msg: string): void {
  if (limits.min > k) throw new ValidationError(msg);
  if (limits.max !== undefined) {
    if (limits.max > k) throw new ValidationError(msg);
    if (limits.min > limits.max) throw new ValidationError('size minimum must not be greater than maximum');
  }
}

/** 2.0 has only 32-bit addresses; instruction types assume them, so 3.0's i64 ones are refused. */
function validateAddrType(t: MemType | TableType): void {
  if (t.addrtype !== 'i32') throw new ValidationError('64-bit address types need WebAssembly 3.0 (memory64)');
}

/** §3.2.4 table types: limits within 2^32 - 1. */
function validateTableType(tt: TableType): void {
  validateAddrType(tt);
  validateLimits(tt.limits, 0xffff_ffff, 'table size must be at most 2^32-1');
}

/** §3.2.5 memory types: limits within 2^16 pages. */
function validateMemType(mt: MemType): void {
  validateAddrType(mt);
  validateLimits(mt.limits, 0x1_0000, 'memory size must be at most 65536 pages (4GiB)');
}

/** Tag types (3.0 exceptions): a function type without results. */
function tagType(c: Context, x: number): TagType {
  const type = typeAt(c, x);
  if (type.results.length > 0) throw new ValidationError('non-empty tag result type');
  return { type };
}

/** §3.4.9 import descriptions and their external types. */
function importType(c: Context, desc: ImportDesc): ExternType {
  switch (desc.kind) {
    case 'func':
      return { kind: 'func', type: typeAt(c, desc.type) };
    case 'table':
      validateTableType(desc.type);
      return desc;
    case 'mem':
      validateMemType(desc.type);
      return desc;
    case 'global':
      return desc;
    case 'tag':
      return { kind: 'tag', type: tagType(c, desc.type) };
  }
}

/** §3.3.10 constant instructions. `global.get` must name an immutable global; which globals the
 *  context holds is the caller's choice (only imported ones for global initialisers, §3.4). */
function isConstant(c: Context, instr: Instr): boolean {
  switch (instr.op) {
    case 'i32.const': case 'i64.const': case 'f32.const': case 'f64.const': case 'v128.const':
    case 'ref.null': case 'ref.func':
      return true;
    case 'global.get':
      return !lookup('global', c.globals, instr.global).mut;
    default:
      return false;
  }
}

/** §3.3.10 a constant expression of type `t`. */
function validateConst(c: Context, expr: Expr, t: ValType): void {
  if (!expr.every((instr) => isConstant(c, instr))) throw new ValidationError('constant expression required');
  validateBody(c, expr, [t]);
}

/** §3.4.1 functions: the body under the locals (parameters first) and the return type. */
function validateFunc(c: Context, func: Func): void {
  const ft = typeAt(c, func.type);
  validateBody({ ...c, locals: [...ft.params, ...func.locals], return: ft.results }, func.body, ft.results);
}

/** §3.4.10 C.refs: the functions whose index occurs in the module outside function bodies and
 *  the start function (global initialisers, element segments, exports). */
function declaredRefs(m: Module): Set<number> {
  const refs = new Set<number>();
  const scan = (expr: Expr): void => {
    for (const instr of expr) if (instr.op === 'ref.func') refs.add(instr.func);
  };
  for (const g of m.globals) scan(g.init);
  for (const e of m.elems) {
    e.init.forEach(scan);
    if (e.mode.kind === 'active') scan(e.mode.offset);
  }
  for (const d of m.datas) if (d.mode.kind === 'active') scan(d.mode.offset);
  for (const ex of m.exports) if (ex.desc.kind === 'func') refs.add(ex.desc.index);
  return refs;
}

/** The imports' types by kind, in order (the spec's funcs(it*), tables(it*), …). */
function importsByKind(imports: readonly ExternType[]) {
  const by = {
    func: [] as FuncType[], table: [] as TableType[], mem: [] as MemType[],
    global: [] as GlobalType[], tag: [] as TagType[],
  };
  for (const it of imports) {
    switch (it.kind) {
      case 'func': by.func.push(it.type); break;
      case 'table': by.table.push(it.type); break;
      case 'mem': by.mem.push(it.type); break;
      case 'global': by.global.push(it.type); break;
      case 'tag': by.tag.push(it.type); break;
    }
  }
  return by;
}

/**
 * §3.4.10 the context C′ in which global initialisers are checked (it has only the imported
 * globals, and no C.refs yet), with the imports' types and the globals of the whole module. It
 * reads only the module's outline (decodeModuleOutline): no code.
 */
function outlineContext(m: Module): { imports: ExternType[]; cGlobals: Context; globals: GlobalType[] } {
  const c0: Context = { ...emptyContext(), types: m.types };
  const imports = m.imports.map((im) => importType(c0, im.desc));
  const imported = importsByKind(imports);
  const cGlobals: Context = {
    ...c0,
    funcs: [...imported.func, ...m.funcs.map((f) => typeAt(c0, f.type))],
    tables: [...imported.table, ...m.tables.map((t) => t.type)],
    mems: [...imported.mem, ...m.mems.map((mem) => mem.type)],
    globals: imported.global,
    tags: imported.tag,
  };
  return { imports, cGlobals, globals: [...imported.global, ...m.globals.map((g) => g.type)] };
}

/** §3.4.10 the export types, in order; export names must be distinct. */
function exportTypes(c: Context, exports: Module['exports']): ExternType[] {
  const names = new Set<string>();
  return exports.map((ex): ExternType => {
    const x = ex.desc.index;
    const type = ((): ExternType => {
      switch (ex.desc.kind) {
        case 'func': return { kind: 'func', type: lookup('function', c.funcs, x) };
        case 'table': return { kind: 'table', type: lookup('table', c.tables, x) };
        case 'mem': return { kind: 'mem', type: lookup('memory', c.mems, x) };
        case 'global': return { kind: 'global', type: lookup('global', c.globals, x) };
        case 'tag': return { kind: 'tag', type: lookup('tag', c.tags, x) };
      }
    })();
    if (names.has(ex.name)) throw new ValidationError('duplicate export name');
    names.add(ex.name);
    return type;
  });
}

/**
 * The import and export types of a module already known to be valid (by another validator), read
 * from its outline alone; what validateModule would return for it.
 */
export function moduleTypes(m: Module): { imports: ExternType[]; exports: ExternType[] } {
  const { imports, cGlobals, globals } = outlineContext(m);
  return { imports, exports: exportTypes({ ...cGlobals, globals }, m.exports) };
}

/** §3.4.10 a module is valid with type imports → exports; throws ValidationError otherwise. */
export function validateModule(m: Module): { imports: ExternType[]; exports: ExternType[] } {
  const { imports, cGlobals: outline, globals } = outlineContext(m);
  const cGlobals: Context = { ...outline, refs: declaredRefs(m) };
  for (const g of m.globals) validateConst(cGlobals, g.init, g.type.type);

  const c: Context = {
    ...cGlobals,
    globals,
    elems: m.elems.map((e) => e.type),
    datas: m.datas.map(() => 'ok'),
  };
  for (const t of m.tables) validateTableType(t.type);
  for (const mem of m.mems) validateMemType(mem.type);
  for (const e of m.elems) {
    for (const init of e.init) validateConst(c, init, e.type);
    if (e.mode.kind === 'active') {
      const tt = lookup('table', c.tables, e.mode.table);
      if (tt.reftype !== e.type) {
        throw new ValidationError(`type mismatch: element segment's type ${e.type} does not match table's element type ${tt.reftype}`);
      }
      validateConst(c, e.mode.offset, 'i32');
    }
  }
  for (const d of m.datas) {
    if (d.mode.kind === 'active') {
      lookup('memory', c.mems, d.mode.mem);
      validateConst(c, d.mode.offset, 'i32');
    }
  }
  for (const f of m.funcs) validateFunc(c, f);
  if (m.start !== undefined) {
    const ft = lookup('function', c.funcs, m.start);
    if (ft.params.length > 0 || ft.results.length > 0) {
      throw new ValidationError('start function must not have parameters or results');
    }
  }

  const exports = exportTypes(c, m.exports);

  if (c.mems.length > 1) throw new ValidationError('multiple memories');
  return { imports, exports };
}
