// The optimizing compiler: the function decoder drives an LLVM 19 IR builder, LLVM optimizes at O2
// and emits x86-64 code, linked here into one position-independent block. Its code shares the
// singlepass compiler's calling convention (WasmFunction) and VMContext, so the runtime, artifacts
// and every import run it unchanged. All LLVM is inside optimizing.cpp.
#pragma once
#include "compiler/compiled_code.h"

namespace wasmo {

/**
 * Validates and compiles every function, with fuel metering if `meterFuel`; throws CompileError
 * (INVALID, MALFORMED, UNSUPPORTED, INTERNAL).
 */
CompiledCode compileOptimizing(const Module &module, bool meterFuel);

}  // namespace wasmo
