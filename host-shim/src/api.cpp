// The C ABI (include/wasmo.h). Every entry point catches everything: no C++ exception crosses it.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <string>
#include <utility>

#include "artifact/artifact.h"
#include "artifact/build_id.h"  // generated: WASMO_ENGINE_VERSION
#include "compiler/cpu_features.h"
#include "compiler/optimizing/optimizing.h"
#include "compiler/singlepass/singlepass.h"
#include "runtime/instance.h"
#include "wasi/bind.h"
#include "wasmo.h"

struct wasmo_module {
  std::shared_ptr<const wasmo::CompiledModule> compiled;
  std::unique_ptr<wasmo::CodeMemory> written;  // wasmo_module_serialize's latest tiered artifact
};
struct wasmo_store {
  wasmo::Store store;
};

namespace {

void writeMessage(char *err, size_t errLen, const std::string &message) {
  if (err == nullptr || errLen == 0) return;
  size_t n = std::min(message.size(), errLen - 1);
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

/** Runs `f`, turning every exception into a status and its message, which goes to `report`. */
template <class Report, class F>
int guardedTo(Report &&report, F &&f) {
  try {
    return f();
  } catch (...) {
    wasmo::CompileError e = wasmo::currentCompileError();
    report(e.message);
    return e.status;
  }
}

template <class F>
int guarded(char *err, size_t errLen, F &&f) {
  return guardedTo([&](const std::string &message) { writeMessage(err, errLen, message); }, std::forward<F>(f));
}

const wasmo::Module &moduleOf(const wasmo_module *m) { return m->compiled->module; }

wasmo::Limits limits(uint64_t min, uint64_t max) {
  return wasmo::Limits{min, max == WASMO_NO_MAX ? std::nullopt : std::optional<uint64_t>(max)};
}

}  // namespace

extern "C" {

int wasmo_module_validate(const uint8_t *bytes, size_t len, uint32_t threads, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    wasmo::decodeModule({bytes, len}, wasmo::BodyPass{wasmo::compileThreads(threads), {}, {}});
    return WASMO_OK;
  });
}

int wasmo_module_compile(const uint8_t *bytes, size_t len, uint32_t tier, uint32_t flags, uint32_t threads,
                         const char *cpu_features, wasmo_progress_fn progress, wasmo_module **out, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    if (tier != WASMO_TIER_SINGLEPASS && tier != WASMO_TIER_OPTIMIZING && tier != WASMO_TIER_TIERED) {
      throw wasmo::CompileError{WASMO_INTERNAL, "unknown compiler tier " + std::to_string(tier)};
    }
    wasmo::CompileOptions options{threads, {}, (flags & WASMO_COMPILE_FUEL) != 0, tier == WASMO_TIER_TIERED,
                                  (flags & WASMO_COMPILE_BOUNDS_CHECKS) != 0};
    if (progress != nullptr) options.progress = progress;
    if (cpu_features != nullptr) options.cpuFeatures = wasmo::parseCpuFeatures(cpu_features);
    auto [module, code] = tier == WASMO_TIER_OPTIMIZING ? wasmo::compileOptimizing({bytes, len}, options)
                                                        : wasmo::compileSinglepass({bytes, len}, options);
    // Artifact first: the JIT path loads the artifact like any other (artifact/artifact.h). Tiered
    // code keeps the decoded module, which tier-up compiles functions from.
    std::unique_ptr<wasmo::CodeMemory> artifact = wasmo::writeArtifact(module, code);
    std::optional<wasmo::Module> source;
    if (tier == WASMO_TIER_TIERED) source = std::move(module);
    *out = new wasmo_module{wasmo::loadArtifact(std::move(artifact), wasmo::ImageOrigin::Written, std::move(source)), nullptr};
    return WASMO_OK;
  });
}

int wasmo_cpu_features_check(const char *cpu_features, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    wasmo::parseCpuFeatures(cpu_features);
    return WASMO_OK;
  });
}

const char *wasmo_engine_version(void) { return WASMO_ENGINE_VERSION; }

int wasmo_module_deserialize(const uint8_t *bytes, size_t len, wasmo_module **out, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    *out = new wasmo_module{wasmo::loadArtifact(wasmo::CodeMemory::fromBuffer({bytes, len}), wasmo::ImageOrigin::Outside), nullptr};
    return WASMO_OK;
  });
}

int wasmo_module_load_file(const char *path, wasmo_module **out, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    *out = new wasmo_module{wasmo::loadArtifact(wasmo::CodeMemory::fromFile(path), wasmo::ImageOrigin::Outside), nullptr};
    return WASMO_OK;
  });
}

const uint8_t *wasmo_module_artifact(const wasmo_module *module, size_t *len) {
  std::span<const uint8_t> bytes = module->compiled->code->bytes();
  *len = bytes.size();
  return bytes.data();
}

int wasmo_module_serialize(wasmo_module *module, const uint8_t **bytes, size_t *len, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    const wasmo::CompiledModule &c = *module->compiled;
    module->written = c.tierUp != nullptr ? wasmo::writeTieredArtifact(c) : nullptr;
    std::span<const uint8_t> out = module->written != nullptr ? module->written->bytes() : c.code->bytes();
    *bytes = out.data();
    *len = out.size();
    return WASMO_OK;
  });
}

int wasmo_module_function_tiers(const wasmo_module *module, uint8_t *tiers, uint32_t count) {
  const std::shared_ptr<wasmo::TierUp> &tierUp = module->compiled->tierUp;
  if (tierUp == nullptr) return WASMO_INTERNAL;
  return guardedTo([](const std::string &) {}, [&] {
    std::vector<bool> optimized = tierUp->optimized();
    if (optimized.size() != count) return WASMO_INTERNAL;
    for (uint32_t k = 0; k < count; k++) tiers[k] = optimized[k] ? WASMO_TIER_OPTIMIZING : WASMO_TIER_SINGLEPASS;
    return WASMO_OK;
  });
}

uint32_t wasmo_module_tier(const wasmo_module *module) { return static_cast<uint32_t>(module->compiled->tier); }

void wasmo_module_free(wasmo_module *module) { delete module; }

int wasmo_module_meters_fuel(const wasmo_module *module) { return module->compiled->meterFuel ? 1 : 0; }
int wasmo_module_checks_bounds(const wasmo_module *module) { return module->compiled->boundsChecks ? 1 : 0; }

int wasmo_module_tier_up_stats(const wasmo_module *module, uint32_t wait_ms, uint32_t *optimized, uint32_t *refused,
                               uint32_t *pending) {
  const std::shared_ptr<wasmo::TierUp> &tierUp = module->compiled->tierUp;
  if (tierUp == nullptr) return WASMO_INTERNAL;
  if (wait_ms > 0) tierUp->waitIdle(wait_ms);
  wasmo::TierUp::Stats stats = tierUp->stats();
  *optimized = stats.optimized;
  *refused = stats.refused;
  *pending = stats.pending;
  return WASMO_OK;
}

uint32_t wasmo_module_import_count(const wasmo_module *module) {
  return static_cast<uint32_t>(moduleOf(module).imports.size());
}
uint32_t wasmo_module_export_count(const wasmo_module *module) {
  return static_cast<uint32_t>(moduleOf(module).exports.size());
}

int wasmo_module_export(const wasmo_module *module, uint32_t i, char *name, size_t name_len, uint32_t *kind,
                        uint32_t *index) {
  const wasmo::Module &m = moduleOf(module);
  if (i >= m.exports.size()) return WASMO_INTERNAL;
  writeMessage(name, name_len, m.exports[i].name);
  *kind = m.exports[i].kind;
  *index = m.exports[i].index;
  return WASMO_OK;
}

int wasmo_module_func_type(const wasmo_module *module, uint32_t func, uint8_t *params, uint32_t *param_count,
                           uint8_t *results, uint32_t *result_count) {
  const wasmo::Module &m = moduleOf(module);
  if (func >= m.funcs.size()) return WASMO_INTERNAL;
  const wasmo::FuncType &ft = m.funcType(func);
  if (ft.params.size() > 256 || ft.results.size() > 256) return WASMO_INTERNAL;
  for (size_t k = 0; k < ft.params.size(); k++) params[k] = static_cast<uint8_t>(ft.params[k]);
  for (size_t k = 0; k < ft.results.size(); k++) results[k] = static_cast<uint8_t>(ft.results[k]);
  *param_count = static_cast<uint32_t>(ft.params.size());
  *result_count = static_cast<uint32_t>(ft.results.size());
  return WASMO_OK;
}

int wasmo_module_global_type(const wasmo_module *module, uint32_t global, uint8_t *type, uint8_t *mut) {
  const wasmo::Module &m = moduleOf(module);
  if (global >= m.globals.size()) return WASMO_INTERNAL;
  *type = static_cast<uint8_t>(m.globals[global].type);
  *mut = m.globals[global].mut ? 1 : 0;
  return WASMO_OK;
}

void wasmo_store_set_limits(wasmo_store *store, uint64_t memory_pages, uint64_t table_elements, uint64_t wasm_stack) {
  store->store.memoryPagesCap = memory_pages;
  store->store.tableElementsCap = table_elements;
  store->store.wasmStackCap = wasm_stack;
}

void wasmo_store_set_memory(wasmo_store *store, uint64_t reservation, uint64_t guard) {
  store->store.memoryConfig = {reservation, guard};
}

void wasmo_store_interrupt_after(wasmo_store *store, uint64_t timeout_ns) {
  const auto &interrupt = store->store.interrupt();
  if (timeout_ns == UINT64_MAX) {
    interrupt->reset();
    wasmo::interruptAt(interrupt, std::chrono::steady_clock::time_point::max());
  } else if (timeout_ns == 0) {
    interrupt->request();
  } else {
    interrupt->reset();
    wasmo::interruptAt(interrupt, std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns));
  }
}

void wasmo_store_set_tier_up(wasmo_store *store, uint32_t threshold, int wait) {
  store->store.tierUpThreshold = static_cast<int32_t>(std::min<uint32_t>(threshold, INT32_MAX));
  store->store.tierUpWait = wait != 0;
}

void wasmo_store_set_fuel(wasmo_store *store, uint64_t fuel) {
  store->store.meterFuel = true;
  store->store.fuel = static_cast<int64_t>(std::min<uint64_t>(fuel, INT64_MAX));
}

int64_t wasmo_store_get_fuel(const wasmo_store *store) {
  if (!store->store.meterFuel) return -1;
  return std::max<int64_t>(store->store.fuel, 0);
}

void wasmo_interrupt_all(void) { wasmo::interruptAll(); }
void wasmo_tier_up_stop(void) { wasmo::stopTierUp(); }
void wasmo_set_thread_owner(uint64_t owner) { wasmo::setThreadOwner(owner); }
void wasmo_interrupt_owner(uint64_t owner) { wasmo::interruptOwner(owner); }

uint64_t *wasmo_host_slots(void) { return wasmo::threadHostSlots(); }

wasmo_store *wasmo_store_new(void) {
  try {
    return new wasmo_store{};
  } catch (...) {
    return nullptr;
  }
}

void wasmo_store_free(wasmo_store *store) { delete store; }

int wasmo_store_instantiate(wasmo_store *store, const wasmo_module *module, const uint32_t *imports,
                            uint32_t import_count, uint32_t *exports, uint32_t *start, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    wasmo::instantiate(store->store, module->compiled, {imports, import_count}, exports, *start);
    return WASMO_OK;
  });
}

uint32_t wasmo_store_trace_length(const wasmo_store *store) {
  return static_cast<uint32_t>(store->store.lastTrace.size());
}

int wasmo_store_trace_frame(const wasmo_store *store, uint32_t i, uint32_t *func, char *name, size_t name_len) {
  const std::vector<wasmo::TraceFrame> &trace = store->store.lastTrace;
  if (i >= trace.size()) return -1;
  *func = trace[i].func;
  writeMessage(name, name_len, trace[i].name.value_or(""));
  return trace[i].name ? 1 : 0;
}

int wasmo_func_alloc(wasmo_store *store, const uint8_t *params, uint32_t param_count, const uint8_t *results,
                     uint32_t result_count, uint32_t *out) {
  return guarded(nullptr, 0, [&] {
    wasmo::FuncType type;
    for (uint32_t i = 0; i < param_count; i++) type.params.push_back(static_cast<wasmo::ValType>(params[i]));
    for (uint32_t i = 0; i < result_count; i++) type.results.push_back(static_cast<wasmo::ValType>(results[i]));
    *out = store->store.allocHostFunc(std::move(type));
    return WASMO_OK;
  });
}

int wasmo_func_type(const wasmo_store *store, uint32_t func, uint8_t *params, uint32_t *param_count, uint8_t *results,
                    uint32_t *result_count) {
  const wasmo::FuncType &ft = store->store.funcs[func]->type;
  if (ft.params.size() > 256 || ft.results.size() > 256) return WASMO_UNSUPPORTED;
  for (size_t k = 0; k < ft.params.size(); k++) params[k] = static_cast<uint8_t>(ft.params[k]);
  for (size_t k = 0; k < ft.results.size(); k++) results[k] = static_cast<uint8_t>(ft.results[k]);
  *param_count = static_cast<uint32_t>(ft.params.size());
  *result_count = static_cast<uint32_t>(ft.results.size());
  return WASMO_OK;
}

int wasmo_func_invoke(wasmo_store *store, uint32_t func) {
  std::string &message = store->store.lastMessage;
  return guardedTo([&](const std::string &m) { message = m; },
                   [&] { return store->store.invoke(func, wasmo::threadHostSlots(), message); });
}

int wasmo_func_resume(wasmo_store *store, uint32_t token, int ok) {
  std::string &message = store->store.lastMessage;
  return guardedTo([&](const std::string &m) { message = m; }, [&] { return store->store.resume(token, ok != 0, message); });
}

size_t wasmo_store_message(const wasmo_store *store, char *buf, size_t len) {
  writeMessage(buf, len, store->store.lastMessage);
  return store->store.lastMessage.size();
}

int wasmo_table_alloc(wasmo_store *store, uint8_t elem, uint64_t min, uint64_t max, uint64_t init, uint32_t *out,
                      char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    auto type = static_cast<wasmo::ValType>(elem);
    *out = store->store.allocTable(wasmo::TableType{type, limits(min, max)}, store->store.fromAbi(type, init));
    return WASMO_OK;
  });
}

void wasmo_table_type(const wasmo_store *store, uint32_t table, uint8_t *elem, uint64_t *min, uint64_t *max) {
  const wasmo::TableInstance &t = *store->store.tables[table];
  *elem = static_cast<uint8_t>(t.type.elem);
  *min = t.vm.size;
  *max = t.type.limits.max.value_or(WASMO_NO_MAX);
}

uint64_t wasmo_table_read(const wasmo_store *store, uint32_t table, uint64_t i) {
  const wasmo::TableInstance &t = *store->store.tables[table];
  return store->store.toAbi(t.type.elem, t.vm.elems[i]);
}

void wasmo_table_write(wasmo_store *store, uint32_t table, uint64_t i, uint64_t ref) {
  wasmo::TableInstance &t = *store->store.tables[table];
  t.vm.elems[i] = store->store.fromAbi(t.type.elem, ref);
}

int wasmo_table_grow(wasmo_store *store, uint32_t table, uint64_t n, uint64_t init) {
  wasmo::TableInstance &t = *store->store.tables[table];
  try {
    return t.grow(n, store->store.fromAbi(t.type.elem, init)) ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

int wasmo_mem_alloc(wasmo_store *store, uint64_t min, uint64_t max, uint32_t *out, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    *out = store->store.allocMemory(wasmo::MemType{limits(min, max)});
    return WASMO_OK;
  });
}

void wasmo_mem_type(const wasmo_store *store, uint32_t mem, uint64_t *min, uint64_t *max) {
  const wasmo::LinearMemory &m = *store->store.mems[mem];
  *min = m.pages();
  *max = m.max().value_or(WASMO_NO_MAX);
}

uint8_t *wasmo_mem_data(const wasmo_store *store, uint32_t mem) { return store->store.mems[mem]->base(); }

int wasmo_mem_grow(wasmo_store *store, uint32_t mem, uint64_t n) {
  return n <= UINT32_MAX && store->store.mems[mem]->grow(n) >= 0 ? 1 : 0;
}

int wasmo_global_alloc(wasmo_store *store, uint8_t type, uint8_t mut, uint64_t bits, uint32_t *out) {
  return guarded(nullptr, 0, [&] {
    auto t = static_cast<wasmo::ValType>(type);
    *out = store->store.allocGlobal(wasmo::GlobalType{t, mut != 0}, {store->store.fromAbi(t, bits), 0});
    return WASMO_OK;
  });
}

void wasmo_global_type(const wasmo_store *store, uint32_t global, uint8_t *type, uint8_t *mut) {
  const wasmo::GlobalInstance &g = *store->store.globals[global];
  *type = static_cast<uint8_t>(g.type.type);
  *mut = g.type.mut ? 1 : 0;
}

uint64_t wasmo_global_read(const wasmo_store *store, uint32_t global) {
  const wasmo::GlobalInstance &g = *store->store.globals[global];
  return store->store.toAbi(g.type.type, g.value[0]);
}

void wasmo_global_read_v128(const wasmo_store *store, uint32_t global, uint64_t *cells) {
  const wasmo::GlobalInstance &g = *store->store.globals[global];
  cells[0] = g.value[0];
  cells[1] = g.value[1];
}

void wasmo_global_write_v128(wasmo_store *store, uint32_t global, const uint64_t *cells) {
  store->store.globals[global]->value = {cells[0], cells[1]};
}

void wasmo_global_write(wasmo_store *store, uint32_t global, uint64_t bits) {
  wasmo::GlobalInstance &g = *store->store.globals[global];
  g.value[0] = store->store.fromAbi(g.type.type, bits);
}

// WASI functions bound directly (host-shim/wasi/bind.h).
int wasmo_wasi_func_alloc(wasmo_store *store, wasmo_wasi *wasi, uint32_t id, uint32_t *out) {
  return guarded(nullptr, 0, [&] {
    if (id >= wasmo::wasi::functions().size()) return WASMO_INTERNAL;
    *out = wasmo::wasi::allocFunction(store->store, *wasi->ctx, id);
    return WASMO_OK;
  });
}

int wasmo_wasi_bind_memory(wasmo_wasi *wasi, wasmo_store *store, uint32_t mem) {
  return guarded(nullptr, 0, [&] {
    wasmo::wasi::bindMemory(*wasi->ctx, store->store, mem);
    return WASMO_OK;
  });
}

}  // extern "C"
