#include "compiler/cpu_features.h"

#include <xbyak/xbyak_util.h>

#include <algorithm>

#include "environ/module.h"

namespace wasmo {

uint32_t hostCpuFeatures() {
  // Read once: every compile and artifact load asks, and CPUID exits to the hypervisor on a VM.
  static const uint32_t features = [] {
    Xbyak::util::Cpu cpu;
    uint32_t f = 0;
    if (cpu.has(Xbyak::util::Cpu::tPOPCNT)) f |= kCpuPopcnt;
    if (cpu.has(Xbyak::util::Cpu::tSSE41)) f |= kCpuSse41;
    if (cpu.has(Xbyak::util::Cpu::tSSE42)) f |= kCpuSse42;
    // xbyak reports AVX only where the OS saves the ymm state too (OSXSAVE and XCR0), as it must be.
    if (cpu.has(Xbyak::util::Cpu::tAVX)) f |= kCpuAvx;
    return f;
  }();
  return features;
}

std::vector<std::string> cpuFeatureNames(uint32_t features) {
  std::vector<std::string> out;
  for (const CpuFeatureName &f : kCpuFeatureNames)
    if (features & f.feature) out.push_back(f.name);
  return out;
}

uint32_t parseCpuFeatures(std::string_view names) {
  uint32_t features = 0;
  if (names.empty()) return features;  // none: the baseline
  // Every name between commas counts, an empty one too: "avx," is a mistake, not "avx".
  for (size_t start = 0, comma = 0; comma != std::string_view::npos; start = comma + 1) {
    comma = names.find(',', start);
    std::string_view name = names.substr(start, comma - start);  // to the end when there is no comma
    auto known = std::ranges::find(kCpuFeatureNames, name, &CpuFeatureName::name);
    if (known == std::end(kCpuFeatureNames)) {
      std::string all;
      for (const std::string &n : cpuFeatureNames(~0u)) all += (all.empty() ? "" : ", ") + n;
      throw CompileError{WASMO_INCOMPATIBLE, "unknown CPU feature \"" + std::string(name) + "\" (known: " + all + ")"};
    }
    if (!(hostCpuFeatures() & known->feature)) throw CompileError{WASMO_INCOMPATIBLE, std::string("CPU feature ") + known->name + " is not available on this CPU"};
    features |= known->feature;
  }
  return features;
}

}  // namespace wasmo
