#pragma once
// The node's CiliumNode as the service follows it: CiliumNodeWatch
// (kube/ciliumnode_watch.h: list, watch, reconnect, back-off) run on its own
// thread (the `watcher` LoopWorker) for the life of the service. What it
// sees comes back to the loop thread as the same Listener calls, so the
// Reconciler is touched on the loop thread only.
#include <systemd/sd-event.h>

#include <atomic>
#include <functional>
#include <string>

#include "kube/ciliumnode_watch.h"
#include "log/logger.h"
#include "service/loop_worker.h"
#include "service/service_options.h"

namespace aim {

class CiliumNodeFollower {
 public:
  // On the loop thread: the watch's Listener, and `stopped` when the watch
  // ended on an exception (the service then goes on without it).
  struct Callbacks {
    CiliumNodeWatch::Listener listener;
    std::function<void(const std::string& what)> stopped;
  };

  CiliumNodeFollower(const ServiceOptions& options, Logger& log, const std::atomic<bool>& stopping)
      : options_(options), log_(log), stopping_(stopping) {}

  // Starts the thread and the watch on it; callbacks stop once `stopping`.
  Status start(sd_event* loop, LoopWorker::Fault fault, Callbacks on_loop);
  void stop() { watcher_.stop(); }

 private:
  const ServiceOptions& options_;
  Logger& log_;
  const std::atomic<bool>& stopping_;
  Callbacks on_loop_;
  LoopWorker watcher_;
};

}  // namespace aim
