// Traps: compiled code raises them to the innermost entry frame (a sigsetjmp in callWasm), either
// from an out-of-line stub or from the SIGSEGV/SIGBUS handler on a guard-page fault.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

#include "runtime/vmcontext.h"

namespace wasmo {

/** Runs `f(vmctx, vals)`; returns the trap it raised, if any. Re-entrant. */
std::optional<TrapCode> callWasm(VMContext *vmctx, WasmFunction f, uint64_t *vals);

/** The signal handler treats faults in [begin, end) as wasm's. Safe to call while code runs. */
void registerCode(const uint8_t *begin, size_t size);
void unregisterCode(const uint8_t *begin);

[[noreturn]] void raiseTrap(uint32_t code);

}  // namespace wasmo
