// bench/wasi-writes: N small writes straight to stdout (no stdio buffering), so the time is the
// runtime's fd_write path. Reports on stderr the nanoseconds the loop took, by the guest's clock.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 100000;
  static const char line[] = "0123456789abcde\n";
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < n; i++) {
    if (write(1, line, sizeof line - 1) != sizeof line - 1) return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  long long ns = (t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec);
  fprintf(stderr, "writes=%d ns=%lld\n", n, ns);
  return 0;
}
