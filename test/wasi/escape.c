// Every way out of the sandbox the tests know, each printed with the errno it got: through libc
// (as programs do) and through raw WASI calls (for what libc refuses before asking the host).
// Preopens: fd 3 is "." (read-write), fd 4 is "ro" (read-only); see test/wasi.test.ts for the tree.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static const char *name(int e) {
  switch (e) {
    case 0: return "ok";
    case ENOTCAPABLE: return "ENOTCAPABLE";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case ELOOP: return "ELOOP";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EROFS: return "EROFS";
    case ENOTDIR: return "ENOTDIR";
    case EXDEV: return "EXDEV";
    case EINVAL: return "EINVAL";
    default: return strerror(e);
  }
}

static void report(const char *what, int ok) { printf("%s: %s\n", what, name(ok ? 0 : errno)); }
static void raw(const char *what, __wasi_errno_t e) { printf("%s: %s\n", what, name(e)); }

static void try_open(const char *path) {
  char what[128];
  snprintf(what, sizeof what, "open %s", path);
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    char buf[64] = {0};
    read(fd, buf, sizeof buf - 1);
    printf("%s: ok, read %s\n", what, buf);
    close(fd);
  } else {
    report(what, 0);
  }
}

static __wasi_errno_t raw_open(__wasi_fd_t dir, const char *path, __wasi_lookupflags_t follow, __wasi_fd_t *fd) {
  return __wasi_path_open(dir, follow, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, fd);
}

static int race(int rounds) {
  int inside = 0, refused = 0, outside = 0;
  for (int i = 0; i < rounds; i++) {
    int fd = open("race/secret.txt", O_RDONLY);
    if (fd < 0) { refused++; continue; }
    char buf[16] = {0};
    read(fd, buf, sizeof buf - 1);
    close(fd);
    if (!strncmp(buf, "SECRET", 6)) outside++;
    else inside++;
  }
  printf("race: %d rounds, outside read %d times\n", rounds, outside);
  fprintf(stderr, "race: inside %d refused %d outside %d\n", inside, refused, outside);
  return outside;
}

int main(int argc, char **argv) {
  if (argc > 2 && !strcmp(argv[1], "race")) return race(atoi(argv[2])) == 0 ? 0 : 1;
  __wasi_fd_t fd;
  __wasi_size_t n;
  struct stat st;
  try_open("inside.txt");
  try_open("ok_link");
  try_open("../secret.txt");
  try_open("sub/../../secret.txt");
  try_open("out_link/secret.txt");
  try_open("abs_link");
  try_open("dir_link/secret.txt");
  raw("path_open /etc/passwd", raw_open(3, "/etc/passwd", __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, &fd));
  raw("path_open abs_link nofollow", raw_open(3, "abs_link", 0, &fd));
  report("opendir ..", opendir("..") != NULL);
  report("opendir dir_link", opendir("dir_link") != NULL);
  report("stat ../secret.txt", stat("../secret.txt", &st) == 0);
  report("lstat abs_link", lstat("abs_link", &st) == 0);
  report("stat abs_link", stat("abs_link", &st) == 0);
  report("readlink out_link", readlink("out_link", (char[64]){0}, 63) >= 0);
  raw("path_link follow abs_link", __wasi_path_link(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "abs_link", 3, "stolen"));
  raw("path_symlink /etc/passwd", __wasi_path_symlink("/etc/passwd", 3, "evil"));
  report("create through dangling_out", open("dangling_out", O_WRONLY | O_CREAT, 0644) >= 0);
  report("rename inside.txt out_link/moved", rename("inside.txt", "out_link/moved") == 0);
  report("mkdir ../made", mkdir("../made", 0755) == 0);
  report("rename inside.txt ../moved", rename("inside.txt", "../moved") == 0);
  report("unlink ../secret.txt", unlink("../secret.txt") == 0);
  // The read-only preopen.
  try_open("ro/ro.txt");
  report("create ro/new.txt", open("ro/new.txt", O_WRONLY | O_CREAT, 0644) >= 0);
  int w = open("ro/ro.txt", O_WRONLY);
  report("open ro/ro.txt for writing", w >= 0);
  // libc reports the WASI errno ENOTCAPABLE of a write as EBADF, as POSIX wants; the raw call shows it.
  if (w >= 0) report("write ro/ro.txt", write(w, "x", 1) == 1);
  if (w >= 0) raw("fd_write ro/ro.txt", __wasi_fd_write(w, (__wasi_ciovec_t[]){{(const uint8_t *)"x", 1}}, 1, &n));
  report("truncate ro/ro.txt", open("ro/ro.txt", O_WRONLY | O_TRUNC) >= 0);
  report("unlink ro/ro.txt", unlink("ro/ro.txt") == 0);
  report("rename ro/ro.txt ro/x", rename("ro/ro.txt", "ro/x") == 0);
  report("rename ro/ro.txt out.txt", rename("ro/ro.txt", "out.txt") == 0);
  report("mkdir ro/d", mkdir("ro/d", 0755) == 0);
  report("symlink ro/l", symlink("ro.txt", "ro/l") == 0);
  // Bad descriptors and pointers.
  report("read fd 99", read(99, (char[4]){0}, 4) >= 0);
  __wasi_ciovec_t bad = {(const uint8_t *)0xfffffff0, 64};
  raw("fd_write from outside memory", __wasi_fd_write(1, &bad, 1, &n));
  return 0;
}
