// The documentation stays true: the API reference builds without a warning, and the README's
// commands, example and scripts do what the README says.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, test, vi } from 'vitest';
import { main } from '../lib/cli.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** Runs a `wasmo` command line in-process; returns its status and stdout. */
function wasmo(commandLine: string): { status: number; stdout: string } {
  let stdout = '';
  const status = main(commandLine.trim().split(/\s+/), { stdout: (t) => (stdout += t), stderr: () => undefined });
  return { status, stdout };
}

describe('API reference', () => {
  test('typedoc builds it with no warning', () => {
    const out = mkdtempSync(join(tmpdir(), 'wasmo-docs-'));
    const r = spawnSync(process.execPath, [join(root, 'node_modules/typedoc/bin/typedoc'), '--treatWarningsAsErrors', '--out', out], { cwd: root, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '')).not.toMatch(/warning|error/i);
    expect(r.status).toBe(0);
  }, 180_000);
});

describe('README', () => {
  test('the main command prints what the README says', () => {
    const command = /^scripts\/debian-deps\.sh && npm ci && npm run build && node dist\/lib\/cli\.js (.*)$/m.exec(readme);
    const claim = /^prints `(.*)`/m.exec(readme);
    expect(command).not.toBeNull();
    expect(claim).not.toBeNull();
    expect(wasmo(command![1]!)).toEqual({ status: 0, stdout: `${claim![1]}\n` });
  });

  test('each `wasmo run` example prints its commented result', () => {
    const examples = [...readme.matchAll(/^wasmo (run [^#\n]*?)\s+# (-?[\d.]+)$/gm)];
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const [, commandLine, output] of examples) expect(wasmo(commandLine!)).toEqual({ status: 0, stdout: `${output}\n` });
  });

  test('the `wasmo wast` example passes', () => {
    const line = /^wasmo (wast [^#\n]*?)\s+#/m.exec(readme);
    expect(wasmo(line![1]!).status).toBe(0);
  });

  test('the API example runs and logs the result it claims', async () => {
    const code = /```ts\n([\s\S]*?)```/.exec(readme)![1]!;
    // The example imports the package by name; here it is the source tree.
    const file = join(mkdtempSync(join(tmpdir(), 'wasmo-readme-')), 'example.ts');
    writeFileSync(file, code.replace("from 'wasmo'", `from ${JSON.stringify(join(root, 'lib/index.ts'))}`));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await import(pathToFileURL(file).href);
      expect(log.mock.calls).toEqual([[[{ type: 'i32', value: 5 }]]]);
    } finally {
      log.mockRestore();
    }
  });

  test('the WASI example runs and logs the result it claims', async () => {
    const code = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)][1]![1]!;
    const file = join(mkdtempSync(join(tmpdir(), 'wasmo-readme-')), 'wasi-example.ts');
    writeFileSync(file, code
      .replace("from 'wasmo/wasi'", `from ${JSON.stringify(join(root, 'wasi/index.ts'))}`)
      .replace("from 'wasmo'", `from ${JSON.stringify(join(root, 'lib/index.ts'))}`)
      .replace("'build/examples/hello.wasm'", JSON.stringify(join(root, 'build/examples/hello.wasm'))));
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await import(pathToFileURL(file).href);
      expect(log.mock.calls).toEqual([[0, 'Hello, embedder!\n']]);
    } finally {
      log.mockRestore();
    }
  });

  test('the npm scripts it names exist', () => {
    const { scripts } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    for (const [, name] of readme.matchAll(/npm (?:run |test)([^\s`)]*)/g)) {
      expect(Object.keys(scripts)).toContain(name === '' ? 'test' : name);
    }
  });
});
