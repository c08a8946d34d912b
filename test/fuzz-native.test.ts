// The native front end under mutation: a short libFuzzer run of host-shim/fuzz (ASan+UBSan, seeded
// with the testsuite's modules) ends with no finding, and the native decoder+validator classifies
// mutated testsuite modules exactly as the reference does (accept / malformed / invalid, message).
// Long runs: `npm run fuzz:native -- -max_total_time=900` and `npm run fuzz:mutate -- --count N`.

import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nativeAvailable } from '../lib/native.js';
import { runMutants } from './fuzz/mutate.js';

describe('native front end under mutation', () => {
  it('agrees with the reference on mutated testsuite modules', () => {
    const available = nativeAvailable();
    if (available !== true) throw available;
    const { ran, differences } = runMutants(4000, 7);
    expect(ran).toBe(4000);
    // A ratchet, down to 0. Most left: the native decoder stops reading a function body at its first
    // invalid instruction, where the reference decodes the whole body first, so a malformation later
    // in the body (or past its end) is missed or reported as a different one.
    expect(differences.length, differences.slice(0, 20).map((d) => `${d.where}: ${d.kind}`).join('\n'))
      .toBeLessThanOrEqual(175);
  });

  it('survives a short libFuzzer run with no finding', () => {
    // Builds build/fuzz on first use (clang++-19 with ASan, UBSan and libFuzzer: about two minutes).
    const r = spawnSync('scripts/fuzz-native.sh', ['-runs=20000', '-seed=1', '-max_total_time=60'], {
      encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' },
    });
    expect(r.status, `${r.stdout}\n${r.stderr.slice(-4000)}`).toBe(0);
    expect(r.stderr).toMatch(/Done \d+ runs/);
  }, 600_000);
});
