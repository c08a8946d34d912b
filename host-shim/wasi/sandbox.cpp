// The sandbox: every guest path is resolved beneath a directory descriptor derived from a preopen,
// and nothing outside can be named. Two mechanisms, same answers:
// - openat2(2) with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS: the kernel refuses "..", absolute
//   paths and symlinks that leave the start directory, atomically (no race with renames; it
//   answers EAGAIN when one happened mid-lookup, and we retry).
// - where openat2 is missing (ENOSYS, kernels before 5.6): a walk one component at a time with
//   O_NOFOLLOW, keeping the directories walked on a stack so ".." pops instead of opening "..",
//   and expanding symlinks by hand (absolute targets refused, at most 40 expansions). A component
//   swapped for a symlink between two steps fails O_NOFOLLOW instead of being followed.
#include <cerrno>
#include <cstring>
#include <deque>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi/wasi.h"

namespace wasmo::wasi {

Resolved::~Resolved() {
  if (dir >= 0) ::close(dir);
}

namespace {

constexpr int MAX_SYMLINKS = 40;  // Linux's own bound (MAXSYMLINKS)

// Guest paths must not hold NUL: the host would see a shorter path than the guest gave.
bool has_nul(std::string_view path) { return path.find('\0') != std::string_view::npos; }

long openat2_raw(int dir, const char *path, int flags, unsigned mode) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  // O_TMPFILE includes O_DIRECTORY's bit: test it whole, or every O_DIRECTORY open gets a mode (EINVAL).
  how.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  for (int attempt = 0; attempt < 64; attempt++) {
    long fd = syscall(SYS_openat2, dir, path, &how, sizeof how);
    if (fd >= 0 || errno != EAGAIN) return fd;  // EAGAIN: a rename raced the lookup; retry
  }
  return -1;
}

struct FdStack {
  std::vector<int> fds;
  ~FdStack() {
    for (int fd : fds) ::close(fd);
  }
  int top() const { return fds.back(); }
  int release_top() {
    int fd = fds.back();
    fds.pop_back();
    return fd;
  }
};

void split_into(std::string_view path, std::deque<std::string> &out, bool front) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (!c.empty() && c != ".") parts.emplace_back(c);
    i = j + 1;
  }
  if (front) out.insert(out.begin(), parts.begin(), parts.end());
  else out.insert(out.end(), parts.begin(), parts.end());
}

// The component walk: the directory holding the final component (owned, in `dir`) and that
// component's name ("." when the path names the start directory or one walked to).
Errno walk(int start, std::string_view path, bool follow_last, int &dir, std::string &name) {
  if (!path.empty() && path.front() == '/') return ERRNO_NOTCAPABLE;
  FdStack stack;
  int first = fcntl(start, F_DUPFD_CLOEXEC, 0);
  if (first < 0) return from_host(errno);
  stack.fds.push_back(first);
  std::deque<std::string> comps;
  split_into(path, comps, false);
  int links = 0;
  char target[4096];
  auto expand = [&](const std::string &link) -> Errno {
    ssize_t n = readlinkat(stack.top(), link.c_str(), target, sizeof target);
    if (n < 0) return from_host(errno);
    if (static_cast<size_t>(n) == sizeof target) return ERRNO_NAMETOOLONG;
    if (++links > MAX_SYMLINKS) return ERRNO_LOOP;
    std::string_view t(target, static_cast<size_t>(n));
    if (t.empty()) return ERRNO_NOENT;
    if (t.front() == '/') return ERRNO_NOTCAPABLE;
    split_into(t, comps, true);
    return ERRNO_SUCCESS;
  };
  while (!comps.empty()) {
    std::string c = std::move(comps.front());
    comps.pop_front();
    if (c == "..") {
      if (stack.fds.size() == 1) return ERRNO_NOTCAPABLE;
      ::close(stack.release_top());
      continue;
    }
    struct stat st;
    bool is_link = fstatat(stack.top(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
    if (comps.empty() && !(is_link && follow_last)) {
      name = std::move(c);
      dir = stack.release_top();
      return ERRNO_SUCCESS;
    }
    if (is_link) {
      if (Errno e = expand(c); e != ERRNO_SUCCESS) return e;
      continue;
    }
    int fd = openat(stack.top(), c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return from_host(errno);  // a symlink swapped in since fstatat: ELOOP/ENOTDIR, refused
    stack.fds.push_back(fd);
  }
  name.assign(1, '.');  // (assign: g++ 12 misreads `= "."` here as an overlapping copy)
  dir = stack.release_top();
  return ERRNO_SUCCESS;
}

}  // namespace

Errno open_beneath(Context &ctx, int start, std::string_view path, int flags, unsigned mode, bool follow, int &out) {
  if (has_nul(path)) return ERRNO_INVAL;
  if (path.empty()) return ERRNO_NOENT;
  if (path.front() == '/') return ERRNO_NOTCAPABLE;
  flags |= O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
  std::string p(path);
  if (ctx.use_openat2) {
    long fd = openat2_raw(start, p.c_str(), flags, mode);
    if (fd >= 0) {
      out = static_cast<int>(fd);
      return ERRNO_SUCCESS;
    }
    if (errno == EXDEV) return ERRNO_NOTCAPABLE;  // the path would leave the start directory
    if (errno != ENOSYS) return from_host(errno);
    ctx.use_openat2 = false;
  }
  Resolved r;
  if (Errno e = walk(start, p, follow, r.dir, r.name); e != ERRNO_SUCCESS) return e;
  int fd = openat(r.dir, r.name.c_str(), flags | O_NOFOLLOW, mode);
  if (fd < 0) return from_host(errno);
  // O_PATH | O_NOFOLLOW opens a symlink itself instead of failing: one swapped in after the walk
  // looked must not stand in for the file the guest asked to follow to.
  struct stat st;
  if (follow && (flags & O_PATH) && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
    ::close(fd);
    return ERRNO_LOOP;
  }
  out = fd;
  return ERRNO_SUCCESS;
}

Errno resolve_parent(Context &ctx, int start, std::string_view path, Resolved &out, bool new_link) {
  if (has_nul(path)) return ERRNO_INVAL;
  if (path.empty()) return ERRNO_NOENT;
  if (path.front() == '/') return ERRNO_NOTCAPABLE;
  size_t end = path.find_last_not_of('/');
  out.trailing_slash = end + 1 < path.size();
  path = path.substr(0, end + 1);
  size_t slash = path.rfind('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  std::string_view parent = slash == std::string_view::npos ? std::string_view(".") : path.substr(0, slash + 1);
  if (name == "." || name == "..") {
    // The path names a directory itself: operate on it as "." inside it, never on its "..".
    parent = path;
    name = ".";
  }
  if (Errno e = open_beneath(ctx, start, parent, O_PATH | O_DIRECTORY, 0, true, out.dir); e != ERRNO_SUCCESS) return e;
  out.name = name;
  if (out.trailing_slash) {
    // "x/" names a directory; a file or a symlink there is ENOTDIR (symlinks are not followed).
    // A new link named "x/" is refused as Linux does: EEXIST when x exists (as anything), else ENOENT.
    struct stat st;
    bool exists = fstatat(out.dir, out.name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (new_link) return exists ? ERRNO_EXIST : ERRNO_NOENT;
    if (exists && !S_ISDIR(st.st_mode)) return ERRNO_NOTDIR;
  }
  return ERRNO_SUCCESS;
}

Errno from_host(int err) {
  switch (err) {
    case 0: return ERRNO_SUCCESS;
    case E2BIG: return ERRNO_2BIG;
    case EACCES: return ERRNO_ACCES;
    case EADDRINUSE: return ERRNO_ADDRINUSE;
    case EADDRNOTAVAIL: return ERRNO_ADDRNOTAVAIL;
    case EAFNOSUPPORT: return ERRNO_AFNOSUPPORT;
    case EAGAIN: return ERRNO_AGAIN;
    case EALREADY: return ERRNO_ALREADY;
    case EBADF: return ERRNO_BADF;
    case EBADMSG: return ERRNO_BADMSG;
    case EBUSY: return ERRNO_BUSY;
    case ECANCELED: return ERRNO_CANCELED;
    case ECHILD: return ERRNO_CHILD;
    case ECONNABORTED: return ERRNO_CONNABORTED;
    case ECONNREFUSED: return ERRNO_CONNREFUSED;
    case ECONNRESET: return ERRNO_CONNRESET;
    case EDEADLK: return ERRNO_DEADLK;
    case EDESTADDRREQ: return ERRNO_DESTADDRREQ;
    case EDOM: return ERRNO_DOM;
    case EDQUOT: return ERRNO_DQUOT;
    case EEXIST: return ERRNO_EXIST;
    case EFAULT: return ERRNO_FAULT;
    case EFBIG: return ERRNO_FBIG;
    case EHOSTUNREACH: return ERRNO_HOSTUNREACH;
    case EIDRM: return ERRNO_IDRM;
    case EILSEQ: return ERRNO_ILSEQ;
    case EINPROGRESS: return ERRNO_INPROGRESS;
    case EINTR: return ERRNO_INTR;
    case EINVAL: return ERRNO_INVAL;
    case EIO: return ERRNO_IO;
    case EISCONN: return ERRNO_ISCONN;
    case EISDIR: return ERRNO_ISDIR;
    case ELOOP: return ERRNO_LOOP;
    case EMFILE: return ERRNO_MFILE;
    case EMLINK: return ERRNO_MLINK;
    case EMSGSIZE: return ERRNO_MSGSIZE;
    case EMULTIHOP: return ERRNO_MULTIHOP;
    case ENAMETOOLONG: return ERRNO_NAMETOOLONG;
    case ENETDOWN: return ERRNO_NETDOWN;
    case ENETRESET: return ERRNO_NETRESET;
    case ENETUNREACH: return ERRNO_NETUNREACH;
    case ENFILE: return ERRNO_NFILE;
    case ENOBUFS: return ERRNO_NOBUFS;
    case ENODEV: return ERRNO_NODEV;
    case ENOENT: return ERRNO_NOENT;
    case ENOEXEC: return ERRNO_NOEXEC;
    case ENOLCK: return ERRNO_NOLCK;
    case ENOLINK: return ERRNO_NOLINK;
    case ENOMEM: return ERRNO_NOMEM;
    case ENOMSG: return ERRNO_NOMSG;
    case ENOPROTOOPT: return ERRNO_NOPROTOOPT;
    case ENOSPC: return ERRNO_NOSPC;
    case ENOSYS: return ERRNO_NOSYS;
    case ENOTCONN: return ERRNO_NOTCONN;
    case ENOTDIR: return ERRNO_NOTDIR;
    case ENOTEMPTY: return ERRNO_NOTEMPTY;
    case ENOTRECOVERABLE: return ERRNO_NOTRECOVERABLE;
    case ENOTSOCK: return ERRNO_NOTSOCK;
    case EOPNOTSUPP: return ERRNO_NOTSUP;  // == ENOTSUP on Linux
    case ENOTTY: return ERRNO_NOTTY;
    case ENXIO: return ERRNO_NXIO;
    case EOVERFLOW: return ERRNO_OVERFLOW;
    case EOWNERDEAD: return ERRNO_OWNERDEAD;
    case EPERM: return ERRNO_PERM;
    case EPIPE: return ERRNO_PIPE;
    case EPROTO: return ERRNO_PROTO;
    case EPROTONOSUPPORT: return ERRNO_PROTONOSUPPORT;
    case EPROTOTYPE: return ERRNO_PROTOTYPE;
    case ERANGE: return ERRNO_RANGE;
    case EROFS: return ERRNO_ROFS;
    case ESPIPE: return ERRNO_SPIPE;
    case ESRCH: return ERRNO_SRCH;
    case ESTALE: return ERRNO_STALE;
    case ETIMEDOUT: return ERRNO_TIMEDOUT;
    case ETXTBSY: return ERRNO_TXTBSY;
    case EXDEV: return ERRNO_XDEV;
    default: return ERRNO_IO;
  }
}

}  // namespace wasmo::wasi
