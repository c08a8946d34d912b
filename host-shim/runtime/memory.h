// Linear memories with guard regions: the whole 32-bit index range plus any 32-bit offset is
// reserved up front, so compiled loads and stores need no bounds checks (an access beyond the
// accessible pages faults and becomes a trap), and growing never moves the memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

namespace wasmo {

inline constexpr uint64_t kPageSize = 65536;

class LinearMemory {
 public:
  /** Throws CompileError(INTERNAL) when the reservation fails. */
  LinearMemory(uint64_t minPages, std::optional<uint64_t> maxPages);
  ~LinearMemory();
  LinearMemory(const LinearMemory &) = delete;
  LinearMemory &operator=(const LinearMemory &) = delete;

  uint8_t *base() const { return base_; }
  uint64_t pages() const { return pages_; }
  /** memory.grow (spec 4.5.3.9): the old size, or -1 when the limits or the system refuse. */
  int32_t grow(uint64_t delta);

 private:
  uint8_t *base_ = nullptr;
  uint64_t pages_ = 0;
  std::optional<uint64_t> max_;
};

}  // namespace wasmo
