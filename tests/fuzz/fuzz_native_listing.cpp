// Native nftables listing parsing, two ways:
//  1. arbitrary text against a fixed shape: never a crash;
//  2. an oracle: the input is cut into records (rule bodies holding any
//     bytes: newlines, quotes, "}", "# handle 7"), rendered as
//     `nft -s -t -a list table` prints them (strings raw), with the kernel
//     shape those records give (handles, newlines per rule); the parser
//     must give back exactly the records, in order, chain by chain.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "fuzz_records.h"
#include "rules/native/listing.h"

namespace {

aim::NativeTableShape fixed_shape() {
  aim::NativeTableShape s{"inet", "t", 1, {}};
  s.blocks.push_back({"set", "bl", 2, {}});
  s.blocks.push_back({"chain", "in", 3, {{4, 0}, {5, 1}}});
  return s;
}

void arbitrary_text(const std::string& text) {
  aim::TextArena arena;
  aim::Table t = aim::parse_native_table(text, fixed_shape(), arena);
  size_t total = 0;
  for (const auto& c : t.chains) total += c.header.size() + c.rules.size();
  if (total == static_cast<size_t>(-1)) std::abort();
}

void rendered_records(const std::string& input) {
  const char* const chains[] = {"in", "out", "fwd"};
  aim::NativeTableShape shape{"inet", "t", 1, {}};
  uint64_t handle = 10;
  for (const char* c : chains) shape.blocks.push_back({"chain", c, handle++, {}});
  std::vector<std::vector<std::string>> bodies(3);
  for (const aim::test::FuzzRecord& r : aim::test::fuzz_records(input, 3)) {
    bodies[r.pick].push_back(r.body);
    shape.blocks[r.pick].rules.push_back(
        {handle++, static_cast<uint32_t>(std::count(r.body.begin(), r.body.end(), '\n'))});
  }
  std::string text = "table inet t { # handle 1\n";
  for (size_t c = 0; c < 3; ++c) {
    if (c) text += "\n";
    const aim::NativeBlockShape& b = shape.blocks[c];
    text += "\tchain " + b.name + " { # handle " + std::to_string(b.handle) + "\n";
    for (size_t r = 0; r < bodies[c].size(); ++r)
      text += "\t\t" + bodies[c][r] + " # handle " + std::to_string(b.rules[r].handle) + "\n";
    text += "\t}\n";
  }
  text += "}\n";
  aim::TextArena arena;
  aim::Table t = aim::parse_native_table(text, shape, arena);
  if (!t.read_ok()) std::abort();
  if (t.chains.size() != 4) std::abort();  // the table's own line, then 3 chains
  for (size_t c = 0; c < 3; ++c) {
    const aim::Chain& chain = t.chains[c + 1];
    if (chain.rules.size() != bodies[c].size()) std::abort();
    for (size_t r = 0; r < bodies[c].size(); ++r)
      if (chain.rules[r] != "add rule inet t " + std::string(chains[c]) + " " + bodies[c][r])
        std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  arbitrary_text(input);
  rendered_records(input);
  return 0;
}
