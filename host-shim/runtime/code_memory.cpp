#include "runtime/code_memory.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "environ/module.h"
#include "runtime/traps.h"

namespace wasmo {

namespace {

size_t pageSize() {
  static const size_t size = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return size;
}
size_t pageRound(size_t n) { return (n + pageSize() - 1) & ~(pageSize() - 1); }

// Mappings fail (ENOMEM) when the process holds too many, which freeing modules and stores cures.
[[noreturn]] void fail(const std::string &what) {
  throw CompileError{errno == ENOMEM ? WASMO_RESOURCES : WASMO_INTERNAL, what + ": " + std::strerror(errno)};
}

}  // namespace

void adviseHugePages(std::span<uint8_t> bytes) {
  constexpr uintptr_t kHugePage = uintptr_t{2} << 20;
  uintptr_t begin = (reinterpret_cast<uintptr_t>(bytes.data()) + kHugePage - 1) & ~(kHugePage - 1);
  uintptr_t end = (reinterpret_cast<uintptr_t>(bytes.data()) + bytes.size()) & ~(kHugePage - 1);
  if (begin < end) madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE);
}

std::unique_ptr<CodeMemory> CodeMemory::create(size_t size, const std::function<void(std::span<uint8_t>)> &fill) {
  size_t mapped = pageRound(size == 0 ? 1 : size);
  void *p = mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) fail("cannot map code memory");
  adviseHugePages({static_cast<uint8_t *>(p), mapped});
  std::unique_ptr<CodeMemory> image(new CodeMemory(static_cast<uint8_t *>(p), size, mapped));
  fill({image->image_, size});
  // Read-only from here on: what the loader checks is what runs.
  if (mprotect(p, mapped, PROT_READ) != 0) fail("cannot protect code memory");
  return image;
}

std::unique_ptr<CodeMemory> CodeMemory::fromBuffer(std::span<const uint8_t> bytes) {
  return create(bytes.size(), [&](std::span<uint8_t> out) { std::memcpy(out.data(), bytes.data(), bytes.size()); });
}

std::unique_ptr<CodeMemory> CodeMemory::fromFile(const std::string &path) {
  // A file that cannot be read is bad input, like a corrupted one.
  auto unreadable = [&] { return CompileError{WASMO_MALFORMED, "cannot read artifact " + path + ": " + std::strerror(errno)}; };
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw unreadable();
  struct stat st;
  if (fstat(fd, &st) != 0) {
    CompileError e = unreadable();
    close(fd);
    throw e;
  }
  if (!S_ISREG(st.st_mode) || st.st_size == 0) {
    close(fd);
    throw CompileError{WASMO_MALFORMED, "corrupted artifact: " + path + " is not a regular, non-empty file"};
  }
  // Read into fresh memory, never mapped: a mapping of the file would fault (SIGBUS) once the file
  // shrinks and would show later writes to it, so code other than what was checked could run.
  size_t size = static_cast<size_t>(st.st_size);
  std::unique_ptr<CodeMemory> image;
  try {
    image = create(size, [&](std::span<uint8_t> out) {
      for (size_t done = 0; done < size;) {
        ssize_t n = pread(fd, out.data() + done, size - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw unreadable();
        if (n == 0) throw CompileError{WASMO_MALFORMED, "corrupted artifact: " + path + " shrank while being read"};
        done += static_cast<size_t>(n);
      }
    });
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  return image;
}

void CodeMemory::publish(size_t offset, size_t size) {
  if (size == 0) return;
  if (mprotect(image_ + offset, pageRound(size), PROT_READ | PROT_EXEC) != 0) fail("cannot make code executable");
  code_ = image_ + offset;
  codeSize_ = size;
  registerCode(code_, codeSize_);
}

CodeMemory::~CodeMemory() {
  if (code_ != nullptr) unregisterCode(code_);
  munmap(image_, mapped_);
}

}  // namespace wasmo
