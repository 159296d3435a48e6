#pragma once
// Reads the rules iptables-nft manages, by running iptables-nft-save /
// ip6tables-nft-save once per family and parsing its text (save_parser)
// against the kernel's layout of the same generation (nft_layout_reader), so
// rule text cannot pose as structure. iptables-nft-save only lists: it
// creates nothing in nftables and takes no lock. A missing program, a failing
// run, an incompatible table or text that disagrees with the kernel is a read
// error (verdict unknown), never an empty table.
#include <chrono>
#include <string>
#include <vector>

#include "rules/native_reader.h"
#include "rules/reader.h"

namespace aim {

class NftReader : public RuleReader {
 public:
  explicit NftReader(std::chrono::milliseconds timeout = std::chrono::seconds(120),
                     std::string save_v4 = "iptables-nft-save",
                     std::string save_v6 = "ip6tables-nft-save")
      : timeout_(timeout), save_v4_(std::move(save_v4)), save_v6_(std::move(save_v6)) {}
  Backend backend() const override { return Backend::Nft; }
  RuleSet read(Family family) override;
  // With a native reader: tables iptables-nft cannot show are left out of
  // this reader's sets and named in `delegated` for the native reader,
  // instead of being read errors.
  void delegate_incompatible_to(std::shared_ptr<DelegatedTables> delegated) {
    delegated_ = std::move(delegated);
  }

 private:
  struct Attempt;
  Attempt read_consistently(const std::string& path, Family family, const std::string& only_table);
  std::shared_ptr<DelegatedTables> delegated_;
  std::chrono::milliseconds timeout_;
  std::string save_v4_, save_v6_;
};

// Finds `program` in the directories iptables is installed in, then $PATH.
std::string find_program(const std::string& program);

}  // namespace aim
