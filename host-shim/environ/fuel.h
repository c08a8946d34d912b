// Fuel: the cost model of spec/fuel.ts (defined and explained there), the same for the native
// engine so that every engine leaves the same fuel after the same run: `nop`, `drop`, `block`,
// `loop`, `unreachable`, `return`, `else` and `end` cost 0, every other instruction 1; a segment
// ends after `loop`, `if`, `else`, `end`, `br`, `br_if`, `br_table`, `return` and `unreachable`, and
// is charged its whole cost before its first instruction that costs anything.
#pragma once
#include <cstdint>
#include <optional>

#include "environ/opcodes.h"

namespace wasmo {

inline constexpr const char *kOutOfFuel = "all fuel consumed";

constexpr uint32_t fuelCost(Op op) {
  switch (op) {
    case Op::Nop: case Op::Drop: case Op::Block: case Op::Loop: case Op::Unreachable: case Op::Return:
    case Op::Else: case Op::End:
      return 0;
    default:
      return 1;
  }
}

constexpr bool endsFuelSegment(Op op) {
  switch (op) {
    case Op::Loop: case Op::If: case Op::Else: case Op::End: case Op::Br: case Op::BrIf: case Op::BrTable:
    case Op::Return: case Op::Unreachable:
      return true;
    default:
      return false;
  }
}

/**
 * Cuts a function body into segments as the decoder walks it (FuelSegments of spec/fuel.ts):
 * `step` at every live instruction, `else` and `end`. `open()` emits a segment's charge where it
 * goes, before the segment's first costly instruction, and returns a handle to it; `setCost(handle,
 * cost)` is called whenever the segment's cost grows.
 */
template <class Charge>
class FuelSegments {
 public:
  void reset() {
    open_.reset();
    cost_ = 0;
    closed_ = false;
  }

  template <class Open, class SetCost>
  void step(Op op, Open &&open, SetCost &&setCost) {
    if (closed_) reset();
    if (uint32_t c = fuelCost(op)) {
      if (!open_) open_ = open();
      cost_ += c;
      setCost(*open_, cost_);
    }
    if (endsFuelSegment(op)) closed_ = true;
  }

 private:
  std::optional<Charge> open_;
  uint32_t cost_ = 0;
  bool closed_ = false;
};

}  // namespace wasmo
