// `npm run bench:crossings`: what crossing between JS and wasm costs, per engine, beside its floors:
// func_invoke of (i32, i32) -> i32, a host function called from wasm, and the floors under them —
// V8's own JS->wasm and wasm->JS calls through the WebAssembly API, and one koffi call of a trivial
// C function (the singlepass engine crosses through koffi both ways), each with its ratio to V8's.
// Then the embedder's access to a memory: mem_read of one byte in a 1-page and a 1024-page memory
// (its cost must not grow with the memory), and mem_read_bytes of 64 KiB, beside reading a byte of
// a Uint8Array and copying 64 KiB of one into another.
//
//   node dist/bench/crossings.js [--calls N]

import {
  func_alloc, func_invoke, i32, instance_export, isError, mem_read, mem_read_bytes, module_instantiate, module_parse,
  store_init, type FuncAddr, type MemAddr, type Module, type Store,
} from '../lib/index.js';
import type { EngineName } from '../lib/engine.js';
import { nativeAvailable, nativeNoop } from '../lib/native.js';
import { encodeModule } from '../spec/binary/encode.js';
import { parseModule } from '../spec/text/parse.js';
import { scriptArgs } from './args.js';

const { values } = scriptArgs('node dist/bench/crossings.js [--calls N]', { options: { calls: { type: 'string', default: '1000000' } } });
const calls = Number(values.calls);

function parse(text: string): Module {
  const m = module_parse(text);
  if (isError(m)) throw new Error(m.message);
  return m;
}

const ADD = '(module (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))';
// Calls the host function `n` times in a wasm loop.
const CALLER = `(module (import "host" "f" (func $f (param i32) (result i32)))
  (func (export "loop") (param $n i32) (result i32) (local $acc i32)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $acc (i32.add (local.get $acc) (call $f (local.get $n))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $acc)))`;
const add = parse(ADD);
const caller = parse(CALLER);

/** Nanoseconds per iteration of `body`, after a warm-up of a tenth as many. */
function nsPer(n: number, body: (n: number) => void): number {
  body(Math.max(1, n / 10));
  const t = process.hrtime.bigint();
  body(n);
  return Number(process.hrtime.bigint() - t) / n;
}

function exported(inst: Parameters<typeof instance_export>[0], name: string): FuncAddr {
  const f = instance_export(inst, name);
  if (isError(f) || f.kind !== 'func') throw new Error(`no export ${name}`);
  return f;
}

function engineRow(engine: EngineName): [string, number, number] {
  let store: Store = store_init({ engine });
  let inst;
  [store, inst] = module_instantiate(store, add, []);
  if (isError(inst)) throw new Error(inst.message);
  const f = exported(inst, 'add');
  const args = [i32(2), i32(3)];
  const invoke = nsPer(calls, (n) => { for (let i = 0; i < n; i++) [store] = func_invoke(store, f, args); });
  let host: FuncAddr;
  [store, host] = func_alloc(store, { params: ['i32'], results: ['i32'] }, (s, [x]) => [s, [x!]]);
  [store, inst] = module_instantiate(store, caller, [host]);
  if (isError(inst)) throw new Error(inst.message);
  const loop = exported(inst, 'loop');
  const hostCall = nsPer(calls, (n) => { [store] = func_invoke(store, loop, [i32(n)]); });
  return [engine, invoke, hostCall];
}

const rows: [string, number, number][] = [];
for (const engine of ['singlepass', 'v8', 'reference'] as const) {
  if (engine === 'singlepass' && nativeAvailable() !== true) continue;
  rows.push(engineRow(engine));
}

// The floors: V8's own crossings through the WebAssembly API, with no store-passing and no value
// conversion: a JS->wasm call of the same `add`, and the same wasm loop calling a JS function.
const v8 = (text: string, imports: WebAssembly.Imports = {}): WebAssembly.Exports =>
  new WebAssembly.Instance(new WebAssembly.Module(encodeModule(parseModule(text))), imports).exports;
const v8add = v8(ADD)['add'] as (a: number, b: number) => number;
const v8loop = v8(CALLER, { host: { f: (x: number) => x } })['loop'] as (n: number) => number;
let sink = 0;
const v8invoke = nsPer(calls, (n) => { for (let i = 0; i < n; i++) sink += v8add(2, 3); });
const v8host = nsPer(calls, (n) => { sink += v8loop(n); });
const koffi = nativeAvailable() === true ? nsPer(calls, (n) => { for (let i = 0; i < n; i++) sink += nativeNoop(); }) : NaN;

/** `ns` and its ratio to `floor`, in a column `width` wide. */
const cell = (ns: number, floor: number, width: number): string => {
  const ratio = ns / floor;
  return `${ns.toFixed(0)} (${ratio.toFixed(ratio < 10 ? 1 : 0)}×)`.padStart(width);
};

console.log(`crossings, ns per call and the ratio to V8's own crossing (${calls} calls; node ${process.version})`);
console.log('engine          func_invoke   host call from wasm');
for (const [engine, invoke, host] of rows) console.log(`${engine.padEnd(12)}  ${cell(invoke, v8invoke, 13)}   ${cell(host, v8host, 19)}`);
console.log(`V8 (floor)    ${v8invoke.toFixed(1).padStart(13)}   ${v8host.toFixed(1).padStart(19)}`);
console.log(`floor of the native engines: one koffi call of a trivial C function ${koffi.toFixed(1)} ns`);

/** ns per mem_read of one byte in a memory of `pages`, and per mem_read_bytes of 64 KiB. */
function memoryRow(engine: EngineName): [string, number, number, number] {
  const read = (pages: number): [number, number] => {
    const [store, inst] = module_instantiate(store_init({ engine }), parse(`(module (memory (export "m") ${pages}))`), []);
    if (isError(inst)) throw new Error(inst.message);
    const m = instance_export(inst, 'm') as MemAddr;
    const byte = nsPer(calls / 10, (n) => { for (let i = 0; i < n; i++) sink += mem_read(store, m, i & 0xffff) as number; });
    const block = nsPer(calls / 100, (n) => { for (let i = 0; i < n; i++) sink += (mem_read_bytes(store, m, 0, 65536) as Uint8Array).length; });
    return [byte, block];
  };
  const [small, block] = read(1);
  const [large] = read(1024);
  return [engine, small, large, block];
}
// The floors: reading a byte of a Uint8Array, and copying 64 KiB of one into another (mem_read_bytes
// also allocates the copy it returns).
const bytes = new Uint8Array(65536);
const byteFloor = nsPer(calls, (n) => { for (let i = 0; i < n; i++) sink += bytes[i & 0xffff]!; });
const copy = new Uint8Array(65536);
const blockFloor = nsPer(calls / 100, (n) => { for (let i = 0; i < n; i++) { copy.set(bytes); sink += copy[i & 0xffff]!; } });
console.log('\nmemory access from the embedder, ns per call and the ratio to the same on a Uint8Array');
console.log('engine          mem_read (1 page)   mem_read (1024 pages)   mem_read_bytes 64 KiB');
for (const engine of rows.map(([e]) => e as EngineName)) {
  const [, small, large, block] = memoryRow(engine);
  console.log(`${engine.padEnd(12)}  ${cell(small, byteFloor, 19)}   ${cell(large, byteFloor, 21)}   ${cell(block, blockFloor, 21)}`);
}
console.log(`Uint8Array    ${byteFloor.toFixed(1).padStart(19)}   ${byteFloor.toFixed(1).padStart(21)}   ${blockFloor.toFixed(0).padStart(21)}`);
if (sink === -1) console.log(sink);
