// Shrinks a module on which engines disagree: greedy deletions (ddmin-style chunks of every
// instruction sequence, unwrapping blocks, dropping calls and data) kept while the module stays
// valid and the same engine still disagrees.

import { encodeModule } from '../../spec/binary/encode.js';
import type { Instr } from '../../spec/structure/instructions.js';
import type { Module as ModuleAst } from '../../spec/structure/module.js';
import { check, type Call, type Disagreement } from './runner.js';

export interface Shrunk { readonly ast: ModuleAst; readonly calls: readonly Call[]; readonly disagreement: Disagreement }

type Seq = readonly Instr[];

/** Every instruction sequence of a function body, as paths: [func, ...(index, 'body'|'then'|'else')]. */
function sequences(body: Seq, path: (number | string)[], out: (number | string)[][]): void {
  out.push(path);
  body.forEach((i, k) => {
    if (i.op === 'block' || i.op === 'loop') sequences(i.body, [...path, k, 'body'], out);
    if (i.op === 'if') {
      sequences(i.then, [...path, k, 'then'], out);
      sequences(i.else, [...path, k, 'else'], out);
    }
  });
}

function getSeq(body: Seq, path: readonly (number | string)[]): Seq | undefined {
  let s: Seq | undefined = body;
  for (let i = 0; i < path.length && s !== undefined; i += 2) {
    s = (s[path[i] as number] as unknown as Record<string, Seq> | undefined)?.[path[i + 1] as string];
  }
  return s;
}

function setSeq(body: Seq, path: readonly (number | string)[], seq: Seq): Seq {
  if (path.length === 0) return seq;
  const [k, field, ...rest] = path as [number, string, ...(number | string)[]];
  const copy = body.slice();
  const inner = copy[k] as unknown as Record<string, Seq>;
  copy[k] = { ...inner, [field]: setSeq(inner[field]!, rest, seq) } as unknown as Instr;
  return copy;
}

function size(ast: ModuleAst): number {
  let n = 0;
  const count = (s: Seq): void => {
    for (const i of s) {
      n++;
      if (i.op === 'block' || i.op === 'loop') count(i.body);
      if (i.op === 'if') { count(i.then); count(i.else); }
    }
  };
  for (const f of ast.funcs) count(f.body);
  return n;
}

/** What a record line observes (the call or the state item), without the outcome. */
const key = (line: string): string => line.split(' = ')[0]!;

/** Deletions can drop a NaN canonicalisation: a difference in NaN bits alone is then no finding. */
function bothNan(d: Disagreement): boolean {
  const nan = (v: string): boolean => {
    const m = /^(f32|f64):0x([0-9a-f]+)$/.exec(v);
    if (m === null) return false;
    const bits = BigInt(`0x${m[2]}`);
    return m[1] === 'f32' ? (bits & 0x7f800000n) === 0x7f800000n && (bits & 0x7fffffn) !== 0n
      : (bits & 0x7ff0000000000000n) === 0x7ff0000000000000n && (bits & 0xfffffffffffffn) !== 0n;
  };
  const [a, b] = [d.expected.split(' = ')[1]?.split(' ') ?? [], d.actual.split(' = ')[1]?.split(' ') ?? []];
  return a.length === b.length && a.some((v, i) => v !== b[i]) && a.every((v, i) => v === b[i] || (nan(v) && nan(b[i]!)));
}

export function shrink(ast0: ModuleAst, calls0: readonly Call[], first: Disagreement, budgetMs = 60_000): Shrunk {
  const deadline = performance.now() + budgetMs;
  let best: Shrunk = { ast: ast0, calls: calls0, disagreement: first };
  const attempt = (ast: ModuleAst, calls: readonly Call[]): boolean => {
    let d: Disagreement | undefined;
    try {
      // An invalid module (a deletion broke it) throws.
      d = check(encodeModule(ast), calls, ['reference', first.engine], first.registers, first.fuel);
    } catch {
      return false;
    }
    if (d === undefined || d.engine !== first.engine || key(d.expected) !== key(first.expected) || bothNan(d)) return false;
    best = { ast, calls, disagreement: d };
    return true;
  };

  let progress = true;
  while (progress && performance.now() < deadline) {
    progress = false;
    // Calls: keep the fewest that still show the difference.
    for (let i = best.calls.length - 1; i >= 0 && best.calls.length > 1; i--) {
      if (attempt(best.ast, best.calls.filter((_, k) => k !== i))) progress = true;
    }
    if (best.ast.datas.some((d) => d.init.length > 0)) {
      if (attempt({ ...best.ast, datas: best.ast.datas.map((d) => ({ ...d, init: new Uint8Array() })) }, best.calls)) progress = true;
    }
    for (let f = 0; f < best.ast.funcs.length && performance.now() < deadline; f++) {
      const paths: (number | string)[][] = [];
      sequences(best.ast.funcs[f]!.body, [], paths);
      // Last first: edits then never move the indices of the paths still to visit.
      for (const path of paths.reverse()) {
        // Deleting chunks, largest first.
        for (let chunk = 64; chunk >= 1 && performance.now() < deadline; chunk = chunk >> 1) {
          const seq = getSeq(best.ast.funcs[f]!.body, path);
          if (seq === undefined) break;
          for (let at = seq.length - chunk; at >= 0; at--) {
            const cur = getSeq(best.ast.funcs[f]!.body, path)!;
            if (at + chunk > cur.length) continue;
            const next = [...cur.slice(0, at), ...cur.slice(at + chunk)];
            if (tryBody(f, path, next)) progress = true;
          }
        }
        // Unwrapping structured instructions into their contents.
        let cur = getSeq(best.ast.funcs[f]!.body, path);
        for (let at = (cur?.length ?? 0) - 1; at >= 0 && cur !== undefined; at--) {
          const i = cur[at];
          if (i === undefined) continue;
          const inner = i.op === 'block' || i.op === 'loop' ? [i.body] : i.op === 'if' ? [i.then, i.else] : [];
          for (const body of inner) {
            if (tryBody(f, path, [...cur.slice(0, at), ...body, ...cur.slice(at + 1)])) { progress = true; break; }
          }
          cur = getSeq(best.ast.funcs[f]!.body, path);
        }
      }
    }
  }
  return best;

  function tryBody(f: number, path: readonly (number | string)[], seq: Seq): boolean {
    const funcs = best.ast.funcs.slice();
    funcs[f] = { ...funcs[f]!, body: setSeq(funcs[f]!.body, path, seq) };
    const ast = { ...best.ast, funcs };
    return size(ast) < size(best.ast) && attempt(ast, best.calls);
  }
}
