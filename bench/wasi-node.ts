// Runs a WASI program on node:wasi (V8), as a comparison point for bench/wasi-writes and the WASI
// tests: `node --no-turbo-fast-api-calls dist/bench/wasi-node.js [--dir HOST::GUEST]... prog.wasm
// ARG...` (the flag avoids node issue 46777, a crash in fd_write under load).

import { readFileSync } from 'node:fs';
import { WASI } from 'node:wasi';

const argv = process.argv.slice(2);
const preopens: Record<string, string> = {};
while (argv[0] === '--dir') {
  const [host, guest] = (argv[1] ?? '').split('::');
  if (!host || !guest) throw new Error('--dir takes HOST::GUEST');
  preopens[guest] = host;
  argv.splice(0, 2);
}
const [file, ...args] = argv;
if (file === undefined) throw new Error('usage: wasi-node.js [--dir HOST::GUEST]... prog.wasm ARG...');
const wasi = new WASI({ version: 'preview1', args: [file, ...args], env: {}, preopens, returnOnExit: true });
const module = await WebAssembly.compile(readFileSync(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject() as WebAssembly.Imports);
process.exitCode = wasi.start(instance);
