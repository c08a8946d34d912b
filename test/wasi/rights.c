// Rights of stdio and the remaining errno cases, with raw WASI calls (each prints its errno):
// stdio is a stream (no seek, truncate, allocate or set-times), sock_shutdown on a non-socket,
// seeking a directory, O_DIRECTORY with write rights, link/symlink targets with a trailing slash.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static void show(const char *what, __wasi_errno_t e) { printf("%s: %d\n", what, e); }

int main(void) {
  __wasi_fdstat_t st;
  for (int fd = 0; fd < 3; fd++) {
    if (__wasi_fd_fdstat_get(fd, &st) != 0) return 1;
    printf("fd %d: read %d write %d seek %d tell %d set_size %d allocate %d set_times %d\n", fd,
           !!(st.fs_rights_base & __WASI_RIGHTS_FD_READ), !!(st.fs_rights_base & __WASI_RIGHTS_FD_WRITE),
           !!(st.fs_rights_base & __WASI_RIGHTS_FD_SEEK), !!(st.fs_rights_base & __WASI_RIGHTS_FD_TELL),
           !!(st.fs_rights_base & __WASI_RIGHTS_FD_FILESTAT_SET_SIZE), !!(st.fs_rights_base & __WASI_RIGHTS_FD_ALLOCATE),
           !!(st.fs_rights_base & __WASI_RIGHTS_FD_FILESTAT_SET_TIMES));
  }
  fflush(stdout);
  __wasi_filesize_t pos;
  show("seek stdout", __wasi_fd_seek(1, 0, __WASI_WHENCE_SET, &pos));
  show("truncate stdout", __wasi_fd_filestat_set_size(1, 0));
  show("allocate stdout 1 TiB", __wasi_fd_allocate(1, 0, 1ull << 40));
  show("set times stdout", __wasi_fd_filestat_set_times(1, 0, 0, __WASI_FSTFLAGS_MTIM_NOW));
  show("shutdown stdout", __wasi_sock_shutdown(1, __WASI_SDFLAGS_WR));

  // The preopen is fd 3.
  __wasi_fd_t f, d;
  __wasi_rights_t all = ~(__wasi_rights_t)0;
  show("open f.txt", __wasi_path_open(3, 0, "f.txt", __WASI_OFLAGS_CREAT, all, all, 0, &f));
  show("shutdown a file", __wasi_sock_shutdown(f, __WASI_SDFLAGS_RD | __WASI_SDFLAGS_WR));
  show("mkdir d", __wasi_path_create_directory(3, "d"));
  show("open d", __wasi_path_open(3, 0, "d", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR | __WASI_RIGHTS_FD_SEEK, 0, 0, &d));
  show("seek a directory", __wasi_fd_seek(d, 0, __WASI_WHENCE_SET, &pos));
  show("seek the preopen", __wasi_fd_seek(3, 0, __WASI_WHENCE_CUR, &pos));
  __wasi_fd_t x;
  show("open d O_DIRECTORY for writing", __wasi_path_open(3, 0, "d", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_WRITE, 0, 0, &x));
  show("open f.txt O_DIRECTORY for writing", __wasi_path_open(3, 0, "f.txt", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_WRITE, 0, 0, &x));
  show("open f.txt O_DIRECTORY", __wasi_path_open(3, 0, "f.txt", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READ, 0, 0, &x));
  show("link f.txt n/", __wasi_path_link(3, 0, "f.txt", 3, "n/"));
  show("link f.txt d/", __wasi_path_link(3, 0, "f.txt", 3, "d/"));
  show("link f.txt f.txt/", __wasi_path_link(3, 0, "f.txt", 3, "f.txt/"));
  show("symlink f.txt n/", __wasi_path_symlink("f.txt", 3, "n/"));
  show("symlink f.txt d/", __wasi_path_symlink("f.txt", 3, "d/"));
  show("link f.txt n", __wasi_path_link(3, 0, "f.txt", 3, "n"));
  return 0;
}
