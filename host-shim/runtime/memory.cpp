#include "runtime/memory.h"

#include <sys/mman.h>

#include "environ/module.h"

namespace wasmo {

namespace {
// An i32 address plus a u32 offset plus the widest access stays below 8 GiB + a page.
constexpr size_t kReservation = (size_t{8} << 30) + kPageSize;
}  // namespace

LinearMemory::LinearMemory(uint64_t minPages, std::optional<uint64_t> maxPages) : max_(maxPages) {
  void *p = mmap(nullptr, kReservation, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) throw CompileError{WASMO_INTERNAL, "cannot reserve address space for a memory"};
  vm_.base = static_cast<uint8_t *>(p);
  if (grow(minPages) < 0) {
    munmap(vm_.base, kReservation);
    throw CompileError{WASMO_INTERNAL, "cannot allocate the memory's initial pages"};
  }
}

LinearMemory::~LinearMemory() { munmap(vm_.base, kReservation); }

int32_t LinearMemory::grow(uint64_t delta) {
  uint64_t old = vm_.pages;
  uint64_t limit = max_ ? *max_ : 65536;
  if (delta > limit - old) return -1;
  if (delta != 0 && mprotect(vm_.base + old * kPageSize, delta * kPageSize, PROT_READ | PROT_WRITE) != 0) return -1;
  vm_.pages = old + delta;
  return static_cast<int32_t>(old);
}

}  // namespace wasmo
