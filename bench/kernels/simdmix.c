/* Loops clang vectorizes, built for wasm with -msimd128 (128-bit SIMD) and natively with SSE2:
 * an f32 multiply-add over arrays, an alpha blend of u8 pixels (widen, multiply, narrow), and an
 * i16 sum of squares (widening multiply, i32 reduction), n passes over 16 Ki elements. */
#include "common.h"

#define LEN 16384
static float x[LEN], y[LEN];
static unsigned char a[LEN], b[LEN], out[LEN];
static short s[LEN];

u32 run(int n) {
  u32 seed = 2463534242u;
  for (int i = 0; i < LEN; i++) {
    u32 r = xorshift32(&seed);
    x[i] = (float)(r & 0xFFFF) / 65536.0f;
    y[i] = (float)(r >> 24) / 256.0f;
    a[i] = (unsigned char)r;
    b[i] = (unsigned char)(r >> 8);
    s[i] = (short)(r >> 16);
  }
  u32 sum = 0;
  unsigned alpha = 1;
  for (int pass = 0; pass < n; pass++) {
    for (int i = 0; i < LEN; i++) y[i] = y[i] * 0.999f + x[i] * 0.5f;
    for (int i = 0; i < LEN; i++) out[i] = (unsigned char)((a[i] * alpha + b[i] * (255 - alpha) + 128) >> 8);
    for (int i = 0; i < LEN; i++) sum += (u32)(s[i] * s[i]);
    for (int i = 0; i < LEN; i++) a[i] ^= out[i];
    alpha = (alpha + 7) & 255;
  }
  u32 h = mix32(CHECKSUM_INIT, sum);
  for (int i = 0; i < LEN; i += 61) {
    union { float f; u32 u; } v;
    v.f = y[i];
    h = mix32(mix32(h, v.u), out[i] | (u32)a[i] << 8);
  }
  return h;
}
