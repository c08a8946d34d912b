// x86-64 features beyond the baseline (SSE2) that compiled code may use. The compiler records the
// ones its code uses, the artifact carries them, and loading refuses code the CPU cannot run.
#pragma once
#include <cstdint>
#include <string>

namespace wasmo {

enum CpuFeature : uint32_t { kCpuPopcnt = 1u << 0, kCpuSse41 = 1u << 1 };

struct CpuFeatureName {
  CpuFeature feature;
  const char *name;
};
inline constexpr CpuFeatureName kCpuFeatureNames[] = {{kCpuPopcnt, "popcnt"}, {kCpuSse41, "sse4.1"}};

/** The features of the CPU this process runs on (a set of CpuFeature bits). */
uint32_t hostCpuFeatures();

}  // namespace wasmo
