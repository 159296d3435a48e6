#include "service/request_sender.h"

#include <chrono>

#include "kube/kubeconfig.h"

namespace aim {

Status RequestSender::start(sd_event* loop, LoopWorker::Fault fault, Done done) {
  done_ = std::move(done);
  auto creds = warning_if_insecure(
      [kubeconfig = options_.kubeconfig, sandbox = options_.unit_sandbox] {
        return resolve_credentials(kubeconfig, sandbox);
      },
      [this](const std::string& w) { log_.warning(w); });
  RetryPolicy policy;
  policy.budget = std::chrono::milliseconds(10000);
  api_ = std::make_unique<HttpKubeApi>(
      creds,
      std::chrono::milliseconds(static_cast<long long>(options_.request_timeout_seconds * 1000)),
      policy, Sleeper{}, [this] { return stopping_.load(); });
  api_->set_observer(
      [this](const std::string& verb, const std::string& resource, const std::string& code) {
        metrics_.metrics().count_api_request(verb, resource, code);
      });
  events_ =
      std::make_unique<EventReporter>(*api_, options_.node_name, reporting_host(), unix_nanos_now);
  return requests_.start(loop, std::move(fault));
}

void RequestSender::send(const ClusterRequest& request) {
  const auto finished = [this, request](RequestResult result) -> LoopWorker::Continuation {
    return [this, request, result = std::move(result)] { done_(request, result); };
  };
  requests_.submit(
      [this, request, finished]() -> LoopWorker::Continuation {
        return finished(perform(*api_, events_.get(), options_.node_name, request));
      },
      [finished](const std::string& what) -> LoopWorker::Continuation {
        return finished(RequestResult{false, 0, "the request failed: " + what});
      });
}

}  // namespace aim
