#include "service/daemon.h"

#include <signal.h>
#include <sys/inotify.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <thread>
#include <tuple>

#include "check/report_format.h"
#include "service/check_job.h"
#include "service/event_loop.h"
#include "service/health_endpoint.h"
#include "service/label_keeper.h"
#include "service/loop_worker.h"
#include "service/metrics_writer.h"
#include "service/rule_change_watch.h"
#include "service/status.h"
#include "service/trigger.h"
#include "util/text.h"
#include "version.h"

namespace aim {
namespace {

using Clock = std::chrono::steady_clock;

void notify(const std::string& state) { sd_notify(0, state.c_str()); }

// After an allowlist change is noticed: settle for a moment (ConfigMap
// updates swap a symlink in several steps).
constexpr std::chrono::milliseconds kAllowlistSettle{500};
// AIM_TEST_HOOKS=1 (tests only, read at start): SIGUSR2 blocks the loop
// thread this long, so a test can see /healthz fail while the server thread
// runs (docs/TESTING.md). Longer than the loop's health bound.
constexpr std::chrono::seconds kTestLoopBlock{15};

// After a rule change is noticed: settle for a moment (a ruleset is written
// in several steps), counted from the first change.
constexpr std::chrono::milliseconds kRuleChangeSettle{300};

std::chrono::microseconds micros(double seconds) {
  return std::chrono::microseconds(static_cast<long long>(seconds * 1000000.0));
}

double seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

}  // namespace

struct Daemon::State {
  ServiceOptions options;
  std::vector<RuleReader*> readers;
  Logger& log;
  EventLoop loop;
  EventSource timer;         // the next check (interval, or sooner)
  EventSource settle_timer;  // an allowlist change settling
  std::vector<EventSource> watches;
  std::atomic<bool> stopping{false};

  // The parts, each with its own thread (a LoopWorker) whose results come
  // back to the loop thread: the checks (CheckJob's state is touched by
  // check jobs only), the cluster side (LabelKeeper: the API requests and
  // the CiliumNode watch), the x_tables poll (RuleChangeWatch's poller) and
  // the metrics file.
  CheckJob check_job;
  LoopWorker checks, poller;
  MetricsWriter metrics{options.metrics_file, AIM_VERSION, log};
  LabelKeeper label{options,
                    log,
                    metrics,
                    stopping,
                    [this] {
                      update_status();
                      maybe_terminate();
                    },
                    [this](int r, const char* what) { loop_ok(r, what); }};
  // --listen: /metrics and /healthz on the server's thread.
  std::unique_ptr<HealthEndpoint> endpoint;
  RuleChangeWatch changes{log, stopping,
                          [this](const std::string& detail) {
                            request_check({Trigger::Kind::RuleChange, detail});
                          },
                          [this](int r, const char* what) { loop_ok(r, what); }};

  // The loop thread only.
  size_t allowlist_problems = 0;
  std::set<std::string> said_once;  // route and counter problems, said when they start
  bool pending_reload = false;
  bool check_running = false;
  bool check_requested = false;            // a trigger came while a check ran
  std::optional<Trigger> pending_trigger;  // what asked for the next check
  std::optional<Report> last_report;
  std::string last_trigger;
  Clock::time_point next_check_at{};
  bool ready_sent = false;
  std::string last_status;

  State(ServiceOptions o, std::vector<RuleReader*> r, Logger& l)
      : options(std::move(o)),
        readers(std::move(r)),
        log(l),
        check_job(options, readers, log, stopping) {}

  bool cluster() const { return !options.node_name.empty(); }

  // --- the loop's own calls -------------------------------------------------
  // Every sd_event_* call's result goes through here. A timer or source the
  // loop cannot arm or switch would silently stop checks (the label would
  // stay at its last value, possibly "false"): that is a fault of the
  // service, so it stops, with the reason, and systemd restarts it.
  bool loop_ok(int r, const char* what) {
    if (r >= 0) return true;
    log.error(std::string(what) + ": " + strerror(-r) + "; " + stopping_note());
    stopping = true;
    if (loop) sd_event_exit(loop.get(), 1);
    return false;
  }

  // "stopping (systemd restarts the service)", as who runs it says.
  std::string stopping_note() const {
    const std::string who = who_restarts(options.runtime);
    return who.empty() ? std::string("stopping") : "stopping (" + who + ")";
  }

  // Every timer is armed through event_loop.h's arm_at.
  void arm_at(sd_event_source* timer, Clock::time_point at) {
    if (Status armed = aim::arm_at(timer, at); !armed)
      loop_ok(negative_errno(armed), armed.error().c_str());
  }

  void set_enabled(sd_event_source* source, int enabled) {
    loop_ok(sd_event_source_set_enabled(source, enabled),
            "cannot switch an event source on or off");
  }

  // --- allowlists (read and compiled on the check thread) ------------------
  // Watches each allowlist directory (as its path resolves now) and its
  // parent (where a symlinked directory is re-pointed or a directory is
  // recreated). Re-done after every reload, so a new target is watched; and
  // before every check the fingerprint is compared anyway, so nothing
  // depends on inotify alone.
  void watch_allowlists() {
    watches.clear();
    for (const std::string& path :
         AllowlistSource::watched_paths(options.input, options.input6, options.ipv6)) {
      sd_event_source* source = nullptr;
      const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                            IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
      if (sd_event_add_inotify(loop.get(), &source, path.c_str(), mask, on_allowlist_change,
                               this) >= 0)
        watches.emplace_back(source);
      else
        log.info(2, "not watching " + path +
                        " for changes (it does not exist yet); it is compared before every check");
    }
  }

  // --- the action ---------------------------------------------------------
  // Starts a check on the check thread, or remembers to start one when the
  // running one ends. `trigger` says why (STATUS and -v 2).
  void request_check(const Trigger& trigger) {
    if (stopping) return;
    if (check_running) {
      check_requested = true;
      if (!pending_trigger) pending_trigger = trigger;
      return;
    }
    check_requested = false;
    pending_trigger.reset();
    const bool reload = pending_reload;
    pending_reload = false;
    const std::string why = trigger.text();
    log.info(2, "checking (" + why + ")", {{"TRIGGER", why}});
    const bool for_changes = trigger.kind == Trigger::Kind::RuleChange;
    if (for_changes)
      log.info(2, "rule-change checks are spaced " +
                      format_seconds(seconds(changes.pacer().spacing())) + " apart (by cost " +
                      format_seconds(seconds(changes.pacer().spacing_by_cost())) +
                      ": 25 x the last check's CPU " +
                      format_seconds(seconds(changes.pacer().last_cost())) + ")");
    last_trigger = why;
    check_running = true;
    set_enabled(timer.get(), SD_EVENT_OFF);
    // This check covers every change noticed until now: what is queued on
    // the nf_tables socket is discarded, and listening goes on, so a change
    // from here on (the read has not started) starts the next one.
    changes.check_started(for_changes);
    // Only a rule change may be answered from what the readers kept; every
    // other trigger (start, the interval, a reload) reads everything, which
    // bounds any drift a kept state could have.
    const bool full_read = trigger.kind != Trigger::Kind::RuleChange &&
                           trigger.kind != Trigger::Kind::ChangeDuringCheck;
    checks.submit(
        [this, reload, full_read]() -> LoopWorker::Continuation {
          auto result = std::make_shared<CheckJobResult>(check_job.run(reload, full_read));
          return [this, result] { check_done(*result); };
        },
        // Fail closed: a check that threw is `unknown`, never `clean`.
        [this](const std::string& what) -> LoopWorker::Continuation {
          auto result = std::make_shared<CheckJobResult>(CheckJob::failed(what));
          return [this, result] { check_done(*result); };
        });
  }

  void check_done(const CheckJobResult& result) {
    check_running = false;
    if (stopping) return;
    if (endpoint) endpoint->check_finished();
    const CheckRun& run = result.run;
    const CheckCompanions& companions = result.companions;
    allowlist_problems = result.allowlists.problems;
    // A check that threw loaded nothing: the gauges keep what was in use.
    if (!result.allowlists.patterns.empty())
      metrics.metrics().allowlists(result.allowlists.patterns, result.allowlists.problems);
    if (result.allowlists.reloaded) watch_allowlists();
    changes.check_finished(std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(run.cpu_seconds)));
    std::set<std::string> once;
    for (const LogLine& l : companions.logs) {
      // Said when it starts, not every check.
      if (!said_once.count(l.message)) log.log(l.level, l.priority, l.message, l.fields);
      once.insert(l.message);
    }
    said_once.swap(once);
    label.blocked_rule_additions(companions.new_blocks);
    // E.g. which nft tables were listed by iptables-nft-save, and why.
    for (const RuleSet& set : run.sets)
      for (const std::string& note : set.stats.notes)
        log.info(2, source_name(set.backend, set.family) + ": " + note);
    last_report = run.report;
    label.checked(run.report);
    log.info(2, "check took " + format_seconds(std::chrono::duration<double>(run.took).count()) +
                    ": " + summarize(run.report) + " (CPU " + format_seconds(run.cpu_seconds) +
                    ", helpers included)");
    // --metrics-file: after every check (issue 15), with the label's
    // progress (recorded by label.checked()).
    metrics.check_finished({&run.report, seconds(run.took),
                            options.check_map ? companions.last_good_reading : std::nullopt});

    // Unknown but not yet past its grace: check again by the time it may
    // escalate, not a whole interval later.
    auto next = std::chrono::duration_cast<Clock::duration>(micros(options.interval_seconds));
    if (auto due = label.time_to_escalation())
      next = std::min(next, std::max<Clock::duration>(*due, std::chrono::seconds(1)));
    next_check_at = Clock::now() + next;
    if (!ready_sent) {
      notify("READY=1");
      ready_sent = true;
    }
    if (check_requested) {
      request_check(pending_trigger.value_or(Trigger{Trigger::Kind::ChangeDuringCheck, {}}));
    } else {
      arm_at(timer.get(), next_check_at);
    }
    update_status(true);
    maybe_terminate();
  }

  // After a check always; after other events when the line changed.
  void update_status(bool after_check = false) {
    if (!last_report) return;
    const auto next = std::chrono::system_clock::now() +
                      std::chrono::duration_cast<std::chrono::system_clock::duration>(
                          next_check_at - Clock::now());
    StatusContext context;
    context.cluster_enabled = cluster();
    context.label_error = label.state().label_error();
    context.watching = label.state().watching();
    context.allowlist_problems = allowlist_problems;
    context.trigger = last_trigger;
    context.next_check = std::chrono::system_clock::to_time_t(next);
    std::string line = status_line(*last_report, label.state().label(), context);
    if (!after_check && line == last_status) return;
    last_status = line;
    notify("STATUS=" + line);
  }
  void maybe_terminate() {
    if (!options.terminate_on_success || !cluster() || !last_report) return;
    if (last_report->verdict != Verdict::Clean || !label.state().label_settled()) return;
    log.info(0, "clean and labelled false: exiting (--terminateOnSuccess)");
    stopping = true;
    loop_ok(sd_event_exit(loop.get(), 0), "cannot stop the event loop");
  }

  // A continuation (the service's own loop-thread code) threw: the state
  // may be half-updated, so the service stops with the reason and systemd
  // restarts it.
  LoopWorker::Fault fault_handler() {
    return [this](const std::string& what) {
      log.error("an internal error on the event loop: " + what + "; " + stopping_note());
      stopping = true;
      if (loop) sd_event_exit(loop.get(), 1);
    };
  }

  // --- rule changes -------------------------------------------------------
  // Which detectors the readers need: nf_tables announcements for the nft
  // backend and native tables, polled sizes for x_tables.
  Status start_rule_watch() {
    RuleChangeWatch::Setup setup;
    for (RuleReader* reader : readers) {
      if (reader->backend() == Backend::Legacy) setup.legacy = true;
      if (reader->backend() == Backend::Nft || reader->backend() == Backend::Native)
        setup.nft = true;
    }
    if (options.ipv6) setup.families.push_back(Family::V6);
    setup.settle = kRuleChangeSettle;
    setup.ceiling = std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(options.min_check_interval_seconds));
    return changes.start(loop.get(), poller, setup);
  }

  // --- event sources ------------------------------------------------------
  void reload(const char* why) {
    notify("RELOADING=1");
    log.info(0, std::string("reloading allowlists and credentials (") + why + ")");
    // Applied before the next check starts (a running one keeps its lists).
    pending_reload = true;
    notify("READY=1");
    request_check({Trigger::Kind::Reload, why});
  }

  static int on_timer(sd_event_source*, uint64_t, void* self) {
    static_cast<State*>(self)->request_check({Trigger::Kind::Interval, {}});
    return 0;
  }

  static int on_settled(sd_event_source*, uint64_t, void* self) {
    auto* s = static_cast<State*>(self);
    if (s->check_running) {
      s->check_requested = true;  // compared again before the next check
      return 0;
    }
    // Compared on the check thread (it reads the directories), after any
    // check already queued there.
    s->checks.submit(
        [s]() -> LoopWorker::Continuation {
          if (!s->check_job.allowlists_changed()) return {};
          return [s] {
            // A check started since compares (and reloads) by itself.
            if (!s->check_running) s->request_check({Trigger::Kind::AllowlistChange, {}});
          };
        },
        [s](const std::string&) -> LoopWorker::Continuation {
          return [s] {
            if (!s->check_running) s->request_check({Trigger::Kind::AllowlistChange, {}});
          };
        });
    return 0;
  }

  static int on_signal(sd_event_source*, const signalfd_siginfo* info, void* self) {
    auto* s = static_cast<State*>(self);
    if (info->ssi_signo == SIGHUP) {
      s->reload("SIGHUP");
      return 0;
    }
    if (info->ssi_signo == SIGUSR2) {  // only with AIM_TEST_HOOKS=1
      s->log.warning("test hook: blocking the event loop for " +
                     format_seconds(seconds(kTestLoopBlock)) + " (AIM_TEST_HOOKS=1, SIGUSR2)");
      std::this_thread::sleep_for(kTestLoopBlock);
      s->log.warning("test hook: the event loop runs again");
      return 0;
    }
    notify("STOPPING=1");
    s->log.info(0, std::string("stopping on ") + sigabbrev_np(static_cast<int>(info->ssi_signo)));
    s->stopping = true;  // running reads, requests and the watch give up at their next poll
    s->loop_ok(sd_event_exit(s->loop.get(), 0), "cannot stop the event loop");
    return 0;
  }

  static int on_allowlist_change(sd_event_source*, const inotify_event*, void* self) {
    auto* s = static_cast<State*>(self);
    s->log.info(4, "a change near the allowlists: comparing them shortly");
    s->arm_at(s->settle_timer.get(), Clock::now() + kAllowlistSettle);
    return 0;
  }

  void stop_threads() {
    stopping = true;
    if (endpoint) endpoint->stop();
    checks.stop();
    label.stop();
    poller.stop();
    metrics.stop();
  }
};

Daemon::Daemon(ServiceOptions options, std::vector<RuleReader*> readers, Logger& log)
    : state_(std::make_unique<State>(std::move(options), std::move(readers), log)) {}

Daemon::~Daemon() {
  if (state_) state_->stop_threads();
}

int Daemon::run() {
  State& s = *state_;
  sd_event* loop = nullptr;
  if (sd_event_new(&loop) < 0) {
    s.log.error("cannot create the event loop");
    return 1;
  }
  s.loop.reset(loop);
  std::vector<int> signals{SIGTERM, SIGINT, SIGHUP};
  // Tests only: nothing in production sets it, and without it SIGUSR2 keeps
  // its default action.
  if (const char* hooks = std::getenv("AIM_TEST_HOOKS"); hooks && std::string_view(hooks) == "1") {
    s.log.warning("AIM_TEST_HOOKS=1: SIGUSR2 blocks the event loop (a test hook)");
    signals.push_back(SIGUSR2);
  }
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : signals) sigaddset(&mask, sig);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  for (int sig : signals)
    if (!s.loop_ok(sd_event_add_signal(loop, nullptr, sig, State::on_signal, &s),
                   "cannot listen for signals"))
      return 1;
  // WATCHDOG=1 pings at half of WatchdogSec, when systemd asks for them.
  if (!s.loop_ok(sd_event_set_watchdog(loop, true), "cannot set up the watchdog")) return 1;

  // Requests, retry waits, reads and the watch give up as soon as the loop
  // saw a stop signal: SIGTERM is acted on within a second even while the
  // API server hangs or a read takes a minute.
  for (RuleReader* reader : s.readers) reader->set_abort([&s] { return s.stopping.load(); });

  s.log.info(0,
             "starting: node " + (s.cluster() ? s.options.node_name : std::string("(none)")) +
                 ", interval " + format_seconds(s.options.interval_seconds) +
                 (s.cluster() && s.options.watch_ciliumnode ? ", watching its CiliumNode" : "") +
                 (s.options.watch_rules
                      ? ", checking on rule changes (spaced by their cost, at least " +
                            format_seconds(seconds(CheckPacer::kFloor)) +
                            (s.options.min_check_interval_seconds > 0
                                 ? ", and at least " +
                                       format_seconds(s.options.min_check_interval_seconds) +
                                       " by --min-check-interval"
                                 : std::string()) +
                            ")"
                      : ""),
             {{"NODE_NAME", s.options.node_name}});
  // The allowlists are loaded by the first check, on the check thread.
  s.watch_allowlists();

  // The timers, created off; arm_at() arms them.
  const std::tuple<EventSource*, sd_event_time_handler_t, const char*> timers[] = {
      {&s.timer, State::on_timer, "the check timer"},
      {&s.settle_timer, State::on_settled, "the allowlist settle timer"}};
  for (const auto& [owner, handler, what] : timers) {
    auto timer = add_timer(loop, handler, &s, what);
    if (!timer) {
      s.loop_ok(negative_errno(timer), timer.error().c_str());
      return 1;
    }
    *owner = std::move(*timer);
  }
  const auto started = [&s](Status st) {
    if (!st) s.log.error("cannot start the service's threads: " + st.error());
    return bool(st);
  };
  // The server first: an address that cannot be bound stops the service
  // before it does anything (a port in use may free up: exit 1, restarted).
  if (!s.options.listen.empty()) {
    auto address = parse_listen_address(s.options.listen);  // checked when parsed
    Status served = address ? Status(Ok{}) : Status(Error{address.error(), EINVAL});
    if (address) {
      s.endpoint = std::make_unique<HealthEndpoint>(
          health_bounds(s.options.interval_seconds, kMatchBudget), s.metrics.metrics(), s.log);
      served = s.endpoint->start(loop, *address);
    }
    if (!served) {
      s.log.error("--listen: " + served.error() + "; " + s.stopping_note());
      return 1;
    }
  }
  for (LoopWorker* worker : {&s.checks, &s.poller})
    if (!started(worker->start(loop, s.fault_handler()))) return 1;
  if (!started(s.metrics.start(loop, s.fault_handler())) ||
      !started(s.label.start(loop, s.fault_handler())))
    return 1;
  if (s.options.watch_rules) {
    if (Status st = s.start_rule_watch(); !st) {
      s.loop_ok(negative_errno(st), st.error().c_str());
      return 1;
    }
  }
  s.request_check({Trigger::Kind::Start, {}});

  const int r = sd_event_loop(loop);
  notify("STOPPING=1");
  s.stop_threads();
  return r < 0 ? 1 : r;
}

}  // namespace aim
