// Fuel: the cost model of spec/fuel.ts (defined and explained there), the same for the native
// engine so that every engine leaves the same fuel after the same run: `nop`, `drop`, `block`,
// `loop`, `unreachable`, `return`, `else` and `end` cost 0, every other instruction 1; a segment
// ends after `loop`, `if`, `else`, `end`, `br`, `br_if`, `br_table`, `return` and `unreachable`, and
// is charged its whole cost before its first instruction that costs anything.
#pragma once
#include <cstdint>

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

}  // namespace wasmo
