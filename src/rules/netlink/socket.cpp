#include "rules/netlink/socket.h"

#include <arpa/inet.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace aim {
namespace {

Error system_error(const std::string& what) {
  const int code = errno;
  return Error{"nf_tables netlink: " + what + ": " + std::strerror(code), code};
}

}  // namespace

std::string NftNetlink::message_bytes(uint16_t type, uint16_t flags, uint8_t family,
                                      uint16_t resource, std::string_view attributes) {
  std::string packet(NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(nfgenmsg)), '\0');
  packet += attributes;
  nlmsghdr header{};
  header.nlmsg_len = static_cast<uint32_t>(packet.size());
  header.nlmsg_type = type;
  header.nlmsg_flags = flags;
  header.nlmsg_seq = ++sequence_;
  nfgenmsg body{};
  body.nfgen_family = family;
  body.version = NFNETLINK_V0;
  body.res_id = htons(resource);
  std::memcpy(packet.data(), &header, sizeof header);
  std::memcpy(packet.data() + NLMSG_HDRLEN, &body, sizeof body);
  return packet;
}

Result<NftNetlink> NftNetlink::open() {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!fd.valid()) return system_error("socket");
  // The kernel answers at once; a bound wait keeps a wedged socket from
  // hanging a check.
  timeval timeout{10, 0};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return NftNetlink(std::move(fd));
}

Status NftNetlink::request(uint16_t message, uint8_t family,
                           const std::vector<NetlinkAttribute>& attributes, bool dump,
                           const std::function<void(const NftAnswer&)>& on_answer) {
  std::string attribute_bytes;
  for (const NetlinkAttribute& a : attributes) attribute_bytes += encode_attribute(a.type, a.value);
  const std::string packet =
      message_bytes(static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | message),
                    NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0), family, 0, attribute_bytes);

  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (sendto(fd_.get(), packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof kernel) < 0)
    return system_error("sendto");

  // A dump answer is at most 32 KiB per read (the kernel's cap); twice that
  // leaves room, and MSG_TRUNC tells if it ever does not. Two reads per
  // call: the receive that hands out a dump's part makes the kernel queue
  // the next (for one chain's rules, NLMSG_DONE) before it returns, so
  // MSG_WAITFORONE takes that too without a second system call (40,000
  // chains, 40,000 calls fewer); a read that would wait ends the call.
  constexpr size_t kReadSize = 64 * 1024;
  constexpr unsigned kReads = 2;
  buffer_.resize(kReads * kReadSize);
  bool interrupted = false;
  for (;;) {
    iovec parts[kReads];
    mmsghdr reads[kReads] = {};
    for (unsigned i = 0; i < kReads; ++i) {
      parts[i] = {buffer_.data() + i * kReadSize, kReadSize};
      reads[i].msg_hdr.msg_iov = &parts[i];
      reads[i].msg_hdr.msg_iovlen = 1;
    }
    const int got = recvmmsg(fd_.get(), reads, kReads, MSG_TRUNC | MSG_WAITFORONE, nullptr);
    if (got < 0 && errno == EINTR) continue;
    // SO_RCVTIMEO: not "changed" (EAGAIN means that to callers).
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) errno = ETIMEDOUT;
    if (got < 0) return system_error("recv");
    for (int r = 0; r < got; ++r) {
      const size_t n = reads[r].msg_len;
      if (n > kReadSize || (reads[r].msg_hdr.msg_flags & MSG_TRUNC)) {
        errno = EMSGSIZE;
        return system_error("answer larger than the receive buffer");
      }
      int remaining = static_cast<int>(n);
      for (auto* msg = reinterpret_cast<nlmsghdr*>(buffer_.data() + r * kReadSize);
           NLMSG_OK(msg, remaining); msg = NLMSG_NEXT(msg, remaining)) {
        if (msg->nlmsg_seq != sequence_) continue;  // a late answer to an earlier request
        // The ruleset changed between two parts of this dump: what was handed
        // out so far mixes two generations. The caller reads again, once the
        // dump is read to its end (the socket takes no request before).
        if (msg->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
        if (msg->nlmsg_type == NLMSG_DONE) {
          if (interrupted)
            return Error{"nf_tables netlink: the ruleset changed during the dump", EAGAIN};
          return Ok{};
        }
        if (interrupted) continue;
        if (msg->nlmsg_type == NLMSG_ERROR) {
          const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(msg));
          if (err->error == 0) return Ok{};
          errno = -err->error;
          return system_error("kernel answered");
        }
        const size_t header_size = NLMSG_LENGTH(NLMSG_ALIGN(sizeof(nfgenmsg)));
        if (msg->nlmsg_len < header_size) return Error{"nf_tables netlink: short answer"};
        const auto* gen = static_cast<const nfgenmsg*>(NLMSG_DATA(msg));
        on_answer({static_cast<uint16_t>(msg->nlmsg_type & 0xff), gen->nfgen_family,
                   std::string_view(reinterpret_cast<const char*>(msg) + header_size,
                                    msg->nlmsg_len - header_size)});
        if (!dump) return Ok{};
      }
    }
  }
}

Result<bool> NftNetlink::generation_settled(uint32_t generation) {
  const uint32_t id = htonl(generation);
  // Two statements: the begin message must take the first sequence number.
  std::string batch = message_bytes(
      NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES,
      encode_attribute(NFNL_BATCH_GENID,
                       std::string_view(reinterpret_cast<const char*>(&id), sizeof id)));
  const uint32_t begin_sequence = sequence_;
  batch += message_bytes(NFNL_MSG_BATCH_END, NLM_F_REQUEST, AF_UNSPEC, NFNL_SUBSYS_NFTABLES, "");
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  // The kernel handles the batch within this call: any answer is queued
  // when it returns.
  if (sendto(fd_.get(), batch.data(), batch.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
             sizeof kernel) < 0)
    return system_error("sendto (generation barrier)");
  buffer_.resize(64 * 1024);
  bool settled = true;
  for (;;) {
    const ssize_t n = recv(fd_.get(), buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return settled;
    if (n < 0) return system_error("recv (generation barrier)");
    int remaining = static_cast<int>(n);
    for (auto* msg = reinterpret_cast<nlmsghdr*>(buffer_.data()); NLMSG_OK(msg, remaining);
         msg = NLMSG_NEXT(msg, remaining)) {
      if (msg->nlmsg_type != NLMSG_ERROR || msg->nlmsg_seq < begin_sequence) continue;
      const auto* err = static_cast<const nlmsgerr*>(NLMSG_DATA(msg));
      if (err->error == -ERESTART) {
        settled = false;
      } else if (err->error != 0) {
        errno = -err->error;
        return system_error("generation barrier");
      }
    }
  }
}

}  // namespace aim
