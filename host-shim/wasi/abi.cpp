// The WASI entry points of the C ABI (wasmo.h): thin wrappers over wasi::Context and the function
// table; nothing thrown crosses them.
#include <cstring>
#include <new>
#include <string>

#include "include/wasmo.h"
#include "wasi/bind.h"
#include "wasi/wasi.h"

namespace {
void set_error(char *err, size_t err_len, const std::string &msg) {
  if (err_len == 0) return;
  size_t n = std::min(err_len - 1, msg.size());
  std::memcpy(err, msg.data(), n);
  err[n] = '\0';
}
}  // namespace

extern "C" {

uint32_t wasmo_wasi_function_count(void) { return uint32_t(wasmo::wasi::functions().size()); }

int wasmo_wasi_function(uint32_t id, char *name, size_t name_len, uint8_t *params, uint32_t *param_count,
                        uint32_t *result_count) {
  auto fns = wasmo::wasi::functions();
  if (id >= fns.size()) return WASMO_INTERNAL;
  const auto &f = fns[id];
  set_error(name, name_len, f.name);
  uint32_t n = uint32_t(std::strlen(f.params));
  for (uint32_t i = 0; i < n; i++) params[i] = f.params[i] == 'I' ? WASMO_I64 : WASMO_I32;
  *param_count = n;
  *result_count = f.results;
  return WASMO_OK;
}

int wasmo_wasi_new(const char *const *args, uint32_t argc, const char *const *env, uint32_t envc,
                   const char *const *preopen_hosts, const char *const *preopen_guests,
                   const uint8_t *preopen_readonly, uint32_t preopen_count, const int32_t *stdio,
                   const uint8_t *stdin_data, size_t stdin_len, uint32_t flags, wasmo_wasi **out,
                   char *err, size_t err_len) {
  try {
    wasmo::wasi::Config config;
    for (uint32_t i = 0; i < argc; i++) config.args.emplace_back(args[i]);
    for (uint32_t i = 0; i < envc; i++) config.env.emplace_back(env[i]);
    for (uint32_t i = 0; i < preopen_count; i++) {
      config.preopens.push_back({preopen_hosts[i], preopen_guests[i], preopen_readonly[i] != 0});
    }
    for (int i = 0; i < 3; i++) config.stdio[i] = stdio[i];
    if (stdin_len > 0) config.stdin_data.assign(reinterpret_cast<const char *>(stdin_data), stdin_len);
    config.resolver = (flags & WASMO_WASI_RESOLVE_WALK) ? wasmo::wasi::Resolver::walk : wasmo::wasi::Resolver::automatic;
    std::string error;
    auto ctx = wasmo::wasi::Context::create(config, error);
    if (!ctx) {
      set_error(err, err_len, error);
      return WASMO_UNINSTANTIABLE;
    }
    *out = new wasmo_wasi{std::move(ctx)};
    return WASMO_OK;
  } catch (const std::bad_alloc &) {
    set_error(err, err_len, "out of memory");
    return WASMO_INTERNAL;
  }
}

void wasmo_wasi_free(wasmo_wasi *wasi) {
  if (wasi == nullptr) return;
  wasmo::wasi::unbind(*wasi->ctx);
  delete wasi;
}

int32_t wasmo_wasi_call(wasmo_wasi *wasi, uint32_t id, const uint64_t *args, uint8_t *mem, size_t mem_len) {
  auto fns = wasmo::wasi::functions();
  if (id >= fns.size()) return WASMO_WASI_NO_FUNCTION;
  try {
    return fns[id].fn(*wasi->ctx, wasmo::wasi::Memory{mem, mem_len}, args);
  } catch (const std::bad_alloc &) {
    return wasmo::wasi::ERRNO_NOMEM;
  }
}

int64_t wasmo_wasi_exit_code(const wasmo_wasi *wasi) {
  return wasi->ctx->exit_code ? int64_t(*wasi->ctx->exit_code) : -1;
}

size_t wasmo_wasi_output(const wasmo_wasi *wasi, uint32_t fd, uint8_t *buf, size_t len) {
  try {
    std::string out = wasi->ctx->output(fd);
    std::memcpy(buf, out.data(), std::min(len, out.size()));
    return out.size();
  } catch (const std::bad_alloc &) {
    return 0;
  }
}

}  // extern "C"
