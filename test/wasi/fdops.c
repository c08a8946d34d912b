// Less common descriptor work: dup2 (fd_renumber), fcntl flags (fd_fdstat_set_flags), times
// (fd/path_filestat_set_times), fallocate, fsync, fdatasync, advise, a directory listing that needs
// many fd_readdir calls (cookies), and poll on descriptors.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#ifdef __wasi__
#include <wasi/api.h>
// wasi-libc has no dup2: fd_renumber is what it would be.
static int dup2(int from, int to) { return __wasi_fd_renumber(from, to) == 0 ? to : -1; }
#endif

#define CHECK(x) do { if (!(x)) { printf("FAILED %s:%d %s: %s\n", __FILE__, __LINE__, #x, strerror(errno)); return 1; } } while (0)

int main(void) {
  int fd = open("a.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(fd >= 0);
  CHECK(write(fd, "one\n", 4) == 4);
  CHECK(fcntl(fd, F_SETFL, O_APPEND) == 0);
  CHECK((fcntl(fd, F_GETFL) & O_APPEND) != 0);
  CHECK(lseek(fd, 0, SEEK_SET) == 0);
  CHECK(write(fd, "two\n", 4) == 4);  // appended, not at 0
  CHECK(fsync(fd) == 0);
  CHECK(fdatasync(fd) == 0);
  CHECK(posix_fallocate(fd, 0, 4096) == 0);
  CHECK(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL) == 0);
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  printf("after fallocate: %lld\n", (long long)st.st_size);
  CHECK(ftruncate(fd, 8) == 0);
  int g = open("b.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  CHECK(g >= 0);
  CHECK(dup2(fd, g) == g);  // g now writes to a.txt
  CHECK(write(g, "three\n", 6) == 6);
  CHECK(close(g) == 0);
#ifdef __wasi__
  CHECK(write(fd, "x", 1) == -1 && errno == EBADF);  // renumbered away (dup2 would keep it)
#else
  close(fd);
#endif
  char buf[64] = {0};
  int r = open("a.txt", O_RDONLY);
  CHECK(read(r, buf, sizeof buf - 1) == 14);
  printf("a.txt: %s", buf);
  close(r);

  struct timespec times[2] = {{1000000000, 0}, {1234567890, 500}};
  CHECK(utimensat(AT_FDCWD, "a.txt", times, 0) == 0);
  CHECK(stat("a.txt", &st) == 0);
  printf("mtime: %lld.%09ld atime: %lld\n", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, (long long)st.st_atim.tv_sec);

  CHECK(mkdir("many", 0755) == 0);
  for (int i = 0; i < 300; i++) {
    char name[64];
    snprintf(name, sizeof name, "many/file-with-a-long-name-to-fill-buffers-%03d", i);
    int f = open(name, O_WRONLY | O_CREAT, 0644);
    CHECK(f >= 0);
    close(f);
  }
  DIR *d = opendir("many");
  CHECK(d);
  int n = 0, sum = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    int k;
    if (sscanf(e->d_name, "file-with-a-long-name-to-fill-buffers-%d", &k) == 1) { n++; sum += k; }
  }
  closedir(d);
  printf("listed %d files, sum %d\n", n, sum);

  struct pollfd p[2] = {{0, POLLIN, 0}, {1, POLLOUT, 0}};
  int ready = poll(p, 2, 1000);
  printf("poll: %d ready, stdin readable %d, stdout writable %d\n", ready, (p[0].revents & POLLIN) != 0, (p[1].revents & POLLOUT) != 0);
  return 0;
}
