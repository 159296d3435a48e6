// iptables-nft-save text parsing: never a crash; a RuleSet whose lines are
// views into the text it was given.
#include <cstddef>
#include <cstdint>
#include <string>

#include "rules/save_parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  aim::RuleSet set = aim::parse_save_text(std::string(reinterpret_cast<const char*>(data), size),
                                          aim::Family::V4, aim::Backend::Nft);
  size_t total = 0;
  for (const auto& t : set.tables)
    for (const auto& c : t.chains) {
      total += c.header.size();
      for (auto r : c.rules) total += r.size();
    }
  return total == static_cast<size_t>(-1);
}
