// Linear memories with guard regions: the whole 32-bit index range plus any 32-bit offset is
// reserved up front, so compiled loads and stores need no bounds checks (an access beyond the
// accessible pages faults and becomes a trap), and growing never moves the memory.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "runtime/vmcontext.h"

namespace wasmo {

inline constexpr uint64_t kPageSize = 65536;

class LinearMemory {
 public:
  /**
   * Throws CompileError(INTERNAL) when the reservation fails. `capPages` is the embedder's limit
   * (a store limit), beyond the type's maximum: growing past it fails as past the maximum does.
   */
  LinearMemory(uint64_t minPages, std::optional<uint64_t> maxPages, uint64_t capPages = UINT64_MAX);
  ~LinearMemory();
  LinearMemory(const LinearMemory &) = delete;
  LinearMemory &operator=(const LinearMemory &) = delete;

  uint8_t *base() const { return vm_.base; }
  uint64_t pages() const { return vm_.pages; }
  std::optional<uint64_t> max() const { return max_; }
  /** What compiled code reads the size from. */
  VMMemory *vm() { return &vm_; }
  /** memory.grow (spec 4.5.3.9): the old size, or -1 when the limits or the system refuse. */
  int32_t grow(uint64_t delta);

 private:
  VMMemory vm_;
  std::optional<uint64_t> max_;
  uint64_t cap_;
};

}  // namespace wasmo
