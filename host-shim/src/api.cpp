// The C ABI (include/wasmo.h). Every entry point catches everything: no C++ exception crosses it.
#include <cstring>
#include <exception>
#include <memory>
#include <new>

#include "artifact/artifact.h"
#include "compiler/singlepass/singlepass.h"
#include "compiler/validate.h"
#include "runtime/instance.h"
#include "wasmo.h"

struct wasmo_module {
  std::shared_ptr<const wasmo::CompiledModule> compiled;
};
struct wasmo_instance {
  std::unique_ptr<wasmo::Instance> instance;
};

namespace {

void writeMessage(char *err, size_t errLen, const std::string &message) {
  if (err == nullptr || errLen == 0) return;
  size_t n = std::min(message.size(), errLen - 1);
  std::memcpy(err, message.data(), n);
  err[n] = '\0';
}

template <class F>
int guarded(char *err, size_t errLen, F &&f) {
  try {
    return f();
  } catch (const wasmo::CompileError &e) {
    writeMessage(err, errLen, e.message);
    return e.status;
  } catch (const std::bad_alloc &) {
    writeMessage(err, errLen, "out of memory");
    return WASMO_INTERNAL;
  } catch (const std::exception &e) {
    writeMessage(err, errLen, e.what());
    return WASMO_INTERNAL;
  } catch (...) {
    writeMessage(err, errLen, "unknown internal error");
    return WASMO_INTERNAL;
  }
}

const wasmo::Module &moduleOf(const wasmo_module *m) { return m->compiled->module; }

}  // namespace

extern "C" {

int wasmo_module_validate(const uint8_t *bytes, size_t len, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    wasmo::Module m = wasmo::decodeModule({bytes, len});
    wasmo::validateFunctions(m);
    return WASMO_OK;
  });
}

int wasmo_module_compile(const uint8_t *bytes, size_t len, wasmo_module **out, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    wasmo::Module module = wasmo::decodeModule({bytes, len});
    wasmo::CompiledCode code = wasmo::compileSinglepass(module);
    // Artifact first: the JIT path loads the artifact like any other (artifact/artifact.h).
    std::vector<uint8_t> artifact = wasmo::writeArtifact(module, code);
    *out = new wasmo_module{wasmo::loadArtifact(wasmo::CodeMemory::fromBuffer(artifact))};
    return WASMO_OK;
  });
}

int wasmo_module_deserialize(const uint8_t *bytes, size_t len, wasmo_module **out, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    *out = new wasmo_module{wasmo::loadArtifact(wasmo::CodeMemory::fromBuffer({bytes, len}))};
    return WASMO_OK;
  });
}

int wasmo_module_load_file(const char *path, wasmo_module **out, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    *out = new wasmo_module{wasmo::loadArtifact(wasmo::CodeMemory::fromFile(path))};
    return WASMO_OK;
  });
}

size_t wasmo_module_serialized_size(const wasmo_module *module) { return module->compiled->code->bytes().size(); }

int wasmo_module_serialize(const wasmo_module *module, uint8_t *buf, size_t len) {
  std::span<const uint8_t> bytes = module->compiled->code->bytes();
  if (len != bytes.size()) return WASMO_INTERNAL;
  std::memcpy(buf, bytes.data(), len);
  return WASMO_OK;
}

void wasmo_module_free(wasmo_module *module) { delete module; }

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

int wasmo_instance_new(const wasmo_module *module, wasmo_instance **out, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    *out = new wasmo_instance{wasmo::instantiate(module->compiled)};
    return WASMO_OK;
  });
}

void wasmo_instance_free(wasmo_instance *instance) { delete instance; }

int wasmo_instance_invoke(wasmo_instance *instance, uint32_t func, uint64_t *vals, char *err, size_t err_len) {
  return guarded(err, err_len, [&] {
    if (func >= instance->instance->funcs.size()) throw wasmo::CompileError{WASMO_INTERNAL, "no such function"};
    std::string message;
    wasmo_status status = wasmo::invoke(*instance->instance, func, vals, message);
    if (status != WASMO_OK) writeMessage(err, err_len, message);
    return status;
  });
}

uint32_t wasmo_instance_memory_pages(const wasmo_instance *instance, uint32_t memory) {
  const auto &mem = instance->instance->memory;
  return memory == 0 && mem ? static_cast<uint32_t>(mem->pages()) : 0;
}

uint8_t *wasmo_instance_memory_data(const wasmo_instance *instance, uint32_t memory) {
  const auto &mem = instance->instance->memory;
  return memory == 0 && mem ? mem->base() : nullptr;
}

int32_t wasmo_instance_memory_grow(wasmo_instance *instance, uint32_t memory, uint32_t delta) {
  wasmo::Instance &inst = *instance->instance;
  if (memory != 0 || !inst.memory) return -1;
  int32_t old = inst.memory->grow(delta);
  inst.vmctx.memoryPages = inst.memory->pages();
  return old;
}

uint64_t wasmo_instance_global_get(const wasmo_instance *instance, uint32_t global) {
  return *instance->instance->globalPointers[global];
}

void wasmo_instance_global_set(wasmo_instance *instance, uint32_t global, uint64_t bits) {
  *instance->instance->globalPointers[global] = bits;
}

}  // extern "C"
