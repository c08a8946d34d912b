// The store (spec 4.2.3): every function, table, memory and global instance of one embedding
// store, addressed by index as the API's addresses are. Instances share imported objects by
// address, as the spec's store does. Reference values inside the store are VMFuncRef pointers
// (funcref) and the embedder's handles (externref); at the C ABI a funcref is its address + 1.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "environ/module.h"
#include "include/wasmo.h"
#include "runtime/interrupt.h"
#include "runtime/memory.h"
#include "runtime/tier_up.h"
#include "runtime/traps.h"
#include "runtime/vmcontext.h"

namespace wasmo {

class Store;
struct Instance;

struct FuncInstance {
  VMFuncRef ref;  // for a host function, ref.vmctx points back to this FuncInstance
  FuncType type;
  Store *store = nullptr;
  bool host = false;
};

struct TableInstance {
  VMTable vm;
  std::vector<uint64_t> elems;
  TableType type;
  uint64_t cap = UINT64_MAX;  // the store's limit on elements, beyond the type's maximum
  /** table.grow (spec 4.5.3.8): false when the limits or resources refuse. */
  bool grow(uint64_t n, uint64_t init);
};

/** A global's value: one cell, or two for a v128 (environ/module.h cells()); code reads it in place. */
using GlobalValue = std::array<uint64_t, 2>;
struct GlobalInstance {
  alignas(16) GlobalValue value{};
  GlobalType type;
};

/** A frame of a trap's backtrace: the function's index in its module, and its name-section name. */
struct TraceFrame {
  uint32_t func = 0;
  std::optional<std::string> name;
};

/** Cells a host function call passes (environ/limits.h: at most 1,000 parameters or results, each
 *  of at most two cells), followed by the slots of the call in progress (wasmo.h WASMO_HOST_CALL). */
inline constexpr size_t kHostSlots = WASMO_HOST_SLOTS;

class Store {
 public:
  Store() = default;
  ~Store();

  uintptr_t *stackLimit() { return interrupt_->stackLimit(); }
  /** For the deadline watchdog and other threads: see runtime/interrupt.h. */
  const std::shared_ptr<Interrupt> &interrupt() const { return interrupt_; }

  std::vector<std::unique_ptr<FuncInstance>> funcs;
  std::vector<std::unique_ptr<TableInstance>> tables;
  std::vector<std::unique_ptr<LinearMemory>> mems;
  std::vector<std::unique_ptr<GlobalInstance>> globals;
  std::vector<std::unique_ptr<Instance>> instances;

  uint32_t allocHostFunc(FuncType type);
  uint32_t allocTable(TableType type, uint64_t init);
  uint32_t allocMemory(MemType type);
  uint32_t allocGlobal(GlobalType type, GlobalValue value);

  /** A reference value between its C ABI form and its store form (other values pass unchanged). */
  uint64_t fromAbi(ValType t, uint64_t bits) const;
  uint64_t toAbi(ValType t, uint64_t bits) const;
  /** A row of values of `types` (cells()) between the two forms; `from` may be `to`. */
  void fromAbi(std::span<const ValType> types, const uint64_t *from, uint64_t *to) const;
  void toAbi(std::span<const ValType> types, const uint64_t *from, uint64_t *to) const;

  /** The embedder's limits (wasmo_store_set_limits): memories and tables grow no further. */
  uint64_t memoryPagesCap = UINT64_MAX, tableElementsCap = UINT64_MAX;
  /** Bytes of stack wasm may use (wasmo_store_set_limits). */
  uint64_t wasmStackCap = UINT64_MAX;
  /** The layout of memories made from now on (wasmo_store_set_memory); code instantiated in the
   *  store must check bounds explicitly exactly when it asks for that. */
  MemoryConfig memoryConfig;

  /**
   * Fuel (environ/fuel.h): a store that meters it instantiates only code compiled to charge it, and
   * a store that does not only code that does not. Compiled code charges `fuel` in place; a charge
   * that takes it below 0 traps, so a negative value means none is left.
   */
  bool meterFuel = false;
  int64_t fuel = 0;

  /** Tiered code (runtime/tier_up.h): calls and loop iterations of a function, per instance, before
   *  it is compiled by the optimizing compiler; with `tierUpWait` the code that asks waits for it
   *  (tests: tier-up at a known point). */
  int32_t tierUpThreshold = kDefaultTierUpThreshold;
  bool tierUpWait = false;

  /** Calls function `func`: `vals` holds the arguments (ABI form) and receives the results; or
   *  WASMO_HOST_PENDING when its wasm calls a host function (wasmo_func_invoke). */
  wasmo_status invoke(uint32_t func, uint64_t *vals, std::string &message);
  /** Resumes the call of the store's suspended in the host call `token` names (wasmo_func_resume). */
  wasmo_status resume(uint32_t token, bool ok, std::string &message);

  /** The message of the last failed wasmo_func_invoke (wasmo_store_message). */
  std::string lastMessage;

  /** The backtrace of the last trap, innermost first; instantiation clears it. */
  std::vector<TraceFrame> lastTrace;

 private:
  wasmo_status finish(WasmExit exit, std::string &message);

  std::shared_ptr<Interrupt> interrupt_ = makeInterrupt();
};

}  // namespace wasmo
