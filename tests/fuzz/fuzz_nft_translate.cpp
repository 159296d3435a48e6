// The nft rule translator on arbitrary expression lists and user data: no
// crash, and what it accepts is consistent (compat blobs inside the input,
// named extensions and jump targets, interface masks only over names).
// Input: byte 0 bit 0 = IPv6, bit 1 = user data present; byte 1 = user data
// length; then the user data, then the NFTA_RULE_EXPRESSIONS payload.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rules/legacy/format.h"
#include "rules/nft/translate.h"

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const aim::Family family = (data[0] & 1) ? aim::Family::V6 : aim::Family::V4;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t split = std::min<size_t>(data[1], rest.size());
  const std::string udata(rest.substr(0, split));
  const std::string_view expressions = rest.substr(split);
  auto r = aim::translate_nft_rule(expressions, (data[0] & 2) ? &udata : nullptr, family);
  if (!r) {
    if (r.error().empty()) __builtin_trap();  // a refusal always says why
    return 0;
  }
  const aim_rule_head& h = r->head;
  (void)aim::format_rule_head(h);
  if ((h.in_iface_mask[0] && !h.in_iface[0]) || (h.out_iface_mask[0] && !h.out_iface[0]))
    __builtin_trap();
  for (const aim::NftMatchPart& m : r->matches)
    if (m.kind == aim::NftMatchPart::Kind::Compat &&
        (m.name.empty() || !inside(m.info, expressions)))
      __builtin_trap();
  const aim::NftAction& a = r->action;
  if ((a.kind == aim::NftAction::Kind::Jump || a.kind == aim::NftAction::Kind::Goto) &&
      a.chain.empty())
    __builtin_trap();
  if (a.kind == aim::NftAction::Kind::Target && (a.name.empty() || !inside(a.info, expressions)))
    __builtin_trap();
  if (a.prefix.size() > 127) __builtin_trap();
  return 0;
}
