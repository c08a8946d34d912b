// Module values as module_decode makes them. The reference decoder builds the whole abstract syntax
// at once; a module for the native engines goes to the native decoder+validator first (it classifies
// every input as the reference does: test/fuzz-native.test.ts), and the abstract syntax is built only
// when something asks for it: the outline (no code) for imports, exports and instantiation, the whole
// syntax for the reference engine, the v8 engine's rewriting, or an embedder reading `ast`.

import type { ModuleValue } from './engine.js';
import { wasmError, type WasmError } from './errors.js';
import { validate } from './native.js';
import { decodeModule, decodeModuleOutline } from '../spec/binary/decode.js';
import { MalformedError } from '../spec/errors.js';
import type { Module as ModuleAst } from '../spec/structure/module.js';

/** The reference decoder's module, all of it at once; `bytes` are the module's own copy. */
export function referenceDecoded(bytes: Uint8Array): ModuleValue | WasmError {
  try {
    const ast = decodeModule(bytes);
    return { ast, outline: ast, bytes };
  } catch (e) {
    if (e instanceof MalformedError) return wasmError('malformed', e.message);
    throw e;
  }
}

/**
 * The native decoder+validator's module: malformed bytes are refused here, with the native
 * message; otherwise the module keeps its bytes and the verdict of validation. What the native
 * front end cannot judge (its own failures) is decoded by the reference decoder.
 */
export function nativeDecoded(bytes: Uint8Array): ModuleValue | WasmError {
  const verdict = validate(bytes);
  if (verdict === true) return new NativeDecoded(bytes, 'valid');
  switch (verdict.status) {
    case 'malformed': return wasmError('malformed', verdict.message);
    case 'invalid': return new NativeDecoded(bytes, wasmError('invalid', verdict.message));
    default: return referenceDecoded(bytes);
  }
}

class NativeDecoded implements ModuleValue {
  private whole: ModuleAst | undefined;
  private onlyOutline: ModuleAst | undefined;
  validated: ModuleValue['validated'];

  constructor(readonly bytes: Uint8Array, readonly verdict: 'valid' | WasmError) {}

  get ast(): ModuleAst {
    if (this.whole === undefined) {
      this.whole = agreed(() => decodeModule(this.bytes));
      this.onlyOutline = undefined;
    }
    return this.whole;
  }

  get outline(): ModuleAst {
    if (this.whole !== undefined) return this.whole;
    if (this.onlyOutline === undefined) {
      this.onlyOutline = agreed(() => decodeModuleOutline(this.bytes));
    }
    return this.onlyOutline;
  }
}

/** The reference decoder on bytes the native one found well-formed: a disagreement is a bug. */
function agreed(decode: () => ModuleAst): ModuleAst {
  try {
    return decode();
  } catch (e) {
    if (e instanceof MalformedError) {
      throw new Error(`internal error: the native decoder accepted a module the reference decoder finds malformed (${e.message})`);
    }
    throw e;
  }
}
