#include "rules/netlink/chain_answer.h"

#include <linux/netfilter/nf_tables.h>

#include "rules/netlink/attributes.h"

namespace aim {

bool parse_chain_answer(std::string_view attributes, NftChainAnswer& c) {
  bool malformed = false;
  malformed |= !for_each_attribute(attributes, [&](uint16_t type, std::string_view v) {
    uint32_t n = 0;
    if (type == NFTA_CHAIN_TABLE) c.table = attribute_string(v);
    if (type == NFTA_CHAIN_NAME) c.name = attribute_string(v);
    if (type == NFTA_CHAIN_HANDLE) read_be64(v, c.handle);
    if (type == NFTA_CHAIN_TYPE) c.type = attribute_string(v);
    if (type == NFTA_CHAIN_POLICY && read_be32(v, n)) c.policy = n;
    if (type == NFTA_CHAIN_HOOK)
      malformed |= !for_each_attribute(v, [&](uint16_t t, std::string_view hv) {
        uint32_t m = 0;
        if (t == NFTA_HOOK_HOOKNUM && read_be32(hv, m)) c.hook = m;
        if (t == NFTA_HOOK_PRIORITY && read_be32(hv, m)) c.priority = static_cast<int32_t>(m);
      });
  });
  return !malformed;
}

}  // namespace aim
