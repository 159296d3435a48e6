#include "rules/netlink/tables.h"

#include <errno.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include "rules/netlink/socket.h"
#include "rules/ruleset.h"

namespace aim {
namespace {

std::string family_text(uint8_t family) {
  switch (family) {
    case NFPROTO_INET:
      return "inet";
    case NFPROTO_IPV4:
      return "ip";
    case NFPROTO_IPV6:
      return "ip6";
    case NFPROTO_ARP:
      return "arp";
    case NFPROTO_BRIDGE:
      return "bridge";
    case NFPROTO_NETDEV:
      return "netdev";
  }
  return "family" + std::to_string(family);
}

}  // namespace

// A dump the kernel marks interrupted (a commit landed between its parts:
// EAGAIN) is asked again; the list is a few hundred bytes, so a retry is
// cheap, and a ruleset committed to without pause still ends in an error.
constexpr int kTableListAttempts = 10;

Result<std::vector<NftTable>> list_nft_tables() {
  auto netlink = NftNetlink::open();
  if (!netlink) return Error{"listing nftables tables: " + netlink.error(), netlink.error_code()};
  Status st = Ok{};
  for (int attempt = 0; attempt < kTableListAttempts; ++attempt) {
    std::vector<NftTable> tables;
    bool malformed = false;
    st = netlink->request(NFT_MSG_GETTABLE, NFPROTO_UNSPEC, {}, true, [&](const NftAnswer& answer) {
      NftTable table{family_text(answer.family), {}};
      malformed |=
          !for_each_attribute(answer.attributes, [&](uint16_t type, std::string_view value) {
            if (type == NFTA_TABLE_NAME) table.name = std::string(attribute_string(value));
          });
      tables.push_back(std::move(table));
    });
    if (st && malformed) return Error{"listing nftables tables: the kernel's answer is malformed"};
    if (st) return tables;
    if (st.error_code() != EAGAIN) break;
  }
  return Error{"listing nftables tables: " + st.error(), st.error_code()};
}

std::vector<std::string> foreign_tables(const std::vector<NftTable>& tables) {
  std::vector<std::string> out;
  for (const NftTable& t : tables) {
    const bool iptables_owned = (t.family == "ip" || t.family == "ip6") && table_rank(t.name);
    if (!iptables_owned) out.push_back(t.family + " " + t.name);
  }
  return out;
}

}  // namespace aim
