// The front end on a large module: how long the reference engine's decoder, validator and encoder,
// the native decoder+validator, and module_decode on each path take on a module of real compiler
// output (the kernels' clang output, copied, as the compile-throughput module is) of about `--mb`
// megabytes, 75 by default, the size of clang itself compiled to wasm; then module_decode on the
// native path for a 20 MB module, whose goal is 100 ms (issue 9). The fast rows are the best of 5
// runs, as the machine is shared. Timings are read by people, never asserted.
//
//   npm run bench:frontend [-- --mb 75]

import { readFileSync } from 'node:fs';
import { bigModule } from './big-module.js';
import { KERNELS, buildKernel } from './kernels.js';
import { module_decode, module_exports, module_imports, type Module } from '../lib/api.js';
import { isError } from '../lib/errors.js';
import { nativeAvailable, validate } from '../lib/native.js';
import { decodeModule } from '../spec/binary/decode.js';
import { encodeModule } from '../spec/binary/encode.js';
import { validateModule } from '../spec/valid/validate.js';

function time<T>(f: () => T): [T, number] {
  const start = performance.now();
  const x = f();
  return [x, performance.now() - start];
}

/** The best of `n` runs: what the code costs, with less of what else the machine does. */
function best<T>(n: number, f: () => T): [T, number] {
  let out = time(f);
  for (let i = 1; i < n; i++) {
    const t = time(f);
    if (t[1] < out[1]) out = t;
  }
  return out;
}

function decoded(m: Module | ReturnType<typeof module_decode>): Module {
  if (isError(m)) throw new Error(m.message);
  return m;
}

const at = process.argv.indexOf('--mb');
const mb = at >= 0 ? Number(process.argv[at + 1]) : 75;
const kernels = KERNELS.map((k) => ({ name: k.name, wasm: readFileSync(buildKernel(k.name).wasm) }));
const perCopy = bigModule(kernels, 2).length - bigModule(kernels, 1).length;
const copies = Math.max(1, Math.round((mb * 1e6) / perCopy));
const [wasm, buildMs] = time(() => bigModule(kernels, copies));

const rows: [string, number][] = [['build the module (decode the kernels, encode the copies)', buildMs]];
// The native path first, on a heap without the reference's syntax trees: with gigabytes of them
// alive, allocating the module's copy sets off full collections that a fresh process never sees.
let goal: [Uint8Array, number] | undefined;
if (nativeAvailable() === true) {
  rows.push(['native: decode + validate', best(5, () => {
    const ok = validate(wasm);
    if (ok !== true) throw new Error(ok.message);
  })[1]]);
  const [native, nativeMs] = best(5, () => decoded(module_decode(wasm)));
  rows.push(['module_decode, native path (copy + decode + validate)', nativeMs]);
  rows.push(['module_imports + module_exports after it (outline only)', time(() => {
    module_imports(native);
    module_exports(native);
  })[1]]);
  const small = bigModule(kernels, Math.max(1, Math.round(20e6 / perCopy)));
  goal = [small, best(5, () => decoded(module_decode(small)))[1]];
}
const [module, decodeMs] = time(() => decodeModule(wasm));
rows.push(['reference: decode', decodeMs]);
rows.push(['reference: validate', time(() => validateModule(module))[1]]);
rows.push(['reference: encode', time(() => encodeModule(module))[1]]);
rows.push(['module_decode, engine reference (copy + decode)', time(() => decoded(module_decode(wasm, { engine: 'reference' })))[1]]);
console.log(`${(wasm.length / 1e6).toFixed(1)} MB, ${module.funcs.length} functions (${copies} copies of ${kernels.length} kernels)`);
const show = (size: number, [what, ms]: [string, number]): void =>
  console.log(`${what.padEnd(58)} ${ms.toFixed(0).padStart(7)} ms  ${(size / 1e6 / (ms / 1000)).toFixed(1).padStart(6)} MB/s`);
for (const row of rows) show(wasm.length, row);
if (goal !== undefined) {
  const [small, ms] = goal;
  console.log(`\n${(small.length / 1e6).toFixed(1)} MB (goal: module_decode on the native path within 100 ms)`);
  show(small.length, ['module_decode, native path (copy + decode + validate)', ms]);
}
