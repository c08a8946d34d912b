// Store limits (beyond the appendix, as wasmtime's StoreLimits): caps an embedder sets on what one
// store may hold, so an untrusted module cannot take all of the host's memory. Counts are checked
// here, for every engine alike; how far a memory or table may grow is enforced by the engine, since
// memory.grow and table.grow run inside wasm (they fail there as past a maximum: -1).

import { wasmError, type WasmError } from './errors.js';
import type { Module as ModuleAst } from '../spec/structure/module.js';

export interface StoreLimits {
  /** Pages (64 KiB) one memory may have; growing past it fails. */
  readonly memoryPages?: number;
  /** Elements one table may have; growing past it fails. */
  readonly tableElements?: number;
  /** Module instances in the store. */
  readonly instances?: number;
  /** Tables in the store (defined by modules or allocated by table_alloc). */
  readonly tables?: number;
  /** Memories in the store (defined by modules or allocated by mem_alloc). */
  readonly memories?: number;
  /**
   * Bytes of stack one call into wasm may use (wasmtime's max_wasm_stack); past it a call is the
   * exhaustion "call stack exhausted". singlepass: native stack below the outermost entry,
   * through host functions that re-enter (the thread's 256 MiB wasm stack bounds it anyway);
   * reference: 8 bytes per value or local slot and 64 per frame, per invocation; v8: refused,
   * node's `--stack-size` sets it for the whole process.
   */
  readonly wasmStack?: number;
}

/**
 * How a store lays out its memories (beyond the appendix, as wasmtime's memory_reservation and
 * memory_guard_size): each memory reserves `reservation` bytes of address space, the most it may
 * grow to (memory.grow past it gives -1, as the spec allows any growth to fail; a memory starting
 * larger is an `exhaustion` error), followed by `guard` inaccessible bytes. Both are multiples of
 * 64 KiB; the defaults, 4 GiB and 4 GiB + 64 KiB, cover every address an i32 load or store can form,
 * so native code needs no bounds checks. Smaller ones let many more memories live at once, and the
 * native engines then compile code that checks bounds explicitly (slower). The reference and v8
 * engines keep only the growth limit.
 */
export interface MemoryConfig {
  readonly reservation?: number;
  readonly guard?: number;
}

const PAGE = 65536;
export const DEFAULT_RESERVATION = 2 ** 32;
/** An i32 address + a u32 offset + the widest access (16 bytes), rounded up to a page. */
const GUARDED_RANGE = 2 ** 33 + PAGE;
export const DEFAULT_GUARD = GUARDED_RANGE - DEFAULT_RESERVATION;

/**
 * A complete memory layout, checked; a wrong one throws a RangeError naming the mistake, the sizes
 * called by `names` (the option's names where they were given).
 */
export function memoryConfig(config: MemoryConfig | undefined, names = { reservation: 'store_init: memory.reservation', guard: 'store_init: memory.guard' }): Required<MemoryConfig> {
  const size = (name: string, n: number, min: number, max: number): number => {
    if (!Number.isSafeInteger(n) || n % PAGE !== 0 || n < min || n > max) {
      throw new RangeError(`${name} must be a multiple of 64KiB (65536) from ${min} to ${max} bytes, not ${n}`);
    }
    return n;
  };
  if (config?.guard !== undefined && config.reservation === undefined) {
    throw new RangeError(`${names.guard} needs a reservation too (the default guard belongs to the default 4GiB reservation)`);
  }
  const reservation = size(names.reservation, config?.reservation ?? DEFAULT_RESERVATION, PAGE, DEFAULT_RESERVATION);
  const guard = size(names.guard, config?.guard ?? (config?.reservation === undefined ? DEFAULT_GUARD : 0), 0, GUARDED_RANGE);
  return { reservation, guard };
}

/** Native code for memories of this layout must check bounds explicitly. */
export function explicitBoundsChecks(config: Required<MemoryConfig>): boolean {
  return config.reservation + config.guard < GUARDED_RANGE;
}

/** The limits with the reservation's growth limit folded in: every engine grows memories as far. */
export function withReservation(limits: StoreLimits, config: Required<MemoryConfig>): StoreLimits {
  const pages = config.reservation / PAGE;
  return pages >= 65536 || (limits.memoryPages !== undefined && limits.memoryPages <= pages) ? limits : { ...limits, memoryPages: pages };
}

/** What a store holds so far, against its limits. */
export class StoreUsage {
  private instances = 0;
  private tables = 0;
  private memories = 0;

  constructor(readonly limits: StoreLimits) {
    for (const [name, n] of Object.entries(limits)) {
      if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) throw new RangeError(`store limit ${name} must be a whole number ≥ 0, not ${n}`);
    }
  }

  /**
   * Counts an instance of `module` in, or says which limit it would pass ('exhaustion': the store
   * is out of what its embedder allows, as a stack is out of space).
   */
  instantiate(module: ModuleAst): WasmError | undefined {
    const { limits } = this;
    const over = (what: string, limit: number): WasmError => wasmError('exhaustion', `store limit: at most ${limit} ${what}`);
    if (limits.instances !== undefined && this.instances + 1 > limits.instances) return over('instances', limits.instances);
    if (limits.tables !== undefined && this.tables + module.tables.length > limits.tables) return over('tables', limits.tables);
    if (limits.memories !== undefined && this.memories + module.mems.length > limits.memories) return over('memories', limits.memories);
    for (const t of module.tables) {
      if (limits.tableElements !== undefined && t.type.limits.min > limits.tableElements) return over('elements in a table', limits.tableElements);
    }
    for (const m of module.mems) {
      if (limits.memoryPages !== undefined && m.type.limits.min > limits.memoryPages) return over('pages in a memory', limits.memoryPages);
    }
    this.instances++;
    this.tables += module.tables.length;
    this.memories += module.mems.length;
    return undefined;
  }

  /** Counts a table or memory of `min` elements or pages in; throws past a limit (an allocation has no error result). */
  alloc(kind: 'table' | 'mem', min: number): void {
    const { limits } = this;
    const [count, size, what] = kind === 'table'
      ? [limits.tables, limits.tableElements, 'table'] as const
      : [limits.memories, limits.memoryPages, 'memory'] as const;
    const held = kind === 'table' ? this.tables : this.memories;
    if (count !== undefined && held + 1 > count) throw new RangeError(`${kind}_alloc: store limit: at most ${count} ${what === 'table' ? 'tables' : 'memories'}`);
    if (size !== undefined && min > size) throw new RangeError(`${kind}_alloc: store limit: at most ${size} ${what === 'table' ? 'elements in a table' : 'pages in a memory'}`);
    if (kind === 'table') this.tables++;
    else this.memories++;
  }
}
