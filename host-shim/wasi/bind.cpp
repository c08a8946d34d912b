#include "wasi/bind.h"

#include <cstring>
#include <mutex>
#include <unordered_map>

#include "runtime/instance.h"
#include "runtime/store.h"
#include "runtime/traps.h"

namespace wasmo::wasi {

namespace {

struct Binding {
  Context *ctx;
  Fn fn;
};

// Which WASI function each bound FuncInstance is. Stores are freed by the embedder's garbage
// collector, contexts explicitly, in either order: a registry outside both lets a context forget
// its functions (unbind) without reaching into a store that may be gone.
std::mutex registryMutex;
std::unordered_map<const FuncInstance *, Binding> registry;

// The code of a directly bound WASI function; `vmctx` is its FuncInstance (Store::allocHostFunc).
void wasiEntry(VMContext *vmctx, uint64_t *vals) {
  Binding b{};
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    auto it = registry.find(reinterpret_cast<const FuncInstance *>(vmctx));
    if (it != registry.end()) b = it->second;
  }
  // No memory bound, or the context was freed: the program cannot go on; nothing is held here.
  if (b.ctx == nullptr || b.ctx->memory == nullptr) raiseTrap(static_cast<uint32_t>(TrapCode::HostError));
  Memory mem{b.ctx->memory->base, b.ctx->memory->pages * 65536};
  int32_t r = b.fn(*b.ctx, mem, vals);
  // proc_exit: unwind to the entry frame like a trap; the embedder reads the exit code.
  if (r == EXITED) raiseTrap(static_cast<uint32_t>(TrapCode::HostError));
  vals[0] = static_cast<uint32_t>(r);
}

}  // namespace

uint32_t allocFunction(Store &store, Context &ctx, uint32_t id) {
  const Function &f = functions()[id];
  FuncType type;
  for (const char *p = f.params; *p; p++) type.params.push_back(*p == 'I' ? ValType::I64 : ValType::I32);
  if (f.results == 1) type.results.push_back(ValType::I32);
  uint32_t addr = store.allocHostFunc(std::move(type));
  FuncInstance &fi = *store.funcs[addr];
  {
    std::lock_guard<std::mutex> lock(registryMutex);
    registry[&fi] = Binding{&ctx, f.fn};
  }
  fi.ref.code = wasiEntry;
  return addr;
}

void bindMemory(Context &ctx, Store &store, uint32_t mem) { ctx.memory = store.mems[mem]->vm(); }

void unbind(const Context &ctx) {
  std::lock_guard<std::mutex> lock(registryMutex);
  std::erase_if(registry, [&](const auto &entry) { return entry.second.ctx == &ctx; });
}

}  // namespace wasmo::wasi
