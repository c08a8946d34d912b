// Instructions — WebAssembly spec §2.4 (structure), with their binary opcodes (§5.4) and, for the
// instructions whose operand and result types are fixed, their type (§3.3). This is the one opcode
// table of the TypeScript side: decoder, encoder, text parser, validator and interpreter all key
// their per-instruction code on `Opname`, so a missing opcode is a compile error.

import type { HeapType, NumType, ValType, VecType } from './types.js';

/** Kinds of immediates an instruction carries; `ImmOf` gives the fields of each. */
export type ImmKind =
  | 'none' | 'block' | 'if' | 'label' | 'br_table' | 'func' | 'call_indirect' | 'local' | 'global'
  | 'table' | 'table_copy' | 'table_init' | 'elem' | 'memarg' | 'mem' | 'memory_copy' | 'memory_init'
  | 'data' | 'i32' | 'i64' | 'f32' | 'f64' | 'v128' | 'heaptype' | 'select' | 'lane' | 'shuffle'
  | 'memarg_lane';

export type OpType = readonly [readonly (NumType | VecType)[], readonly (NumType | VecType)[]];

export interface OpInfo {
  /** 0xFC or 0xFD for prefixed instructions; the code is then the LEB128 u32 that follows. */
  readonly prefix?: 0xfc | 0xfd;
  readonly code: number;
  readonly imm: ImmKind;
  /** [operand types, result types] when they do not depend on the context. */
  readonly sig?: OpType;
}

export const opcodes = {
  'unreachable': { code: 0x00, imm: 'none' },
  'nop': { code: 0x01, imm: 'none' },
  'block': { code: 0x02, imm: 'block' },
  'loop': { code: 0x03, imm: 'block' },
  'if': { code: 0x04, imm: 'if' },
  'br': { code: 0x0C, imm: 'label' },
  'br_if': { code: 0x0D, imm: 'label' },
  'br_table': { code: 0x0E, imm: 'br_table' },
  'return': { code: 0x0F, imm: 'none' },
  'call': { code: 0x10, imm: 'func' },
  'call_indirect': { code: 0x11, imm: 'call_indirect' },
  'drop': { code: 0x1A, imm: 'none' },
  'select': { code: 0x1B, imm: 'select' },
  'local.get': { code: 0x20, imm: 'local' },
  'local.set': { code: 0x21, imm: 'local' },
  'local.tee': { code: 0x22, imm: 'local' },
  'global.get': { code: 0x23, imm: 'global' },
  'global.set': { code: 0x24, imm: 'global' },
  'table.get': { code: 0x25, imm: 'table' },
  'table.set': { code: 0x26, imm: 'table' },
  'i32.load': { code: 0x28, imm: 'memarg', sig: [['i32'], ['i32']] },
  'i64.load': { code: 0x29, imm: 'memarg', sig: [['i32'], ['i64']] },
  'f32.load': { code: 0x2A, imm: 'memarg', sig: [['i32'], ['f32']] },
  'f64.load': { code: 0x2B, imm: 'memarg', sig: [['i32'], ['f64']] },
  'i32.load8_s': { code: 0x2C, imm: 'memarg', sig: [['i32'], ['i32']] },
  'i32.load8_u': { code: 0x2D, imm: 'memarg', sig: [['i32'], ['i32']] },
  'i32.load16_s': { code: 0x2E, imm: 'memarg', sig: [['i32'], ['i32']] },
  'i32.load16_u': { code: 0x2F, imm: 'memarg', sig: [['i32'], ['i32']] },
  'i64.load8_s': { code: 0x30, imm: 'memarg', sig: [['i32'], ['i64']] },
  'i64.load8_u': { code: 0x31, imm: 'memarg', sig: [['i32'], ['i64']] },
  'i64.load16_s': { code: 0x32, imm: 'memarg', sig: [['i32'], ['i64']] },
  'i64.load16_u': { code: 0x33, imm: 'memarg', sig: [['i32'], ['i64']] },
  'i64.load32_s': { code: 0x34, imm: 'memarg', sig: [['i32'], ['i64']] },
  'i64.load32_u': { code: 0x35, imm: 'memarg', sig: [['i32'], ['i64']] },
  'i32.store': { code: 0x36, imm: 'memarg', sig: [['i32', 'i32'], []] },
  'i64.store': { code: 0x37, imm: 'memarg', sig: [['i32', 'i64'], []] },
  'f32.store': { code: 0x38, imm: 'memarg', sig: [['i32', 'f32'], []] },
  'f64.store': { code: 0x39, imm: 'memarg', sig: [['i32', 'f64'], []] },
  'i32.store8': { code: 0x3A, imm: 'memarg', sig: [['i32', 'i32'], []] },
  'i32.store16': { code: 0x3B, imm: 'memarg', sig: [['i32', 'i32'], []] },
  'i64.store8': { code: 0x3C, imm: 'memarg', sig: [['i32', 'i64'], []] },
  'i64.store16': { code: 0x3D, imm: 'memarg', sig: [['i32', 'i64'], []] },
  'i64.store32': { code: 0x3E, imm: 'memarg', sig: [['i32', 'i64'], []] },
  'memory.size': { code: 0x3F, imm: 'mem', sig: [[], ['i32']] },
  'memory.grow': { code: 0x40, imm: 'mem', sig: [['i32'], ['i32']] },
  'i32.const': { code: 0x41, imm: 'i32', sig: [[], ['i32']] },
  'i64.const': { code: 0x42, imm: 'i64', sig: [[], ['i64']] },
  'f32.const': { code: 0x43, imm: 'f32', sig: [[], ['f32']] },
  'f64.const': { code: 0x44, imm: 'f64', sig: [[], ['f64']] },
  'i32.eqz': { code: 0x45, imm: 'none', sig: [['i32'], ['i32']] },
  'i32.eq': { code: 0x46, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.ne': { code: 0x47, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.lt_s': { code: 0x48, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.lt_u': { code: 0x49, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.gt_s': { code: 0x4A, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.gt_u': { code: 0x4B, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.le_s': { code: 0x4C, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.le_u': { code: 0x4D, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.ge_s': { code: 0x4E, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.ge_u': { code: 0x4F, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i64.eqz': { code: 0x50, imm: 'none', sig: [['i64'], ['i32']] },
  'i64.eq': { code: 0x51, imm: 'none', sig: [['i64', 'i64'], ['i32']] },
  'i64.ne': { code: 0x52, imm: 'none', sig: [['i64', 'i64'], ['i32']] },
  'i64.lt_s': { code: 0x53, imm: 'none', sig: [['i64', 'i64'], ['i32']] },
  'i64.lt_u': { code: 0x54, imm: 'none', sig: [['i64', 'i64'], ['i32']] },
  'i64.gt_s': { code: 0x55, imm: 'none', sig: [['i64', 'i64'], ['i32']] },
  'i64.gt_u': { code: 0x56, imm: 'none', sig: [['i64', 'i64'], ['i32']] },
  'i64.le_s': { code: 0x57, imm: 'none', sig: [['i64', 'i64'], ['i32']] },
  'i64.le_u': { code: 0x58, imm: 'none', sig: [['i64', 'i64'], ['i32']] },
  'i64.ge_s': { code: 0x59, imm: 'none', sig: [['i64', 'i64'], ['i32']] },
  'i64.ge_u': { code: 0x5A, imm: 'none', sig: [['i64', 'i64'], ['i32']] },
  'f32.eq': { code: 0x5B, imm: 'none', sig: [['f32', 'f32'], ['i32']] },
  'f32.ne': { code: 0x5C, imm: 'none', sig: [['f32', 'f32'], ['i32']] },
  'f32.lt': { code: 0x5D, imm: 'none', sig: [['f32', 'f32'], ['i32']] },
  'f32.gt': { code: 0x5E, imm: 'none', sig: [['f32', 'f32'], ['i32']] },
  'f32.le': { code: 0x5F, imm: 'none', sig: [['f32', 'f32'], ['i32']] },
  'f32.ge': { code: 0x60, imm: 'none', sig: [['f32', 'f32'], ['i32']] },
  'f64.eq': { code: 0x61, imm: 'none', sig: [['f64', 'f64'], ['i32']] },
  'f64.ne': { code: 0x62, imm: 'none', sig: [['f64', 'f64'], ['i32']] },
  'f64.lt': { code: 0x63, imm: 'none', sig: [['f64', 'f64'], ['i32']] },
  'f64.gt': { code: 0x64, imm: 'none', sig: [['f64', 'f64'], ['i32']] },
  'f64.le': { code: 0x65, imm: 'none', sig: [['f64', 'f64'], ['i32']] },
  'f64.ge': { code: 0x66, imm: 'none', sig: [['f64', 'f64'], ['i32']] },
  'i32.clz': { code: 0x67, imm: 'none', sig: [['i32'], ['i32']] },
  'i32.ctz': { code: 0x68, imm: 'none', sig: [['i32'], ['i32']] },
  'i32.popcnt': { code: 0x69, imm: 'none', sig: [['i32'], ['i32']] },
  'i32.add': { code: 0x6A, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.sub': { code: 0x6B, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.mul': { code: 0x6C, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.div_s': { code: 0x6D, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.div_u': { code: 0x6E, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.rem_s': { code: 0x6F, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.rem_u': { code: 0x70, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.and': { code: 0x71, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.or': { code: 0x72, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.xor': { code: 0x73, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.shl': { code: 0x74, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.shr_s': { code: 0x75, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.shr_u': { code: 0x76, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.rotl': { code: 0x77, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i32.rotr': { code: 0x78, imm: 'none', sig: [['i32', 'i32'], ['i32']] },
  'i64.clz': { code: 0x79, imm: 'none', sig: [['i64'], ['i64']] },
  'i64.ctz': { code: 0x7A, imm: 'none', sig: [['i64'], ['i64']] },
  'i64.popcnt': { code: 0x7B, imm: 'none', sig: [['i64'], ['i64']] },
  'i64.add': { code: 0x7C, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.sub': { code: 0x7D, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.mul': { code: 0x7E, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.div_s': { code: 0x7F, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.div_u': { code: 0x80, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.rem_s': { code: 0x81, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.rem_u': { code: 0x82, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.and': { code: 0x83, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.or': { code: 0x84, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.xor': { code: 0x85, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.shl': { code: 0x86, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.shr_s': { code: 0x87, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.shr_u': { code: 0x88, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.rotl': { code: 0x89, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'i64.rotr': { code: 0x8A, imm: 'none', sig: [['i64', 'i64'], ['i64']] },
  'f32.abs': { code: 0x8B, imm: 'none', sig: [['f32'], ['f32']] },
  'f32.neg': { code: 0x8C, imm: 'none', sig: [['f32'], ['f32']] },
  'f32.ceil': { code: 0x8D, imm: 'none', sig: [['f32'], ['f32']] },
  'f32.floor': { code: 0x8E, imm: 'none', sig: [['f32'], ['f32']] },
  'f32.trunc': { code: 0x8F, imm: 'none', sig: [['f32'], ['f32']] },
  'f32.nearest': { code: 0x90, imm: 'none', sig: [['f32'], ['f32']] },
  'f32.sqrt': { code: 0x91, imm: 'none', sig: [['f32'], ['f32']] },
  'f32.add': { code: 0x92, imm: 'none', sig: [['f32', 'f32'], ['f32']] },
  'f32.sub': { code: 0x93, imm: 'none', sig: [['f32', 'f32'], ['f32']] },
  'f32.mul': { code: 0x94, imm: 'none', sig: [['f32', 'f32'], ['f32']] },
  'f32.div': { code: 0x95, imm: 'none', sig: [['f32', 'f32'], ['f32']] },
  'f32.min': { code: 0x96, imm: 'none', sig: [['f32', 'f32'], ['f32']] },
  'f32.max': { code: 0x97, imm: 'none', sig: [['f32', 'f32'], ['f32']] },
  'f32.copysign': { code: 0x98, imm: 'none', sig: [['f32', 'f32'], ['f32']] },
  'f64.abs': { code: 0x99, imm: 'none', sig: [['f64'], ['f64']] },
  'f64.neg': { code: 0x9A, imm: 'none', sig: [['f64'], ['f64']] },
  'f64.ceil': { code: 0x9B, imm: 'none', sig: [['f64'], ['f64']] },
  'f64.floor': { code: 0x9C, imm: 'none', sig: [['f64'], ['f64']] },
  'f64.trunc': { code: 0x9D, imm: 'none', sig: [['f64'], ['f64']] },
  'f64.nearest': { code: 0x9E, imm: 'none', sig: [['f64'], ['f64']] },
  'f64.sqrt': { code: 0x9F, imm: 'none', sig: [['f64'], ['f64']] },
  'f64.add': { code: 0xA0, imm: 'none', sig: [['f64', 'f64'], ['f64']] },
  'f64.sub': { code: 0xA1, imm: 'none', sig: [['f64', 'f64'], ['f64']] },
  'f64.mul': { code: 0xA2, imm: 'none', sig: [['f64', 'f64'], ['f64']] },
  'f64.div': { code: 0xA3, imm: 'none', sig: [['f64', 'f64'], ['f64']] },
  'f64.min': { code: 0xA4, imm: 'none', sig: [['f64', 'f64'], ['f64']] },
  'f64.max': { code: 0xA5, imm: 'none', sig: [['f64', 'f64'], ['f64']] },
  'f64.copysign': { code: 0xA6, imm: 'none', sig: [['f64', 'f64'], ['f64']] },
  'i32.wrap_i64': { code: 0xA7, imm: 'none', sig: [['i64'], ['i32']] },
  'i32.trunc_f32_s': { code: 0xA8, imm: 'none', sig: [['f32'], ['i32']] },
  'i32.trunc_f32_u': { code: 0xA9, imm: 'none', sig: [['f32'], ['i32']] },
  'i32.trunc_f64_s': { code: 0xAA, imm: 'none', sig: [['f64'], ['i32']] },
  'i32.trunc_f64_u': { code: 0xAB, imm: 'none', sig: [['f64'], ['i32']] },
  'i64.extend_i32_s': { code: 0xAC, imm: 'none', sig: [['i32'], ['i64']] },
  'i64.extend_i32_u': { code: 0xAD, imm: 'none', sig: [['i32'], ['i64']] },
  'i64.trunc_f32_s': { code: 0xAE, imm: 'none', sig: [['f32'], ['i64']] },
  'i64.trunc_f32_u': { code: 0xAF, imm: 'none', sig: [['f32'], ['i64']] },
  'i64.trunc_f64_s': { code: 0xB0, imm: 'none', sig: [['f64'], ['i64']] },
  'i64.trunc_f64_u': { code: 0xB1, imm: 'none', sig: [['f64'], ['i64']] },
  'f32.convert_i32_s': { code: 0xB2, imm: 'none', sig: [['i32'], ['f32']] },
  'f32.convert_i32_u': { code: 0xB3, imm: 'none', sig: [['i32'], ['f32']] },
  'f32.convert_i64_s': { code: 0xB4, imm: 'none', sig: [['i64'], ['f32']] },
  'f32.convert_i64_u': { code: 0xB5, imm: 'none', sig: [['i64'], ['f32']] },
  'f32.demote_f64': { code: 0xB6, imm: 'none', sig: [['f64'], ['f32']] },
  'f64.convert_i32_s': { code: 0xB7, imm: 'none', sig: [['i32'], ['f64']] },
  'f64.convert_i32_u': { code: 0xB8, imm: 'none', sig: [['i32'], ['f64']] },
  'f64.convert_i64_s': { code: 0xB9, imm: 'none', sig: [['i64'], ['f64']] },
  'f64.convert_i64_u': { code: 0xBA, imm: 'none', sig: [['i64'], ['f64']] },
  'f64.promote_f32': { code: 0xBB, imm: 'none', sig: [['f32'], ['f64']] },
  'i32.reinterpret_f32': { code: 0xBC, imm: 'none', sig: [['f32'], ['i32']] },
  'i64.reinterpret_f64': { code: 0xBD, imm: 'none', sig: [['f64'], ['i64']] },
  'f32.reinterpret_i32': { code: 0xBE, imm: 'none', sig: [['i32'], ['f32']] },
  'f64.reinterpret_i64': { code: 0xBF, imm: 'none', sig: [['i64'], ['f64']] },
  'i32.extend8_s': { code: 0xC0, imm: 'none', sig: [['i32'], ['i32']] },
  'i32.extend16_s': { code: 0xC1, imm: 'none', sig: [['i32'], ['i32']] },
  'i64.extend8_s': { code: 0xC2, imm: 'none', sig: [['i64'], ['i64']] },
  'i64.extend16_s': { code: 0xC3, imm: 'none', sig: [['i64'], ['i64']] },
  'i64.extend32_s': { code: 0xC4, imm: 'none', sig: [['i64'], ['i64']] },
  'ref.null': { code: 0xD0, imm: 'heaptype' },
  'ref.is_null': { code: 0xD1, imm: 'none' },
  'ref.func': { code: 0xD2, imm: 'func' },
  'i32.trunc_sat_f32_s': { prefix: 0xFC, code: 0, imm: 'none', sig: [['f32'], ['i32']] },
  'i32.trunc_sat_f32_u': { prefix: 0xFC, code: 1, imm: 'none', sig: [['f32'], ['i32']] },
  'i32.trunc_sat_f64_s': { prefix: 0xFC, code: 2, imm: 'none', sig: [['f64'], ['i32']] },
  'i32.trunc_sat_f64_u': { prefix: 0xFC, code: 3, imm: 'none', sig: [['f64'], ['i32']] },
  'i64.trunc_sat_f32_s': { prefix: 0xFC, code: 4, imm: 'none', sig: [['f32'], ['i64']] },
  'i64.trunc_sat_f32_u': { prefix: 0xFC, code: 5, imm: 'none', sig: [['f32'], ['i64']] },
  'i64.trunc_sat_f64_s': { prefix: 0xFC, code: 6, imm: 'none', sig: [['f64'], ['i64']] },
  'i64.trunc_sat_f64_u': { prefix: 0xFC, code: 7, imm: 'none', sig: [['f64'], ['i64']] },
  'memory.init': { prefix: 0xFC, code: 8, imm: 'memory_init', sig: [['i32', 'i32', 'i32'], []] },
  'data.drop': { prefix: 0xFC, code: 9, imm: 'data', sig: [[], []] },
  'memory.copy': { prefix: 0xFC, code: 10, imm: 'memory_copy', sig: [['i32', 'i32', 'i32'], []] },
  'memory.fill': { prefix: 0xFC, code: 11, imm: 'mem', sig: [['i32', 'i32', 'i32'], []] },
  'table.init': { prefix: 0xFC, code: 12, imm: 'table_init', sig: [['i32', 'i32', 'i32'], []] },
  'elem.drop': { prefix: 0xFC, code: 13, imm: 'elem', sig: [[], []] },
  'table.copy': { prefix: 0xFC, code: 14, imm: 'table_copy', sig: [['i32', 'i32', 'i32'], []] },
  'table.grow': { prefix: 0xFC, code: 15, imm: 'table' },
  'table.size': { prefix: 0xFC, code: 16, imm: 'table', sig: [[], ['i32']] },
  'table.fill': { prefix: 0xFC, code: 17, imm: 'table' },
  'v128.load': { prefix: 0xFD, code: 0, imm: 'memarg', sig: [['i32'], ['v128']] },
  'v128.load8x8_s': { prefix: 0xFD, code: 1, imm: 'memarg', sig: [['i32'], ['v128']] },
  'v128.load8x8_u': { prefix: 0xFD, code: 2, imm: 'memarg', sig: [['i32'], ['v128']] },
  'v128.load16x4_s': { prefix: 0xFD, code: 3, imm: 'memarg', sig: [['i32'], ['v128']] },
  'v128.load16x4_u': { prefix: 0xFD, code: 4, imm: 'memarg', sig: [['i32'], ['v128']] },
  'v128.load32x2_s': { prefix: 0xFD, code: 5, imm: 'memarg', sig: [['i32'], ['v128']] },
  'v128.load32x2_u': { prefix: 0xFD, code: 6, imm: 'memarg', sig: [['i32'], ['v128']] },
  'v128.load8_splat': { prefix: 0xFD, code: 7, imm: 'memarg', sig: [['i32'], ['v128']] },
  'v128.load16_splat': { prefix: 0xFD, code: 8, imm: 'memarg', sig: [['i32'], ['v128']] },
  'v128.load32_splat': { prefix: 0xFD, code: 9, imm: 'memarg', sig: [['i32'], ['v128']] },
  'v128.load64_splat': { prefix: 0xFD, code: 10, imm: 'memarg', sig: [['i32'], ['v128']] },
  'v128.store': { prefix: 0xFD, code: 11, imm: 'memarg', sig: [['i32', 'v128'], []] },
  'v128.const': { prefix: 0xFD, code: 12, imm: 'v128', sig: [[], ['v128']] },
  'i8x16.shuffle': { prefix: 0xFD, code: 13, imm: 'shuffle', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.swizzle': { prefix: 0xFD, code: 14, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.splat': { prefix: 0xFD, code: 15, imm: 'none', sig: [['i32'], ['v128']] },
  'i16x8.splat': { prefix: 0xFD, code: 16, imm: 'none', sig: [['i32'], ['v128']] },
  'i32x4.splat': { prefix: 0xFD, code: 17, imm: 'none', sig: [['i32'], ['v128']] },
  'i64x2.splat': { prefix: 0xFD, code: 18, imm: 'none', sig: [['i64'], ['v128']] },
  'f32x4.splat': { prefix: 0xFD, code: 19, imm: 'none', sig: [['f32'], ['v128']] },
  'f64x2.splat': { prefix: 0xFD, code: 20, imm: 'none', sig: [['f64'], ['v128']] },
  'i8x16.extract_lane_s': { prefix: 0xFD, code: 21, imm: 'lane', sig: [['v128'], ['i32']] },
  'i8x16.extract_lane_u': { prefix: 0xFD, code: 22, imm: 'lane', sig: [['v128'], ['i32']] },
  'i8x16.replace_lane': { prefix: 0xFD, code: 23, imm: 'lane', sig: [['v128', 'i32'], ['v128']] },
  'i16x8.extract_lane_s': { prefix: 0xFD, code: 24, imm: 'lane', sig: [['v128'], ['i32']] },
  'i16x8.extract_lane_u': { prefix: 0xFD, code: 25, imm: 'lane', sig: [['v128'], ['i32']] },
  'i16x8.replace_lane': { prefix: 0xFD, code: 26, imm: 'lane', sig: [['v128', 'i32'], ['v128']] },
  'i32x4.extract_lane': { prefix: 0xFD, code: 27, imm: 'lane', sig: [['v128'], ['i32']] },
  'i32x4.replace_lane': { prefix: 0xFD, code: 28, imm: 'lane', sig: [['v128', 'i32'], ['v128']] },
  'i64x2.extract_lane': { prefix: 0xFD, code: 29, imm: 'lane', sig: [['v128'], ['i64']] },
  'i64x2.replace_lane': { prefix: 0xFD, code: 30, imm: 'lane', sig: [['v128', 'i64'], ['v128']] },
  'f32x4.extract_lane': { prefix: 0xFD, code: 31, imm: 'lane', sig: [['v128'], ['f32']] },
  'f32x4.replace_lane': { prefix: 0xFD, code: 32, imm: 'lane', sig: [['v128', 'f32'], ['v128']] },
  'f64x2.extract_lane': { prefix: 0xFD, code: 33, imm: 'lane', sig: [['v128'], ['f64']] },
  'f64x2.replace_lane': { prefix: 0xFD, code: 34, imm: 'lane', sig: [['v128', 'f64'], ['v128']] },
  'i8x16.eq': { prefix: 0xFD, code: 35, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.ne': { prefix: 0xFD, code: 36, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.lt_s': { prefix: 0xFD, code: 37, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.lt_u': { prefix: 0xFD, code: 38, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.gt_s': { prefix: 0xFD, code: 39, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.gt_u': { prefix: 0xFD, code: 40, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.le_s': { prefix: 0xFD, code: 41, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.le_u': { prefix: 0xFD, code: 42, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.ge_s': { prefix: 0xFD, code: 43, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.ge_u': { prefix: 0xFD, code: 44, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.eq': { prefix: 0xFD, code: 45, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.ne': { prefix: 0xFD, code: 46, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.lt_s': { prefix: 0xFD, code: 47, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.lt_u': { prefix: 0xFD, code: 48, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.gt_s': { prefix: 0xFD, code: 49, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.gt_u': { prefix: 0xFD, code: 50, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.le_s': { prefix: 0xFD, code: 51, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.le_u': { prefix: 0xFD, code: 52, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.ge_s': { prefix: 0xFD, code: 53, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.ge_u': { prefix: 0xFD, code: 54, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.eq': { prefix: 0xFD, code: 55, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.ne': { prefix: 0xFD, code: 56, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.lt_s': { prefix: 0xFD, code: 57, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.lt_u': { prefix: 0xFD, code: 58, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.gt_s': { prefix: 0xFD, code: 59, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.gt_u': { prefix: 0xFD, code: 60, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.le_s': { prefix: 0xFD, code: 61, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.le_u': { prefix: 0xFD, code: 62, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.ge_s': { prefix: 0xFD, code: 63, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.ge_u': { prefix: 0xFD, code: 64, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.eq': { prefix: 0xFD, code: 65, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.ne': { prefix: 0xFD, code: 66, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.lt': { prefix: 0xFD, code: 67, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.gt': { prefix: 0xFD, code: 68, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.le': { prefix: 0xFD, code: 69, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.ge': { prefix: 0xFD, code: 70, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.eq': { prefix: 0xFD, code: 71, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.ne': { prefix: 0xFD, code: 72, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.lt': { prefix: 0xFD, code: 73, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.gt': { prefix: 0xFD, code: 74, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.le': { prefix: 0xFD, code: 75, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.ge': { prefix: 0xFD, code: 76, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'v128.not': { prefix: 0xFD, code: 77, imm: 'none', sig: [['v128'], ['v128']] },
  'v128.and': { prefix: 0xFD, code: 78, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'v128.andnot': { prefix: 0xFD, code: 79, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'v128.or': { prefix: 0xFD, code: 80, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'v128.xor': { prefix: 0xFD, code: 81, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'v128.bitselect': { prefix: 0xFD, code: 82, imm: 'none', sig: [['v128', 'v128', 'v128'], ['v128']] },
  'v128.any_true': { prefix: 0xFD, code: 83, imm: 'none', sig: [['v128'], ['i32']] },
  'v128.load8_lane': { prefix: 0xFD, code: 84, imm: 'memarg_lane', sig: [['i32', 'v128'], ['v128']] },
  'v128.load16_lane': { prefix: 0xFD, code: 85, imm: 'memarg_lane', sig: [['i32', 'v128'], ['v128']] },
  'v128.load32_lane': { prefix: 0xFD, code: 86, imm: 'memarg_lane', sig: [['i32', 'v128'], ['v128']] },
  'v128.load64_lane': { prefix: 0xFD, code: 87, imm: 'memarg_lane', sig: [['i32', 'v128'], ['v128']] },
  'v128.store8_lane': { prefix: 0xFD, code: 88, imm: 'memarg_lane', sig: [['i32', 'v128'], []] },
  'v128.store16_lane': { prefix: 0xFD, code: 89, imm: 'memarg_lane', sig: [['i32', 'v128'], []] },
  'v128.store32_lane': { prefix: 0xFD, code: 90, imm: 'memarg_lane', sig: [['i32', 'v128'], []] },
  'v128.store64_lane': { prefix: 0xFD, code: 91, imm: 'memarg_lane', sig: [['i32', 'v128'], []] },
  'v128.load32_zero': { prefix: 0xFD, code: 92, imm: 'memarg', sig: [['i32'], ['v128']] },
  'v128.load64_zero': { prefix: 0xFD, code: 93, imm: 'memarg', sig: [['i32'], ['v128']] },
  'f32x4.demote_f64x2_zero': { prefix: 0xFD, code: 94, imm: 'none', sig: [['v128'], ['v128']] },
  'f64x2.promote_low_f32x4': { prefix: 0xFD, code: 95, imm: 'none', sig: [['v128'], ['v128']] },
  'i8x16.abs': { prefix: 0xFD, code: 96, imm: 'none', sig: [['v128'], ['v128']] },
  'i8x16.neg': { prefix: 0xFD, code: 97, imm: 'none', sig: [['v128'], ['v128']] },
  'i8x16.popcnt': { prefix: 0xFD, code: 98, imm: 'none', sig: [['v128'], ['v128']] },
  'i8x16.all_true': { prefix: 0xFD, code: 99, imm: 'none', sig: [['v128'], ['i32']] },
  'i8x16.bitmask': { prefix: 0xFD, code: 100, imm: 'none', sig: [['v128'], ['i32']] },
  'i8x16.narrow_i16x8_s': { prefix: 0xFD, code: 101, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.narrow_i16x8_u': { prefix: 0xFD, code: 102, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.ceil': { prefix: 0xFD, code: 103, imm: 'none', sig: [['v128'], ['v128']] },
  'f32x4.floor': { prefix: 0xFD, code: 104, imm: 'none', sig: [['v128'], ['v128']] },
  'f32x4.trunc': { prefix: 0xFD, code: 105, imm: 'none', sig: [['v128'], ['v128']] },
  'f32x4.nearest': { prefix: 0xFD, code: 106, imm: 'none', sig: [['v128'], ['v128']] },
  'i8x16.shl': { prefix: 0xFD, code: 107, imm: 'none', sig: [['v128', 'i32'], ['v128']] },
  'i8x16.shr_s': { prefix: 0xFD, code: 108, imm: 'none', sig: [['v128', 'i32'], ['v128']] },
  'i8x16.shr_u': { prefix: 0xFD, code: 109, imm: 'none', sig: [['v128', 'i32'], ['v128']] },
  'i8x16.add': { prefix: 0xFD, code: 110, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.add_sat_s': { prefix: 0xFD, code: 111, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.add_sat_u': { prefix: 0xFD, code: 112, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.sub': { prefix: 0xFD, code: 113, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.sub_sat_s': { prefix: 0xFD, code: 114, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.sub_sat_u': { prefix: 0xFD, code: 115, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.ceil': { prefix: 0xFD, code: 116, imm: 'none', sig: [['v128'], ['v128']] },
  'f64x2.floor': { prefix: 0xFD, code: 117, imm: 'none', sig: [['v128'], ['v128']] },
  'i8x16.min_s': { prefix: 0xFD, code: 118, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.min_u': { prefix: 0xFD, code: 119, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.max_s': { prefix: 0xFD, code: 120, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i8x16.max_u': { prefix: 0xFD, code: 121, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.trunc': { prefix: 0xFD, code: 122, imm: 'none', sig: [['v128'], ['v128']] },
  'i8x16.avgr_u': { prefix: 0xFD, code: 123, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.extadd_pairwise_i8x16_s': { prefix: 0xFD, code: 124, imm: 'none', sig: [['v128'], ['v128']] },
  'i16x8.extadd_pairwise_i8x16_u': { prefix: 0xFD, code: 125, imm: 'none', sig: [['v128'], ['v128']] },
  'i32x4.extadd_pairwise_i16x8_s': { prefix: 0xFD, code: 126, imm: 'none', sig: [['v128'], ['v128']] },
  'i32x4.extadd_pairwise_i16x8_u': { prefix: 0xFD, code: 127, imm: 'none', sig: [['v128'], ['v128']] },
  'i16x8.abs': { prefix: 0xFD, code: 128, imm: 'none', sig: [['v128'], ['v128']] },
  'i16x8.neg': { prefix: 0xFD, code: 129, imm: 'none', sig: [['v128'], ['v128']] },
  'i16x8.q15mulr_sat_s': { prefix: 0xFD, code: 130, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.all_true': { prefix: 0xFD, code: 131, imm: 'none', sig: [['v128'], ['i32']] },
  'i16x8.bitmask': { prefix: 0xFD, code: 132, imm: 'none', sig: [['v128'], ['i32']] },
  'i16x8.narrow_i32x4_s': { prefix: 0xFD, code: 133, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.narrow_i32x4_u': { prefix: 0xFD, code: 134, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.extend_low_i8x16_s': { prefix: 0xFD, code: 135, imm: 'none', sig: [['v128'], ['v128']] },
  'i16x8.extend_high_i8x16_s': { prefix: 0xFD, code: 136, imm: 'none', sig: [['v128'], ['v128']] },
  'i16x8.extend_low_i8x16_u': { prefix: 0xFD, code: 137, imm: 'none', sig: [['v128'], ['v128']] },
  'i16x8.extend_high_i8x16_u': { prefix: 0xFD, code: 138, imm: 'none', sig: [['v128'], ['v128']] },
  'i16x8.shl': { prefix: 0xFD, code: 139, imm: 'none', sig: [['v128', 'i32'], ['v128']] },
  'i16x8.shr_s': { prefix: 0xFD, code: 140, imm: 'none', sig: [['v128', 'i32'], ['v128']] },
  'i16x8.shr_u': { prefix: 0xFD, code: 141, imm: 'none', sig: [['v128', 'i32'], ['v128']] },
  'i16x8.add': { prefix: 0xFD, code: 142, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.add_sat_s': { prefix: 0xFD, code: 143, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.add_sat_u': { prefix: 0xFD, code: 144, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.sub': { prefix: 0xFD, code: 145, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.sub_sat_s': { prefix: 0xFD, code: 146, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.sub_sat_u': { prefix: 0xFD, code: 147, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.nearest': { prefix: 0xFD, code: 148, imm: 'none', sig: [['v128'], ['v128']] },
  'i16x8.mul': { prefix: 0xFD, code: 149, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.min_s': { prefix: 0xFD, code: 150, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.min_u': { prefix: 0xFD, code: 151, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.max_s': { prefix: 0xFD, code: 152, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.max_u': { prefix: 0xFD, code: 153, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.avgr_u': { prefix: 0xFD, code: 155, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.extmul_low_i8x16_s': { prefix: 0xFD, code: 156, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.extmul_high_i8x16_s': { prefix: 0xFD, code: 157, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.extmul_low_i8x16_u': { prefix: 0xFD, code: 158, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i16x8.extmul_high_i8x16_u': { prefix: 0xFD, code: 159, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.abs': { prefix: 0xFD, code: 160, imm: 'none', sig: [['v128'], ['v128']] },
  'i32x4.neg': { prefix: 0xFD, code: 161, imm: 'none', sig: [['v128'], ['v128']] },
  'i32x4.all_true': { prefix: 0xFD, code: 163, imm: 'none', sig: [['v128'], ['i32']] },
  'i32x4.bitmask': { prefix: 0xFD, code: 164, imm: 'none', sig: [['v128'], ['i32']] },
  'i32x4.extend_low_i16x8_s': { prefix: 0xFD, code: 167, imm: 'none', sig: [['v128'], ['v128']] },
  'i32x4.extend_high_i16x8_s': { prefix: 0xFD, code: 168, imm: 'none', sig: [['v128'], ['v128']] },
  'i32x4.extend_low_i16x8_u': { prefix: 0xFD, code: 169, imm: 'none', sig: [['v128'], ['v128']] },
  'i32x4.extend_high_i16x8_u': { prefix: 0xFD, code: 170, imm: 'none', sig: [['v128'], ['v128']] },
  'i32x4.shl': { prefix: 0xFD, code: 171, imm: 'none', sig: [['v128', 'i32'], ['v128']] },
  'i32x4.shr_s': { prefix: 0xFD, code: 172, imm: 'none', sig: [['v128', 'i32'], ['v128']] },
  'i32x4.shr_u': { prefix: 0xFD, code: 173, imm: 'none', sig: [['v128', 'i32'], ['v128']] },
  'i32x4.add': { prefix: 0xFD, code: 174, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.sub': { prefix: 0xFD, code: 177, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.mul': { prefix: 0xFD, code: 181, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.min_s': { prefix: 0xFD, code: 182, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.min_u': { prefix: 0xFD, code: 183, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.max_s': { prefix: 0xFD, code: 184, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.max_u': { prefix: 0xFD, code: 185, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.dot_i16x8_s': { prefix: 0xFD, code: 186, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.extmul_low_i16x8_s': { prefix: 0xFD, code: 188, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.extmul_high_i16x8_s': { prefix: 0xFD, code: 189, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.extmul_low_i16x8_u': { prefix: 0xFD, code: 190, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.extmul_high_i16x8_u': { prefix: 0xFD, code: 191, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.abs': { prefix: 0xFD, code: 192, imm: 'none', sig: [['v128'], ['v128']] },
  'i64x2.neg': { prefix: 0xFD, code: 193, imm: 'none', sig: [['v128'], ['v128']] },
  'i64x2.all_true': { prefix: 0xFD, code: 195, imm: 'none', sig: [['v128'], ['i32']] },
  'i64x2.bitmask': { prefix: 0xFD, code: 196, imm: 'none', sig: [['v128'], ['i32']] },
  'i64x2.extend_low_i32x4_s': { prefix: 0xFD, code: 199, imm: 'none', sig: [['v128'], ['v128']] },
  'i64x2.extend_high_i32x4_s': { prefix: 0xFD, code: 200, imm: 'none', sig: [['v128'], ['v128']] },
  'i64x2.extend_low_i32x4_u': { prefix: 0xFD, code: 201, imm: 'none', sig: [['v128'], ['v128']] },
  'i64x2.extend_high_i32x4_u': { prefix: 0xFD, code: 202, imm: 'none', sig: [['v128'], ['v128']] },
  'i64x2.shl': { prefix: 0xFD, code: 203, imm: 'none', sig: [['v128', 'i32'], ['v128']] },
  'i64x2.shr_s': { prefix: 0xFD, code: 204, imm: 'none', sig: [['v128', 'i32'], ['v128']] },
  'i64x2.shr_u': { prefix: 0xFD, code: 205, imm: 'none', sig: [['v128', 'i32'], ['v128']] },
  'i64x2.add': { prefix: 0xFD, code: 206, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.sub': { prefix: 0xFD, code: 209, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.mul': { prefix: 0xFD, code: 213, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.eq': { prefix: 0xFD, code: 214, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.ne': { prefix: 0xFD, code: 215, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.lt_s': { prefix: 0xFD, code: 216, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.gt_s': { prefix: 0xFD, code: 217, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.le_s': { prefix: 0xFD, code: 218, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.ge_s': { prefix: 0xFD, code: 219, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.extmul_low_i32x4_s': { prefix: 0xFD, code: 220, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.extmul_high_i32x4_s': { prefix: 0xFD, code: 221, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.extmul_low_i32x4_u': { prefix: 0xFD, code: 222, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i64x2.extmul_high_i32x4_u': { prefix: 0xFD, code: 223, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.abs': { prefix: 0xFD, code: 224, imm: 'none', sig: [['v128'], ['v128']] },
  'f32x4.neg': { prefix: 0xFD, code: 225, imm: 'none', sig: [['v128'], ['v128']] },
  'f32x4.sqrt': { prefix: 0xFD, code: 227, imm: 'none', sig: [['v128'], ['v128']] },
  'f32x4.add': { prefix: 0xFD, code: 228, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.sub': { prefix: 0xFD, code: 229, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.mul': { prefix: 0xFD, code: 230, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.div': { prefix: 0xFD, code: 231, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.min': { prefix: 0xFD, code: 232, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.max': { prefix: 0xFD, code: 233, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.pmin': { prefix: 0xFD, code: 234, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f32x4.pmax': { prefix: 0xFD, code: 235, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.abs': { prefix: 0xFD, code: 236, imm: 'none', sig: [['v128'], ['v128']] },
  'f64x2.neg': { prefix: 0xFD, code: 237, imm: 'none', sig: [['v128'], ['v128']] },
  'f64x2.sqrt': { prefix: 0xFD, code: 239, imm: 'none', sig: [['v128'], ['v128']] },
  'f64x2.add': { prefix: 0xFD, code: 240, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.sub': { prefix: 0xFD, code: 241, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.mul': { prefix: 0xFD, code: 242, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.div': { prefix: 0xFD, code: 243, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.min': { prefix: 0xFD, code: 244, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.max': { prefix: 0xFD, code: 245, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.pmin': { prefix: 0xFD, code: 246, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'f64x2.pmax': { prefix: 0xFD, code: 247, imm: 'none', sig: [['v128', 'v128'], ['v128']] },
  'i32x4.trunc_sat_f32x4_s': { prefix: 0xFD, code: 248, imm: 'none', sig: [['v128'], ['v128']] },
  'i32x4.trunc_sat_f32x4_u': { prefix: 0xFD, code: 249, imm: 'none', sig: [['v128'], ['v128']] },
  'f32x4.convert_i32x4_s': { prefix: 0xFD, code: 250, imm: 'none', sig: [['v128'], ['v128']] },
  'f32x4.convert_i32x4_u': { prefix: 0xFD, code: 251, imm: 'none', sig: [['v128'], ['v128']] },
  'i32x4.trunc_sat_f64x2_s_zero': { prefix: 0xFD, code: 252, imm: 'none', sig: [['v128'], ['v128']] },
  'i32x4.trunc_sat_f64x2_u_zero': { prefix: 0xFD, code: 253, imm: 'none', sig: [['v128'], ['v128']] },
  'f64x2.convert_low_i32x4_s': { prefix: 0xFD, code: 254, imm: 'none', sig: [['v128'], ['v128']] },
  'f64x2.convert_low_i32x4_u': { prefix: 0xFD, code: 255, imm: 'none', sig: [['v128'], ['v128']] },
} as const satisfies Record<string, OpInfo>;

export type Opname = keyof typeof opcodes;
export type OpsWith<K extends ImmKind> = { [O in Opname]: (typeof opcodes)[O]['imm'] extends K ? O : never }[Opname];

/** §2.4.8 memory immediates: `align` is the exponent (log2 bytes), `offset` a u32. */
export interface MemArg {
  readonly align: number;
  readonly offset: number;
  /** Memory index; always 0 in WebAssembly 2.0. */
  readonly mem: number;
}

/** §2.4.9 block types: empty, a single result, or a type index. */
export type BlockType = null | ValType | { readonly typeidx: number };

export interface ImmOf {
  none: {};
  block: { readonly bt: BlockType; readonly body: readonly Instr[] };
  if: { readonly bt: BlockType; readonly then: readonly Instr[]; readonly else: readonly Instr[] };
  label: { readonly label: number };
  br_table: { readonly labels: readonly number[]; readonly default: number };
  func: { readonly func: number };
  call_indirect: { readonly type: number; readonly table: number };
  local: { readonly local: number };
  global: { readonly global: number };
  table: { readonly table: number };
  table_copy: { readonly dst: number; readonly src: number };
  table_init: { readonly elem: number; readonly table: number };
  elem: { readonly elem: number };
  memarg: { readonly memarg: MemArg };
  mem: { readonly mem: number };
  memory_copy: { readonly dst: number; readonly src: number };
  memory_init: { readonly data: number; readonly mem: number };
  data: { readonly data: number };
  /** i32 as a signed 32-bit integer (`x | 0`). */
  i32: { readonly value: number };
  /** i64 as a signed 64-bit bigint (`BigInt.asIntN(64, x)`). */
  i64: { readonly value: bigint };
  /** f32 as its bit pattern, an unsigned 32-bit integer. */
  f32: { readonly bits: number };
  /** f64 as its bit pattern, an unsigned 64-bit bigint. */
  f64: { readonly bits: bigint };
  /** v128 as 16 bytes, little-endian lane order. */
  v128: { readonly bytes: Uint8Array };
  heaptype: { readonly heaptype: HeapType };
  /** `types` present for the typed form (binary 0x1C), absent for plain `select` (0x1B). */
  select: { readonly types?: readonly ValType[] };
  lane: { readonly lane: number };
  shuffle: { readonly lanes: readonly number[] };
  memarg_lane: { readonly memarg: MemArg; readonly lane: number };
}

/** An instruction: its name and the immediates its kind carries. */
export type Instr = { [K in ImmKind]: { readonly op: OpsWith<K> } & ImmOf[K] }[ImmKind];
/** One instruction by name (`Extract<Instr, { op: O }>` does not narrow: `Instr` is grouped by kind). */
export type InstrOf<O extends Opname> = { readonly op: O } & ImmOf[(typeof opcodes)[O]['imm']];
/** §2.4.10 expressions. */
export type Expr = readonly Instr[];

export function opInfo(op: Opname): OpInfo {
  return opcodes[op];
}

/** Lookup from binary encoding to instruction name: key is `code` or `prefix << 16 | code`. */
export const opByCode: ReadonlyMap<number, Opname> = new Map(
  (Object.keys(opcodes) as Opname[]).map((op) => {
    const info: OpInfo = opcodes[op];
    return [info.prefix === undefined ? info.code : (info.prefix << 16) | info.code, op] as const;
  }),
);

/** Instructions computed from their operands alone (spec §4.4.1 numeric, §4.4.3 vector, minus
 *  constants and memory access): the numerics table implements exactly these. */
export type NumericOp = {
  [O in Opname]: (typeof opcodes)[O] extends { readonly sig: OpType; readonly imm: 'none' | 'lane' | 'shuffle' } ? O : never;
}[Opname];

/** The structured instructions (§2.4.8): those with nested instruction sequences. */
export type StructuredInstr = InstrOf<'block'> | InstrOf<'loop'> | InstrOf<'if'>;

/** What a walk over an expression does where: see `walkExpr`. */
export interface InstrVisitor {
  /** Each instruction in order, a structured one before its nested instructions. */
  readonly instr: (i: Instr) => void;
  /** Between the arms of an `if` (also when its else arm is empty). */
  readonly else?: (i: InstrOf<'if'>) => void;
  /** After the nested instructions of a structured instruction. */
  readonly end?: (i: StructuredInstr) => void;
}

/**
 * Visits `expr` in the order of the binary format (§5.4.1: block, body, end). Nested sequences
 * are kept on an explicit stack, not the JS stack: nesting depth is the module's to choose, and a
 * valid module may nest far deeper than the JS stack allows recursive calls.
 */
export function walkExpr(expr: Expr, v: InstrVisitor): void {
  const seqs: Expr[] = [expr];
  const next: number[] = [0];
  /** The structured instruction each sequence belongs to, and whether it is an `if`'s else arm. */
  const owners: (StructuredInstr | undefined)[] = [undefined];
  const elseArm: boolean[] = [false];
  const open = (seq: Expr, owner: StructuredInstr, isElse: boolean): void => {
    seqs.push(seq);
    next.push(0);
    owners.push(owner);
    elseArm.push(isElse);
  };
  while (seqs.length > 0) {
    const top = seqs.length - 1;
    const seq = seqs[top]!;
    const at = next[top]!;
    if (at < seq.length) {
      next[top] = at + 1;
      const i = seq[at]!;
      v.instr(i);
      if (i.op === 'block' || i.op === 'loop') open(i.body, i, false);
      else if (i.op === 'if') open(i.then, i, false);
      continue;
    }
    const owner = owners[top];
    const wasElse = elseArm[top]!;
    seqs.pop();
    next.pop();
    owners.pop();
    elseArm.pop();
    if (owner === undefined) continue;
    if (owner.op === 'if' && !wasElse) {
      v.else?.(owner);
      open(owner.else, owner, true);
    } else {
      v.end?.(owner);
    }
  }
}

/**
 * `expr` with each instruction replaced by `f` of it, arms of structured instructions included
 * (`f` sees a structured instruction after its arms, and its result gets the mapped arms). Built
 * by `walkExpr`, so as deep as the input without the JS stack.
 */
export function mapExpr(expr: Expr, f: (i: Instr) => Instr): Instr[] {
  const seqs: Instr[][] = [[]];
  const thens: Instr[][] = [];
  const top = (): Instr[] => seqs[seqs.length - 1]!;
  walkExpr(expr, {
    instr: (i) => {
      if (i.op === 'block' || i.op === 'loop' || i.op === 'if') seqs.push([]);
      else top().push(f(i));
    },
    else: () => {
      thens.push(seqs.pop()!);
      seqs.push([]);
    },
    end: (i) => {
      const arm = seqs.pop()!;
      const arms = i.op === 'if' ? { then: thens.pop()!, else: arm } : { body: arm };
      // `f` keeps an instruction's kind (a structured one stays one), so the arms fit it.
      top().push({ ...f(i), ...arms } as Instr);
    },
  });
  return seqs[0]!;
}
