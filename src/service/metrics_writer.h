#pragma once
// --metrics-file for the service: ServiceMetrics counts (from any thread)
// and the file is written on this part's own thread (the `files`
// LoopWorker), so the loop never waits on a write, fsync or rename. A write
// error is logged when it starts or changes, not at every write.
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
  MetricsWriter(std::string path, Logger& log) : metrics_(std::move(path)), log_(log) {}

  Status start(sd_event* loop, LoopWorker::Fault fault) { return files_.start(loop, fault); }
  void stop() { files_.stop(); }

  // Thread-safe: give it to HttpKubeApi::set_observer.
  void count_api_request(const std::string& verb, const std::string& resource,
                         const std::string& code) {
    metrics_.count_api_request(verb, resource, code);
  }

  // On the loop thread, after a check: records it and writes the file.
  // `outcome.report` is copied (the write happens later, elsewhere).
  void check_finished(const CheckOutcome& outcome);

 private:
  void written(const std::string& error);  // on the loop thread

  ServiceMetrics metrics_;  // thread-safe
  Logger& log_;
  LoopWorker files_;
  std::string error_;  // the last one logged (loop thread)
};

}  // namespace aim
