#include "runtime/traps.h"

#include "environ/fuel.h"
#include "environ/module.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace wasmo {

namespace {
const char *trapText(TrapCode code) {
  switch (code) {
    case TrapCode::Unreachable: return "unreachable";
    case TrapCode::IntegerDivideByZero: return "integer divide by zero";
    case TrapCode::IntegerOverflow: return "integer overflow";
    case TrapCode::InvalidConversion: return "invalid conversion to integer";
    case TrapCode::OutOfBoundsMemory: return "out of bounds memory access";
    case TrapCode::OutOfBoundsTable: return "out of bounds table access";
    case TrapCode::UndefinedElement: return "undefined element";
    case TrapCode::IndirectCallMismatch: return "indirect call type mismatch";
    case TrapCode::UninitializedElement: return "uninitialized element";
    case TrapCode::NullReference: return "null reference";
    case TrapCode::StackExhausted: return "call stack exhausted";
    case TrapCode::HostError: return "host function failed";
    case TrapCode::Interrupted: return "interrupted";
    case TrapCode::OutOfFuel: return kOutOfFuel;
  }
  return "trap";
}
}  // namespace

std::string trapMessage(Trap trap) {
  if (trap.code != TrapCode::UndefinedElement && trap.code != TrapCode::UninitializedElement) return trapText(trap.code);
  char text[64];
  std::snprintf(text, sizeof text, "%s %u", trapText(trap.code), trap.element);
  return text;
}

namespace {

struct EntryFrame {
  sigjmp_buf jb;
  EntryFrame *prev;
  uint32_t trap, element;
  uintptr_t wasmTop, nativeSp;  // the thread's, when this entry began
  uintptr_t trace[kMaxTraceFrames];  // see captureTrace
  uint32_t traceLength;
};
thread_local EntryFrame *innermost = nullptr;
thread_local bool threadReady = false;

// Reserved, not committed: a million frames of recursion fit, and only the pages touched cost memory.
constexpr size_t kWasmStackSize = size_t{256} << 20;
constexpr size_t kStackGuard = 64 * 1024;
constexpr size_t kStackMargin = 256 * 1024;  // for C++ helpers called from wasm and the handler
constexpr size_t kAltStackSize = 64 * 1024;
thread_local uintptr_t threadStackLimit = 0;
// Where the next entry's wasm frames begin (the stack's top, or below the frames of wasm that
// called a host function), and the native stack pointer host functions run below.
thread_local uintptr_t wasmTop = 0;
thread_local uintptr_t nativeSp = 0;
// Where the outermost entry's wasm frames begin: a store's wasm stack budget counts from there,
// through host functions that re-enter.
thread_local uintptr_t outermostTop = 0;

}  // namespace
}  // namespace wasmo

// wasmo_switch_stack(arg, fn, stackTop, saveSp): stores its own stack pointer (16-aligned down) in
// *saveSp, calls fn(arg) with rsp = stackTop (16-aligned down), and returns on the caller's stack.
// A trap leaves by siglongjmp, which restores rsp itself.
extern "C" void wasmo_switch_stack(void *arg, void (*fn)(void *), uintptr_t stackTop, uintptr_t *saveSp);
asm(R"(
  .text
  .p2align 4
  .hidden wasmo_switch_stack
  .type wasmo_switch_stack, @function
wasmo_switch_stack:
  push %rbp
  mov %rsp, %rbp
  mov %rsp, %rax
  and $-16, %rax
  mov %rax, (%rcx)
  and $-16, %rdx
  mov %rdx, %rsp
  call *%rsi
  mov %rbp, %rsp
  pop %rbp
  ret
  .size wasmo_switch_stack, .-wasmo_switch_stack
)");

namespace wasmo {
namespace {

// Code ranges, read by the signal handler without locks: slots are claimed under a mutex and
// published with release stores; begin == 0 means free. The table grows by chunks that are never
// freed, so the handler can walk it while another thread adds one (modules are freed by the
// garbage collector, so thousands may be alive at once).
struct CodeRange {
  std::atomic<uintptr_t> begin{0};
  std::atomic<uintptr_t> end{0};
};
constexpr size_t kRangesPerChunk = 4096;
constexpr size_t kMaxChunks = 1024;
struct CodeRangeChunk {
  CodeRange ranges[kRangesPerChunk];
};
std::atomic<CodeRangeChunk *> codeRangeChunks[kMaxChunks];
std::atomic<size_t> codeRangeChunkCount{0};
std::mutex codeRangesMutex;

template <class F>
bool anyRange(F &&f) {
  size_t n = codeRangeChunkCount.load(std::memory_order_acquire);
  for (size_t c = 0; c < n; c++) {
    for (CodeRange &r : codeRangeChunks[c].load(std::memory_order_acquire)->ranges) {
      if (f(r)) return true;
    }
  }
  return false;
}

bool inWasmCode(uintptr_t pc) {
  return anyRange([pc](const CodeRange &r) {
    uintptr_t b = r.begin.load(std::memory_order_acquire);
    return b != 0 && pc >= b && pc < r.end.load(std::memory_order_acquire);
  });
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

/**
 * Records in `frame` the code addresses of the wasm frames that were running: `pc` if not 0, then
 * the return addresses along the frame-pointer chain from `fp`. Compiled code keeps rbp as its frame
 * pointer (push rbp; mov rbp, rsp), and so does the runtime's C++ (-fno-omit-frame-pointer), so the
 * chain leads from a trap through the libcall that raised it, if any, to the wasm frames, and ends
 * at the C++ that entered wasm. Only links inside this entry's part of the wasm stack are followed,
 * each above the last, so a broken chain ends the walk rather than faulting. Async-signal-safe.
 */
void captureTrace(EntryFrame &frame, uintptr_t pc, uintptr_t fp) {
  uint32_t n = 0;
  if (pc != 0) frame.trace[n++] = pc;
  const uintptr_t low = threadStackLimit - kStackMargin;  // the wasm stack's end above its guard
  while (n < kMaxTraceFrames && fp >= low && fp % 8 == 0 && fp + 16 <= frame.wasmTop) {
    const auto *link = reinterpret_cast<const uintptr_t *>(fp);
    if (inWasmCode(link[1])) {
      frame.trace[n++] = link[1];
    } else if (n > 0) {
      break;
    }
    if (link[0] <= fp) break;
    fp = link[0];
  }
  frame.traceLength = n;
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
    // A frame too large for the margin below the stack limit probes its pages (the optimizing
    // compiler's code does) and meets the wasm stack's guard: the stack is exhausted.
    auto addr = reinterpret_cast<uintptr_t>(info->si_addr);
    uintptr_t guard = threadStackLimit - kStackMargin - kStackGuard;  // the wasm stack's lowest pages
    bool stackGuard = threadStackLimit != 0 && addr >= guard && addr < guard + kStackGuard;
    innermost->trap = static_cast<uint32_t>(stackGuard ? TrapCode::StackExhausted : TrapCode::OutOfBoundsMemory);
    captureTrace(*innermost, pc, static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RBP]));
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

// A thread's stacks, mapped on its first entry into wasm and unmapped when the thread ends, so a
// worker that exits gives its reservation back.
struct ThreadStacks {
  uint8_t *wasmStack = nullptr;
  uint8_t *altStack = nullptr;  // only when Node had none: ours is removed before it is unmapped
  ~ThreadStacks() {
    if (wasmStack != nullptr) munmap(wasmStack, kWasmStackSize);
    if (altStack != nullptr) {
      stack_t off{};
      off.ss_flags = SS_DISABLE;
      sigaltstack(&off, nullptr);
      munmap(altStack, kAltStackSize);
    }
  }
};
thread_local ThreadStacks threadStacks;

// Node gives threads no alternate signal stack; without one a fault near the stack's end could
// not be handled at all.
void ensureThreadSetup() {
  if (threadReady) return;
  stack_t current;
  if (sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE)) {
    void *mem = mmap(nullptr, kAltStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem != MAP_FAILED) {
      stack_t ss{};
      ss.ss_sp = mem;
      ss.ss_size = kAltStackSize;
      if (sigaltstack(&ss, nullptr) == 0) threadStacks.altStack = static_cast<uint8_t *>(mem);
      else munmap(mem, kAltStackSize);
    }
  }
  // Reserved, not committed: only the pages deep recursion touches cost memory. The lowest pages
  // stay inaccessible as a last line of defence behind the prologues' limit check.
  void *mem = mmap(nullptr, kWasmStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                   -1, 0);
  if (mem == MAP_FAILED) throw CompileError{WASMO_INTERNAL, "cannot map a stack for wasm"};
  mprotect(mem, kStackGuard, PROT_NONE);
  threadStacks.wasmStack = static_cast<uint8_t *>(mem);
  threadStackLimit = reinterpret_cast<uintptr_t>(mem) + kStackGuard + kStackMargin;
  wasmTop = reinterpret_cast<uintptr_t>(mem) + kWasmStackSize;
  threadReady = true;
}

}  // namespace

[[noreturn]] void raiseTrap(uint32_t code, uint32_t element) {
  innermost->trap = code;
  innermost->element = element;
  // A host function's failure is the embedder's error, which has no trace.
  if (code != static_cast<uint32_t>(TrapCode::HostError)) {
    captureTrace(*innermost, 0, reinterpret_cast<uintptr_t>(__builtin_frame_address(0)));
  }
  siglongjmp(innermost->jb, 1);
}

void registerCode(const uint8_t *begin, size_t size) {
  std::lock_guard<std::mutex> lock(codeRangesMutex);
  auto claim = [&](CodeRange &r) {
    if (r.begin.load(std::memory_order_relaxed) != 0) return false;
    r.end.store(reinterpret_cast<uintptr_t>(begin) + size, std::memory_order_release);
    r.begin.store(reinterpret_cast<uintptr_t>(begin), std::memory_order_release);
    return true;
  };
  if (anyRange(claim)) return;
  size_t n = codeRangeChunkCount.load(std::memory_order_relaxed);
  if (n == kMaxChunks) throw CompileError{WASMO_INTERNAL, "too many modules alive at once"};
  auto *chunk = new CodeRangeChunk;
  claim(chunk->ranges[0]);
  codeRangeChunks[n].store(chunk, std::memory_order_release);
  codeRangeChunkCount.store(n + 1, std::memory_order_release);
}

void unregisterCode(const uint8_t *begin) {
  std::lock_guard<std::mutex> lock(codeRangesMutex);
  anyRange([begin](CodeRange &r) {
    if (r.begin.load(std::memory_order_relaxed) != reinterpret_cast<uintptr_t>(begin)) return false;
    r.begin.store(0, std::memory_order_release);
    return true;
  });
}

namespace {

struct WasmCall {
  VMContext *vmctx;
  WasmFunction f;
  uint64_t *vals;
};
void enterWasm(void *p) {
  auto *c = static_cast<WasmCall *>(p);
  c->f(c->vmctx, c->vals);
}

void enterHost(void *callback) { reinterpret_cast<wasmo_host_callback>(callback)(); }

void leave(EntryFrame &frame) {
  innermost = frame.prev;
  wasmTop = frame.wasmTop;
  nativeSp = frame.nativeSp;
}

}  // namespace

std::optional<Trap> callWasm(Interrupt &interrupt, uint64_t maxStack, VMContext *vmctx, WasmFunction f, uint64_t *vals) {
  installHandlers();
  ensureThreadSetup();
  if (innermost == nullptr) outermostTop = wasmTop;
  EntryFrame frame;
  frame.prev = innermost;
  frame.trap = 0;
  frame.element = 0;
  frame.traceLength = 0;
  frame.wasmTop = wasmTop;
  frame.nativeSp = nativeSp;
  uintptr_t limit = threadStackLimit;
  if (maxStack < outermostTop - threadStackLimit) limit = outermostTop - maxStack;
  interrupt.enter(limit);
  WasmCall call{vmctx, f, vals};
  if (sigsetjmp(frame.jb, 0) == 0) {
    innermost = &frame;
    wasmo_switch_stack(&call, enterWasm, wasmTop, &nativeSp);
    leave(frame);
    return std::nullopt;
  }
  leave(frame);
  Trap trap{static_cast<TrapCode>(frame.trap), frame.element, {frame.trace, frame.trace + frame.traceLength}};
  // Deep recursion committed the pages it touched; give them back once the outermost entry is done.
  if (trap.code == TrapCode::StackExhausted && innermost == nullptr) {
    madvise(threadStacks.wasmStack + kStackGuard, kWasmStackSize - kStackGuard - (size_t{1} << 20), MADV_DONTNEED);
  }
  return trap;
}

void callHost(wasmo_host_callback callback) {
  uintptr_t savedTop = wasmTop;
  wasmo_switch_stack(reinterpret_cast<void *>(callback), enterHost, nativeSp, &wasmTop);
  wasmTop = savedTop;
}

}  // namespace wasmo
