// Interrupting wasm from outside: from another thread, from a deadline, or when the process exits.
// A store's stack limit is the one word compiled code compares rsp with, in function prologues and
// at loop headers; interrupting sets it beyond any stack pointer, so the running code leaves at its
// next call or loop iteration (V8 stops its code the same way), with no cost of its own in the
// code. The limit lives here, shared with the deadline watchdog, so a store freed meanwhile is
// never written to.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>

namespace wasmo {

class Interrupt {
 public:
  /** What compiled code compares rsp with (VMContext::stackLimit points here). */
  uintptr_t *stackLimit() { return &limit_; }
  /** On entry to wasm: this thread's limit, unless an interrupt is pending. */
  void enter(uintptr_t threadLimit);
  /** From any thread: wasm running in the store stops at its next call or loop iteration. */
  void request();
  /** Was an interrupt requested (since the last `reset`)? */
  bool requested() const { return requested_.load(std::memory_order_acquire); }
  void reset() { requested_.store(false, std::memory_order_release); }

 private:
  uintptr_t limit_ = 0;  // written through std::atomic_ref: compiled code reads it plainly
  std::atomic<bool> requested_{false};
};

/** Every live store's interrupt, for interruptAll; the registry holds them weakly. */
std::shared_ptr<Interrupt> makeInterrupt();
/** Interrupts wasm in every store of the process (before the process exits). */
void interruptAll();
/** Marks the interrupts made on this thread from now on as `owner`'s (the embedder's thread id). */
void setThreadOwner(uint64_t owner);
/** Interrupts wasm in every store made on a thread marked `owner` (one being terminated). */
void interruptOwner(uint64_t owner);
/** Requests `interrupt` at `deadline`, on a watchdog thread; a later call for it replaces this one. */
void interruptAt(const std::shared_ptr<Interrupt> &interrupt, std::chrono::steady_clock::time_point deadline);

}  // namespace wasmo
