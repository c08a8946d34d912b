// The singlepass compiler: one pass over each function body, driven by the function decoder,
// emitting x86-64 with xbyak. Code is position- and instance-independent: calls, globals, memory
// and runtime helpers are reached through the VMContext (r14) and the memory base (r15).
#pragma once
#include "compiler/compiled_code.h"

namespace wasmo {

/**
 * Validates and compiles every function, with fuel metering if `meterFuel`; throws CompileError
 * (INVALID, MALFORMED, UNSUPPORTED).
 */
CompiledCode compileSinglepass(const Module &module, bool meterFuel);

}  // namespace wasmo
