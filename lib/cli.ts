#!/usr/bin/env node
// The `wasmo` command line: `run` instantiates a module and calls a function, `wast` runs
// conformance scripts. `main` takes its arguments and output streams as parameters so tests call
// it in-process; user errors are one line on stderr and an exit status, never a JS stack trace (a
// trap's line is followed by the wasm backtrace).

import {
  existsSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { basename, dirname, join, parse, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { F32, F64, parseFloat, parseInt } from '../spec/text/numbers.js';
import { SHAPES, isShape, laneBytes } from '../spec/text/parse.js';
import type { ValType } from '../spec/structure/types.js';
import type { EngineName, NativeEngineName } from './engine.js';
import { describeThrown, formatTrace, isError, type WasmError } from './errors.js';
import {
  defaultEngine, func_invoke, func_type, instance_export, module_decode, module_deserialize, module_deserialize_file,
  module_exports, module_imports, module_instantiate, module_parse, module_serialize, module_tier_up_stats, module_validate, store_init,
  store_interrupt_after, type Module, type Val,
} from './index.js';
import { NativeUnsupported } from './engines/native.js';
import { formatExternType, formatFuncType } from './types.js';
import { artifactSummary } from './artifact.js';
import { CompileCache, defaultCacheDir } from './cache.js';
import { checkCpuFeatures, type CompileOptions } from './native.js';
import { progressLine, progressReporter, type ProgressSink } from './progress.js';
import { explicitBoundsChecks, memoryConfig, type MemoryConfig, type StoreLimits } from './store-limits.js';
import type { ModuleInst, Store } from './store.js';
import { Wasi, WASI_MODULE, WasiSetupError, type Preopen } from '../wasi/index.js';
import { f32bits, f64bits, i32, i64, refNull, v128 } from './values.js';
import {
  formatVal, loadExpectedFailures, runWast,
  type ExpectedFailures, type FileResult,
} from './wast.js';

/**
 * Where the command writes; each call is one or more whole lines. A WASI program run by `wasmo
 * run` uses the process's own descriptors when `inherit` is set; otherwise its stdin is `stdin`
 * (empty if not given) and its output is passed to `stdout`/`stderr` when it ends.
 */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  readonly inherit?: boolean;
  readonly stdin?: Uint8Array;
  /** stderr is a terminal: progress lines go there (never otherwise). */
  readonly stderrIsTTY?: boolean;
}

const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  inherit: true,
  stderrIsTTY: process.stderr.isTTY === true,
};

/** A compile that takes longer than this shows its progress (on a terminal). */
const PROGRESS_DELAY_MS = 1000;

function stderrSink(io: Io): ProgressSink {
  return { isTTY: io.stderrIsTTY === true, write: (text) => io.stderr(text) };
}

/** How a native engine compiles FILE for the command: threads, and progress on a terminal,
 *  erased when the compile ends (the engine reports all done then) or at the latest by `end`. */
function compileSettings(file: string, threads: number | undefined, cpuFeatures: readonly string[] | undefined, io: Io): { readonly options: CompileOptions; end(): void } {
  const reporter = progressReporter(stderrSink(io), PROGRESS_DELAY_MS);
  const update = reporter.update;
  const progress = update === undefined ? undefined : (done: number, total: number): void => {
    if (done === total) reporter.end();
    else update(progressLine(`compiling ${file}`, done, total, 'functions'));
  };
  return {
    options: {
      ...(threads === undefined ? {} : { threads }), ...(progress === undefined ? {} : { progress }),
      ...(cpuFeatures === undefined ? {} : { cpuFeatures }),
    },
    end: () => reporter.end(),
  };
}

/** The value of --compile-threads: a positive integer. */
function threadCount(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 1024) throw new UsageError(`--compile-threads takes a number of threads from 1 to 1024, not "${text}"`);
  return n;
}

/** The value of --cpu-features: names separated by commas ("" for none), each a feature this engine
 *  knows and this CPU has. */
function cpuFeaturesOption(text: string): string[] {
  const features = text === '' ? [] : text.split(',');
  const checked = checkCpuFeatures(features);
  if (checked !== true) throw new UsageError(`--cpu-features: ${checked.message}`);
  return features;
}

/** Exit statuses: failures of the work itself, mistakes in the command line, and a trap (128 +
 * SIGABRT, as wasmtime exits, so scripts tell a trapped program from one that exited 1). */
const FAILURE = 1;
const USAGE = 2;
const TRAP = 134;

/** The exit status of a run that ended with `error`: a trap while invoking or instantiating
 * (segments, start function) or the call stack running out, as wasmtime traps, is TRAP. */
const failureStatus = (error: WasmError): number =>
  (error.kind === 'trap' || error.kind === 'uninstantiable' || (error.kind === 'exhaustion' && error.message === 'call stack exhausted')
    ? TRAP : FAILURE);

const HELP = `Usage: wasmo <command> [options]

A WebAssembly runtime for Node.js.

Commands:
  run [options] FILE [ARG...]         run a WASI program, or call a function of a module
  compile FILE [-o OUT]               compile a module ahead of time into a .cwasm artifact
  wast PATH... [options]              run .wast conformance scripts and report per file
  cache clean [--cache DIR]           empty the compile cache of \`wasmo run\`
  inspect FILE.cwasm                  describe an artifact: what it was made for, each function's tier

Options:
  -h, --help      show this help (\`wasmo <command> --help\` shows a command's options)
  -v, --version   print the version
`;

const RUN_HELP = `Usage: wasmo run [options] FILE [ARG...]
       wasmo run [options] --invoke NAME FILE [ARG...]

Instantiates FILE (.wasm: binary format; .cwasm: compiled by \`wasmo compile\`, run on the
engine that compiled it without compiling again, only with --allow-precompiled; anything else:
text format). wasmo's options go
before FILE: everything after it is the program's (or, with --invoke, the function's).

A WASI program (a module importing from wasi_snapshot_preview1) runs as a command: \`_start\` is
called with the ARGs as its argv (FILE is argv[0]) and wasmo exits with the program's exit status.
A trap ends wasmo with status 134 (as wasmtime), after the error line and the wasm backtrace
(a line per frame, innermost first: the function's name from the name section, if it has one, and
its index, "wasm-function[N]"); a run that fails otherwise ends with status 1.
It sees only the directories given with --dir and only the variables given with --env; its
stdin, stdout and stderr are wasmo's. A module with any other import is refused, naming it.
With --invoke, a WASI reactor's \`_initialize\` runs first.

A module without imports: with --invoke, the exported function NAME is called with the ARGs and
each result is printed on its own line; without, \`_start\` is called if exported, else the
exports are listed.

On the native engines, compiled code is kept in a cache (see --cache), so the next run of the same
module loads it instead of compiling again. On tiered, the cache keeps the code as a run leaves it,
each function at the tier it reached: the next run starts with the functions that were hot
already optimized, and the others go on tiering up. The entry is rewritten only when a run adds a
quarter or more to its optimized functions; functions still being compiled at exit are not saved.

Options (an option's value may also follow an =, as in --dir=data):
  --dir HOST[::GUEST]      let the program reach host directory HOST as GUEST (default: HOST
                           as written); repeatable. Nothing outside these directories is
                           visible: "..", absolute paths and symlinks that leave them fail
  --readonly-dir HOST[::GUEST]
                           the same, but the program cannot change anything beneath it
  --env KEY=VALUE          set an environment variable of the program; repeatable. A bare KEY
                           passes the variable on from wasmo's environment, if set there
  --invoke NAME            call export NAME instead of \`_start\`; every ARG is one of its
                           parameters, written as a wasm text constant of the parameter's
                           type: i32/i64 decimal or hex (-1, 0xff), f32/f64 decimal, hex float
                           (0x1.8p3), inf, -inf, nan, nan:0x200000; \`null\` for a reference;
                           for a v128, a shape and its lanes in one argument ("i32x4 1 2 3 4")
  --engine NAME            engine to run on: singlepass (the default; for a .cwasm, the engine
                           that compiled it; reference where the native engine cannot load),
                           optimizing (native code compiled by LLVM: slower to compile, faster
                           to run), tiered (starts on singlepass code, hot functions switch to
                           LLVM's code compiled in the background; $WASMO_TIER_UP_THRESHOLD
                           calls and loop iterations make a function hot, default 10000),
                           reference or v8
  --timeout DURATION       stop the program after DURATION (500ms, 10s, 2m) with the trap
                           "interrupted"
  --fuel N                 give the program N units of fuel (about one per wasm instruction
                           executed, the same on every engine): running out stops it with the
                           trap "all fuel consumed"
  --max-memory SIZE        the most one memory of the program may grow to (65536, 64KiB, 16MiB,
                           1GiB): memory.grow past it fails, and a module whose memory starts
                           larger is refused
  --max-wasm-stack SIZE    the most stack the program's wasm may use (64KiB, 1MiB): deeper
                           recursion traps with "call stack exhausted" (not on the v8 engine)
  --memory-reservation SIZE
                           address space each memory reserves and may grow to (a multiple of
                           64KiB, at most 4GiB, the default): memory.grow past it fails
  --memory-guard SIZE      inaccessible bytes after each memory's reservation (default with the
                           default reservation: 4GiB + 64KiB; with --memory-reservation: 0).
                           When the two cover less than 8GiB + 64KiB the native engines compile
                           code that checks memory bounds explicitly (slower)
  --cache DIR              the compile cache's folder (default: $XDG_CACHE_HOME/wasmo, else
                           ~/.cache/wasmo); entries are keyed by the module's bytes, the
                           compiler, the engine's build, --fuel and --cpu-features, and the least
                           recently used go past 1 GiB
  --no-cache               compile without reading or writing the cache
  --allow-precompiled      run a .cwasm FILE: an artifact is native code that runs unsandboxed
                           in wasmo's process, so give this only for artifacts you trust
  --compile-threads N      compile on N threads (default: $WASMO_COMPILE_THREADS, else one per
                           hardware thread); the code is the same whatever N. A compile that
                           takes over a second shows its progress when stderr is a terminal
  --cpu-features LIST      the x86-64 features beyond SSE2 the native engines' code may use,
                           comma-separated, of popcnt, sse4.1, sse4.2 and avx ("" for none), as
                           for older CPUs (default: $WASMO_CPU_FEATURES, else all this CPU has); a
                           name wasmo does not know or a feature this CPU lacks is refused
  --                       ends wasmo's options: the next argument is FILE
  -h, --help               show this help
`;

const INSPECT_HELP = `Usage: wasmo inspect FILE

Describes the artifact FILE (from \`wasmo compile\`, module_serialize or the compile cache) without
running it: its format version, the engine, target, compiler, code flags, CPU and WebAssembly
features it was made for, whether this engine loads it (else why not), and each function with its
name, the tier its code is (on tiered code, the tier the function had reached when the artifact was
written) and its size.
`;

const CACHE_HELP = `Usage: wasmo cache clean [--cache DIR]

Removes every compiled module from the compile cache of \`wasmo run\` (by default
$XDG_CACHE_HOME/wasmo, else ~/.cache/wasmo) and says how much space that freed.
`;

const COMPILE_HELP = `Usage: wasmo compile [--engine singlepass|optimizing|tiered] [--fuel] [--memory-reservation SIZE] [--memory-guard SIZE] [--compile-threads N] [--cpu-features LIST] FILE [-o OUT]

Compiles FILE (.wasm: binary format; anything else: text format) with the singlepass engine (or
the one --engine names; optimizing is the LLVM compiler: slower to compile, faster code) and
writes its artifact (an ELF file of machine code and metadata) to OUT, by default FILE with the
extension .cwasm. \`wasmo run --allow-precompiled OUT\` runs it without compiling again, if it was made by
the same build of wasmo for a CPU with the features its code uses; otherwise it is refused,
saying which differs.

Options:
  -o, --output OUT        where to write the artifact
  --engine NAME           the compiler: singlepass (the default), optimizing, or tiered
                          (singlepass code that counts calls for tier-up when it runs)
  --fuel                  compile code that meters fuel: it runs only with \`wasmo run --fuel N\`
                          (and code compiled without it only without --fuel)
  --memory-reservation SIZE, --memory-guard SIZE
                          compile for stores with these memory sizes (see wasmo run --help):
                          below 8GiB + 64KiB together the code checks memory bounds explicitly,
                          and runs only with sizes that small (the other kind of code is refused)
  --compile-threads N     compile on N threads (default: $WASMO_COMPILE_THREADS, else one per
                          hardware thread); the artifact is the same whatever N. A singlepass
                          compile that takes over a second shows its progress when stderr is a
                          terminal
  --cpu-features LIST     the x86-64 features beyond SSE2 the code may use, comma-separated, of
                          popcnt, sse4.1, sse4.2 and avx ("" for none), for CPUs older than this
                          one (default: $WASMO_CPU_FEATURES, else all this CPU has); the
                          artifact records those its code uses
  -h, --help              show this help
`;

const WAST_HELP = `Usage: wasmo wast PATH... [--engine NAME] [--fuel N] [--memory-reservation SIZE] [--memory-guard SIZE] [--expected FILE] [--list FILE] [--json]

Runs .wast scripts (the official testsuite's format) and prints one line per file (commands
passed, failed, expected failures, unexpected passes, milliseconds) and the totals. A PATH that
is a directory stands for every .wast file in it. Exits with status 1 when any command fails
that the expected-failures file does not list; unexpected passes are reported. Over several
files, the one running is shown on stderr when it is a terminal.

Options:
  --engine NAME     engine to run on: singlepass (the default; reference where
                    the native engine cannot load), optimizing, tiered, reference or v8
  --fuel N          run every script in a store that meters fuel, with N units for each
                    command: running out fails the command with the trap "all fuel consumed"
  --memory-reservation SIZE, --memory-guard SIZE
                    run in stores with these memory sizes (see wasmo run --help): small ones
                    make the native engines check memory bounds explicitly
  --expected FILE   JSON object mapping "file.wast:line" to the reason that command is known to
                    fail on this engine
  --list FILE       run only the files FILE names (one per line, # starts a comment), found in
                    the directories given as PATHs, or in FILE's own folder when none is given
  --json            print all results as one JSON document instead of the table
  -h, --help        show this help
`;

/** A mistake in the command line or its inputs: reported as one line, never with a stack. */
class UsageError extends Error {
  constructor(message: string, readonly status: number = USAGE) {
    super(message);
  }
}

/** Runs the command line `argv` (without the node and script paths); returns the exit status. */
export function main(argv: readonly string[], io: Io = processIo): number {
  try {
    const [command, ...rest] = argv;
    switch (command) {
      case undefined:
      case '-h':
      case '--help':
        io.stdout(HELP);
        return command === undefined ? USAGE : 0;
      case '-v':
      case '--version':
        io.stdout(`${version()}\n`);
        return 0;
      case 'run':
        return run(rest, io);
      case 'compile':
        return compile(rest, io);
      case 'wast':
        return wast(rest, io);
      case 'cache':
        return cacheCommand(rest, io);
      case 'inspect':
        return inspect(rest, io);
      default:
        throw new UsageError(`unknown command "${command}" (see wasmo --help)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`wasmo: ${e.message}\n`);
      return e.status;
    }
    // A valid module the native engine cannot run yet: the message says so.
    if (e instanceof NativeUnsupported) {
      io.stderr(`wasmo: ${e.message}\n`);
      return FAILURE;
    }
    // Not a user mistake but still one line: the stack is of no use to someone running a program.
    io.stderr(`wasmo: internal error: ${describeThrown(e)}\n`);
    return FAILURE;
  }
}

function version(): string {
  // The package root is above this file both in lib/ (sources) and dist/lib/ (built).
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir)) {
    const path = join(dir, 'package.json');
    if (existsSync(path)) {
      const pkg = JSON.parse(readFileSync(path, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'wasmo' && pkg.version !== undefined) return pkg.version;
    }
  }
  throw new Error('package.json of wasmo not found');
}

function engineName(value: string | undefined): EngineName {
  if (value === 'reference' || value === 'v8' || value === 'singlepass' || value === 'optimizing' || value === 'tiered') return value;
  throw new UsageError(`--engine takes reference, singlepass, optimizing, tiered or v8, not ${value === undefined ? 'nothing' : `"${value}"`}`);
}

function isNative(engine: EngineName): engine is NativeEngineName {
  return engine === 'singlepass' || engine === 'optimizing' || engine === 'tiered';
}

const PAGE_BYTES = 65536;

/** A size in bytes written as a number with an optional unit: 1048576, 64KiB, 16MiB, 1GiB (K, M, G too). */
function byteSize(text: string, option: string): number {
  const m = /^(\d+)\s*(|K|KiB|M|MiB|G|GiB)$/i.exec(text);
  if (m === null) throw new UsageError(`${option} takes a size such as 65536, 64KiB, 16MiB or 1GiB, not "${text}"`);
  const unit = m[2]!.toUpperCase()[0];
  return Number(m[1]) * (unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1);
}

/** A duration in milliseconds written as a number with a unit: 500ms, 10s, 2m (a bare number is seconds). */
function duration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|)$/.exec(text);
  if (m === null) throw new UsageError(`${option} takes a duration such as 500ms, 10s or 2m, not "${text}"`);
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
}

/** An amount of fuel (--fuel N): a whole number a store can hold. */
function fuelAmount(text: string): number {
  const fuel = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(fuel)) throw new UsageError(`--fuel takes a whole number from 0 to 2^53 - 1, not "${text}"`);
  return fuel;
}

/**
 * The memory layout --memory-reservation and --memory-guard (byte sizes, or undefined when not
 * given) ask for, checked: its mistakes are the command line's.
 */
function memoryOptions(reservation: number | undefined, guard: number | undefined): MemoryConfig | undefined {
  if (reservation === undefined && guard === undefined) return undefined;
  const config = { ...(reservation === undefined ? {} : { reservation }), ...(guard === undefined ? {} : { guard }) };
  try {
    memoryConfig(config, { reservation: '--memory-reservation', guard: '--memory-guard' });
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  return config;
}

/** Reads --memory-reservation / --memory-guard into `sizes`; false for any other option. */
function memoryOption(name: string, value: () => string, sizes: { reservation?: number; guard?: number }): boolean {
  if (name === '--memory-reservation') sizes.reservation = byteSize(value(), name);
  else if (name === '--memory-guard') sizes.guard = byteSize(value(), name);
  else return false;
  return true;
}

/** Whether code for stores of this memory layout checks bounds explicitly (compile, the cache). */
function checksBounds(memory: MemoryConfig | undefined): boolean {
  return explicitBoundsChecks(memoryConfig(memory));
}

/** A store for a run, with its limits, deadline, fuel, memory layout and how it compiles. */
function runStore(options: RunOptions, engine: EngineName, compile: CompileOptions): Store {
  const store = store_init({
    engine, limits: options.limits, interruptible: options.timeout !== undefined, compile,
    ...(options.fuel === undefined ? {} : { fuel: options.fuel }),
    ...(options.memory === undefined ? {} : { memory: options.memory }),
  });
  if (options.timeout !== undefined) {
    const refused = store_interrupt_after(store, options.timeout);
    if (refused !== undefined) throw new UsageError(`--timeout: ${refused.message}`);
  }
  return store;
}

/** The value after an option, which must be there. */
function optionValue(args: readonly string[], i: number): string {
  const value = args[i + 1];
  if (value === undefined) throw new UsageError(`${args[i]} needs a value`);
  return value;
}

// ---- wasmo run ----

interface RunOptions {
  file: string;
  engine: EngineName | undefined;  // unless given: the engine a .cwasm was compiled for, or the default
  invoke?: { name: string; args: readonly string[] };
  programArgs: readonly string[];
  preopens: Preopen[];
  env: string[];
  cache: string | false;  // the compile cache's folder, or none
  limits: StoreLimits;
  timeout: number | undefined;  // milliseconds
  fuel: number | undefined;
  memory: MemoryConfig | undefined;
  allowPrecompiled: boolean;  // a .cwasm is native code: run only when the user vouches for it
  compileThreads: number | undefined;
  cpuFeatures: string[] | undefined;
}

function parseRun(args: readonly string[]): RunOptions | 'help' {
  let engine: EngineName | undefined;
  let invoke: string | undefined;
  let cache: string | false | undefined;
  let limits: StoreLimits = {};
  let timeout: number | undefined;
  let fuel: number | undefined;
  const memorySizes: { reservation?: number; guard?: number } = {};
  let allowPrecompiled = false;
  let compileThreads: number | undefined;
  let cpuFeatures: string[] | undefined;
  const preopens: Preopen[] = [];
  const env: string[] = [];
  // wasmo's options come before FILE; everything after FILE is the program's (as in wasmtime).
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-h' || arg === '--help') return 'help';
    // `--opt=value` is the same as `--opt value`.
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq < 0 ? arg : arg.slice(0, eq);
    const value = (): string => (eq < 0 ? optionValue(args, i++) : arg.slice(eq + 1));
    if (name === '--engine') {
      engine = engineName(value());
    } else if (name === '--dir' || name === '--readonly-dir') {
      const spec = value();
      const [host, guest] = spec.includes('::') ? spec.split('::', 2) as [string, string] : [spec, spec];
      if (host === '' || guest === '') throw new UsageError(`${name} takes HOST[::GUEST], not "${spec}"`);
      preopens.push({ host, guest, readonly: name === '--readonly-dir' });
    } else if (name === '--env') {
      const kv = value();
      if (kv === '' || kv.startsWith('=')) throw new UsageError(`--env takes KEY=VALUE or KEY, not "${kv}"`);
      if (kv.includes('=')) env.push(kv);
      // A bare KEY passes the host's value on, if it has one.
      else if (process.env[kv] !== undefined) env.push(`${kv}=${process.env[kv]}`);
    } else if (name === '--invoke') {
      invoke = value();
    } else if (name === '--cache') {
      cache = value();
    } else if (name === '--no-cache') {
      cache = false;
    } else if (name === '--allow-precompiled') {
      allowPrecompiled = true;
    } else if (name === '--compile-threads') {
      compileThreads = threadCount(value());
    } else if (name === '--cpu-features') {
      cpuFeatures = cpuFeaturesOption(value());
    } else if (name === '--timeout') {
      timeout = duration(value(), name);
    } else if (name === '--fuel') {
      fuel = fuelAmount(value());
    } else if (name === '--max-memory') {
      limits = { ...limits, memoryPages: Math.floor(byteSize(value(), name) / PAGE_BYTES) };
    } else if (name === '--max-wasm-stack') {
      limits = { ...limits, wasmStack: byteSize(value(), name) };
    } else if (memoryOption(name, value, memorySizes)) {
      // read into memorySizes
    } else if (arg === '--' || !arg.startsWith('-')) {
      const at = arg === '--' ? i + 1 : i;
      const file = args[at];
      if (file === undefined) break;
      const rest = args.slice(at + 1);
      const memory = memoryOptions(memorySizes.reservation, memorySizes.guard);
      const common = { file, engine, preopens, env, cache: cache ?? defaultCacheDir(), limits, timeout, fuel, memory, allowPrecompiled, compileThreads, cpuFeatures };
      return invoke === undefined ? { ...common, programArgs: rest } : { ...common, invoke: { name: invoke, args: rest }, programArgs: [] };
    } else {
      throw new UsageError(`run: unknown option ${arg} (see wasmo run --help)`);
    }
  }
  throw new UsageError('run: no module file given (see wasmo run --help)');
}

function run(args: readonly string[], io: Io): number {
  const options = parseRun(args);
  if (options === 'help') {
    io.stdout(RUN_HELP);
    return 0;
  }
  const { file } = options;
  if (file.endsWith('.cwasm') && !options.allowPrecompiled) {
    throw new UsageError(`${file}: a .cwasm is native code that would run unsandboxed in wasmo's process; run it only if you trust it, with --allow-precompiled`, FAILURE);
  }
  const compile = compileSettings(file, options.compileThreads, options.cpuFeatures, io);
  try {
    return runModule(options, compile.options, io);
  } finally {
    compile.end();
  }
}

function runModule(options: RunOptions, compile: CompileOptions, io: Io): number {
  const { file, programArgs } = options;
  // A .cwasm runs on the engine that compiled it unless told otherwise (which then refuses it).
  const chosen = options.engine ?? (file.endsWith('.cwasm') ? undefined : defaultEngine());
  // Only the native engines make artifacts to keep.
  const cache = chosen !== undefined && isNative(chosen) && options.cache !== false
    ? new CompileCache(options.cache, undefined, chosen, options.fuel !== undefined, checksBounds(options.memory)) : undefined;
  const { module, bytes } = loadModule(file, chosen ?? 'singlepass', cache, compile);
  if (chosen !== 'tiered' || cache === undefined || bytes === undefined) return runLoaded(options, module, chosen, compile, io);
  // Tiered code is kept as the run leaves it: each function at the tier it reached, so the next run
  // starts with the hot ones optimized (and goes on tiering). Written, whatever the run's outcome,
  // when the run compiled the module and tier-up compiled anything, or when tier-up added at least
  // a quarter to the functions the cached code had optimized: rewriting a large program's artifact
  // costs about as much as optimized code saves in a run (0.6-1.3 s for esbuild's 71 MB), so runs
  // that add little leave it, and the rewrites of a program run again and again die out. Functions
  // still queued or compiling at exit are not waited for (nor saved): the next run queues them again.
  const before = module_tier_up_stats(module)?.optimized;
  try {
    return runLoaded(options, module, chosen, compile, io);
  } finally {
    const after = module_tier_up_stats(module)?.optimized;
    if (after !== undefined && (before === undefined || (after > before && after >= before * 1.25))) {
      cache.put(bytes, module, compile);
    }
  }
}

function runLoaded(options: RunOptions, module: Module, chosen: EngineName | undefined, compile: CompileOptions, io: Io): number {
  const { file, programArgs } = options;
  const engine = chosen ?? module.compiledFor ?? defaultEngine();
  if (module.compiledFor !== undefined && module.compiledFor !== engine) {
    throw new UsageError(`${file}: compiled code for the ${module.compiledFor} engine cannot run on ${engine}`, FAILURE);
  }
  const imports = module_imports(module);
  for (const [mod, name, type] of imports) {
    if (mod !== WASI_MODULE) {
      const hint = mod === 'wasi_unstable' ? 'the older WASI (wasi_unstable) is not supported, only wasi_snapshot_preview1' : 'wasmo run provides only WASI (wasi_snapshot_preview1) imports';
      throw new UsageError(`${file}: unknown import "${mod}" "${name}" (${formatExternType(type)}): ${hint}`, FAILURE);
    }
  }
  if (imports.length > 0) return runWasi({ ...options, engine }, module, compile, io);
  if (programArgs.length > 0) {
    const [first] = programArgs;
    throw new UsageError(first!.startsWith('-')
      ? `run: ${file} is not a WASI program, so it takes no arguments; wasmo's options (${first}) go before FILE`
      : `run: ${file} is not a WASI program, so it takes no arguments (to call a function: wasmo run --invoke NAME FILE ARG...)`);
  }
  const [store, inst] = module_instantiate(runStore(options, engine, compile), module, []);
  if (isError(inst)) throw moduleError(file, 'instantiation failed', inst);

  const exports = module_exports(module);
  let invoke = options.invoke;
  if (invoke === undefined) {
    if (!exports.some(([name, t]) => name === '_start' && t.kind === 'func')) {
      for (const [name, type] of exports) io.stdout(`${name}: ${formatExternType(type)}\n`);
      return 0;
    }
    invoke = { name: '_start', args: [] };
  }
  const [, results] = invokeExport(file, store, inst, invoke);
  if (isError(results)) throw new UsageError(traced(`${invoke.name}: ${results.kind}: ${results.message}`, results), failureStatus(results));
  for (const v of results) io.stdout(`${formatVal(v)}\n`);
  return 0;
}

/** Calls export `invoke.name` with its arguments parsed from text. */
function invokeExport(file: string, store: Store, inst: ModuleInst, invoke: { name: string; args: readonly string[] }): [Store, Val[] | WasmError] {
  const func = instance_export(inst, invoke.name);
  if (isError(func)) throw new UsageError(`${file}: no export named "${invoke.name}"`, FAILURE);
  if (func.kind !== 'func') throw new UsageError(`${file}: export "${invoke.name}" is a ${func.kind}, not a function`, FAILURE);
  const type = func_type(store, func);
  if (invoke.args.length !== type.params.length) {
    throw new UsageError(`${invoke.name} takes ${type.params.length} argument(s) (${formatFuncType(type)}), got ${invoke.args.length}`);
  }
  const values = invoke.args.map((text, i) => parseArgument(text, type.params[i]!, i + 1));
  return func_invoke(store, func, values);
}

/** Runs a WASI program; its exit status is ours. */
function runWasi(options: RunOptions & { engine: EngineName }, module: Module, compile: CompileOptions, io: Io): number {
  const { file, engine } = options;
  let wasi: Wasi;
  try {
    wasi = new Wasi({
      args: [file, ...options.programArgs],
      env: options.env,
      preopens: options.preopens,
      ...(io.inherit === true ? {} : { stdin: io.stdin ?? new Uint8Array(0), stdout: 'buffer', stderr: 'buffer' }),
    });
  } catch (e) {
    if (e instanceof WasiSetupError) throw new UsageError(e.message, FAILURE);
    throw e;
  }
  try {
    let store = runStore(options, engine, compile);
    const [s, inst] = wasi.instantiate(store, module);
    if (isError(inst)) {
      if (inst.kind === 'unlinkable') throw new UsageError(`${file}: ${inst.message}`, FAILURE);
      throw moduleError(file, 'instantiation failed', inst);
    }
    store = s;
    let status: number | WasmError;
    let results: Val[] = [];
    if (options.invoke === undefined) {
      [, status] = wasi.start(store, inst);
    } else {
      // A reactor is initialized before its exports are called (WASI application ABI).
      let ready;
      [store, ready] = wasi.initialize(store, inst);
      if (isError(ready)) {
        if (ready.kind === 'argument') throw new UsageError(`${file}: ${ready.message}`, FAILURE);
        throw new UsageError(traced(`${file}: _initialize: ${ready.kind}: ${ready.message}`, ready), failureStatus(ready));
      }
      const [, r] = invokeExport(file, store, inst, options.invoke);
      status = isError(r) ? wasi.exitStatus(r) ?? r : 0;
      if (!isError(r)) results = r;
    }
    // The program's captured output first: it was written before the results existed.
    if (io.inherit !== true) {
      const text = new TextDecoder();
      const out = wasi.stdout();
      const err = wasi.stderr();
      if (out.length > 0) io.stdout(text.decode(out));
      if (err.length > 0) io.stderr(text.decode(err));
    }
    for (const v of results) io.stdout(`${formatVal(v)}\n`);
    if (isError(status)) {
      // 'argument': the module is no WASI command (no memory or _start export); the rest ended the run.
      throw new UsageError(traced(`${file}: ${status.kind === 'argument' ? '' : `${status.kind}: `}${status.message}`, status), failureStatus(status));
    }
    return status;
  } finally {
    wasi.free();
  }
}

/** FILE as a valid module, with its bytes unless it is an artifact; through `cache` when given (a
 *  hit skips decoding and compiling; a miss compiles, as `compile` says, and keeps the code, but
 *  tiered code only once it has run: see runModule). */
function loadModule(file: string, engine: EngineName, cache?: CompileCache, compile: CompileOptions = {}): { module: Module; bytes?: Uint8Array } {
  if (file.endsWith('.cwasm')) {
    const module = module_deserialize_file(file);
    if (isError(module)) throw moduleError(file, 'cannot load compiled module', module);
    return { module };
  }
  const bytes = readInput(file);
  const cached = cache?.get(bytes, compile);
  if (cached !== undefined) return { module: cached, bytes };
  const module = file.endsWith('.wasm') ? module_decode(bytes, { engine }) : module_parse(new TextDecoder().decode(bytes));
  if (isError(module)) throw moduleError(file, 'malformed module', module);
  const invalid = module_validate(module);
  if (invalid !== undefined) throw moduleError(file, 'invalid module', invalid);
  if (engine !== 'tiered') cache?.put(bytes, module, compile);
  return { module, bytes };
}

/** FILE's bytes; a file that cannot be read is a failure that says why. */
function readInput(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new UsageError(`cannot read ${file}: ${reason}`, FAILURE);
  }
}

function moduleError(file: string, what: string, error: WasmError): UsageError {
  // What an engine cannot run yet is said as such (the message names what runs it, if another engine does).
  if (error.kind === 'unsupported') return new UsageError(`${file}: ${error.message}`, FAILURE);
  return new UsageError(traced(`${file}: ${what}: ${error.message}`, error), failureStatus(error));
}

/** `line`, then the wasm backtrace of `error` if it has one (a trap's). */
function traced(line: string, error: WasmError): string {
  return `${line}\n${formatTrace(error.trace)}`.trimEnd();
}

// ---- wasmo compile ----

function compile(args: readonly string[], io: Io): number {
  let file: string | undefined;
  let output: string | undefined;
  let threads: number | undefined;
  let cpuFeatures: string[] | undefined;
  let engine: NativeEngineName = 'singlepass';
  let fuel = false;
  const memorySizes: { reservation?: number; guard?: number } = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (a === '-h' || a === '--help') {
      io.stdout(COMPILE_HELP);
      return 0;
    } else if (memoryOption(eq < 0 ? a : a.slice(0, eq), () => (eq < 0 ? optionValue(args, i++) : a.slice(eq + 1)), memorySizes)) {
      // read into memorySizes
    } else if (a === '--fuel') {
      fuel = true;
    } else if (a.startsWith('--fuel=')) {
      throw new UsageError('compile: --fuel takes no value (the amount is given when the artifact runs: wasmo run --fuel N)');
    } else if (a === '-o' || a === '--output') {
      output = optionValue(args, i++);
    } else if (a === '--compile-threads' || a.startsWith('--compile-threads=')) {
      threads = threadCount(a.includes('=') ? a.slice(a.indexOf('=') + 1) : optionValue(args, i++));
    } else if (a === '--cpu-features' || a.startsWith('--cpu-features=')) {
      cpuFeatures = cpuFeaturesOption(a.includes('=') ? a.slice(a.indexOf('=') + 1) : optionValue(args, i++));
    } else if (a === '--engine' || a.startsWith('--engine=')) {
      const chosen = engineName(a === '--engine' ? optionValue(args, i++) : a.slice('--engine='.length));
      if (!isNative(chosen)) throw new UsageError(`compile: --engine takes singlepass, optimizing or tiered, not "${chosen}"`);
      engine = chosen;
    } else if (a.startsWith('-')) {
      throw new UsageError(`compile: unknown option ${a} (see wasmo compile --help)`);
    } else if (file === undefined) {
      file = a;
    } else {
      throw new UsageError(`compile: one module file only, got "${file}" and "${a}"`);
    }
  }
  if (file === undefined) throw new UsageError('compile: no module file given (see wasmo compile --help)');
  const boundsChecks = checksBounds(memoryOptions(memorySizes.reservation, memorySizes.guard));
  const { dir, name } = parse(file);
  output ??= join(dir, `${name}.cwasm`);
  const settings = compileSettings(file, threads, cpuFeatures, io);
  let bytes;
  try {
    bytes = module_serialize(loadModule(file, engine).module, {
      ...settings.options, engine, fuel, boundsChecks,
    });
  } finally {
    settings.end();
  }
  if (isError(bytes)) throw moduleError(file, 'cannot compile', bytes);
  // Written aside, then renamed over OUT: a process reading the old file reads it whole,
  // and nobody reads a half-written artifact.
  const temporary = `${output}.${process.pid}.tmp`;
  try {
    writeFileSync(temporary, bytes);
    renameSync(temporary, output);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw new UsageError(`cannot write ${output}: ${(e as Error).message}`, FAILURE);
  }
  return 0;
}

// ---- wasmo inspect ----

function inspect(args: readonly string[], io: Io): number {
  const [file, ...rest] = args;
  if (file === undefined || file === '-h' || file === '--help') {
    io.stdout(INSPECT_HELP);
    return file === undefined ? USAGE : 0;
  }
  if (rest.length > 0) throw new UsageError(`inspect: one artifact only, got "${file}" and "${rest[0]}"`);
  const bytes = readInput(file);
  let summary;
  try {
    summary = artifactSummary(bytes);
  } catch (e) {
    throw new UsageError(`${file}: not a wasmo artifact (${(e as Error).message})`, FAILURE);
  }
  const loaded = module_deserialize(bytes);
  const list = (v: readonly string[]): string => (v.length === 0 ? 'none' : v.join(', '));
  const lines = [
    `${file}: wasmo artifact, format version ${summary.formatVersion}`,
    `  engine          ${summary.engineVersion}`,
    `  target          ${summary.target}`,
    `  compiler        ${summary.tier}`,
    `  code flags      ${list(summary.flags)}`,
    `  CPU features    ${list(summary.cpuFeatures)}`,
    `  wasm features   ${list(summary.wasmFeatures)}`,
    `  loads here      ${isError(loaded) ? `no: ${loaded.message}` : 'yes'}`,
  ];
  if (summary.functions !== undefined) {
    const tiers = new Map<string, number>();
    for (const f of summary.functions) tiers.set(f.tier, (tiers.get(f.tier) ?? 0) + 1);
    lines.push(`  functions       ${summary.functions.length}${tiers.size === 0 ? '' : `: ${[...tiers].map(([t, n]) => `${n} ${t}`).join(', ')}`}`);
    for (const f of summary.functions) {
      lines.push(`    wasm-function[${f.index}]  ${f.tier.padEnd(10)}  ${String(f.bytes).padStart(7)} bytes${f.name === undefined ? '' : `  ${f.name}`}`);
    }
  }
  io.stdout(`${lines.join('\n')}\n`);
  return 0;
}

// ---- wasmo cache ----

function cacheCommand(args: readonly string[], io: Io): number {
  const [action, ...rest] = args;
  if (action === undefined || action === '-h' || action === '--help') {
    io.stdout(CACHE_HELP);
    return action === undefined ? USAGE : 0;
  }
  if (action !== 'clean') throw new UsageError(`cache: unknown action "${action}" (see wasmo cache --help)`);
  let dir = defaultCacheDir();
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a === '--cache') dir = optionValue(rest, i++);
    else if (a.startsWith('--cache=')) dir = a.slice('--cache='.length);
    else throw new UsageError(`cache clean: unknown argument ${a} (see wasmo cache --help)`);
  }
  const freed = new CompileCache(dir).clean();
  io.stdout(`removed ${(freed / (1024 * 1024)).toFixed(1)} MiB of compiled modules from ${dir}\n`);
  return 0;
}

/** A command-line argument as a value of the parameter's type, in wasm text constant syntax. */
export function parseArgument(text: string, type: ValType, position: number): Val {
  const bad = (why: string): never => {
    throw new UsageError(`argument ${position} "${text}" ${why}`);
  };
  const bits = (r: bigint | 'syntax' | 'range'): bigint =>
    r === 'syntax' ? bad(`is not a valid ${type} constant`) : r === 'range' ? bad(`is out of range for ${type}`) : r;
  switch (type) {
    case 'i32': return i32(Number(bits(parseInt(text, 32))));
    case 'i64': return i64(bits(parseInt(text, 64)));
    case 'f32': return f32bits(Number(bits(parseFloat(text, F32))));
    case 'f64': return f64bits(bits(parseFloat(text, F64)));
    case 'funcref':
    case 'externref':
      return text === 'null' ? refNull(type === 'funcref' ? 'func' : 'extern') : bad(`is not accepted for ${type}: only null is`);
    case 'v128': {
      // One argument holding what follows `v128.const` in the text format (§6.5.10): "i32x4 1 2 3 4".
      const [shape = '', ...lanes] = text.trim().split(/\s+/);
      if (!isShape(shape)) return bad('is not a v128 constant: give a shape and its lanes in one argument, as in "i32x4 1 2 3 4"');
      const { lanes: n, bits: width, float } = SHAPES[shape];
      if (lanes.length !== n) return bad(`has ${lanes.length} lanes: ${shape} needs ${n}`);
      const lane = (l: string): bigint => {
        const r = float ? parseFloat(l, width === 32 ? F32 : F64) : parseInt(l, width);
        return r === 'syntax' ? bad(`has a lane "${l}" that is not a valid ${shape} lane`) : r === 'range' ? bad(`has a lane "${l}" out of range for ${shape}`) : r;
      };
      return v128(laneBytes(lanes.map(lane), width));
    }
  }
}

// ---- wasmo wast ----

function wast(args: readonly string[], io: Io): number {
  const paths: string[] = [];
  let engine: EngineName | undefined;
  let json = false;
  let expected: ExpectedFailures = {};
  let list: string | undefined;
  let fuel: number | undefined;
  const memorySizes: { reservation?: number; guard?: number } = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '-h' || a === '--help') {
      io.stdout(WAST_HELP);
      return 0;
    } else if (memoryOption(a, () => optionValue(args, i++), memorySizes)) {
      // read into memorySizes
    } else if (a === '--engine') {
      engine = engineName(optionValue(args, i++));
    } else if (a === '--fuel') {
      fuel = fuelAmount(optionValue(args, i++));
    } else if (a === '--json') {
      json = true;
    } else if (a === '--expected') {
      const path = optionValue(args, i++);
      try {
        expected = loadExpectedFailures(path);
      } catch (e) {
        throw new UsageError(`--expected ${path}: ${(e as Error).message}`, FAILURE);
      }
    } else if (a === '--list') {
      list = optionValue(args, i++);
    } else if (a.startsWith('-')) {
      throw new UsageError(`wast: unknown option ${a} (see wasmo wast --help)`);
    } else {
      paths.push(a);
    }
  }
  const files = scriptFiles(paths, list);
  if (files.length === 0) throw new UsageError('wast: no .wast files given (see wasmo wast --help)');
  const engineUsed = engine ?? defaultEngine();
  const memory = memoryOptions(memorySizes.reservation, memorySizes.guard);

  const start = performance.now();
  const results: FileResult[] = [];
  const row = (cells: readonly (string | number)[]): string =>
    `${String(cells[0]).padEnd(44)}${cells.slice(1).map((c) => String(c).padStart(8)).join('')}\n`;
  if (!json) io.stdout(row(['file', 'passed', 'failed', 'xfail', 'xpass', 'ms']));
  // Over many files, which one runs now: on a terminal, erased before each row is printed.
  const reporter = progressReporter(stderrSink(io), 0);
  const update = files.length > 1 ? reporter.update : undefined;
  try {
    for (const [i, file] of files.entries()) {
      update?.(`${progressLine('wast', i, files.length, 'files')} ${basename(file)}`);
      const r = runWast(file, { engine: engineUsed, expected, ...(fuel === undefined ? {} : { fuel }), ...(memory === undefined ? {} : { memory }) });
      results.push(r);
      reporter.end();
      if (!json) io.stdout(row([r.file, r.passed, r.failed, r.expectedFailures, r.unexpectedPasses, r.ms]));
    }
  } finally {
    reporter.end();
  }
  const sum = (key: 'passed' | 'failed' | 'expectedFailures' | 'unexpectedPasses'): number =>
    results.reduce((n, r) => n + r[key], 0);
  const totals = {
    files: results.length, passed: sum('passed'), failed: sum('failed'),
    expectedFailures: sum('expectedFailures'), unexpectedPasses: sum('unexpectedPasses'),
    ms: Math.round(performance.now() - start),
  };
  if (json) {
    io.stdout(`${JSON.stringify({ engine: engineUsed, totals, files: results }, null, 2)}\n`);
  } else {
    io.stdout(row([`total (${totals.files} files, ${engineUsed})`, totals.passed, totals.failed, totals.expectedFailures, totals.unexpectedPasses, totals.ms]));
    for (const r of results) {
      for (const report of r.reports) {
        if (report.outcome === 'failed') io.stdout(`FAIL ${r.file}:${report.line} ${report.command}: ${report.message}\n`);
        if (report.outcome === 'unexpected-pass') io.stdout(`XPASS ${r.file}:${report.line} ${report.command} (listed as: ${report.reason})\n`);
      }
    }
  }
  return totals.failed > 0 ? FAILURE : 0;
}

/** The script files the paths and the list name, in order. */
function scriptFiles(paths: readonly string[], list: string | undefined): string[] {
  const kinds = paths.map((p) => {
    try {
      return { path: p, dir: statSync(p).isDirectory() };
    } catch {
      throw new UsageError(`no such file or directory: ${p}`, FAILURE);
    }
  });
  const files = kinds.filter((k) => !k.dir).map((k) => k.path);
  const dirs = kinds.filter((k) => k.dir).map((k) => k.path);
  if (list === undefined) {
    for (const dir of dirs) {
      files.push(...readdirSync(dir).filter((f) => f.endsWith('.wast')).sort().map((f) => join(dir, f)));
    }
    return files;
  }
  let text: string;
  try {
    text = readFileSync(list, 'utf8');
  } catch {
    throw new UsageError(`cannot read list ${list}`, FAILURE);
  }
  const bases = dirs.length > 0 ? dirs : [dirname(resolve(list))];
  for (const name of text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter((l) => l !== '')) {
    const found = bases.map((b) => join(b, name)).find((p) => existsSync(p));
    if (found === undefined) throw new UsageError(`${name} (from ${list}) is not in ${bases.join(', ')}`, FAILURE);
    files.push(found);
  }
  return files;
}

/** Is this module the program node was started with (through npm's bin symlink too)? */
function isProgram(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

// Run only as the program itself, not when a test imports main.
if (isProgram()) process.exitCode = main(process.argv.slice(2));
