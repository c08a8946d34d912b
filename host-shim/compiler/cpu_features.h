// x86-64 features beyond the baseline (SSE2) that compiled code may use. The compiler records the
// ones its code uses, the artifact carries them, and loading refuses code the CPU cannot run.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace wasmo {

// kCpuAvx: VEX encodings of 128-bit instructions (3-operand forms); never 256-bit ones, so the upper
// halves of the ymm registers stay zero (see Singlepass::simd on the SSE/AVX transition).
enum CpuFeature : uint32_t { kCpuPopcnt = 1u << 0, kCpuSse41 = 1u << 1, kCpuSse42 = 1u << 2, kCpuAvx = 1u << 3 };

struct CpuFeatureName {
  CpuFeature feature;
  const char *name;
};
inline constexpr CpuFeatureName kCpuFeatureNames[] = {
    {kCpuPopcnt, "popcnt"}, {kCpuSse41, "sse4.1"}, {kCpuSse42, "sse4.2"}, {kCpuAvx, "avx"}};

/** The features of the CPU this process runs on (a set of CpuFeature bits). */
uint32_t hostCpuFeatures();

/** The names of the features among `features` (CpuFeature bits), in kCpuFeatureNames' order. */
std::vector<std::string> cpuFeatureNames(uint32_t features);

/** The features named in `names` (comma-separated names of kCpuFeatureNames; empty: none), for a
 *  compile restricted to them; throws CompileError (INCOMPATIBLE) for an unknown name or a feature
 *  this CPU lacks. */
uint32_t parseCpuFeatures(std::string_view names);

}  // namespace wasmo
