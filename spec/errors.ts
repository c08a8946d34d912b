// The error classes of the reference engine. Each carries the message the official testsuite
// expects (e.g. "integer divide by zero", "type mismatch", "unexpected end"); the lib turns them
// into returned `error` values.

export abstract class SpecError extends Error {
  abstract readonly kind: 'malformed' | 'invalid' | 'unlinkable' | 'trap' | 'exhaustion';
  /** For a trap or exhaustion in wasm code: the store addresses of the functions running, innermost first. */
  trace?: number[];
}

/** The binary or text form does not derive a module (assert_malformed). */
export class MalformedError extends SpecError {
  readonly kind = 'malformed';
}

/** The module is not valid (assert_invalid). */
export class ValidationError extends SpecError {
  readonly kind = 'invalid';
}

/** Imports do not match (assert_unlinkable). */
export class LinkError extends SpecError {
  readonly kind = 'unlinkable';
}

/** A trap during execution (assert_trap). */
export class Trap extends SpecError {
  readonly kind = 'trap';
}

/** A resource bound reached: the call depth, "call stack exhausted" (assert_exhaustion), or an
 *  implementation limit when instantiating (spec/limits.ts: "table too large"). */
export class Exhaustion extends SpecError {
  readonly kind = 'exhaustion';
}
