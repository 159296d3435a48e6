#pragma once
// What to send and what to log, decided from what is known: the latest
// check's report, the node's CiliumNode as the watch last saw it, whether the
// watch can be trusted, and what was sent before. Pure: no I/O, no clock of
// its own (every call is told the time), so it is tested with a fake clock.
//
// The label. The verdict asks for a value (UnknownGrace: "true" for
// unexpected rules or a lasting unknown, "false" for clean, nothing for a
// fresh unknown, which keeps asserting "true" if that was asked before, since
// "true" is always safe). With a healthy watch the label is sent only when the
// observed value differs (object created, label removed or changed by anyone),
// so a node at steady state writes nothing. Without one (not started, no
// list/watch grant, a watch lost for a while) it is re-asserted after every
// check, as the fallback: the CiliumNode is read first (one GET) and written
// only when its label differs. A 404 with a healthy watch waits for the
// object to be created.
//
// Pacing (issue 30: a fleet recovering together must not stampede). A failed
// request (a starting server's 403, 429, 5xx) is retried with jittered back-off
// (retry) that nothing else bypasses but a new value: a watch event or a check
// re-asserting the same value waits for it. A label another writer keeps
// changing back is re-set with its own back-off (fight) and said once. The
// first re-assertion after a lost watch is spread over fallback_spread. None
// of this delays a PATCH that changes the label to a value not asked before
// (a new verdict, above all toward "true").
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "check/check.h"
#include "kube/ciliumnode_watch_events.h"
#include "kube/retry.h"
#include "log/logger.h"
#include "reconcile/cluster_requests.h"
#include "reconcile/unknown_grace.h"

namespace aim {

struct ReconcilerOptions {
  bool cluster = true;  // a node to label is known; false: decide and log only
  bool events = false;  // --events
  std::string node;     // for log fields
  // A watch will report (watch_health): until its first word the label
  // waits for it (a list tells whether the object exists and what it holds).
  bool watch = false;
  UnknownGracePolicy grace;
  // After a failed label request: 1 s doubling to 60 s, jittered.
  BackoffPolicy retry{std::chrono::seconds(1), std::chrono::seconds(60)};
  // Re-setting a label another writer changed within fight_window of our
  // last write, from the second time in a row: 1 s doubling to 60 s,
  // jittered; said (once) at the fight_report-th time.
  BackoffPolicy fight{std::chrono::seconds(1), std::chrono::seconds(60)};
  std::chrono::milliseconds fight_window{std::chrono::seconds(60)};
  int fight_report = 3;
  // The first re-assertion after a lost watch waits a random part of this.
  std::chrono::milliseconds fallback_spread{std::chrono::seconds(10)};
  // Random numbers in [0,1) for the jitter (tests fix them).
  std::function<double()> random = random_unit;
};

struct LogLine {
  int level = 0;  // -v level
  int priority = LOG_INFO;
  std::string message;
  LogFields fields;
};

struct Decision {
  std::vector<ClusterRequest> requests;
  std::vector<LogLine> logs;
  void append(Decision other);
};

class Reconciler {
 public:
  using Clock = std::chrono::steady_clock;
  explicit Reconciler(ReconcilerOptions options);

  // A check ended with `report`.
  Decision checked(const Report& report, Clock::time_point now);
  // The watch saw the object (a list, or an event).
  Decision observed(const CiliumNodeObservation& seen, Clock::time_point now);
  // The watch is open (true) or cannot be had (false, `why`).
  Decision watch_health(bool healthy, const std::string& why, Clock::time_point now);
  // The watch met a bad answer and restarts (logged when it is new).
  Decision watch_problem(const std::string& problem);
  // A request from an earlier decision ended.
  Decision sent(const ClusterRequest& request, const RequestResult& result, Clock::time_point now);
  // Time passed: a retry may be due (call at next_wake()).
  Decision tick(Clock::time_point now);
  // --checkMap: the BPF program blocked `count` attempts to add iptables
  // rules since the last check. A warning, and with --events the
  // BlockedIPTablesRule Event carrying `event_message` (one in flight at a
  // time, as every Event).
  Decision blocked_rule_additions(size_t count, const std::string& event_message);

  // When tick() has something to do, if ever.
  std::optional<Clock::time_point> next_wake() const { return retry_at_; }
  // While unknown lasts but has not escalated: how long until it may.
  std::optional<Clock::duration> time_to_escalation(Clock::time_point now) const {
    return grace_.time_to_escalation(now);
  }

  // For the status line.
  const LabelDecision& label() const { return label_; }
  const std::string& label_error() const { return label_error_; }
  bool watching() const { return watch_healthy_; }
  // How many times another writer changed the label back soon after it was
  // set (a metric).
  uint64_t label_overwrites() const { return label_overwrites_; }
  // The label the latest verdict asks for is on the object (confirmed by a
  // successful request or by the watch) and nothing is in flight.
  bool label_settled() const;

 private:
  Decision maybe_send_label(Clock::time_point now);
  // The observed label differs from the asked one soon after we set it.
  void another_writer(Decision& d, Clock::time_point now);
  std::optional<bool> wanted() const;
  void log_once(Decision& d, std::set<std::string>& seen, std::set<std::string>& next,
                const std::string& key, LogLine line);

  ReconcilerOptions options_;
  UnknownGrace grace_;
  LabelDecision label_;
  std::optional<bool> asked_before_;  // the last value a verdict asked for
  std::optional<CiliumNodeObservation> observed_;
  bool watch_healthy_ = false;
  std::optional<bool> watch_reported_;
  std::string last_watch_problem_;
  bool assert_after_check_ = false;  // no watch: send after every check
  bool in_flight_ = false;
  // Resource versions the watch reported while a label request was in
  // flight: a write's answer can arrive after the watch has shown the write
  // and a later change (bounded: the oldest are dropped).
  std::vector<std::string> seen_in_flight_;
  std::optional<bool> confirmed_;  // the value last confirmed on the object
  std::optional<Clock::time_point> retry_at_;
  Backoff retry_;                                 // failed requests in a row
  Backoff fight_;                                 // overwrites by another writer in a row
  std::optional<bool> last_value_;                // the value last sent, or seen there
  std::optional<Clock::time_point> last_set_at_;  // the last successful one
  int overwrites_in_a_row_ = 0;                   // each within fight_window of our last write
  bool fight_reported_ = false;
  uint64_t label_overwrites_ = 0;
  bool watch_was_healthy_ = false;
  std::string label_error_;
  bool absent_said_ = false;  // label_error_ says why the CiliumNode is missing
  // Logging memory: a condition is logged when it starts, not every check.
  std::optional<Verdict> last_verdict_;
  std::set<std::string> last_unexpected_;
  std::set<std::string> once_;
  std::set<std::string> request_errors_;
  std::set<std::string> events_in_flight_;  // Event reasons sent and not yet answered
};

}  // namespace aim
