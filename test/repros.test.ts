// The repros of native-engine defects found from outside (shared/repros, beside the testsuite):
// every .wast script there passes on every engine, as it does on the reference interpreter.

import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../lib/engine.js';
import { runWast } from '../lib/wast.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const dir = join(process.env.WASMO_TESTSUITE ?? resolve(root, '../shared/testsuite'), '../repros');
// Where a run must be complete (CI, or an explicit testsuite path), missing repros are a failure.
if ((process.env.WASMO_TESTSUITE !== undefined || process.env.CI) && !existsSync(dir)) {
  throw new Error(`no repros at ${dir}; set WASMO_TESTSUITE (the repros sit beside it)`);
}
const scripts = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.wast')).sort() : [];
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
