// Traps: compiled code raises them to the innermost entry frame (a sigsetjmp in callWasm), either
// from an out-of-line stub or from the SIGSEGV/SIGBUS handler on a guard-page fault.
//
// Two stacks per thread: wasm runs on one of its own (exact bounds, so the prologues' limit check
// leaves a known margin), host functions run back on the native stack the entry came from (where
// koffi and V8 expect their callbacks to run). Re-entry from a host function continues the wasm
// stack below the frames of the wasm that called out.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "include/wasmo.h"
#include "runtime/interrupt.h"
#include "runtime/vmcontext.h"

namespace wasmo {

/**
 * Runs `f(vmctx, vals)` on the wasm stack, with the store's stack limit (read by prologues and loop
 * headers) set for this thread unless an interrupt is pending; returns the trap it raised, if any.
 * Wasm may use at most `maxStack` bytes of stack below the outermost entry (less when the thread's
 * wasm stack is smaller): past it a call is "call stack exhausted". Re-entrant.
 */
std::optional<Trap> callWasm(Interrupt &interrupt, uint64_t maxStack, VMContext *vmctx, WasmFunction f, uint64_t *vals);

/** From wasm: runs `callback()` on the native stack of the innermost entry. */
void callHost(wasmo_host_callback callback);

/** The signal handler treats faults in [begin, end) as wasm's. Safe to call while code runs. */
void registerCode(const uint8_t *begin, size_t size);
void unregisterCode(const uint8_t *begin);

[[noreturn]] void raiseTrap(uint32_t code, uint32_t element = 0);

}  // namespace wasmo
