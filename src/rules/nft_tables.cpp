#include "rules/nft_tables.h"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "rules/ruleset.h"
#include "util/fd.h"

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

Error system_error(const std::string& what) {
  const int code = errno;
  return Error{"listing nftables tables: " + what + ": " + std::strerror(code), code};
}

}  // namespace

Result<std::vector<NftTable>> list_nft_tables() {
  UniqueFd sock(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!sock.valid()) return system_error("socket");

  struct {
    nlmsghdr header;
    nfgenmsg body;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETTABLE;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = 1;
  request.body.nfgen_family = NFPROTO_UNSPEC;
  request.body.version = NFNETLINK_V0;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(sock.get(), &request, sizeof request, 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof kernel) < 0)
    return system_error("sendto");

  std::vector<NftTable> tables;
  std::vector<char> buffer(64 * 1024);
  for (;;) {
    const ssize_t n = recv(sock.get(), buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return system_error("recv");
    int remaining = static_cast<int>(n);
    for (auto* msg = reinterpret_cast<nlmsghdr*>(buffer.data()); NLMSG_OK(msg, remaining);
         msg = NLMSG_NEXT(msg, remaining)) {
      if (msg->nlmsg_type == NLMSG_DONE) return tables;
      if (msg->nlmsg_type == NLMSG_ERROR) {
        const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(msg));
        errno = -err->error;
        return system_error("kernel answered");
      }
      const auto* gen = static_cast<const nfgenmsg*>(NLMSG_DATA(msg));
      NftTable table{family_text(gen->nfgen_family), {}};
      const char* attrs = static_cast<const char*>(NLMSG_DATA(msg)) + NLMSG_ALIGN(sizeof *gen);
      int attr_len = static_cast<int>(msg->nlmsg_len) - NLMSG_LENGTH(NLMSG_ALIGN(sizeof *gen));
      while (attr_len >= static_cast<int>(sizeof(nlattr))) {
        const auto* attr = reinterpret_cast<const nlattr*>(attrs);
        if (attr->nla_len < sizeof(nlattr) || attr->nla_len > attr_len) break;
        if ((attr->nla_type & NLA_TYPE_MASK) == NFTA_TABLE_NAME) {
          const char* value = attrs + NLA_HDRLEN;
          table.name.assign(value, strnlen(value, attr->nla_len - NLA_HDRLEN));
        }
        const int step = NLA_ALIGN(attr->nla_len);
        attrs += step;
        attr_len -= step;
      }
      tables.push_back(std::move(table));
    }
  }
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
