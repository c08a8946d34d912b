// An artifact's image in memory, the only way code becomes executable: a private read-only copy of
// the whole artifact (from a buffer or a file), whose .text pages the loader
// publishes read+exec (never writable) once it has checked everything, and registers with the trap
// handler.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace wasmo {

/**
 * Asks for transparent huge pages on the 2 MiB-aligned part of `bytes`: memory the compiler writes
 * once, front to back (code buffers, artifact images), then takes one page fault per 2 MiB instead
 * of one per 4 KiB, which on a big module was a sixth of the compile time. Advice only: where huge
 * pages are off or unavailable it changes nothing.
 */
void adviseHugePages(std::span<uint8_t> bytes);

class CodeMemory {
 public:
  /** A fresh zeroed mapping of `size` bytes that `fill` writes; throws CompileError(INTERNAL). */
  static std::unique_ptr<CodeMemory> create(size_t size, const std::function<void(std::span<uint8_t>)> &fill);
  /** Copies `bytes` into a fresh mapping; throws CompileError(INTERNAL). */
  static std::unique_ptr<CodeMemory> fromBuffer(std::span<const uint8_t> bytes);
  /** Reads the file (the cache and `wasmo compile` path) into a fresh mapping, so that changing or
   * truncating the file later changes nothing loaded; throws CompileError naming it: MALFORMED
   * when it cannot be read, INTERNAL when memory cannot be mapped. */
  static std::unique_ptr<CodeMemory> fromFile(const std::string &path);
  ~CodeMemory();
  CodeMemory(const CodeMemory &) = delete;
  CodeMemory &operator=(const CodeMemory &) = delete;

  /** The artifact, exactly as loaded. */
  std::span<const uint8_t> bytes() const { return {image_, size_}; }
  /** Makes [offset, offset+size) read+exec: `offset` is page-aligned and the range in the image. */
  void publish(size_t offset, size_t size);
  /** The start of the published code. */
  const uint8_t *base() const { return code_; }
  /** Is `pc` inside the published code? */
  bool contains(uintptr_t pc) const {
    return pc - reinterpret_cast<uintptr_t>(code_) < codeSize_;
  }

 private:
  CodeMemory(uint8_t *image, size_t size, size_t mapped) : image_(image), size_(size), mapped_(mapped) {}
  uint8_t *image_;
  size_t size_, mapped_;
  uint8_t *code_ = nullptr;
  size_t codeSize_ = 0;
};

}  // namespace wasmo
