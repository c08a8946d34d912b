// Writes the libFuzzer seed corpus for the native front end: every binary module of the testsuite's
// non-SIMD 2.0 scripts (valid, invalid and malformed alike), one file each, named by content hash.
// `vite-node test/fuzz/seeds.ts -- DIR` (scripts/fuzz-native.sh runs it into build/fuzz/seeds).

import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { testsuiteModules } from '../testsuite-modules.js';

const dir = process.argv.slice(2).filter((a) => a !== '--')[0] ?? 'build/fuzz/seeds';
mkdirSync(dir, { recursive: true });
const names = new Set<string>();
for (const { bytes } of testsuiteModules()) {
  const name = createHash('sha1').update(bytes).digest('hex');
  names.add(name);
  writeFileSync(join(dir, `${name}.wasm`), bytes);
}
console.log(`${names.size} seeds in ${dir}`);
