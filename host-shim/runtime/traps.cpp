#include "runtime/traps.h"

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
thread_local uintptr_t threadStackLimit = 0;
thread_local bool altStackReady = false;

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
  if (altStackReady) return;
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
  // Wasm may use the thread's stack down to a margin above its end, left for C++ runtime calls
  // and signal delivery.
  pthread_attr_t attr;
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    void *addr;
    size_t size;
    pthread_attr_getstack(&attr, &addr, &size);
    pthread_attr_destroy(&attr);
    threadStackLimit = reinterpret_cast<uintptr_t>(addr) + 256 * 1024;
  }
  altStackReady = true;
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
    f(vmctx, vals);
    innermost = frame.prev;
    vmctx->stackLimit = savedLimit;
    return std::nullopt;
  }
  innermost = frame.prev;
  vmctx->stackLimit = savedLimit;
  return static_cast<TrapCode>(frame.trap);
}

}  // namespace wasmo
