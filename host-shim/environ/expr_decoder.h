// The binary decoding of expressions (spec 5.4): each instruction's opcode and immediates, and the
// nesting of structured instructions up to the expression's final `end`, with chapter 5's
// malformations only. The spec and the reference interpreter decode a whole module before they
// validate it (chapter 5 before chapter 3), so function bodies and constant expressions are decoded
// to their end whatever an earlier instruction's validity: a later malformation is the verdict.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "compiler/backend.h"
#include "environ/reader.h"

namespace wasmo {

/** An instruction's immediates as read (spec 5.4); which fields hold them depends on the opcode. */
struct Immediates {
  // block, loop, if: the block type's s33, a type index if not negative; else -64 (0x40, no
  // result) or a value type's one-byte code minus 128 (spec 5.4.1).
  int64_t blockType = 0;
  // The index, or the first of two: a label, function, local, global, table, element or data
  // index; call_indirect's type and table, table.init's element and table, table.copy's
  // destination and source; br_table's default label.
  uint32_t x = 0, y = 0;
  std::vector<uint32_t> labels;  // br_table's, before the default
  MemArg memArg;
  uint64_t bits = 0;             // i32/i64/f32/f64.const: the constant's bits
  ValType type = ValType::I32;   // ref.null's reference type, select's first value type
  uint32_t types = 0;            // select with types: how many (validation wants one)
  uint8_t lane = 0;              // a SIMD lane index
  std::array<uint8_t, 16> bytes{};  // v128.const's bytes, i8x16.shuffle's lane indices
};

class ExprDecoder {
 public:
  explicit ExprDecoder(Reader &r) : r_(r) {}

  /** Whether the expression's final `end` has been read. */
  bool done() const { return done_; }
  /** Structured instructions open: 0 at the expression's own level. */
  size_t depth() const { return open_.size(); }
  /** Whether a data index occurred (memory.init, data.drop): the module then needs a data count
   *  section (spec 5.5.13), checked once the whole module is read, as the reference does. */
  bool usesDataIndex() const { return dataIndex_; }
  const Immediates &imm() const { return imm_; }

  /** Reads the next instruction; its immediates are then in imm(). */
  [[gnu::always_inline]] Op next() {
    Op op = readOp(r_);
    switch (op) {
      case Op::Block: case Op::Loop: case Op::If:
        imm_.blockType = blockType();
        open_.push_back(op == Op::If);
        break;
      case Op::Else:
        // `else` belongs to an `if` still in its then arm; anything else where `end` is due is
        // malformed (decode.ml reads `else` only there).
        if (open_.empty() || !open_.back()) malformed("END opcode expected");
        open_.back() = false;
        break;
      case Op::End:
        if (open_.empty()) done_ = true;
        else open_.pop_back();
        break;
      case Op::Br: case Op::BrIf: case Op::Call: case Op::LocalGet: case Op::LocalSet: case Op::LocalTee:
      case Op::GlobalGet: case Op::GlobalSet: case Op::TableGet: case Op::TableSet: case Op::RefFunc:
      case Op::ElemDrop: case Op::TableGrow: case Op::TableSize: case Op::TableFill:
        imm_.x = r_.u32();
        break;
      case Op::BrTable: {
        uint32_t n = r_.len();
        imm_.labels.clear();
        for (uint32_t i = 0; i < n; i++) imm_.labels.push_back(r_.u32());
        imm_.x = r_.u32();
        break;
      }
      case Op::CallIndirect: case Op::TableInit: case Op::TableCopy:
        imm_.x = r_.u32();
        imm_.y = r_.u32();
        break;
      case Op::SelectT: {
        imm_.types = r_.len();
        for (uint32_t i = 0; i < imm_.types; i++) {
          ValType t = valType(r_.typeCode());
          if (i == 0) imm_.type = t;
        }
        break;
      }
      // In 2.0 the memory of these instructions is a reserved zero byte (spec 5.4.6).
      case Op::MemorySize: case Op::MemoryGrow: case Op::MemoryFill:
        zero();
        break;
      case Op::MemoryCopy:
        zero();
        zero();
        break;
      case Op::MemoryInit:
        imm_.x = r_.u32();
        zero();
        dataIndex_ = true;
        break;
      case Op::DataDrop:
        imm_.x = r_.u32();
        dataIndex_ = true;
        break;
      case Op::I32Const: imm_.bits = static_cast<uint32_t>(r_.s32()); break;
      case Op::I64Const: imm_.bits = static_cast<uint64_t>(r_.s64()); break;
      case Op::F32Const: imm_.bits = r_.fixed32(); break;
      case Op::F64Const: imm_.bits = r_.fixed64(); break;
      case Op::RefNull: {
        uint8_t code = r_.typeCode();
        if (code != WASMO_FUNCREF && code != WASMO_EXTERNREF) malformed("malformed reference type");
        imm_.type = static_cast<ValType>(code);
        break;
      }
#define WASMO_MEMARG_CASE(name, ...) case Op::name:
      WASMO_LOAD_OPS(WASMO_MEMARG_CASE) WASMO_STORE_OPS(WASMO_MEMARG_CASE)
#undef WASMO_MEMARG_CASE
        imm_.memArg = memArg();
        break;
#define WASMO_PLAIN_CASE(name, ...) case Op::name:
      WASMO_UNARY_OPS(WASMO_PLAIN_CASE) WASMO_BINARY_OPS(WASMO_PLAIN_CASE)
#undef WASMO_PLAIN_CASE
      case Op::Unreachable: case Op::Nop: case Op::Return: case Op::Drop: case Op::Select: case Op::RefIsNull:
        break;
#define WASMO_SIMD_CASE(name, code, text, immediate, ...) case Op::name: simd(SimdImm::immediate); break;
      WASMO_SIMD_OPS(WASMO_SIMD_CASE)
#undef WASMO_SIMD_CASE
    }
    return op;
  }

 private:
  void simd(SimdImm kind) {
    switch (kind) {
      case SimdImm::None: break;
      case SimdImm::Memarg: imm_.memArg = memArg(); break;
      case SimdImm::MemargLane: imm_.memArg = memArg(); imm_.lane = r_.u8(); break;
      case SimdImm::Lane: imm_.lane = r_.u8(); break;
      case SimdImm::Bytes: case SimdImm::Shuffle:
        for (uint8_t &b : imm_.bytes) b = r_.u8();
        break;
    }
  }
  void zero() {
    if (r_.u8() != 0) malformed("zero byte expected");
  }

  // A block type is 0x40, a value type (one byte), or a type index as a non-negative s33; a
  // negative s33 of more than one byte is no value type (spec 5.4.1; decode.ml's message).
  int64_t blockType() {
    int b = r_.peek();
    if (b >= 0 && (b & 0xC0) == 0x40) {
      r_.u8();
      if (b != 0x40) valType(static_cast<uint8_t>(b));
      return b - 0x80;
    }
    int64_t x = r_.s33();
    if (x < 0) malformed("malformed value type");
    return x;
  }

  // Read as 3.0 does, which align.wast and address.wast expect: bit 6 of the flags announces a
  // memory index (multi-memory), flags from 0x80 are malformed, and the offset is a u64 whose
  // range validation checks (spec 3.0 5.4.7, 3.3.7).
  MemArg memArg() {
    MemArg ma;
    uint32_t flags = r_.u32();
    if (flags >= 0x80) malformed("malformed memop flags");
    if (flags & 0x40) ma.memory = r_.u32();
    ma.alignLog2 = flags & 0x3F;
    ma.offset = r_.u64();
    return ma;
  }

  Reader &r_;
  Immediates imm_;
  std::vector<bool> open_;  // per open structured instruction: an `if` still in its then arm
  bool done_ = false;
  bool dataIndex_ = false;
};

}  // namespace wasmo
