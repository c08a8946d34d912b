/* Table-driven CRC-32 (IEEE) over a 64 KiB buffer, n passes, each seeded with the last CRC. */
#include "common.h"

#define LEN 65536
static unsigned char buf[LEN];
static u32 table[256];

u32 run(int n) {
  for (u32 i = 0; i < 256; i++) {
    u32 c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  u32 seed = 88172645u;
  for (int i = 0; i < LEN; i++) buf[i] = (unsigned char)xorshift32(&seed);
  u32 crc = 0;
  for (int pass = 0; pass < n; pass++) {
    u32 c = ~crc;
    for (int i = 0; i < LEN; i++) c = table[(c ^ buf[i]) & 0xFF] ^ (c >> 8);
    crc = ~c;
  }
  return mix32(CHECKSUM_INIT, crc);
}
