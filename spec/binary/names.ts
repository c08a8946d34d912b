// The name section — WebAssembly spec, appendix 7.4 (custom sections): the function names
// subsection (id 1), a name map from function indices to names. A custom section never makes a
// module malformed (§5.5.3), so a damaged name section gives what was read before the damage.

import { MalformedError } from '../errors.js';
import type { Custom } from '../structure/module.js';
import { readUnsigned } from './leb128.js';

const FUNCTION_NAMES = 1;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The function names of the name section among `customs` (the first one named "name"), by index. */
export function functionNames(customs: readonly Custom[]): ReadonlyMap<number, string> {
  const names = new Map<number, string>();
  const section = customs.find((c) => c.name === 'name');
  if (section === undefined) return names;
  const bytes = section.bytes;
  let at = 0;
  let end = bytes.length;  // of the section, then of the subsection being read
  const next = (): number => {
    if (at >= end) throw new MalformedError('unexpected end');
    return bytes[at++]!;
  };
  try {
    while (at < end) {
      const id = next();
      const size = readUnsigned(next, 32);
      if (at + size > end) return names;
      if (id === FUNCTION_NAMES) {
        end = at + size;
        for (let n = readUnsigned(next, 32); n > 0; n--) {
          const index = readUnsigned(next, 32);
          const length = readUnsigned(next, 32);
          if (at + length > end) return names;
          names.set(index, utf8.decode(bytes.subarray(at, at + length)));
          at += length;
        }
        return names;
      }
      at += size;
    }
  } catch {
    // Damaged from here on: keep the names read so far.
  }
  return names;
}
