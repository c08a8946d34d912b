// The one opcode table of the native core (spec 5.4, WebAssembly 2.0). Every list is an
// X-macro, expanded into the Op enum, the decoder's byte map and its type rules; backends switch over
// Op without a default, so -Wswitch-enum makes an opcode a backend forgot a compile error.
#pragma once
#include <cstdint>

// Instructions the decoder handles one by one (control, parametric, variable, reference, memory size).
// X(Name, opcode, text)
#define WASMO_SPECIAL_OPS(X) \
  X(Unreachable, 0x00, "unreachable") X(Nop, 0x01, "nop") X(Block, 0x02, "block") \
  X(Loop, 0x03, "loop") X(If, 0x04, "if") X(Else, 0x05, "else") X(End, 0x0B, "end") \
  X(Br, 0x0C, "br") X(BrIf, 0x0D, "br_if") X(BrTable, 0x0E, "br_table") X(Return, 0x0F, "return") \
  X(Call, 0x10, "call") X(CallIndirect, 0x11, "call_indirect") X(Drop, 0x1A, "drop") \
  X(Select, 0x1B, "select") X(SelectT, 0x1C, "select") X(LocalGet, 0x20, "local.get") \
  X(LocalSet, 0x21, "local.set") X(LocalTee, 0x22, "local.tee") X(GlobalGet, 0x23, "global.get") \
  X(GlobalSet, 0x24, "global.set") X(TableGet, 0x25, "table.get") X(TableSet, 0x26, "table.set") \
  X(MemorySize, 0x3F, "memory.size") X(MemoryGrow, 0x40, "memory.grow") \
  X(I32Const, 0x41, "i32.const") X(I64Const, 0x42, "i64.const") X(F32Const, 0x43, "f32.const") \
  X(F64Const, 0x44, "f64.const") X(RefNull, 0xD0, "ref.null") X(RefIsNull, 0xD1, "ref.is_null") \
  X(RefFunc, 0xD2, "ref.func")

// X(Name, opcode, text, value type, natural alignment as log2 bytes)
#define WASMO_LOAD_OPS(X) \
  X(I32Load, 0x28, "i32.load", I32, 2) X(I64Load, 0x29, "i64.load", I64, 3) \
  X(F32Load, 0x2A, "f32.load", F32, 2) X(F64Load, 0x2B, "f64.load", F64, 3) \
  X(I32Load8S, 0x2C, "i32.load8_s", I32, 0) X(I32Load8U, 0x2D, "i32.load8_u", I32, 0) \
  X(I32Load16S, 0x2E, "i32.load16_s", I32, 1) X(I32Load16U, 0x2F, "i32.load16_u", I32, 1) \
  X(I64Load8S, 0x30, "i64.load8_s", I64, 0) X(I64Load8U, 0x31, "i64.load8_u", I64, 0) \
  X(I64Load16S, 0x32, "i64.load16_s", I64, 1) X(I64Load16U, 0x33, "i64.load16_u", I64, 1) \
  X(I64Load32S, 0x34, "i64.load32_s", I64, 2) X(I64Load32U, 0x35, "i64.load32_u", I64, 2)

#define WASMO_STORE_OPS(X) \
  X(I32Store, 0x36, "i32.store", I32, 2) X(I64Store, 0x37, "i64.store", I64, 3) \
  X(F32Store, 0x38, "f32.store", F32, 2) X(F64Store, 0x39, "f64.store", F64, 3) \
  X(I32Store8, 0x3A, "i32.store8", I32, 0) X(I32Store16, 0x3B, "i32.store16", I32, 1) \
  X(I64Store8, 0x3C, "i64.store8", I64, 0) X(I64Store16, 0x3D, "i64.store16", I64, 1) \
  X(I64Store32, 0x3E, "i64.store32", I64, 2)

// Numeric instructions with one operand. X(Name, opcode, text, operand type, result type)
#define WASMO_UNARY_OPS(X) \
  X(I32Eqz, 0x45, "i32.eqz", I32, I32) X(I64Eqz, 0x50, "i64.eqz", I64, I32) \
  X(I32Clz, 0x67, "i32.clz", I32, I32) X(I32Ctz, 0x68, "i32.ctz", I32, I32) \
  X(I32Popcnt, 0x69, "i32.popcnt", I32, I32) X(I64Clz, 0x79, "i64.clz", I64, I64) \
  X(I64Ctz, 0x7A, "i64.ctz", I64, I64) X(I64Popcnt, 0x7B, "i64.popcnt", I64, I64) \
  X(F32Abs, 0x8B, "f32.abs", F32, F32) X(F32Neg, 0x8C, "f32.neg", F32, F32) \
  X(F32Ceil, 0x8D, "f32.ceil", F32, F32) X(F32Floor, 0x8E, "f32.floor", F32, F32) \
  X(F32Trunc, 0x8F, "f32.trunc", F32, F32) X(F32Nearest, 0x90, "f32.nearest", F32, F32) \
  X(F32Sqrt, 0x91, "f32.sqrt", F32, F32) X(F64Abs, 0x99, "f64.abs", F64, F64) \
  X(F64Neg, 0x9A, "f64.neg", F64, F64) X(F64Ceil, 0x9B, "f64.ceil", F64, F64) \
  X(F64Floor, 0x9C, "f64.floor", F64, F64) X(F64Trunc, 0x9D, "f64.trunc", F64, F64) \
  X(F64Nearest, 0x9E, "f64.nearest", F64, F64) X(F64Sqrt, 0x9F, "f64.sqrt", F64, F64) \
  X(I32WrapI64, 0xA7, "i32.wrap_i64", I64, I32) \
  X(I32TruncF32S, 0xA8, "i32.trunc_f32_s", F32, I32) X(I32TruncF32U, 0xA9, "i32.trunc_f32_u", F32, I32) \
  X(I32TruncF64S, 0xAA, "i32.trunc_f64_s", F64, I32) X(I32TruncF64U, 0xAB, "i32.trunc_f64_u", F64, I32) \
  X(I64ExtendI32S, 0xAC, "i64.extend_i32_s", I32, I64) X(I64ExtendI32U, 0xAD, "i64.extend_i32_u", I32, I64) \
  X(I64TruncF32S, 0xAE, "i64.trunc_f32_s", F32, I64) X(I64TruncF32U, 0xAF, "i64.trunc_f32_u", F32, I64) \
  X(I64TruncF64S, 0xB0, "i64.trunc_f64_s", F64, I64) X(I64TruncF64U, 0xB1, "i64.trunc_f64_u", F64, I64) \
  X(F32ConvertI32S, 0xB2, "f32.convert_i32_s", I32, F32) X(F32ConvertI32U, 0xB3, "f32.convert_i32_u", I32, F32) \
  X(F32ConvertI64S, 0xB4, "f32.convert_i64_s", I64, F32) X(F32ConvertI64U, 0xB5, "f32.convert_i64_u", I64, F32) \
  X(F32DemoteF64, 0xB6, "f32.demote_f64", F64, F32) \
  X(F64ConvertI32S, 0xB7, "f64.convert_i32_s", I32, F64) X(F64ConvertI32U, 0xB8, "f64.convert_i32_u", I32, F64) \
  X(F64ConvertI64S, 0xB9, "f64.convert_i64_s", I64, F64) X(F64ConvertI64U, 0xBA, "f64.convert_i64_u", I64, F64) \
  X(F64PromoteF32, 0xBB, "f64.promote_f32", F32, F64) \
  X(I32ReinterpretF32, 0xBC, "i32.reinterpret_f32", F32, I32) \
  X(I64ReinterpretF64, 0xBD, "i64.reinterpret_f64", F64, I64) \
  X(F32ReinterpretI32, 0xBE, "f32.reinterpret_i32", I32, F32) \
  X(F64ReinterpretI64, 0xBF, "f64.reinterpret_i64", I64, F64) \
  X(I32Extend8S, 0xC0, "i32.extend8_s", I32, I32) X(I32Extend16S, 0xC1, "i32.extend16_s", I32, I32) \
  X(I64Extend8S, 0xC2, "i64.extend8_s", I64, I64) X(I64Extend16S, 0xC3, "i64.extend16_s", I64, I64) \
  X(I64Extend32S, 0xC4, "i64.extend32_s", I64, I64) \
  X(I32TruncSatF32S, 0xFC00, "i32.trunc_sat_f32_s", F32, I32) \
  X(I32TruncSatF32U, 0xFC01, "i32.trunc_sat_f32_u", F32, I32) \
  X(I32TruncSatF64S, 0xFC02, "i32.trunc_sat_f64_s", F64, I32) \
  X(I32TruncSatF64U, 0xFC03, "i32.trunc_sat_f64_u", F64, I32) \
  X(I64TruncSatF32S, 0xFC04, "i64.trunc_sat_f32_s", F32, I64) \
  X(I64TruncSatF32U, 0xFC05, "i64.trunc_sat_f32_u", F32, I64) \
  X(I64TruncSatF64S, 0xFC06, "i64.trunc_sat_f64_s", F64, I64) \
  X(I64TruncSatF64U, 0xFC07, "i64.trunc_sat_f64_u", F64, I64)

// Numeric instructions with two operands of one type. X(Name, opcode, text, operand type, result type)
#define WASMO_BINARY_OPS(X) \
  X(I32Eq, 0x46, "i32.eq", I32, I32) X(I32Ne, 0x47, "i32.ne", I32, I32) \
  X(I32LtS, 0x48, "i32.lt_s", I32, I32) X(I32LtU, 0x49, "i32.lt_u", I32, I32) \
  X(I32GtS, 0x4A, "i32.gt_s", I32, I32) X(I32GtU, 0x4B, "i32.gt_u", I32, I32) \
  X(I32LeS, 0x4C, "i32.le_s", I32, I32) X(I32LeU, 0x4D, "i32.le_u", I32, I32) \
  X(I32GeS, 0x4E, "i32.ge_s", I32, I32) X(I32GeU, 0x4F, "i32.ge_u", I32, I32) \
  X(I64Eq, 0x51, "i64.eq", I64, I32) X(I64Ne, 0x52, "i64.ne", I64, I32) \
  X(I64LtS, 0x53, "i64.lt_s", I64, I32) X(I64LtU, 0x54, "i64.lt_u", I64, I32) \
  X(I64GtS, 0x55, "i64.gt_s", I64, I32) X(I64GtU, 0x56, "i64.gt_u", I64, I32) \
  X(I64LeS, 0x57, "i64.le_s", I64, I32) X(I64LeU, 0x58, "i64.le_u", I64, I32) \
  X(I64GeS, 0x59, "i64.ge_s", I64, I32) X(I64GeU, 0x5A, "i64.ge_u", I64, I32) \
  X(F32Eq, 0x5B, "f32.eq", F32, I32) X(F32Ne, 0x5C, "f32.ne", F32, I32) \
  X(F32Lt, 0x5D, "f32.lt", F32, I32) X(F32Gt, 0x5E, "f32.gt", F32, I32) \
  X(F32Le, 0x5F, "f32.le", F32, I32) X(F32Ge, 0x60, "f32.ge", F32, I32) \
  X(F64Eq, 0x61, "f64.eq", F64, I32) X(F64Ne, 0x62, "f64.ne", F64, I32) \
  X(F64Lt, 0x63, "f64.lt", F64, I32) X(F64Gt, 0x64, "f64.gt", F64, I32) \
  X(F64Le, 0x65, "f64.le", F64, I32) X(F64Ge, 0x66, "f64.ge", F64, I32) \
  X(I32Add, 0x6A, "i32.add", I32, I32) X(I32Sub, 0x6B, "i32.sub", I32, I32) \
  X(I32Mul, 0x6C, "i32.mul", I32, I32) X(I32DivS, 0x6D, "i32.div_s", I32, I32) \
  X(I32DivU, 0x6E, "i32.div_u", I32, I32) X(I32RemS, 0x6F, "i32.rem_s", I32, I32) \
  X(I32RemU, 0x70, "i32.rem_u", I32, I32) X(I32And, 0x71, "i32.and", I32, I32) \
  X(I32Or, 0x72, "i32.or", I32, I32) X(I32Xor, 0x73, "i32.xor", I32, I32) \
  X(I32Shl, 0x74, "i32.shl", I32, I32) X(I32ShrS, 0x75, "i32.shr_s", I32, I32) \
  X(I32ShrU, 0x76, "i32.shr_u", I32, I32) X(I32Rotl, 0x77, "i32.rotl", I32, I32) \
  X(I32Rotr, 0x78, "i32.rotr", I32, I32) \
  X(I64Add, 0x7C, "i64.add", I64, I64) X(I64Sub, 0x7D, "i64.sub", I64, I64) \
  X(I64Mul, 0x7E, "i64.mul", I64, I64) X(I64DivS, 0x7F, "i64.div_s", I64, I64) \
  X(I64DivU, 0x80, "i64.div_u", I64, I64) X(I64RemS, 0x81, "i64.rem_s", I64, I64) \
  X(I64RemU, 0x82, "i64.rem_u", I64, I64) X(I64And, 0x83, "i64.and", I64, I64) \
  X(I64Or, 0x84, "i64.or", I64, I64) X(I64Xor, 0x85, "i64.xor", I64, I64) \
  X(I64Shl, 0x86, "i64.shl", I64, I64) X(I64ShrS, 0x87, "i64.shr_s", I64, I64) \
  X(I64ShrU, 0x88, "i64.shr_u", I64, I64) X(I64Rotl, 0x89, "i64.rotl", I64, I64) \
  X(I64Rotr, 0x8A, "i64.rotr", I64, I64) \
  X(F32Add, 0x92, "f32.add", F32, F32) X(F32Sub, 0x93, "f32.sub", F32, F32) \
  X(F32Mul, 0x94, "f32.mul", F32, F32) X(F32Div, 0x95, "f32.div", F32, F32) \
  X(F32Min, 0x96, "f32.min", F32, F32) X(F32Max, 0x97, "f32.max", F32, F32) \
  X(F32Copysign, 0x98, "f32.copysign", F32, F32) \
  X(F64Add, 0xA0, "f64.add", F64, F64) X(F64Sub, 0xA1, "f64.sub", F64, F64) \
  X(F64Mul, 0xA2, "f64.mul", F64, F64) X(F64Div, 0xA3, "f64.div", F64, F64) \
  X(F64Min, 0xA4, "f64.min", F64, F64) X(F64Max, 0xA5, "f64.max", F64, F64) \
  X(F64Copysign, 0xA6, "f64.copysign", F64, F64)

// 0xFC-prefixed bulk memory and table instructions (spec 5.4.5, 5.4.6). X(Name, opcode, text)
#define WASMO_BULK_OPS(X) \
  X(MemoryInit, 0xFC08, "memory.init") X(DataDrop, 0xFC09, "data.drop") \
  X(MemoryCopy, 0xFC0A, "memory.copy") X(MemoryFill, 0xFC0B, "memory.fill") \
  X(TableInit, 0xFC0C, "table.init") X(ElemDrop, 0xFC0D, "elem.drop") \
  X(TableCopy, 0xFC0E, "table.copy") X(TableGrow, 0xFC0F, "table.grow") \
  X(TableSize, 0xFC10, "table.size") X(TableFill, 0xFC11, "table.fill")

// 0xFD-prefixed 128-bit SIMD instructions (spec 5.4.8), decoded and validated; no backend compiles
// them yet. X(Name, sub-opcode, text, immediate, argument, operand types, result types): the
// immediate is None, Memarg (argument: the access's natural alignment, log2 bytes), MemargLane (the
// same, and a lane of that width), Lane (argument: the shape's lane count), Bytes (v128.const) or
// Shuffle (argument: the lane bound, 32); types are letters: i i32, l i64, f f32, d f64, v v128.
#define WASMO_SIMD_OPS(X) \
  X(V128Load, 0x00, "v128.load", Memarg, 4, "i", "v") \
  X(V128Load8x8S, 0x01, "v128.load8x8_s", Memarg, 3, "i", "v") \
  X(V128Load8x8U, 0x02, "v128.load8x8_u", Memarg, 3, "i", "v") \
  X(V128Load16x4S, 0x03, "v128.load16x4_s", Memarg, 3, "i", "v") \
  X(V128Load16x4U, 0x04, "v128.load16x4_u", Memarg, 3, "i", "v") \
  X(V128Load32x2S, 0x05, "v128.load32x2_s", Memarg, 3, "i", "v") \
  X(V128Load32x2U, 0x06, "v128.load32x2_u", Memarg, 3, "i", "v") \
  X(V128Load8Splat, 0x07, "v128.load8_splat", Memarg, 0, "i", "v") \
  X(V128Load16Splat, 0x08, "v128.load16_splat", Memarg, 1, "i", "v") \
  X(V128Load32Splat, 0x09, "v128.load32_splat", Memarg, 2, "i", "v") \
  X(V128Load64Splat, 0x0A, "v128.load64_splat", Memarg, 3, "i", "v") \
  X(V128Store, 0x0B, "v128.store", Memarg, 4, "iv", "") \
  X(V128Const, 0x0C, "v128.const", Bytes, 0, "", "v") \
  X(I8x16Shuffle, 0x0D, "i8x16.shuffle", Shuffle, 32, "vv", "v") \
  X(I8x16Swizzle, 0x0E, "i8x16.swizzle", None, 0, "vv", "v") \
  X(I8x16Splat, 0x0F, "i8x16.splat", None, 0, "i", "v") \
  X(I16x8Splat, 0x10, "i16x8.splat", None, 0, "i", "v") \
  X(I32x4Splat, 0x11, "i32x4.splat", None, 0, "i", "v") \
  X(I64x2Splat, 0x12, "i64x2.splat", None, 0, "l", "v") \
  X(F32x4Splat, 0x13, "f32x4.splat", None, 0, "f", "v") \
  X(F64x2Splat, 0x14, "f64x2.splat", None, 0, "d", "v") \
  X(I8x16ExtractLaneS, 0x15, "i8x16.extract_lane_s", Lane, 16, "v", "i") \
  X(I8x16ExtractLaneU, 0x16, "i8x16.extract_lane_u", Lane, 16, "v", "i") \
  X(I8x16ReplaceLane, 0x17, "i8x16.replace_lane", Lane, 16, "vi", "v") \
  X(I16x8ExtractLaneS, 0x18, "i16x8.extract_lane_s", Lane, 8, "v", "i") \
  X(I16x8ExtractLaneU, 0x19, "i16x8.extract_lane_u", Lane, 8, "v", "i") \
  X(I16x8ReplaceLane, 0x1A, "i16x8.replace_lane", Lane, 8, "vi", "v") \
  X(I32x4ExtractLane, 0x1B, "i32x4.extract_lane", Lane, 4, "v", "i") \
  X(I32x4ReplaceLane, 0x1C, "i32x4.replace_lane", Lane, 4, "vi", "v") \
  X(I64x2ExtractLane, 0x1D, "i64x2.extract_lane", Lane, 2, "v", "l") \
  X(I64x2ReplaceLane, 0x1E, "i64x2.replace_lane", Lane, 2, "vl", "v") \
  X(F32x4ExtractLane, 0x1F, "f32x4.extract_lane", Lane, 4, "v", "f") \
  X(F32x4ReplaceLane, 0x20, "f32x4.replace_lane", Lane, 4, "vf", "v") \
  X(F64x2ExtractLane, 0x21, "f64x2.extract_lane", Lane, 2, "v", "d") \
  X(F64x2ReplaceLane, 0x22, "f64x2.replace_lane", Lane, 2, "vd", "v") \
  X(I8x16Eq, 0x23, "i8x16.eq", None, 0, "vv", "v") \
  X(I8x16Ne, 0x24, "i8x16.ne", None, 0, "vv", "v") \
  X(I8x16LtS, 0x25, "i8x16.lt_s", None, 0, "vv", "v") \
  X(I8x16LtU, 0x26, "i8x16.lt_u", None, 0, "vv", "v") \
  X(I8x16GtS, 0x27, "i8x16.gt_s", None, 0, "vv", "v") \
  X(I8x16GtU, 0x28, "i8x16.gt_u", None, 0, "vv", "v") \
  X(I8x16LeS, 0x29, "i8x16.le_s", None, 0, "vv", "v") \
  X(I8x16LeU, 0x2A, "i8x16.le_u", None, 0, "vv", "v") \
  X(I8x16GeS, 0x2B, "i8x16.ge_s", None, 0, "vv", "v") \
  X(I8x16GeU, 0x2C, "i8x16.ge_u", None, 0, "vv", "v") \
  X(I16x8Eq, 0x2D, "i16x8.eq", None, 0, "vv", "v") \
  X(I16x8Ne, 0x2E, "i16x8.ne", None, 0, "vv", "v") \
  X(I16x8LtS, 0x2F, "i16x8.lt_s", None, 0, "vv", "v") \
  X(I16x8LtU, 0x30, "i16x8.lt_u", None, 0, "vv", "v") \
  X(I16x8GtS, 0x31, "i16x8.gt_s", None, 0, "vv", "v") \
  X(I16x8GtU, 0x32, "i16x8.gt_u", None, 0, "vv", "v") \
  X(I16x8LeS, 0x33, "i16x8.le_s", None, 0, "vv", "v") \
  X(I16x8LeU, 0x34, "i16x8.le_u", None, 0, "vv", "v") \
  X(I16x8GeS, 0x35, "i16x8.ge_s", None, 0, "vv", "v") \
  X(I16x8GeU, 0x36, "i16x8.ge_u", None, 0, "vv", "v") \
  X(I32x4Eq, 0x37, "i32x4.eq", None, 0, "vv", "v") \
  X(I32x4Ne, 0x38, "i32x4.ne", None, 0, "vv", "v") \
  X(I32x4LtS, 0x39, "i32x4.lt_s", None, 0, "vv", "v") \
  X(I32x4LtU, 0x3A, "i32x4.lt_u", None, 0, "vv", "v") \
  X(I32x4GtS, 0x3B, "i32x4.gt_s", None, 0, "vv", "v") \
  X(I32x4GtU, 0x3C, "i32x4.gt_u", None, 0, "vv", "v") \
  X(I32x4LeS, 0x3D, "i32x4.le_s", None, 0, "vv", "v") \
  X(I32x4LeU, 0x3E, "i32x4.le_u", None, 0, "vv", "v") \
  X(I32x4GeS, 0x3F, "i32x4.ge_s", None, 0, "vv", "v") \
  X(I32x4GeU, 0x40, "i32x4.ge_u", None, 0, "vv", "v") \
  X(F32x4Eq, 0x41, "f32x4.eq", None, 0, "vv", "v") \
  X(F32x4Ne, 0x42, "f32x4.ne", None, 0, "vv", "v") \
  X(F32x4Lt, 0x43, "f32x4.lt", None, 0, "vv", "v") \
  X(F32x4Gt, 0x44, "f32x4.gt", None, 0, "vv", "v") \
  X(F32x4Le, 0x45, "f32x4.le", None, 0, "vv", "v") \
  X(F32x4Ge, 0x46, "f32x4.ge", None, 0, "vv", "v") \
  X(F64x2Eq, 0x47, "f64x2.eq", None, 0, "vv", "v") \
  X(F64x2Ne, 0x48, "f64x2.ne", None, 0, "vv", "v") \
  X(F64x2Lt, 0x49, "f64x2.lt", None, 0, "vv", "v") \
  X(F64x2Gt, 0x4A, "f64x2.gt", None, 0, "vv", "v") \
  X(F64x2Le, 0x4B, "f64x2.le", None, 0, "vv", "v") \
  X(F64x2Ge, 0x4C, "f64x2.ge", None, 0, "vv", "v") \
  X(V128Not, 0x4D, "v128.not", None, 0, "v", "v") \
  X(V128And, 0x4E, "v128.and", None, 0, "vv", "v") \
  X(V128Andnot, 0x4F, "v128.andnot", None, 0, "vv", "v") \
  X(V128Or, 0x50, "v128.or", None, 0, "vv", "v") \
  X(V128Xor, 0x51, "v128.xor", None, 0, "vv", "v") \
  X(V128Bitselect, 0x52, "v128.bitselect", None, 0, "vvv", "v") \
  X(V128AnyTrue, 0x53, "v128.any_true", None, 0, "v", "i") \
  X(V128Load8Lane, 0x54, "v128.load8_lane", MemargLane, 0, "iv", "v") \
  X(V128Load16Lane, 0x55, "v128.load16_lane", MemargLane, 1, "iv", "v") \
  X(V128Load32Lane, 0x56, "v128.load32_lane", MemargLane, 2, "iv", "v") \
  X(V128Load64Lane, 0x57, "v128.load64_lane", MemargLane, 3, "iv", "v") \
  X(V128Store8Lane, 0x58, "v128.store8_lane", MemargLane, 0, "iv", "") \
  X(V128Store16Lane, 0x59, "v128.store16_lane", MemargLane, 1, "iv", "") \
  X(V128Store32Lane, 0x5A, "v128.store32_lane", MemargLane, 2, "iv", "") \
  X(V128Store64Lane, 0x5B, "v128.store64_lane", MemargLane, 3, "iv", "") \
  X(V128Load32Zero, 0x5C, "v128.load32_zero", Memarg, 2, "i", "v") \
  X(V128Load64Zero, 0x5D, "v128.load64_zero", Memarg, 3, "i", "v") \
  X(F32x4DemoteF64x2Zero, 0x5E, "f32x4.demote_f64x2_zero", None, 0, "v", "v") \
  X(F64x2PromoteLowF32x4, 0x5F, "f64x2.promote_low_f32x4", None, 0, "v", "v") \
  X(I8x16Abs, 0x60, "i8x16.abs", None, 0, "v", "v") \
  X(I8x16Neg, 0x61, "i8x16.neg", None, 0, "v", "v") \
  X(I8x16Popcnt, 0x62, "i8x16.popcnt", None, 0, "v", "v") \
  X(I8x16AllTrue, 0x63, "i8x16.all_true", None, 0, "v", "i") \
  X(I8x16Bitmask, 0x64, "i8x16.bitmask", None, 0, "v", "i") \
  X(I8x16NarrowI16x8S, 0x65, "i8x16.narrow_i16x8_s", None, 0, "vv", "v") \
  X(I8x16NarrowI16x8U, 0x66, "i8x16.narrow_i16x8_u", None, 0, "vv", "v") \
  X(F32x4Ceil, 0x67, "f32x4.ceil", None, 0, "v", "v") \
  X(F32x4Floor, 0x68, "f32x4.floor", None, 0, "v", "v") \
  X(F32x4Trunc, 0x69, "f32x4.trunc", None, 0, "v", "v") \
  X(F32x4Nearest, 0x6A, "f32x4.nearest", None, 0, "v", "v") \
  X(I8x16Shl, 0x6B, "i8x16.shl", None, 0, "vi", "v") \
  X(I8x16ShrS, 0x6C, "i8x16.shr_s", None, 0, "vi", "v") \
  X(I8x16ShrU, 0x6D, "i8x16.shr_u", None, 0, "vi", "v") \
  X(I8x16Add, 0x6E, "i8x16.add", None, 0, "vv", "v") \
  X(I8x16AddSatS, 0x6F, "i8x16.add_sat_s", None, 0, "vv", "v") \
  X(I8x16AddSatU, 0x70, "i8x16.add_sat_u", None, 0, "vv", "v") \
  X(I8x16Sub, 0x71, "i8x16.sub", None, 0, "vv", "v") \
  X(I8x16SubSatS, 0x72, "i8x16.sub_sat_s", None, 0, "vv", "v") \
  X(I8x16SubSatU, 0x73, "i8x16.sub_sat_u", None, 0, "vv", "v") \
  X(F64x2Ceil, 0x74, "f64x2.ceil", None, 0, "v", "v") \
  X(F64x2Floor, 0x75, "f64x2.floor", None, 0, "v", "v") \
  X(I8x16MinS, 0x76, "i8x16.min_s", None, 0, "vv", "v") \
  X(I8x16MinU, 0x77, "i8x16.min_u", None, 0, "vv", "v") \
  X(I8x16MaxS, 0x78, "i8x16.max_s", None, 0, "vv", "v") \
  X(I8x16MaxU, 0x79, "i8x16.max_u", None, 0, "vv", "v") \
  X(F64x2Trunc, 0x7A, "f64x2.trunc", None, 0, "v", "v") \
  X(I8x16AvgrU, 0x7B, "i8x16.avgr_u", None, 0, "vv", "v") \
  X(I16x8ExtaddPairwiseI8x16S, 0x7C, "i16x8.extadd_pairwise_i8x16_s", None, 0, "v", "v") \
  X(I16x8ExtaddPairwiseI8x16U, 0x7D, "i16x8.extadd_pairwise_i8x16_u", None, 0, "v", "v") \
  X(I32x4ExtaddPairwiseI16x8S, 0x7E, "i32x4.extadd_pairwise_i16x8_s", None, 0, "v", "v") \
  X(I32x4ExtaddPairwiseI16x8U, 0x7F, "i32x4.extadd_pairwise_i16x8_u", None, 0, "v", "v") \
  X(I16x8Abs, 0x80, "i16x8.abs", None, 0, "v", "v") \
  X(I16x8Neg, 0x81, "i16x8.neg", None, 0, "v", "v") \
  X(I16x8Q15mulrSatS, 0x82, "i16x8.q15mulr_sat_s", None, 0, "vv", "v") \
  X(I16x8AllTrue, 0x83, "i16x8.all_true", None, 0, "v", "i") \
  X(I16x8Bitmask, 0x84, "i16x8.bitmask", None, 0, "v", "i") \
  X(I16x8NarrowI32x4S, 0x85, "i16x8.narrow_i32x4_s", None, 0, "vv", "v") \
  X(I16x8NarrowI32x4U, 0x86, "i16x8.narrow_i32x4_u", None, 0, "vv", "v") \
  X(I16x8ExtendLowI8x16S, 0x87, "i16x8.extend_low_i8x16_s", None, 0, "v", "v") \
  X(I16x8ExtendHighI8x16S, 0x88, "i16x8.extend_high_i8x16_s", None, 0, "v", "v") \
  X(I16x8ExtendLowI8x16U, 0x89, "i16x8.extend_low_i8x16_u", None, 0, "v", "v") \
  X(I16x8ExtendHighI8x16U, 0x8A, "i16x8.extend_high_i8x16_u", None, 0, "v", "v") \
  X(I16x8Shl, 0x8B, "i16x8.shl", None, 0, "vi", "v") \
  X(I16x8ShrS, 0x8C, "i16x8.shr_s", None, 0, "vi", "v") \
  X(I16x8ShrU, 0x8D, "i16x8.shr_u", None, 0, "vi", "v") \
  X(I16x8Add, 0x8E, "i16x8.add", None, 0, "vv", "v") \
  X(I16x8AddSatS, 0x8F, "i16x8.add_sat_s", None, 0, "vv", "v") \
  X(I16x8AddSatU, 0x90, "i16x8.add_sat_u", None, 0, "vv", "v") \
  X(I16x8Sub, 0x91, "i16x8.sub", None, 0, "vv", "v") \
  X(I16x8SubSatS, 0x92, "i16x8.sub_sat_s", None, 0, "vv", "v") \
  X(I16x8SubSatU, 0x93, "i16x8.sub_sat_u", None, 0, "vv", "v") \
  X(F64x2Nearest, 0x94, "f64x2.nearest", None, 0, "v", "v") \
  X(I16x8Mul, 0x95, "i16x8.mul", None, 0, "vv", "v") \
  X(I16x8MinS, 0x96, "i16x8.min_s", None, 0, "vv", "v") \
  X(I16x8MinU, 0x97, "i16x8.min_u", None, 0, "vv", "v") \
  X(I16x8MaxS, 0x98, "i16x8.max_s", None, 0, "vv", "v") \
  X(I16x8MaxU, 0x99, "i16x8.max_u", None, 0, "vv", "v") \
  X(I16x8AvgrU, 0x9B, "i16x8.avgr_u", None, 0, "vv", "v") \
  X(I16x8ExtmulLowI8x16S, 0x9C, "i16x8.extmul_low_i8x16_s", None, 0, "vv", "v") \
  X(I16x8ExtmulHighI8x16S, 0x9D, "i16x8.extmul_high_i8x16_s", None, 0, "vv", "v") \
  X(I16x8ExtmulLowI8x16U, 0x9E, "i16x8.extmul_low_i8x16_u", None, 0, "vv", "v") \
  X(I16x8ExtmulHighI8x16U, 0x9F, "i16x8.extmul_high_i8x16_u", None, 0, "vv", "v") \
  X(I32x4Abs, 0xA0, "i32x4.abs", None, 0, "v", "v") \
  X(I32x4Neg, 0xA1, "i32x4.neg", None, 0, "v", "v") \
  X(I32x4AllTrue, 0xA3, "i32x4.all_true", None, 0, "v", "i") \
  X(I32x4Bitmask, 0xA4, "i32x4.bitmask", None, 0, "v", "i") \
  X(I32x4ExtendLowI16x8S, 0xA7, "i32x4.extend_low_i16x8_s", None, 0, "v", "v") \
  X(I32x4ExtendHighI16x8S, 0xA8, "i32x4.extend_high_i16x8_s", None, 0, "v", "v") \
  X(I32x4ExtendLowI16x8U, 0xA9, "i32x4.extend_low_i16x8_u", None, 0, "v", "v") \
  X(I32x4ExtendHighI16x8U, 0xAA, "i32x4.extend_high_i16x8_u", None, 0, "v", "v") \
  X(I32x4Shl, 0xAB, "i32x4.shl", None, 0, "vi", "v") \
  X(I32x4ShrS, 0xAC, "i32x4.shr_s", None, 0, "vi", "v") \
  X(I32x4ShrU, 0xAD, "i32x4.shr_u", None, 0, "vi", "v") \
  X(I32x4Add, 0xAE, "i32x4.add", None, 0, "vv", "v") \
  X(I32x4Sub, 0xB1, "i32x4.sub", None, 0, "vv", "v") \
  X(I32x4Mul, 0xB5, "i32x4.mul", None, 0, "vv", "v") \
  X(I32x4MinS, 0xB6, "i32x4.min_s", None, 0, "vv", "v") \
  X(I32x4MinU, 0xB7, "i32x4.min_u", None, 0, "vv", "v") \
  X(I32x4MaxS, 0xB8, "i32x4.max_s", None, 0, "vv", "v") \
  X(I32x4MaxU, 0xB9, "i32x4.max_u", None, 0, "vv", "v") \
  X(I32x4DotI16x8S, 0xBA, "i32x4.dot_i16x8_s", None, 0, "vv", "v") \
  X(I32x4ExtmulLowI16x8S, 0xBC, "i32x4.extmul_low_i16x8_s", None, 0, "vv", "v") \
  X(I32x4ExtmulHighI16x8S, 0xBD, "i32x4.extmul_high_i16x8_s", None, 0, "vv", "v") \
  X(I32x4ExtmulLowI16x8U, 0xBE, "i32x4.extmul_low_i16x8_u", None, 0, "vv", "v") \
  X(I32x4ExtmulHighI16x8U, 0xBF, "i32x4.extmul_high_i16x8_u", None, 0, "vv", "v") \
  X(I64x2Abs, 0xC0, "i64x2.abs", None, 0, "v", "v") \
  X(I64x2Neg, 0xC1, "i64x2.neg", None, 0, "v", "v") \
  X(I64x2AllTrue, 0xC3, "i64x2.all_true", None, 0, "v", "i") \
  X(I64x2Bitmask, 0xC4, "i64x2.bitmask", None, 0, "v", "i") \
  X(I64x2ExtendLowI32x4S, 0xC7, "i64x2.extend_low_i32x4_s", None, 0, "v", "v") \
  X(I64x2ExtendHighI32x4S, 0xC8, "i64x2.extend_high_i32x4_s", None, 0, "v", "v") \
  X(I64x2ExtendLowI32x4U, 0xC9, "i64x2.extend_low_i32x4_u", None, 0, "v", "v") \
  X(I64x2ExtendHighI32x4U, 0xCA, "i64x2.extend_high_i32x4_u", None, 0, "v", "v") \
  X(I64x2Shl, 0xCB, "i64x2.shl", None, 0, "vi", "v") \
  X(I64x2ShrS, 0xCC, "i64x2.shr_s", None, 0, "vi", "v") \
  X(I64x2ShrU, 0xCD, "i64x2.shr_u", None, 0, "vi", "v") \
  X(I64x2Add, 0xCE, "i64x2.add", None, 0, "vv", "v") \
  X(I64x2Sub, 0xD1, "i64x2.sub", None, 0, "vv", "v") \
  X(I64x2Mul, 0xD5, "i64x2.mul", None, 0, "vv", "v") \
  X(I64x2Eq, 0xD6, "i64x2.eq", None, 0, "vv", "v") \
  X(I64x2Ne, 0xD7, "i64x2.ne", None, 0, "vv", "v") \
  X(I64x2LtS, 0xD8, "i64x2.lt_s", None, 0, "vv", "v") \
  X(I64x2GtS, 0xD9, "i64x2.gt_s", None, 0, "vv", "v") \
  X(I64x2LeS, 0xDA, "i64x2.le_s", None, 0, "vv", "v") \
  X(I64x2GeS, 0xDB, "i64x2.ge_s", None, 0, "vv", "v") \
  X(I64x2ExtmulLowI32x4S, 0xDC, "i64x2.extmul_low_i32x4_s", None, 0, "vv", "v") \
  X(I64x2ExtmulHighI32x4S, 0xDD, "i64x2.extmul_high_i32x4_s", None, 0, "vv", "v") \
  X(I64x2ExtmulLowI32x4U, 0xDE, "i64x2.extmul_low_i32x4_u", None, 0, "vv", "v") \
  X(I64x2ExtmulHighI32x4U, 0xDF, "i64x2.extmul_high_i32x4_u", None, 0, "vv", "v") \
  X(F32x4Abs, 0xE0, "f32x4.abs", None, 0, "v", "v") \
  X(F32x4Neg, 0xE1, "f32x4.neg", None, 0, "v", "v") \
  X(F32x4Sqrt, 0xE3, "f32x4.sqrt", None, 0, "v", "v") \
  X(F32x4Add, 0xE4, "f32x4.add", None, 0, "vv", "v") \
  X(F32x4Sub, 0xE5, "f32x4.sub", None, 0, "vv", "v") \
  X(F32x4Mul, 0xE6, "f32x4.mul", None, 0, "vv", "v") \
  X(F32x4Div, 0xE7, "f32x4.div", None, 0, "vv", "v") \
  X(F32x4Min, 0xE8, "f32x4.min", None, 0, "vv", "v") \
  X(F32x4Max, 0xE9, "f32x4.max", None, 0, "vv", "v") \
  X(F32x4Pmin, 0xEA, "f32x4.pmin", None, 0, "vv", "v") \
  X(F32x4Pmax, 0xEB, "f32x4.pmax", None, 0, "vv", "v") \
  X(F64x2Abs, 0xEC, "f64x2.abs", None, 0, "v", "v") \
  X(F64x2Neg, 0xED, "f64x2.neg", None, 0, "v", "v") \
  X(F64x2Sqrt, 0xEF, "f64x2.sqrt", None, 0, "v", "v") \
  X(F64x2Add, 0xF0, "f64x2.add", None, 0, "vv", "v") \
  X(F64x2Sub, 0xF1, "f64x2.sub", None, 0, "vv", "v") \
  X(F64x2Mul, 0xF2, "f64x2.mul", None, 0, "vv", "v") \
  X(F64x2Div, 0xF3, "f64x2.div", None, 0, "vv", "v") \
  X(F64x2Min, 0xF4, "f64x2.min", None, 0, "vv", "v") \
  X(F64x2Max, 0xF5, "f64x2.max", None, 0, "vv", "v") \
  X(F64x2Pmin, 0xF6, "f64x2.pmin", None, 0, "vv", "v") \
  X(F64x2Pmax, 0xF7, "f64x2.pmax", None, 0, "vv", "v") \
  X(I32x4TruncSatF32x4S, 0xF8, "i32x4.trunc_sat_f32x4_s", None, 0, "v", "v") \
  X(I32x4TruncSatF32x4U, 0xF9, "i32x4.trunc_sat_f32x4_u", None, 0, "v", "v") \
  X(F32x4ConvertI32x4S, 0xFA, "f32x4.convert_i32x4_s", None, 0, "v", "v") \
  X(F32x4ConvertI32x4U, 0xFB, "f32x4.convert_i32x4_u", None, 0, "v", "v") \
  X(I32x4TruncSatF64x2SZero, 0xFC, "i32x4.trunc_sat_f64x2_s_zero", None, 0, "v", "v") \
  X(I32x4TruncSatF64x2UZero, 0xFD, "i32x4.trunc_sat_f64x2_u_zero", None, 0, "v", "v") \
  X(F64x2ConvertLowI32x4S, 0xFE, "f64x2.convert_low_i32x4_s", None, 0, "v", "v") \
  X(F64x2ConvertLowI32x4U, 0xFF, "f64x2.convert_low_i32x4_u", None, 0, "v", "v")

namespace wasmo {

/** The immediate of a SIMD instruction (WASMO_SIMD_OPS). */
enum class SimdImm : uint8_t { None, Memarg, MemargLane, Lane, Bytes, Shuffle };

enum class Op : uint16_t {
#define WASMO_OP_ENUM(name, code, ...) name = code,
#define WASMO_SIMD_ENUM(name, code, ...) name = 0xFD00 + code,
  WASMO_SPECIAL_OPS(WASMO_OP_ENUM) WASMO_LOAD_OPS(WASMO_OP_ENUM) WASMO_STORE_OPS(WASMO_OP_ENUM)
  WASMO_UNARY_OPS(WASMO_OP_ENUM) WASMO_BINARY_OPS(WASMO_OP_ENUM) WASMO_BULK_OPS(WASMO_OP_ENUM)
  WASMO_SIMD_OPS(WASMO_SIMD_ENUM)
#undef WASMO_SIMD_ENUM
#undef WASMO_OP_ENUM
};

/** Whether `code` (a byte, or 0xFC00 or 0xFD00 plus a sub-opcode) is an instruction of the table. */
constexpr bool knownOp(uint64_t code) {
  switch (code) {
#define WASMO_KNOWN_CASE(name, opcode, ...) case opcode:
#define WASMO_SIMD_KNOWN_CASE(name, opcode, ...) case 0xFD00 + opcode:
    WASMO_SPECIAL_OPS(WASMO_KNOWN_CASE) WASMO_LOAD_OPS(WASMO_KNOWN_CASE) WASMO_STORE_OPS(WASMO_KNOWN_CASE)
    WASMO_UNARY_OPS(WASMO_KNOWN_CASE) WASMO_BINARY_OPS(WASMO_KNOWN_CASE) WASMO_BULK_OPS(WASMO_KNOWN_CASE)
    WASMO_SIMD_OPS(WASMO_SIMD_KNOWN_CASE)
#undef WASMO_SIMD_KNOWN_CASE
#undef WASMO_KNOWN_CASE
      return true;
    default:
      return false;
  }
}

/** The bytes a load or store accesses: its natural alignment, which for every memory instruction is
 *  its width (spec 3.3.7); 0 for other instructions. */
constexpr uint32_t accessBytes(Op op) {
  switch (op) {
#define WASMO_ACCESS_CASE(name, code, text, type, align) case Op::name: return 1u << align;
    WASMO_LOAD_OPS(WASMO_ACCESS_CASE) WASMO_STORE_OPS(WASMO_ACCESS_CASE)
#undef WASMO_ACCESS_CASE
// A memory instruction's argument is a log2 width, 0 to 4; `& 7` only keeps the other kinds'
// arguments (lane counts up to 32), never used, from shifting past 32 bits.
#define WASMO_SIMD_ACCESS_CASE(name, code, text, imm, arg, ...) \
  case Op::name:                                               \
    return SimdImm::imm == SimdImm::Memarg || SimdImm::imm == SimdImm::MemargLane ? 1u << (arg & 7) : 0;
    WASMO_SIMD_OPS(WASMO_SIMD_ACCESS_CASE)
#undef WASMO_SIMD_ACCESS_CASE
    default:
      return 0;
  }
}

/** The instruction's text name, for messages ("not supported yet: f32.add"). */
const char *opName(Op op);

}  // namespace wasmo
