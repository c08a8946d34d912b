// The optimizing compiler's half in libwasmo.so: the module's decoding, its chunks and their
// threads, and the LLVM half (llvm_library.h), opened on first use.
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <numeric>
#include <optional>

#include "artifact/build_id.h"  // generated: WASMO_ENGINE_VERSION
#include "compiler/optimizing/llvm_library.h"
#include "compiler/optimizing/optimizing.h"

namespace wasmo {
namespace {

/** The LLVM half, or why it is not there. */
struct LlvmLibrary {
  const LlvmCompiler *compiler = nullptr;
  std::string error;
};

/** Opens kLlvmLibrary in the folder this library was loaded from (not from a search path: the one
 *  of this build), once; a failure stays, for every compile after it to report. Never closed. */
const LlvmLibrary &llvmLibrary() {
  static const LlvmLibrary library = [] {
    LlvmLibrary out;
    Dl_info self{};
    if (dladdr(reinterpret_cast<const void *>(&llvmLibrary), &self) == 0 || self.dli_fname == nullptr) {
      out.error = "the optimizing compiler is not available: cannot tell which file libwasmo.so is";
      return out;
    }
    std::string self_path = self.dli_fname;
    size_t slash = self_path.find_last_of('/');
    std::string path = (slash == std::string::npos ? std::string("./") : self_path.substr(0, slash + 1)) + kLlvmLibrary;
    auto failed = [&](const std::string &why) { out.error = "the optimizing compiler is not available: " + why; };
    void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (handle == nullptr) {
      // glibc's text starts with the file's name, which the message names already.
      const char *error = dlerror();
      std::string_view why = error != nullptr ? error : "dlopen failed";
      if (why.starts_with(path + ": ")) why.remove_prefix(path.size() + 2);
      failed("cannot load " + path + ": " + std::string(why));
      return out;
    }
    void *entry = dlsym(handle, kLlvmEntry);
    if (entry == nullptr) {
      failed(path + " has no " + kLlvmEntry);
      return out;
    }
    const auto *compiler = reinterpret_cast<const LlvmCompiler *(*)()>(entry)();
    if (std::string_view(compiler->engineVersion) != WASMO_ENGINE_VERSION) {
      failed(path + " is of engine build " + compiler->engineVersion + ", libwasmo.so of " + WASMO_ENGINE_VERSION);
      return out;
    }
    out.compiler = compiler;
    return out;
  }();
  return library;
}

/** LlvmCompiler::compileFunctions; throws CompileError. */
CompiledCode compileFunctions(const Module &module, std::span<const uint32_t> funcs, bool meterFuel, bool boundsChecks) {
  const LlvmLibrary &llvm = llvmLibrary();
  if (llvm.compiler == nullptr) throw CompileError{WASMO_UNSUPPORTED, llvm.error};
  CompiledCode out;
  std::string error;
  wasmo_status status = llvm.compiler->compileFunctions(module, funcs, meterFuel, boundsChecks, out, error);
  if (status != WASMO_OK) throw CompileError{status, std::move(error)};
  return out;
}

/**
 * LLVM compiles a module in chunks of consecutive functions of about this much wasm each, one LLVM
 * module a chunk, on the compile's threads (at ~15 ms of CPU a kilobyte, about 2 s a chunk). The
 * chunks do not depend on the thread count, so neither does the code; a call between chunks goes
 * through the callee's VMFuncRef, as tier-up code's calls do.
 */
constexpr size_t kChunkBytes = 128 * 1024;

/** The chunks of `module`'s defined functions, as their first function; the last ends them all. */
std::vector<uint32_t> chunkStarts(const Module &module) {
  std::vector<uint32_t> starts{0};
  size_t bytes = 0;
  for (uint32_t k = 0; k < module.bodies.size(); k++) {
    if (bytes >= kChunkBytes) {
      starts.push_back(k);
      bytes = 0;
    }
    bytes += module.bodies[k].end - module.bodies[k].begin;
  }
  starts.push_back(static_cast<uint32_t>(module.bodies.size()));
  return starts;
}

/** The chunks' blocks one after the other, each at kOptimizedBlockAlign as optimizing.cpp's `link` laid it out. */
CompiledCode joinChunks(std::vector<CompiledCode> &chunks) {
  CompiledCode out = std::move(chunks[0]);
  for (size_t c = 1; c < chunks.size(); c++) {
    out.code.resize((out.code.size() + kOptimizedBlockAlign - 1) / kOptimizedBlockAlign * kOptimizedBlockAlign);
    auto base = static_cast<uint32_t>(out.code.size());
    out.code.insert(out.code.end(), chunks[c].code.begin(), chunks[c].code.end());
    for (uint32_t offset : chunks[c].functionOffsets) out.functionOffsets.push_back(base + offset);
    out.entrySizes.insert(out.entrySizes.end(), chunks[c].entrySizes.begin(), chunks[c].entrySizes.end());
  }
  return out;
}

}  // namespace

CompiledCode compileFunctionOptimizing(const Module &module, uint32_t defined, bool meterFuel, bool boundsChecks) {
  return compileFunctions(module, std::span<const uint32_t>(&defined, 1), meterFuel, boundsChecks);
}

void checkOptimizingCpuFeatures(const CompileOptions &options, const char *engine) {
  if ((options.cpuFeatures & kOptimizingCpuFeatures) != kOptimizingCpuFeatures) {
    unsupported(std::string("the ") + engine + " engine without SSE4.1 and POPCNT among the CPU features it may use");
  }
}

Compiled compileOptimizing(std::span<const uint8_t> bytes, const CompileOptions &options) {
  checkOptimizingCpuFeatures(options, "optimizing");
  Compiled out{decodeModule(bytes, BodyPass{compileThreads(options.threads), {}, {}}), {}};
  const Module &module = out.module;
  std::vector<uint32_t> starts = chunkStarts(module);
  size_t count = starts.size() - 1;
  std::vector<CompiledCode> chunks(count);
  // The first failure in chunk order is the compile's, whatever the threads.
  std::vector<std::optional<CompileError>> failures(count);
  std::atomic<size_t> next{0};
  std::atomic<uint32_t> done{0};
  auto work = [&](unsigned worker) {
    for (size_t c; (c = next++) < count;) {
      std::vector<uint32_t> funcs(starts[c + 1] - starts[c]);
      std::iota(funcs.begin(), funcs.end(), starts[c]);
      try {
        chunks[c] = compileFunctions(module, funcs, options.meterFuel, options.boundsChecks);
      } catch (...) {
        failures[c] = currentCompileError();
      }
      uint32_t n = done += static_cast<uint32_t>(funcs.size());
      if (worker == 0 && options.progress && count > 1) options.progress(n, static_cast<uint32_t>(module.bodies.size()));
    }
  };
  runWorkers(std::max<unsigned>(1, std::min<size_t>(compileThreads(options.threads), count)), work);
  for (std::optional<CompileError> &f : failures) {
    if (f) throw std::move(*f);
  }
  out.code = joinChunks(chunks);
  return out;
}

}  // namespace wasmo
