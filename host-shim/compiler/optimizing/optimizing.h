// The optimizing compiler: the function decoder drives an LLVM 19 IR builder, LLVM optimizes at O2
// and emits x86-64 code, linked here into one position-independent block. Its code shares the
// singlepass compiler's calling convention (WasmFunction) and VMContext, so the runtime, artifacts
// and every import run it unchanged. All LLVM is inside optimizing.cpp, which is a library of its own
// (llvm_library.h); these are driver.cpp's, in libwasmo.so, which opens it on first use.
#pragma once
#include "compiler/compiled_code.h"
#include "compiler/cpu_features.h"

namespace wasmo {

/** The CPU features optimizing code uses: a compile restricted to fewer (CompileOptions::cpuFeatures)
 *  is refused, for the optimizing engine and for the tiered one, whose hot functions it compiles. */
inline constexpr uint32_t kOptimizingCpuFeatures = kCpuSse41 | kCpuPopcnt;
/** Refuses (UNSUPPORTED) a compile for `engine` restricted below kOptimizingCpuFeatures. */
void checkOptimizingCpuFeatures(const CompileOptions &options, const char *engine);

/** Decodes and validates `bytes` (bodies on options.threads threads), then compiles every function;
 *  throws CompileError (MALFORMED, INVALID, UNSUPPORTED, INTERNAL). */
Compiled compileOptimizing(std::span<const uint8_t> bytes, const CompileOptions &options);

/** Compiles defined function `defined` of a valid module alone (tier-up, runtime/tier_up.h): its
 *  entry is at functionOffsets[0], entrySizes[0] bytes that call its body; its calls of other
 *  functions go through their VMFuncRef. Throws CompileError (UNSUPPORTED, INTERNAL). Thread-safe. */
CompiledCode compileFunctionOptimizing(const Module &module, uint32_t defined, bool meterFuel, bool boundsChecks);

}  // namespace wasmo
