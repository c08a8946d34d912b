// Instruction names, for messages; in a file of their own, as the LLVM half of the optimizing
// compiler uses them too (compiler/optimizing/llvm_library.h).
#include "environ/opcodes.h"

namespace wasmo {

const char *opName(Op op) {
  switch (op) {
#define WASMO_NAME(name, code, text, ...) case Op::name: return text;
    WASMO_SPECIAL_OPS(WASMO_NAME) WASMO_LOAD_OPS(WASMO_NAME) WASMO_STORE_OPS(WASMO_NAME)
    WASMO_UNARY_OPS(WASMO_NAME) WASMO_BINARY_OPS(WASMO_NAME) WASMO_BULK_OPS(WASMO_NAME)
    WASMO_SIMD_OPS(WASMO_NAME)
#undef WASMO_NAME
  }
  return "?";
}

}  // namespace wasmo
