// Runs a WASI program on node:wasi (V8), for bench/wasi-writes: `node --no-turbo-fast-api-calls
// dist/bench/wasi-node.js prog.wasm ARG...` (the flag avoids node issue 46777, a crash in fd_write).

import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: wasi-node.js prog.wasm ARG...');
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject() as WebAssembly.Imports);
process.exitCode = wasi.start(instance);
