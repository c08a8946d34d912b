// The optimizing compiler's LLVM half is a library of its own, libwasmo-llvm.so (optimizing.cpp and
// LLVM, linked statically), that libwasmo.so opens from its own folder on the first optimizing compile
// or tier-up (optimizing/driver.cpp): loading LLVM runs ~380 static constructors and ~88,000
// relocations (20-45 ms), which a program on singlepass code should not pay for. This is all that
// crosses between the two. Both are built from the same sources, so C++ types cross (the engine
// version says they are of one build); no exception does: each library has its own C++ runtime.
#pragma once
#include <cstdint>
#include <span>
#include <string>

#include "compiler/compiled_code.h"

namespace wasmo {

/** The library's file name, in the folder of libwasmo.so. */
inline constexpr const char *kLlvmLibrary = "libwasmo-llvm.so";
/** The symbol of its entry point, `const LlvmCompiler *wasmo_llvm_compiler()`. */
inline constexpr const char *kLlvmEntry = "wasmo_llvm_compiler";

struct LlvmCompiler {
  /** WASMO_ENGINE_VERSION of the build the library is of: another build's is refused. */
  const char *engineVersion;
  /** Compiles the defined functions `funcs` of a valid module into one block, their entries in the
   *  order of `funcs`, into `out` (WASMO_OK); else returns the failure's status with its text in
   *  `error` (UNSUPPORTED, INTERNAL). Thread-safe. */
  wasmo_status (*compileFunctions)(const Module &module, std::span<const uint32_t> funcs, bool meterFuel,
                                   bool boundsChecks, CompiledCode &out, std::string &error);
};

}  // namespace wasmo
