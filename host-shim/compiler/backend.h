// The interface between the one function decoder+validator (environ/function_decoder.h) and the
// code generators, as V8's decoder is generic over Liftoff and TurboFan. The decoder calls these
// only for valid, reachable code, with immediates decoded and operand types known; a backend keeps
// its own abstract operand stack in step with the validator's.
#pragma once
#include <array>
#include <concepts>
#include <cstdint>
#include <span>

#include "environ/module.h"

namespace wasmo {

struct BlockType {
  std::vector<ValType> params, results;
};
struct MemArg {
  uint32_t alignLog2 = 0;
  uint32_t memory = 0;
  uint64_t offset = 0;
};

/** A SIMD instruction's immediates (WASMO_SIMD_OPS): those its kind has, the rest zero. */
struct SimdImmediates {
  MemArg memArg;
  uint8_t lane = 0;
  std::array<uint8_t, 16> bytes{};  // v128.const's bytes, i8x16.shuffle's lane indices
};

template <class B>
concept FunctionBackend = requires(B b, const Module &m, const FuncType &ft, std::span<const ValType> types,
                                   const BlockType &bt, uint32_t u, std::span<const uint32_t> us, bool flag,
                                   ValType t, const GlobalType &gt, Op op, const MemArg &ma, int32_t i32,
                                   int64_t i64, uint64_t bits, const SimdImmediates &si) {
  // Once per function; `locals` holds the parameters first.
  b.beginFunction(u, ft, types);
  // Before every reachable instruction, `else` and `end` included, ahead of its own call below:
  // where fuel metering charges (environ/fuel.h).
  b.fuel(op);
  // The function's final `end`; `flag`: the end is reachable by falling through.
  b.endFunction(flag);
  b.unreachable();
  b.nop();
  b.block(bt);
  b.loop(bt);
  b.if_(bt);
  // `else` and `end` of a construct the backend saw begin; `flag`: reachable by falling through.
  b.else_(flag);
  b.end(flag);
  b.br(u);
  b.brIf(u);
  b.brTable(us, u);
  b.return_();
  b.call(u, ft);
  b.callIndirect(u, ft, u);
  b.drop(t);
  b.select(t);
  b.localGet(u, t);
  b.localSet(u, t);
  b.localTee(u, t);
  b.globalGet(u, gt);
  b.globalSet(u, gt);
  b.tableGet(u, t);
  b.tableSet(u, t);
  b.load(op, ma);
  b.store(op, ma);
  b.memorySize(u);
  b.memoryGrow(u);
  b.i32Const(i32);
  b.i64Const(i64);
  b.f32Const(u);
  b.f64Const(bits);
  // Every instruction of WASMO_UNARY_OPS and WASMO_BINARY_OPS.
  b.numeric(op);
  b.refNull(t);
  b.refIsNull(t);
  b.refFunc(u);
  // Every instruction of WASMO_BULK_OPS with its immediates (index or the two indices; 0 if none).
  b.bulk(op, u, u);
  // Every instruction of WASMO_SIMD_OPS with its immediates.
  b.simd(op, si);
};

}  // namespace wasmo
