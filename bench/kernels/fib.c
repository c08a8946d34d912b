/* Doubly recursive Fibonacci: function calls and returns, nothing else. */
#include "common.h"

static u32 fib(u32 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

u32 run(int n) { return mix32(CHECKSUM_INIT, fib((u32)n)); }
