// Linear memories in an address-space reservation followed by a guard region, both of the store's
// chosen sizes (MemoryConfig). By default they cover the whole 32-bit index range plus any 32-bit
// offset, so compiled loads and stores need no bounds checks (an access beyond the accessible pages
// faults and becomes a trap); smaller ones need code compiled with explicit checks. Growing never
// moves a memory: it fails past the reservation.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "runtime/vmcontext.h"

namespace wasmo {

inline constexpr uint64_t kPageSize = 65536;
/** What an i32 address plus a u32 offset plus the widest access (16 bytes) can reach, rounded to
 *  a page: a reservation plus guard this large needs no bounds checks in code. */
inline constexpr uint64_t kGuardedRange = (uint64_t{8} << 30) + kPageSize;

/** A store's memory layout (wasmtime's memory_reservation and memory_guard_size). */
struct MemoryConfig {
  uint64_t reservation = uint64_t{4} << 30;          // bytes a memory may grow to, reserved up front
  uint64_t guard = kGuardedRange - (uint64_t{4} << 30);  // inaccessible bytes after the reservation
  /** Code for memories of this layout must check bounds explicitly (compiled with that flag). */
  bool explicitBoundsChecks() const { return reservation + guard < kGuardedRange; }
};

class LinearMemory {
 public:
  /**
   * Throws CompileError(INTERNAL) when the reservation fails. `capPages` is the embedder's limit
   * (a store limit), beyond the type's maximum: growing past it fails as past the maximum does.
   */
  LinearMemory(uint64_t minPages, std::optional<uint64_t> maxPages, uint64_t capPages = UINT64_MAX,
               MemoryConfig config = {});
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
  MemoryConfig config_;
};

}  // namespace wasmo
