#include "runtime/memory.h"

#include <sys/mman.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <vector>

#include "environ/module.h"

namespace wasmo {

namespace {
// Reservations of freed memories, reused by the next ones of the same size (reservation plus
// guard): a program that makes and frees stores in a loop keeps a steady address space instead of
// asking the kernel for 8 GiB each time.
constexpr size_t kPoolMax = 64;
std::mutex poolMutex;
std::map<size_t, std::vector<uint8_t *>> pools;

uint8_t *reserve(size_t size) {
  {
    std::lock_guard<std::mutex> lock(poolMutex);
    std::vector<uint8_t *> &pool = pools[size];
    if (!pool.empty()) {
      uint8_t *p = pool.back();
      pool.pop_back();
      return p;
    }
  }
  void *p = mmap(nullptr, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  return p == MAP_FAILED ? nullptr : static_cast<uint8_t *>(p);
}

// A pooled reservation is as a new one: its pages zero (MADV_DONTNEED on private anonymous memory)
// and none accessible.
void release(uint8_t *base, size_t size, uint64_t pages) {
  size_t used = pages * kPageSize;
  bool clean = used == 0 || (madvise(base, used, MADV_DONTNEED) == 0 && mprotect(base, used, PROT_NONE) == 0);
  if (clean) {
    std::lock_guard<std::mutex> lock(poolMutex);
    std::vector<uint8_t *> &pool = pools[size];
    if (pool.size() < kPoolMax) {
      pool.push_back(base);
      return;
    }
  }
  munmap(base, size);
}
}  // namespace

LinearMemory::LinearMemory(uint64_t minPages, std::optional<uint64_t> maxPages, uint64_t capPages,
                           MemoryConfig config)
    : max_(maxPages), cap_(UINT64_MAX), config_(config) {
  vm_.base = reserve(config_.reservation + config_.guard);
  if (vm_.base == nullptr) throw CompileError{WASMO_RESOURCES, "cannot reserve address space for a memory"};
  if (minPages > config_.reservation / kPageSize) {
    release(vm_.base, config_.reservation + config_.guard, 0);
    throw CompileError{WASMO_RESOURCES, "memory's initial size exceeds the memory reservation"};
  }
  if (grow(minPages) < 0) {
    release(vm_.base, config_.reservation + config_.guard, vm_.pages);
    // The kernel refused the mapping: out of memory, or of mappings (vm.max_map_count).
    throw CompileError{WASMO_RESOURCES, "cannot allocate the memory's initial pages"};
  }
  // The embedder checks the minimum against its limit before allocating; the limit bounds growth.
  cap_ = capPages;
}

LinearMemory::~LinearMemory() { release(vm_.base, config_.reservation + config_.guard, vm_.pages); }

int32_t LinearMemory::grow(uint64_t delta) {
  uint64_t old = vm_.pages;
  // Growth past the reservation fails, as the spec allows any growth to (4.5.3.9).
  uint64_t limit = std::min({max_ ? *max_ : 65536, cap_, config_.reservation / kPageSize});
  if (delta > limit - old) return -1;
  if (delta != 0 && mprotect(vm_.base + old * kPageSize, delta * kPageSize, PROT_READ | PROT_WRITE) != 0) return -1;
  vm_.pages = old + delta;
  vm_.length = vm_.pages * kPageSize;
  return static_cast<int32_t>(old);
}

}  // namespace wasmo
