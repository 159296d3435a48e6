#include "rules/netlink/generation.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cerrno>

namespace aim {

Result<uint32_t> generation(NftNetlink& netlink) {
  std::optional<uint32_t> id;
  const Status st =
      netlink.request(NFT_MSG_GETGEN, NFPROTO_UNSPEC, {}, false, [&](const NftAnswer& answer) {
        for_each_attribute(answer.attributes, [&](uint16_t type, std::string_view value) {
          uint32_t v = 0;
          if (type == NFTA_GEN_ID && read_be32(value, v)) id = v;
        });
      });
  if (!st) return Error{"reading the ruleset generation: " + st.error(), st.error_code()};
  if (!id) return Error{"the kernel's generation answer has no id"};
  return *id;
}

Result<uint32_t> settled_generation(NftNetlink& netlink, int looks) {
  for (int look = 0; look < looks; ++look) {
    auto id = generation(netlink);
    if (!id) return id;
    auto settled = netlink.generation_settled(*id);
    if (!settled)
      return Error{"reading the ruleset generation: " + settled.error(), settled.error_code()};
    if (*settled) return *id;
  }
  return Error{"reading the ruleset generation: a commit was under way at each of " +
                   std::to_string(looks) + " looks",
               EAGAIN};
}

Status repeat_at_stable_generation(int attempts,
                                   const std::function<std::optional<std::string>()>& read_once) {
  auto netlink = NftNetlink::open();
  if (!netlink)
    return Error{"reading the ruleset generation: " + netlink.error(), netlink.error_code()};
  std::string last;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    auto before = settled_generation(*netlink);
    if (!before) return Error{before.error(), before.error_code()};
    std::optional<std::string> again = read_once();
    // Read after the read whatever it gave: an error it met may be a
    // commit's doing (a chain gone), and is then read again too.
    auto after = generation(*netlink);
    if (!after) return Error{after.error(), after.error_code()};
    if (*before != *after) {
      last = "generation " + std::to_string(*before) + " -> " + std::to_string(*after);
      continue;
    }
    if (again) {
      last = std::move(*again);
      continue;
    }
    return Ok{};
  }
  return Error{"the nftables ruleset changed during each of " + std::to_string(attempts) +
                   " reads (last: " + last + "); the next check reads again",
               EAGAIN};
}

}  // namespace aim
