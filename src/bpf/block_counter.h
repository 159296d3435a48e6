#pragma once
// Upstream parity (--checkMap): the number of iptables rule additions the
// node's blocking BPF program refused, read from key 0 of a pinned BPF array
// map, and when to tell the cluster about new ones.
#include <cstdint>
#include <optional>
#include <string>

#include "util/result.h"

namespace aim {

// Reads key 0 (u32) -> u64 of the pinned array map at `path` with libbpf,
// opened read-only. Needs the bpf() system call and read permission on the
// pinned file; no capability on Linux >= 5.19 (kernel commit c8644cd0efe7
// confined kernel.unprivileged_bpf_disabled to creating maps and loading
// programs); CAP_BPF on older kernels while that sysctl is set.
Result<uint64_t> read_block_counter(const std::string& path);

// Decides, reading by reading, what to report. Pure. Fixes upstream's bugs:
// the first reading after a (re)start is the baseline (no event for blocks
// that happened before); a failed reading keeps the previous baseline; a
// problem is logged when it starts or changes, not every cycle.
class BlockTracker {
 public:
  struct Step {
    uint64_t new_blocks = 0;  // > 0: report an event
    std::string log_error;    // non-empty: log it (first time or changed)
    bool recovered = false;   // the map is readable again after errors
  };
  Step observe(const Result<uint64_t>& reading);
  // The last successful reading (for metrics), if any.
  std::optional<uint64_t> last_good_reading() const { return baseline_; }

 private:
  std::optional<uint64_t> baseline_;
  std::string last_error_;
};

// Upstream's event message.
inline constexpr const char* kBlockedMessage =
    "A process attempted to add iptables rules to the node but was blocked since last check. "
    "iptables rules blocked because EBPF Host Routing is enabled: aka.ms/acnsperformance";

}  // namespace aim
