// A module using a proposal beyond WebAssembly 2.0 that wasmo does not decode yet is refused with
// "not supported yet: <proposal>", by the reference decoder and the native one alike, never as a
// malformed section id or a bare illegal opcode (2.0's own malformations keep their messages: the
// conformance tests pin those).

import { describe, expect, it } from 'vitest';
import { isError, module_decode } from '../lib/index.js';
import { nativeAvailable, validate } from '../lib/native.js';

const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const section = (id: number, content: number[]): number[] => [id, content.length, ...content];
/** A module with one function of type [] -> [] whose body (after its locals) is `code`. */
const withBody = (code: number[]): Uint8Array => new Uint8Array([
  ...header,
  ...section(1, [1, 0x60, 0, 0]),
  ...section(3, [1, 0]),
  ...section(10, [1, code.length + 1, 0, ...code]),
]);

const cases: [string, Uint8Array, string][] = [
  ['a tag section', new Uint8Array([...header, ...section(13, [0])]), 'exception handling'],
  ['try_table', withBody([0x1f, 0x40, 0x00, 0x0b, 0x0b]), 'exception handling'],
  ['throw', withBody([0x08, 0x00, 0x0b]), 'exception handling'],
  ['legacy try', withBody([0x06, 0x40, 0x0b, 0x0b]), 'exception handling'],
  ['return_call', withBody([0x12, 0x00, 0x0b]), 'tail calls'],
  ['return_call_indirect', withBody([0x13, 0x00, 0x00, 0x0b]), 'tail calls'],
  ['call_ref', withBody([0x14, 0x00, 0x0b]), 'typed function references'],
  ['ref.as_non_null', withBody([0xd0, 0x70, 0xd4, 0x1a, 0x0b]), 'typed function references'],
  ['ref.eq', withBody([0xd3, 0x0b]), 'garbage collection'],
  ['a GC prefix instruction', withBody([0xfb, 0x1c, 0x0b]), 'garbage collection'],
  ['an atomic instruction', withBody([0xfe, 0x03, 0x00, 0x0b]), 'threads (atomics)'],
  ['a shared memory', new Uint8Array([...header, ...section(5, [1, 0x03, 1, 1])]), 'threads (shared memory)'],
  ['a 64-bit memory', new Uint8Array([...header, ...section(5, [1, 0x04, 1])]), 'memory64'],
];

describe('proposals beyond 2.0', () => {
  it.each(cases)('%s is refused naming its proposal by the reference decoder', (_, bytes, proposal) => {
    const m = module_decode(bytes, { engine: 'reference' });
    expect(isError(m) && { kind: m.kind, message: m.message }).toEqual({ kind: 'unsupported', message: `not supported yet: ${proposal}` });
  });

  it.runIf(nativeAvailable() === true).each(cases)('%s is refused the same way by the native decoder', (_, bytes, proposal) => {
    expect(validate(bytes)).toEqual({ status: 'unsupported', message: `not supported yet: ${proposal}` });
    const m = module_decode(bytes);
    expect(isError(m) && { kind: m.kind, message: m.message }).toEqual({ kind: 'unsupported', message: `not supported yet: ${proposal}` });
  });

  it('section ids past the tag section and unused opcodes stay malformed', () => {
    const m = module_decode(new Uint8Array([...header, 0x0e, 0x01, 0x00]));
    expect(isError(m) && m.message).toBe('malformed section id');
    const op = module_decode(withBody([0x27, 0x0b]), { engine: 'reference' });
    expect(isError(op) && `${op.kind}: ${op.message}`).toMatch(/^malformed: illegal opcode/);
  });
});
