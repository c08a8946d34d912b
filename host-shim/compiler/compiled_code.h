// What a compiler hands the artifact writer, whichever tier made it.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "compiler/cpu_features.h"
#include "environ/module.h"

namespace wasmo {

/** The compilers, as the artifact's compatibility record names them (artifact/compat.fbs `tier`). */
enum class Tier : uint32_t { Singlepass = 0, Optimizing = 1, Tiered = 2 };
/** `tiered`: singlepass code that counts calls and loop iterations and asks the runtime to compile
 *  hot functions with the optimizing compiler in the background (runtime/tier_up.h). */
inline constexpr std::string_view kTierNames[] = {"singlepass", "optimizing", "tiered"};
inline std::string_view tierName(Tier tier) { return kTierNames[static_cast<uint32_t>(tier)]; }

/** Tiered code: what a defined function's calls run (artifact/module.fbs TieredFunction). */
struct TieredFunction {
  Tier tier = Tier::Singlepass;  // Singlepass: its counting code; Optimizing: the code below
  // Optimizing: its block [begin, end) in the code, after every singlepass function, and its entry,
  // entrySize bytes that call its body (as CompiledCode::entrySizes).
  uint32_t begin = 0, end = 0, entry = 0, entrySize = 0;
};

/** Optimized code blocks start at this alignment in an artifact's code, the largest any of their
 *  sections asks for (16-byte SSE constants; 64 leaves room). */
inline constexpr uint32_t kOptimizedBlockAlign = 64;

struct CompiledCode {
  std::vector<uint8_t> code;              // all functions, one position-independent block
  std::vector<uint32_t> functionOffsets;  // per defined function: its entry (WasmFunction)
  // Optimizing: per defined function, the size of its entry, which only calls the body that follows
  // it (a frame that backtraces leave out: the body's is the function's). Empty for singlepass,
  // whose entry is the body.
  std::vector<uint32_t> entrySizes;
  // Tiered: per defined function, the tier it reached; the singlepass functions' code (all of them,
  // at functionOffsets) comes first, then the blocks tier-up compiled.
  std::vector<TieredFunction> tieredFunctions;
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
  /** Singlepass: the code counts calls and loop iterations for tier-up (Tier::Tiered). */
  bool tierUp = false;
  /** Loads and stores compare their end with the memory's length instead of relying on guard pages
   *  (for stores whose MemoryConfig asks for it, runtime/memory.h). */
  bool boundsChecks = false;
  /** The CPU features the code may use (CpuFeature bits, a subset of the host's: parseCpuFeatures);
   *  by default all of the host's. Fewer make code for older CPUs, and let tests run each encoding. */
  uint32_t cpuFeatures = hostCpuFeatures();
};

/** A decoded module and its code. */
struct Compiled {
  Module module;
  CompiledCode code;
};

/** What a compiler does not run yet, in a module the decoders accept: 3.0 exception tags. Proposals
 *  the decoders cannot read are refused there (environ/reader.h proposalOf). */
inline void refuseUnsupported(const Module &module) {
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
