// Facts of the binary format (spec §5.5) shared by the decoder and the encoder.

import { walkExpr } from '../structure/instructions.js';
import type { Func } from '../structure/module.js';
import type { ValType } from '../structure/types.js';

export const MAGIC = [0x00, 0x61, 0x73, 0x6d] as const;
export const VERSION = [0x01, 0x00, 0x00, 0x00] as const;

/** §5.5.2 section ids. */
export const SectionId = {
  custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6, export: 7,
  start: 8, element: 9, code: 10, data: 11, datacount: 12,
} as const;

/** The order non-custom sections must come in (§5.5.16): data count sits before code. */
export const SECTION_ORDER = [
  SectionId.type, SectionId.import, SectionId.function, SectionId.table, SectionId.memory,
  SectionId.global, SectionId.export, SectionId.start, SectionId.element, SectionId.datacount,
  SectionId.code, SectionId.data,
] as const;

/** §5.5.2: the tag section's id (exception handling, 3.0), which this decoder refuses by name. */
export const TAG_SECTION_ID = 13;

/**
 * Opcodes and prefixes of proposals beyond WebAssembly 2.0 that the decoder refuses by name ("not
 * supported yet: …") instead of as an illegal opcode; host-shim/environ/reader.h's proposalOf
 * refuses the same bytes with the same names. 128-bit SIMD (0xFD) is 2.0 and decoded here.
 */
export const PROPOSAL_OPCODES: ReadonlyMap<number, string> = new Map([
  ...[0x06, 0x07, 0x08, 0x09, 0x0a, 0x18, 0x19, 0x1f].map((b) => [b, 'exception handling'] as const),
  ...[0x12, 0x13, 0x15].map((b) => [b, 'tail calls'] as const),
  ...[0x14, 0xd4, 0xd5, 0xd6].map((b) => [b, 'typed function references'] as const),
  ...[0xd3, 0xfb].map((b) => [b, 'garbage collection'] as const),
  [0xfe, 'threads (atomics)'],
]);

/** Byte codes of the external kinds in imports and exports (§5.5.5, tag as in 3.0). */
export const externKindCode = { func: 0x00, table: 0x01, mem: 0x02, global: 0x03, tag: 0x04 } as const;

/** Whether some function body uses a data index (`memory.init`, `data.drop`): such code needs
 *  the data count section, since code is decoded before the data section (§5.5.13). */
export function funcsUseDataIndex(funcs: readonly Func[]): boolean {
  return funcs.some((f) => {
    let uses = false;
    walkExpr(f.body, { instr: (i) => { uses ||= i.op === 'memory.init' || i.op === 'data.drop'; } });
    return uses;
  });
}

/** §5.3.1–5.3.3 value type codes (single bytes; negative numbers as s7). */
export const valTypeCode = {
  i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b, funcref: 0x70, externref: 0x6f,
} as const satisfies Record<ValType, number>;

export const valTypeByCode: ReadonlyMap<number, ValType> = new Map(
  (Object.keys(valTypeCode) as ValType[]).map((t) => [valTypeCode[t], t] as const),
);

/** The bytes of `parts` one after the other (strings of a data segment, pieces of a module). */
export function concatBytes(parts: readonly ArrayLike<number>[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
