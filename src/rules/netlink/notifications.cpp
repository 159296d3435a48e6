#include "rules/netlink/notifications.h"

#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <algorithm>
#include <cstdint>

#include "rules/netlink/attributes.h"

namespace aim {

std::vector<NftNotification> parse_nft_notifications(std::string_view datagram, bool& malformed) {
  std::vector<NftNotification> out;
  int remaining = static_cast<int>(std::min<size_t>(datagram.size(), INT32_MAX));
  // NLMSG_OK/NEXT only read within `remaining`; the cast is for the macros.
  for (auto* msg = reinterpret_cast<const nlmsghdr*>(datagram.data()); NLMSG_OK(msg, remaining);
       msg = NLMSG_NEXT(msg, remaining)) {
    if ((msg->nlmsg_type >> 8) != NFNL_SUBSYS_NFTABLES) continue;
    const size_t header_size = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(nfgenmsg)));
    if (msg->nlmsg_len < header_size) {
      malformed = true;
      continue;
    }
    NftNotification n;
    n.type = static_cast<uint16_t>(msg->nlmsg_type & 0xff);
    n.flags = msg->nlmsg_flags;
    n.family = static_cast<const nfgenmsg*>(NLMSG_DATA(msg))->nfgen_family;
    const std::string_view attributes(reinterpret_cast<const char*>(msg) + header_size,
                                      msg->nlmsg_len - header_size);
    const bool is_rule = n.type == NFT_MSG_NEWRULE || n.type == NFT_MSG_DELRULE;
    const bool is_chain = n.type == NFT_MSG_NEWCHAIN || n.type == NFT_MSG_DELCHAIN;
    bool has_generation = false, has_handle = false;
    malformed |= !for_each_attribute(attributes, [&](uint16_t type, std::string_view value) {
      if (n.type == NFT_MSG_NEWGEN) {
        if (type == NFTA_GEN_ID) has_generation = read_be32(value, n.generation);
        return;
      }
      // Every object's first attribute is its table (NFTA_TABLE_NAME,
      // NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE, ...).
      if (type == 1) n.table = std::string(attribute_string(value));
      if (is_rule && type == NFTA_RULE_CHAIN) n.chain = std::string(attribute_string(value));
      if (is_chain && type == NFTA_CHAIN_NAME) n.chain = std::string(attribute_string(value));
      if (is_chain && type == NFTA_CHAIN_HANDLE) read_be64(value, n.chain_handle);
      if (is_rule && type == NFTA_RULE_HANDLE) has_handle = read_be64(value, n.rule_handle);
      if (n.type == NFT_MSG_NEWRULE) {
        if (type == NFTA_RULE_POSITION) read_be64(value, n.position);
        if (type == NFTA_RULE_EXPRESSIONS) n.expressions = std::string(value);
        if (type == NFTA_RULE_USERDATA) n.userdata = std::string(value);
      }
    });
    if (n.type == NFT_MSG_NEWGEN ? !has_generation
                                 : n.table.empty() || ((is_rule || is_chain) && n.chain.empty()) ||
                                       (is_rule && (!has_handle || n.rule_handle == 0)))
      malformed = true;
    out.push_back(std::move(n));
  }
  if (remaining != 0) malformed = true;  // a truncated message
  return out;
}

}  // namespace aim
