// Progress on a terminal, for the command line: a line rewritten in place on stderr while a long
// compile or a run of many scripts goes on, and nothing at all when stderr is not a terminal (a
// log, a pipe), so output that is read by programs never changes.

/** Where progress goes: stderr, and whether it is a terminal. */
export interface ProgressSink {
  readonly isTTY: boolean;
  write(text: string): void;
}

/** The line for `done` of `total` things: "compiling prog.wasm: 1,234/5,678 functions (21%)". */
export function progressLine(what: string, done: number, total: number, unit: string): string {
  const percent = total === 0 ? 100 : Math.floor((100 * done) / total);
  return `${what}: ${done.toLocaleString('en')}/${total.toLocaleString('en')} ${unit} (${percent}%)`;
}

/** Rewrites the terminal's current line (carriage return, erase to the end of the line). */
export const rewriteLine = (text: string): string => `\r\x1b[K${text}`;

/**
 * A progress reporter: `update` shows the line once `delayMs` have passed since it was made (a
 * short task shows nothing), `end` erases it if it was shown. Without a terminal both do nothing.
 */
export function progressReporter(sink: ProgressSink, delayMs: number, now: () => number = () => performance.now()): {
  readonly update: ((line: string) => void) | undefined;
  end(): void;
} {
  if (!sink.isTTY) return { update: undefined, end: () => {} };
  const start = now();
  let shown = false;
  return {
    update: (line) => {
      if (now() - start < delayMs) return;
      shown = true;
      sink.write(rewriteLine(line));
    },
    end: () => {
      if (shown) sink.write(rewriteLine(''));
      shown = false;
    },
  };
}
