// Which function a return address in compiled code belongs to, for backtraces: one lookup for a
// module's code (every tier's functions, and the blocks a tiered artifact holds) and for the blocks
// tier-up compiles at run time.
#pragma once
#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <variant>

namespace wasmo {

/** A defined function's code: [begin, end), addresses or offsets in a module's code. An optimizing
 *  compiler's function has an entry, [entry, entryEnd), that only calls its body right after it:
 *  that frame is the body's caller, the same function, so a backtrace leaves it out (one frame per
 *  call, as singlepass code gives). Elsewhere entry == entryEnd. */
struct FunctionRange {
  uintptr_t begin, end, entry, entryEnd;
  uint32_t func;  // defined function index
};

/** Left out of a backtrace: `pc` is in an optimizing entry. */
struct OptimizingEntry {};

/** The function of `ranges` (sorted by begin, disjoint) whose code holds `pc`, if any. */
inline std::optional<std::variant<uint32_t, OptimizingEntry>> functionIn(std::span<const FunctionRange> ranges, uintptr_t pc) {
  auto next = std::ranges::upper_bound(ranges, pc, {}, &FunctionRange::begin);
  if (next == ranges.begin()) return std::nullopt;
  const FunctionRange &r = *(next - 1);
  if (pc >= r.end) return std::nullopt;
  if (pc >= r.entry && pc < r.entryEnd) return OptimizingEntry{};
  return r.func;
}

}  // namespace wasmo
