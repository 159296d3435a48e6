#include "bpf/block_counter.h"

#include <bpf/bpf.h>

#include <cerrno>
#include <cstring>

#include "util/fd.h"

namespace aim {

Result<uint64_t> read_block_counter(const std::string& path) {
  // Read-only: then read permission on the pinned file is all the kernel
  // checks (Linux >= 5.19; before, every bpf() command also needed CAP_BPF
  // while kernel.unprivileged_bpf_disabled is set, the usual default).
  LIBBPF_OPTS(bpf_obj_get_opts, opts, .file_flags = BPF_F_RDONLY);
  UniqueFd map(bpf_obj_get_opts(path.c_str(), &opts));
  if (!map.valid()) {
    const int code = errno;
    std::string why = "cannot open the pinned BPF map " + path + ": " + std::strerror(code);
    if (code == ENOENT) why += " (is the iptables-blocking BPF program loaded and pinned there?)";
    if (code == EACCES) why += " (the pinned file and its directories must be readable)";
    if (code == EPERM)
      why +=
          " (the bpf() system call was refused: the unit's system call filter denies it unless "
          "the drop-in check-map.conf is installed; on Linux before 5.19 it also needs CAP_BPF)";
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
