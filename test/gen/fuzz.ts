// Long differential runs: `npm run fuzz -- --minutes N [--seed S] [--out DIR] [--big]`;
// `--count N` runs N modules instead (`--seed S --count 1` reproduces one).
// Generates modules from consecutive seeds, runs each on every engine, and writes every
// disagreement, shrunk, to DIR (default build/fuzz-failures) as seed-N.wat / seed-N.wasm with the
// calls and the differing observation. Prints modules/s and counts as it goes.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeModule } from '../../spec/binary/encode.js';
import { bigOptions } from './generator.js';
import { check, generate, plannedCalls, registersFor } from './runner.js';
import { shrink } from './shrink.js';
import { moduleText } from './wat.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '1' },
    seed: { type: 'string' },
    out: { type: 'string', default: 'build/fuzz-failures' },
    big: { type: 'boolean', default: false },
    count: { type: 'string' },
  },
});
const minutes = Number(values.minutes);
const first = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
const deadline = performance.now() + minutes * 60_000;
const start = performance.now();
let modules = 0;
let failures = 0;
let lastReport = start;
console.log(`fuzz: seeds from ${first}, ${minutes} min, ${values.big ? 'big' : 'default'} modules, failures to ${values.out}`);
const count = values.count === undefined ? Infinity : Number(values.count);
for (let seed = first; modules < count && (values.count !== undefined || performance.now() < deadline); seed = (seed + 1) >>> 0) {
  const g = generate(seed, values.big ? bigOptions : undefined);
  const calls = plannedCalls(g.ast, seed);
  modules++;
  const d = check(g.module, calls, undefined, registersFor(seed));
  if (d !== undefined) {
    failures++;
    // Shrinking gets up to two minutes, within the run's time.
    const s = shrink(g.ast, calls, d, Math.max(5_000, Math.min(120_000, deadline - performance.now())));
    mkdirSync(values.out, { recursive: true });
    const base = join(values.out, `seed-${seed}${values.big ? '-big' : ''}`);
    const calls2 = s.calls.map((c) => `;; ${c.name}(${c.args.map((a) => JSON.stringify(a, (_, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))).join(', ')})`);
    const regs = s.disagreement.registers === undefined ? '' : ` (WASMO_SINGLEPASS_REGISTERS=${s.disagreement.registers})`;
    writeFileSync(`${base}.wat`, `;; seed ${seed}: ${s.disagreement.engine}${regs} differs from reference\n;; reference: ${s.disagreement.expected}\n;; ${s.disagreement.engine}: ${s.disagreement.actual}\n;; calls:\n${calls2.join('\n')}\n${moduleText(s.ast)}`);
    writeFileSync(`${base}.wasm`, encodeModule(s.ast));
    console.log(`seed ${seed}: ${d.engine} differs: reference "${d.expected}" vs "${d.actual}" -> ${base}.wat`);
  }
  if (performance.now() - lastReport > 10_000) {
    lastReport = performance.now();
    const secs = (lastReport - start) / 1000;
    console.log(`${modules} modules, ${failures} failing, ${(modules / secs).toFixed(1)} modules/s`);
  }
}
const secs = (performance.now() - start) / 1000;
console.log(`fuzz: ${modules} modules (seeds ${first}..${(first + modules - 1) >>> 0}), ${failures} failing, ${(modules / secs).toFixed(1)} modules/s`);
process.exitCode = failures > 0 ? 1 : 0;
