#pragma once
// When a rule change gets its check. Pure, tested with a fake clock.
//
// A change starts a check after a short settle (a ruleset is often written
// in several steps; the settle is counted from the first change, so changes
// that keep coming cannot postpone it). Change-triggered checks are spaced
// by what they cost alone: a check's CPU time (helpers included) is at most
// `max_duty_cycle` of the time between the starts of two (4 %, i.e. 25 times
// the last check's CPU: with the rest of the service, under 5 % of a core
// whatever the node's size), and never less than `floor` apart (well under a
// second). So a small quiet node answers every change back to back, and a
// large one is bounded by its cost. An operator may cap the frequency
// further (`ceiling`, --min-check-interval; zero: no cap). A check covers
// every change noticed before it started, so a change is never lost, only
// folded into the next check.
#include <chrono>
#include <optional>
#include <string>

namespace aim {

class CheckPacer {
 public:
  using Clock = std::chrono::steady_clock;
  // The spacing when a check costs next to nothing.
  static constexpr std::chrono::milliseconds kFloor{250};
  static constexpr double kMaxDutyCycle = 0.04;

  CheckPacer(Clock::duration settle, Clock::duration ceiling = Clock::duration::zero(),
             Clock::duration floor = kFloor, double max_duty_cycle = kMaxDutyCycle)
      : settle_(settle), ceiling_(ceiling), floor_(floor), max_duty_cycle_(max_duty_cycle) {}

  // A change was noticed (`what`: "nft", "legacy ipv4 nat", ...).
  void changed(Clock::time_point now, const std::string& what);
  // A check started (`for_changes`: this pacer's due time started it): it
  // covers what was noticed until now.
  void check_started(Clock::time_point now, bool for_changes);
  // A check ended, having cost `cpu` (CPU time, helpers included; on a busy
  // machine it is its wall time that grows, not this).
  void check_finished(Clock::duration cpu) { last_cost_ = cpu; }
  // The spacing now in force: the largest of the floor, the cost's share
  // and the operator's ceiling on frequency.
  Clock::duration spacing() const;
  // The part of it the last check's cost asks for.
  Clock::duration spacing_by_cost() const;
  Clock::duration last_cost() const { return last_cost_; }
  // When the check for the changes noticed since is due; nullopt: none.
  std::optional<Clock::time_point> due() const;
  // What changed first since the last check (for the trigger's name), and
  // how many changes were noticed since.
  const std::string& first_change() const { return first_; }
  size_t changes() const { return changes_; }

 private:
  Clock::duration settle_, ceiling_, floor_;
  double max_duty_cycle_;
  Clock::duration last_cost_{};
  std::optional<Clock::time_point> pending_since_;
  std::optional<Clock::time_point> last_start_;
  std::string first_;
  size_t changes_ = 0;
};

}  // namespace aim
