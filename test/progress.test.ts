// Progress on a terminal (lib/progress.ts) and where the command line shows it: a compile of over a
// second and `wasmo wast` over many files write a line rewritten in place on stderr when it is a
// terminal, and nothing when it is not.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { main, type Io } from '../lib/cli.js';
import { progressLine, progressReporter, rewriteLine } from '../lib/progress.js';

describe('progress lines', () => {
  test('say what, how many of how many, and the percentage', () => {
    expect(progressLine('compiling prog.wasm', 1234, 5678, 'functions')).toBe('compiling prog.wasm: 1,234/5,678 functions (21%)');
    expect(progressLine('wast', 0, 3, 'files')).toBe('wast: 0/3 files (0%)');
    expect(progressLine('wast', 0, 0, 'files')).toBe('wast: 0/0 files (100%)');
    expect(rewriteLine('x')).toBe('\r\x1b[Kx');
  });

  test('show on a terminal once the delay has passed, and are erased at the end', () => {
    let now = 0;
    const written: string[] = [];
    const r = progressReporter({ isTTY: true, write: (t) => written.push(t) }, 1000, () => now);
    r.update!('early');
    now = 999;
    r.update!('still early');
    expect(written).toEqual([]);
    now = 1000;
    r.update!('shown');
    r.end();
    r.end();
    expect(written).toEqual(['\r\x1b[Kshown', '\r\x1b[K']);
  });

  test('a reporter that showed nothing erases nothing', () => {
    const written: string[] = [];
    const r = progressReporter({ isTTY: true, write: (t) => written.push(t) }, 1000, () => 0);
    r.update!('early');
    r.end();
    expect(written).toEqual([]);
  });

  test('are never shown when stderr is not a terminal', () => {
    const written: string[] = [];
    const r = progressReporter({ isTTY: false, write: (t) => written.push(t) }, 0);
    expect(r.update).toBeUndefined();
    r.end();
    expect(written).toEqual([]);
  });
});

describe('the command line', () => {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'wasmo-progress-'));
  const scripts = ['a', 'b', 'c'].map((name) => {
    const path = join(dir, `${name}.wast`);
    writeFileSync(path, readFileSync(join(root, 'examples', 'add.wast')));
    return path;
  });
  const run = (argv: string[], tty: boolean | undefined): { status: number; stdout: string; stderr: string } => {
    let stdout = '';
    let stderr = '';
    const io: Io = { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), ...(tty === undefined ? {} : { stderrIsTTY: tty }) };
    return { status: main(argv, io), stdout, stderr };
  };

  test('wasmo wast over many files shows which runs on a terminal, each line erased before its row', () => {
    const r = run(['wast', ...scripts], true);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      ['wast: 0/3 files (0%) a.wast', 'wast: 1/3 files (33%) b.wast', 'wast: 2/3 files (66%) c.wast']
        .map((line) => `${rewriteLine(line)}${rewriteLine('')}`).join(''));
  });

  test.each([false, undefined])('prints nothing extra when stderr is not a terminal (isTTY %s)', (tty) => {
    const wast = run(['wast', ...scripts], tty);
    expect(wast.status).toBe(0);
    expect(wast.stderr).toBe('');
    expect(run(['compile', '--compile-threads', '2', join(root, 'examples', 'add.wat'), '-o', join(dir, 'add.cwasm')], tty))
      .toEqual({ status: 0, stdout: '', stderr: '' });
    expect(run(['run', '--no-cache', '--compile-threads=1', '--invoke', 'add', join(root, 'examples', 'add.wat'), '2', '3'], tty))
      .toEqual({ status: 0, stdout: '5\n', stderr: '' });
  });

  test('--compile-threads takes a number of threads', () => {
    const r = run(['compile', '--compile-threads', '0', join(root, 'examples', 'add.wat')], false);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('wasmo: --compile-threads takes a number of threads from 1 to 1024, not "0"\n');
    expect(run(['run', '--compile-threads', 'x', join(root, 'examples', 'add.wat')], false).stderr)
      .toBe('wasmo: --compile-threads takes a number of threads from 1 to 1024, not "x"\n');
  });
});
