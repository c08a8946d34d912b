#include "runtime/code_memory.h"

#include <sys/mman.h>

#include <cstring>

#include "environ/module.h"
#include "runtime/traps.h"

namespace wasmo {

CodeMemory::CodeMemory(std::span<const uint8_t> code) : size_(code.empty() ? 1 : code.size()) {
  void *p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw CompileError{WASMO_INTERNAL, "cannot map code memory"};
  base_ = static_cast<uint8_t *>(p);
  if (!code.empty()) std::memcpy(base_, code.data(), code.size());
  if (mprotect(base_, size_, PROT_READ | PROT_EXEC) != 0) {
    munmap(base_, size_);
    throw CompileError{WASMO_INTERNAL, "cannot make code executable"};
  }
  registerCode(base_, size_);
}

CodeMemory::~CodeMemory() {
  unregisterCode(base_);
  munmap(base_, size_);
}

}  // namespace wasmo
