// The singlepass compiler: one pass over each function body, driven by the function decoder,
// emitting x86-64 with xbyak. Code is position- and instance-independent: calls, globals, memory
// and runtime helpers are reached through the VMContext (r14) and the memory base (r15).
#pragma once
#include <cstdint>
#include <vector>

#include "environ/module.h"

namespace wasmo {

struct CompiledCode {
  std::vector<uint8_t> code;            // all functions, one block
  std::vector<uint32_t> functionOffsets;  // per defined function
  uint32_t cpuFeatures = 0;               // CpuFeature bits the code uses
  bool meterFuel = false;                 // charges fuel (environ/fuel.h)
};

/**
 * Validates and compiles every function, with fuel metering if `meterFuel`; throws CompileError
 * (INVALID, MALFORMED, UNSUPPORTED).
 */
CompiledCode compileSinglepass(const Module &module, bool meterFuel);

}  // namespace wasmo
