/* Five-point Jacobi stencil on an n×n grid of doubles, 20 sweeps (PolyBench jacobi-2d). */
#include "common.h"

#define MAXN 1024
#define STEPS 20
static double A[MAXN * MAXN], B[MAXN * MAXN];

u32 run(int n) {
  if (n > MAXN) n = MAXN;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      A[i * n + j] = ((double)i * (j + 2) + 2) / n;
      B[i * n + j] = ((double)i * (j + 3) + 3) / n;
    }
  for (int t = 0; t < STEPS; t++) {
    for (int i = 1; i < n - 1; i++)
      for (int j = 1; j < n - 1; j++)
        B[i * n + j] = 0.2 * (A[i * n + j] + A[i * n + j - 1] + A[i * n + j + 1] + A[(i + 1) * n + j] + A[(i - 1) * n + j]);
    for (int i = 1; i < n - 1; i++)
      for (int j = 1; j < n - 1; j++)
        A[i * n + j] = 0.2 * (B[i * n + j] + B[i * n + j - 1] + B[i * n + j + 1] + B[(i + 1) * n + j] + B[(i - 1) * n + j]);
  }
  u32 h = CHECKSUM_INIT;
  for (int i = 0; i < n * n; i++) h = mix64(h, f64_bits(A[i]));
  return h;
}
