#pragma once
// Where rule changes are noticed (the decisions are in xt_sizes.h and
// reconcile/check_pacer.h):
//   - nf_tables announces every change (iptables-nft, nft, native tables) on
//     the netlink group NFNLGRP_NFTABLES: NftChangeMonitor listens;
//   - x_tables (iptables-legacy) announces nothing: XtTablePoller asks each
//     loaded table's size, never its rules.
#include <chrono>
#include <vector>

#include "rules/changes/xt_sizes.h"
#include "rules/netlink/notifications.h"
#include "rules/ruleset.h"
#include "util/fd.h"
#include "util/result.h"

namespace aim {

class NftChangeMonitor {
 public:
  // A non-blocking socket in the group, with a small receive buffer: under a
  // flood of changes (kube-proxy rewriting 100,000 rules) the kernel drops
  // what does not fit and says so, and reading stays cheap. Needs
  // CAP_NET_ADMIN.
  Status open() { return open(64 * 1024); }
  // With a receive buffer of `receive_buffer` bytes (beyond the system's
  // limit when the process may: a reader that must not miss a notification).
  Status open(int receive_buffer);
  int fd() const { return fd_.get(); }
  // Reads what is queued into `out`, waiting up to `wait` for the first
  // datagram. False when the kernel dropped notifications (ENOBUFS) or one
  // was malformed: what happened is then unknown.
  bool receive(std::vector<NftNotification>& out, std::chrono::milliseconds wait);
  // Reads what is queued, discarding it: true when there was anything,
  // including "some were dropped" (ENOBUFS).
  bool drain();

 private:
  UniqueFd fd_;
};

class XtTablePoller {
 public:
  explicit XtTablePoller(std::vector<Family> families) : families_(std::move(families)) {}
  // The sizes of every loaded table of the families (those listed in
  // /proc/net/ip{,6}_tables_names; asking for another would load it).
  XtTableSizes poll();

 private:
  std::vector<Family> families_;
  UniqueFd sockets_[2];  // opened on first use, per family
};

}  // namespace aim
