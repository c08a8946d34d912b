#include "runtime/traps.h"

#include "environ/fuel.h"
#include "environ/module.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include <atomic>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <variant>

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

// A native call running wasm (starting or resuming an activation): where traps go.
struct EntryFrame {
  sigjmp_buf jb;
  uint32_t trap, element;
  uintptr_t wasmTop;  // where the running activation's frames begin
  uintptr_t trace[kMaxTraceFrames];  // see captureTrace
  uint32_t traceLength;
};

// An activation's record, at the top of its part of the wasm stack (its frames begin below it).
struct Activation {
  // Its stack pointer while suspended in a host call (saved by wasmo_host_call), and the one of the
  // native call running it (saved by wasmo_start and wasmo_resume: where it exits to).
  uintptr_t wasmSp, nativeSp;
  Activation *outer;  // the suspended activation whose host function started this one
  uintptr_t outermostTop;  // where the outermost activation's frames begin: stack budgets count from there
  uintptr_t limit;  // the store's stack limit while it runs
  Interrupt *interrupt;
  const void *store;  // whose call it is (startWasm)
  VMContext *vmctx;
  WasmFunction f;
  uint64_t *vals;
  void *owner;
  // While suspended: the host function called and its values (wasmo_host_call), and the token that
  // names this suspension to resumeWasm.
  VMContext *hostCtx;
  uint64_t *hostVals;
  uint32_t token;
};

// Reserved, not committed: a million frames of recursion fit, and only the pages touched cost memory.
constexpr size_t kWasmStackSize = size_t{256} << 20;
constexpr size_t kStackGuard = 64 * 1024;
constexpr size_t kStackMargin = 256 * 1024;  // for C++ helpers called from wasm and the handler
constexpr size_t kAltStackSize = 64 * 1024;

// A thread's state, in one thread-local (each is a call in a shared library).
struct ThreadState {
  EntryFrame *entry;  // the native call running wasm now, if any
  Activation *activation;  // the innermost activation: running, or suspended in a host call
  uintptr_t stackLimit;  // the wasm stack's lowest usable address (0 before the thread's first entry)
  uintptr_t stackTop;
  uint32_t suspensions;  // counts host calls, for their tokens
  // The host slots (wasmo_host_slots): values cross to the embedder there, at an address that never
  // changes, so the embedder makes its view of them once rather than on every call.
  uint64_t hostSlots[WASMO_HOST_TOKEN + 1];
};
thread_local ThreadState thread;

// What a native call running an activation gets back from it when it does not trap.
enum : uintptr_t { kFinished = 0, kHostCall = 1 };
// The assembly below finds the stack pointers there.
static_assert(offsetof(Activation, wasmSp) == 0 && offsetof(Activation, nativeSp) == 8);

}  // namespace
}  // namespace wasmo

// Entering and leaving an activation. The processor predicts each `ret` from a stack of the return
// addresses of the calls before it, so every switch of stacks that returns where no call was made
// mispredicts the returns after it (up to JS: ~100 ns per call once). So entering is a call
// (wasmo_start, wasmo_resume) that the one return of the native call running the activation
// matches, and the wasm side of a host call is entered by a jump, not a return: a host call costs
// one mispredicted return (into the exit pad), a call without host calls none.
//
// wasmo_start(act, vmctx, f, vals) and wasmo_resume(act) save the callee-saved registers on the
// native stack below the address of the exit pad, and that stack pointer in act->nativeSp. Then
// wasmo_start calls f(vmctx, vals) on the wasm stack below `act`; when f returns it takes the
// native stack pointer of the native call running the activation then, and leaves by the exit pad
// with kFinished. wasmo_resume goes back into the wasm suspended in wasmo_host_call (its stack
// pointer in act->wasmSp). A trap leaves wasm by siglongjmp, which restores the native stack pointer
// itself.
extern "C" uintptr_t wasmo_start(void *act, wasmo::VMContext *vmctx, wasmo::WasmFunction f, uint64_t *vals);
extern "C" uintptr_t wasmo_resume(void *act);
// Every host function's code (FuncInstance::ref.code), called by wasm as f(vmctx, vals): saves the
// wasm's callee-saved registers, has wasmo_suspend_host_call pass the arguments and name the
// suspension, and leaves the activation by the exit pad with kHostCall.
extern "C" void wasmo_host_call(wasmo::VMContext *vmctx, uint64_t *vals);
asm(R"(
  .macro wasmo_save_registers
  push %rbp
  push %rbx
  push %r12
  push %r13
  push %r14
  push %r15
  .endm
  .macro wasmo_restore_registers
  pop %r15
  pop %r14
  pop %r13
  pop %r12
  pop %rbx
  pop %rbp
  .endm

  .text
  .p2align 4
  .hidden wasmo_start
  .type wasmo_start, @function
wasmo_start:
  wasmo_save_registers
  lea wasmo_exit_pad(%rip), %rax
  push %rax
  mov %rsp, 8(%rdi)
  mov %rdi, %rbx
  mov %rdi, %rsp
  xor %ebp, %ebp  # ends the frame-pointer chain (captureTrace)
  mov %rsi, %rdi
  mov %rcx, %rsi
  call *%rdx
  mov 8(%rbx), %rsp  # rbx is callee-saved: still `act`
  add $8, %rsp  # past the exit pad's address: this return matches wasmo_start's call
  xor %eax, %eax  # kFinished
  jmp wasmo_exit_pad
  .size wasmo_start, .-wasmo_start

  .p2align 4
  .hidden wasmo_resume
  .type wasmo_resume, @function
wasmo_resume:
  wasmo_save_registers
  lea wasmo_exit_pad(%rip), %rax
  push %rax
  mov %rsp, 8(%rdi)
  mov (%rdi), %rsp
  add $8, %rsp  # wasmo_host_call's alignment slot
  wasmo_restore_registers
  pop %rcx  # the return address into the wasm (rcx is caller-saved)
  jmp *%rcx
  .size wasmo_resume, .-wasmo_resume

  .p2align 4
  .type wasmo_exit_pad, @function
wasmo_exit_pad:
  wasmo_restore_registers
  ret
  .size wasmo_exit_pad, .-wasmo_exit_pad

  .p2align 4
  .globl wasmo_host_call  # store.cpp's host functions' code
  .hidden wasmo_host_call
  .type wasmo_host_call, @function
wasmo_host_call:
  wasmo_save_registers
  sub $8, %rsp  # aligns the stack for the call
  call wasmo_suspend_host_call
  mov %rsp, (%rax)
  mov 8(%rax), %rsp
  mov $1, %eax  # kHostCall
  ret  # into the exit pad
  .size wasmo_host_call, .-wasmo_host_call
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
  const uintptr_t low = thread.stackLimit - kStackMargin;  // the wasm stack's end above its guard
  while (n < kMaxTraceFrames && fp >= low && fp % 8 == 0 && fp + 16 <= frame.wasmTop) {
    const auto *link = reinterpret_cast<const uintptr_t *>(fp);
    // A return address follows its call, which may end the code (a call that does not return,
    // last in a function): the call is at the address before it, as in frameAt.
    if (inWasmCode(link[1] - 1)) {
      frame.trace[n++] = link[1];
    } else if (n > 0) {
      break;
    }
    if (link[0] <= fp) break;
    fp = link[0];
  }
  frame.traceLength = n;
}

// The DS segment prefix (no effect in 64-bit mode) marks a memory access of optimized code that
// meters fuel: it holds the fuel left in r11, not yet written to the store.
constexpr uint8_t kFuelAtFaultPrefix = 0x3e;
constexpr int kFuelAtFaultRegister = REG_R11;

void handleFault(int sig, siginfo_t *info, void *ucontext) {
  auto *uc = static_cast<ucontext_t *>(ucontext);
  uintptr_t pc = static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
  EntryFrame *entry = thread.entry;
  if (entry != nullptr && inWasmCode(pc)) {
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
    uintptr_t guard = thread.stackLimit - kStackMargin - kStackGuard;  // the wasm stack's lowest pages
    bool stackGuard = addr >= guard && addr < guard + kStackGuard;
    // An access of optimized code that meters fuel holds the fuel left in a register rather than in
    // the store (compiler/optimizing/optimizing.cpp markedLoad): its trap leaves that.
    if (!stackGuard && *reinterpret_cast<const uint8_t *>(pc) == kFuelAtFaultPrefix) {
      *thread.activation->vmctx->fuel = static_cast<int64_t>(uc->uc_mcontext.gregs[kFuelAtFaultRegister]);
    }
    entry->trap = static_cast<uint32_t>(stackGuard ? TrapCode::StackExhausted : TrapCode::OutOfBoundsMemory);
    captureTrace(*entry, pc, static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RBP]));
    siglongjmp(entry->jb, 1);
  }
  chain(sig == SIGSEGV ? previousSegv : previousBus, sig, info, ucontext);
}

void installHandlers() {
  // A static's guarded initialization, on the path of every call: it makes no thread-local look-up
  // (std::call_once makes two).
  static const bool installed = [] {
    struct sigaction sa {};
    sa.sa_sigaction = handleFault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &previousSegv);
    sigaction(SIGBUS, &sa, &previousBus);
    return true;
  }();
  (void)installed;
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
void ensureThreadSetup(ThreadState &t) {
  if (t.stackLimit != 0) return;
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
  t.stackLimit = reinterpret_cast<uintptr_t>(mem) + kStackGuard + kStackMargin;
  t.stackTop = reinterpret_cast<uintptr_t>(mem) + kWasmStackSize;
}

}  // namespace

[[noreturn]] void raiseTrap(uint32_t code, uint32_t element) {
  EntryFrame &entry = *thread.entry;
  entry.trap = code;
  entry.element = element;
  // A host function's failure is the embedder's error, which has no trace.
  if (code != static_cast<uint32_t>(TrapCode::HostError)) {
    captureTrace(entry, 0, reinterpret_cast<uintptr_t>(__builtin_frame_address(0)));
  }
  siglongjmp(entry.jb, 1);
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

// Runs `act` until it finishes, traps or calls a host function: from its start, or (`resume`) from
// its suspended host call.
WasmExit run(ThreadState &t, Activation &act, bool resume) {
  EntryFrame frame;
  frame.trap = 0;
  frame.element = 0;
  frame.traceLength = 0;
  frame.wasmTop = reinterpret_cast<uintptr_t>(&act);
  act.interrupt->enter(act.limit);
  WasmExit exit{act.owner, act.vals, false, std::nullopt};
  if (sigsetjmp(frame.jb, 0) == 0) {
    t.entry = &frame;
    uintptr_t why = resume ? wasmo_resume(&act) : wasmo_start(&act, act.vmctx, act.f, act.vals);
    t.entry = nullptr;
    if (why == kHostCall) {
      exit.hostCall = true;
    } else {
      t.activation = act.outer;
    }
    return exit;
  }
  t.entry = nullptr;
  t.activation = act.outer;
  exit.trap = Trap{static_cast<TrapCode>(frame.trap), frame.element, {frame.trace, frame.trace + frame.traceLength}};
  // Deep recursion committed the pages it touched; give them back once the outermost activation is done.
  if (exit.trap->code == TrapCode::StackExhausted && t.activation == nullptr) {
    madvise(threadStacks.wasmStack + kStackGuard, kWasmStackSize - kStackGuard - (size_t{1} << 20), MADV_DONTNEED);
  }
  return exit;
}

}  // namespace

WasmExit startWasm(Interrupt &interrupt, uint64_t maxStack, VMContext *vmctx, WasmFunction f, uint64_t *vals,
                   const void *store, void *owner) {
  installHandlers();
  ThreadState &t = thread;
  ensureThreadSetup(t);
  // Wasm never calls into native code that enters wasm: a host function runs after its activation
  // is suspended and the native call that ran it has returned.
  if (t.entry != nullptr) throw CompileError{WASMO_INTERNAL, "wasm entered while wasm runs"};
  Activation *outer = t.activation;
  // Below the suspended activation's saved registers (wasmo_host_call pushed them below its stack pointer).
  uintptr_t top = outer != nullptr ? outer->wasmSp : t.stackTop;
  auto *act = reinterpret_cast<Activation *>((top - sizeof(Activation)) & ~uintptr_t{15});
  act->outer = outer;
  act->outermostTop = outer != nullptr ? outer->outermostTop : top;
  act->limit = t.stackLimit;
  if (maxStack < act->outermostTop - t.stackLimit) act->limit = act->outermostTop - maxStack;
  act->interrupt = &interrupt;
  act->store = store;
  act->vmctx = vmctx;
  act->f = f;
  act->vals = vals;
  act->owner = owner;
  t.activation = act;
  return run(t, *act, false);
}

std::variant<WasmExit, const char *> resumeWasm(const void *store, uint32_t token, bool ok) {
  ThreadState &t = thread;
  if (t.entry != nullptr) return "a host function call resumed while wasm runs";
  Activation *act = t.activation;
  while (act != nullptr && act->token != token) act = act->outer;
  if (act == nullptr) return "no suspended host function call has this token (it ended, or is another thread's)";
  if (act->store != store) return "the host function call of this token is another store's";
  // The activations nested in it were abandoned: their native calls' callers, nested in the caller
  // of this one, left without resuming them (as when a JS execution is terminated). Their frames are
  // dropped with no code to run, and their stack is reused.
  t.activation = act;
  if (!ok) {
    // The host function failed: its call ends with a host error, without the wasm running again.
    t.activation = act->outer;
    return WasmExit{act->owner, act->vals, false, Trap{TrapCode::HostError, 0, {}}};
  }
  hostCallResults(act->hostCtx, t.hostSlots, act->hostVals);
  return run(t, *act, true);
}

uint64_t *threadHostSlots() { return thread.hostSlots; }

}  // namespace wasmo

// Called by wasmo_host_call on the wasm stack: the activation, for its stack pointers.
extern "C" [[gnu::visibility("hidden")]] void *wasmo_suspend_host_call(wasmo::VMContext *vmctx, uint64_t *vals) {
  wasmo::ThreadState &t = wasmo::thread;
  wasmo::hostCallArgs(vmctx, vals, t.hostSlots);
  wasmo::Activation &act = *t.activation;
  act.hostCtx = vmctx;
  act.hostVals = vals;
  act.token = ++t.suspensions;
  t.hostSlots[WASMO_HOST_TOKEN] = act.token;
  return &act;
}
