// iptables-nft-save text parsing, two ways:
//  1. arbitrary text against the layout its lines suggest: never a crash;
//  2. an oracle: the input is cut into records (rule bodies holding any
//     bytes: newlines, quotes, "*filter", "COMMIT"), rendered as
//     iptables-nft-save prints them (strings raw) with the kernel layout
//     those records give; the parser must give back exactly the records,
//     as many rules as iptables wrote "-A" records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_records.h"
#include "rules/nft/save_parser.h"
#include "save_layout.h"

namespace {

void arbitrary_text(const std::string& text) {
  aim::RuleSet set = aim::parse_save_text(text, aim::Family::V4, aim::Backend::Nft,
                                          aim::test::layout_of_simple_text(text));
  size_t total = 0;
  for (const auto& t : set.tables)
    for (const auto& c : t.chains) {
      total += c.header.size();
      for (auto r : c.rules) total += r.size();
    }
  if (total == static_cast<size_t>(-1)) std::abort();
}

void rendered_records(const std::string& input) {
  static const char* const kChains[] = {"INPUT", "OUTPUT", "KUBE-SERVICES"};
  aim::test::SaveTable filter{
      "filter", {{"INPUT", "ACCEPT"}, {"OUTPUT", "DROP"}, {"KUBE-SERVICES", "-"}}, {}};
  aim::test::SaveTable nat{"nat", {{"PREROUTING", "ACCEPT"}}, {}};
  for (const aim::test::FuzzRecord& r : aim::test::fuzz_records(input, 4)) {
    if (r.pick == 3)
      nat.rules.push_back({"PREROUTING", r.body});
    else
      filter.rules.push_back({kChains[r.pick], r.body});
  }
  const std::vector<aim::test::SaveTable> tables{filter, nat};
  aim::RuleSet set = aim::parse_save_text(aim::test::save_text(tables), aim::Family::V4,
                                          aim::Backend::Nft, aim::test::layout_of(tables));
  if (!set.complete()) std::abort();
  size_t parsed = 0;
  for (const aim::test::SaveTable& expected : tables) {
    const aim::Table* table = set.find_table(expected.name);
    if (!table) std::abort();
    std::vector<size_t> next(table->chains.size(), 0);
    for (const aim::test::SaveRule& r : expected.rules) {
      size_t c = 0;
      while (c < table->chains.size() && table->chains[c].name != r.chain) ++c;
      if (c == table->chains.size() || next[c] >= table->chains[c].rules.size()) std::abort();
      if (table->chains[c].rules[next[c]++] != "-A " + r.chain + " " + r.body) std::abort();
      ++parsed;
    }
  }
  if (parsed != set.rule_count()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  arbitrary_text(input);
  rendered_records(input);
  return 0;
}
