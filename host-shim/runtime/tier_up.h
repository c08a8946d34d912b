// Tiered mode: a module's code starts as singlepass code (Tier::Tiered) that counts, per instance,
// the calls and loop iterations of each function; when a function's count runs out, its code asks
// (Libcall::TierUp) for it to be compiled by the optimizing compiler on a background thread. The
// optimized code is installed without stopping the guest: the module's table of optimized entries
// (VMContext::tierCode), which singlepass prologues jump through once their counter is spent, and
// the VMFuncRef of the function in every live instance, through which calls from optimized code,
// call_indirect, imports and the embedder go. Frames already running finish on singlepass code.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>
#include <vector>

#include "environ/module.h"
#include "runtime/code_memory.h"

namespace wasmo {

struct Instance;

/** How many calls and loop iterations a function runs on singlepass code before tier-up, by default
 *  (wasmo_store_set_tier_up). */
inline constexpr int32_t kDefaultTierUpThreshold = 10'000;

/** A tiered module's tier-up state, shared with the background compiler (which holds it, never the
 *  instances, while it compiles). */
class TierUp : public std::enable_shared_from_this<TierUp> {
 public:
  /** `module`: the decoded module with its bytes, which the optimizing compiler reads; without them
   *  (an artifact loaded from a file has only the code) nothing tiers up. */
  TierUp(std::optional<Module> module, uint32_t defined, bool meterFuel, bool boundsChecks);
  ~TierUp();

  /** Per defined function: its optimized entry, or null (VMContext::tierCode). */
  void *const *entries() const { return reinterpret_cast<void *const *>(entries_.get()); }

  /** Libcall::TierUp: queues `defined` for compilation unless it is queued, compiled or refused
   *  already; with `wait`, returns once it is compiled or refused. Never throws. */
  void request(uint32_t defined, bool wait) noexcept;

  /** An instance of the module: its VMFuncRefs get each optimized entry, now and as they come.
   *  `unregisterInstance` before it is destroyed. */
  void registerInstance(Instance &inst);
  void unregisterInstance(Instance &inst);

  /** The defined function whose optimized code holds `pc`, if any; Skip for a return address in an
   *  entry that called its body, which is not a frame of its own in a backtrace. */
  struct Skip {};
  std::optional<std::variant<uint32_t, Skip>> functionAt(uintptr_t pc);

  struct Stats {
    uint32_t optimized = 0, refused = 0, pending = 0;
  };
  Stats stats();
  /** Waits until nothing of this module is queued or compiling, at most `timeoutMs`; true if so. */
  bool waitIdle(uint32_t timeoutMs);

  /** The background thread's work on one function. */
  void compile(uint32_t defined);

 private:
  enum class State : uint8_t { Counting, Queued, Optimized, Refused };
  std::optional<Module> module_;
  bool meterFuel_;
  bool boundsChecks_;  // optimized code checks memory bounds as the singlepass code does
  std::unique_ptr<std::atomic<void *>[]> entries_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<State> states_;  // under mutex_
  std::vector<Instance *> instances_;
  struct Region {
    std::unique_ptr<CodeMemory> code;
    uint32_t func;
    uintptr_t entryBegin, entryEnd;  // the entry, which calls the body (WasmFunction)
  };
  std::vector<Region> regions_;
};

/** wasmo_tier_up_stop. */
void stopTierUp();

}  // namespace wasmo
