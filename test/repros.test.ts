// The repros of native-engine defects found from outside (shared/repros, beside the testsuite):
// every .wast script there passes on every engine, as it does on the reference interpreter, and
// every .wat module instantiates and runs its exports (default arguments, in order) on every
// engine with the reference's results and traps. (The .wasm repros are malformed-module cases
// of the module decoder.)

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../lib/engine.js';
import {
  func_invoke, func_type, isError, module_instantiate, module_parse, store_init, val_default,
  type FuncAddr, type Val,
} from '../lib/index.js';
import { runWast } from '../lib/wast.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(process.env.WASMO_TESTSUITE ?? resolve(root, '../shared/testsuite'), '../repros');
// Where a run must be complete (CI, or an explicit testsuite path), missing repros are a failure.
if ((process.env.WASMO_TESTSUITE !== undefined || process.env.CI) && !existsSync(dir)) {
  throw new Error(`no repros at ${dir}; set WASMO_TESTSUITE (the repros sit beside it)`);
}
const listing = existsSync(dir) ? readdirSync(dir).sort() : [];
const scripts = listing.filter((f) => f.endsWith('.wast'));
const modules = listing.filter((f) => f.endsWith('.wat'));
if (scripts.length === 0) console.warn(`repros: none found at ${dir}; set WASMO_TESTSUITE to run them`);

const engines: readonly EngineName[] = ['reference', 'singlepass', 'v8'];

describe.skipIf(scripts.length === 0)('shared repros pass on every engine', () => {
  for (const file of scripts) {
    for (const engine of engines) {
      it(`${file} on ${engine}`, () => {
        const r = runWast(join(dir, file), { engine });
        expect(r.reports).toEqual([]);
        expect(r.passed).toBeGreaterThan(0);
      });
    }
  }
});

/** What running every export of a module shows: each result or trap message. */
function runExports(engine: EngineName, text: string): string[] {
  const m = module_parse(text);
  if (isError(m)) return [`parse: ${m.message}`];
  let [store, inst] = module_instantiate(store_init({ engine }), m, []);
  if (isError(inst)) return [`instantiate: ${inst.message}`];
  const out: string[] = [];
  for (const e of inst.exports) {
    if (e.addr.kind !== 'func') continue;
    const addr = e.addr as FuncAddr;
    const args = func_type(store, addr).params.map((t) => val_default(t) as Val);
    const [next, r] = func_invoke(store, addr, args);
    store = next;
    out.push(`${e.name}: ${isError(r) ? r.message : JSON.stringify(r, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  }
  return out;
}

describe.skipIf(modules.length === 0)('shared repro modules run alike on every engine', () => {
  for (const file of modules) {
    it(file, () => {
      const text = readFileSync(join(dir, file), 'utf8');
      const reference = runExports('reference', text);
      expect(reference.length).toBeGreaterThan(0);
      for (const engine of engines) expect({ engine, records: runExports(engine, text) }).toEqual({ engine, records: reference });
    });
  }
});
