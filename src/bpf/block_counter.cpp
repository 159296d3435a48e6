#include "bpf/block_counter.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>

#include "util/fd.h"

namespace aim {

Result<uint64_t> read_block_counter(const std::string& path) {
  UniqueFd map(bpf_obj_get(path.c_str()));
  if (!map.valid()) {
    const int code = errno;
    std::string why = "cannot open the pinned BPF map " + path + ": " + std::strerror(code);
    if (code == ENOENT) why += " (is the iptables-blocking BPF program loaded and pinned there?)";
    if (code == EPERM || code == EACCES) why += " (reading BPF maps needs CAP_BPF)";
    return Error{why, code};
  }
  uint32_t key = 0;
  uint64_t value = 0;
  if (bpf_map_lookup_elem(map.get(), &key, &value) != 0) {
    const int code = errno;
    return Error{"cannot read key 0 of the BPF map " + path + ": " + std::strerror(code), code};
  }
  return value;
}

BlockTracker::Step BlockTracker::observe(const Result<uint64_t>& reading) {
  Step step;
  if (!reading) {
    if (reading.error() != last_error_) step.log_error = reading.error();
    last_error_ = reading.error();
    return step;  // the baseline stays
  }
  step.recovered = !last_error_.empty();
  last_error_.clear();
  const uint64_t value = *reading;
  if (baseline_ && value > *baseline_) step.new_blocks = value - *baseline_;
  // A smaller value means the map was recreated: it becomes the new baseline.
  baseline_ = value;
  return step;
}

}  // namespace aim
