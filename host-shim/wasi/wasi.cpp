// Every wasi_snapshot_preview1 function, in witx order. Each takes the guest's arguments as
// uint64 slots (i32 zero-extended) and returns a witx errno, or EXITED when the program ended.
// Guest memory is reached only through Memory::span and the load/store helpers (EFAULT when out of
// bounds); guest paths only through the sandbox (sandbox.cpp).
#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi/wasi.h"

namespace wasmo::wasi {

namespace {

// witx enums used below.
enum : uint8_t {
  FILETYPE_UNKNOWN = 0, FILETYPE_BLOCK_DEVICE = 1, FILETYPE_CHARACTER_DEVICE = 2,
  FILETYPE_DIRECTORY = 3, FILETYPE_REGULAR_FILE = 4, FILETYPE_SOCKET_DGRAM = 5,
  FILETYPE_SOCKET_STREAM = 6, FILETYPE_SYMBOLIC_LINK = 7,
};
enum : uint16_t { FDFLAGS_APPEND = 1, FDFLAGS_DSYNC = 2, FDFLAGS_NONBLOCK = 4, FDFLAGS_RSYNC = 8, FDFLAGS_SYNC = 16 };
enum : uint16_t { OFLAGS_CREAT = 1, OFLAGS_DIRECTORY = 2, OFLAGS_EXCL = 4, OFLAGS_TRUNC = 8 };
enum : uint32_t { LOOKUPFLAGS_SYMLINK_FOLLOW = 1 };
enum : uint16_t { FSTFLAGS_ATIM = 1, FSTFLAGS_ATIM_NOW = 2, FSTFLAGS_MTIM = 4, FSTFLAGS_MTIM_NOW = 8 };
enum : uint8_t { EVENTTYPE_CLOCK = 0, EVENTTYPE_FD_READ = 1, EVENTTYPE_FD_WRITE = 2 };
enum : uint16_t { SUBCLOCKFLAGS_ABSTIME = 1, EVENTRWFLAGS_HANGUP = 1 };
enum : uint16_t { RIFLAGS_RECV_PEEK = 1, RIFLAGS_RECV_WAITALL = 2, ROFLAGS_RECV_DATA_TRUNCATED = 1 };
enum : uint8_t { SDFLAGS_RD = 1, SDFLAGS_WR = 2 };

using A = const uint64_t *;

uint32_t u32(uint64_t v) { return static_cast<uint32_t>(v); }

template <class T>
bool load(const Memory &m, uint64_t ptr, T &v) {
  auto s = m.span(ptr, sizeof(T));
  if (!s) return false;
  std::memcpy(&v, s->data(), sizeof(T));
  return true;
}

template <class T>
bool store(const Memory &m, uint64_t ptr, T v) {
  auto s = m.span(ptr, sizeof(T));
  if (!s) return false;
  std::memcpy(s->data(), &v, sizeof(T));
  return true;
}

#define TRY(expr)                                  \
  do {                                             \
    Errno try_e_ = (expr);                         \
    if (try_e_ != ERRNO_SUCCESS) return try_e_;    \
  } while (0)
#define STORE(ptr, value) \
  do {                    \
    if (!store(mem, (ptr), (value))) return ERRNO_FAULT; \
  } while (0)

// The entry for `fd`, which must hold all of `need`.
Errno get(Context &ctx, uint64_t fd, uint64_t need, FdEntry *&e) {
  e = ctx.entry(u32(fd));
  if (!e) return ERRNO_BADF;
  if ((e->base & need) != need) return ERRNO_NOTCAPABLE;
  return ERRNO_SUCCESS;
}

Errno path_arg(const Memory &mem, uint64_t ptr, uint64_t len, std::string_view &out) {
  auto s = mem.span(u32(ptr), u32(len));
  if (!s) return ERRNO_FAULT;
  out = std::string_view(reinterpret_cast<const char *>(s->data()), s->size());
  return ERRNO_SUCCESS;
}

// A guest iovec/ciovec array as host iovecs into guest memory (at most IOV_MAX: reads and writes
// may be short, so the rest is simply not transferred). Up to 16 fit in `small`, no allocation.
struct Iovecs {
  iovec small[16];
  std::vector<iovec> big;
  iovec *data = small;
  int count = 0;
};

Errno iovecs(const Memory &mem, uint64_t ptr, uint64_t count, Iovecs &out) {
  uint32_t n = std::min<uint32_t>(u32(count), IOV_MAX);
  if (!mem.span(u32(ptr), uint64_t(u32(count)) * 8)) return ERRNO_FAULT;
  if (n > std::size(out.small)) {
    out.big.resize(n);
    out.data = out.big.data();
  }
  out.count = int(n);
  for (uint32_t i = 0; i < n; i++) {
    uint32_t buf = 0, len = 0;
    load(mem, u32(ptr) + 8 * uint64_t(i), buf);
    load(mem, u32(ptr) + 8 * uint64_t(i) + 4, len);
    auto s = mem.span(buf, len);
    if (!s) return ERRNO_FAULT;
    out.data[i] = {s->data(), s->size()};
  }
  return ERRNO_SUCCESS;
}

// Blocking I/O for the guest even when the host descriptor is non-blocking (node makes its stdio
// so): on EAGAIN wait with poll, unless the guest itself asked for FDFLAGS_NONBLOCK.
template <class Op>
ssize_t blocking(const FdEntry &e, short events, Op op) {
  for (;;) {
    ssize_t n = op();
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && !e.nonblock) {
      pollfd p{e.host, events, 0};
      poll(&p, 1, -1);
      continue;
    }
    return -1;
  }
}

uint8_t filetype_of(int fd, const struct stat &st) {
  switch (st.st_mode & S_IFMT) {
    case S_IFREG: return FILETYPE_REGULAR_FILE;
    case S_IFDIR: return FILETYPE_DIRECTORY;
    case S_IFCHR: return FILETYPE_CHARACTER_DEVICE;
    case S_IFBLK: return FILETYPE_BLOCK_DEVICE;
    case S_IFLNK: return FILETYPE_SYMBOLIC_LINK;
    case S_IFSOCK: {
      int type = 0;
      socklen_t len = sizeof type;
      if (fd >= 0 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_DGRAM) return FILETYPE_SOCKET_DGRAM;
      return FILETYPE_SOCKET_STREAM;
    }
    default: return FILETYPE_UNKNOWN;  // FIFOs have no witx filetype
  }
}

uint64_t ns(const timespec &t) { return uint64_t(t.tv_sec) * 1000000000u + uint64_t(t.tv_nsec); }

Errno store_filestat(const Memory &mem, uint64_t ptr, const struct stat &st, int fd) {
  auto s = mem.span(u32(ptr), 64);
  if (!s) return ERRNO_FAULT;
  uint8_t *p = s->data();
  uint64_t v[8] = {uint64_t(st.st_dev), uint64_t(st.st_ino), filetype_of(fd, st), uint64_t(st.st_nlink),
                   uint64_t(st.st_size), ns(st.st_atim), ns(st.st_mtim), ns(st.st_ctim)};
  std::memcpy(p, v, sizeof v);  // filestat: eight u64-aligned fields, filetype in a zero-padded u64
  return ERRNO_SUCCESS;
}

Errno timespecs(uint64_t atim, uint64_t mtim, uint64_t flags, timespec ts[2]) {
  uint32_t f = u32(flags);
  if (f & ~uint32_t(FSTFLAGS_ATIM | FSTFLAGS_ATIM_NOW | FSTFLAGS_MTIM | FSTFLAGS_MTIM_NOW)) return ERRNO_INVAL;
  if ((f & FSTFLAGS_ATIM) && (f & FSTFLAGS_ATIM_NOW)) return ERRNO_INVAL;
  if ((f & FSTFLAGS_MTIM) && (f & FSTFLAGS_MTIM_NOW)) return ERRNO_INVAL;
  auto one = [](bool set, bool now, uint64_t t) {
    if (now) return timespec{0, UTIME_NOW};
    if (set) return timespec{time_t(t / 1000000000u), long(t % 1000000000u)};
    return timespec{0, UTIME_OMIT};
  };
  ts[0] = one(f & FSTFLAGS_ATIM, f & FSTFLAGS_ATIM_NOW, atim);
  ts[1] = one(f & FSTFLAGS_MTIM, f & FSTFLAGS_MTIM_NOW, mtim);
  return ERRNO_SUCCESS;
}

bool clock_of(uint32_t id, clockid_t &out) {
  switch (id) {
    case 0: out = CLOCK_REALTIME; return true;
    case 1: out = CLOCK_MONOTONIC; return true;
    case 2: out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case 3: out = CLOCK_THREAD_CPUTIME_ID; return true;
    default: return false;
  }
}

// args_get / environ_get: pointers into `buf`, each string NUL-terminated.
Errno strings_get(const Memory &mem, const std::vector<std::string> &strings, uint64_t ptrs, uint64_t buf) {
  uint32_t p = u32(ptrs), b = u32(buf);
  for (const auto &s : strings) {
    auto dst = mem.span(b, s.size() + 1);
    if (!dst) return ERRNO_FAULT;
    std::memcpy(dst->data(), s.c_str(), s.size() + 1);
    STORE(p, b);
    p += 4;
    b += u32(s.size() + 1);
  }
  return ERRNO_SUCCESS;
}

Errno strings_sizes_get(const Memory &mem, const std::vector<std::string> &strings, uint64_t count_ptr, uint64_t size_ptr) {
  uint64_t size = 0;
  for (const auto &s : strings) size += s.size() + 1;
  STORE(u32(count_ptr), u32(strings.size()));
  STORE(u32(size_ptr), u32(size));
  return ERRNO_SUCCESS;
}

// ---- the functions ----

Errno args_get(Context &ctx, const Memory &mem, A a) { return strings_get(mem, ctx.args, a[0], a[1]); }
Errno args_sizes_get(Context &ctx, const Memory &mem, A a) { return strings_sizes_get(mem, ctx.args, a[0], a[1]); }
Errno environ_get(Context &ctx, const Memory &mem, A a) { return strings_get(mem, ctx.env, a[0], a[1]); }
Errno environ_sizes_get(Context &ctx, const Memory &mem, A a) { return strings_sizes_get(mem, ctx.env, a[0], a[1]); }

Errno clock_res_get(Context &, const Memory &mem, A a) {
  clockid_t id;
  if (!clock_of(u32(a[0]), id)) return ERRNO_INVAL;
  timespec t;
  if (clock_getres(id, &t) != 0) return from_host(errno);
  STORE(u32(a[1]), ns(t));
  return ERRNO_SUCCESS;
}

Errno clock_time_get(Context &, const Memory &mem, A a) {
  clockid_t id;
  if (!clock_of(u32(a[0]), id)) return ERRNO_INVAL;
  timespec t;
  if (clock_gettime(id, &t) != 0) return from_host(errno);
  STORE(u32(a[2]), ns(t));
  return ERRNO_SUCCESS;
}

Errno fd_advise(Context &ctx, const Memory &, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], rights::FD_ADVISE, e));
  static constexpr int advice[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                                   POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  if (u32(a[3]) > 5) return ERRNO_INVAL;
  if (e->filetype == FILETYPE_DIRECTORY) return ERRNO_BADF;
  return from_host(posix_fadvise(e->host, off_t(a[1]), off_t(a[2]), advice[u32(a[3])]));
}

Errno fd_allocate(Context &ctx, const Memory &, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], rights::FD_ALLOCATE, e));
  if (int64_t(a[1]) < 0 || int64_t(a[2]) <= 0) return ERRNO_INVAL;
  return from_host(posix_fallocate(e->host, off_t(a[1]), off_t(a[2])));
}

Errno fd_close(Context &ctx, const Memory &, A a) {
  if (!ctx.entry(u32(a[0]))) return ERRNO_BADF;
  ctx.close(u32(a[0]));
  return ERRNO_SUCCESS;
}

// fd_datasync and fd_sync.
template <uint64_t Right, int (*Sync)(int)>
Errno fd_sync_with(Context &ctx, const Memory &, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], Right, e));
  return Sync(e->host) == 0 ? ERRNO_SUCCESS : from_host(errno);
}

Errno fd_fdstat_get(Context &ctx, const Memory &mem, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], 0, e));
  int fl = fcntl(e->host, F_GETFL);
  if (fl < 0) return from_host(errno);
  uint16_t flags = (fl & O_APPEND ? FDFLAGS_APPEND : 0) | (e->nonblock ? FDFLAGS_NONBLOCK : 0) |
                   ((fl & O_SYNC) == O_SYNC ? FDFLAGS_SYNC | FDFLAGS_RSYNC : (fl & O_DSYNC ? FDFLAGS_DSYNC : 0));
  auto s = mem.span(u32(a[1]), 24);
  if (!s) return ERRNO_FAULT;
  std::memset(s->data(), 0, 24);
  s->data()[0] = e->filetype;
  std::memcpy(s->data() + 2, &flags, 2);
  std::memcpy(s->data() + 8, &e->base, 8);
  std::memcpy(s->data() + 16, &e->inheriting, 8);
  return ERRNO_SUCCESS;
}

Errno fd_fdstat_set_flags(Context &ctx, const Memory &, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], rights::FD_FDSTAT_SET_FLAGS, e));
  uint32_t f = u32(a[1]);
  if (f & ~uint32_t(FDFLAGS_APPEND | FDFLAGS_NONBLOCK | FDFLAGS_DSYNC | FDFLAGS_RSYNC | FDFLAGS_SYNC)) return ERRNO_INVAL;
  if (f & (FDFLAGS_DSYNC | FDFLAGS_RSYNC | FDFLAGS_SYNC)) return ERRNO_NOTSUP;  // Linux's F_SETFL cannot set them
  int fl = fcntl(e->host, F_GETFL);
  if (fl < 0) return from_host(errno);
  int want = (fl & ~(O_APPEND | O_NONBLOCK)) | (f & FDFLAGS_APPEND ? O_APPEND : 0) | (f & FDFLAGS_NONBLOCK ? O_NONBLOCK : 0);
  // Leave a host O_NONBLOCK (node's stdio) alone unless the guest sets it: `blocking` hides it.
  if (!(f & FDFLAGS_NONBLOCK) && !e->nonblock) want |= fl & O_NONBLOCK;
  if (want != fl && fcntl(e->host, F_SETFL, want) != 0) return from_host(errno);
  e->nonblock = f & FDFLAGS_NONBLOCK;
  return ERRNO_SUCCESS;
}

Errno fd_fdstat_set_rights(Context &ctx, const Memory &, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], 0, e));
  if ((a[1] & ~e->base) || (a[2] & ~e->inheriting)) return ERRNO_NOTCAPABLE;  // rights only shrink
  e->base = a[1];
  e->inheriting = a[2];
  return ERRNO_SUCCESS;
}

Errno fd_filestat_get(Context &ctx, const Memory &mem, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], rights::FD_FILESTAT_GET, e));
  struct stat st;
  if (fstat(e->host, &st) != 0) return from_host(errno);
  return store_filestat(mem, a[1], st, e->host);
}

Errno fd_filestat_set_size(Context &ctx, const Memory &, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], rights::FD_FILESTAT_SET_SIZE, e));
  if (int64_t(a[1]) < 0) return ERRNO_INVAL;
  return ftruncate(e->host, off_t(a[1])) == 0 ? ERRNO_SUCCESS : from_host(errno);
}

Errno fd_filestat_set_times(Context &ctx, const Memory &, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], rights::FD_FILESTAT_SET_TIMES, e));
  timespec ts[2];
  TRY(timespecs(a[1], a[2], a[3], ts));
  return futimens(e->host, ts) == 0 ? ERRNO_SUCCESS : from_host(errno);
}

// fd_read, fd_write, fd_pread, fd_pwrite: rights, the iovecs, the transfer, its size stored at
// `size_ptr`. `op(host fd, iovecs, count)` is the host call.
template <class Op>
Errno transfer(Context &ctx, const Memory &mem, A a, uint64_t need, uint64_t size_ptr, short events, Op op) {
  FdEntry *e;
  TRY(get(ctx, a[0], need, e));
  Iovecs iov;
  TRY(iovecs(mem, a[1], a[2], iov));
  if (!mem.span(u32(size_ptr), 4)) return ERRNO_FAULT;
  ssize_t n = blocking(*e, events, [&] { return op(e->host, iov.data, iov.count); });
  if (n < 0) return from_host(errno);
  STORE(u32(size_ptr), u32(n));
  return ERRNO_SUCCESS;
}

Errno fd_pread(Context &ctx, const Memory &mem, A a) {
  if (int64_t(a[3]) < 0) return ERRNO_INVAL;
  return transfer(ctx, mem, a, rights::FD_READ | rights::FD_SEEK, a[4], POLLIN,
                  [&](int fd, const iovec *v, int n) { return preadv(fd, v, n, off_t(a[3])); });
}

Errno fd_prestat_get(Context &ctx, const Memory &mem, A a) {
  FdEntry *e = ctx.entry(u32(a[0]));
  if (!e || e->preopen.empty()) return ERRNO_BADF;
  auto s = mem.span(u32(a[1]), 8);
  if (!s) return ERRNO_FAULT;
  uint32_t len = u32(e->preopen.size());
  std::memset(s->data(), 0, 8);  // tag 0: preopentype dir
  std::memcpy(s->data() + 4, &len, 4);
  return ERRNO_SUCCESS;
}

Errno fd_prestat_dir_name(Context &ctx, const Memory &mem, A a) {
  FdEntry *e = ctx.entry(u32(a[0]));
  if (!e || e->preopen.empty()) return ERRNO_BADF;
  if (u32(a[2]) < e->preopen.size()) return ERRNO_NAMETOOLONG;
  auto s = mem.span(u32(a[1]), e->preopen.size());
  if (!s) return ERRNO_FAULT;
  std::memcpy(s->data(), e->preopen.data(), e->preopen.size());
  return ERRNO_SUCCESS;
}

Errno fd_pwrite(Context &ctx, const Memory &mem, A a) {
  if (int64_t(a[3]) < 0) return ERRNO_INVAL;
  return transfer(ctx, mem, a, rights::FD_WRITE | rights::FD_SEEK, a[4], POLLOUT,
                  [&](int fd, const iovec *v, int n) { return pwritev(fd, v, n, off_t(a[3])); });
}

Errno fd_read(Context &ctx, const Memory &mem, A a) {
  return transfer(ctx, mem, a, rights::FD_READ, a[3], POLLIN, readv);
}

Errno fd_readdir(Context &ctx, const Memory &mem, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], rights::FD_READDIR, e));
  auto buf = mem.span(u32(a[1]), u32(a[2]));
  if (!buf || !mem.span(u32(a[4]), 4)) return ERRNO_FAULT;
  if (e->filetype != FILETYPE_DIRECTORY) return ERRNO_NOTDIR;
  if (!e->dir) {
    // A stream of its own (the path_open'ed descriptor may be O_PATH-free but shares its offset).
    int fd = openat(e->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return from_host(errno);
    e->dir = fdopendir(fd);
    if (!e->dir) {
      int err = errno;
      ::close(fd);
      return from_host(err);
    }
    e->dir_cookie = 0;
  }
  uint64_t cookie = a[3];
  if (cookie != e->dir_cookie) {
    if (cookie == 0) rewinddir(e->dir);
    else seekdir(e->dir, long(cookie));
    e->dir_cookie = cookie;
  }
  size_t used = 0, cap = buf->size();
  while (used < cap) {
    errno = 0;
    dirent *d = readdir(e->dir);
    if (!d) {
      if (errno != 0) return from_host(errno);
      break;
    }
    uint8_t type;
    switch (d->d_type) {
      case DT_REG: type = FILETYPE_REGULAR_FILE; break;
      case DT_DIR: type = FILETYPE_DIRECTORY; break;
      case DT_LNK: type = FILETYPE_SYMBOLIC_LINK; break;
      case DT_CHR: type = FILETYPE_CHARACTER_DEVICE; break;
      case DT_BLK: type = FILETYPE_BLOCK_DEVICE; break;
      case DT_SOCK: type = FILETYPE_SOCKET_STREAM; break;
      case DT_UNKNOWN: {
        struct stat st;
        type = fstatat(dirfd(e->dir), d->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? filetype_of(-1, st) : uint8_t(FILETYPE_UNKNOWN);
        break;
      }
      default: type = FILETYPE_UNKNOWN;
    }
    uint32_t namlen = u32(std::strlen(d->d_name));
    uint8_t header[24] = {};
    uint64_t next = uint64_t(d->d_off), ino = uint64_t(d->d_ino);
    std::memcpy(header, &next, 8);
    std::memcpy(header + 8, &ino, 8);
    std::memcpy(header + 16, &namlen, 4);
    header[20] = type;
    size_t n = std::min(cap - used, sizeof header);
    std::memcpy(buf->data() + used, header, n);
    used += n;
    size_t m = std::min<size_t>(cap - used, namlen);
    std::memcpy(buf->data() + used, d->d_name, m);
    used += m;
    // A truncated last entry tells the guest to call again with a larger buffer from the previous
    // cookie; the stream is past it, so the next call seeks.
    e->dir_cookie = (n == sizeof header && m == namlen) ? next : UINT64_MAX;
  }
  STORE(u32(a[4]), u32(used));
  return ERRNO_SUCCESS;
}

Errno fd_renumber(Context &ctx, const Memory &, A a) {
  uint32_t from = u32(a[0]), to = u32(a[1]);
  if (!ctx.entry(from) || !ctx.entry(to)) return ERRNO_BADF;
  if (from == to) return ERRNO_SUCCESS;
  ctx.close(to);
  ctx.fds[to] = std::move(ctx.fds[from]);
  ctx.fds[from].reset();
  return ERRNO_SUCCESS;
}

Errno fd_seek(Context &ctx, const Memory &mem, A a) {
  uint32_t whence = u32(a[2]);
  // A directory's offset is its readdir cookie, reached through fd_readdir only (Linux's lseek
  // would accept it; wasmtime says EBADF).
  // Asking for the position only needs FD_TELL (witx: fd_seek).
  uint64_t need = (whence == 1 && a[1] == 0) ? rights::FD_TELL : rights::FD_SEEK;
  FdEntry *e = ctx.entry(u32(a[0]));
  if (!e) return ERRNO_BADF;
  if ((e->base & need) != need && (e->base & rights::FD_SEEK) == 0) return ERRNO_NOTCAPABLE;
  if (whence > 2) return ERRNO_INVAL;
  if (e->filetype == FILETYPE_DIRECTORY) return ERRNO_BADF;
  if (!mem.span(u32(a[3]), 8)) return ERRNO_FAULT;
  static constexpr int hw[] = {SEEK_SET, SEEK_CUR, SEEK_END};
  off_t pos = lseek(e->host, off_t(int64_t(a[1])), hw[whence]);
  if (pos < 0) return from_host(errno);
  STORE(u32(a[3]), uint64_t(pos));
  return ERRNO_SUCCESS;
}

Errno fd_tell(Context &ctx, const Memory &mem, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], rights::FD_TELL, e));
  off_t pos = lseek(e->host, 0, SEEK_CUR);
  if (pos < 0) return from_host(errno);
  STORE(u32(a[1]), uint64_t(pos));
  return ERRNO_SUCCESS;
}

Errno fd_write(Context &ctx, const Memory &mem, A a) {
  return transfer(ctx, mem, a, rights::FD_WRITE, a[3], POLLOUT, writev);
}

// A path argument beneath directory fd `dirfd`, which must hold `need`.
Errno parent_of(Context &ctx, const Memory &mem, uint64_t dirfd, uint64_t need, uint64_t ptr, uint64_t len, Resolved &r,
                bool new_link = false) {
  FdEntry *e;
  TRY(get(ctx, dirfd, need, e));
  std::string_view path;
  TRY(path_arg(mem, ptr, len, path));
  if (e->filetype != FILETYPE_DIRECTORY) return ERRNO_NOTDIR;
  return resolve_parent(ctx, e->host, path, r, new_link);
}

Errno path_create_directory(Context &ctx, const Memory &mem, A a) {
  Resolved r;
  TRY(parent_of(ctx, mem, a[0], rights::PATH_CREATE_DIRECTORY, a[1], a[2], r));
  return mkdirat(r.dir, r.name.c_str(), 0777) == 0 ? ERRNO_SUCCESS : from_host(errno);
}

// A path followed to its end beneath `dirfd` as an O_PATH descriptor (for the follow variants).
Errno follow_path(Context &ctx, const Memory &mem, uint64_t dirfd, uint64_t need, uint64_t ptr, uint64_t len, int &fd) {
  FdEntry *e;
  TRY(get(ctx, dirfd, need, e));
  std::string_view path;
  TRY(path_arg(mem, ptr, len, path));
  if (e->filetype != FILETYPE_DIRECTORY) return ERRNO_NOTDIR;
  return open_beneath(ctx, e->host, path, O_PATH, 0, true, fd);
}

std::string proc_fd(int fd) { return "/proc/self/fd/" + std::to_string(fd); }

Errno path_filestat_get(Context &ctx, const Memory &mem, A a) {
  struct stat st;
  if (u32(a[1]) & LOOKUPFLAGS_SYMLINK_FOLLOW) {
    int fd;
    TRY(follow_path(ctx, mem, a[0], rights::PATH_FILESTAT_GET, a[2], a[3], fd));
    int rc = fstat(fd, &st);
    int err = errno;
    ::close(fd);
    if (rc != 0) return from_host(err);
  } else {
    Resolved r;
    TRY(parent_of(ctx, mem, a[0], rights::PATH_FILESTAT_GET, a[2], a[3], r));
    if (fstatat(r.dir, r.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return from_host(errno);
  }
  return store_filestat(mem, a[4], st, -1);
}

Errno path_filestat_set_times(Context &ctx, const Memory &mem, A a) {
  timespec ts[2];
  TRY(timespecs(a[4], a[5], a[6], ts));
  if (u32(a[1]) & LOOKUPFLAGS_SYMLINK_FOLLOW) {
    int fd;
    TRY(follow_path(ctx, mem, a[0], rights::PATH_FILESTAT_SET_TIMES, a[2], a[3], fd));
    // An O_PATH descriptor cannot be futimens'ed; its /proc link names exactly the file resolved.
    int rc = utimensat(AT_FDCWD, proc_fd(fd).c_str(), ts, 0);
    int err = errno;
    ::close(fd);
    return rc == 0 ? ERRNO_SUCCESS : from_host(err);
  }
  Resolved r;
  TRY(parent_of(ctx, mem, a[0], rights::PATH_FILESTAT_SET_TIMES, a[2], a[3], r));
  return utimensat(r.dir, r.name.c_str(), ts, AT_SYMLINK_NOFOLLOW) == 0 ? ERRNO_SUCCESS : from_host(errno);
}

Errno path_link(Context &ctx, const Memory &mem, A a) {
  Resolved to;
  TRY(parent_of(ctx, mem, a[4], rights::PATH_LINK_TARGET, a[5], a[6], to, true));
  if (u32(a[1]) & LOOKUPFLAGS_SYMLINK_FOLLOW) {
    // Link what the path resolves to beneath the preopen, never a symlink's outside target.
    int fd;
    TRY(follow_path(ctx, mem, a[0], rights::PATH_LINK_SOURCE, a[2], a[3], fd));
    int rc = linkat(AT_FDCWD, proc_fd(fd).c_str(), to.dir, to.name.c_str(), AT_SYMLINK_FOLLOW);
    int err = errno;
    ::close(fd);
    return rc == 0 ? ERRNO_SUCCESS : from_host(err);
  }
  Resolved from;
  TRY(parent_of(ctx, mem, a[0], rights::PATH_LINK_SOURCE, a[2], a[3], from));
  return linkat(from.dir, from.name.c_str(), to.dir, to.name.c_str(), 0) == 0 ? ERRNO_SUCCESS : from_host(errno);
}

Errno path_open(Context &ctx, const Memory &mem, A a) {
  uint32_t oflags = u32(a[4]), fdflags = u32(a[7]);
  uint64_t base = a[5], inheriting = a[6];
  uint64_t need = rights::PATH_OPEN;
  if (oflags & OFLAGS_CREAT) need |= rights::PATH_CREATE_FILE;
  if (oflags & OFLAGS_TRUNC) need |= rights::PATH_FILESTAT_SET_SIZE;
  FdEntry *dir;
  TRY(get(ctx, a[0], need, dir));
  if (dir->filetype != FILETYPE_DIRECTORY) return ERRNO_NOTDIR;
  if (!mem.span(u32(a[8]), 4)) return ERRNO_FAULT;
  std::string_view path;
  TRY(path_arg(mem, a[2], a[3], path));
  // What the new descriptor may do: what was asked, within what the directory passes on.
  base &= dir->inheriting;
  inheriting &= dir->inheriting;
  bool write = base & (rights::FD_WRITE | rights::FD_ALLOCATE | rights::FD_FILESTAT_SET_SIZE);
  bool read = base & (rights::FD_READ | rights::FD_READDIR);
  if ((fdflags & FDFLAGS_APPEND) && !(base & rights::FD_WRITE)) return ERRNO_NOTCAPABLE;
  // O_DIRECTORY with a write access mode: EISDIR on a directory, ENOTDIR on anything else (Linux).
  bool dir_for_writing = (oflags & OFLAGS_DIRECTORY) && write;
  int flags = O_NOCTTY;
  if (oflags & OFLAGS_DIRECTORY) flags |= O_DIRECTORY | O_RDONLY;
  else flags |= write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & OFLAGS_CREAT) flags |= O_CREAT;
  if (oflags & OFLAGS_EXCL) flags |= O_EXCL;
  if (oflags & OFLAGS_TRUNC) flags |= O_TRUNC;
  if (fdflags & FDFLAGS_APPEND) flags |= O_APPEND;
  if (fdflags & FDFLAGS_DSYNC) flags |= O_DSYNC;
  if (fdflags & FDFLAGS_SYNC) flags |= O_SYNC;
  if (fdflags & FDFLAGS_RSYNC) flags |= O_RSYNC;
  if (fdflags & FDFLAGS_NONBLOCK) flags |= O_NONBLOCK;
  int fd;
  Errno err = open_beneath(ctx, dir->host, path, flags, 0666, u32(a[1]) & LOOKUPFLAGS_SYMLINK_FOLLOW, fd);
  // Opening a directory read-write fails EISDIR on Linux; a directory opened for reading is what
  // programs that pass O_RDWR-ish rights to opendir-like calls mean.
  if (err == ERRNO_ISDIR && !(oflags & (OFLAGS_CREAT | OFLAGS_TRUNC))) {
    err = open_beneath(ctx, dir->host, path, (flags & ~O_ACCMODE) | O_RDONLY | O_DIRECTORY, 0, u32(a[1]) & LOOKUPFLAGS_SYMLINK_FOLLOW, fd);
  }
  if (err != ERRNO_SUCCESS) return err;
  if (dir_for_writing) {
    ::close(fd);
    return ERRNO_ISDIR;
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return from_host(e);
  }
  FdEntry entry;
  entry.host = fd;
  entry.filetype = filetype_of(fd, st);
  entry.base = base;
  entry.inheriting = inheriting;
  entry.nonblock = fdflags & FDFLAGS_NONBLOCK;
  STORE(u32(a[8]), ctx.insert(std::move(entry)));
  return ERRNO_SUCCESS;
}

Errno path_readlink(Context &ctx, const Memory &mem, A a) {
  Resolved r;
  TRY(parent_of(ctx, mem, a[0], rights::PATH_READLINK, a[1], a[2], r));
  auto buf = mem.span(u32(a[3]), u32(a[4]));
  if (!buf || !mem.span(u32(a[5]), 4)) return ERRNO_FAULT;
  ssize_t n = readlinkat(r.dir, r.name.c_str(), reinterpret_cast<char *>(buf->data()), buf->size());
  if (n < 0) return from_host(errno);
  STORE(u32(a[5]), u32(n));
  return ERRNO_SUCCESS;
}

Errno path_remove_directory(Context &ctx, const Memory &mem, A a) {
  Resolved r;
  TRY(parent_of(ctx, mem, a[0], rights::PATH_REMOVE_DIRECTORY, a[1], a[2], r));
  if (unlinkat(r.dir, r.name.c_str(), AT_REMOVEDIR) == 0) return ERRNO_SUCCESS;
  return errno == EEXIST ? ERRNO_NOTEMPTY : from_host(errno);
}

Errno path_rename(Context &ctx, const Memory &mem, A a) {
  Resolved from, to;
  TRY(parent_of(ctx, mem, a[0], rights::PATH_RENAME_SOURCE, a[1], a[2], from));
  TRY(parent_of(ctx, mem, a[3], rights::PATH_RENAME_TARGET, a[4], a[5], to));
  return renameat(from.dir, from.name.c_str(), to.dir, to.name.c_str()) == 0 ? ERRNO_SUCCESS : from_host(errno);
}

Errno path_symlink(Context &ctx, const Memory &mem, A a) {
  std::string_view target;
  TRY(path_arg(mem, a[0], a[1], target));
  if (target.find('\0') != std::string_view::npos) return ERRNO_INVAL;
  // An absolute target could only ever point outside the sandbox.
  if (!target.empty() && target.front() == '/') return ERRNO_NOTCAPABLE;
  Resolved r;
  TRY(parent_of(ctx, mem, a[2], rights::PATH_SYMLINK, a[3], a[4], r, true));
  return symlinkat(std::string(target).c_str(), r.dir, r.name.c_str()) == 0 ? ERRNO_SUCCESS : from_host(errno);
}

Errno path_unlink_file(Context &ctx, const Memory &mem, A a) {
  Resolved r;
  TRY(parent_of(ctx, mem, a[0], rights::PATH_UNLINK_FILE, a[1], a[2], r));
  if (r.trailing_slash) return ERRNO_ISDIR;  // "x/" exists only as a directory
  return unlinkat(r.dir, r.name.c_str(), 0) == 0 ? ERRNO_SUCCESS : from_host(errno);
}

Errno poll_oneoff(Context &ctx, const Memory &mem, A a) {
  uint32_t n = u32(a[2]);
  if (n == 0) return ERRNO_INVAL;
  auto in = mem.span(u32(a[0]), uint64_t(n) * 48);
  auto out = mem.span(u32(a[1]), uint64_t(n) * 32);
  if (!in || !out || !mem.span(u32(a[3]), 4)) return ERRNO_FAULT;
  struct Sub { uint64_t userdata; uint8_t type; uint64_t deadline; int poll_index; uint16_t error; };
  std::vector<Sub> subs(n);
  std::vector<pollfd> pfds;
  timespec now_ts;
  clock_gettime(CLOCK_MONOTONIC, &now_ts);
  uint64_t now = ns(now_ts), earliest = UINT64_MAX;
  bool immediate = false;
  for (uint32_t i = 0; i < n; i++) {
    const uint8_t *s = in->data() + 48 * size_t(i);
    Sub &sub = subs[i];
    std::memcpy(&sub.userdata, s, 8);
    sub.type = s[8];
    sub.poll_index = -1;
    sub.error = ERRNO_SUCCESS;
    sub.deadline = UINT64_MAX;
    if (sub.type == EVENTTYPE_CLOCK) {
      uint32_t id;
      uint64_t timeout;
      uint16_t flags;
      std::memcpy(&id, s + 16, 4);
      std::memcpy(&timeout, s + 24, 8);
      std::memcpy(&flags, s + 40, 2);
      clockid_t clock;
      if (!clock_of(id, clock)) {
        sub.error = ERRNO_INVAL;
        immediate = true;
        continue;
      }
      uint64_t remaining = timeout;
      if (flags & SUBCLOCKFLAGS_ABSTIME) {
        timespec t;
        clock_gettime(clock, &t);
        remaining = timeout > ns(t) ? timeout - ns(t) : 0;
      }
      sub.deadline = remaining > UINT64_MAX - now ? UINT64_MAX - 1 : now + remaining;
      earliest = std::min(earliest, sub.deadline);
    } else if (sub.type == EVENTTYPE_FD_READ || sub.type == EVENTTYPE_FD_WRITE) {
      uint32_t fd;
      std::memcpy(&fd, s + 16, 4);
      FdEntry *e;
      sub.error = get(ctx, fd, rights::POLL_FD_READWRITE, e);
      if (sub.error != ERRNO_SUCCESS) {
        immediate = true;
        continue;
      }
      sub.poll_index = int(pfds.size());
      pfds.push_back({e->host, short(sub.type == EVENTTYPE_FD_READ ? POLLIN : POLLOUT), 0});
    } else {
      sub.error = ERRNO_INVAL;
      immediate = true;
    }
  }
  for (;;) {
    timespec left{0, 0};
    if (!immediate && earliest != UINT64_MAX) {
      uint64_t d = earliest > now ? earliest - now : 0;
      left = {time_t(d / 1000000000u), long(d % 1000000000u)};
    }
    bool wait_forever = !immediate && earliest == UINT64_MAX;
    int rc;
    if (pfds.empty()) {
      rc = wait_forever ? 0 : nanosleep(&left, nullptr);
    } else {
      rc = ppoll(pfds.data(), pfds.size(), wait_forever ? nullptr : &left, nullptr);
    }
    clock_gettime(CLOCK_MONOTONIC, &now_ts);
    now = ns(now_ts);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) return from_host(errno);
    bool any_fd = false;
    for (const pollfd &p : pfds) any_fd |= p.revents != 0;
    if (immediate || any_fd || earliest <= now || (pfds.empty() && earliest == UINT64_MAX)) break;
  }
  uint32_t count = 0;
  for (const Sub &sub : subs) {
    uint8_t ev[32] = {};
    uint64_t nbytes = 0;
    uint16_t rwflags = 0;
    bool ready = sub.error != ERRNO_SUCCESS;
    if (!ready && sub.type == EVENTTYPE_CLOCK) ready = sub.deadline <= now;
    if (!ready && sub.poll_index >= 0) {
      const pollfd &p = pfds[size_t(sub.poll_index)];
      ready = p.revents != 0;
      if (p.revents & POLLHUP) rwflags |= EVENTRWFLAGS_HANGUP;
      if (ready && sub.type == EVENTTYPE_FD_READ) {
        struct stat st;
        int avail = 0;
        if (fstat(p.fd, &st) == 0 && S_ISREG(st.st_mode)) {
          off_t pos = lseek(p.fd, 0, SEEK_CUR);
          nbytes = pos >= 0 && st.st_size > pos ? uint64_t(st.st_size - pos) : 0;
        } else if (ioctl(p.fd, FIONREAD, &avail) == 0) {
          nbytes = uint64_t(avail);
        }
      }
    }
    if (!ready) continue;
    std::memcpy(ev, &sub.userdata, 8);
    std::memcpy(ev + 8, &sub.error, 2);
    ev[10] = sub.type;
    std::memcpy(ev + 16, &nbytes, 8);
    std::memcpy(ev + 24, &rwflags, 2);
    std::memcpy(out->data() + 32 * size_t(count++), ev, 32);
  }
  STORE(u32(a[3]), count);
  return ERRNO_SUCCESS;
}

int32_t proc_exit(Context &ctx, const Memory &, A a) {
  ctx.exit_code = u32(a[0]);
  return EXITED;
}

// A signal to the program itself: there are no handlers in preview1, so each signal takes its
// default action. Those whose default is to be ignored (or to stop, without job control here) are
// no-ops; the rest end the program with status 128 + the witx signal number, as a shell reports it.
int32_t proc_raise(Context &ctx, const Memory &, A a) {
  uint32_t sig = u32(a[0]);
  enum { NONE = 0, CHLD = 16, CONT = 17, STOP = 18, TSTP = 19, TTIN = 20, TTOU = 21, URG = 22, WINCH = 27, LAST = 30 };
  if (sig > LAST) return ERRNO_INVAL;
  switch (sig) {
    case NONE: case CHLD: case CONT: case STOP: case TSTP: case TTIN: case TTOU: case URG: case WINCH:
      return ERRNO_SUCCESS;
    default:
      ctx.exit_code = 128 + sig;
      return EXITED;
  }
}

Errno sched_yield_(Context &, const Memory &, A) {
  sched_yield();
  return ERRNO_SUCCESS;
}

Errno random_get(Context &, const Memory &mem, A a) {
  auto buf = mem.span(u32(a[0]), u32(a[1]));
  if (!buf) return ERRNO_FAULT;
  size_t done = 0;
  while (done < buf->size()) {
    ssize_t n = getrandom(buf->data() + done, buf->size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return from_host(errno);
    }
    done += size_t(n);
  }
  return ERRNO_SUCCESS;
}

Errno sock_accept(Context &ctx, const Memory &mem, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], rights::SOCK_ACCEPT, e));
  uint32_t flags = u32(a[1]);
  if (flags & ~uint32_t(FDFLAGS_NONBLOCK)) return ERRNO_INVAL;
  if (!mem.span(u32(a[2]), 4)) return ERRNO_FAULT;
  ssize_t fd = blocking(*e, POLLIN, [&] { return ssize_t(accept4(e->host, nullptr, nullptr, SOCK_CLOEXEC | (flags ? SOCK_NONBLOCK : 0))); });
  if (fd < 0) return from_host(errno);
  FdEntry entry;
  entry.host = int(fd);
  entry.filetype = FILETYPE_SOCKET_STREAM;
  entry.base = rights::FD_READ | rights::FD_WRITE | rights::POLL_FD_READWRITE | rights::SOCK_SHUTDOWN |
               rights::FD_FDSTAT_SET_FLAGS | rights::FD_FILESTAT_GET;
  entry.nonblock = flags != 0;
  STORE(u32(a[2]), ctx.insert(std::move(entry)));
  return ERRNO_SUCCESS;
}

Errno sock_recv(Context &ctx, const Memory &mem, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], rights::FD_READ, e));
  Iovecs iov;
  TRY(iovecs(mem, a[1], a[2], iov));
  uint32_t ri = u32(a[3]);
  if (ri & ~uint32_t(RIFLAGS_RECV_PEEK | RIFLAGS_RECV_WAITALL)) return ERRNO_INVAL;
  if (!mem.span(u32(a[4]), 4) || !mem.span(u32(a[5]), 2)) return ERRNO_FAULT;
  msghdr msg{};
  msg.msg_iov = iov.data;
  msg.msg_iovlen = size_t(iov.count);
  int flags = (ri & RIFLAGS_RECV_PEEK ? MSG_PEEK : 0) | (ri & RIFLAGS_RECV_WAITALL ? MSG_WAITALL : 0);
  ssize_t n = blocking(*e, POLLIN, [&] { return recvmsg(e->host, &msg, flags); });
  if (n < 0) return from_host(errno);
  STORE(u32(a[4]), u32(n));
  STORE(u32(a[5]), uint16_t(msg.msg_flags & MSG_TRUNC ? ROFLAGS_RECV_DATA_TRUNCATED : 0));
  return ERRNO_SUCCESS;
}

Errno sock_send(Context &ctx, const Memory &mem, A a) {
  FdEntry *e;
  TRY(get(ctx, a[0], rights::FD_WRITE, e));
  Iovecs iov;
  TRY(iovecs(mem, a[1], a[2], iov));
  if (u32(a[3]) != 0) return ERRNO_INVAL;  // witx defines no siflags
  if (!mem.span(u32(a[4]), 4)) return ERRNO_FAULT;
  msghdr msg{};
  msg.msg_iov = iov.data;
  msg.msg_iovlen = size_t(iov.count);
  ssize_t n = blocking(*e, POLLOUT, [&] { return sendmsg(e->host, &msg, MSG_NOSIGNAL); });
  if (n < 0) return from_host(errno);
  STORE(u32(a[4]), u32(n));
  return ERRNO_SUCCESS;
}

Errno sock_shutdown(Context &ctx, const Memory &, A a) {
  FdEntry *e = ctx.entry(u32(a[0]));
  if (!e) return ERRNO_BADF;
  if (e->filetype != FILETYPE_SOCKET_STREAM && e->filetype != FILETYPE_SOCKET_DGRAM) return ERRNO_NOTSOCK;
  TRY(get(ctx, a[0], rights::SOCK_SHUTDOWN, e));
  uint32_t how = u32(a[1]);
  if (how == 0 || how > (SDFLAGS_RD | SDFLAGS_WR)) return ERRNO_INVAL;
  int h = how == (SDFLAGS_RD | SDFLAGS_WR) ? SHUT_RDWR : how == SDFLAGS_RD ? SHUT_RD : SHUT_WR;
  return shutdown(e->host, h) == 0 ? ERRNO_SUCCESS : from_host(errno);
}

template <auto F>
int32_t entry_point(Context &ctx, const Memory &mem, const uint64_t *args) {
  return static_cast<int32_t>(F(ctx, mem, args));
}

// witx order (wasi_snapshot_preview1.witx); a function's id is its index here.
constexpr Function table[] = {
  {"args_get", "ii", 1, entry_point<args_get>},
  {"args_sizes_get", "ii", 1, entry_point<args_sizes_get>},
  {"environ_get", "ii", 1, entry_point<environ_get>},
  {"environ_sizes_get", "ii", 1, entry_point<environ_sizes_get>},
  {"clock_res_get", "ii", 1, entry_point<clock_res_get>},
  {"clock_time_get", "iIi", 1, entry_point<clock_time_get>},
  {"fd_advise", "iIIi", 1, entry_point<fd_advise>},
  {"fd_allocate", "iII", 1, entry_point<fd_allocate>},
  {"fd_close", "i", 1, entry_point<fd_close>},
  {"fd_datasync", "i", 1, entry_point<fd_sync_with<rights::FD_DATASYNC, fdatasync>>},
  {"fd_fdstat_get", "ii", 1, entry_point<fd_fdstat_get>},
  {"fd_fdstat_set_flags", "ii", 1, entry_point<fd_fdstat_set_flags>},
  {"fd_fdstat_set_rights", "iII", 1, entry_point<fd_fdstat_set_rights>},
  {"fd_filestat_get", "ii", 1, entry_point<fd_filestat_get>},
  {"fd_filestat_set_size", "iI", 1, entry_point<fd_filestat_set_size>},
  {"fd_filestat_set_times", "iIIi", 1, entry_point<fd_filestat_set_times>},
  {"fd_pread", "iiiIi", 1, entry_point<fd_pread>},
  {"fd_prestat_get", "ii", 1, entry_point<fd_prestat_get>},
  {"fd_prestat_dir_name", "iii", 1, entry_point<fd_prestat_dir_name>},
  {"fd_pwrite", "iiiIi", 1, entry_point<fd_pwrite>},
  {"fd_read", "iiii", 1, entry_point<fd_read>},
  {"fd_readdir", "iiiIi", 1, entry_point<fd_readdir>},
  {"fd_renumber", "ii", 1, entry_point<fd_renumber>},
  {"fd_seek", "iIii", 1, entry_point<fd_seek>},
  {"fd_sync", "i", 1, entry_point<fd_sync_with<rights::FD_SYNC, fsync>>},
  {"fd_tell", "ii", 1, entry_point<fd_tell>},
  {"fd_write", "iiii", 1, entry_point<fd_write>},
  {"path_create_directory", "iii", 1, entry_point<path_create_directory>},
  {"path_filestat_get", "iiiii", 1, entry_point<path_filestat_get>},
  {"path_filestat_set_times", "iiiiIIi", 1, entry_point<path_filestat_set_times>},
  {"path_link", "iiiiiii", 1, entry_point<path_link>},
  {"path_open", "iiiiiIIii", 1, entry_point<path_open>},
  {"path_readlink", "iiiiii", 1, entry_point<path_readlink>},
  {"path_remove_directory", "iii", 1, entry_point<path_remove_directory>},
  {"path_rename", "iiiiii", 1, entry_point<path_rename>},
  {"path_symlink", "iiiii", 1, entry_point<path_symlink>},
  {"path_unlink_file", "iii", 1, entry_point<path_unlink_file>},
  {"poll_oneoff", "iiii", 1, entry_point<poll_oneoff>},
  {"proc_exit", "i", 0, proc_exit},
  {"proc_raise", "i", 1, proc_raise},
  {"sched_yield", "", 1, entry_point<sched_yield_>},
  {"random_get", "ii", 1, entry_point<random_get>},
  {"sock_accept", "iii", 1, entry_point<sock_accept>},
  {"sock_recv", "iiiiii", 1, entry_point<sock_recv>},
  {"sock_send", "iiiii", 1, entry_point<sock_send>},
  {"sock_shutdown", "ii", 1, entry_point<sock_shutdown>},
};

}  // namespace

std::span<const Function> functions() { return table; }

// ---- the context ----

std::unique_ptr<Context> Context::create(const Config &config, std::string &error) {
  std::unique_ptr<Context> ctx(new Context());
  ctx->args = config.args;
  ctx->env = config.env;
  ctx->use_openat2 = config.resolver == Resolver::automatic;
  for (int i = 0; i < 3; i++) {
    int fd;
    if (config.stdio[i] >= 0) {
      fd = fcntl(config.stdio[i], F_DUPFD_CLOEXEC, 3);
      if (fd < 0) {
        error = "cannot use host descriptor " + std::to_string(config.stdio[i]) + " for fd " + std::to_string(i) + ": " + std::strerror(errno);
        return nullptr;
      }
    } else {
      // An in-memory file: no path anywhere, so the guest cannot reach anything through it.
      fd = memfd_create(i == 0 ? "wasmo-stdin" : i == 1 ? "wasmo-stdout" : "wasmo-stderr", MFD_CLOEXEC);
      if (fd < 0) {
        error = std::string("memfd_create: ") + std::strerror(errno);
        return nullptr;
      }
      if (i == 0) {
        size_t done = 0;
        while (done < config.stdin_data.size()) {
          ssize_t n = write(fd, config.stdin_data.data() + done, config.stdin_data.size() - done);
          if (n < 0) {
            error = std::string("cannot fill stdin: ") + std::strerror(errno);
            ::close(fd);
            return nullptr;
          }
          done += size_t(n);
        }
        lseek(fd, 0, SEEK_SET);
      }
      // The guest gets its own descriptor of the file, so closing it keeps the output readable.
      ctx->memfd_[i] = fd;
      fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
      if (fd < 0) {
        error = std::string("cannot duplicate a memfd: ") + std::strerror(errno);
        return nullptr;
      }
    }
    struct stat st;
    FdEntry e;
    e.host = fd;
    e.filetype = fstat(fd, &st) == 0 ? filetype_of(fd, st) : uint8_t(FILETYPE_UNKNOWN);
    // Stream rights only: stdio may be the host's own file (a log stdout is appended to), which
    // the guest must not seek, truncate, grow or retime; an in-memory one is bounded the same way.
    // wasi-libc takes "character device without seek" as isatty, as for a terminal.
    e.base = (i == 0 ? rights::FD_READ : rights::FD_WRITE) | rights::FD_FDSTAT_SET_FLAGS | rights::FD_SYNC |
             rights::FD_DATASYNC | rights::FD_ADVISE | rights::FD_FILESTAT_GET | rights::POLL_FD_READWRITE;
    ctx->fds.emplace_back(std::move(e));
  }
  for (const Preopen &p : config.preopens) {
    int fd = open(p.host.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
      error = "cannot preopen " + p.host + ": " + std::strerror(errno);
      return nullptr;
    }
    FdEntry e;
    e.host = fd;
    e.filetype = FILETYPE_DIRECTORY;
    uint64_t r = rights::ALL & ~(p.readonly ? rights::MUTATING : 0);
    e.base = r & ~(rights::FD_READ | rights::FD_WRITE | rights::FD_SEEK | rights::FD_TELL);
    e.inheriting = r;
    e.preopen = p.guest.empty() ? std::string(".") : p.guest;
    ctx->fds.emplace_back(std::move(e));
  }
  return ctx;
}

Context::~Context() {
  for (uint32_t fd = 0; fd < fds.size(); fd++) close(fd);
  for (int m : memfd_) {
    if (m >= 0) ::close(m);
  }
}

std::string Context::output(uint32_t fd) const {
  if (fd < 1 || fd > 2 || memfd_[fd] < 0) return {};
  std::string out;
  char buf[65536];
  for (off_t at = 0;;) {
    ssize_t n = pread(memfd_[fd], buf, sizeof buf, at);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, size_t(n));
    at += n;
  }
}

FdEntry *Context::entry(uint32_t fd) {
  if (fd >= fds.size() || !fds[fd]) return nullptr;
  return &*fds[fd];
}

uint32_t Context::insert(FdEntry e) {
  for (uint32_t i = 0; i < fds.size(); i++) {
    if (!fds[i]) {
      fds[i] = std::move(e);
      return i;
    }
  }
  fds.emplace_back(std::move(e));
  return uint32_t(fds.size() - 1);
}

void Context::close(uint32_t fd) {
  FdEntry *e = entry(fd);
  if (!e) return;
  if (e->dir) closedir(e->dir);
  ::close(e->host);
  fds[fd].reset();
}

}  // namespace wasmo::wasi
