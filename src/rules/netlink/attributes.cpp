#include "rules/netlink/attributes.h"

#include <arpa/inet.h>
#include <linux/netlink.h>

#include <cstring>

namespace aim {

bool for_each_attribute(std::string_view data,
                        const std::function<void(uint16_t, std::string_view)>& f) {
  while (data.size() >= NLA_HDRLEN) {
    nlattr header;
    std::memcpy(&header, data.data(), sizeof header);
    if (header.nla_len < NLA_HDRLEN || header.nla_len > data.size()) return false;
    f(header.nla_type & NLA_TYPE_MASK, data.substr(NLA_HDRLEN, header.nla_len - NLA_HDRLEN));
    const size_t step = NLA_ALIGN(header.nla_len);
    if (step >= data.size()) return true;
    data.remove_prefix(step);
  }
  return data.empty();
}

bool read_be32(std::string_view payload, uint32_t& out) {
  if (payload.size() != 4) return false;
  uint32_t raw;
  std::memcpy(&raw, payload.data(), 4);
  out = ntohl(raw);
  return true;
}

std::string_view attribute_string(std::string_view payload) {
  const size_t nul = payload.find('\0');
  return nul == std::string_view::npos ? payload : payload.substr(0, nul);
}

bool read_be64(std::string_view payload, uint64_t& out) {
  if (payload.size() != 8) return false;
  out = 0;
  for (char c : payload) out = out << 8 | static_cast<uint8_t>(c);
  return true;
}

std::string encode_attribute(uint16_t type, std::string_view value) {
  nlattr header{};
  header.nla_len = static_cast<uint16_t>(NLA_HDRLEN + value.size());
  header.nla_type = type;
  std::string out(reinterpret_cast<const char*>(&header), sizeof header);
  out += value;
  out.append(NLA_ALIGN(value.size()) - value.size(), '\0');
  return out;
}

}  // namespace aim
