#pragma once
// Reads native nftables tables: every table no iptables tool shows (any
// family: ip, ip6, inet, arp, bridge, netdev), the iptables-named tables
// iptables text could not show, and the rules of iptables tables whose
// iptables text would not be the whole rule (the nft reader names both in
// `delegated`; such rules stand in a table named like "ip filter" holding
// only them), in
// process with libnftables, as lines in nft's command syntax
// (native/listing.h). Native tables are not per address family: the reader
// gives one RuleSet (backend nftables), checked with the `nftables` file of
// the --input directory. A table that cannot be read is an error in it
// (verdict unknown), never an empty table.
#include <memory>

#include "rules/delegated_tables.h"
#include "rules/reader.h"

namespace aim {

class NativeNftReader : public RuleReader {
 public:
  explicit NativeNftReader(std::shared_ptr<const DelegatedTables> delegated = nullptr)
      : delegated_(std::move(delegated)) {}
  // `rules --backend nft`: only what the nft reader left to this one (its
  // rules and tables in nft syntax), not the other native tables.
  void only_delegated() { only_delegated_ = true; }
  Backend backend() const override { return Backend::Native; }
  bool per_family() const override { return false; }
  // Asked with no family (read_all): every native table at once.
  RuleSet read(std::optional<Family> family) override;

 private:
  std::shared_ptr<const DelegatedTables> delegated_;
  bool only_delegated_ = false;
};

}  // namespace aim
