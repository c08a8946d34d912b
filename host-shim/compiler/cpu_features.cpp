#include "compiler/cpu_features.h"

#include <xbyak/xbyak_util.h>

namespace wasmo {

uint32_t hostCpuFeatures() {
  // Read once: every compile and artifact load asks, and CPUID exits to the hypervisor on a VM.
  static const uint32_t features = [] {
    Xbyak::util::Cpu cpu;
    uint32_t f = 0;
    if (cpu.has(Xbyak::util::Cpu::tPOPCNT)) f |= kCpuPopcnt;
    if (cpu.has(Xbyak::util::Cpu::tSSE41)) f |= kCpuSse41;
    return f;
  }();
  return features;
}

}  // namespace wasmo
