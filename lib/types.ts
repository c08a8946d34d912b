// External types as wasm text writes them, for messages and listings (the CLI, the linker, WASI).

import type { ExternType, FuncType } from '../spec/structure/types.js';

/** A function type as wasm text writes it: `(param i32 i32) (result i32)`. */
export function formatFuncType(t: FuncType): string {
  const params = t.params.length > 0 ? `(param ${t.params.join(' ')})` : '';
  const results = t.results.length > 0 ? `(result ${t.results.join(' ')})` : '';
  return `func ${params} ${results}`.replace(/ +/g, ' ').trim();
}

/** An external type as wasm text roughly writes it, for listings of imports and exports. */
export function formatExternType(t: ExternType): string {
  const limits = (l: { min: number; max?: number }): string => (l.max === undefined ? `${l.min}` : `${l.min} ${l.max}`);
  switch (t.kind) {
    case 'func': return formatFuncType(t.type);
    case 'table': return `table ${limits(t.type.limits)} ${t.type.reftype}`;
    case 'mem': return `memory ${limits(t.type.limits)}`;
    case 'global': return `global ${t.type.mut ? `(mut ${t.type.type})` : t.type.type}`;
    case 'tag': return `tag ${formatFuncType(t.type.type).slice('func '.length)}`.trim();
  }
}
