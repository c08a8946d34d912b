// Errors of the embedding API. The spec's `error` results are returned values, told apart by
// `isError`; exceptions are only for programmer errors (a consumed store, a foreign address).

import { functionNames } from '../spec/binary/names.js';
import type { Module as ModuleAst } from '../spec/structure/module.js';

const errorBrand: unique symbol = Symbol('wasmo.error');

/**
 * What went wrong, in the testsuite's classification:
 * - `malformed`: bytes or text do not form a module (module_decode / module_parse)
 * - `invalid`: the module does not validate (module_validate)
 * - `unlinkable`: imports do not match the module's import types (module_instantiate)
 * - `uninstantiable`: a trap while running segment initialisers or the start function
 * - `trap`: a trap during func_invoke
 * - `exhaustion`: a resource bound was reached: the call stack ("call stack exhausted"), or when
 *   instantiating, an implementation limit ("table too large", spec/limits.ts) or the host's
 *   resources (memory or address space for a memory: "native engine: cannot reserve …")
 * - `host`: a host function returned an error or threw
 * - `argument`: an argument the embedder passed does not fit (wrong type, out of range index,
 *   immutable global, failed grow)
 * - `unsupported`: the module is valid, but this engine cannot run it yet; the message starts
 *   "not supported yet:" and names what (e.g. exception handling)
 */
export type ErrorKind =
  | 'malformed' | 'invalid' | 'unlinkable' | 'uninstantiable' | 'trap' | 'exhaustion' | 'host' | 'argument'
  | 'unsupported';

/** The spec's `error`, refined with a classification and a message a person understands. */
export interface WasmError {
  readonly [errorBrand]: true;
  readonly kind: ErrorKind;
  /** For traps and module errors: the spec's text as the testsuite states it. */
  readonly message: string;
  /** The exception a host function threw, when that is the origin. */
  readonly cause?: unknown;
  /**
   * For a trap (kinds `trap` and `uninstantiable`, and `exhaustion` when the call stack ran out):
   * the wasm frames that were running, innermost first, at most MAX_TRACE_FRAMES of them. Only
   * the frames of the innermost wasm activation: a trap in wasm called by a host function does not
   * list the wasm that called the host function. The same on every engine.
   */
  readonly trace?: readonly TraceFrame[];
}

/** One frame of a trap's backtrace (WasmError.trace). */
export interface TraceFrame {
  /** The function's index in its module's function index space (imported functions first). */
  readonly func: number;
  /** Its name in the module's name section (spec appendix 7.4), when it has one. */
  readonly name?: string;
}

const moduleNames = new WeakMap<ModuleAst, ReadonlyMap<number, string>>();

/** The frame of function `func` of a module, named from its name section. */
export function traceFrame(module: ModuleAst, func: number): TraceFrame {
  let names = moduleNames.get(module);
  if (names === undefined) {
    names = functionNames(module.customs);
    moduleNames.set(module, names);
  }
  const name = names.get(func);
  return name === undefined ? { func } : { func, name };
}

/** The innermost frames a trace keeps (a trace of call stack exhaustion would be endless). */
export const MAX_TRACE_FRAMES = 100;

export function wasmError(kind: ErrorKind, message: string, cause?: unknown, trace?: readonly TraceFrame[]): WasmError {
  const e: { -readonly [K in keyof WasmError]: WasmError[K] } = { [errorBrand]: true as const, kind, message };
  if (cause !== undefined) e.cause = cause;
  if (trace !== undefined && trace.length > 0) e.trace = Object.freeze(trace.slice(0, MAX_TRACE_FRAMES).map((f) => Object.freeze({ ...f })));
  return Object.freeze(e);
}

/**
 * A trace as wasmtime prints one: a line per frame, innermost first, "    0: name (wasm-function[3])"
 * or "    0: wasm-function[3]" for a function without a name; '' for no trace.
 */
export function formatTrace(trace: readonly TraceFrame[] | undefined): string {
  if (trace === undefined || trace.length === 0) return '';
  const lines = trace.map((f, i) => `    ${i}: ${f.name === undefined ? `wasm-function[${f.func}]` : `${f.name} (wasm-function[${f.func}])`}\n`);
  return `wasm backtrace:\n${lines.join('')}`;
}

/**
 * What a thrown value says, for a message: its message if it is an Error, else its string form;
 * never throws itself (a host function may throw anything, a Proxy or an object whose toString throws).
 */
export function describeThrown(e: unknown): string {
  try {
    return e instanceof Error ? String(e.message) : String(e);
  } catch {
    try {
      return `a thrown ${Object.prototype.toString.call(e)} that cannot be shown`;
    } catch {
      return 'a thrown value that cannot be shown';
    }
  }
}

/** Type guard: is this result an `error`? */
export function isError(x: unknown): x is WasmError {
  if (typeof x !== 'object' || x === null) return false;
  try {
    return (x as { [errorBrand]?: unknown })[errorBrand] === true;
  } catch {
    return false;  // a Proxy whose get trap throws is no error of ours
  }
}

/** A store was used after an operation consumed it (every mutating operation returns a new one). */
export class StaleStoreError extends Error {
  override readonly name = 'StaleStoreError';
}

/** An address or module instance was passed to a store it does not belong to. */
export class ForeignAddressError extends Error {
  override readonly name = 'ForeignAddressError';
}
