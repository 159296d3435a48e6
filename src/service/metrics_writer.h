#pragma once
// --metrics-file for the service: ServiceMetrics records (from any thread)
// and the file is written on this part's own thread (the `files`
// LoopWorker), so the loop never waits on a write, fsync or rename. The
// loop thread calls changed() after whatever may change what the file says
// (a check, a request's result, a watch event); writes are coalesced: at
// most one is in flight, and a change meanwhile asks for one more, which
// renders the state as it is then. A write error is logged when it starts
// or changes, not at every write.
#include <systemd/sd-event.h>

#include <memory>
#include <string>

#include "log/logger.h"
#include "metrics/metrics_file.h"
#include "service/loop_worker.h"

namespace aim {

class MetricsWriter {
 public:
  // `path` empty: counts only, writes nothing.
  MetricsWriter(std::string path, std::string version, Logger& log)
      : metrics_(std::move(path), std::move(version)), log_(log) {}

  Status start(sd_event* loop, LoopWorker::Fault fault) { return files_.start(loop, fault); }
  void stop() { files_.stop(); }

  // Thread-safe: record into it (HttpKubeApi::set_observer, label states).
  ServiceMetrics& metrics() { return metrics_; }

  // On the loop thread: what the file says may have changed; write it soon.
  void changed();
  // On the loop thread, after a check: records it and writes the file.
  void check_finished(const CheckOutcome& outcome);

  // Writes started so far (for tests: coalescing).
  uint64_t writes_started() const { return writes_started_; }

 private:
  void written(const std::string& error);  // on the loop thread

  ServiceMetrics metrics_;  // thread-safe
  Logger& log_;
  LoopWorker files_;
  // The loop thread only.
  std::string error_;  // the last one logged
  bool writing_ = false;
  bool again_ = false;
  uint64_t writes_started_ = 0;
};

}  // namespace aim
