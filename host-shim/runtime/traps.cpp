#include "runtime/traps.h"

#include "environ/module.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <mutex>

namespace wasmo {

const char *trapMessage(TrapCode code) {
  switch (code) {
    case TrapCode::Unreachable: return "unreachable";
    case TrapCode::IntegerDivideByZero: return "integer divide by zero";
    case TrapCode::IntegerOverflow: return "integer overflow";
    case TrapCode::InvalidConversion: return "invalid conversion to integer";
    case TrapCode::OutOfBoundsMemory: return "out of bounds memory access";
    case TrapCode::OutOfBoundsTable: return "out of bounds table access";
    case TrapCode::IndirectCallMismatch: return "indirect call type mismatch";
    case TrapCode::UninitializedElement: return "uninitialized element";
    case TrapCode::NullReference: return "null reference";
    case TrapCode::StackExhausted: return "call stack exhausted";
  }
  return "trap";
}

namespace {

struct EntryFrame {
  sigjmp_buf jb;
  EntryFrame *prev;
  uint32_t trap;
};
thread_local EntryFrame *innermost = nullptr;
thread_local bool threadReady = false;

// Wasm runs on a stack of its own, one per thread: the caller's stack is not ours to measure
// (koffi calls native code on a 2 MiB block of its own, whose bounds we cannot see), and a stack we
// own has exact bounds, so the prologue's limit check leaves a known margin for runtime calls.
constexpr size_t kWasmStackSize = size_t{32} << 20;
constexpr size_t kStackGuard = 64 * 1024;
constexpr size_t kStackMargin = 256 * 1024;  // for C++ helpers called from wasm and the handler
thread_local uint8_t *wasmStack = nullptr;
thread_local uintptr_t threadStackLimit = 0;

}  // namespace
}  // namespace wasmo

// callOnStack(vmctx, f, vals, stackTop): calls f(vmctx, vals) with rsp = stackTop (16-aligned),
// then returns on the caller's stack. A trap leaves by siglongjmp, which restores rsp itself.
extern "C" void wasmo_call_on_stack(wasmo::VMContext *, wasmo::WasmFunction, uint64_t *, void *);
asm(R"(
  .text
  .p2align 4
  .hidden wasmo_call_on_stack
  .type wasmo_call_on_stack, @function
wasmo_call_on_stack:
  push %rbp
  mov %rsp, %rbp
  mov %rcx, %rsp
  mov %rsi, %rax
  mov %rdx, %rsi
  call *%rax
  mov %rbp, %rsp
  pop %rbp
  ret
  .size wasmo_call_on_stack, .-wasmo_call_on_stack
)");

namespace wasmo {
namespace {

// Code ranges, read by the signal handler without locks: slots are claimed under a mutex and
// published with release stores; begin == 0 means free.
constexpr size_t kMaxCodeRanges = 4096;
struct CodeRange {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
};
CodeRange codeRanges[kMaxCodeRanges];
std::mutex codeRangesMutex;

bool inWasmCode(uintptr_t pc) {
  for (const CodeRange &r : codeRanges) {
    uintptr_t b = r.begin.load(std::memory_order_acquire);
    if (b != 0 && pc >= b && pc < r.end.load(std::memory_order_acquire)) return true;
  }
  return false;
}

struct sigaction previousSegv, previousBus;

void chain(const struct sigaction &prev, int sig, siginfo_t *info, void *ucontext) {
  if (prev.sa_flags & SA_SIGINFO) {
    prev.sa_sigaction(sig, info, ucontext);
  } else if (prev.sa_handler == SIG_DFL) {
    // Let the default action happen: restore it and return, so the faulting access repeats.
    signal(sig, SIG_DFL);
  } else if (prev.sa_handler != SIG_IGN) {
    prev.sa_handler(sig);
  }
}

void handleFault(int sig, siginfo_t *info, void *ucontext) {
  auto *uc = static_cast<ucontext_t *>(ucontext);
  uintptr_t pc = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  if (innermost != nullptr && inWasmCode(pc)) {
    // A load or store in wasm code hit the guard region: the only faults compiled code makes.
    // SIGSEGV stays blocked inside the handler; unblock it before leaving by siglongjmp, since
    // sigsetjmp(jb, 0) does not restore the mask.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
    innermost->trap = static_cast<uint32_t>(TrapCode::OutOfBoundsMemory);
    siglongjmp(innermost->jb, 1);
  }
  chain(sig == SIGSEGV ? previousSegv : previousBus, sig, info, ucontext);
}

void installHandlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = handleFault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previousSegv);
    sigaction(SIGBUS, &sa, &previousBus);
  });
}

// Node gives threads no alternate signal stack; without one a fault near the stack's end could
// not be handled at all.
void ensureThreadSetup() {
  if (threadReady) return;
  stack_t current;
  if (sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE)) {
    constexpr size_t kSize = 64 * 1024;
    void *mem = mmap(nullptr, kSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem != MAP_FAILED) {
      stack_t ss{};
      ss.ss_sp = mem;
      ss.ss_size = kSize;
      sigaltstack(&ss, nullptr);
    }
  }
  // Reserved, not committed: only the pages deep recursion touches cost memory. The lowest pages
  // stay inaccessible as a last line of defence behind the prologues' limit check.
  void *mem = mmap(nullptr, kWasmStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                   -1, 0);
  if (mem == MAP_FAILED) throw CompileError{WASMO_INTERNAL, "cannot map a stack for wasm"};
  mprotect(mem, kStackGuard, PROT_NONE);
  wasmStack = static_cast<uint8_t *>(mem);
  threadStackLimit = reinterpret_cast<uintptr_t>(wasmStack) + kStackGuard + kStackMargin;
  threadReady = true;
}

}  // namespace

[[noreturn]] void raiseTrap(uint32_t code) {
  innermost->trap = code;
  siglongjmp(innermost->jb, 1);
}

void registerCode(const uint8_t *begin, size_t size) {
  std::lock_guard<std::mutex> lock(codeRangesMutex);
  for (CodeRange &r : codeRanges) {
    if (r.begin.load(std::memory_order_relaxed) == 0) {
      r.end.store(reinterpret_cast<uintptr_t>(begin) + size, std::memory_order_release);
      r.begin.store(reinterpret_cast<uintptr_t>(begin), std::memory_order_release);
      return;
    }
  }
  std::abort();  // more live code blocks than the table holds: a resource bug, not a trap
}

void unregisterCode(const uint8_t *begin) {
  std::lock_guard<std::mutex> lock(codeRangesMutex);
  for (CodeRange &r : codeRanges) {
    if (r.begin.load(std::memory_order_relaxed) == reinterpret_cast<uintptr_t>(begin)) {
      r.begin.store(0, std::memory_order_release);
      return;
    }
  }
}

std::optional<TrapCode> callWasm(VMContext *vmctx, WasmFunction f, uint64_t *vals) {
  installHandlers();
  ensureThreadSetup();
  EntryFrame frame;
  frame.prev = innermost;
  frame.trap = 0;
  // An inner entry (wasm -> host -> wasm) keeps the outer limit: both run on this thread's stack.
  uintptr_t savedLimit = vmctx->stackLimit;
  vmctx->stackLimit = threadStackLimit;
  if (sigsetjmp(frame.jb, 0) == 0) {
    innermost = &frame;
    // Already on the wasm stack (wasm -> host -> wasm): stay there; else switch to its top.
    uintptr_t sp = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
    uintptr_t base = reinterpret_cast<uintptr_t>(wasmStack);
    if (sp > base && sp <= base + kWasmStackSize) f(vmctx, vals);
    else wasmo_call_on_stack(vmctx, f, vals, wasmStack + kWasmStackSize);
    innermost = frame.prev;
    vmctx->stackLimit = savedLimit;
    return std::nullopt;
  }
  innermost = frame.prev;
  vmctx->stackLimit = savedLimit;
  return static_cast<TrapCode>(frame.trap);
}

}  // namespace wasmo
