// A linker (beyond the appendix, as wasmtime's Linker): resolves a module's imports by (module,
// name) from several providers — host functions, other instances' exports, WASI — and gives the
// external addresses in the module's import order, ready for module_instantiate.

import {
  func_alloc, module_imports, module_instantiate, type HostFunc, type Module,
} from './api.js';
import { isError, wasmError, type WasmError } from './errors.js';
import { live, type ExternAddr, type ModuleInst, type Store, type StoreState } from './store.js';
import { formatExternType } from './types.js';
import type { ExternType, FuncType } from '../spec/structure/types.js';

/**
 * Something that supplies imports by name, in whatever store it is asked for them (WASI is one:
 * see `Wasi` in `wasmo/wasi`). `provide` returns the extern for import `module`.`name` of `type`,
 * allocating it in `store` if need be, `undefined` when it has no such import, or an error when it
 * knows the name but cannot supply it (the error is returned from {@link Linker.resolve} as is).
 */
export interface ImportProvider {
  provide(store: Store, module: string, name: string, type: ExternType): [Store, ExternAddr | undefined | WasmError];
  /**
   * Called by {@link Linker.instantiate} with each new instance it supplied imports to, before the
   * instance's start function runs (WASI binds the instance's memory here, so a start function may
   * call WASI). An error ends the instantiation with it.
   */
  instantiated?(instance: ModuleInst): WasmError | undefined;
}

type Definition =
  | { readonly kind: 'extern'; readonly addr: ExternAddr }
  | { readonly kind: 'host'; readonly type: FuncType; readonly func: HostFunc };

const key = (module: string, name: string): string => `${module}\u0000${name}`;

/**
 * Definitions by (module, name), looked up first, then providers in the order they were added.
 * Defining the same name twice throws: which one an import would get would be a surprise.
 */
export class Linker {
  private readonly definitions = new Map<string, Definition>();
  private readonly providers: ImportProvider[] = [];
  // Host functions are allocated once per store they are linked into.
  private readonly allocated = new WeakMap<StoreState, Map<string, ExternAddr>>();

  /** `unknownHint` is added to "unknown import" errors (what this linker is meant to supply). */
  constructor(private readonly unknownHint?: string) {}

  /** Import `module`.`name` resolves to `addr` (an address of the store it will be used in). */
  define(module: string, name: string, addr: ExternAddr): this {
    return this.add(module, name, { kind: 'extern', addr });
  }

  /** Import `module`.`name` resolves to a host function of `type`, allocated in each store on first use. */
  defineFunc(module: string, name: string, type: FuncType, func: HostFunc): this {
    return this.add(module, name, { kind: 'host', type, func });
  }

  /** Every export of `instance` is importable as `module`.`<export name>`. */
  defineInstance(module: string, instance: ModuleInst): this {
    for (const { name, addr } of instance.exports) this.define(module, name, addr);
    return this;
  }

  /** Imports not defined by name are asked of `provider` (after the providers added before it). */
  provide(provider: ImportProvider): this {
    this.providers.push(provider);
    return this;
  }

  /**
   * The external addresses for `module`'s imports, in order, allocating host functions in `store`
   * as needed. An import nobody supplies is an `unlinkable` "unknown import" naming it; one whose
   * supplied type does not match is left to module_instantiate ("incompatible import type").
   */
  resolve(store: Store, module: Module): [Store, ExternAddr[] | WasmError] {
    return this.resolveFor(store, module, new Set());
  }

  /** resolve, adding to `used` every provider that supplied an import. */
  private resolveFor(store: Store, module: Module, used: Set<ImportProvider>): [Store, ExternAddr[] | WasmError] {
    const externs: ExternAddr[] = [];
    for (const [mod, name, type] of module_imports(module)) {
      let found: ExternAddr | undefined | WasmError;
      const def = this.definitions.get(key(mod, name));
      if (def !== undefined) {
        [store, found] = this.materialize(store, key(mod, name), def);
      } else {
        for (const p of this.providers) {
          [store, found] = p.provide(store, mod, name, type);
          if (found !== undefined) {
            used.add(p);
            break;
          }
        }
      }
      if (isError(found)) return [store, found];
      if (found === undefined) {
        const hint = this.unknownHint === undefined ? '' : `: ${this.unknownHint}`;
        return [store, wasmError('unlinkable', `unknown import "${mod}" "${name}" (${formatExternType(type)})${hint}`)];
      }
      externs.push(found);
    }
    return [store, externs];
  }

  /**
   * Resolves `module`'s imports, then instantiates it (the store is consumed either way); the
   * providers that supplied imports see the instance before its start function runs.
   */
  instantiate(store: Store, module: Module): [Store, ModuleInst | WasmError] {
    const used = new Set<ImportProvider>();
    const [s, externs] = this.resolveFor(store, module, used);
    if (isError(externs)) return [s, externs];
    return module_instantiate(s, module, externs, (instance) => {
      for (const p of used) {
        const refused = p.instantiated?.(instance);
        if (refused !== undefined) return refused;
      }
      return undefined;
    });
  }

  private add(module: string, name: string, def: Definition): this {
    const k = key(module, name);
    if (this.definitions.has(k)) throw new Error(`Linker: "${module}" "${name}" is defined already`);
    this.definitions.set(k, def);
    return this;
  }

  private materialize(store: Store, k: string, def: Definition): [Store, ExternAddr] {
    if (def.kind === 'extern') return [store, def.addr];
    const st = live(store);
    let cache = this.allocated.get(st);
    if (cache === undefined) this.allocated.set(st, (cache = new Map()));
    const known = cache.get(k);
    if (known !== undefined) return [store, known];
    const [s, addr] = func_alloc(store, def.type, def.func);
    cache.set(k, addr);
    return [s, addr];
  }
}
