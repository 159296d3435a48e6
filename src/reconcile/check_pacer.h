#pragma once
// When a rule change gets its check. Pure, tested with a fake clock.
//
// A change starts a check after a short settle (a ruleset is often written
// in several steps; the settle is counted from the first change, so changes
// that keep coming cannot postpone it). Under continuous churn (kube-proxy
// syncing every second) checks are spaced at least `min_interval` apart,
// counted from the start of the last change-triggered check, and further
// apart when checks are costly: a check's CPU time (helpers included) is at
// most `max_duty_cycle` of the time between two (4 %: with the rest of the
// service, under 5 % of a core whatever the node's size). A check covers
// every change noticed before it started, so a change is never lost, only
// folded into the next check.
#include <chrono>
#include <optional>
#include <string>

namespace aim {

class CheckPacer {
 public:
  using Clock = std::chrono::steady_clock;
  CheckPacer(Clock::duration settle, Clock::duration min_interval, double max_duty_cycle = 0.04)
      : settle_(settle), min_interval_(min_interval), max_duty_cycle_(max_duty_cycle) {}

  // A change was noticed (`what`: "nft", "legacy ipv4 nat", ...).
  void changed(Clock::time_point now, const std::string& what);
  // A check started (`for_changes`: this pacer's due time started it): it
  // covers what was noticed until now.
  void check_started(Clock::time_point now, bool for_changes);
  // A check ended, having cost `cpu` (CPU time, helpers included; on a busy
  // machine it is its wall time that grows, not this).
  void check_finished(Clock::duration cpu) { last_cost_ = cpu; }
  // The spacing now in force.
  Clock::duration spacing() const;
  // When the check for the changes noticed since is due; nullopt: none.
  std::optional<Clock::time_point> due() const;
  // What changed first since the last check (for the trigger's name), and
  // how many changes were noticed since.
  const std::string& first_change() const { return first_; }
  size_t changes() const { return changes_; }

 private:
  Clock::duration settle_, min_interval_;
  double max_duty_cycle_;
  Clock::duration last_cost_{};
  std::optional<Clock::time_point> pending_since_;
  std::optional<Clock::time_point> last_start_;
  std::string first_;
  size_t changes_ = 0;
};

}  // namespace aim
