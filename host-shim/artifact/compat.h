// Engine compatibility (section .wasmo.compat): what this engine writes into every artifact, and
// the check that refuses an artifact made under another configuration, naming the difference.
#pragma once
#include <cstdint>

#include <flatbuffers/flatbuffers.h>

#include "artifact/compat_generated.h"

namespace wasmo {

/** Bumped whenever the ELF layout or a schema changes incompatibly. */
inline constexpr uint32_t kArtifactFormatVersion = 1;

/**
 * This engine's compatibility record for code that uses `cpuFeatures` (CpuFeature bits) and meters
 * fuel if `meterFuel` (the flag "fuel").
 */
flatbuffers::Offset<fb::Compat> buildCompat(flatbuffers::FlatBufferBuilder &b, uint32_t cpuFeatures, bool meterFuel);

/**
 * Throws CompileError(INCOMPATIBLE) naming the first field in which `c` differs from this engine.
 * checkCompat returns whether the code meters fuel (which stores may run it is the store's check).
 */
void checkFormatVersion(const fb::Compat &c);
bool checkCompat(const fb::Compat &c);

}  // namespace wasmo
