// Traps: compiled code raises them to the innermost entry frame (a sigsetjmp in the native call that
// runs wasm), either from an out-of-line stub or from the SIGSEGV/SIGBUS handler on a guard-page fault.
//
// Wasm runs on a stack of its own per thread (exact bounds, so the prologues' limit check leaves a
// known margin), as activations: a call from the embedder starts one, and when its wasm calls a host
// function the activation is suspended (its registers and stack pointer saved) and the native call
// that ran it returns, for the embedder to run the host function and resume the activation with a
// new native call. No callback: JS is never entered from native code. A host function may start
// activations itself: they run on the wasm stack below the suspended ones, and finish (or trap)
// before it returns, so activations nest LIFO.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "include/wasmo.h"
#include "runtime/interrupt.h"
#include "runtime/vmcontext.h"

namespace wasmo {

/** How an activation left the native call that ran it. */
struct WasmExit {
  /** The function the activation runs, as given to startWasm, and its values (see startWasm). */
  void *owner;
  uint64_t *vals;
  /** Suspended in a host call (see suspendForHost), for resumeWasm. */
  bool hostCall = false;
  /** The trap that ended it; neither this nor hostCall: it finished, with its results in `vals`. */
  std::optional<Trap> trap;
};

/**
 * Starts an activation running `f(vmctx, vals)` on the wasm stack (below the suspended activations,
 * if any), with the store's stack limit (read by prologues and loop headers) set for this thread
 * unless an interrupt is pending, and runs it until it finishes, traps or calls a host function.
 * Wasm may use at most `maxStack` bytes of stack below the outermost activation (less when the
 * thread's wasm stack is smaller): past it a call is "call stack exhausted". `store` is the store
 * the call is in, `owner` the caller's, given back in the exit. Throws (CompileError) only before
 * wasm runs.
 */
WasmExit startWasm(Interrupt &interrupt, uint64_t maxStack, VMContext *vmctx, WasmFunction f, uint64_t *vals,
                   const void *store, void *owner);

/** Resumes the innermost activation of this thread, suspended in a host call, if it is `store`'s
 *  (else nothing): the host call failed (a host error ends the activation) unless `ok`. */
std::optional<WasmExit> resumeWasm(const void *store, bool ok);

/** From wasm (a host function's code, which put its values in `slots`, this thread's host slots):
 *  suspends the activation until resumeWasm; whether the host function succeeded. */
bool suspendForHost(uint64_t *slots);

/** The calling thread's host slots (wasmo_host_slots). Not inlined: in a shared library a
 *  thread-local's address is a call (__tls_get_addr), which the compiler would repeat for every
 *  value a host call passes rather than keep the address it returned. */
[[gnu::noinline]] uint64_t *threadHostSlots();

/** The signal handler treats faults in [begin, end) as wasm's. Safe to call while code runs. */
void registerCode(const uint8_t *begin, size_t size);
void unregisterCode(const uint8_t *begin);

[[noreturn]] void raiseTrap(uint32_t code, uint32_t element = 0);

}  // namespace wasmo
