// The singlepass compiler: one pass over each function body, driven by the function decoder,
// emitting x86-64 with xbyak. Code is position- and instance-independent: calls, globals, memory
// and runtime helpers are reached through the VMContext (r14) and the memory base (r15).
#pragma once
#include "compiler/compiled_code.h"

namespace wasmo {

/** Decodes, validates and compiles every function of `bytes` (with fuel metering if
 *  options.meterFuel), bodies on options.threads worker threads, each function on its own, linked
 *  in index order (the code is the same whatever the threads); throws CompileError (MALFORMED,
 *  INVALID as decodeModule, then UNSUPPORTED or INTERNAL for the first function it cannot compile). */
Compiled compileSinglepass(std::span<const uint8_t> bytes, const CompileOptions &options);

}  // namespace wasmo
