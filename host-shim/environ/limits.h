// Implementation limits (spec appendix "Implementation Limitations"), the same names and values as
// spec/limits.ts, which says what each bounds and why these values (test/limits.test.ts checks
// that the two agree). A module over a limit is malformed with the limit's message; a table over
// kMaxTableSize is refused when allocated. Nesting has no limit: the decoder's control stack is a
// vector, and kMaxFunctionSize bounds its depth.
#pragma once
#include <cstdint>

namespace wasmo {

struct Limit {
  uint64_t max;
  const char *message;
};

inline constexpr Limit kMaxModuleSize{1'073'741'824, "module too large"};
inline constexpr Limit kMaxTypes{1'000'000, "too many types"};
inline constexpr Limit kMaxFunctions{1'000'000, "too many functions"};
inline constexpr Limit kMaxImports{100'000, "too many imports"};
inline constexpr Limit kMaxExports{1'000'000, "too many exports"};
inline constexpr Limit kMaxGlobals{1'000'000, "too many globals"};
inline constexpr Limit kMaxDataSegments{100'000, "too many data segments"};
inline constexpr Limit kMaxTables{100'000, "too many tables"};
inline constexpr Limit kMaxParams{1'000, "too many parameters"};
inline constexpr Limit kMaxResults{1'000, "too many results"};
inline constexpr Limit kMaxFunctionSize{7'654'321, "function body too large"};
inline constexpr Limit kMaxLocals{50'000, "too many locals"};
inline constexpr Limit kMaxTableSize{10'000'000, "table too large"};

}  // namespace wasmo
