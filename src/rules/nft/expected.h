#pragma once
// The proof that a translated rule's text is the whole rule: the expression
// list iptables-nft 1.8.9 would write for the parts the translator read
// (nft.c, nft-shared.c, nft-ipv4.c, nft-ipv6.c: the order, every attribute,
// the native forms of -p/-s/-d/-i/-o/-f, tcp, udp, mark, limit and NFLOG),
// compared with the kernel's expressions in one canonical form. The
// translator reads leniently; this comparison is what refuses a rule whose
// text would rebuild a different one (a range where iptables writes a
// prefix, an address with bits outside its mask, an extra or reordered
// expression, a kernel attribute no text can carry). Pure.
//
// The canonical form of an expression is its name and every attribute
// (sorted by type; nests written out; padding dropped; a counter's values
// dropped: traffic is not part of a rule), e.g.
//   cmp(1=00000001,2=00000000,3={1=06})
#include <string>
#include <string_view>
#include <vector>

#include "rules/nft/translate.h"
#include "util/result.h"

namespace aim {

// The kernel's expressions (NFTA_RULE_EXPRESSIONS' payload), canonical.
Result<std::vector<std::string>> canonical_expressions(std::string_view expressions);

// What iptables-nft 1.8.9 writes for `parts` (compat blobs as they are: the
// extension's own parser proves those, see xt_roundtrip), canonical.
std::vector<std::string> expected_expressions(const NftRuleParts& parts, Family family);

// Empty when `expressions` are exactly what iptables-nft writes for
// `parts`; else which expression differs and how.
std::string compare_with_iptables_nft(std::string_view expressions, const NftRuleParts& parts,
                                      Family family);

}  // namespace aim
