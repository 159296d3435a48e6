// One read of the iptables-nft rules of the current network namespace (run
// inside one), both families, by one reader; prints one line of figures for
// bench/nft_inprocess_vs_save.sh to compare. Each reader runs in its own
// process so its peak RSS is its own.
// usage: nft_readers inprocess|savetext|floor
//   inprocess  NftReader as the product runs it (netlink + translation,
//              iptables-nft-save only for tables it cannot translate)
//   savetext   NftReader reading everything with iptables-nft-save (before)
//   floor      the netlink dumps alone: chain list, one rule dump per chain
// prints: MODE SECONDS RULES FALLBACK_TABLES SELF_RSS_KIB HELPER_RSS_KIB
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "rules/netlink/layout_reader.h"
#include "rules/nft/reader.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s inprocess|savetext|floor\n", argv[0]);
    return 2;
  }
  const std::string mode = argv[1];
  const auto started = std::chrono::steady_clock::now();
  size_t rules = 0, fallback = 0;
  long helper = 0;
  for (aim::Family family : {aim::Family::V4, aim::Family::V6}) {
    if (mode == "floor") {
      auto layout = aim::read_kernel_layout(family);
      if (!layout) {
        std::fprintf(stderr, "%s\n", layout.error().c_str());
        return 1;
      }
      for (const auto& [name, table] : layout->tables)
        for (const auto& [chain, contents] : table.chains) rules += contents.rule_newlines.size();
      continue;
    }
    aim::NftReader reader(
        std::chrono::seconds(600), "iptables-nft-save", "ip6tables-nft-save",
        mode == "savetext" ? aim::NftReader::Mode::SaveText : aim::NftReader::Mode::InProcess);
    aim::RuleSet set = reader.read(family);
    if (!set.complete()) {
      std::fprintf(stderr, "%s read incomplete: %s\n", mode.c_str(), set.error.c_str());
      return 1;
    }
    rules += set.rule_count();
    fallback += set.stats.native_rules;
    helper = std::max(helper, set.stats.helper_peak_rss_kib);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  std::printf("%s %.3f %zu %zu %ld %ld\n", mode.c_str(), seconds, rules, fallback, self.ru_maxrss,
              helper);
  return 0;
}
