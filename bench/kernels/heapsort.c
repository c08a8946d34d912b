/* Heapsort of n pseudo-random 32-bit keys: data-dependent branches and loads. */
#include "common.h"

#define MAXN (1 << 20)
static u32 a[MAXN];

static void sift_down(u32 *v, int root, int end) {
  while (2 * root + 1 < end) {
    int child = 2 * root + 1;
    if (child + 1 < end && v[child] < v[child + 1]) child++;
    if (v[root] >= v[child]) return;
    u32 t = v[root];
    v[root] = v[child];
    v[child] = t;
    root = child;
  }
}

u32 run(int n) {
  if (n > MAXN) n = MAXN;
  u32 seed = 2463534242u;
  for (int i = 0; i < n; i++) a[i] = xorshift32(&seed);
  for (int i = n / 2 - 1; i >= 0; i--) sift_down(a, i, n);
  for (int end = n - 1; end > 0; end--) {
    u32 t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift_down(a, 0, end);
  }
  u32 h = CHECKSUM_INIT;
  for (int i = 0; i < n; i++) h = mix32(h, a[i]);
  return h;
}
