// Implementation limits (spec appendix "Implementation Limitations"): bounds the embedder puts on
// a module. A module over one is refused where it is read, binary or text, as malformed with the
// limit's message; a table over MAX_TABLE_SIZE is refused when instantiated (the testsuite has a
// valid module declaring a 2^32 - 1 element table). The values are the WebAssembly JS API's
// ("Limits"), as V8 in Node 20 enforces them, so the three engines accept the same modules, but
// for exports: 1,000,000 (as many as functions) rather than V8's 100,000, so that modules such as
// clang's (133,000 exports) load. The v8 engine does not hand V8 the function exports (it reaches
// functions through a table, lib/engines/v8.ts), so only other kinds of exports count there.
//
// host-shim/environ/limits.h holds the same limits under the same names for the native engine;
// test/limits.test.ts checks that the two agree.
//
// Nesting of blocks has no limit of its own: both decoders and every walk over instructions use
// explicit stacks, so depth costs heap memory only, and MAX_FUNCTION_SIZE bounds it (a block
// takes at least two bytes, so at most 3,827,160 nested blocks in one body).

import { MalformedError } from './errors.js';
import type { Module } from './structure/module.js';

export interface Limit {
  readonly max: number;
  readonly message: string;
}

export const MAX_MODULE_SIZE: Limit = { max: 1_073_741_824, message: 'module too large' };
export const MAX_TYPES: Limit = { max: 1_000_000, message: 'too many types' };
/** Functions defined in the module (the function section). */
export const MAX_FUNCTIONS: Limit = { max: 1_000_000, message: 'too many functions' };
export const MAX_IMPORTS: Limit = { max: 100_000, message: 'too many imports' };
export const MAX_EXPORTS: Limit = { max: 1_000_000, message: 'too many exports' };
/** Globals defined in the module (the global section). */
export const MAX_GLOBALS: Limit = { max: 1_000_000, message: 'too many globals' };
export const MAX_DATA_SEGMENTS: Limit = { max: 100_000, message: 'too many data segments' };
/** Tables, imported ones included. */
export const MAX_TABLES: Limit = { max: 100_000, message: 'too many tables' };
/** Parameters of one function type. */
export const MAX_PARAMS: Limit = { max: 1_000, message: 'too many parameters' };
/** Results of one function type. */
export const MAX_RESULTS: Limit = { max: 1_000, message: 'too many results' };
/** Bytes of one function body, its locals declarations included. */
export const MAX_FUNCTION_SIZE: Limit = { max: 7_654_321, message: 'function body too large' };
/** Locals of one function, its parameters included: checked as each run is read, before any
 *  is allocated (a run may declare 2^32 - 1). */
export const MAX_LOCALS: Limit = { max: 50_000, message: 'too many locals' };
/** Elements of one table when it is allocated (initial size, or grown). */
export const MAX_TABLE_SIZE: Limit = { max: 10_000_000, message: 'table too large' };

/** Refuses `n` things where `limit` allows fewer, before anything is allocated for them. */
export function checkLimit(limit: Limit, n: number): void {
  if (n > limit.max) throw new MalformedError(limit.message);
}

/** The limits of a module read from text, whose counts are known once it is read (the binary
 *  decoder checks each count as it reads it). Sizes in bytes are the binary format's only. */
export function checkModuleLimits(m: Module): void {
  checkLimit(MAX_TYPES, m.types.length);
  for (const t of m.types) {
    checkLimit(MAX_PARAMS, t.params.length);
    checkLimit(MAX_RESULTS, t.results.length);
  }
  checkLimit(MAX_IMPORTS, m.imports.length);
  checkLimit(MAX_FUNCTIONS, m.funcs.length);
  checkLimit(MAX_TABLES, m.imports.filter((i) => i.desc.kind === 'table').length + m.tables.length);
  checkLimit(MAX_GLOBALS, m.globals.length);
  checkLimit(MAX_EXPORTS, m.exports.length);
  checkLimit(MAX_DATA_SEGMENTS, m.datas.length);
  for (const f of m.funcs) checkLimit(MAX_LOCALS, (m.types[f.type]?.params.length ?? 0) + f.locals.length);
}
