// The optimizing compiler: the function decoder drives an LLVM 19 IR builder, LLVM optimizes at O2
// and emits x86-64 code, linked here into one position-independent block. Its code shares the
// singlepass compiler's calling convention (WasmFunction) and VMContext, so the runtime, artifacts
// and every import run it unchanged. All LLVM is inside optimizing.cpp.
#pragma once
#include "compiler/compiled_code.h"

namespace wasmo {

/** Decodes and validates `bytes` (bodies on options.threads threads), then compiles every function;
 *  throws CompileError (MALFORMED, INVALID, UNSUPPORTED, INTERNAL). */
Compiled compileOptimizing(std::span<const uint8_t> bytes, const CompileOptions &options);

/** A function compiled alone: its entry (WasmFunction) at code.functionOffsets[0], `entrySize`
 *  bytes of code that call its body, which is elsewhere in code.code. */
struct OptimizedFunction {
  CompiledCode code;
  uint32_t entrySize = 0;
};

/** Compiles defined function `defined` of a valid module alone (tier-up, runtime/tier_up.h): its
 *  calls of other functions go through their VMFuncRef, and it keeps frame pointers. Throws
 *  CompileError (UNSUPPORTED, INTERNAL). Thread-safe. */
OptimizedFunction compileFunctionOptimizing(const Module &module, uint32_t defined, bool meterFuel, bool boundsChecks);

}  // namespace wasmo
