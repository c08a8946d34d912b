// Fuel: the cost model every engine meters wasm code by (beyond the spec, as wasmtime's fuel). It
// is defined here once; host-shim/environ/fuel.h mirrors it for the native engine, and the three
// engines charge the same amounts at the same points, so the fuel left after a run is the same.
//
// - Costs: `nop`, `drop`, `block`, `loop`, `unreachable`, `return`, `else` and `end` cost 0 (they
//   do no work of their own); every other instruction costs 1 (a call, a memory.fill of any length,
//   a br_if alike). These are wasmtime's default costs.
// - Segments: a function body is cut into straight-line segments after every `loop`, `if`, `else`,
//   `end`, `br`, `br_if`, `br_table`, `return` and `unreachable` (where control may arrive from
//   elsewhere or leave), and a segment is charged its whole cost when it is entered, before its
//   first instruction that costs anything. A segment costing 0 is not charged.
// - A charge that would take the fuel below 0 is not made: the call traps with "all fuel consumed"
//   and the store has 0 fuel left. So a run that returns consumed exactly the costs of the
//   instructions it executed; one that trapped consumed its last segment whole.
// - Constant expressions (global initialisers, segment offsets) are not metered; a start function
//   is, as any function.

import type { Instr, Opname } from './structure/instructions.js';

/** What a walk over code meets, in binary order: an instruction, or the `else` / `end` of one. */
export type CodePoint = Opname | 'else' | 'end';

const FREE: ReadonlySet<CodePoint> = new Set<CodePoint>(['nop', 'drop', 'block', 'loop', 'unreachable', 'return', 'else', 'end']);
const ENDS_SEGMENT: ReadonlySet<CodePoint> = new Set<CodePoint>([
  'loop', 'if', 'else', 'end', 'br', 'br_if', 'br_table', 'return', 'unreachable',
]);

/** The fuel an instruction costs. */
export function fuelCost(p: CodePoint): number {
  return FREE.has(p) ? 0 : 1;
}

/** Does a new segment begin after this point? */
export function endsSegment(p: CodePoint): boolean {
  return ENDS_SEGMENT.has(p);
}

/** The message of the trap a store out of fuel raises. */
export const OUT_OF_FUEL = 'all fuel consumed';

/**
 * Cuts code into segments as it is walked in binary order (`step` at every instruction, `else` and
 * `end`): `charge()` is called where a segment's charge goes (before its first costly instruction)
 * and returns a handle, `setCost(handle, cost)` whenever the segment's cost grows.
 */
export class FuelSegments<C> {
  private open: C | undefined;
  private cost = 0;
  private closed = false;

  constructor(private readonly charge: () => C, private readonly setCost: (charge: C, cost: number) => void) {}

  step(p: CodePoint): void {
    if (this.closed) {
      this.open = undefined;
      this.cost = 0;
      this.closed = false;
    }
    const c = fuelCost(p);
    if (c > 0) {
      this.open ??= this.charge();
      this.cost += c;
      this.setCost(this.open, this.cost);
    }
    if (endsSegment(p)) this.closed = true;
  }

  /** `step` for an instruction of the AST. */
  instr(i: Instr): void {
    this.step(i.op);
  }
}
