#pragma once
// The service's metrics: counted as the service runs, written whenever a
// check, request or watch event changes them, to --metrics-file for node-exporter's textfile
// collector.
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
  std::optional<uint64_t> bpf_blocked_rule_additions;  // --checkMap: the last good reading
};

// The label's progress, told after a check, a request result or a watch
// event (whatever may have changed it).
struct LabelProgress {
  // The label the verdict asks for is on the CiliumNode (confirmed by a
  // request or by the watch; Reconciler::label_settled): the success
  // timestamp moves to now.
  bool settled = false;
  uint64_t overwrites = 0;  // Reconciler::label_overwrites()
};

// The state the metrics file shows, recorded from any thread, rendered and
// written by write() (on the MetricsWriter's thread) from the latest state.
class ServiceMetrics {
 public:
  // `path` empty: nothing is written (counting still happens, cheaply).
  ServiceMetrics(std::string path, std::string version);

  // Counts one API request outcome (HttpKubeApi's observer, the watch's
  // list and watch). Thread-safe, as every call here.
  void count_api_request(const std::string& verb, const std::string& resource,
                         const std::string& code);
  void check_finished(const CheckOutcome& outcome);
  void label_progress(const LabelProgress& progress);
  // The CiliumNode as the watch or a read saw it.
  void label_observed(bool object_exists, const std::optional<std::string>& label);
  // The allowlists a check used (AllowlistSource::Refresh): patterns per
  // family and problems.
  void allowlists(const std::vector<std::pair<std::string, size_t>>& patterns, size_t problems);
  // A PATCH setting `value` succeeded.
  void label_sent(bool value);

  std::string render();
  // Writes the latest state to the file. An error says what could not be
  // written and why (log it; the next write tries again).
  Status write();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::mutex mutex_;
  MetricsSnapshot snapshot_;
};

}  // namespace aim
