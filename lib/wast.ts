// The conformance runner: runs the official testsuite's .wast scripts on any engine, through the
// public API only (so it tests exactly what an embedder gets), and judges every command as the
// spec's reference interpreter does (interpreter/script/run.ml): exact bits, NaN patterns per
// lane, and error messages that must start with the expected text.

import type { MemoryConfig } from './store-limits.js';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Action, Command, Expected, ModuleSource, NanPattern, ScriptValue } from '../spec/script/ast.js';
import { parseScript } from '../spec/text/script.js';
import type { ValType } from '../spec/structure/types.js';
import {
  func_alloc, func_invoke, global_alloc, global_read, instance_export, mem_alloc, module_decode,
  module_exports, module_imports, module_instantiate, module_parse, module_validate, store_init, store_set_fuel,
  table_alloc,
  type ExternAddr, type Module, type ModuleInst, type Store, type Val,
} from './index.js';
import type { EngineName } from './engine.js';
import { isError, wasmError, type ErrorKind, type WasmError } from './errors.js';
import { f32, f32ToNumber, f64, f64ToNumber, i32, i64 } from './values.js';

/** Known failures of one engine: `"file.wast:line"` → why it fails (the reason is for people). */
export type ExpectedFailures = Readonly<Record<string, string>>;

export type Outcome = 'passed' | 'failed' | 'expected-failure' | 'unexpected-pass';

/** A command whose outcome is not a plain pass. */
export interface CommandReport {
  readonly line: number;
  /** The command's kind; `script` when the script as a whole does not parse. */
  readonly command: Command['kind'] | 'script';
  readonly outcome: Exclude<Outcome, 'passed'>;
  /** What went wrong (absent for an unexpected pass). */
  readonly message?: string;
  /** The reason the expected-failures file gives, if any. */
  readonly reason?: string;
}

export interface FileResult {
  /** The file's base name: the prefix of its expected-failure keys. */
  readonly file: string;
  readonly passed: number;
  readonly failed: number;
  readonly expectedFailures: number;
  readonly unexpectedPasses: number;
  /** Every command that did not simply pass, in script order. */
  readonly reports: readonly CommandReport[];
  readonly ms: number;
}

export interface WastOptions {
  readonly engine: EngineName;
  readonly expected?: ExpectedFailures;
  /** The store meters fuel, and every command starts with this much (see store_set_fuel). */
  readonly fuel?: number;
  /** The store's memory reservation and guard (see MemoryConfig). */
  readonly memory?: MemoryConfig;
}

/** A script: a path to a .wast file, or its text with the name its results are keyed by. */
export type WastSource = string | { readonly text: string; readonly name: string };

/** Runs every command of one script on a fresh store; never throws for a failing command. */
export function runWast(source: WastSource, options: WastOptions): FileResult {
  const start = performance.now();
  const { text, name } = typeof source === 'string'
    ? { text: readFileSync(source, 'utf8'), name: basename(source) }
    : source;
  const expected = options.expected ?? {};
  const reports: CommandReport[] = [];
  let passed = 0;
  const record = (line: number, command: CommandReport['command'], failure: string | undefined): void => {
    const reason = expected[`${name}:${line}`];
    if (failure === undefined) {
      if (reason === undefined) passed++;
      else reports.push({ line, command, outcome: 'unexpected-pass', reason });
    } else {
      reports.push(reason === undefined
        ? { line, command, outcome: 'failed', message: failure }
        : { line, command, outcome: 'expected-failure', message: failure, reason });
    }
  };

  let commands: Command[] | undefined;
  let run: ScriptRun | undefined;
  try {
    commands = parseScript(text);
    run = new ScriptRun(options.engine, options.fuel, options.memory);
  } catch (e) {
    // A script the parser rejects, or a store without its spectest module, is one failure at
    // line 0: nothing of the script can run.
    record(0, 'script', `${commands === undefined ? 'script does not parse' : 'cannot set up the store'}: ${describeException(e)}`);
  }
  if (commands !== undefined && run !== undefined) {
    for (const command of commands) record(command.line, command.kind, run.execute(command));
  }
  const count = (o: Outcome): number => reports.filter((r) => r.outcome === o).length;
  return {
    file: name,
    passed,
    failed: count('failed'),
    expectedFailures: count('expected-failure'),
    unexpectedPasses: count('unexpected-pass'),
    reports,
    ms: Math.round(performance.now() - start),
  };
}

/** Reads an expected-failures file: a JSON object mapping `file:line` to a reason. */
export function loadExpectedFailures(path: string): ExpectedFailures {
  const json: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (typeof json !== 'object' || json === null || Array.isArray(json)
    || !Object.values(json).every((v) => typeof v === 'string')) {
    throw new Error(`${path}: expected a JSON object mapping "file:line" to a reason string`);
  }
  return json as ExpectedFailures;
}

/** The failure of one command; anything else thrown while running it is a crash. */
class CommandFailure extends Error {}

function fail(message: string): never {
  throw new CommandFailure(message);
}

function describeException(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

interface Instance {
  readonly module: Module;
  readonly inst: ModuleInst;
}

/** The state of one script: the store, the current and named instances, the import registry. */
class ScriptRun {
  private store: Store;
  private current: Instance | undefined;
  private readonly instances = new Map<string, Instance>();
  private readonly definitions = new Map<string, Module>();
  private lastDefinition: Module | undefined;
  /** Line of the last module command that failed, and of the last failure under each name. */
  private failedAt: number | undefined;
  private readonly failedNames = new Map<string, number>();
  /** Registered names → their exports, for resolving imports by (module, name). */
  private readonly registry = new Map<string, ReadonlyMap<string, ExternAddr>>();

  constructor(private readonly engine: EngineName, private readonly fuel?: number, memory?: MemoryConfig) {
    this.store = store_init({ engine, ...(fuel === undefined ? {} : { fuel }), ...(memory === undefined ? {} : { memory }) });
    this.registry.set('spectest', this.spectest());
  }

  /** Runs one command: undefined when it behaves as the script says, else what went wrong. */
  execute(command: Command): string | undefined {
    try {
      if (this.fuel !== undefined) this.store = orFail(store_set_fuel(this.store, this.fuel), 'fuel');
      this.dispatch(command);
      return undefined;
    } catch (e) {
      if (command.kind === 'module' || command.kind === 'instance') {
        // Remembered so the commands that would have used the module say why they cannot.
        this.failedAt = command.line;
        if (command.name !== undefined) this.failedNames.set(command.name, command.line);
      }
      return e instanceof CommandFailure ? e.message : `crash: ${describeException(e)}`;
    }
  }

  private dispatch(c: Command): void {
    switch (c.kind) {
      case 'module': {
        const module = orFail(load(c.source, this.engine), 'module');
        if (c.definition) {
          orFail(module_validate(module) ?? module, 'module');
          this.lastDefinition = module;
          if (c.name !== undefined) this.definitions.set(c.name, module);
          return;
        }
        // A module that fails leaves no current module, so later actions fail rather than
        // silently running against an older one.
        this.current = undefined;
        this.bind(c.name, { module, inst: orFail(this.instantiate(module), 'instantiation') });
        return;
      }
      case 'instance': {
        const module = c.module === undefined ? this.lastDefinition : this.definitions.get(c.module);
        if (module === undefined) fail(`unknown module definition ${c.module ?? '(none defined)'}`);
        this.current = undefined;
        this.bind(c.name, { module, inst: orFail(this.instantiate(module), 'instantiation') });
        return;
      }
      case 'register': {
        const { module, inst } = this.instance(c.name);
        const exports = new Map<string, ExternAddr>();
        for (const [name] of module_exports(module)) exports.set(name, orFail(instance_export(inst, name), 'export'));
        this.registry.set(c.as, exports);
        return;
      }
      case 'action':
        orFail(this.act(c.action), 'action');
        return;
      case 'assert_return': {
        const results = orFail(this.act(c.action), 'action');
        if (results.length !== c.expected.length) {
          fail(`expected ${c.expected.length} results, got ${results.length}: ${results.map(showVal).join(', ')}`);
        }
        results.forEach((v, i) => {
          const e = c.expected[i]!;
          if (!matches(e, v)) fail(`result ${i}: expected ${showExpected(e)}, got ${showVal(v)}`);
        });
        return;
      }
      case 'assert_trap':
        expectError(this.act(c.action), 'trap', c.message);
        return;
      case 'assert_exhaustion':
        expectError(this.act(c.action), 'exhaustion', c.message);
        return;
      case 'assert_malformed':
        expectError(load(c.source, this.engine), 'malformed', c.message);
        return;
      case 'assert_invalid': {
        const module = orFail(load(c.source, this.engine), 'module');
        expectError(module_validate(module) ?? module, 'invalid', c.message);
        return;
      }
      case 'assert_unlinkable':
      case 'assert_uninstantiable': {
        const module = orFail(load(c.source, this.engine), 'module');
        expectError(this.instantiate(module), c.kind === 'assert_unlinkable' ? 'unlinkable' : 'uninstantiable', c.message);
        return;
      }
    }
  }

  private bind(name: string | undefined, instance: Instance): void {
    this.current = instance;
    if (name !== undefined) this.instances.set(name, instance);
  }

  private instance(name: string | undefined): Instance {
    const instance = name === undefined ? this.current : this.instances.get(name);
    if (instance === undefined) {
      const failedAt = name === undefined ? this.failedAt : this.failedNames.get(name);
      const what = name === undefined ? 'no current module' : `no module ${name}`;
      fail(failedAt === undefined ? what : `${what}: the module at line ${failedAt} failed`);
    }
    return instance;
  }

  /** Validates, resolves imports in the registry, instantiates. */
  private instantiate(module: Module): ModuleInst | WasmError {
    const invalid = module_validate(module);
    if (invalid !== undefined) return invalid;
    const externs: ExternAddr[] = [];
    for (const [mod, name] of module_imports(module)) {
      const extern = this.registry.get(mod)?.get(name);
      if (extern === undefined) return wasmError('unlinkable', `unknown import "${mod}" "${name}"`);
      externs.push(extern);
    }
    const [store, inst] = module_instantiate(this.store, module, externs);
    this.store = store;
    return inst;
  }

  private act(action: Action): Val[] | WasmError {
    const { inst } = this.instance(action.module);
    const extern = orFail(instance_export(inst, action.name), 'export');
    if (action.kind === 'get') {
      if (extern.kind !== 'global') fail(`export "${action.name}" is a ${extern.kind}, not a global`);
      return [global_read(this.store, extern)];
    }
    if (extern.kind !== 'func') fail(`export "${action.name}" is a ${extern.kind}, not a function`);
    // Script constants are values of the API already (the script has no function references).
    const [store, results] = func_invoke(this.store, extern, action.args);
    this.store = store;
    return results;
  }

  /** The `spectest` module the testsuite imports from (spec interpreter, host/spectest.ml). */
  private spectest(): ReadonlyMap<string, ExternAddr> {
    const exports = new Map<string, ExternAddr>();
    const print = (name: string, params: ValType[]): void => {
      const [store, addr] = func_alloc(this.store, { params, results: [] }, (s) => [s, []]);
      this.store = store;
      exports.set(name, addr);
    };
    print('print', []);
    print('print_i32', ['i32']);
    print('print_i64', ['i64']);
    print('print_f32', ['f32']);
    print('print_f64', ['f64']);
    print('print_i32_f32', ['i32', 'f32']);
    print('print_f64_f64', ['f64', 'f64']);
    const global = (name: string, type: ValType, val: Val): void => {
      const [store, addr] = global_alloc(this.store, { mut: false, type }, val);
      this.store = store;
      exports.set(name, addr);
    };
    global('global_i32', 'i32', i32(666));
    global('global_i64', 'i64', i64(666));
    global('global_f32', 'f32', f32(666.6));
    global('global_f64', 'f64', f64(666.6));
    const [s1, table] = table_alloc(this.store, { addrtype: 'i32', limits: { min: 10, max: 20 }, reftype: 'funcref' }, { type: 'ref.null', heaptype: 'func' });
    const [s2, memory] = mem_alloc(s1, { addrtype: 'i32', limits: { min: 1, max: 2 } });
    this.store = s2;
    exports.set('table', table);
    exports.set('memory', memory);
    return exports;
  }
}

/** The module of a command, decoded as for `engine` (the reference engine's by its own decoder). */
function load(source: ModuleSource, engine: EngineName): Module | WasmError {
  switch (source.type) {
    // A quoted text is a module written in full or as bare fields (the inline abbreviation, §6.6.13),
    // which module_parse accepts both, as the reference interpreter's parser does.
    case 'text':
    case 'quote':
      return module_parse(source.text);
    case 'binary': return module_decode(source.bytes, { engine });
  }
}

/** The value, or a command failure when it is an error nobody expected. */
function orFail<T>(x: T | WasmError, what: string): T {
  if (isError(x)) fail(`${what} failed unexpectedly: ${x.kind}: ${x.message}`);
  return x;
}

function expectError(x: unknown, kind: ErrorKind, message: string): void {
  if (!isError(x)) {
    fail(`expected ${kind} error "${message}", got ${Array.isArray(x) ? `results ${(x as Val[]).map(showVal).join(', ')}` : 'success'}`);
  }
  if (x.kind !== kind) fail(`expected ${kind} error "${message}", got ${x.kind}: ${x.message}`);
  // As the reference interpreter: the actual message must start with the expected one.
  if (!x.message.startsWith(message)) fail(`expected ${kind} message "${message}", got "${x.message}"`);
}

// ---- result matching ----

/** Does a result match an expected result of an assertion? Exact bits, except where patterns allow. */
export function matches(expected: Expected, v: Val): boolean {
  // The options of `either`, nested as deep as the script says, from a worklist.
  const todo: Expected[] = [expected];
  for (let e = todo.pop(); e !== undefined; e = todo.pop()) {
    if (e.kind === 'either') for (const o of e.options) todo.push(o);
    else if (matchesOne(e, v)) return true;
  }
  return false;
}

function matchesOne(expected: Exclude<Expected, { kind: 'either' }>, v: Val): boolean {
  switch (expected.kind) {
    case 'value':
      return matchesValue(expected.value, v);
    case 'nan':
      if (expected.type === 'f32') return v.type === 'f32' && isNan32(v.bits, expected.nan);
      return v.type === 'f64' && isNan64(v.bits, expected.nan);
    case 'v128lanes': {
      if (v.type !== 'v128') return false;
      const view = new DataView(v.bytes.buffer, v.bytes.byteOffset, 16);
      return expected.lanes.every((lane, i) => {
        const bits = expected.shape === 'f32x4' ? view.getUint32(i * 4, true) : view.getBigUint64(i * 8, true);
        if ('nan' in lane) return typeof bits === 'number' ? isNan32(bits, lane.nan) : isNan64(bits, lane.nan);
        return BigInt(bits) === BigInt(lane.bits);
      });
    }
    case 'anyref':
      return expected.heaptype === 'func' ? v.type === 'ref.func' : v.type === 'ref.extern';
  }
}

function matchesValue(e: ScriptValue, v: Val): boolean {
  switch (e.type) {
    case 'i32': return v.type === 'i32' && v.value === e.value;
    case 'i64': return v.type === 'i64' && v.value === e.value;
    case 'f32': return v.type === 'f32' && v.bits === e.bits;
    case 'f64': return v.type === 'f64' && v.bits === e.bits;
    case 'v128': return v.type === 'v128' && v.bytes.every((b, i) => b === e.bytes[i]);
    case 'ref.null': return v.type === 'ref.null' && v.heaptype === e.heaptype;
    case 'ref.extern': return v.type === 'ref.extern' && v.host === e.host;
  }
}

/** Canonical NaN: only the quiet bit of the payload set (either sign); arithmetic: quiet bit set. */
export function isNan32(bits: number, pattern: NanPattern): boolean {
  const b = bits & 0x7fffffff;
  return pattern === 'nan:canonical' ? b === 0x7fc00000 : (b & 0x7fc00000) === 0x7fc00000;
}

export function isNan64(bits: bigint, pattern: NanPattern): boolean {
  const b = bits & 0x7fffffffffffffffn;
  const quiet = 0x7ff8000000000000n;
  return pattern === 'nan:canonical' ? b === quiet : (b & quiet) === quiet;
}

// ---- formatting, shared with the CLI ----

/** A value as wasm text writes a constant of its type: `-1`, `1.5`, `nan:0x200000`, `inf`. */
export function formatVal(v: Val): string {
  switch (v.type) {
    case 'i32': return String(v.value);
    case 'i64': return String(v.value);
    case 'f32': return formatFloat(f32ToNumber(v.bits), v.bits >>> 31 === 1, BigInt(v.bits & 0x7fffff), 23n, shortestF32);
    case 'f64': return formatFloat(f64ToNumber(v.bits), v.bits >> 63n === 1n, v.bits & 0xfffffffffffffn, 52n, String);
    case 'v128': {
      const view = new DataView(v.bytes.buffer, v.bytes.byteOffset, 16);
      return `i32x4 ${[0, 1, 2, 3].map((i) => `0x${view.getUint32(i * 4, true).toString(16).padStart(8, '0')}`).join(' ')}`;
    }
    case 'ref.null': return `ref.null ${v.heaptype}`;
    case 'ref.func': return 'ref.func';
    case 'ref.extern': return `ref.extern ${v.host}`;
  }
}

function formatFloat(x: number, negative: boolean, payload: bigint, fractionBits: bigint, shortest: (x: number) => string): string {
  const sign = negative ? '-' : '';
  if (Number.isNaN(x)) {
    const canonical = 1n << (fractionBits - 1n);
    return payload === canonical ? `${sign}nan` : `${sign}nan:0x${payload.toString(16)}`;
  }
  if (!Number.isFinite(x)) return `${sign}inf`;
  return Object.is(x, -0) ? '-0' : shortest(x);
}

/** The shortest decimal that reads back as the same f32. */
function shortestF32(x: number): string {
  for (let digits = 1; ; digits++) {
    const s = String(Number(x.toPrecision(digits)));
    if (Math.fround(Number(s)) === x) return s;
  }
}

function showVal(v: Val): string {
  return v.type === 'ref.null' || v.type === 'ref.func' || v.type === 'ref.extern' ? formatVal(v) : `${v.type} ${formatVal(v)}`;
}

function showExpected(expected: Expected): string {
  // What is left to write, last first: `either` nests as deep as the script says.
  const parts: string[] = [];
  const todo: (Expected | string)[] = [expected];
  for (let e = todo.pop(); e !== undefined; e = todo.pop()) {
    if (typeof e === 'string') {
      parts.push(e);
      continue;
    }
    switch (e.kind) {
      case 'value': parts.push(showVal(e.value)); break;
      case 'nan': parts.push(`${e.type} ${e.nan}`); break;
      case 'v128lanes': parts.push(`${e.shape} ${e.lanes.map((l) => ('nan' in l ? l.nan : `0x${l.bits.toString(16)}`)).join(' ')}`); break;
      case 'anyref': parts.push(`ref.${e.heaptype}`); break;
      case 'either':
        todo.push(')');
        for (let i = e.options.length - 1; i >= 0; i--) {
          todo.push(e.options[i]!);
          if (i > 0) todo.push(' | ');
        }
        todo.push('either(');
        break;
    }
  }
  return parts.join('');
}
