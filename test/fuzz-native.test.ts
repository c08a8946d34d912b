// The native front end under mutation: a short libFuzzer run of host-shim/fuzz (ASan+UBSan, seeded
// with the testsuite's modules) ends with no finding, and the native decoder+validator classifies
// mutated testsuite modules exactly as the reference does (accept / malformed / invalid, message).
// Long runs: `npm run fuzz:native -- -max_total_time=900` and `npm run fuzz:mutate -- --count N`.

import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nativeAvailable } from '../lib/native.js';
import { describeVerdict, nativeVerdict, referenceVerdict, runMutants, sameVerdict } from './fuzz/mutate.js';

describe('native front end under mutation', () => {
  it('agrees with the reference on mutated testsuite modules', () => {
    const available = nativeAvailable();
    if (available !== true) throw available;
    const { ran, differences } = runMutants(4000, 7);
    expect(ran).toBe(4000);
    // Exactly none: the native decoder reads the whole module before it validates, as the reference
    // does (spec 5 before 3), so every mutant gets the same class and message.
    expect(differences.map((d) => `${d.where}: ${d.kind}`)).toEqual([]);
  });

  it('survives its past findings and a short libFuzzer run', async () => {
    // Builds build/fuzz on first use (clang++-19 with ASan, UBSan and libFuzzer). Past findings
    // (test/fuzz/regressions, named by their root cause) run first, each file once.
    const regressions = readdirSync('test/fuzz/regressions').map((f) => join('test/fuzz/regressions', f));
    for (const args of [regressions, ['-runs=20000', '-seed=1', '-max_total_time=60']]) {
      // Not spawnSync: a worker blocked for minutes misses vitest's own messages and fails the run.
      const r = await new Promise<{ status: number | null; output: string }>((resolve) => {
        const child = spawn('scripts/fuzz-native.sh', args);
        let output = '';
        const keep = (chunk: Buffer): void => { output = (output + chunk.toString()).slice(-8000); };
        child.stdout.on('data', keep);
        child.stderr.on('data', keep);
        child.on('close', (status) => resolve({ status, output }));
      });
      expect(r.status, r.output.slice(-4000)).toBe(0);
    }
  }, 600_000);

  it('classifies its past findings as the reference does', () => {
    for (const f of readdirSync('test/fuzz/regressions')) {
      const bytes = new Uint8Array(readFileSync(join('test/fuzz/regressions', f)));
      const [got, want] = [nativeVerdict(bytes), referenceVerdict(bytes)];
      expect(sameVerdict(got, want), `${f}: ${describeVerdict(got)}, reference ${describeVerdict(want)}`).toBe(true);
    }
  });
});
