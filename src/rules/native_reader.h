#pragma once
// Reads native nftables tables: every table no iptables tool shows (any
// family: ip, ip6, inet, arp, bridge, netdev), and the iptables-named tables
// iptables-nft could not show (its reader reports them in `delegated`), in
// process with libnftables, as lines in nft's command syntax
// (native_listing.h). Native tables are not per address family: the reader
// gives one RuleSet (backend nftables), checked with the `nftables` file of
// the --input directory. A table that cannot be read is an error in it
// (verdict unknown), never an empty table.
#include <memory>
#include <set>
#include <string>

#include "rules/reader.h"

namespace aim {

// Tables iptables-nft manages but cannot show ("ip filter"): the nft reader
// leaves them to the native reader instead of failing them.
struct DelegatedTables {
  std::set<std::string> labels;
};

class NativeNftReader : public RuleReader {
 public:
  explicit NativeNftReader(std::shared_ptr<const DelegatedTables> delegated = nullptr)
      : delegated_(std::move(delegated)) {}
  Backend backend() const override { return Backend::Native; }
  bool per_family() const override { return false; }
  RuleSet read(Family family) override;

 private:
  std::shared_ptr<const DelegatedTables> delegated_;
};

}  // namespace aim
