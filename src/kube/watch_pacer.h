#pragma once
// How the CiliumNode watch paces itself after failures, and when it counts as
// lost or refused. Pure (told the time and the random draws), so it is tested
// with a fake clock; CiliumNodeWatch does the I/O and follows its steps.
//
// Why each rule (issue 30, a fleet against a restarting API server):
// - A refusal (401/403 while a starting server's authorizer has not synced,
//   404 while the CRD is being installed, 429, 5xx) is retried with jittered
//   exponential back-off from a second; only one that lasts minutes counts as
//   "no grant" and is retried at the slow rate. The first refusal is said at
//   once, so a real RBAC mistake is not hidden.
// - Every fault (a cut, a garbage stream, a refusal) backs off, and the
//   back-off starts over only when a watch proved itself (an event, a
//   bookmark, an end at its timeout, or open a while): a server answering
//   garbage is not asked five times a second.
// - A watch that was open is lost only after failing for a while (a server
//   restart or a 30 s freeze is ridden out without a fleet-wide fallback);
//   one never opened is given up after a few failures, so the first label is
//   not held up.
// - Each watch asks the server to end it after a random time in [t, 2t) (as
//   client-go does), and the reconnect after a cut is spread over 15 s:
//   watches opened (or cut) together do not come back together (10 s gave
//   a 9.5 s spread at 50 nodes, short of the 10 s the fleet target asks).
#include <chrono>
#include <optional>
#include <string>

#include "kube/retry.h"

namespace aim {

struct WatchPacing {
  // Each watch ends after a time drawn from [this, twice this).
  std::chrono::seconds server_timeout{290};
  // After a cut or a bad answer.
  BackoffPolicy faults{std::chrono::milliseconds(500), std::chrono::seconds(30)};
  // After a refusal that may be a starting server's.
  BackoffPolicy refusals{std::chrono::seconds(1), std::chrono::seconds(30)};
  // Failures in a row before the watch counts as lost...
  int failures_before_lost = 3;
  // ...and, once a watch was open, for at least this long.
  std::chrono::milliseconds lost_after{std::chrono::seconds(30)};
  // A refusal lasting this long is "no grant": said, and retried slowly,
  // every refused_retry (spread by up to half).
  std::chrono::milliseconds no_grant_after{std::chrono::minutes(2)};
  std::chrono::milliseconds refused_retry{std::chrono::minutes(5)};
  // The reconnect after an open watch is cut waits a random part of this
  // (at least the back-off's draw): a server restart cuts every node's watch
  // at once.
  std::chrono::milliseconds reconnect_spread{std::chrono::seconds(15)};
  // A watch open this long worked: the back-off starts over.
  std::chrono::milliseconds worked_after{std::chrono::seconds(10)};
};

class WatchPacer {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Fault {
    Transport,  // no answer, a cut, a timeout
    Garbage,    // an answer that is not a watch's (not JSON, too big, an ERROR event)
    Refused,    // an HTTP refusal (4xx other than 410, 5xx)
  };
  struct Step {
    std::chrono::milliseconds wait{0};  // before the next try
    std::optional<bool> health;         // to report (it changed)
    std::string why;                    // with health false
    std::string say;  // to log now (a refusal starting, or becoming no grant), if any
  };

  explicit WatchPacer(WatchPacing pacing = {});

  // The timeoutSeconds for the next watch.
  std::chrono::seconds watch_timeout(double random01) const;
  // A watch answered 2xx: it is open.
  Step opened(Clock::time_point now);
  // The watch proved itself (an event, a bookmark, its timeout, open long
  // enough): the next fault waits from the start of the back-off.
  void worked();
  // A list or watch failed with `fault` (`why` is the operator's message).
  Step failed(Fault fault, const std::string& why, Clock::time_point now, double random01);

  bool no_grant() const { return no_grant_; }
  const WatchPacing& pacing() const { return pacing_; }

 private:
  Step set_health(Step step, bool healthy, const std::string& why);

  WatchPacing pacing_;
  Backoff faults_, refusals_;
  int failures_ = 0;  // in a row, since the last open
  std::optional<Clock::time_point> failing_since_, refused_since_;
  bool ever_open_ = false;
  bool open_ = false;       // the last thing seen was an open watch
  bool after_cut_ = false;  // failing to connect since an open watch was cut
  bool no_grant_ = false;
  std::optional<bool> healthy_;
};

}  // namespace aim
