// Compiled modules and their instances (spec 4.5.4 instantiation).
#pragma once
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "compiler/compiled_code.h"
#include "environ/module.h"
#include "runtime/code_memory.h"
#include "runtime/store.h"
#include "runtime/tier_up.h"
#include "runtime/vmcontext.h"

namespace wasmo {

struct CompiledModule {
  Module module;
  std::unique_ptr<CodeMemory> code;
  std::vector<uint32_t> functionOffsets;
  // Every defined function's code, as offsets in `code`, sorted: what backtraces look up.
  std::vector<FunctionRange> ranges;
  std::vector<TieredFunction> tieredFunctions;  // CompiledCode::tieredFunctions
  uint32_t cpuFeatures = 0;                     // CpuFeature bits the code uses
  // Tiered code: the module's binary, in place in the artifact (its .wasmo.wasm).
  std::span<const uint8_t> wasm;
  // The data segments' bytes, in place in the artifact (its .rodata): [begin, end) of each of
  // module.datas. (module.bytes, the binary the decoder read, is not kept.)
  std::span<const uint8_t> data;
  Tier tier = Tier::Singlepass;  // the compiler that made the code
  bool meterFuel = false;        // the code charges fuel (the artifact's compat flags say so)
  bool boundsChecks = false;     // the code checks memory bounds explicitly (compat flags too)
  std::shared_ptr<TierUp> tierUp;  // Tier::Tiered only
};

struct Instance {
  VMContext vmctx;  // first member: libcalls get the Instance back from it
  Store *store = nullptr;
  std::shared_ptr<const CompiledModule> compiled;
  LinearMemory *memory = nullptr;
  std::vector<uint32_t> funcAddrs, tableAddrs, memAddrs, globalAddrs;
  std::vector<VMFuncRef *> funcs;
  std::vector<VMTable *> tables;
  std::vector<uint64_t *> globals;
  std::vector<uint32_t> typeIds;
  // Element and data instances (spec 4.2.12, 4.2.13); dropping empties them.
  std::vector<std::vector<uint64_t>> elems;
  std::vector<std::span<const uint8_t>> datas;
  // Tiered code: per defined function, the countdown to its tier-up (VMContext::tierCounters).
  std::vector<int32_t> tierCounters;

  Instance() = default;
  Instance(const Instance &) = delete;
  Instance &operator=(const Instance &) = delete;
  ~Instance() {
    if (!tierCounters.empty()) compiled->tierUp->unregisterInstance(*this);
  }

  static Instance &of(VMContext *vmctx) { return *reinterpret_cast<Instance *>(vmctx); }
};

/**
 * Instantiates `compiled` in `store` with `imports` (store addresses, in import order, already
 * checked against the import types by the caller); writes the store address of each export, in
 * order, to `exports`, and the start function's to `start` (UINT32_MAX: none): the caller runs it,
 * as it may call host functions (runtime/traps.h). Throws CompileError: UNINSTANTIABLE (a trap
 * while initialising; what was initialised stays, spec 4.5.4), UNSUPPORTED, INTERNAL.
 */
void instantiate(Store &store, std::shared_ptr<const CompiledModule> compiled, std::span<const uint32_t> imports,
                 uint32_t *exports, uint32_t &start);

}  // namespace wasmo
