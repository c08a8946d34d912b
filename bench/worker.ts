// One measurement in a fresh process, so that each engine runs under its own node flags (V8's tier
// is chosen by flags) and no engine's garbage or code cache affects another's time:
//
//   node [flags] dist/bench/worker.js run ENGINE FILE.wasm N REPS   → {"times":[ms…],"checksum":u32}
//   node [flags] dist/bench/worker.js compile ENGINE FILE.wasm REPS [THREADS] → {"times":[ms…]}
//   node dist/bench/worker.js load buffer|file FILE.cwasm REPS → {"times":[ms…]}
//
// ENGINE is v8 (Liftoff or TurboFan according to the flags, run directly), singlepass or reference,
// or for `run` also wasmo's v8 engine (`v8-engine`, through the API) and an API engine with a
// control after a plus: `singlepass+fuel`, `singlepass+deadline`, `singlepass+bounds` (see engines.ts Control). A module
// an engine cannot run yet gives {"unsupported":"not supported yet: …"} instead of times.

import { readFileSync } from 'node:fs';
import { CONTROLS, compileTimes, loadTimes, runApi, runV8, type Control, type WorkerResult } from './engines.js';

function main(argv: readonly string[]): WorkerResult {
  const [mode, engine, file, ...rest] = argv;
  if (engine === undefined || file === undefined) throw new Error('usage: worker.js run|compile ENGINE FILE.wasm …');
  const bytes = new Uint8Array(readFileSync(file));
  const nums = rest.map(Number);
  if (mode === 'compile') return compileTimes(engine, bytes, nums[0] ?? 1, nums[1]);
  if (mode === 'load') return loadTimes(engine, file, nums[0] ?? 1);
  if (mode !== 'run') throw new Error(`unknown mode ${mode}`);
  const [n = 0, reps = 1] = nums;
  const [name, control = 'none'] = engine.split('+') as [string, Control | undefined];
  if (!CONTROLS.includes(control)) throw new Error(`unknown control ${control}`);
  switch (name) {
    case 'v8': return runV8(bytes, n, reps);
    case 'singlepass': case 'optimizing': case 'reference': return runApi(name, bytes, n, reps, control);
    case 'v8-engine': return runApi('v8', bytes, n, reps, control);
    default: throw new Error(`unknown engine ${engine}`);
  }
}

process.stdout.write(`${JSON.stringify(main(process.argv.slice(2)))}\n`);
