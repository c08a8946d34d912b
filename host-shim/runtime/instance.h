// Compiled modules and their instances (spec 4.5.4 instantiation, restricted to modules without
// imports and tables for now).
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "environ/module.h"
#include "runtime/code_memory.h"
#include "runtime/memory.h"
#include "runtime/vmcontext.h"

namespace wasmo {

struct CompiledModule {
  Module module;
  std::unique_ptr<CodeMemory> code;
  std::vector<uint32_t> functionOffsets;
};

struct Instance {
  VMContext vmctx;  // first member: helpers called from code get the Instance back from it
  std::shared_ptr<const CompiledModule> compiled;
  std::unique_ptr<LinearMemory> memory;
  std::vector<uint64_t> globalCells;
  std::vector<uint64_t *> globalPointers;
  std::vector<WasmFunction> funcs;

  static Instance &of(VMContext *vmctx) { return *reinterpret_cast<Instance *>(vmctx); }
};

/** Throws CompileError: UNSUPPORTED, UNINSTANTIABLE (a trap while initialising), INTERNAL. */
std::unique_ptr<Instance> instantiate(std::shared_ptr<const CompiledModule> compiled);

/** Calls function `func` with `vals` (arguments in, results out); the trap's status and message. */
wasmo_status invoke(Instance &instance, uint32_t func, uint64_t *vals, std::string &message);

}  // namespace wasmo
