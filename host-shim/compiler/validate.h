// The validate-only backend: the decoder alone, run by the module decoder on every function body.
#pragma once
#include "environ/function_decoder.h"

namespace wasmo {

class ValidateOnly {
 public:
  void beginFunction(uint32_t, const FuncType &, std::span<const ValType>) {}
  void endFunction(bool) {}
  void fuel(Op) {}
  void unreachable() {}
  void nop() {}
  void block(const BlockType &) {}
  void loop(const BlockType &) {}
  void if_(const BlockType &) {}
  void else_(bool) {}
  void end(bool) {}
  void br(uint32_t) {}
  void brIf(uint32_t) {}
  void brTable(std::span<const uint32_t>, uint32_t) {}
  void return_() {}
  void call(uint32_t, const FuncType &) {}
  void callIndirect(uint32_t, const FuncType &, uint32_t) {}
  void drop(ValType) {}
  void select(ValType) {}
  void localGet(uint32_t, ValType) {}
  void localSet(uint32_t, ValType) {}
  void localTee(uint32_t, ValType) {}
  void globalGet(uint32_t, const GlobalType &) {}
  void globalSet(uint32_t, const GlobalType &) {}
  void tableGet(uint32_t, ValType) {}
  void tableSet(uint32_t, ValType) {}
  void load(Op, const MemArg &) {}
  void store(Op, const MemArg &) {}
  void memorySize(uint32_t) {}
  void memoryGrow(uint32_t) {}
  void i32Const(int32_t) {}
  void i64Const(int64_t) {}
  void f32Const(uint32_t) {}
  void f64Const(uint64_t) {}
  void numeric(Op) {}
  void refNull(ValType) {}
  void refIsNull(ValType) {}
  void refFunc(uint32_t) {}
  void bulk(Op, uint32_t, uint32_t) {}
  void simd(Op, const SimdImmediates &) {}
};
static_assert(FunctionBackend<ValidateOnly>);

}  // namespace wasmo
