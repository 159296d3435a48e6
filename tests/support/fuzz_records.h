#pragma once
// For the parsers' fuzz oracles: a fuzz input cut into records at NUL bytes
// (the strings iptables and nft print hold none); each record's first byte
// picks where it goes (modulo `choices`), the rest is its body.
#include <string>
#include <vector>

namespace aim::test {

struct FuzzRecord {
  unsigned pick;
  std::string body;
};

inline std::vector<FuzzRecord> fuzz_records(const std::string& input, unsigned choices) {
  std::vector<FuzzRecord> records;
  size_t pos = 0;
  while (pos < input.size()) {
    size_t end = input.find('\0', pos);
    if (end == std::string::npos) end = input.size();
    const std::string record = input.substr(pos, end - pos);
    pos = end + 1;
    if (record.empty()) continue;
    records.push_back({static_cast<unsigned char>(record[0]) % choices, record.substr(1)});
  }
  return records;
}

}  // namespace aim::test
