// The binary modules of the official testsuite's 2.0 scripts (SIMD too), with the outcome each script
// expects: every module, assert_invalid and binary assert_malformed (text-level malformations never
// reach bytes). Read by the native validator's conformance check, the mutation test and the libFuzzer
// seeds. The testsuite path is WASMO_TESTSUITE or ../shared/testsuite.

import { readFileSync } from 'node:fs';
import { module_parse, isError } from '../lib/index.js';
import { encodeModule } from '../spec/binary/encode.js';
import { parseScript } from '../spec/text/script.js';

export const testsuite = process.env['WASMO_TESTSUITE'] ?? '../shared/testsuite';

export interface TestsuiteModule {
  /** file:line of the command */
  where: string;
  want: 'ok' | 'invalid' | 'malformed';
  /** the expected message; '' for a valid module */
  message: string;
  bytes: Uint8Array;
}

export function testsuiteModules(): TestsuiteModule[] {
  const files = readFileSync(`${testsuite}/wasm2.txt`, 'utf8').split('\n').map((l) => l.trim())
    .filter((l) => l.endsWith('.wast'));
  const out: TestsuiteModule[] = [];
  for (const file of files) {
    for (const c of parseScript(readFileSync(`${testsuite}/core/${file.replace(/^core\//, '')}`, 'utf8'))) {
      if (c.kind !== 'module' && c.kind !== 'assert_invalid' && c.kind !== 'assert_malformed') continue;
      let bytes: Uint8Array;
      if (c.source.type === 'binary') {
        bytes = c.source.bytes;
      } else {
        if (c.kind === 'assert_malformed') continue;
        const m = module_parse(c.source.text);
        if (isError(m)) throw new Error(`${file}:${c.line}: ${m.message}`);
        bytes = encodeModule(m.ast);
      }
      const want = c.kind === 'module' ? 'ok' : c.kind === 'assert_invalid' ? 'invalid' : 'malformed';
      out.push({ where: `${file}:${c.line}`, want, message: c.kind === 'module' ? '' : c.message, bytes });
    }
  }
  return out;
}
