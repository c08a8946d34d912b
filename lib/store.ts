// Store values, addresses and module instances of the public API, and the conversions between
// public values (function references as address objects) and the engine seam's (plain indices).
//
// A store is a value: the engine's state underneath is mutated in place, and every operation that
// changes it mints a new `Store` and consumes the old one, so a consumed store fails loudly
// (StaleStoreError) instead of silently seeing newer state. Addresses and instances belong to the
// lineage (StoreState), not to one store value, so they stay valid across the chain.

import type { Engine, EngineName, EngineRef, EngineVal } from './engine.js';
import { ForeignAddressError, StaleStoreError } from './errors.js';
import type { StoreUsage } from './store-limits.js';
import type { Ref as RefOf, Val as ValOf } from './values.js';
import type { ExternKind, ValType } from '../spec/structure/types.js';
import { refTypeOf } from '../spec/structure/types.js';

export type AddrKind = ExternKind | 'exn';

// Stores and addresses are minted by lineages only: their constructors want this token.
const minting = Symbol('minting');

/** An address in one store lineage; interned, so equal addresses are the same object. */
export class Addr<K extends AddrKind> {
  // Its lineage, in a private field: checked on every call (own), where a table look-up would cost
  // a noticeable part of it, and nothing outside can forge or change it.
  readonly #owner: StoreState;

  /** @internal Only the store creates addresses (through the store lineage's interning). */
  constructor(readonly kind: K, readonly index: number, owner: StoreState, token: symbol) {
    if (token !== minting) throw new TypeError('addresses are made by their store');
    this.#owner = owner;
  }

  /** @internal */
  static owner(addr: Addr<AddrKind>): StoreState {
    return addr.#owner;
  }
}

export type FuncAddr = Addr<'func'>;
export type TableAddr = Addr<'table'>;
export type MemAddr = Addr<'mem'>;
export type GlobalAddr = Addr<'global'>;
export type TagAddr = Addr<'tag'>;
export type ExnAddr = Addr<'exn'>;
export type ExternAddr = FuncAddr | TableAddr | MemAddr | GlobalAddr | TagAddr;

export type Val = ValOf<FuncAddr>;
export type Ref = RefOf<FuncAddr>;

/**
 * One store value; opaque apart from the name of the engine that runs it. Disposing any store
 * value of a lineage (`using store = store_init()`) frees the lineage, as `store_free` does.
 */
export class Store {
  // Its lineage and its place in it, in private fields: reading them costs no table look-up, and
  // nothing outside can change them. A store is current while its generation is the lineage's.
  readonly #lineage: StoreState;
  readonly #generation: number;

  /** @internal Only the store lineage mints stores. */
  constructor(readonly engine: EngineName, state: StoreState, generation: number, token: symbol) {
    if (token !== minting) throw new TypeError('stores are made by store_init');
    this.#lineage = state;
    this.#generation = generation;
  }

  /** @internal */
  static lineage(store: Store): StoreState {
    if (!(store instanceof Store)) throw new TypeError('not a store');
    return store.#lineage;
  }

  /** @internal */
  static generation(store: Store): number {
    return store.#generation;
  }

  [Symbol.dispose](): void {
    this.#lineage.free();
  }
}

/** A module instance: its exports, in order. */
export class ModuleInst {
  constructor(readonly exports: readonly { readonly name: string; readonly addr: ExternAddr }[]) {}
}

// Which lineage each instance belongs to. A WeakMap keeps that out of the public objects, so
// embedders cannot forge or re-home them.
const owners = new WeakMap<object, StoreState>();

/** The state behind a chain of store values: the engine and the interned addresses. */
export class StoreState {
  private generation = 0;
  // The store value of the current generation, minted when first asked for: an operation that
  // consumes the store and then advances it again makes one object, not two.
  private minted: Store | undefined;
  private readonly interned = new Map<AddrKind, Addr<AddrKind>[]>();
  private freed = false;

  constructor(readonly engine: Engine, readonly usage: StoreUsage) {}

  /** The current store value (read twice by every host call: minting stays out of line). */
  get current(): Store {
    return this.minted ?? this.mint();
  }

  private mint(): Store {
    this.minted = new Store(this.engine.name, this, this.generation, minting);
    return this.minted;
  }

  /** Is `store` this lineage's current value? */
  isCurrent(store: Store): boolean {
    return Store.generation(store) === this.generation;
  }

  /** Releases everything of the engine's at once; every store value of the lineage is consumed. */
  free(): void {
    if (this.freed) return;
    this.engine.free();
    this.freed = true;
  }

  get isFreed(): boolean {
    return this.freed;
  }

  /** Consume the current store value and mint its successor. */
  advance(): Store {
    this.consume();
    return this.current;
  }

  /** Consume the current store value; its successor is minted when asked for. */
  consume(): void {
    this.generation++;
    this.minted = undefined;
  }

  addr<K extends AddrKind>(kind: K, index: number): Addr<K> {
    let list = this.interned.get(kind);
    if (list === undefined) this.interned.set(kind, (list = []));
    let a = list[index];
    if (a === undefined) {
      a = new Addr(kind, index, this, minting);
      list[index] = a;
    }
    return a as Addr<K>;
  }

  instance(exports: ModuleInst['exports']): ModuleInst {
    const inst = new ModuleInst(exports);
    owners.set(inst, this);
    return inst;
  }
}

/** The lineage of any store value, consumed or not. */
export function lineage(store: Store): StoreState {
  return Store.lineage(store);
}

/** The lineage of a store value that is still current; throws for a consumed one. */
export function live(store: Store): StoreState {
  const st = Store.lineage(store);
  if (st.isFreed) throw new StaleStoreError('this store was freed (store_free)');
  if (!st.isCurrent(store)) {
    throw new StaleStoreError('this store was consumed by an operation that returned a new one');
  }
  return st;
}

/** The store index of `addr`, which must be a `kind` address of lineage `st`. */
export function own<K extends AddrKind>(st: StoreState, addr: Addr<K>, kind: K): number {
  if (!(addr instanceof Addr) || addr.kind !== kind) throw new TypeError(`not a ${kind} address`);
  if (Addr.owner(addr) !== st) throw new ForeignAddressError(`${kind} address from another store`);
  return addr.index;
}

/** The lineage a module instance belongs to. */
export function ownerOf(inst: ModuleInst): StoreState {
  const st = owners.get(inst);
  if (!(inst instanceof ModuleInst) || st === undefined) throw new TypeError('not a module instance');
  return st;
}

const I32_MIN = -(2 ** 31);
const I64_MIN = -(1n << 63n);
const U64_END = 1n << 64n;

/**
 * The value type of a public value, after checking that it is a well-formed representation.
 * A malformed representation (an i32 outside [-2^31, 2^31), a 15-byte v128, …) is a programmer
 * error the type system cannot catch, so it throws (RangeError / TypeError) rather than
 * returning the spec's `error`, which is kept for values of the wrong wasm type.
 */
export function valType(v: Val): ValType {
  switch (v.type) {
    case 'i32':
      if (!Number.isInteger(v.value) || v.value < I32_MIN || v.value > 2 ** 31 - 1) {
        throw new RangeError(`i32 value must be a signed 32-bit integer, got ${v.value}`);
      }
      return 'i32';
    case 'i64':
      if (typeof v.value !== 'bigint' || v.value < I64_MIN || v.value >= -I64_MIN) {
        throw new RangeError(`i64 value must be a signed 64-bit bigint, got ${String(v.value)}`);
      }
      return 'i64';
    case 'f32':
      if (!Number.isInteger(v.bits) || v.bits < 0 || v.bits >= 2 ** 32) {
        throw new RangeError(`f32 bits must be an unsigned 32-bit integer, got ${v.bits}`);
      }
      return 'f32';
    case 'f64':
      if (typeof v.bits !== 'bigint' || v.bits < 0n || v.bits >= U64_END) {
        throw new RangeError(`f64 bits must be an unsigned 64-bit bigint, got ${String(v.bits)}`);
      }
      return 'f64';
    case 'v128':
      if (!(v.bytes instanceof Uint8Array) || v.bytes.length !== 16) {
        throw new RangeError('v128 value must be a Uint8Array of 16 bytes');
      }
      return 'v128';
    case 'ref.null':
      if (v.heaptype !== 'func' && v.heaptype !== 'extern') {
        throw new TypeError(`unknown heap type ${String(v.heaptype)}`);
      }
      return refTypeOf(v.heaptype);
    case 'ref.func':
      return 'funcref';
    case 'ref.extern':
      if (typeof v.host !== 'number') throw new TypeError('ref.extern host value must be a number');
      return 'externref';
    default:
      throw new TypeError(`not a value: ${JSON.stringify(v satisfies never)}`);
  }
}

/**
 * A public value at the seam, once `valType` has checked its representation; v128 bytes are
 * copied so the caller cannot reach store state.
 */
export function engineValOf(st: StoreState, v: Val): EngineVal {
  switch (v.type) {
    case 'v128':
      return { type: 'v128', bytes: v.bytes.slice() };
    case 'ref.func':
      return { type: 'ref.func', addr: own(st, v.addr, 'func') };
    default:
      return v;
  }
}

/** A seam value as a public one; v128 bytes are copied (see {@link engineValOf}). */
export function fromEngineVal(st: StoreState, v: EngineVal): Val {
  switch (v.type) {
    case 'v128':
      return { type: 'v128', bytes: v.bytes.slice() };
    case 'ref.func':
      return { type: 'ref.func', addr: st.addr('func', v.addr) };
    default:
      return v;
  }
}

/**
 * Seam values as public ones. Engines return fresh arrays, so numbers-only results (the common
 * case of a call) are handed on as they are, without a copy.
 */
export function fromEngineVals(st: StoreState, vals: EngineVal[]): Val[] {
  for (let i = 0; i < vals.length; i++) {
    const v = vals[i]!;
    if (v.type === 'v128' || v.type === 'ref.func') vals[i] = fromEngineVal(st, v) as EngineVal;
  }
  return vals as Val[];
}

export function fromEngineRef(st: StoreState, r: EngineRef): Ref {
  return fromEngineVal(st, r) as Ref;
}

/**
 * A u64 index or count as a number. Negative, fractional or ≥ 2^64 inputs are not u64 values at
 * all, so they throw a RangeError; large u64 values become numbers ≥ 2^53, which exceed every
 * size and so fail the bounds check that follows with the spec's `error`.
 */
export function u64(i: number | bigint, what: string): number {
  if (typeof i === 'bigint') {
    if (i < 0n || i >= U64_END) throw new RangeError(`${what} must be a u64, got ${i}`);
    return Number(i);
  }
  if (!Number.isInteger(i) || i < 0) throw new RangeError(`${what} must be a u64, got ${i}`);
  return i;
}
