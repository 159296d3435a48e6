#pragma once
// Lists every nftables table in this network namespace with one netlink dump
// (no nft binary, no ruleset download: `nft list tables` fetches the whole
// ruleset and costs as much as iptables-nft-save).
#include <string>
#include <vector>

#include "util/result.h"

namespace aim {

struct NftTable {
  std::string family;  // "ip", "ip6", "inet", "arp", "bridge", "netdev"
  std::string name;
};

Result<std::vector<NftTable>> list_nft_tables();

// The tables no iptables tool shows: everything but ip/ip6 tables named like
// the iptables tables. "inet foo", "ip mytable".
std::vector<std::string> foreign_tables(const std::vector<NftTable>& tables);

}  // namespace aim
