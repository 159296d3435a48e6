#include "reconcile/reconciler.h"

#include <algorithm>

#include "check/report_format.h"
#include "kube/events.h"
#include "log/message_ids.h"

namespace aim {
namespace {

constexpr size_t kRememberedErrors = 32;
// Resource versions remembered while one label request is in flight (a
// storm of status updates during one write keeps only the latest).
constexpr size_t kRememberedInFlight = 64;

const char* bool_text(bool v) { return v ? "true" : "false"; }

// Native nftables tables have no one address family: no FAMILY value.
std::string source_of(const UnexpectedRule& r) {
  return source_name(r.backend, r.family) + " " + r.table;
}

std::string observed_text(const CiliumNodeObservation& seen) {
  if (!seen.exists) return "no CiliumNode";
  if (!seen.label) return "no label";
  return "label " + *seen.label;
}

}  // namespace

void Decision::append(Decision other) {
  for (auto& r : other.requests) requests.push_back(std::move(r));
  for (auto& l : other.logs) logs.push_back(std::move(l));
}

Reconciler::Reconciler(ReconcilerOptions options)
    : options_(std::move(options)),
      grace_(options_.grace),
      retry_(options_.retry),
      fight_(options_.fight) {}

std::optional<bool> Reconciler::wanted() const {
  if (label_.value) return label_.value;
  // A fresh unknown leaves the label; if "true" was asked before it stays
  // asked ("true" never hides a rule), "false" never is.
  if (asked_before_ == true) return true;
  return std::nullopt;
}

bool Reconciler::label_settled() const {
  const auto want = wanted();
  return want && !in_flight_ && confirmed_ == want;
}

void Reconciler::log_once(Decision& d, std::set<std::string>& seen, std::set<std::string>& next,
                          const std::string& key, LogLine line) {
  const std::string id = key + "\n" + line.message;
  if (!seen.count(id)) d.logs.push_back(std::move(line));
  next.insert(id);
}

Decision Reconciler::checked(const Report& report, Clock::time_point now) {
  Decision d;
  // What to log: a verdict when it changes, an unexpected rule when it
  // appears (every check at -v 2), a read error or limit hit when it starts.
  if (!last_verdict_ || *last_verdict_ != report.verdict)
    d.logs.push_back(
        {0,
         LOG_INFO,
         "verdict " + std::string(verdict_name(report.verdict)) + ": " + summarize(report),
         {{"VERDICT", std::string(verdict_name(report.verdict))},
          {"MESSAGE_ID", std::string(kVerdictChangedMessageId)}}});
  last_verdict_ = report.verdict;
  std::set<std::string> unexpected;
  for (const UnexpectedRule& r : report.unexpected) {
    const std::string key = source_of(r) + " " + r.rule;
    const bool is_new = !last_unexpected_.count(key);
    unexpected.insert(key);
    d.logs.push_back({is_new ? 0 : 2,
                      LOG_WARNING,
                      "unexpected rule (" + source_of(r) + "): " + r.rule,
                      {{"BACKEND", std::string(backend_name(r.backend))},
                       {"FAMILY", std::string(family_name(r.family))},
                       {"TABLE", r.table},
                       {"CHAIN", r.chain},
                       {"RULE", r.rule},
                       {"MESSAGE_ID", std::string(kUnexpectedRuleMessageId)}}});
  }
  last_unexpected_ = std::move(unexpected);
  std::set<std::string> once;
  for (const std::string& e : report.errors)
    log_once(d, once_, once, "read", {0, LOG_ERR, "cannot read " + e, {}});
  for (const PatternLimitHit& h : report.limit_hits)
    log_once(d, once_, once, "limit",
             {0,
              LOG_WARNING,
              h.source.file + ":" + std::to_string(h.source.line) +
                  ": pattern hit its match limit (counted as no match): " + h.pattern,
              {{"PATTERN_FILE", h.source.file}, {"PATTERN_LINE", std::to_string(h.source.line)}}});

  label_ = grace_.decide(report.verdict, now);
  if (label_.value) asked_before_ = label_.value;
  if (label_.unknown_too_long)
    log_once(d, once_, once, "unknown-too-long",
             {0,
              LOG_WARNING,
              unknown_too_long_message(label_, report),
              {{"LABEL_VALUE", "true"}, {"NODE_NAME", options_.node}}});
  once_.swap(once);

  if (!options_.cluster) return d;
  // Without a watch every check re-asserts (after any back-off in force).
  assert_after_check_ = !watch_healthy_;
  d.append(maybe_send_label(now));
  // One Event of a kind at a time: while the API server hangs, checks keep
  // coming (rule changes) and would otherwise queue requests without bound.
  auto event = [&](const char* reason, std::string message) {
    if (events_in_flight_.insert(reason).second)
      d.requests.push_back({ClusterRequest::Kind::Event, false, reason, std::move(message)});
  };
  if (options_.events && report.verdict == Verdict::Unexpected)
    event("UnexpectedIPTablesRules", event_message(report));
  if (options_.events && label_.unknown_too_long)
    event("UnreadableIPTablesRules", unknown_too_long_message(label_, report));
  return d;
}

Decision Reconciler::blocked_rule_additions(size_t count, const std::string& event_message) {
  Decision d;
  if (count == 0) return d;
  d.logs.push_back({0,
                    LOG_WARNING,
                    std::to_string(count) +
                        " attempt(s) to add iptables rules were blocked since the last check "
                        "(eBPF host routing is on)",
                    {}});
  if (options_.cluster && options_.events && events_in_flight_.insert("BlockedIPTablesRule").second)
    d.requests.push_back(
        {ClusterRequest::Kind::Event, false, "BlockedIPTablesRule", event_message});
  return d;
}

Decision Reconciler::maybe_send_label(Clock::time_point now) {
  Decision d;
  const auto want = wanted();
  if (!options_.cluster || !want || in_flight_) return d;
  // Never "false" unless the latest check read every table and allowed
  // every rule (UnknownGrace already says so; this is the last line).
  if (!*want && last_verdict_ != Verdict::Clean) return d;
  // A value not sent (or seen) before goes at once, whatever back-off is in
  // force: a new verdict is never held up. The same value again waits.
  const bool new_value = last_value_ != want;
  if (retry_at_ && now < *retry_at_ && !new_value) return d;
  bool read_first = false;
  if (watch_healthy_) {
    assert_after_check_ = false;
    if (!observed_ || !observed_->exists) return d;  // created later: the watch says so
    if (observed_->label == std::string(bool_text(*want))) {
      confirmed_ = want;
      last_value_ = want;
      return d;
    }
    d.logs.push_back({1,
                      LOG_INFO,
                      "CiliumNode " + options_.node + " has " + observed_text(*observed_) +
                          "; the verdict asks for " + bool_text(*want) + ": setting it",
                      {{"NODE_NAME", options_.node}}});
  } else {
    if (!assert_after_check_) return d;
    // The watch has not said yet whether it can be had: it will, within a
    // request or a few retries, and this is decided then.
    if (options_.watch && !watch_reported_) return d;
    assert_after_check_ = false;
    // Re-asserting what was sent before: most likely it is still there, and
    // a fleet that lost its watches together would otherwise write all at
    // once. One GET says; the write follows only if the label differs.
    read_first = !new_value;
  }
  in_flight_ = true;
  retry_at_.reset();
  if (read_first) {
    d.requests.push_back({ClusterRequest::Kind::ReadLabel, *want, {}, {}});
    return d;
  }
  last_value_ = want;
  d.requests.push_back({ClusterRequest::Kind::Label, *want, {}, {}});
  return d;
}

void Reconciler::another_writer(Decision& d, Clock::time_point now) {
  const auto want = wanted();
  if (!want || !observed_ || !observed_->exists ||
      observed_->label == std::string(bool_text(*want)))
    return;
  // Only a value we set being changed back is a fight; and one long after
  // our last write (cilium-agent replacing labels now and then) is re-set at
  // once, starting the count over.
  if (!last_set_at_ || last_value_ != want || now - *last_set_at_ >= options_.fight_window) {
    overwrites_in_a_row_ = 0;
    fight_.reset();
    fight_reported_ = false;
    return;
  }
  ++label_overwrites_;
  // Once is a coincidence (cilium-agent updating the object right after
  // us): answered at once. From the second time on it is a fight.
  if (++overwrites_in_a_row_ < 2) return;
  const Clock::time_point at = now + fight_.next(options_.random());
  retry_at_ = retry_at_ ? std::max(*retry_at_, at) : at;
  if (overwrites_in_a_row_ < options_.fight_report || fight_reported_) return;
  fight_reported_ = true;
  const std::string message =
      "another writer keeps changing the label " + std::string(kLabelKey) + " of CiliumNode " +
      options_.node + " back (" + observed_text(*observed_) + " again, " +
      std::to_string(overwrites_in_a_row_) + " times within a minute of setting " +
      bool_text(*want) + "): setting it again with back-off (up to " +
      std::to_string(std::chrono::duration_cast<std::chrono::seconds>(options_.fight.max).count()) +
      " s between writes); find the other writer";
  d.logs.push_back(
      {0, LOG_WARNING, message, {{"NODE_NAME", options_.node}, {"LABEL_VALUE", bool_text(*want)}}});
  if (options_.events && events_in_flight_.insert("IPTablesLabelOverwritten").second)
    d.requests.push_back({ClusterRequest::Kind::Event, false, "IPTablesLabelOverwritten", message});
}

Decision Reconciler::observed(const CiliumNodeObservation& seen, Clock::time_point now) {
  Decision d;
  // No CiliumNode to label: which absence it is (a wrong NODE_NAME, a new
  // node, no CRD) is said once, and stands as the reason the label is not
  // set until the object appears.
  if (!seen.exists && !seen.absent_because.empty()) {
    const std::string why = "CiliumNode " + options_.node + " not found: " + seen.absent_because;
    if (why != label_error_)
      d.logs.push_back({0, LOG_WARNING, why, {{"NODE_NAME", options_.node}}});
    label_error_ = why;
    absent_said_ = true;
  } else if (seen.exists && absent_said_) {
    label_error_.clear();
    absent_said_ = false;
  }
  if (in_flight_ && !seen.resource_version.empty()) {
    if (seen_in_flight_.size() >= kRememberedInFlight)
      seen_in_flight_.erase(seen_in_flight_.begin());
    seen_in_flight_.push_back(seen.resource_version);
  }
  // A resource version alone changing (cilium-agent's status updates) with
  // the label as it was asks for nothing.
  if (observed_ && seen.exists == observed_->exists && seen.label == observed_->label) {
    observed_ = seen;
    return d;
  }
  observed_ = seen;
  confirmed_.reset();
  if (seen.exists && seen.label == std::string("true")) confirmed_ = true;
  if (seen.exists && seen.label == std::string("false")) confirmed_ = false;
  // A change by someone else is answered at once, unless requests are
  // failing (their back-off holds: a restarting server refuses everyone) or
  // it is a fight (its own back-off).
  if (retry_.failures() == 0 && overwrites_in_a_row_ == 0) retry_at_.reset();
  another_writer(d, now);
  d.append(maybe_send_label(now));
  return d;
}

Decision Reconciler::watch_health(bool healthy, const std::string& why, Clock::time_point now) {
  Decision d;
  watch_healthy_ = healthy;
  if (healthy) {
    watch_was_healthy_ = true;
    if (retry_.failures() == 0) retry_at_.reset();  // a spread fallback not yet due
    d.logs.push_back({watch_reported_ == false ? 0 : 2,
                      LOG_INFO,
                      "watching CiliumNode " + options_.node +
                          ": the label is set when it differs from the verdict, and only then",
                      {{"NODE_NAME", options_.node}}});
  } else {
    d.logs.push_back({0,
                      LOG_WARNING,
                      "cannot watch CiliumNode " + options_.node + " (" + why +
                          "): setting the label after every check instead; trying the watch "
                          "again now and then",
                      {{"NODE_NAME", options_.node}}});
    // Without a watch nothing says the label is still there.
    const bool was_right = confirmed_ && confirmed_ == wanted();
    confirmed_.reset();
    assert_after_check_ = true;
    // A fleet loses its watches together (a server restart, a freeze): the
    // re-assertion of a label that was right is spread over a while, not made
    // by every node in the same second. A label known to be wrong, a retry
    // already scheduled and a new verdict are not held up by it.
    if (watch_was_healthy_ && was_right && !retry_at_) {
      const auto spread =
          std::chrono::duration_cast<Clock::duration>(options_.fallback_spread * options_.random());
      retry_at_ = retry_at_ ? std::max(*retry_at_, now + spread) : now + spread;
    }
  }
  watch_reported_ = healthy;
  d.append(maybe_send_label(now));
  return d;
}

Decision Reconciler::watch_problem(const std::string& problem) {
  Decision d;
  if (problem != last_watch_problem_)
    d.logs.push_back({0,
                      LOG_WARNING,
                      "watch of CiliumNode " + options_.node + ": " + problem +
                          "; restarting the watch (the next check runs as planned)",
                      {{"NODE_NAME", options_.node}}});
  last_watch_problem_ = problem;
  return d;
}

Decision Reconciler::sent(const ClusterRequest& request, const RequestResult& result,
                          Clock::time_point now) {
  Decision d;
  if (result.ok) {
    if (!request_errors_.empty())
      d.logs.push_back({0,
                        LOG_INFO,
                        "requests to the API server succeed again",
                        {{"NODE_NAME", options_.node}}});
    request_errors_.clear();
  } else {
    // Bounded: an outage that words each failure differently is said again
    // rather than remembered for ever.
    if (request_errors_.size() >= kRememberedErrors) request_errors_.clear();
  }
  if (!result.ok && request_errors_.insert(result.error).second) {
    d.logs.push_back({0, LOG_ERR, result.error, {{"NODE_NAME", options_.node}}});
  }
  if (request.kind == ClusterRequest::Kind::Event) {
    events_in_flight_.erase(request.reason);
    return d;
  }
  in_flight_ = false;
  std::vector<std::string> seen_in_flight;
  seen_in_flight.swap(seen_in_flight_);
  if (request.kind == ClusterRequest::Kind::ReadLabel) {
    const auto want = wanted();
    if (result.ok && result.seen && result.seen->exists &&
        result.seen->label == std::string(bool_text(request.label_value))) {
      retry_.reset();
      confirmed_ = request.label_value;
      d.logs.push_back({2,
                        LOG_INFO,
                        "CiliumNode " + options_.node + " has label " +
                            bool_text(request.label_value) + " already: nothing to write",
                        {{"NODE_NAME", options_.node}}});
      // The verdict may have changed while this was in flight.
      d.append(maybe_send_label(now));
      return d;
    }
    if (result.ok && result.seen && !result.seen->exists) return d;  // nothing to label yet
    // It differs, or could not be read: write it (failing closed: asserting
    // is what the fallback is for). The verdict may have changed meanwhile.
    if (!want || (!*want && last_verdict_ != Verdict::Clean)) return d;
    in_flight_ = true;
    last_value_ = want;
    d.requests.push_back({ClusterRequest::Kind::Label, *want, {}, {}});
    return d;
  }
  if (result.ok) {
    retry_.reset();
    last_set_at_ = now;
    label_error_.clear();
    absent_said_ = false;
    // The watch showed this write while it was in flight (its resource
    // version), so what the watch showed last is newer than the answer:
    // a change made after our write stays seen, and is answered.
    const bool watch_passed_it = result.seen && !result.seen->resource_version.empty() &&
                                 std::find(seen_in_flight.begin(), seen_in_flight.end(),
                                           result.seen->resource_version) != seen_in_flight.end();
    if (!watch_passed_it) {
      confirmed_ = request.label_value;
      // The watch reports the change shortly; until then this is what is there.
      if (observed_ && observed_->exists) observed_->label = bool_text(request.label_value);
    }
    d.logs.push_back(
        {2,
         LOG_INFO,
         "label " + std::string(kLabelKey) + "=" + bool_text(request.label_value) + " set on " +
             options_.node,
         {{"LABEL_VALUE", bool_text(request.label_value)}, {"NODE_NAME", options_.node}}});
    if (watch_passed_it) another_writer(d, now);
    // The verdict may have changed while this was in flight.
    d.append(maybe_send_label(now));
    return d;
  }
  label_error_ = result.error;
  absent_said_ = false;
  if (result.status == 404 && watch_healthy_) {
    // No CiliumNode yet (cilium-agent creates it after the kubelet is up):
    // the watch says when it is there.
    if (observed_) observed_->exists = false;
    return d;
  }
  retry_at_ = now + retry_.next(options_.random());
  // Without a watch the retry re-asserts as a check would.
  assert_after_check_ = true;
  return d;
}

Decision Reconciler::tick(Clock::time_point now) {
  if (!retry_at_ || now < *retry_at_) return {};
  retry_at_.reset();
  return maybe_send_label(now);
}

}  // namespace aim
