// Engine compatibility (section .wasmo.compat): what this engine writes into every artifact, and
// the check that refuses an artifact made under another configuration, naming the difference.
#pragma once
#include <cstdint>

#include <flatbuffers/flatbuffers.h>

#include "artifact/compat_generated.h"
#include "compiler/compiled_code.h"

namespace wasmo {

/** Bumped whenever the ELF layout or a schema changes incompatibly (compat.fbs). */
inline constexpr uint32_t kArtifactFormatVersion = fb::FormatVersion_Current;

/**
 * This engine's compatibility record for code of `tier` that uses `cpuFeatures` (CpuFeature bits)
 * and meters fuel if `meterFuel` (the flag "fuel"), checking memory bounds explicitly if `boundsChecks`
 * (the flag "bounds-checks=explicit" instead of "bounds-checks=guard-pages").
 */
flatbuffers::Offset<fb::Compat> buildCompat(flatbuffers::FlatBufferBuilder &b, uint32_t cpuFeatures, Tier tier,
                                            bool meterFuel, bool boundsChecks);

/** What kind of code an artifact holds: every tier of this engine runs on the same runtime, and
 *  which stores may run fuel-metered code is the store's check. */
struct CodeKind {
  Tier tier;
  uint32_t cpuFeatures;  // CpuFeature bits
  bool meterFuel;
  bool boundsChecks;
};

/**
 * Throws CompileError(INCOMPATIBLE) naming the first field in which `c` differs from this engine;
 * returns the kind of code it describes.
 */
void checkFormatVersion(const fb::Compat &c);
CodeKind checkCompat(const fb::Compat &c);

}  // namespace wasmo
