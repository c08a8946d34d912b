#include "runtime/store.h"

#include <algorithm>
#include <atomic>

#include "environ/limits.h"

#include "runtime/instance.h"
#include "runtime/traps.h"
#include "runtime/types.h"

namespace wasmo {

namespace {

static_assert(kHostSlots == 2 * std::max(kMaxParams.max, kMaxResults.max));

// A row of values (environ/module.h cells()): each value's first cell through `convert`, a v128's
// second as it is.
template <class Convert>
void convertRow(std::span<const ValType> types, const uint64_t *from, uint64_t *to, Convert convert) {
  size_t c = 0;
  for (ValType t : types) {
    to[c] = convert(t, from[c]);
    if (t == ValType::V128) to[c + 1] = from[c + 1];
    c += cells(t);
  }
}

TraceFrame frameOf(const Module &m, uint32_t func) {
  TraceFrame frame;
  frame.func = func;
  if (auto name = m.funcNames.find(func); name != m.funcNames.end()) frame.name = name->second;
  return frame;
}

/** The frame of the defined function whose code holds `pc` - 1 (a return address follows its call). */
std::optional<TraceFrame> frameAt(const Store &store, uintptr_t pc) {
  for (const auto &inst : store.instances) {
    const CompiledModule &c = *inst->compiled;
    std::optional<std::variant<uint32_t, OptimizingEntry>> found;
    if (c.code->contains(pc - 1)) found = functionIn(c.ranges, pc - 1 - reinterpret_cast<uintptr_t>(c.code->base()));
    else if (c.tierUp != nullptr) found = c.tierUp->functionAt(pc - 1);
    if (!found) continue;
    if (std::holds_alternative<OptimizingEntry>(*found)) return std::nullopt;
    return frameOf(c.module, c.module.importedFuncs + std::get<uint32_t>(*found));
  }
  return std::nullopt;
}

}  // namespace

// A host function's `vmctx` is its own FuncInstance (see allocHostFunc). A host function that
// re-enters wasm which calls another reuses the slots: the embedder reads its arguments and
// function before and writes its results after anything it calls.
void hostCallArgs(VMContext *vmctx, const uint64_t *vals, uint64_t *slots) {
  const FuncInstance &f = *reinterpret_cast<const FuncInstance *>(vmctx);
  f.store->toAbi(f.type.params, vals, slots);
  slots[WASMO_HOST_CALL] = f.ref.addr;
}

void hostCallResults(VMContext *vmctx, const uint64_t *slots, uint64_t *vals) {
  const FuncInstance &f = *reinterpret_cast<const FuncInstance *>(vmctx);
  f.store->fromAbi(f.type.results, slots, vals);
}

bool TableInstance::grow(uint64_t n, uint64_t init) {
  // Tables are plain vectors: kMaxTableSize bounds them well below what would exhaust memory.
  uint64_t limit = std::min({type.limits.max.value_or(UINT32_MAX), kMaxTableSize.max, cap});
  if (n > limit || vm.size + n > limit) return false;
  elems.resize(vm.size + n, init);
  vm.elems = elems.data();
  vm.size = elems.size();
  return true;
}

Store::~Store() = default;

uint32_t Store::allocHostFunc(FuncType type) {
  // Its values must fit the host slots: as many as a module's function type may have.
  checkLimit(kMaxParams, type.params.size());
  checkLimit(kMaxResults, type.results.size());
  auto f = std::make_unique<FuncInstance>();
  f->ref.code = wasmo_host_call;
  f->ref.vmctx = reinterpret_cast<VMContext *>(f.get());
  f->ref.typeId = canonicalTypeId(type);
  f->ref.addr = static_cast<uint32_t>(funcs.size());
  f->type = std::move(type);
  f->store = this;
  f->host = true;
  funcs.push_back(std::move(f));
  return static_cast<uint32_t>(funcs.size() - 1);
}

uint32_t Store::allocTable(TableType type, uint64_t init) {
  auto t = std::make_unique<TableInstance>();
  t->type = type;
  if (!t->grow(type.limits.min, init)) throw CompileError{WASMO_EXHAUSTION, kMaxTableSize.message};
  t->cap = tableElementsCap;
  tables.push_back(std::move(t));
  return static_cast<uint32_t>(tables.size() - 1);
}

uint32_t Store::allocMemory(MemType type) {
  mems.push_back(std::make_unique<LinearMemory>(type.limits.min, type.limits.max, memoryPagesCap, memoryConfig));
  return static_cast<uint32_t>(mems.size() - 1);
}

uint32_t Store::allocGlobal(GlobalType type, GlobalValue value) {
  auto g = std::make_unique<GlobalInstance>();
  g->type = type;
  g->value = value;
  globals.push_back(std::move(g));
  return static_cast<uint32_t>(globals.size() - 1);
}

uint64_t Store::fromAbi(ValType t, uint64_t bits) const {
  if (t != ValType::FuncRef || bits == 0) return bits;
  return reinterpret_cast<uint64_t>(&funcs[bits - 1]->ref);
}

uint64_t Store::toAbi(ValType t, uint64_t bits) const {
  if (t != ValType::FuncRef || bits == 0) return bits;
  return uint64_t{reinterpret_cast<const VMFuncRef *>(bits)->addr} + 1;
}

void Store::fromAbi(std::span<const ValType> types, const uint64_t *from, uint64_t *to) const {
  convertRow(types, from, to, [this](ValType t, uint64_t bits) { return fromAbi(t, bits); });
}

void Store::toAbi(std::span<const ValType> types, const uint64_t *from, uint64_t *to) const {
  convertRow(types, from, to, [this](ValType t, uint64_t bits) { return toAbi(t, bits); });
}

wasmo_status Store::invoke(uint32_t func, uint64_t *vals, std::string &message) {
  FuncInstance &f = *funcs[func];
  fromAbi(f.type.params, vals, vals);
  // Tier-up may install optimized code in the reference at any time (runtime/tier_up.h).
  WasmFunction code = std::atomic_ref<WasmFunction>(f.ref.code).load(std::memory_order_acquire);
  return finish(startWasm(*interrupt_, wasmStackCap, f.ref.vmctx, code, vals, this, &f), message);
}

wasmo_status Store::resume(uint32_t token, bool ok, std::string &message) {
  std::variant<WasmExit, const char *> exit = resumeWasm(this, token, ok);
  if (const char *const *refused = std::get_if<const char *>(&exit)) {
    message = *refused;
    return WASMO_INTERNAL;
  }
  return finish(std::move(std::get<WasmExit>(exit)), message);
}

wasmo_status Store::finish(WasmExit exit, std::string &message) {
  if (exit.hostCall) return WASMO_HOST_PENDING;
  if (std::optional<Trap> &trap = exit.trap) {
    // An interrupt shows as the limit check failing, in a prologue or at a loop header. It is
    // consumed by the call it stopped.
    if (interrupt_->requested() && (trap->code == TrapCode::StackExhausted || trap->code == TrapCode::Interrupted)) {
      interrupt_->reset();
      trap->code = TrapCode::Interrupted;
    }
    message = trapMessage(*trap);
    lastTrace.clear();
    for (uintptr_t pc : trap->pcs) {
      if (std::optional<TraceFrame> frame = frameAt(*this, pc)) lastTrace.push_back(std::move(*frame));
    }
    switch (trap->code) {
      case TrapCode::StackExhausted: return WASMO_EXHAUSTION;
      case TrapCode::HostError: return WASMO_HOST;
      default: return WASMO_TRAP;
    }
  }
  toAbi(static_cast<const FuncInstance *>(exit.owner)->type.results, exit.vals, exit.vals);
  return WASMO_OK;
}

}  // namespace wasmo
