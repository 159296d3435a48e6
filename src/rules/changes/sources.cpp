#include "rules/changes/sources.h"

#include <errno.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <poll.h>
#include <sys/socket.h>

#include "rules/changes/xt_info_shim.h"
#include "rules/table_names.h"

namespace aim {

Status NftChangeMonitor::open(int receive_buffer) {
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_NETFILTER));
  if (!fd.valid()) return Error{"cannot open a netfilter netlink socket", errno};
  sockaddr_nl addr{};
  addr.nl_family = AF_NETLINK;
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
    return Error{"cannot bind a netfilter netlink socket", errno};
  const int group = NFNLGRP_NFTABLES;
  if (setsockopt(fd.get(), SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) != 0)
    return Error{"cannot listen to nf_tables changes (NFNLGRP_NFTABLES; needs CAP_NET_ADMIN)",
                 errno};
  if (receive_buffer > 64 * 1024 &&
      setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUFFORCE, &receive_buffer, sizeof receive_buffer) == 0)
    ;  // beyond net.core.rmem_max (CAP_NET_ADMIN)
  else
    setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  fd_ = std::move(fd);
  return Ok{};
}

bool NftChangeMonitor::receive(std::vector<NftNotification>& out, std::chrono::milliseconds wait) {
  if (!fd_.valid()) return false;
  pollfd p{fd_.get(), POLLIN, 0};
  if (wait.count() > 0) {
    const int ready = poll(&p, 1, static_cast<int>(wait.count()));
    if (ready < 0 && errno != EINTR) return false;
  }
  std::vector<char> buffer(256 * 1024);
  bool intact = true;
  // Bounded: a writer that never stops leaves the rest for the next call.
  for (int reads = 0; reads < 1024; ++reads) {
    const ssize_t n = recv(fd_.get(), buffer.data(), buffer.size(), MSG_DONTWAIT | MSG_TRUNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ENOBUFS) {
      intact = false;
      continue;
    }
    if (n < 0) break;  // EAGAIN: nothing more queued
    if (static_cast<size_t>(n) > buffer.size()) {
      intact = false;  // cut: its notifications are lost
      continue;
    }
    bool malformed = false;
    std::vector<NftNotification> got =
        parse_nft_notifications(std::string_view(buffer.data(), static_cast<size_t>(n)), malformed);
    intact &= !malformed;
    out.insert(out.end(), std::make_move_iterator(got.begin()), std::make_move_iterator(got.end()));
  }
  return intact;
}

bool NftChangeMonitor::drain() {
  if (!fd_.valid()) return false;
  bool any = false;
  char buffer[16384];
  // Bounded: the receive buffer holds ~128 KB; a writer still going gets
  // this many reads now and the rest later (or dropped, which reports too).
  for (int i = 0; i < 64; ++i) {
    const ssize_t n = recv(fd_.get(), buffer, sizeof buffer, MSG_DONTWAIT);
    if (n > 0) {
      any = true;
      continue;
    }
    if (n < 0 && errno == ENOBUFS) {
      any = true;
      continue;
    }
    break;  // EAGAIN: empty
  }
  return any;
}

XtTableSizes XtTablePoller::poll() {
  XtTableSizes sizes;
  for (Family family : families_) {
    auto names = read_file(std::string(table_names_path(family)), 4096);
    if (!names) continue;  // the family's module is not loaded: no tables
    const std::vector<std::string> tables = parse_table_names(*names);
    if (tables.empty()) continue;
    UniqueFd& fd = sockets_[family == Family::V4 ? 0 : 1];
    if (!fd.valid()) fd.reset(aim_xt_info_socket(family == Family::V4 ? 4 : 6));
    for (const std::string& table : tables) {
      unsigned entries = 0, size = 0;
      if (!fd.valid() || aim_xt_table_info(fd.get(), family == Family::V4 ? 4 : 6, table.c_str(),
                                           &entries, &size) != 0)
        entries = size = 0;
      sizes[std::string(family_name(family)) + " " + table] = {entries, size};
    }
  }
  return sizes;
}

}  // namespace aim
