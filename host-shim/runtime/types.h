// Canonical function type ids (spec 4.4.8 call_indirect compares function types structurally):
// one process-wide registry, so code compares two integers, across modules and stores alike.
#pragma once
#include <cstdint>

#include "environ/module.h"

namespace wasmo {

uint32_t canonicalTypeId(const FuncType &type);

}  // namespace wasmo
