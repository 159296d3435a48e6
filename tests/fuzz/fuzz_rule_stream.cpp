// The legacy renderer's framing: whatever bytes arrive, no crash, and no
// table is complete unless it was ended properly.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rules/rule_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  aim::RuleSet set = aim::parse_rule_stream(std::string(reinterpret_cast<const char*>(data), size),
                                            aim::Family::V4, aim::Backend::Legacy,
                                            {"nat", "filter"}, "fuzz");
  for (const auto& t : set.tables)
    if (!t.read_ok() && !t.chains.empty()) __builtin_trap();  // never partial content
  return 0;
}
