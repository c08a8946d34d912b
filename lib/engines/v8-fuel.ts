// Fuel and interruption for the V8 engine, whose code nothing outside can count or stop: the module
// is rewritten to charge fuel itself (the cost model of spec/fuel.ts, at the same points as the
// other engines) from a mutable i64 global the store shares among its instances, and to call an
// imported function when the global goes below 0. That function (V8Engine's) decides: out of fuel
// (a trap), past the deadline (interrupted), or else refills the global from the store's fuel, at
// most SLICE at a time, so that a deadline is looked at every SLICE units of fuel even in a store
// without fuel.
//
// Both are imports added after the module's own, so the module's defined functions and globals
// move up by one in their index spaces: every reference to them is renumbered.

import { FuelSegments } from '../../spec/fuel.js';
import { mapExpr, walkExpr, type Expr, type Instr } from '../../spec/structure/instructions.js';
import type { Module } from '../../spec/structure/module.js';

/** The most fuel the counter global holds at once (see above). */
export const SLICE = 1 << 16;

export interface Metered {
  readonly module: Module;
  /** Where function `i` of the original module is in the metered one. */
  readonly func: (i: number) => number;
}

/** The module, charging fuel from its import "" `fuel` (global) and calling "" `check` below 0. */
export function meterFuel(m: Module, names: { readonly fuel: string; readonly check: string }): Metered {
  const funcImports = m.imports.filter((im) => im.desc.kind === 'func').length;
  const globalImports = m.imports.filter((im) => im.desc.kind === 'global').length;
  const func = (i: number): number => (i < funcImports ? i : i + 1);
  const global = (i: number): number => (i < globalImports ? i : i + 1);
  const counter = globalImports;
  const check = funcImports;
  const renumber = (i: Instr): Instr => {
    switch (i.op) {
      case 'call': case 'ref.func': return { ...i, func: func(i.func) };
      case 'global.get': case 'global.set': return { ...i, global: global(i.global) };
      default: return i;
    }
  };
  const constant = (e: Expr): Instr[] => mapExpr(e, renumber);

  /** A body with a charge before the first costly instruction of each segment. */
  const meterBody = (body: Expr): Instr[] => {
    const seqs: Instr[][] = [[]];
    const thens: Instr[][] = [];
    const top = (): Instr[] => seqs[seqs.length - 1]!;
    const segments = new FuelSegments<{ value: bigint }>(() => {
      const cost = { op: 'i64.const' as const, value: 0n };
      top().push(
        { op: 'global.get', global: counter }, cost, { op: 'i64.sub' }, { op: 'global.set', global: counter },
        { op: 'global.get', global: counter }, { op: 'i64.const', value: 0n }, { op: 'i64.lt_s' },
        { op: 'if', bt: null, then: [{ op: 'call', func: check }], else: [] },
      );
      return cost;
    }, (cost, n) => { cost.value = BigInt(n); });
    walkExpr(body, {
      instr: (i) => {
        segments.instr(i);
        if (i.op === 'block' || i.op === 'loop' || i.op === 'if') seqs.push([]);
        else top().push(renumber(i));
      },
      else: () => {
        segments.step('else');
        thens.push(seqs.pop()!);
        seqs.push([]);
      },
      end: (i) => {
        segments.step('end');
        const arm = seqs.pop()!;
        top().push({ ...i, ...(i.op === 'if' ? { then: thens.pop()!, else: arm } : { body: arm }) } as Instr);
      },
    });
    return seqs[0]!;
  };

  const checkType = m.types.length;
  return {
    func,
    module: {
      ...m,
      types: [...m.types, { params: [], results: [] }],
      imports: [
        ...m.imports,
        { module: '', name: names.fuel, desc: { kind: 'global', type: { mut: true, type: 'i64' } } },
        { module: '', name: names.check, desc: { kind: 'func', type: checkType } },
      ],
      funcs: m.funcs.map((f) => ({ ...f, body: meterBody(f.body) })),
      globals: m.globals.map((g) => ({ ...g, init: constant(g.init) })),
      elems: m.elems.map((e) => ({
        ...e,
        init: e.init.map(constant),
        mode: e.mode.kind === 'active' ? { ...e.mode, offset: constant(e.mode.offset) } : e.mode,
      })),
      datas: m.datas.map((d) => (d.mode.kind === 'active' ? { ...d, mode: { ...d.mode, offset: constant(d.mode.offset) } } : d)),
      exports: m.exports.map((x) => {
        const { kind, index } = x.desc;
        return kind === 'func' ? { ...x, desc: { kind, index: func(index) } }
          : kind === 'global' ? { ...x, desc: { kind, index: global(index) } } : x;
      }),
      ...(m.start === undefined ? {} : { start: func(m.start) }),
    },
  };
}
