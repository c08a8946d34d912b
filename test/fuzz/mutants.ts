// Long differential runs of the native decoder+validator against the reference on mutated testsuite
// modules: `npm run fuzz:mutate -- [--count N] [--seed S]`. Prints the mutants run and every
// difference, grouped by class (reference verdict → native verdict).

import { parseArgs } from 'node:util';
import { runMutants } from './mutate.js';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '100000' }, seed: { type: 'string', default: '1' } },
  allowPositionals: true,
});
const { differences, ran } = runMutants(Number(values.count), Number(values.seed));
const classes = new Map<string, string[]>();
for (const d of differences) classes.set(d.kind, [...(classes.get(d.kind) ?? []), d.where]);
console.log(`${ran} mutants, ${differences.length} differences`);
for (const [kind, where] of [...classes].sort((a, b) => b[1].length - a[1].length)) {
  console.log(`${where.length}\t${kind}\te.g. ${where.slice(0, 3).join(', ')}`);
}
process.exitCode = differences.length === 0 ? 0 : 1;
