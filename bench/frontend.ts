// The front end on a large module: how long the reference engine's decoder, validator and encoder,
// and the native decoder+validator, take on a module of real compiler output (the kernels' clang
// output, copied, as the compile-throughput module is) of about `--mb` megabytes, 75 by default,
// the size of clang itself compiled to wasm. Timings are read by people, never asserted.
//
//   npm run bench:frontend [-- --mb 75]

import { readFileSync } from 'node:fs';
import { bigModuleOfSize } from './big-module.js';
import { KERNELS, buildKernel } from './kernels.js';
import { module_decode } from '../lib/api.js';
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

const at = process.argv.indexOf('--mb');
const mb = at >= 0 ? Number(process.argv[at + 1]) : 75;
const kernels = KERNELS.map((k) => ({ name: k.name, wasm: readFileSync(buildKernel(k.name).wasm) }));
const [{ wasm, copies }, buildMs] = time(() => bigModuleOfSize(kernels, mb));

const rows: [string, number][] = [['build the module (decode the kernels, encode the copies)', buildMs]];
const [module, decodeMs] = time(() => decodeModule(wasm));
rows.push(['reference: decode', decodeMs]);
rows.push(['reference: validate', time(() => validateModule(module))[1]]);
rows.push(['reference: encode', time(() => encodeModule(module))[1]]);
rows.push(['module_decode (copy + decode)', time(() => {
  const m = module_decode(wasm);
  if (isError(m)) throw new Error(m.message);
})[1]]);
if (nativeAvailable() === true) {
  rows.push(['native: decode + validate', time(() => {
    const ok = validate(wasm);
    if (ok !== true) throw new Error(ok.message);
  })[1]]);
}

console.log(`${(wasm.length / 1e6).toFixed(1)} MB, ${module.funcs.length} functions (${copies} copies of ${kernels.length} kernels)`);
for (const [what, ms] of rows) {
  console.log(`${what.padEnd(58)} ${ms.toFixed(0).padStart(7)} ms  ${(wasm.length / 1e6 / (ms / 1000)).toFixed(1).padStart(6)} MB/s`);
}
