// The artifact checksum: XXH64 (github.com/Cyan4973/xxHash, the 64-bit variant), chosen for speed
// (several GB/s, so it costs little next to mapping) and because it is simple to reimplement where
// the artifact is read (the tests do, in TS). It catches corruption, not tampering: an artifact is
// trusted input, like a shared library.
#pragma once
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

namespace wasmo {

inline uint64_t xxh64(std::span<const uint8_t> data, uint64_t seed) {
  constexpr uint64_t P1 = 0x9E3779B185EBCA87ull, P2 = 0xC2B2AE3D27D4EB4Full, P3 = 0x165667B19E3779F9ull,
                     P4 = 0x85EBCA77C2B2AE63ull, P5 = 0x27D4EB2F165667C5ull;
  auto read64 = [](const uint8_t *p) { uint64_t v; std::memcpy(&v, p, 8); return v; };
  auto read32 = [](const uint8_t *p) { uint32_t v; std::memcpy(&v, p, 4); return v; };
  auto round = [](uint64_t acc, uint64_t input) { return std::rotl(acc + input * P2, 31) * P1; };
  auto merge = [&](uint64_t acc, uint64_t v) { return (acc ^ round(0, v)) * P1 + P4; };
  const uint8_t *p = data.data(), *end = p + data.size();
  uint64_t h;
  if (data.size() >= 32) {
    uint64_t v1 = seed + P1 + P2, v2 = seed + P2, v3 = seed, v4 = seed - P1;
    for (; end - p >= 32; p += 32) {
      v1 = round(v1, read64(p));
      v2 = round(v2, read64(p + 8));
      v3 = round(v3, read64(p + 16));
      v4 = round(v4, read64(p + 24));
    }
    h = std::rotl(v1, 1) + std::rotl(v2, 7) + std::rotl(v3, 12) + std::rotl(v4, 18);
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else {
    h = seed + P5;
  }
  h += data.size();
  for (; end - p >= 8; p += 8) h = std::rotl(h ^ round(0, read64(p)), 27) * P1 + P4;
  if (end - p >= 4) {
    h = std::rotl(h ^ (read32(p) * P1), 23) * P2 + P3;
    p += 4;
  }
  for (; p < end; p++) h = std::rotl(h ^ (*p * P5), 11) * P1;
  h ^= h >> 33;
  h *= P2;
  h ^= h >> 29;
  h *= P3;
  h ^= h >> 32;
  return h;
}

/** The checksum of an artifact whose checksum field is bytes [at, at+8): everything else, in order. */
inline uint64_t artifactChecksum(std::span<const uint8_t> file, size_t at) {
  return xxh64(file.subspan(at + 8), xxh64(file.first(at), 0));
}

}  // namespace wasmo
