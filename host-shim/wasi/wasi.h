// WASI preview1 (wasi_snapshot_preview1) in C++: the per-instance context (fd table with rights,
// preopens, args, environment) and every function of the witx, operating on a linear memory given
// as (base, length). Reached from JS through wasmo_wasi_call (wasmo.h) and, later, from compiled
// code directly: an import bound to WASI resolves to `functions()[id].fn`, which compiled code
// calls with the instance's memory base and length (the VMContext has both), no JS on the path.
#ifndef WASMO_WASI_WASI_H
#define WASMO_WASI_WASI_H

#include <cstddef>
#include <cstdint>
#include <dirent.h>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/vmcontext.h"

namespace wasmo::wasi {

// The witx `errno` values (witx order: ERRNO_x is __WASI_ERRNO_x of wasi/api.h).
enum Errno : uint16_t {
  ERRNO_SUCCESS = 0, ERRNO_2BIG = 1, ERRNO_ACCES = 2, ERRNO_ADDRINUSE = 3, ERRNO_ADDRNOTAVAIL = 4,
  ERRNO_AFNOSUPPORT = 5, ERRNO_AGAIN = 6, ERRNO_ALREADY = 7, ERRNO_BADF = 8, ERRNO_BADMSG = 9,
  ERRNO_BUSY = 10, ERRNO_CANCELED = 11, ERRNO_CHILD = 12, ERRNO_CONNABORTED = 13,
  ERRNO_CONNREFUSED = 14, ERRNO_CONNRESET = 15, ERRNO_DEADLK = 16, ERRNO_DESTADDRREQ = 17,
  ERRNO_DOM = 18, ERRNO_DQUOT = 19, ERRNO_EXIST = 20, ERRNO_FAULT = 21, ERRNO_FBIG = 22,
  ERRNO_HOSTUNREACH = 23, ERRNO_IDRM = 24, ERRNO_ILSEQ = 25, ERRNO_INPROGRESS = 26,
  ERRNO_INTR = 27, ERRNO_INVAL = 28, ERRNO_IO = 29, ERRNO_ISCONN = 30, ERRNO_ISDIR = 31,
  ERRNO_LOOP = 32, ERRNO_MFILE = 33, ERRNO_MLINK = 34, ERRNO_MSGSIZE = 35, ERRNO_MULTIHOP = 36,
  ERRNO_NAMETOOLONG = 37, ERRNO_NETDOWN = 38, ERRNO_NETRESET = 39, ERRNO_NETUNREACH = 40,
  ERRNO_NFILE = 41, ERRNO_NOBUFS = 42, ERRNO_NODEV = 43, ERRNO_NOENT = 44, ERRNO_NOEXEC = 45,
  ERRNO_NOLCK = 46, ERRNO_NOLINK = 47, ERRNO_NOMEM = 48, ERRNO_NOMSG = 49, ERRNO_NOPROTOOPT = 50,
  ERRNO_NOSPC = 51, ERRNO_NOSYS = 52, ERRNO_NOTCONN = 53, ERRNO_NOTDIR = 54, ERRNO_NOTEMPTY = 55,
  ERRNO_NOTRECOVERABLE = 56, ERRNO_NOTSOCK = 57, ERRNO_NOTSUP = 58, ERRNO_NOTTY = 59,
  ERRNO_NXIO = 60, ERRNO_OVERFLOW = 61, ERRNO_OWNERDEAD = 62, ERRNO_PERM = 63, ERRNO_PIPE = 64,
  ERRNO_PROTO = 65, ERRNO_PROTONOSUPPORT = 66, ERRNO_PROTOTYPE = 67, ERRNO_RANGE = 68,
  ERRNO_ROFS = 69, ERRNO_SPIPE = 70, ERRNO_SRCH = 71, ERRNO_STALE = 72, ERRNO_TIMEDOUT = 73,
  ERRNO_TXTBSY = 74, ERRNO_XDEV = 75, ERRNO_NOTCAPABLE = 76
};

// The witx `rights` bits.
namespace rights {
constexpr uint64_t FD_DATASYNC = 1 << 0, FD_READ = 1 << 1, FD_SEEK = 1 << 2,
  FD_FDSTAT_SET_FLAGS = 1 << 3, FD_SYNC = 1 << 4, FD_TELL = 1 << 5, FD_WRITE = 1 << 6,
  FD_ADVISE = 1 << 7, FD_ALLOCATE = 1 << 8, PATH_CREATE_DIRECTORY = 1 << 9,
  PATH_CREATE_FILE = 1 << 10, PATH_LINK_SOURCE = 1 << 11, PATH_LINK_TARGET = 1 << 12,
  PATH_OPEN = 1 << 13, FD_READDIR = 1 << 14, PATH_READLINK = 1 << 15,
  PATH_RENAME_SOURCE = 1 << 16, PATH_RENAME_TARGET = 1 << 17, PATH_FILESTAT_GET = 1 << 18,
  PATH_FILESTAT_SET_SIZE = 1 << 19, PATH_FILESTAT_SET_TIMES = 1 << 20,
  FD_FILESTAT_GET = 1 << 21, FD_FILESTAT_SET_SIZE = 1 << 22, FD_FILESTAT_SET_TIMES = 1 << 23,
  PATH_SYMLINK = 1 << 24, PATH_REMOVE_DIRECTORY = 1 << 25, PATH_UNLINK_FILE = 1 << 26,
  POLL_FD_READWRITE = 1 << 27, SOCK_SHUTDOWN = 1 << 28, SOCK_ACCEPT = 1 << 29;
constexpr uint64_t ALL = (uint64_t(1) << 30) - 1;
// What a read-only preopen withholds from itself and from everything opened beneath it.
constexpr uint64_t MUTATING = FD_DATASYNC | FD_WRITE | FD_ALLOCATE | PATH_CREATE_DIRECTORY |
  PATH_CREATE_FILE | PATH_LINK_SOURCE | PATH_LINK_TARGET | PATH_RENAME_SOURCE |
  PATH_RENAME_TARGET | PATH_FILESTAT_SET_SIZE | PATH_FILESTAT_SET_TIMES | FD_FILESTAT_SET_SIZE |
  FD_FILESTAT_SET_TIMES | PATH_SYMLINK | PATH_REMOVE_DIRECTORY | PATH_UNLINK_FILE;
}  // namespace rights

// A guest linear memory during one call. Every guest pointer goes through `span` (EFAULT when out
// of bounds), so a bad pointer is an errno, never a host fault.
struct Memory {
  uint8_t *base;
  size_t len;
  // `count` bytes at guest address `ptr`, or nullopt when they are not all inside the memory.
  std::optional<std::span<uint8_t>> span(uint64_t ptr, uint64_t count) const {
    if (ptr > len || count > len - ptr) return std::nullopt;
    return std::span<uint8_t>(base + ptr, count);
  }
};

// One open descriptor of the guest.
struct FdEntry {
  int host = -1;                // owned host descriptor
  uint8_t filetype = 0;         // witx filetype at open
  uint64_t base = 0;            // rights_base
  uint64_t inheriting = 0;      // rights_inheriting
  std::string preopen;          // the guest path of a preopened directory ("" otherwise)
  DIR *dir = nullptr;           // fd_readdir's stream (over a dup of `host`), made on first use
  uint64_t dir_cookie = 0;      // the cookie `dir` is positioned at
  bool nonblock = false;        // the guest asked for FDFLAGS_NONBLOCK (the host fd may be either)
};

struct Preopen {
  std::string host;
  std::string guest;
  bool readonly = false;
};

// How paths are resolved beneath a preopen: openat2 where the kernel has it, else (or when asked,
// for tests) a component walk with O_NOFOLLOW and symlinks expanded by hand.
enum class Resolver { automatic, walk };

struct Config {
  std::vector<std::string> args;
  std::vector<std::string> env;  // "KEY=VALUE"
  std::vector<Preopen> preopens;
  // Host descriptors for guest fds 0, 1, 2 (dup'ed); -1 means an in-memory file: for stdin its
  // contents are `stdin_data`, for stdout/stderr the output is kept for `output()`.
  int stdio[3] = {0, 1, 2};
  std::string stdin_data;
  Resolver resolver = Resolver::automatic;
};

class Context {
 public:
  // Opens the preopens and stdio; on failure returns null with a message in `error`.
  static std::unique_ptr<Context> create(const Config &config, std::string &error);
  ~Context();
  Context(const Context &) = delete;
  Context &operator=(const Context &) = delete;

  // proc_exit's code, or proc_raise's 128 + signal, once the program has ended.
  std::optional<uint32_t> exit_code;
  // The bytes written so far to an in-memory stdout (1) or stderr (2); empty for the others.
  std::string output(uint32_t fd) const;

  std::vector<std::string> args, env;
  std::vector<std::optional<FdEntry>> fds;
  bool use_openat2 = true;
  // The memory of a program whose functions are bound directly (bind.h); null otherwise.
  const VMMemory *memory = nullptr;

  FdEntry *entry(uint32_t fd);
  // Allocate the lowest free guest fd for `e`.
  uint32_t insert(FdEntry e);
  void close(uint32_t fd);

 private:
  Context() = default;
  int memfd_[3] = {-1, -1, -1};
};

// A resolved path: a host directory descriptor (owned) and one name in it. `name` is never "..";
// a path ending in "." or ".." resolves to the directory itself with name ".".
struct Resolved {
  int dir = -1;
  std::string name;
  bool trailing_slash = false;
  Resolved() = default;
  Resolved(Resolved &&o) noexcept : dir(o.dir), name(std::move(o.name)), trailing_slash(o.trailing_slash) { o.dir = -1; }
  Resolved &operator=(Resolved &&) = delete;
  ~Resolved();
};

// The sandbox (sandbox.cpp). `start` is a preopen-derived directory descriptor. Every path the
// guest gives goes through these; nothing else opens host paths.
// `new_link`: the path names a link to create (path_link, path_symlink), where "x/" fails.
Errno resolve_parent(Context &ctx, int start, std::string_view path, Resolved &out, bool new_link = false);
// Open `path` beneath `start` with open(2) `flags` (O_NOFOLLOW unless `follow`), like openat.
Errno open_beneath(Context &ctx, int start, std::string_view path, int flags, unsigned mode, bool follow, int &out);

// Host errno to WASI errno.
Errno from_host(int err);

// The wasm signature of a WASI function: params as a string of 'i' (i32) and 'I' (i64); every
// function but proc_exit returns one i32 (an errno).
using Fn = int32_t (*)(Context &ctx, const Memory &mem, const uint64_t *args);
struct Function {
  const char *name;
  const char *params;
  uint32_t results;
  Fn fn;
};
// What `Fn` returns after proc_exit or a fatal proc_raise: the program has ended; `exit_code` is set.
constexpr int32_t EXITED = -1;

std::span<const Function> functions();

}  // namespace wasmo::wasi

#endif
