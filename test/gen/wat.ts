// Prints a module as text (flat instructions, numeric indices) so a failing generated module can be
// read, edited and run with `wasmo wast`. It covers what the generator produces.

import type { BlockType, Expr, Instr } from '../../spec/structure/instructions.js';
import type { Module } from '../../spec/structure/module.js';
import type { FuncType, ValType } from '../../spec/structure/types.js';

const f32Text = (bits: number): string => {
  const f = new Float32Array(new Uint32Array([bits]).buffer)[0]!;
  if (Number.isNaN(f)) return `${bits >>> 31 ? '-' : ''}nan:0x${(bits & 0x7fffff).toString(16)}`;
  return Object.is(f, -0) ? '-0' : f === Infinity ? 'inf' : f === -Infinity ? '-inf' : f.toString();
};
const f64Text = (bits: bigint): string => {
  const f = new Float64Array(new BigUint64Array([bits]).buffer)[0]!;
  if (Number.isNaN(f)) return `${bits >> 63n ? '-' : ''}nan:0x${(bits & 0xfffffffffffffn).toString(16)}`;
  return Object.is(f, -0) ? '-0' : f === Infinity ? 'inf' : f === -Infinity ? '-inf' : f.toString();
};

const sig = (ft: FuncType): string =>
  `${ft.params.length > 0 ? ` (param ${ft.params.join(' ')})` : ''}${ft.results.length > 0 ? ` (result ${ft.results.join(' ')})` : ''}`;

function blockType(bt: BlockType): string {
  if (bt === null) return '';
  return typeof bt === 'string' ? ` (result ${bt})` : ` (type ${bt.typeidx})`;
}

function instr(i: Instr, indent: string, out: string[]): void {
  const line = (s: string): void => { out.push(indent + s); };
  switch (i.op) {
    case 'block': case 'loop':
      line(`${i.op}${blockType(i.bt)}`);
      expr(i.body, `${indent}  `, out);
      line('end');
      return;
    case 'if':
      line(`if${blockType(i.bt)}`);
      expr(i.then, `${indent}  `, out);
      if (i.else.length > 0) { line('else'); expr(i.else, `${indent}  `, out); }
      line('end');
      return;
  }
  const x = i as Instr & Record<string, unknown>;
  const imm: string[] = [];
  if ('label' in x) imm.push(String(x.label));
  if ('labels' in x) imm.push(...(x.labels as number[]).map(String), String(x.default));
  if ('func' in x) imm.push(String(x.func));
  if (i.op === 'call_indirect') imm.push(String(i.table), `(type ${i.type})`);
  if ('local' in x) imm.push(String(x.local));
  if ('global' in x) imm.push(String(x.global));
  if ('table' in x && i.op !== 'call_indirect') imm.push(String(x.table));
  if (i.op === 'table.copy') imm.push(String(i.dst), String(i.src));
  if ('elem' in x) imm.push(String(x.elem));
  if ('data' in x) imm.push(String(x.data));
  if ('memarg' in x) {
    const m = x.memarg as { offset: number; align: number };
    imm.push(`offset=${m.offset}`, `align=${2 ** m.align}`);
  }
  if (i.op === 'i32.const' || i.op === 'i64.const') imm.push(String(i.value));
  if (i.op === 'f32.const') imm.push(f32Text(i.bits));
  if (i.op === 'f64.const') imm.push(f64Text(i.bits));
  if (i.op === 'v128.const') imm.push('i8x16', ...[...i.bytes].map(String));
  if (i.op === 'i8x16.shuffle') imm.push(...i.lanes.map(String));
  if ('lane' in x) imm.push(String(x.lane));
  if ('heaptype' in x) imm.push(String(x.heaptype));
  if (i.op === 'select' && i.types !== undefined) imm.push(`(result ${i.types.join(' ')})`);
  line([i.op, ...imm].join(' '));
}

function expr(e: Expr, indent: string, out: string[]): void {
  for (const i of e) instr(i, indent, out);
}

const limits = (l: { min: number; max?: number }): string => `${l.min}${l.max === undefined ? '' : ` ${l.max}`}`;
const constExpr = (e: Expr): string => {
  const out: string[] = [];
  expr(e, '', out);
  return out.map((s) => `(${s})`).join(' ');
};
const bytes = (b: Uint8Array): string => `"${[...b].map((x) => `\\${x.toString(16).padStart(2, '0')}`).join('')}"`;
const locals = (ls: readonly ValType[]): string => (ls.length > 0 ? `\n    (local ${ls.join(' ')})` : '');

export function moduleText(m: Module): string {
  const out: string[] = ['(module'];
  m.types.forEach((t, i) => out.push(`  (type (;${i};) (func${sig(t)}))`));
  for (const im of m.imports) {
    if (im.desc.kind === 'func') out.push(`  (import "${im.module}" "${im.name}" (func (type ${im.desc.type})))`);
  }
  const imported = m.imports.filter((im) => im.desc.kind === 'func').length;
  m.funcs.forEach((f, j) => {
    const i = j + imported;
    const body: string[] = [];
    expr(f.body, '    ', body);
    out.push(`  (func (;${i};) (type ${f.type})${sig(m.types[f.type]!)}${locals(f.locals)}`, ...body, '  )');
  });
  for (const t of m.tables) out.push(`  (table ${limits(t.type.limits)} ${t.type.reftype})`);
  for (const mem of m.mems) out.push(`  (memory ${limits(mem.type.limits)})`);
  for (const g of m.globals) {
    out.push(`  (global ${g.type.mut ? `(mut ${g.type.type})` : g.type.type} ${constExpr(g.init)})`);
  }
  if (m.start !== undefined) out.push(`  (start ${m.start})`);
  for (const e of m.exports) out.push(`  (export "${e.name}" (${e.desc.kind === 'mem' ? 'memory' : e.desc.kind} ${e.desc.index}))`);
  for (const e of m.elems) {
    const items = e.init.map((x) => `(item ${constExpr(x)})`).join(' ');
    const mode = e.mode.kind === 'active' ? ` (table ${e.mode.table}) (offset ${constExpr(e.mode.offset)})` : e.mode.kind === 'declarative' ? ' declare' : '';
    out.push(`  (elem${mode} ${e.type} ${items})`);
  }
  for (const d of m.datas) {
    out.push(`  (data${d.mode.kind === 'active' ? ` (memory ${d.mode.mem}) (offset ${constExpr(d.mode.offset)})` : ''} ${bytes(d.init)})`);
  }
  out.push(')');
  return `${out.join('\n')}\n`;
}
