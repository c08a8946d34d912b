// WASI functions bound directly into the native engine's store: compiled code calls them like any
// host function (VMFuncRef code + vmctx), and their code calls the C++ function of wasi.cpp with
// the bound memory, with no JS on the path.
#pragma once
#include <cstdint>
#include <memory>

#include "wasi/wasi.h"

namespace wasmo {
class Store;
}

// The C ABI's handle (wasmo.h); defined here so the store's entry points (src/api.cpp) reach it.
struct wasmo_wasi {
  std::unique_ptr<wasmo::wasi::Context> ctx;
};

namespace wasmo::wasi {

// A host function of `store` with WASI function `id`'s type whose code calls it on `ctx`.
uint32_t allocFunction(Store &store, Context &ctx, uint32_t id);
// The memory directly bound functions of `ctx` work on: memory `mem` of `store`.
void bindMemory(Context &ctx, Store &store, uint32_t mem);
// Forget `ctx`'s bindings (before it is freed): calling one of its functions afterwards is a
// host error, not a use of freed memory.
void unbind(const Context &ctx);

}  // namespace wasmo::wasi
