#pragma once
// Where rule changes are noticed (the decisions are in xt_sizes.h and
// reconcile/check_pacer.h):
//   - nf_tables announces every change (iptables-nft, nft, native tables) on
//     the netlink group NFNLGRP_NFTABLES: NftChangeMonitor listens;
//   - x_tables (iptables-legacy) announces nothing: XtTablePoller asks each
//     loaded table's size, never its rules, every 250 ms; XtTableFingerprinter
//     copies each loaded table's entries and digests them without their
//     counters (xt_fingerprint.h), paced by its cost, for the replacements
//     that keep a table's size.
#include <chrono>
#include <cstddef>
#include <vector>

#include "rules/changes/xt_fingerprint.h"
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

// The tables of `family` that are loaded (/proc/net/ip{,6}_tables_names;
// asking the kernel for another would load it); none when the family's module
// is not loaded.
std::vector<std::string> loaded_xt_tables(Family family);

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

// The one buffer the kernel copies a table's entries into, kept between
// passes (the size of the largest legacy table: 67 MB at 10,000 services):
// faulting fresh pages in each pass cost three times the copy itself.
class XtCopyBuffer {
 public:
  XtCopyBuffer() = default;
  XtCopyBuffer(const XtCopyBuffer&) = delete;
  XtCopyBuffer& operator=(const XtCopyBuffer&) = delete;
  ~XtCopyBuffer();
  // `size` zeroed bytes, or nullptr (errno set); valid until the next call.
  char* zeroed(size_t size);
  // The pass is over: keep the buffer, unless it is four times the
  // largest table the pass asked for.
  void lend_back();

 private:
  void release();
  char* data_ = nullptr;
  size_t capacity_ = 0;
  size_t peak_ = 0;  // the largest size asked this pass
};

class XtTableFingerprinter {
 public:
  // No table's entries above this are copied (512 MiB: ~75,000 kube-proxy
  // services, where nat's blob grows by ~6.7 KB each); a larger table has no
  // fingerprint, which counts as a change at every pass.
  static constexpr size_t kMaxTableBytes = size_t{512} << 20;

  explicit XtTableFingerprinter(std::vector<Family> families,
                                size_t max_table_bytes = kMaxTableBytes)
      : families_(std::move(families)), max_table_bytes_(max_table_bytes) {}

  struct TableCost {
    std::chrono::nanoseconds cpu{};  // this thread's CPU: the kernel's copy and the digest
    size_t bytes = 0;                // the entries' size
  };
  struct Pass {
    XtFingerprints tables;  // every loaded table of the families
    std::map<std::string, TableCost> cost;
    std::chrono::nanoseconds cpu{};  // the whole pass, on this thread
  };
  // One pass: every loaded table's fingerprint, or why it has none (the
  // table named, the call and errno, or the cap). Blocks for the kernel's
  // copies; run it off the loop thread.
  Pass read();

  // One table's entries as the kernel copied them (zeroed first, so the
  // bytes it leaves unwritten are zeros), their header and their digest.
  // `entries` points into the copy buffer: valid until the next call.
  struct Copy {
    XtTableHeader header;
    std::string_view entries;
    XtDigest digest{};
  };
  // `bytes`: set to the entries' size once known. An error names the table.
  Result<Copy> copy_table(Family family, const std::string& table, size_t& bytes);
  // The copies are done with for now (XtCopyBuffer::lend_back).
  void lend_back() { buffer_.lend_back(); }

 private:
  XtTableFingerprint read_table(Family family, const std::string& table, size_t& bytes);

  std::vector<Family> families_;
  size_t max_table_bytes_;
  UniqueFd sockets_[2];  // opened on first use, per family
  XtCopyBuffer buffer_;
};

}  // namespace aim
