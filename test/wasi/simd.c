// Loops clang vectorizes with -msimd128 (f32x4 arithmetic and min, i32x4 shifts and compares, u8
// averages, f64x2 floor and sqrt, i16x8 multiply and shift): the same output on every engine and natively.
#include <stdio.h>
#include <stdint.h>
#include <math.h>
#define N 4096
float a[N], b[N], c[N]; int32_t ia[N], ib[N]; uint8_t u8[N]; double d[N]; int16_t s16[N];
int main(void) {
  uint32_t x = 12345;
  for (int i = 0; i < N; i++) { x = x * 1103515245u + 12345u; a[i] = (float)(x % 1000) / 7.0f - 50; b[i] = (float)((x >> 8) % 777) / 3.0f; ia[i] = (int32_t)x; ib[i] = (int32_t)(x >> 3); u8[i] = x >> 24; d[i] = (double)(int32_t)x / 1e5; s16[i] = (int16_t)x; }
  for (int r = 0; r < 3; r++) {
    for (int i = 0; i < N; i++) c[i] = fminf(a[i] * b[i] + c[i], 1e6f);
    for (int i = 0; i < N; i++) ia[i] = (ia[i] >> 3) + ib[i] * 3 - (ia[i] < ib[i] ? ia[i] : ib[i]);
    for (int i = 0; i < N; i++) u8[i] = (uint8_t)((u8[i] + u8[(i + 1) % N] + 1) / 2);
    for (int i = 0; i < N; i++) d[i] = floor(d[i] * 1.5) + sqrt(fabs(d[i]));
    for (int i = 0; i < N; i++) s16[i] = (int16_t)((s16[i] * 3) >> 2);
  }
  double sum = 0; long long isum = 0;
  for (int i = 0; i < N; i++) { sum += c[i] + d[i]; isum += ia[i] + u8[i] + s16[i]; }
  printf("%.6f %lld\n", sum, isum);
  return 0;
}
