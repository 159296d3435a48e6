#pragma once
// The rule-change watch: what tells the service that rules changed, and
// when the check for those changes is due. Its parts: the nf_tables
// listener (an event source on the loop; after one announcement it stops
// reading until the next check starts, so a flood costs nothing), the
// x_tables poll (on its own LoopWorker thread, which only posts what
// changed back to the loop: every table's size every 250 ms, and its entries'
// fingerprint paced by the fingerprint's cost), the CheckPacer (reconcile/check_pacer.h: the
// settle and the spacing by cost) and its timer. Everything but the poll
// runs on the loop thread; nothing here blocks.
#include <systemd/sd-event.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "log/logger.h"
#include "reconcile/check_pacer.h"
#include "rules/changes/sources.h"
#include "rules/ruleset.h"
#include "service/event_loop.h"
#include "service/loop_worker.h"
#include "util/result.h"

namespace aim {

class RuleChangeWatch {
 public:
  using Clock = std::chrono::steady_clock;
  struct Setup {
    bool nft = false;     // listen to nf_tables (the nft backend, native tables)
    bool legacy = false;  // poll the x_tables tables' sizes and fingerprints
    std::vector<Family> families{Family::V4};  // polled
    Clock::duration settle{std::chrono::milliseconds(300)};
    Clock::duration ceiling{};  // --min-check-interval; zero: none
  };
  // A check for the changes noticed is due; `detail` names the first and
  // how many more ("legacy ipv4 filter and 3 more").
  using Due = std::function<void(const std::string& detail)>;
  // An sd-event call failed (negative errno `r`): the daemon stops on it.
  using LoopError = std::function<void(int r, const char* what)>;

  RuleChangeWatch(Logger& log, const std::atomic<bool>& stopping, Due due, LoopError loop_error);
  RuleChangeWatch(const RuleChangeWatch&) = delete;
  RuleChangeWatch& operator=(const RuleChangeWatch&) = delete;

  // Creates the due timer on `loop`, listens to nf_tables and starts the
  // poll on `poller`, as `setup` asks. A source that cannot be had is
  // logged (its changes then wait for --interval); an error: the timer could
  // not be created.
  Status start(sd_event* loop, LoopWorker& poller, const Setup& setup);
  // A change was noticed (`what`: "nft", "legacy ipv4 nat", ...).
  void changed(const std::string& what);
  // A check started (`for_changes`: this watch's due time started it). It
  // covers every change noticed until now; listening resumes, so a change
  // from here on gets the next check.
  void check_started(bool for_changes);
  // The check ended, having cost `cpu` (helpers included): the changes
  // noticed meanwhile get their check when the pacer says.
  void check_finished(Clock::duration cpu);

  const CheckPacer& pacer() const { return pacer_; }

 private:
  static int on_due(sd_event_source*, uint64_t, void* self);
  static int on_nft(sd_event_source* source, int, uint32_t, void* self);
  void arm();
  void start_poll(LoopWorker& poller, std::vector<Family> families);
  // Posts to the loop what a fingerprint pass has to say (called on the
  // poller thread).
  void post_fingerprint_pass(LoopWorker& poller, const XtFingerprints& before,
                             const XtTableFingerprinter::Pass& pass,
                             std::chrono::nanoseconds spacing);

  Logger& log_;
  const std::atomic<bool>& stopping_;
  Due due_;
  LoopError loop_error_;
  CheckPacer pacer_{std::chrono::milliseconds(300)};
  bool checking_ = false;
  EventSource timer_;
  NftChangeMonitor nft_;
  EventSource nft_source_;
  double fingerprint_spacing_logged_ = 0;  // loop thread only
};

}  // namespace aim
