// WASI preview1 for embedders: a program's options (args, env, preopens, stdio), the host functions
// for its `wasi_snapshot_preview1` imports, and its exit status. The functions themselves are
// native (host-shim/wasi/, through lib/native.ts), one implementation for every engine: on the
// reference and v8 engines each import is a host function that passes the engine's own memory
// bytes to native code without a copy; on the singlepass engine compiled code calls them directly.

import { closeSync, openSync } from 'node:fs';
import {
  func_alloc, func_invoke, instance_export,
  type ExternAddr, type Module, type ModuleInst,
} from '../lib/api.js';
import { isError, wasmError, type WasmError } from '../lib/errors.js';
import {
  NativeWasi, WASI_EXITED, isNativeFailure, wasiFunctions, type NativeStdio,
} from '../lib/native.js';
import { NativeEngine } from '../lib/engines/native.js';
import { live, own, ownerOf, type MemAddr, type Store } from '../lib/store.js';
import { i32 } from '../lib/values.js';
import { Linker, type ImportProvider } from '../lib/linker.js';
import { formatExternType } from '../lib/types.js';
import type { ExternType } from '../spec/structure/types.js';

/** The import module name of WASI preview1. */
export const WASI_MODULE = 'wasi_snapshot_preview1';

/** stdin: the host's (`'inherit'`), these bytes, or a file's contents. */
export type StdinOption = 'inherit' | Uint8Array | { readonly file: string };
/** stdout/stderr: the host's (`'inherit'`), kept in memory (`'buffer'`, see {@link Wasi.stdout}), or a file (created or truncated). */
export type OutputOption = 'inherit' | 'buffer' | { readonly file: string };

export interface Preopen {
  /** The host directory. */
  readonly host: string;
  /** The path the program sees it as (e.g. `/data` or `.`). */
  readonly guest: string;
  /** Refuse every change beneath it (writes, creates, renames, unlinks, links, times). */
  readonly readonly?: boolean;
}

export interface WasiOptions {
  /** The program's argv, argv[0] included. */
  readonly args?: readonly string[];
  /** The environment, as a record or as `KEY=VALUE` strings. Nothing of the host's is passed unless given. */
  readonly env?: Readonly<Record<string, string>> | readonly string[];
  /** The directories the program may reach, in order (guest fds 3, 4, …); nothing else is visible. */
  readonly preopens?: readonly Preopen[];
  readonly stdin?: StdinOption;
  readonly stdout?: OutputOption;
  readonly stderr?: OutputOption;
  /** Resolve paths by walking components even where openat2 exists (to test that path). @internal */
  readonly resolver?: 'auto' | 'walk';
}

/** The cause of the error a `proc_exit` returns: the program ended with this status. */
export class WasiExit {
  constructor(readonly code: number) {}
}

/** The exit status if `error` is a WASI program ending (proc_exit), else undefined. */
export function exitCode(error: WasmError): number | undefined {
  return error.cause instanceof WasiExit ? error.cause.code : undefined;
}

/** Options the native side could not set up (a preopen that is not a directory, a file that cannot be opened). */
export class WasiSetupError extends Error {
  override readonly name = 'WasiSetupError';
}

function openFile(path: string, flags: 'r' | 'w', what: string): number {
  try {
    return openSync(path, flags);
  } catch (e) {
    throw new WasiSetupError(`${what}: cannot open ${path}: ${(e as Error).message}`);
  }
}

/**
 * One WASI program's state, for one instance. Build the imports with {@link Wasi.imports} (WASI
 * only) or add it to a `Linker` beside other imports, instantiate, then {@link Wasi.start} (a
 * command) or {@link Wasi.initialize} (a reactor, whose exports you call yourself).
 *
 * A start function (spec 2.5.9) may call WASI when the module is instantiated by
 * {@link Wasi.instantiate} or a `Linker` (which bind the memory before it runs); with
 * module_instantiate and {@link Wasi.imports}, its WASI calls fail with a host error, as the
 * memory is bound only by start, initialize or bind.
 */
export class Wasi implements ImportProvider {
  private readonly native: NativeWasi;
  private memory: MemAddr | undefined;
  private instance: ModuleInst | undefined;
  private readonly slots = new BigUint64Array(16);

  /** Throws WasiSetupError when a preopen or a stdio file cannot be opened. */
  constructor(options: WasiOptions = {}) {
    const env = options.env === undefined ? [] : Array.isArray(options.env)
      ? [...(options.env as readonly string[])]
      : Object.entries(options.env as Record<string, string>).map(([k, v]) => `${k}=${v}`);
    const opened: number[] = [];
    const output = (o: OutputOption | undefined, fd: 1 | 2): NativeStdio => {
      if (o === undefined || o === 'inherit') return { fd };
      if (o === 'buffer') return { memory: new Uint8Array(0) };
      const host = openFile(o.file, 'w', fd === 1 ? 'stdout' : 'stderr');
      opened.push(host);
      return { fd: host };
    };
    try {
      const stdin = options.stdin;
      let input: NativeStdio;
      if (stdin === undefined || stdin === 'inherit') input = { fd: 0 };
      else if (stdin instanceof Uint8Array) input = { memory: stdin };
      else opened.push((input = { fd: openFile(stdin.file, 'r', 'stdin') }).fd);
      const native = NativeWasi.create({
        args: options.args ?? [],
        env,
        preopens: (options.preopens ?? []).map((p) => ({ host: p.host, guest: p.guest, readonly: p.readonly === true })),
        stdio: [input, output(options.stdout, 1), output(options.stderr, 2)],
        walk: options.resolver === 'walk',
      });
      if (isNativeFailure(native)) throw new WasiSetupError(native.message);
      this.native = native;
    } finally {
      // The native side holds its own duplicates.
      for (const fd of opened) closeSync(fd);
    }
  }

  /**
   * Host functions for `module`'s imports, in its import order, to pass to module_instantiate.
   * Every import must be a `wasi_snapshot_preview1` function; anything else is an `unlinkable`
   * error naming it. To combine WASI with other imports, add this object to a `Linker` as a provider.
   */
  imports(store: Store, module: Module): [Store, ExternAddr[] | WasmError] {
    return this.linker().resolve(store, module);
  }

  /**
   * Instantiates `module` with these WASI functions as its imports (WASI only, as imports()),
   * binding its memory before its start function runs, so that function may call WASI.
   */
  instantiate(store: Store, module: Module): [Store, ModuleInst | WasmError] {
    return this.linker().instantiate(store, module);
  }

  private linker(): Linker {
    return new Linker('only WASI imports are provided (a Linker combines them with others)').provide(this);
  }

  /**
   * For a Linker: binds to the new instance before its start function runs, if the instance
   * exports a memory; a Wasi bound to another instance already refuses it (an `argument` error).
   */
  instantiated(instance: ModuleInst): WasmError | undefined {
    const mem = instance_export(instance, 'memory');
    // Without a memory there is nothing to bind yet: start() or initialize() will say so.
    if (this.instance === undefined && (isError(mem) || mem.kind !== 'mem')) return undefined;
    const bound = this.bind(instance);
    return isError(bound) ? bound : undefined;
  }

  /** The `wasi_snapshot_preview1` functions, for a {@link Linker} (ImportProvider). */
  provide(store: Store, mod: string, name: string, type: ExternType): [Store, ExternAddr | undefined | WasmError] {
    if (mod !== WASI_MODULE) return [store, undefined];
    const f = wasiFunctions().find((x) => x.name === name);
    if (f === undefined || type.kind !== 'func') {
      return [store, wasmError('unlinkable', `unknown import "${mod}" "${name}" (${formatExternType(type)}): not a ${WASI_MODULE} function`)];
    }
    const { id, params } = f;
    const st = live(store);
    const { engine } = st;
    if (engine instanceof NativeEngine) {
      // Compiled code calls the native implementation directly: no JS on the path.
      const addr = engine.wasiFuncAlloc(this.native, id);
      return [st.advance(), st.addr('func', addr)];
    }
    const exitName = f.results.length === 0;
    return func_alloc(store, { params: [...params], results: [...f.results] }, (s, args) => {
      const memory = this.memory;
      if (memory === undefined) return wasmError('host', `${WASI_MODULE}.${name} called before the memory was bound (Wasi.start, Wasi.initialize or Wasi.bind)`);
      const cur = live(s);
      const bytes = cur.engine.memBytes(own(cur, memory, 'mem'));
      const slots = this.slots;
      for (let i = 0; i < args.length; i++) {
        const v = args[i]!;
        if (v.type === 'i64') slots[i] = BigInt.asUintN(64, v.value);
        else if (v.type === 'i32') slots[i] = BigInt(v.value >>> 0);
      }
      const errno = this.native.call(id, slots, bytes);
      if (errno === WASI_EXITED) {
        const code = this.native.exitCode() ?? 0;
        return wasmError('host', `the program exited with status ${code} (${name})`, new WasiExit(code));
      }
      return [s, exitName ? [] : [i32(errno)]];
    });
  }

  /**
   * Use the instance's exported `memory` for the WASI calls (needed before any export runs). A
   * Wasi belongs to one instance: binding it to another is an `argument` error.
   */
  bind(instance: ModuleInst): true | WasmError {
    if (this.instance !== undefined && this.instance !== instance) {
      return wasmError('argument', 'this Wasi belongs to another instance: make a new Wasi for each program instance');
    }
    const mem = instance_export(instance, 'memory');
    if (isError(mem) || mem.kind !== 'mem') return wasmError('argument', 'a WASI program must export its memory as "memory"');
    this.instance = instance;
    this.memory = mem;
    const st = ownerOf(instance);
    if (st.engine instanceof NativeEngine) st.engine.wasiBindMemory(this.native, own(st, mem, 'mem'));
    return true;
  }

  /**
   * Readies a reactor (a module whose exports are called by the embedder): binds the memory and
   * calls `_initialize` if the module exports one, as the WASI application ABI asks before any
   * other export is called.
   */
  initialize(store: Store, instance: ModuleInst): [Store, true | WasmError] {
    const bound = this.bind(instance);
    if (isError(bound)) return [store, bound];
    const init = instance_export(instance, '_initialize');
    if (isError(init)) return [store, true];
    if (init.kind !== 'func') return [store, wasmError('argument', 'the export "_initialize" of a WASI reactor must be a function')];
    const [s, results] = func_invoke(store, init, []);
    if (!isError(results)) return [s, true];
    return [s, results];
  }

  /**
   * Runs a command: binds the memory and calls `_start`. The result is the exit status (0 when
   * `_start` returns, proc_exit's code otherwise), or the error (a trap, …) that ended it.
   */
  start(store: Store, instance: ModuleInst): [Store, number | WasmError] {
    const bound = this.bind(instance);
    if (isError(bound)) return [store, bound];
    const start = instance_export(instance, '_start');
    if (isError(start) || start.kind !== 'func') return [store, wasmError('argument', 'a WASI command must export a function "_start"')];
    const [s, results] = func_invoke(store, start, []);
    if (!isError(results)) return [s, 0];
    return [s, this.exitStatus(results) ?? results];
  }

  /** The exit status if `error` ended the program through proc_exit (or a fatal proc_raise), else undefined. */
  exitStatus(error: WasmError): number | undefined {
    // Directly bound functions (native engine) end the call with a host error; the code is native-side.
    return exitCode(error) ?? (error.kind === 'host' ? this.native.exitCode() : undefined);
  }

  /** What the program wrote to stdout, when it is `'buffer'`. */
  stdout(): Uint8Array {
    return this.native.output(1);
  }

  /** What the program wrote to stderr, when it is `'buffer'`. */
  stderr(): Uint8Array {
    return this.native.output(2);
  }

  /** Closes every descriptor the program still holds. */
  free(): void {
    this.native.free();
  }
}
