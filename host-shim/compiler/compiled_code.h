// What a compiler hands the artifact writer, whichever tier made it.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "environ/module.h"

namespace wasmo {

/** The compilers, as the artifact's compatibility record names them (artifact/compat.fbs `tier`). */
enum class Tier : uint32_t { Singlepass = 0, Optimizing = 1 };
inline constexpr std::string_view kTierNames[] = {"singlepass", "optimizing"};
inline std::string_view tierName(Tier tier) { return kTierNames[static_cast<uint32_t>(tier)]; }

struct CompiledCode {
  std::vector<uint8_t> code;              // all functions, one position-independent block
  std::vector<uint32_t> functionOffsets;  // per defined function: its entry (WasmFunction)
  uint32_t cpuFeatures = 0;               // CpuFeature bits the code uses
  Tier tier = Tier::Singlepass;
  bool meterFuel = false;                 // charges fuel (environ/fuel.h)
  bool boundsChecks = false;              // checks memory bounds explicitly (runtime/memory.h)
};

struct CompileOptions {
  /** Threads to compile on (0: one per hardware thread); the code is the same whatever the count. */
  unsigned threads = 0;
  /** Called on the calling thread every ~100 ms with the functions compiled and their total (see
   *  BodyPass::progress). */
  std::function<void(uint32_t done, uint32_t total)> progress;
  /** The code charges fuel (environ/fuel.h). */
  bool meterFuel = false;
  /** Loads and stores compare their end with the memory's length instead of relying on guard pages
   *  (for stores whose MemoryConfig asks for it, runtime/memory.h). */
  bool boundsChecks = false;
};

/** A decoded module and its code. */
struct Compiled {
  Module module;
  CompiledCode code;
};

/** What a compiler does not run yet, in a module the decoders accept: SIMD on the optimizing tier
 *  (v128 values can only enter through types, globals and locals, and SIMD instructions reach a
 *  backend's simd()), and 3.0 exception tags. Proposals the decoders cannot read are refused there
 *  (environ/reader.h proposalOf). */
inline void refuseUnsupported(const Module &module, Tier tier) {
  if (tier == Tier::Optimizing) {
    auto isV128 = [](ValType t) { return t == ValType::V128; };
    for (const FuncType &t : module.types) {
      if (std::ranges::any_of(t.params, isV128) || std::ranges::any_of(t.results, isV128)) unsupported("v128 values");
    }
    for (const GlobalType &g : module.globals) {
      if (isV128(g.type)) unsupported("v128 values");
    }
  }
  if (!module.tags.empty()) unsupported(kExceptionHandling);
}

/**
 * The range of a float whose truncation fits the integer type (spec 4.3.3 trunc_s, trunc_u): values
 * at or above `hi` overflow, and values below `lo` (at or below it unless `loInclusive`) do. The
 * bounds are exact in either source type; the lower one is inclusive where the minimum itself is
 * representable.
 */
struct TruncBounds {
  double lo;
  bool loInclusive;
  double hi;
};
constexpr TruncBounds truncBounds(bool src64, bool dst64, bool isSigned) {
  if (!isSigned) return {-1.0, false, dst64 ? 18446744073709551616.0 : 4294967296.0};
  return {dst64 ? -9223372036854775808.0 : (src64 ? -2147483649.0 : -2147483648.0), dst64 || !src64,
          dst64 ? 9223372036854775808.0 : 2147483648.0};
}

}  // namespace wasmo
