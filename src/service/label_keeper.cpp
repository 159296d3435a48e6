#include "service/label_keeper.h"

#include "bpf/block_counter.h"

namespace aim {

ReconcilerOptions reconciler_options(const ServiceOptions& options) {
  const bool cluster = !options.node_name.empty();
  ReconcilerOptions r;
  r.cluster = cluster;
  r.events = options.events;
  r.node = options.node_name;
  r.watch = cluster && options.watch_ciliumnode;
  r.grace = UnknownGracePolicy{
      2, std::chrono::seconds(static_cast<long long>(options.unknown_grace_seconds))};
  return r;
}

LabelKeeper::LabelKeeper(const ServiceOptions& options, Logger& log, MetricsWriter& metrics,
                         const std::atomic<bool>& stopping, Changed changed, LoopError loop_error)
    : options_(options),
      log_(log),
      metrics_(metrics),
      stopping_(stopping),
      changed_(std::move(changed)),
      loop_error_(std::move(loop_error)),
      reconciler_(reconciler_options(options)),
      requests_(options, log, metrics, stopping),
      follower_(options, log, stopping) {}

Status LabelKeeper::start(sd_event* loop, LoopWorker::Fault fault) {
  auto timer = add_timer(loop, on_retry, this, "the retry timer");
  if (!timer) return Error{timer.error(), timer.error_code()};
  retry_timer_ = std::move(*timer);
  if (Status st =
          requests_.start(loop, fault,
                          [this](const ClusterRequest& request, const RequestResult& result) {
                            request_done(request, result);
                          });
      !st)
    return st;
  if (reconciler_options(options_).watch) return start_watch(loop, std::move(fault));
  return Ok{};
}

void LabelKeeper::stop() {
  requests_.stop();
  follower_.stop();
}

void LabelKeeper::checked(const Report& report) {
  apply(reconciler_.checked(report, Clock::now()));
  // A settled label moves the success timestamp whatever the grants: with a
  // watch it stays settled across checks.
  record_progress();
}

void LabelKeeper::blocked_rule_additions(size_t count) {
  apply(reconciler_.blocked_rule_additions(count, kBlockedMessage));
}

std::optional<LabelKeeper::Clock::duration> LabelKeeper::time_to_escalation() const {
  return reconciler_.time_to_escalation(Clock::now());
}

void LabelKeeper::apply(const Decision& d) {
  for (const LogLine& l : d.logs) log_.log(l.level, l.priority, l.message, l.fields);
  for (const ClusterRequest& r : d.requests) requests_.send(r);
  arm_retry();
}

void LabelKeeper::request_done(const ClusterRequest& request, const RequestResult& result) {
  if (stopping_) return;
  apply(reconciler_.sent(request, result, Clock::now()));
  // The request was counted on its thread; what it found or set is recorded
  // here, and the file written now, not at the next check.
  if (request.kind == ClusterRequest::Kind::ReadLabel && result.seen)
    metrics_.metrics().label_observed(result.seen->exists, result.seen->label);
  if (request.kind == ClusterRequest::Kind::Label && result.ok)
    metrics_.metrics().label_sent(request.label_value);
  record_progress();
  metrics_.changed();
  changed_();
}

void LabelKeeper::record_progress() {
  metrics_.metrics().label_progress({reconciler_.label_settled(), reconciler_.label_overwrites()});
}

void LabelKeeper::arm_retry() {
  const auto wake = reconciler_.next_wake();
  if (!wake) {
    if (const int r = sd_event_source_set_enabled(retry_timer_.get(), SD_EVENT_OFF); r < 0)
      loop_error_(r, "cannot switch the retry timer off");
    return;
  }
  if (Status armed = arm_at(retry_timer_.get(), *wake); !armed)
    loop_error_(negative_errno(armed), armed.error().c_str());
}

int LabelKeeper::on_retry(sd_event_source*, uint64_t, void* self) {
  auto* k = static_cast<LabelKeeper*>(self);
  k->apply(k->reconciler_.tick(Clock::now()));
  return 0;
}

Status LabelKeeper::start_watch(sd_event* loop, LoopWorker::Fault fault) {
  CiliumNodeFollower::Callbacks on_loop;
  on_loop.listener.observed = [this](const CiliumNodeObservation& seen) {
    apply(reconciler_.observed(seen, Clock::now()));
    metrics_.metrics().label_observed(seen.exists, seen.label);
    record_progress();
    metrics_.changed();
    changed_();
  };
  on_loop.listener.health = [this](bool healthy, const std::string& why) {
    apply(reconciler_.watch_health(healthy, why, Clock::now()));
    changed_();
  };
  // The watch's list and watch requests, counted like the others.
  on_loop.listener.request = [this](const std::string& verb, const std::string& resource,
                                    const std::string& code) {
    metrics_.metrics().count_api_request(verb, resource, code);
    metrics_.changed();
  };
  on_loop.listener.problem = [this](const std::string& problem) {
    apply(reconciler_.watch_problem(problem));
  };
  // The watch ended on an exception: the label falls back to being sent
  // after every check, as without a watch.
  on_loop.stopped = [this](const std::string& what) {
    log_.error("the CiliumNode watch stopped: " + what +
               "; the label is sent after every check until the service restarts");
    apply(reconciler_.watch_health(false, "the watch stopped: " + what, Clock::now()));
    changed_();
  };
  return follower_.start(loop, std::move(fault), std::move(on_loop));
}

}  // namespace aim
