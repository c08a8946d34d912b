// The VMContext: the one structure compiled code reaches the instance through (its "GOT"), so that
// code is instance-independent. Compiled code addresses its fields by the offsets below.
#pragma once
#include <cstddef>
#include <cstdint>

namespace wasmo {

struct VMContext;

/** Compiled functions, and the entry from C: `vals` holds the arguments, then the results. */
using WasmFunction = void (*)(VMContext *vmctx, uint64_t *vals);

struct VMContext {
  uint8_t *memoryBase = nullptr;  // memory 0 (2.0 has at most one memory)
  uint64_t memoryPages = 0;
  uintptr_t stackLimit = 0;       // prologues compare rsp with this: below it, "call stack exhausted"
  [[noreturn]] void (*raiseTrap)(uint32_t code) = nullptr;
  int32_t (*memoryGrow)(VMContext *vmctx, uint32_t delta) = nullptr;
  uint64_t **globals = nullptr;   // a pointer per global: imported globals live elsewhere
  WasmFunction *funcs = nullptr;  // code of each function in the module's index space
};

inline constexpr int32_t kOffMemoryBase = offsetof(VMContext, memoryBase);
inline constexpr int32_t kOffMemoryPages = offsetof(VMContext, memoryPages);
inline constexpr int32_t kOffStackLimit = offsetof(VMContext, stackLimit);
inline constexpr int32_t kOffRaiseTrap = offsetof(VMContext, raiseTrap);
inline constexpr int32_t kOffMemoryGrow = offsetof(VMContext, memoryGrow);
inline constexpr int32_t kOffGlobals = offsetof(VMContext, globals);
inline constexpr int32_t kOffFuncs = offsetof(VMContext, funcs);

/** Trap codes, raised by stubs in compiled code and by the signal handler; texts as the testsuite's. */
enum class TrapCode : uint32_t {
  Unreachable,
  IntegerDivideByZero,
  IntegerOverflow,
  InvalidConversion,
  OutOfBoundsMemory,
  OutOfBoundsTable,
  IndirectCallMismatch,
  UninitializedElement,
  NullReference,
  StackExhausted,
};
const char *trapMessage(TrapCode code);

}  // namespace wasmo
