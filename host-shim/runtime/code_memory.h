// Executable code: one mapping per module, written while RW, then published read+exec (W^X) and
// registered with the trap handler.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>

namespace wasmo {

class CodeMemory {
 public:
  explicit CodeMemory(std::span<const uint8_t> code);
  ~CodeMemory();
  CodeMemory(const CodeMemory &) = delete;
  CodeMemory &operator=(const CodeMemory &) = delete;
  const uint8_t *base() const { return base_; }

 private:
  uint8_t *base_ = nullptr;
  size_t size_ = 0;
};

}  // namespace wasmo
