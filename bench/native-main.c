/* The native driver: `kernel N REPS` calls run(N) REPS times and prints the checksum and each
 * call's time in ms as JSON, the same protocol as bench/worker.ts. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

unsigned run(int n);

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s N REPS\n", argv[0]);
    return 2;
  }
  int n = atoi(argv[1]), reps = atoi(argv[2]);
  unsigned checksum = 0;
  printf("{\"times\":[");
  for (int r = 0; r < reps; r++) {
    double t0 = now_ms();
    unsigned c = run(n);
    double t = now_ms() - t0;
    if (r > 0 && c != checksum) {
      fprintf(stderr, "checksum changed between runs\n");
      return 1;
    }
    checksum = c;
    printf("%s%.4f", r ? "," : "", t);
  }
  printf("],\"checksum\":%u}\n", checksum);
  return 0;
}
