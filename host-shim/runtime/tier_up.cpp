#include "runtime/tier_up.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <thread>

#include <sys/resource.h>
#include <unistd.h>

#include "compiler/optimizing/optimizing.h"
#include "runtime/instance.h"

namespace wasmo {

namespace {

/**
 * The background compiler: one thread, started on the first request, that compiles queued
 * functions one at a time. A job holds its module's TierUp only weakly until it starts, so a module
 * freed meanwhile is skipped; while it compiles it holds it, and with it the module's code, never
 * an instance. The state is never destroyed (glibc's pthread_cond_destroy at exit would wait for the
 * sleeping thread); at exit (wasmo_tier_up_stop, from the embedder's exit hook, else an atexit
 * handler) the thread stops taking jobs and exit waits for the function being compiled, if any, at
 * most a few seconds, so LLVM's globals are not destroyed under it.
 */
struct Background {
  std::mutex mutex;
  std::condition_variable wake, idle;
  std::deque<std::pair<std::weak_ptr<TierUp>, uint32_t>> queue;
  bool started = false, stopping = false, busy = false;

  void push(std::weak_ptr<TierUp> tierUp, uint32_t defined) {
    std::lock_guard<std::mutex> lock(mutex);
    queue.emplace_back(std::move(tierUp), defined);
    if (!started) {
      started = true;
      std::thread([this] { run(); }).detach();
      std::atexit([] { instance().stop(); });
    }
    wake.notify_one();
  }

  void run() {
    // Below the guest's threads: on a machine with few cores the compiler must not slow down the
    // program it is meant to speed up (Linux's nice value is per thread).
    setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
    std::unique_lock<std::mutex> lock(mutex);
    for (;;) {
      wake.wait(lock, [&] { return stopping || !queue.empty(); });
      if (stopping) return;
      auto [weak, defined] = std::move(queue.front());
      queue.pop_front();
      std::shared_ptr<TierUp> tierUp = weak.lock();
      if (tierUp == nullptr) continue;
      busy = true;
      lock.unlock();
      tierUp->compile(defined);
      tierUp.reset();
      lock.lock();
      busy = false;
      idle.notify_all();
    }
  }

  void stop() {
    std::unique_lock<std::mutex> lock(mutex);
    if (stopping) return;
    stopping = true;
    wake.notify_one();
    idle.wait_for(lock, std::chrono::seconds(5), [&] { return !busy; });
  }

  static Background &instance() {
    static Background *background = new Background;
    return *background;
  }
};

}  // namespace

void stopTierUp() { Background::instance().stop(); }

TierUp::TierUp(std::optional<Module> module, std::span<const uint8_t> wasm, uint32_t defined, bool meterFuel, bool boundsChecks)
    : module_(std::move(module)), source_(module_ ? std::vector<uint8_t>() : std::vector<uint8_t>(wasm.begin(), wasm.end())),
      canCompile_(module_ || !source_.empty()), meterFuel_(meterFuel), boundsChecks_(boundsChecks), entries_(new std::atomic<void *>[defined]),
      states_(defined, State::Counting) {
  static_assert(sizeof(std::atomic<void *>) == sizeof(void *) && std::atomic<void *>::is_always_lock_free,
                "code reads the entries as plain pointers");
  for (uint32_t k = 0; k < defined; k++) entries_[k].store(nullptr, std::memory_order_relaxed);
}

TierUp::~TierUp() = default;

void TierUp::loaded(uint32_t defined, uintptr_t entry) {
  std::lock_guard<std::mutex> lock(mutex_);
  entries_[defined].store(reinterpret_cast<void *>(entry), std::memory_order_relaxed);
  states_[defined] = State::Optimized;
}

void TierUp::request(uint32_t defined, bool wait) noexcept {
  try {
    std::unique_lock<std::mutex> lock(mutex_);
    if (defined >= states_.size()) return;
    if (states_[defined] == State::Counting) {
      if (!canCompile_) {
        states_[defined] = State::Refused;
        return;
      }
      states_[defined] = State::Queued;
      Background::instance().push(weak_from_this(), defined);
    }
    if (wait) changed_.wait(lock, [&] { return states_[defined] != State::Queued; });
  } catch (...) {
    // Out of memory or threads: the function stays on singlepass code.
  }
}

namespace {
// WASMO_TIER_UP_LOG=1: a line on stderr per function compiled or refused, with the time it took.
const bool kLog = [] {
  const char *v = std::getenv("WASMO_TIER_UP_LOG");
  return v != nullptr && std::strcmp(v, "1") == 0;
}();
}  // namespace

void TierUp::compile(uint32_t defined) {
  std::unique_ptr<CodeMemory> code;
  uint32_t entry = 0, entrySize = 0, cpuFeatures = 0;
  auto started = std::chrono::steady_clock::now();
  std::string refusal;
  size_t bodyBytes = 0;
  try {
    if (!module_) {
      // Only this thread reads module_ once the TierUp exists.
      Module decoded = decodeModule(source_);
      if (decoded.bodies.size() != states_.size()) {
        throw CompileError{WASMO_INTERNAL, "the artifact's module binary does not match its code"};
      }
      module_ = std::move(decoded);
      source_ = {};
    }
    bodyBytes = module_->bodies[defined].end - module_->bodies[defined].begin;
    if (bodyBytes > kMaxTierUpBodyBytes) throw CompileError{WASMO_UNSUPPORTED, "its body is too large to pay back its compile time"};
    CompiledCode compiled = compileFunctionOptimizing(*module_, defined, meterFuel_, boundsChecks_);
    entrySize = compiled.entrySizes.at(0);
    cpuFeatures = compiled.cpuFeatures;
    code = CodeMemory::create(compiled.code.size(), [&](std::span<uint8_t> out) {
      std::memcpy(out.data(), compiled.code.data(), compiled.code.size());
    });
    code->publish(0, compiled.code.size());
    entry = compiled.functionOffsets[0];
  } catch (const CompileError &e) {
    // What the optimizing compiler cannot compile, or no memory: it stays on singlepass code.
    refusal = e.message;
    code.reset();
  } catch (...) {
    refusal = "out of memory";
    code.reset();
  }
  if (kLog) {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    uint32_t func = (module_ ? module_->importedFuncs : 0) + defined;
    if (code) std::fprintf(stderr, "wasmo: tier-up: function %u optimized in %.2f ms (%zu bytes)\n", func, ms, bodyBytes);
    else std::fprintf(stderr, "wasmo: tier-up: function %u refused: %s\n", func, refusal.c_str());
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (code == nullptr) {
    states_[defined] = State::Refused;
  } else {
    auto *at = reinterpret_cast<WasmFunction>(const_cast<uint8_t *>(code->base()) + entry);
    auto base = reinterpret_cast<uintptr_t>(code->base());
    FunctionRange range{base, base + code->bytes().size(), base + entry, base + entry + entrySize, defined};
    ranges_.insert(std::ranges::upper_bound(ranges_, range.begin, {}, &FunctionRange::begin), range);
    regions_.push_back({std::move(code), Compiled{defined, {}, entry, entrySize, cpuFeatures}});
    regions_.back().what.code = regions_.back().code->bytes();
    entries_[defined].store(reinterpret_cast<void *>(at), std::memory_order_release);
    for (Instance *inst : instances_) {
      std::atomic_ref<WasmFunction>(inst->funcs[module_->importedFuncs + defined]->code).store(at, std::memory_order_release);
    }
    states_[defined] = State::Optimized;
  }
  changed_.notify_all();
}

void TierUp::registerInstance(Instance &inst) {
  std::lock_guard<std::mutex> lock(mutex_);
  instances_.push_back(&inst);
  uint32_t imported = inst.compiled->module.importedFuncs;
  for (uint32_t k = 0; k < states_.size(); k++) {
    if (void *at = entries_[k].load(std::memory_order_relaxed)) {
      std::atomic_ref<WasmFunction>(inst.funcs[imported + k]->code).store(reinterpret_cast<WasmFunction>(at), std::memory_order_release);
      // Spent (pinned at -1, see the singlepass prologue): a direct call from singlepass code jumps
      // on at once. No code of the instance runs yet, so a plain store does.
      inst.tierCounters[k] = -1;
    }
  }
}

void TierUp::unregisterInstance(Instance &inst) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::erase(instances_, &inst);
}

std::optional<std::variant<uint32_t, OptimizingEntry>> TierUp::functionAt(uintptr_t pc) {
  std::lock_guard<std::mutex> lock(mutex_);
  return functionIn(ranges_, pc);
}

std::vector<TierUp::Compiled> TierUp::compiled() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Compiled> out;
  for (const Region &r : regions_) out.push_back(r.what);
  std::ranges::sort(out, {}, &Compiled::func);
  return out;
}

std::vector<bool> TierUp::optimized() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<bool> out;
  for (State state : states_) out.push_back(state == State::Optimized);
  return out;
}

TierUp::Stats TierUp::stats() {
  std::lock_guard<std::mutex> lock(mutex_);
  Stats s;
  for (State state : states_) {
    if (state == State::Optimized) s.optimized++;
    if (state == State::Refused) s.refused++;
    if (state == State::Queued) s.pending++;
  }
  return s;
}

bool TierUp::waitIdle(uint32_t timeoutMs) {
  std::unique_lock<std::mutex> lock(mutex_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeoutMs),
                           [&] { return std::ranges::find(states_, State::Queued) == states_.end(); });
}

}  // namespace wasmo
