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
#include <variant>

#include "include/wasmo.h"
#include "runtime/interrupt.h"
#include "runtime/vmcontext.h"

namespace wasmo {

/** How an activation left the native call that ran it. */
struct WasmExit {
  /** The function the activation runs, as given to startWasm, and its values (see startWasm). */
  void *owner;
  uint64_t *vals;
  /** Suspended in a host call (wasmo_host_call), for resumeWasm. */
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

/**
 * Resumes the activation of `store` suspended in the host call that `token` names (the token of
 * its suspension, given to the embedder in the host slot WASMO_HOST_TOKEN): the host function
 * succeeded, its results in this thread's host slots, unless `ok` is false (then the host call
 * ends the activation with a host error). Activations nested in it are abandoned. What refused it,
 * when no suspended call of `store` on this thread has the token.
 */
std::variant<WasmExit, const char *> resumeWasm(const void *store, uint32_t token, bool ok);

/** Every host function's code (FuncInstance::ref.code): suspends the activation that calls it until
 *  resumeWasm, after hostCallArgs has passed its arguments. */
extern "C" void wasmo_host_call(VMContext *vmctx, uint64_t *vals);

/** The store's part of a host call (runtime/store.cpp): its arguments from `vals` to the host
 *  slots, with the function called; its results from the host slots to `vals`. */
void hostCallArgs(VMContext *vmctx, const uint64_t *vals, uint64_t *slots);
void hostCallResults(VMContext *vmctx, const uint64_t *slots, uint64_t *vals);

/** The calling thread's host slots (wasmo_host_slots). Not inlined: in a shared library a
 *  thread-local's address is a call (__tls_get_addr), which the compiler would repeat for every
 *  value a host call passes rather than keep the address it returned. */
[[gnu::noinline]] uint64_t *threadHostSlots();

/** The signal handler treats faults in [begin, end) as wasm's. Safe to call while code runs. */
void registerCode(const uint8_t *begin, size_t size);
void unregisterCode(const uint8_t *begin);

[[noreturn]] void raiseTrap(uint32_t code, uint32_t element = 0);

}  // namespace wasmo
