#pragma once
// The cluster side of the service: the Reconciler (reconcile/reconciler.h
// decides what the label should be and when to ask) and the parts that carry
// out its decisions and tell it what happened: RequestSender (PATCHes, reads
// and Events, on its thread), CiliumNodeFollower (the node's CiliumNode as
// its watch sees it, on its thread), the retry timer, and the label's
// progress in the metrics. The Daemon hands it each check's verdict and reads
// from it what STATUS shows; it tells the Daemon (`changed`) whenever what
// the label is may have moved. Everything but the two threads runs on the
// loop thread; nothing here blocks.
#include <systemd/sd-event.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "check/check.h"
#include "log/logger.h"
#include "reconcile/reconciler.h"
#include "service/ciliumnode_follower.h"
#include "service/event_loop.h"
#include "service/loop_worker.h"
#include "service/metrics_writer.h"
#include "service/request_sender.h"
#include "service/service_options.h"
#include "util/result.h"

namespace aim {

// The Reconciler's options for the service's own: a node name enables the
// cluster side, and --watch a CiliumNode watch.
ReconcilerOptions reconciler_options(const ServiceOptions& options);

class LabelKeeper {
 public:
  using Clock = std::chrono::steady_clock;
  // On the loop thread: after a request's answer, a watch event or a change
  // of the watch's health (STATUS may change, --terminateOnSuccess may be met).
  using Changed = std::function<void()>;
  // An sd-event call failed (negative errno `r`): the daemon stops on it.
  using LoopError = std::function<void(int r, const char* what)>;

  LabelKeeper(const ServiceOptions& options, Logger& log, MetricsWriter& metrics,
              const std::atomic<bool>& stopping, Changed changed, LoopError loop_error);
  LabelKeeper(const LabelKeeper&) = delete;
  LabelKeeper& operator=(const LabelKeeper&) = delete;

  // Creates the retry timer and starts the requests thread and, with a node
  // and --watch-ciliumnode, the watch. `fault`: a continuation threw.
  Status start(sd_event* loop, LoopWorker::Fault fault);
  // Joins the threads (after `stopping` was set).
  void stop();

  // A check ended with `report`.
  void checked(const Report& report);
  // --checkMap: the BPF program blocked `count` rule additions since the last
  // check (a warning, and with --events an Event, through the Reconciler).
  void blocked_rule_additions(size_t count);

  // While unknown lasts but has not escalated: how long until it may (the
  // next check is due by then).
  std::optional<Clock::duration> time_to_escalation() const;
  // What STATUS and --terminateOnSuccess read.
  const Reconciler& state() const { return reconciler_; }

 private:
  Status start_watch(sd_event* loop, LoopWorker::Fault fault);
  void apply(const Decision& d);
  void request_done(const ClusterRequest& request, const RequestResult& result);
  // The label's progress as the Reconciler has it now, into the metrics.
  void record_progress();
  void arm_retry();
  static int on_retry(sd_event_source*, uint64_t, void* self);

  const ServiceOptions& options_;
  Logger& log_;
  MetricsWriter& metrics_;
  const std::atomic<bool>& stopping_;
  Changed changed_;
  LoopError loop_error_;
  Reconciler reconciler_;
  RequestSender requests_;
  CiliumNodeFollower follower_;
  EventSource retry_timer_;  // the Reconciler's next retry
};

}  // namespace aim
