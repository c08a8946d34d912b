#include "runtime/interrupt.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace wasmo {

void Interrupt::enter(uintptr_t threadLimit) {
  // Write the limit first, then look for a request: a request between the two writes its own
  // limit after ours (request() sets the flag before the limit), so none is lost.
  std::atomic_ref<uintptr_t>(limit_).store(threadLimit, std::memory_order_release);
  if (requested()) std::atomic_ref<uintptr_t>(limit_).store(UINTPTR_MAX, std::memory_order_release);
}

void Interrupt::request() {
  requested_.store(true, std::memory_order_release);
  std::atomic_ref<uintptr_t>(limit_).store(UINTPTR_MAX, std::memory_order_release);
}

namespace {

std::mutex registryMutex;
struct Registered {
  std::weak_ptr<Interrupt> interrupt;
  uint64_t owner;
};
std::vector<Registered> registry;
thread_local uint64_t threadOwner = 0;

// The watchdog: one detached thread, started with the first deadline, sleeping until the earliest.
// Its state is never destroyed: at exit, static destructors would destroy the condition variable
// the thread waits on, and glibc's pthread_cond_destroy waits for its waiters, so the process would
// hang until the next deadline, or for ever when none is pending.
struct Watch {
  std::mutex mutex;
  std::condition_variable wake;
  std::map<Interrupt *, std::pair<std::weak_ptr<Interrupt>, std::chrono::steady_clock::time_point>> deadlines;
  bool watching = false;
};
Watch &watchState() {
  static Watch *const state = new Watch;  // never deleted, see above
  return *state;
}

void watch() {
  Watch &w = watchState();
  std::unique_lock<std::mutex> lock(w.mutex);
  for (;;) {
    auto now = std::chrono::steady_clock::now();
    auto next = std::chrono::steady_clock::time_point::max();
    for (auto it = w.deadlines.begin(); it != w.deadlines.end();) {
      auto &[weak, when] = it->second;
      if (when <= now) {
        if (auto interrupt = weak.lock()) interrupt->request();
        it = w.deadlines.erase(it);
      } else {
        next = std::min(next, when);
        ++it;
      }
    }
    if (next == std::chrono::steady_clock::time_point::max()) w.wake.wait(lock);
    else w.wake.wait_until(lock, next);
  }
}

}  // namespace

std::shared_ptr<Interrupt> makeInterrupt() {
  auto interrupt = std::make_shared<Interrupt>();
  std::lock_guard<std::mutex> lock(registryMutex);
  std::erase_if(registry, [](const Registered &r) { return r.interrupt.expired(); });
  registry.push_back({interrupt, threadOwner});
  return interrupt;
}

void interruptAll() {
  std::lock_guard<std::mutex> lock(registryMutex);
  for (auto &r : registry) {
    if (auto interrupt = r.interrupt.lock()) interrupt->request();
  }
}

void setThreadOwner(uint64_t owner) { threadOwner = owner; }

void interruptOwner(uint64_t owner) {
  std::lock_guard<std::mutex> lock(registryMutex);
  for (auto &r : registry) {
    if (r.owner != owner) continue;
    if (auto interrupt = r.interrupt.lock()) interrupt->request();
  }
}

void interruptAt(const std::shared_ptr<Interrupt> &interrupt, std::chrono::steady_clock::time_point deadline) {
  Watch &w = watchState();
  std::lock_guard<std::mutex> lock(w.mutex);
  w.deadlines[interrupt.get()] = {interrupt, deadline};
  if (!w.watching) {
    w.watching = true;
    std::thread(watch).detach();
  }
  w.wake.notify_one();
}

}  // namespace wasmo
