#include "service/metrics_writer.h"

namespace aim {

void MetricsWriter::check_finished(const CheckOutcome& outcome) {
  metrics_.check_finished(outcome);
  changed();
}

void MetricsWriter::changed() {
  if (metrics_.path().empty()) return;
  if (writing_) {
    again_ = true;  // written after the one in flight, from the state then
    return;
  }
  writing_ = true;
  ++writes_started_;
  files_.submit(
      [this]() -> LoopWorker::Continuation {
        Status status = metrics_.write();
        return [this, status] { written(status ? std::string() : status.error()); };
      },
      [this](const std::string& what) -> LoopWorker::Continuation {
        return [this, what] { written("cannot write the metrics file: " + what); };
      });
}

void MetricsWriter::written(const std::string& error) {
  if (!error.empty() && error != error_) log_.warning(error);
  error_ = error;
  writing_ = false;
  if (again_) {
    again_ = false;
    changed();
  }
}

}  // namespace aim
