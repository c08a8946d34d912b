/* Dense matrix multiply, C = A·B on n×n doubles (PolyBench gemm, ikj order). */
#include "common.h"

#define MAXN 512
static double A[MAXN * MAXN], B[MAXN * MAXN], C[MAXN * MAXN];

u32 run(int n) {
  if (n > MAXN) n = MAXN;
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      A[i * n + j] = (double)((i * j + 1) % n) / n;
      B[i * n + j] = (double)((i + 2 * j) % n) / n;
    }
  /* Row i of C starts as A[i][0]·B[0] rather than zero: a zeroing loop would become a memset call,
   * which a freestanding wasm module does not have. */
  for (int i = 0; i < n; i++) {
    for (int j = 0; j < n; j++) C[i * n + j] = A[i * n] * B[j];
    for (int k = 1; k < n; k++) {
      double a = A[i * n + k];
      for (int j = 0; j < n; j++) C[i * n + j] += a * B[k * n + j];
    }
  }
  u32 h = CHECKSUM_INIT;
  for (int i = 0; i < n * n; i++) h = mix64(h, f64_bits(C[i]));
  return h;
}
