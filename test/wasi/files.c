// File system work inside the preopened directory ".": create, write, read, seek, tell, truncate,
// rename, unlink, mkdir, rmdir, stat, symlinks inside, and a sorted directory listing.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(x) do { if (!(x)) { printf("FAILED %s:%d %s: %s\n", __FILE__, __LINE__, #x, strerror(errno)); return 1; } } while (0)

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) { printf("opendir %s: %s\n", dir, strerror(errno)); return; }
  char *names[64];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 64) {
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp);
  printf("%s:", dir);
  for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
  printf("\n");
}

int main(void) {
  FILE *f = fopen("notes.txt", "w");
  CHECK(f);
  for (int i = 0; i < 100; i++) fprintf(f, "line %d\n", i);
  CHECK(fclose(f) == 0);

  int fd = open("notes.txt", O_RDWR);
  CHECK(fd >= 0);
  char buf[32] = {0};
  CHECK(lseek(fd, 70, SEEK_SET) == 70);
  CHECK(read(fd, buf, 13) == 13);
  printf("at 70: %.13s|\n", buf);
  printf("tell: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
  CHECK(lseek(fd, -7, SEEK_END) >= 0);
  CHECK(write(fd, "LAST!!\n", 7) == 7);
  CHECK(pwrite(fd, "LINE", 4, 0) == 4);
  CHECK(pread(fd, buf, 6, 0) == 6);
  printf("pread: %.6s|\n", buf);
  struct stat st;
  CHECK(fstat(fd, &st) == 0);
  printf("size: %lld regular: %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
  CHECK(ftruncate(fd, 20) == 0);
  CHECK(fstat(fd, &st) == 0);
  printf("truncated: %lld\n", (long long)st.st_size);
  CHECK(close(fd) == 0);

  CHECK(mkdir("sub", 0755) == 0);
  CHECK(mkdir("sub", 0755) == -1 && errno == EEXIST);
  CHECK(rename("notes.txt", "sub/moved.txt") == 0);
  CHECK(access("notes.txt", F_OK) == -1 && errno == ENOENT);
  CHECK(stat("sub/moved.txt", &st) == 0 && st.st_size == 20);
  CHECK(symlink("moved.txt", "sub/link") == 0);
  char target[64] = {0};
  CHECK(readlink("sub/link", target, sizeof target - 1) == 9);
  printf("readlink: %s\n", target);
  f = fopen("sub/link", "r");
  CHECK(f);
  CHECK(fgets(buf, sizeof buf, f));
  fclose(f);
  printf("through link: %s", buf);
  CHECK(link("sub/moved.txt", "hard.txt") == 0);
  CHECK(stat("hard.txt", &st) == 0 && st.st_nlink == 2);
  list(".");
  list("sub");
  CHECK(rmdir("sub") == -1 && errno == ENOTEMPTY);
  CHECK(unlink("sub/link") == 0);
  CHECK(unlink("sub/moved.txt") == 0);
  CHECK(rmdir("sub") == 0);
  CHECK(unlink("hard.txt") == 0);
  CHECK(unlink("missing") == -1 && errno == ENOENT);
  list(".");
  printf("done\n");
  return 0;
}
