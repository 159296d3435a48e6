#pragma once
// Turns one iptables-nft rule, as the kernel describes it over netlink (its
// expression list and user data), back into the parts `iptables-nft -S`
// prints: the generic part (addresses, interfaces, protocol, fragments), the
// matches in order (compat xtables blobs, and the tcp/udp/mark/comment
// matches iptables-nft rebuilds from native expressions), and the action.
// Pure: the extension text itself is printed by libxtables (nft/shim.h).
//
// Exact by design: the parts are read as iptables-nft 1.8.9 reads them
// (nft-shared.c, nft-ipv4.c, nft-ipv6.c), and accepted only when
// iptables-nft would write exactly the kernel's expressions back for them
// (nft/expected.h). Anything else is an error naming what differs, and the
// caller shows the rule in nft syntax instead.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "rules/legacy/shim.h"
#include "rules/ruleset.h"
#include "util/result.h"

namespace aim {

// struct xt_tcp / xt_udp as iptables-nft's parser leaves them.
struct NftPorts {
  uint16_t spts[2] = {0, 0xffff};
  uint16_t dpts[2] = {0, 0xffff};
  uint8_t invflags = 0;
  uint8_t flg_mask = 0, flg_cmp = 0;
};

struct NftMatchPart {
  enum class Kind { Compat, Tcp, Udp, Mark, Comment, Limit };
  Kind kind = Kind::Compat;
  std::string name;  // Compat
  uint32_t revision = 0;
  std::string_view info;        // Compat: the xtables blob, inside the caller's buffer
  NftPorts ports;               // Tcp, Udp
  uint32_t mark = 0, mask = 0;  // Mark
  bool invert = false;
  std::string comment;          // Comment (from the rule's user data)
  uint32_t avg = 0, burst = 0;  // Limit
};

struct NftAction {
  enum class Kind { None, Accept, Drop, Return, Jump, Goto, Target, Nflog };
  Kind kind = Kind::None;
  std::string chain;  // Jump, Goto
  std::string name;   // Target
  uint32_t revision = 0;
  std::string_view info;
  std::string prefix;  // Nflog: the native log expression's fields
  uint16_t group = 0, threshold = 0;
  bool has_snaplen = false;
  uint32_t snaplen = 0;
};

struct NftRuleParts {
  aim_rule_head head{};  // proto_name left empty: resolved where libxtables is
  std::vector<NftMatchPart> matches;
  NftAction action;
};

// A chain name iptables text carries unambiguously and iptables-nft would
// take (xshared.c: under 29 bytes, not starting with '-' or '!'): printable
// ASCII without spaces, quotes or backslashes, which its restore parser
// would split or unquote.
bool iptables_chain_name(std::string_view name);

// `expressions`: the payload of NFTA_RULE_EXPRESSIONS; `userdata`: of
// NFTA_RULE_USERDATA (null when the rule has none). The result's string_views
// point into `expressions`.
Result<NftRuleParts> translate_nft_rule(std::string_view expressions, const std::string* userdata,
                                        Family family);

}  // namespace aim
