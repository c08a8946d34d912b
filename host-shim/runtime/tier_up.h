// Tiered mode: a module's code starts as singlepass code (Tier::Tiered) that counts, per instance,
// the calls and loop iterations of each function; when a function's count runs out, its code asks
// (Libcall::TierUp) for it to be compiled by the optimizing compiler on a background thread. The
// optimized code is installed without stopping the guest: the module's table of optimized entries
// (VMContext::tierCode), which singlepass prologues jump through once their counter is spent, and
// the VMFuncRef of the function in every live instance, through which calls from optimized code,
// call_indirect, imports and the embedder go. Frames already running finish on singlepass code.
// A tiered artifact written after a run (artifact/artifact.h writeTieredArtifact) holds the optimized
// code too: loading it starts those functions optimized (TierUp::loaded), and the rest go on counting.
// One background thread compiles, at a lower priority than the guest's, and bodies too large to pay
// back are refused (kMaxTierUpBodyBytes). Functions still queued when the program exits are dropped,
// and exit waits only for the one being compiled: an artifact written at exit lacks them.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "environ/module.h"
#include "runtime/code_memory.h"
#include "runtime/function_ranges.h"

namespace wasmo {

struct Instance;

/** How many calls and loop iterations a function runs on singlepass code before tier-up, by default
 *  (wasmo_store_set_tier_up). */
inline constexpr int32_t kDefaultTierUpThreshold = 10'000;

/** Functions whose body is larger (in bytes of wasm) stay on singlepass code: LLVM takes about 35 µs
 *  a byte of body on esbuild's functions, so one of 40 KB keeps the only background thread busy for
 *  1.5 s (and exit waits for the function being compiled), longer than most programs gain from it.
 *  Without this bound tiered took 2.4x singlepass's time on esbuild (bench/programs.ts). */
inline constexpr size_t kMaxTierUpBodyBytes = 16 * 1024;

/** A tiered module's tier-up state, shared with the background compiler (which holds it, never the
 *  instances, while it compiles). */
class TierUp : public std::enable_shared_from_this<TierUp> {
 public:
  /** `module`: the decoded module with its bytes, which the optimizing compiler reads; else `wasm`,
   *  the module's binary (a tiered artifact holds it), decoded when the first function is compiled;
   *  with neither, nothing tiers up. */
  TierUp(std::optional<Module> module, std::span<const uint8_t> wasm, uint32_t defined, bool meterFuel, bool boundsChecks);
  ~TierUp();

  /** Per defined function: its optimized entry, or null (VMContext::tierCode). */
  void *const *entries() const { return reinterpret_cast<void *const *>(entries_.get()); }

  /** Libcall::TierUp: queues `defined` for compilation unless it is queued, compiled or refused
   *  already; with `wait`, returns once it is compiled or refused. Never throws. */
  void request(uint32_t defined, bool wait) noexcept;

  /** Before any instance: function `defined`'s optimized entry is `entry`, in a tiered artifact's
   *  code (which lives as long as this module). */
  void loaded(uint32_t defined, uintptr_t entry);

  /** An instance of the module: its VMFuncRefs get each optimized entry, now and as they come, and
   *  the counters of functions optimized already start spent, so its singlepass callers go straight on.
   *  `unregisterInstance` before it is destroyed. */
  void registerInstance(Instance &inst);
  void unregisterInstance(Instance &inst);

  /** The defined function whose optimized code compiled here holds `pc`, if any (functionIn). */
  std::optional<std::variant<uint32_t, OptimizingEntry>> functionAt(uintptr_t pc);

  /** A function's code compiled here: a block, its entry in it, and the CPU features it uses. */
  struct Compiled {
    uint32_t func;
    std::span<const uint8_t> code;
    uint32_t entry, entrySize, cpuFeatures;
  };
  /** What has been compiled here (not what an artifact brought), by function; the code lives as long
   *  as this. */
  std::vector<Compiled> compiled();

  /** Per defined function: does its code run optimized now? */
  std::vector<bool> optimized();

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
  std::optional<Module> module_;  // decoded from source_ by the background thread when absent
  std::vector<uint8_t> source_;
  bool canCompile_;
  bool meterFuel_;
  bool boundsChecks_;  // optimized code checks memory bounds as the singlepass code does
  std::unique_ptr<std::atomic<void *>[]> entries_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<State> states_;  // under mutex_
  std::vector<Instance *> instances_;
  struct Region {
    std::unique_ptr<CodeMemory> code;
    Compiled what;
  };
  std::vector<Region> regions_;         // by the time they were compiled
  std::vector<FunctionRange> ranges_;  // of the regions, sorted by address
};

/** wasmo_tier_up_stop. */
void stopTierUp();

}  // namespace wasmo
