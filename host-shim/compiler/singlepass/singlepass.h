// The singlepass compiler: one pass over each function body, driven by the function decoder,
// emitting x86-64 with xbyak. Code is position- and instance-independent: calls, globals, memory
// and runtime helpers are reached through the VMContext (r14) and the memory base (r15).
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "environ/module.h"

namespace wasmo {

struct CompileOptions {
  /** Threads to compile on (0: one per hardware thread); the code is the same whatever the count. */
  unsigned threads = 0;
  /** Called on the calling thread every ~100 ms with the functions compiled and their total (see
   *  BodyPass::progress). */
  std::function<void(uint32_t done, uint32_t total)> progress;
};

/** The code of every defined function, each compiled on its own by one of the worker threads into
 *  that worker's buffers, and linked in index order by link(). */
struct CompiledCode {
  std::vector<uint32_t> functionOffsets;  // per defined function, in the linked code
  size_t size = 0;                        // of the linked code, in bytes
  uint32_t cpuFeatures = 0;               // CpuFeature bits the code uses

  /** Writes the linked code into `out` (size bytes): the functions in index order, and each call
   *  of one by another resolved to a PC-relative call. */
  void link(std::span<uint8_t> out) const;

  struct Chunk {
    std::unique_ptr<uint8_t[]> bytes;
    size_t capacity = 0, used = 0;
  };
  /** A call of defined function `callee` by defined function `caller`: its rel32 is at `at` in the
   *  caller's code. */
  struct CallSite {
    uint32_t caller, at, callee;
  };
  struct Worker {
    /** Defined function `func`'s code is `size` bytes at `offset` in chunk `chunk`. */
    struct Placed {
      uint32_t func;
      size_t chunk, offset, size;
    };
    std::vector<Chunk> chunks;
    std::vector<Placed> placed;
    std::vector<CallSite> calls;
    uint32_t cpuFeatures = 0;
  };
  struct Piece {
    uint32_t worker = 0;
    size_t chunk = 0, offset = 0, size = 0;
  };
  std::vector<Worker> workers;
  std::vector<Piece> pieces;  // per defined function: where its code is
};

struct CompiledModuleCode {
  Module module;
  CompiledCode code;
};

/** Decodes, validates and compiles every function of `bytes`; throws CompileError (MALFORMED,
 *  INVALID as decodeModule, then UNSUPPORTED or INTERNAL for the first function it cannot compile). */
CompiledModuleCode compileSinglepass(std::span<const uint8_t> bytes, const CompileOptions &options);

}  // namespace wasmo
