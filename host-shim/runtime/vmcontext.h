// The VMContext: the one structure compiled code reaches the instance through (its "GOT"), so that
// code is instance-independent. Compiled code addresses its fields by the offsets below.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace wasmo {

struct VMContext;

/** Compiled functions, and the entry from C: `vals` holds the arguments, then the results. */
using WasmFunction = void (*)(VMContext *vmctx, uint64_t *vals);

/**
 * A function as code sees it: what a funcref value points to, so a reference is the function's
 * identity in the store (spec 4.2.6). `vmctx` is the owning instance's, or a host function's record.
 */
struct VMFuncRef {
  WasmFunction code = nullptr;
  VMContext *vmctx = nullptr;
  uint32_t typeId = 0;  // canonical: equal types have equal ids across modules (runtime/types.h)
  uint32_t addr = 0;    // the function's store address
};

/** A memory as code sees it: the base never moves (memories grow in place), the size does. */
struct VMMemory {
  uint8_t *base = nullptr;
  uint64_t pages = 0;
  uint64_t length = 0;  // pages in bytes, which explicitly bounds-checked code compares with
};

/**
 * A table as code sees it. Elements are reference values: a VMFuncRef pointer for funcref, the
 * embedder's externref handle for externref; 0 is null either way.
 */
struct VMTable {
  uint64_t *elems = nullptr;
  uint64_t size = 0;
};

/** Runtime functions compiled code calls; the first argument is always the caller's VMContext. */
enum class Libcall : uint32_t {
  RaiseTrap,    // (code, element index for the element traps): never returns
  MemoryGrow,   // (mem, delta) -> old size or -1
  TableGet,     // (table, i) -> ref
  TableSet,     // (table, i, ref)
  TableGrow,    // (table, ref, n) -> old size or -1
  TableFill,    // (table, i, ref, n)
  TableCopy,    // (dst, src, d, s, n)
  TableInit,    // (elem, table, d, s, n)
  ElemDrop,     // (elem)
  MemoryInit,   // (data, d, s, n)
  DataDrop,     // (data)
  MemoryCopy,   // (d, s, n)
  MemoryFill,   // (d, val, n)
  TierUp,       // (defined function index): its counter ran out (runtime/tier_up.h)
  Count
};

struct VMContext {
  uint8_t *memoryBase = nullptr;  // memory 0 (2.0 has at most one memory)
  VMMemory *memory = nullptr;
  uintptr_t *stackLimit = nullptr;  // prologues and loop headers compare rsp with this (runtime/interrupt.h)
  int64_t *fuel = nullptr;          // the store's fuel left, which fuel-metered code charges (environ/fuel.h)
  void *const *libcalls = nullptr;  // indexed by Libcall
  uint64_t **globals = nullptr;     // a pointer per global: imported globals live elsewhere
  VMFuncRef **funcs = nullptr;      // each function of the module's index space
  VMTable **tables = nullptr;
  const uint32_t *typeIds = nullptr;  // canonical id of each type of the module
  // Tiered code only (runtime/tier_up.h): per defined function, the instance's countdown to
  // tier-up, and the module's optimized entry (null until there is one).
  int32_t *tierCounters = nullptr;
  void *const *tierCode = nullptr;
};

inline constexpr int32_t kOffMemoryBase = offsetof(VMContext, memoryBase);
inline constexpr int32_t kOffMemory = offsetof(VMContext, memory);
inline constexpr int32_t kOffStackLimit = offsetof(VMContext, stackLimit);
inline constexpr int32_t kOffFuel = offsetof(VMContext, fuel);
inline constexpr int32_t kOffLibcalls = offsetof(VMContext, libcalls);
inline constexpr int32_t kOffGlobals = offsetof(VMContext, globals);
inline constexpr int32_t kOffFuncs = offsetof(VMContext, funcs);
inline constexpr int32_t kOffTables = offsetof(VMContext, tables);
inline constexpr int32_t kOffTypeIds = offsetof(VMContext, typeIds);
inline constexpr int32_t kOffTierCounters = offsetof(VMContext, tierCounters);
inline constexpr int32_t kOffTierCode = offsetof(VMContext, tierCode);
inline constexpr int32_t kOffFuncCode = offsetof(VMFuncRef, code);
inline constexpr int32_t kOffFuncVmctx = offsetof(VMFuncRef, vmctx);
inline constexpr int32_t kOffFuncTypeId = offsetof(VMFuncRef, typeId);
inline constexpr int32_t kOffMemoryPages = offsetof(VMMemory, pages);
inline constexpr int32_t kOffMemoryLength = offsetof(VMMemory, length);
inline constexpr int32_t kOffTableElems = offsetof(VMTable, elems);
inline constexpr int32_t kOffTableSize = offsetof(VMTable, size);

/** Trap codes, raised by stubs in compiled code and by the signal handler; texts as the testsuite's. */
enum class TrapCode : uint32_t {
  Unreachable,
  IntegerDivideByZero,
  IntegerOverflow,
  InvalidConversion,
  OutOfBoundsMemory,
  OutOfBoundsTable,
  UndefinedElement,
  IndirectCallMismatch,
  UninitializedElement,
  NullReference,
  StackExhausted,
  HostError,  // a host function failed; the embedder holds its error
  Interrupted,  // a loop header found the stack limit raised (runtime/interrupt.h)
  OutOfFuel,    // a segment's charge took the store's fuel below 0 (environ/fuel.h)
};
/** The innermost frames a trap's backtrace keeps (lib/errors.ts MAX_TRACE_FRAMES). */
inline constexpr size_t kMaxTraceFrames = 100;

/**
 * A trap as it reaches the entry: for the element traps, the index that was called; the code
 * addresses of the wasm frames that were running, innermost first (where the trap was raised, then
 * return addresses).
 */
struct Trap {
  TrapCode code;
  uint32_t element = 0;
  std::vector<uintptr_t> pcs = {};
};
/** The testsuite's text, "uninitialized element 2" included, as the reference interpreter's. */
std::string trapMessage(Trap trap);

}  // namespace wasmo
