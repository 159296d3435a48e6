// Allowlist file parsing + Go->PCRE2 translation + compilation + matching:
// never a crash, a hang or a sanitizer report, whatever the file holds.
#include <cstddef>
#include <cstdint>
#include <string>

#include "allowlist/allowlist.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  aim::Allowlist list = aim::Allowlist::from_files("/fuzz", {{"filter", text}});
  static const std::string rule =
      "-A CILIUM_FORWARD -o cilium_host -m comment --comment \"cilium: any->cluster\" -j ACCEPT";
  for (const aim::Pattern& p : list.table_patterns("filter")) {
    p.search(rule);
    p.search(text.substr(0, 512));
  }
  return 0;
}
