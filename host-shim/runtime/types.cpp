#include "runtime/types.h"

#include <map>
#include <mutex>

namespace wasmo {

uint32_t canonicalTypeId(const FuncType &type) {
  static std::mutex mutex;
  static std::map<std::pair<std::vector<ValType>, std::vector<ValType>>, uint32_t> ids;
  std::lock_guard<std::mutex> lock(mutex);
  auto [it, fresh] = ids.try_emplace({type.params, type.results}, static_cast<uint32_t>(ids.size()));
  (void)fresh;
  return it->second;
}

}  // namespace wasmo
