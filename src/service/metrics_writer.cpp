#include "service/metrics_writer.h"

namespace aim {

void MetricsWriter::check_finished(const CheckOutcome& outcome) {
  auto report = std::make_shared<const Report>(*outcome.report);
  CheckOutcome copy = outcome;
  files_.submit(
      [this, report, copy]() mutable -> LoopWorker::Continuation {
        copy.report = report.get();
        Status status = metrics_.check_finished(copy);
        return [this, status] { written(status ? std::string() : status.error()); };
      },
      [this](const std::string& what) -> LoopWorker::Continuation {
        return [this, what] { written("cannot write the metrics file: " + what); };
      });
}

void MetricsWriter::written(const std::string& error) {
  if (!error.empty() && error != error_) log_.warning(error);
  error_ = error;
}

}  // namespace aim
