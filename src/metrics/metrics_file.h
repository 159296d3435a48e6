#pragma once
// The service's metrics: counted as the service runs, written after every
// check to --metrics-file for node-exporter's textfile collector.
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "check/check.h"
#include "metrics/metrics.h"
#include "util/result.h"

namespace aim {

// Replaces `path` with `contents` atomically, so a reader (node-exporter)
// sees the old file or the new one, never a part: written to a new file in
// the same directory (O_CREAT|O_EXCL|O_NOFOLLOW: a file or symlink planted
// under that name is never followed or reused), mode `mode` whatever the
// umask, flushed, then renamed over `path` (a symlink at `path` is replaced,
// not followed). The temporary file is removed on any failure.
Status write_file_atomically(const std::string& path, const std::string& contents,
                             unsigned mode = 0644);

// What the service tells the metrics after a check.
struct CheckOutcome {
  const Report* report = nullptr;
  double duration_seconds = 0;
  // When the check ended, the label its verdict asks for was on the CiliumNode
  // (confirmed by a request or by the watch; Reconciler::label_settled).
  bool label_settled = false;
  std::optional<uint64_t> bpf_blocked_rule_additions;  // --checkMap: the last good reading
  uint64_t label_overwrites = 0;                       // Reconciler::label_overwrites()
};

class ServiceMetrics {
 public:
  // `path` empty: nothing is written (counting still happens, cheaply).
  explicit ServiceMetrics(std::string path) : path_(std::move(path)) {}

  // Counts one API request outcome; give it to HttpKubeApi::set_observer.
  // Thread-safe.
  void count_api_request(const std::string& method, const std::string& resource,
                         const std::string& code);
  // Records the check and writes the file. An error says what could not be
  // written and why (log it; the next check tries again).
  Status check_finished(const CheckOutcome& outcome);

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::mutex mutex_;
  MetricsSnapshot snapshot_;
};

}  // namespace aim
