// The script format of the official testsuite (.wast): the spec interpreter's `script` grammar
// (spec repository, interpreter/README.md "Scripts").

import type { HeapType } from '../structure/types.js';

/** A module as a script gives it; parsing or decoding is deferred to the runner, since
 *  assert_malformed / assert_invalid expect that step to fail. */
export type ModuleSource =
  /** `(module …)` written out in text: the whole S-expression, to be parsed by the wat parser. */
  | { readonly type: 'text'; readonly text: string }
  /** `(module quote "…"*)`: the concatenated strings, parsed directly (they may hold a whole
   *  `(module …)` or only its fields; parseModule takes both). */
  | { readonly type: 'quote'; readonly text: string }
  /** `(module binary "…"*)`: the concatenated bytes, to be decoded. */
  | { readonly type: 'binary'; readonly bytes: Uint8Array };

/** A constant in an action's arguments or an expected result, exact bits. */
export type ScriptValue =
  | { readonly type: 'i32'; readonly value: number }
  | { readonly type: 'i64'; readonly value: bigint }
  | { readonly type: 'f32'; readonly bits: number }
  | { readonly type: 'f64'; readonly bits: bigint }
  | { readonly type: 'v128'; readonly bytes: Uint8Array }
  | { readonly type: 'ref.null'; readonly heaptype: HeapType }
  | { readonly type: 'ref.extern'; readonly host: number };

export type NanPattern = 'nan:canonical' | 'nan:arithmetic';

export type Expected =
  | { readonly kind: 'value'; readonly value: ScriptValue }
  | { readonly kind: 'nan'; readonly type: 'f32' | 'f64'; readonly nan: NanPattern }
  /** `(v128.const f32x4 …)` / `f64x2` with per-lane NaN patterns; other lanes exact bits. */
  | {
      readonly kind: 'v128lanes';
      readonly shape: 'f32x4' | 'f64x2';
      readonly lanes: readonly ({ readonly bits: number | bigint } | { readonly nan: NanPattern })[];
    }
  /** `(ref.func)` / `(ref.extern)` without an index: any non-null reference of that kind. */
  | { readonly kind: 'anyref'; readonly heaptype: HeapType }
  | { readonly kind: 'either'; readonly options: readonly Expected[] };

export type Action =
  | { readonly kind: 'invoke'; readonly module?: string; readonly name: string; readonly args: readonly ScriptValue[] }
  | { readonly kind: 'get'; readonly module?: string; readonly name: string };

/** One top-level command; `line` is its 1-based line in the .wast file. */
export type Command =
  | { readonly kind: 'module'; readonly line: number; readonly name?: string; readonly source: ModuleSource; readonly definition: boolean }
  | { readonly kind: 'instance'; readonly line: number; readonly name?: string; readonly module?: string }
  | { readonly kind: 'register'; readonly line: number; readonly as: string; readonly name?: string }
  | { readonly kind: 'action'; readonly line: number; readonly action: Action }
  | { readonly kind: 'assert_return'; readonly line: number; readonly action: Action; readonly expected: readonly Expected[] }
  | { readonly kind: 'assert_trap'; readonly line: number; readonly action: Action; readonly message: string }
  | { readonly kind: 'assert_exhaustion'; readonly line: number; readonly action: Action; readonly message: string }
  | {
      readonly kind: 'assert_invalid' | 'assert_malformed' | 'assert_unlinkable' | 'assert_uninstantiable';
      readonly line: number;
      readonly source: ModuleSource;
      readonly message: string;
    };
