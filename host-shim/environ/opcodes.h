// The one opcode table of the native core (spec 5.4, non-SIMD WebAssembly 2.0). Every list is an
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

namespace wasmo {

enum class Op : uint16_t {
#define WASMO_OP_ENUM(name, code, ...) name = code,
  WASMO_SPECIAL_OPS(WASMO_OP_ENUM) WASMO_LOAD_OPS(WASMO_OP_ENUM) WASMO_STORE_OPS(WASMO_OP_ENUM)
  WASMO_UNARY_OPS(WASMO_OP_ENUM) WASMO_BINARY_OPS(WASMO_OP_ENUM) WASMO_BULK_OPS(WASMO_OP_ENUM)
#undef WASMO_OP_ENUM
};

/** Whether `code` (a byte, or 0xFC00 plus a sub-opcode) is an instruction of the table. */
constexpr bool knownOp(uint64_t code) {
  switch (code) {
#define WASMO_KNOWN_CASE(name, opcode, ...) case opcode:
    WASMO_SPECIAL_OPS(WASMO_KNOWN_CASE) WASMO_LOAD_OPS(WASMO_KNOWN_CASE) WASMO_STORE_OPS(WASMO_KNOWN_CASE)
    WASMO_UNARY_OPS(WASMO_KNOWN_CASE) WASMO_BINARY_OPS(WASMO_KNOWN_CASE) WASMO_BULK_OPS(WASMO_KNOWN_CASE)
#undef WASMO_KNOWN_CASE
      return true;
    default:
      return false;
  }
}

/** The instruction's text name, for messages ("not supported yet: f32.add"). */
const char *opName(Op op);

}  // namespace wasmo
