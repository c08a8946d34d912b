// Clocks, sleep and random bytes: prints only host-independent facts.
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(void) {
  long long wall = ns(CLOCK_REALTIME);
  printf("realtime after 2020: %d\n", wall > 1577836800LL * 1000000000LL);
  struct timespec res;
  printf("monotonic res ok: %d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec > 0);
  long long t0 = ns(CLOCK_MONOTONIC);
  struct timespec d = {0, 30 * 1000000};
  nanosleep(&d, NULL);
  long long t1 = ns(CLOCK_MONOTONIC);
  printf("nanosleep 30ms slept >= 30ms: %d\n", t1 - t0 >= 30000000LL);
  usleep(20000);
  long long t2 = ns(CLOCK_MONOTONIC);
  printf("usleep 20ms slept >= 20ms: %d\n", t2 - t1 >= 20000000LL);
  poll(NULL, 0, 10);
  printf("poll timeout 10ms waited >= 10ms: %d\n", ns(CLOCK_MONOTONIC) - t2 >= 10000000LL);
  printf("cputime ok: %d\n", ns(CLOCK_PROCESS_CPUTIME_ID) > 0);
  unsigned char a[32], b[32], zero[32] = {0};
  getentropy(a, sizeof a);
  getentropy(b, sizeof b);
  printf("random differs: %d nonzero: %d\n", memcmp(a, b, sizeof a) != 0, memcmp(a, zero, sizeof a) != 0);
  return 0;
}
