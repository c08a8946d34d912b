/* Shared by every kernel. Kernels are freestanding (no libc: they are compiled for wasm32 with
 * -nostdlib), keep their data in static arrays, and export one entry point, `u32 run(int n)`,
 * which sets its inputs up from n alone and returns a checksum of its outputs, so that every
 * engine's result can be checked equal before its time counts. */
#ifndef KERNEL_COMMON_H
#define KERNEL_COMMON_H

typedef unsigned int u32;
typedef unsigned long long u64;

#define CHECKSUM_INIT 2166136261u

/* FNV-1a over 32-bit words: cheap, and any difference in any output changes it. */
static inline u32 mix32(u32 h, u32 x) { return (h ^ x) * 16777619u; }
static inline u32 mix64(u32 h, u64 x) { return mix32(mix32(h, (u32)x), (u32)(x >> 32)); }

/* Floats are checked by their bits: wasm arithmetic is IEEE-exact, so every engine (and clang -O2
 * native code, without -ffast-math) must agree to the last bit. */
static inline u64 f64_bits(double d) {
  union { double d; u64 u; } v;
  v.d = d;
  return v.u;
}

/* Deterministic inputs without libc. */
static inline u32 xorshift32(u32 *s) {
  u32 x = *s;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *s = x;
}

u32 run(int n);

#endif
