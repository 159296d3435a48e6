#pragma once
// --checkMap: the count of iptables rule additions the node's blocking BPF
// program refused (key 0 of the pinned map at --mapPath), read at every check
// on the check thread. BlockTracker (bpf/block_counter.h) decides what a
// reading means; this part reads, and says what to log and how many blocks
// are new since the last check (the Reconciler decides the Event).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "bpf/block_counter.h"
#include "reconcile/reconciler.h"

namespace aim {

class BlockedRuleCounter {
 public:
  using Read = std::function<Result<uint64_t>(const std::string& path)>;
  // `read`: the map reader (tests give a fake).
  explicit BlockedRuleCounter(std::string map_path, Read read = read_block_counter)
      : path_(std::move(map_path)), read_(std::move(read)) {}

  struct Reading {
    std::vector<LogLine> logs;
    uint64_t new_blocks = 0;
    std::optional<uint64_t> last_good;  // for the metrics
  };
  Reading read();

 private:
  std::string path_;
  Read read_;
  BlockTracker tracker_;
};

}  // namespace aim
