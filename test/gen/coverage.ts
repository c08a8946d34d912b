// What generated modules cover: every instruction, live and in dead code, and the shapes the issue
// asks for (block types with parameters and several results, branches carrying values, to loops
// too, calls with many parameters and results, locals of every type, nesting depth). `npm run
// fuzz -- --coverage --count N` prints the counts over N modules; gen.test.ts requires every
// instruction and every shape in a smaller sample (SIMD ones in modules with SIMD).

import { opcodes, opInfo, walkExpr, type BlockType, type Opname } from '../../spec/structure/instructions.js';
import type { Module } from '../../spec/structure/module.js';
import type { FuncType } from '../../spec/structure/types.js';
import { ModuleGen, type GenOptions } from './generator.js';

/** Every non-SIMD instruction of the opcode table: what a generated module should contain. */
export const SCALAR_OPS: readonly Opname[] = (Object.keys(opcodes) as Opname[]).filter((op) => opInfo(op).prefix !== 0xfd);
/** Every SIMD instruction: what a module with SIMD should contain too. */
export const SIMD_OPS: readonly Opname[] = (Object.keys(opcodes) as Opname[]).filter((op) => opInfo(op).prefix === 0xfd);

/** The shapes counted beside instructions (keys of `Counts`). */
export const SHAPES = [
  'block with params', 'loop with params', 'if with params', 'block with 2+ results', 'loop with 2+ results',
  'if with 2+ results', 'if without else', 'br carrying values', 'br_if carrying values',
  'br_table carrying values', 'br to a loop', 'br_if to a loop', 'br_table to a loop', 'br out of 3+ constructs',
  'return from a nested construct', 'call with 8+ params', 'call with 3+ results',
  'call_indirect with 8+ params', 'call_indirect with 3+ results', 'dead block', 'dead loop', 'dead if',
  'local i32', 'local i64', 'local f32', 'local f64', 'local v128', 'local funcref', 'local externref',
  'nesting 16+', 'nesting 32+', 'start function', 'typed select', 'call_indirect through table 1+',
  'externref table', 'table.copy between tables', '64 KiB+ of code (compiled on several threads)',
] as const;

export type Counts = Map<string, number>;

function add(c: Counts, key: string, n = 1): void {
  c.set(key, (c.get(key) ?? 0) + n);
}

interface Frame { readonly loop: boolean; readonly label: number; dead: boolean; readonly outerDead: boolean }

/** Adds the instructions of `m` (as "op" and "op dead") and its shapes to `c`. */
export function countModule(m: Module, c: Counts): void {
  const importedTypes = m.imports.flatMap((im) => (im.desc.kind === 'func' ? [m.types[im.desc.type]!] : []));
  const funcType = (f: number): FuncType => importedTypes[f] ?? m.types[m.funcs[f - importedTypes.length]!.type]!;
  const blockType = (bt: BlockType): FuncType => (bt === null
    ? { params: [], results: [] }
    : typeof bt === 'string' ? { params: [], results: [bt] } : m.types[bt.typeidx]!);
  if (m.start !== undefined) add(c, 'start function');
  for (const f of m.funcs) {
    const ft = m.types[f.type]!;
    for (const t of new Set([...ft.params, ...f.locals])) add(c, `local ${t}`);
    const frames: Frame[] = [{ loop: false, label: ft.results.length, dead: false, outerDead: false }];
    const target = (l: number): Frame => frames[frames.length - 1 - l]!;
    let size = 0;
    walkExpr(f.body, {
      instr: (i) => {
        size += i.op === 'br_table' ? 2 + i.labels.length : 1;
        const top = frames[frames.length - 1]!;
        add(c, top.dead ? `${i.op} dead` : i.op);
        const shape = (s: (typeof SHAPES)[number]): void => { if (!top.dead) add(c, s); };
        switch (i.op) {
          case 'block': case 'loop': case 'if': {
            const bt = blockType(i.bt);
            if (top.dead) add(c, `dead ${i.op}`);
            if (bt.params.length > 0) shape(`${i.op} with params`);
            if (bt.results.length > 1) shape(`${i.op} with 2+ results`);
            if (i.op === 'if' && i.else.length === 0) shape('if without else');
            const loop = i.op === 'loop';
            frames.push({ loop, label: loop ? bt.params.length : bt.results.length, dead: top.dead, outerDead: top.dead });
            if (frames.length > 16) shape('nesting 16+');
            if (frames.length > 32) shape('nesting 32+');
            return;
          }
          case 'br': case 'br_if': {
            const t = target(i.label);
            if (t.label > 0) shape(`${i.op} carrying values`);
            if (t.loop) shape(`${i.op} to a loop`);
            if (i.label >= 3) shape('br out of 3+ constructs');
            break;
          }
          case 'br_table': {
            const ls = [...i.labels, i.default];
            if (target(i.default).label > 0) shape('br_table carrying values');
            if (ls.some((l) => target(l).loop)) shape('br_table to a loop');
            break;
          }
          case 'return':
            if (frames.length > 1) shape('return from a nested construct');
            break;
          case 'call': case 'call_indirect': {
            const t = i.op === 'call_indirect' ? m.types[i.type]! : funcType(i.func);
            if (t.params.length >= 8) shape(`${i.op} with 8+ params`);
            if (t.results.length >= 3) shape(`${i.op} with 3+ results`);
            if (i.op === 'call_indirect' && i.table > 0) shape('call_indirect through table 1+');
            break;
          }
          case 'select':
            if (i.types !== undefined) shape('typed select');
            break;
          case 'table.get': case 'table.set': case 'table.size': case 'table.grow': case 'table.fill': case 'table.init':
            if (m.tables[i.table]?.type.reftype === 'externref') shape('externref table');
            break;
          case 'table.copy':
            if (i.dst !== i.src) shape('table.copy between tables');
            break;
          default:
        }
        if (i.op === 'br' || i.op === 'br_table' || i.op === 'return' || i.op === 'unreachable') top.dead = true;
      },
      else: () => { frames[frames.length - 1]!.dead = frames[frames.length - 1]!.outerDead; },
      end: () => { frames.pop(); },
    });
    // An instruction takes a byte at least, and a label too: the native compilers use a thread per
    // 64 KiB of code.
    if (size >= 65536) add(c, '64 KiB+ of code (compiled on several threads)');
  }
}

/** Counts over the modules of seeds [first, first + n). */
export function countSeeds(first: number, n: number, opt?: GenOptions): Counts {
  const c: Counts = new Map();
  for (let seed = first; seed < first + n; seed++) countModule(new ModuleGen(seed, opt).module(), c);
  return c;
}

/** What `c` lacks: instructions never generated live, and shapes never seen. */
export function missing(c: Counts): string[] {
  return [...SCALAR_OPS, ...SIMD_OPS, ...SHAPES].filter((k) => (c.get(k) ?? 0) === 0);
}

/** The counts as a table: instructions live and dead, then shapes, then what is missing. */
export function report(c: Counts, n: number): string {
  const num = (k: string): string => String(c.get(k) ?? 0).padStart(9);
  return [
    `${'instruction'.padEnd(32)} ${'live'.padStart(9)} ${'dead'.padStart(9)}   (over ${n} modules)`,
    ...[...SCALAR_OPS, ...SIMD_OPS].map((op) => `${op.padEnd(32)} ${num(op)} ${num(`${op} dead`)}`),
    '',
    ...SHAPES.map((k) => `${k.padEnd(32)} ${num(k)}`),
    '',
    missing(c).length === 0 ? 'every instruction and shape covered' : `missing: ${missing(c).join(', ')}`,
  ].join('\n');
}
