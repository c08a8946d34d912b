// libFuzzer harness over the native front end: decode + validate (wasmo_module_validate), then
// decode + singlepass compile + artifact write + artifact load (wasmo_module_compile), on the same
// bytes. Build and run: `npm run fuzz:native -- [libFuzzer args]` (scripts/fuzz-native.sh).
// Findings are crashes, sanitizer reports (ASan, UBSan without recovery), and the two entry points
// disagreeing on the verdict: compile fails with validate's status and message, or accepts what
// validate accepts, or refuses a valid module as unsupported.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "wasmo.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char validateErr[256] = "";
  char compileErr[256] = "";
  int validated = wasmo_module_validate(data, size, 1, validateErr, sizeof validateErr);
  wasmo_module *module = nullptr;
  int compiled = wasmo_module_compile(data, size, WASMO_TIER_SINGLEPASS, 0, 1, nullptr, nullptr, &module, compileErr, sizeof compileErr);
  if (module != nullptr) wasmo_module_free(module);
  bool agree = (compiled == validated && std::strcmp(validateErr, compileErr) == 0) ||
               (compiled == WASMO_UNSUPPORTED && validated == WASMO_OK);
  if (validated == WASMO_INTERNAL || compiled == WASMO_INTERNAL || !agree) {
    std::fprintf(stderr, "validate: %d %s\ncompile: %d %s\n", validated, validateErr, compiled, compileErr);
    std::abort();
  }
  return 0;
}
