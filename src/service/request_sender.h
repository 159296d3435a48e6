#pragma once
// Sends what the Reconciler decides (label PATCHes, reads, Events) on its
// own thread (the `requests` LoopWorker), one after another, each through
// HttpKubeApi with its retries; each result comes back to the loop thread.
// The loop never waits on the network. A request that throws is a failed
// request (the Reconciler retries it like any other), never a crash.
#include <systemd/sd-event.h>

#include <atomic>
#include <functional>
#include <memory>

#include "kube/events.h"
#include "kube/kube_api.h"
#include "log/logger.h"
#include "reconcile/cluster_requests.h"
#include "service/loop_worker.h"
#include "service/metrics_writer.h"
#include "service/service_options.h"

namespace aim {

class RequestSender {
 public:
  // Called on the loop thread.
  using Done = std::function<void(const ClusterRequest&, const RequestResult&)>;

  // `stopping` ends retries and waits at once.
  RequestSender(const ServiceOptions& options, Logger& log, MetricsWriter& metrics,
                const std::atomic<bool>& stopping)
      : options_(options), log_(log), metrics_(metrics), stopping_(stopping) {}

  // Builds the API client (credentials are resolved per request, so a
  // kubeconfig that appears later is used) and starts the thread.
  Status start(sd_event* loop, LoopWorker::Fault fault, Done done);
  void stop() { requests_.stop(); }

  void send(const ClusterRequest& request);

 private:
  const ServiceOptions& options_;
  Logger& log_;
  MetricsWriter& metrics_;
  const std::atomic<bool>& stopping_;
  Done done_;
  LoopWorker requests_;
  // The requests thread only.
  std::unique_ptr<HttpKubeApi> api_;
  std::unique_ptr<EventReporter> events_;
};

}  // namespace aim
