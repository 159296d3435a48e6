#include "service/daemon.h"

#include <signal.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <set>
#include <thread>

#include "allowlist/allowlist.h"
#include "bpf/block_counter.h"
#include "check/check.h"
#include "check/report_format.h"
#include "kube/events.h"
#include "kube/kube_api.h"
#include "kube/kubeconfig.h"
#include "net/health_probe_routes.h"
#include "reconcile/unknown_grace.h"
#include "service/cluster_report.h"
#include "service/status.h"
#include "util/fd.h"

namespace aim {
namespace {

struct EventDeleter {
  void operator()(sd_event* e) const { sd_event_unref(e); }
};
struct SourceDeleter {
  void operator()(sd_event_source* s) const { sd_event_source_unref(s); }
};
using EventLoop = std::unique_ptr<sd_event, EventDeleter>;
using EventSource = std::unique_ptr<sd_event_source, SourceDeleter>;

void notify(const std::string& state) { sd_notify(0, state.c_str()); }

// Matching gives up after this long and the check ends `unknown` (reads have
// their own timeouts). Thousands of patterns that each hit their match limit
// are what makes matching slow; a healthy check takes well under a second.
constexpr std::chrono::seconds kMatchBudget{60};
// After an allowlist change is noticed: settle for a moment (ConfigMap
// updates swap a symlink in several steps).
constexpr std::chrono::milliseconds kAllowlistSettle{500};

std::string parent_of(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Native nftables tables have no one address family: no FAMILY value.
std::string family_field(Backend b, Family f) {
  return b == Backend::Native ? std::string() : std::string(family_name(f));
}

std::string rule_key(const UnexpectedRule& r) {
  return source_name(r.backend, r.family) + " " + r.table + " " + r.rule;
}

// -v 4: every allowed line and the pattern that allowed it.
class LoggingObserver : public CheckObserver {
 public:
  explicit LoggingObserver(Logger& log) : log_(log) {}
  void allowed(const RuleSet& set, std::string_view table, std::string_view chain,
               std::string_view line, const Pattern& p) override {
    log_.info(4, "allowed: " + std::string(line),
              {{"BACKEND", std::string(backend_name(set.backend))},
               {"FAMILY", family_field(set.backend, set.family)},
               {"TABLE", std::string(table)},
               {"CHAIN", std::string(chain)},
               {"RULE", std::string(line)},
               {"PATTERN", p.text()},
               {"PATTERN_FILE", p.source().file},
               {"PATTERN_LINE", std::to_string(p.source().line)}});
  }

 private:
  Logger& log_;
};

}  // namespace

struct Daemon::State {
  DaemonOptions options;
  std::vector<RuleReader*> readers;
  Logger& log;
  EventLoop loop;
  EventSource timer;
  EventSource settle_timer;
  EventSource done_source;
  UniqueFd done_fd;  // the worker's "check finished" to the loop
  std::vector<EventSource> watches;
  std::string fingerprint;  // of the allowlists loaded
  UnknownGrace grace;
  // The check runs on a worker thread: the loop stays free for signals and
  // watchdog pings however long a read or a request takes.
  std::thread worker;
  bool check_running = false;
  bool check_requested = false;  // a trigger came while a check ran
  std::atomic<bool> stopping{false};
  std::chrono::microseconds next_delay{0};
  bool exit_after_check = false;
  Allowlist allow4, allow6;
  MatchCache cache;
  std::unique_ptr<HttpKubeApi> api;
  std::unique_ptr<EventReporter> events;
  bool ready_sent = false;
  int exit_status = 0;
  // What was last logged, so a condition is logged when it starts or
  // changes, not every cycle.
  std::optional<Verdict> last_verdict;
  std::set<std::string> last_unexpected;
  std::set<std::string> last_errors;

  State(DaemonOptions o, std::vector<RuleReader*> r, Logger& l)
      : options(std::move(o)),
        readers(std::move(r)),
        log(l),
        grace(UnknownGracePolicy{
            2, std::chrono::seconds(static_cast<long long>(options.unknown_grace_seconds))}) {}

  std::chrono::microseconds interval() const {
    return std::chrono::microseconds(static_cast<long long>(options.interval_seconds * 1000000.0));
  }

  std::string current_fingerprint() const {
    std::string f = Allowlist::fingerprint(options.global.input);
    if (options.global.ipv6) f += "|" + Allowlist::fingerprint(options.global.input6);
    return f;
  }

  void load_allowlists() {
    fingerprint = current_fingerprint();
    allow4 = Allowlist::load(options.global.input);
    if (options.global.ipv6) allow6 = Allowlist::load(options.global.input6);
    for (const Allowlist* list : {&allow4, &allow6}) {
      for (const Diagnostic& d : list->diagnostics()) {
        LogFields f{{"PATTERN_FILE", d.file}};
        if (d.line) f.push_back({"PATTERN_LINE", std::to_string(d.line)});
        if (d.severity == Diagnostic::Severity::Error)
          log.error(d.to_string(), f);
        else
          log.warning(d.to_string(), f);
      }
    }
    log.info(2, "allowlists loaded: " + std::to_string(allow4.pattern_count()) + " IPv4 patterns" +
                    (options.global.ipv6
                         ? ", " + std::to_string(allow6.pattern_count()) + " IPv6 patterns"
                         : ""));
  }

  // Watches each allowlist directory (as its path resolves now) and its
  // parent (where a symlinked directory is re-pointed or a directory is
  // recreated). Re-done after every reload, so a new target is watched; and
  // before every check the fingerprint is compared anyway, so nothing
  // depends on inotify alone.
  void watch_allowlists() {
    watches.clear();
    std::vector<std::string> paths{options.global.input, parent_of(options.global.input)};
    if (options.global.ipv6) {
      paths.push_back(options.global.input6);
      paths.push_back(parent_of(options.global.input6));
    }
    for (const std::string& path : paths) {
      sd_event_source* source = nullptr;
      const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                            IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
      if (sd_event_add_inotify(loop.get(), &source, path.c_str(), mask, on_allowlist_change,
                               this) >= 0)
        watches.emplace_back(source);
      else
        log.info(2, "not watching " + path +
                        " for changes (it does not exist yet); it is "
                        "compared before every check");
    }
  }

  // Reloads when the allowlists are not what was loaded. Loop thread only,
  // never while a check runs.
  bool reload_if_changed(const char* why) {
    if (current_fingerprint() == fingerprint) return false;
    log.info(0, std::string("allowlists changed (") + why + "): reloading");
    load_allowlists();
    watch_allowlists();
    return true;
  }

  void arm_timer(std::chrono::microseconds after) {
    sd_event_source_set_time_relative(timer.get(), static_cast<uint64_t>(after.count()));
    sd_event_source_set_enabled(timer.get(), SD_EVENT_ONESHOT);
  }

  // Logs `message` when it is new (not logged last cycle under `key`).
  void log_once(const std::string& key, const std::string& message, int priority = LOG_WARNING,
                const LogFields& fields = {}) {
    if (!once_.count(key + message)) log.log(0, priority, message, fields);
    once_next_.insert(key + message);
  }

  void parity_features() {
    if (options.global.install_routes) {
      for (const HealthProbeRoute& route : health_probe_routes(options.global.ipv6)) {
        const Status st = ensure_route(route);
        if (!st) log_once("route", "cannot ensure the health probe reply route: " + st.error());
      }
    }
    if (!options.global.check_map) return;
    const BlockTracker::Step step = blocks.observe(read_block_counter(options.global.map_path));
    if (!step.log_error.empty()) log.warning(step.log_error + "; keeping the previous count");
    if (step.recovered)
      log.info(0, "the BPF block counter " + options.global.map_path + " is readable again");
    if (step.new_blocks == 0) return;
    log.warning(std::to_string(step.new_blocks) +
                " attempt(s) to add iptables rules were blocked since the last check (eBPF host "
                "routing is on)");
    if (options.global.events && !options.global.node_name.empty()) {
      ApiOutcome sent = events->report("BlockedIPTablesRule", kBlockedMessage);
      if (!sent.ok)
        log_once("blocked-event", "cannot record the BlockedIPTablesRule event: " + sent.error);
    }
  }

  // Starts a check on the worker thread, or remembers to start one when the
  // running one ends.
  void request_check() {
    if (check_running) {
      check_requested = true;
      return;
    }
    check_requested = false;
    if (pending_reload) {
      pending_reload = false;
      load_allowlists();
      watch_allowlists();
    } else {
      reload_if_changed("noticed before the check");
    }
    check_running = true;
    worker = std::thread([this] {
      work();
      const uint64_t one = 1;
      [[maybe_unused]] ssize_t n = write(done_fd.get(), &one, sizeof one);
    });
  }

  // The check: read, match, send. Runs on the worker thread; touches only
  // what the loop leaves alone while check_running.
  void work() {
    const auto started = std::chrono::steady_clock::now();
    once_next_.clear();
    parity_features();
    std::vector<Family> families{Family::V4};
    if (options.global.ipv6) families.push_back(Family::V6);
    const std::vector<RuleSet> sets = read_all(readers, families);
    // E.g. which nft tables were listed by iptables-nft-save, and why.
    for (const RuleSet& set : sets)
      for (const std::string& note : set.stats.notes)
        log.info(2, source_name(set.backend, set.family) + ": " + note);
    const std::vector<CheckInput> inputs = pair_with_allowlists(sets, allow4, allow6);
    LoggingObserver observer(log);
    CheckLimits limits;
    limits.deadline = std::chrono::steady_clock::now() + kMatchBudget;
    limits.stop = &stopping;
    // At -v 4 every line is matched (and logged), so no cache.
    const Report report = check(inputs, log.enabled(4) ? nullptr : &cache,
                                log.enabled(4) ? &observer : nullptr, limits);
    log_report(report);
    if (stopping) return;

    const LabelDecision label = grace.decide(report.verdict, std::chrono::steady_clock::now());
    if (label.unknown_too_long)
      log_once("unknown-too-long", unknown_too_long_message(label, report), LOG_WARNING,
               {{"LABEL_VALUE", "true"}, {"NODE_NAME", options.global.node_name}});
    ClusterResult sent;
    const bool cluster = !options.global.node_name.empty();
    if (cluster) {
      sent = send_to_cluster(*api, options.global.events ? events.get() : nullptr,
                             options.global.node_name, report, label);
    }
    std::set<std::string> errors(sent.errors.begin(), sent.errors.end());
    for (const std::string& e : errors)
      if (!last_errors.count(e)) log.error(e, {{"NODE_NAME", options.global.node_name}});
    if (errors.empty() && !last_errors.empty())
      log.info(0, "the API server accepts requests again");
    last_errors = std::move(errors);
    if (cluster && sent.ok && label.value)
      log.info(2,
               "label " + std::string(kLabelKey) + "=" + (*label.value ? "true" : "false") +
                   " set on " + options.global.node_name,
               {{"LABEL_VALUE", *label.value ? "true" : "false"},
                {"NODE_NAME", options.global.node_name}});

    // Unknown but not yet past its grace: check again by the time it may
    // escalate, not a whole interval later.
    next_delay = interval();
    if (auto due = grace.time_to_escalation(std::chrono::steady_clock::now()))
      next_delay =
          std::min(next_delay, std::max(std::chrono::duration_cast<std::chrono::microseconds>(*due),
                                        std::chrono::microseconds(std::chrono::seconds(1))));
    const std::time_t next = std::chrono::system_clock::to_time_t(
        std::chrono::system_clock::now() +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(next_delay));
    notify("STATUS=" + status_line(report, label, cluster,
                                   sent.errors.empty() ? "" : sent.errors.front(), next));
    log.info(
        2,
        "check took " +
            std::to_string(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count()) +
            " s: " + summarize(report));
    exit_after_check =
        options.terminate_on_success && cluster && sent.ok && report.verdict == Verdict::Clean;
    once_.swap(once_next_);
  }

  // Loop thread: the worker finished.
  void check_done() {
    if (worker.joinable()) worker.join();
    check_running = false;
    if (stopping) return;
    if (!ready_sent) {
      notify("READY=1");
      ready_sent = true;
    }
    if (exit_after_check) {
      log.info(0, "clean and labelled false: exiting (--terminateOnSuccess)");
      sd_event_exit(loop.get(), 0);
      return;
    }
    if (check_requested)
      request_check();
    else
      arm_timer(next_delay);
  }

  static int on_check_done(sd_event_source*, int fd, uint32_t, void* self) {
    uint64_t count;
    [[maybe_unused]] ssize_t n = read(fd, &count, sizeof count);
    static_cast<State*>(self)->check_done();
    return 0;
  }

  void log_report(const Report& report) {
    if (!last_verdict || *last_verdict != report.verdict)
      log.info(0, "verdict " + std::string(verdict_name(report.verdict)) + ": " + summarize(report),
               {{"VERDICT", std::string(verdict_name(report.verdict))}});
    last_verdict = report.verdict;
    std::set<std::string> now;
    for (const UnexpectedRule& r : report.unexpected) {
      const std::string key = rule_key(r);
      now.insert(key);
      if (!last_unexpected.count(key) || log.enabled(2))
        log.log(
            0, LOG_WARNING,
            "unexpected rule (" + key.substr(0, key.size() - r.rule.size() - 1) + "): " + r.rule,
            {{"BACKEND", std::string(backend_name(r.backend))},
             {"FAMILY", family_field(r.backend, r.family)},
             {"TABLE", r.table},
             {"CHAIN", r.chain},
             {"RULE", r.rule}});
    }
    last_unexpected = std::move(now);
    // Read errors and limit hits: logged when they start, not every cycle.
    for (const std::string& e : report.errors) log_once("read", "cannot read " + e, LOG_ERR);
    for (const PatternLimitHit& h : report.limit_hits)
      log_once("limit",
               h.source.file + ":" + std::to_string(h.source.line) +
                   ": pattern hit its match limit (counted as no match): " + h.pattern,
               LOG_WARNING,
               {{"PATTERN_FILE", h.source.file}, {"PATTERN_LINE", std::to_string(h.source.line)}});
  }

  void reload(const char* why) {
    notify("RELOADING=1");
    log.info(0, std::string("reloading allowlists and credentials (") + why + ")");
    // Applied before the next check starts (a running one keeps its lists).
    pending_reload = true;
    notify("READY=1");
    request_check();
  }

  static int on_timer(sd_event_source*, uint64_t, void* self) {
    static_cast<State*>(self)->request_check();
    return 0;
  }

  static int on_settled(sd_event_source*, uint64_t, void* self) {
    auto* s = static_cast<State*>(self);
    if (s->check_running) {
      s->check_requested = true;  // compared again before the next check
      return 0;
    }
    if (s->current_fingerprint() != s->fingerprint) s->request_check();
    return 0;
  }

  static int on_signal(sd_event_source*, const signalfd_siginfo* info, void* self) {
    auto* s = static_cast<State*>(self);
    if (info->ssi_signo == SIGHUP) {
      s->reload("SIGHUP");
      return 0;
    }
    notify("STOPPING=1");
    s->log.info(0, std::string("stopping on ") + sigabbrev_np(static_cast<int>(info->ssi_signo)));
    s->stopping = true;  // a running check gives up at its next poll
    sd_event_exit(s->loop.get(), 0);
    return 0;
  }

  static int on_allowlist_change(sd_event_source*, const inotify_event*, void* self) {
    auto* s = static_cast<State*>(self);
    s->log.info(4, "a change near the allowlists: comparing them shortly");
    sd_event_source_set_time_relative(
        s->settle_timer.get(),
        static_cast<uint64_t>(std::chrono::microseconds(kAllowlistSettle).count()));
    sd_event_source_set_enabled(s->settle_timer.get(), SD_EVENT_ONESHOT);
    return 0;
  }

  bool pending_reload = false;
  BlockTracker blocks;
  std::set<std::string> once_, once_next_;
};

Daemon::Daemon(DaemonOptions options, std::vector<RuleReader*> readers, Logger& log)
    : state_(std::make_unique<State>(std::move(options), std::move(readers), log)) {}
Daemon::~Daemon() {
  if (state_ && state_->worker.joinable()) {
    state_->stopping = true;
    state_->worker.join();
  }
}

int Daemon::run() {
  State& s = *state_;
  sd_event* loop = nullptr;
  if (sd_event_new(&loop) < 0) {
    s.log.error("cannot create the event loop");
    return 1;
  }
  s.loop.reset(loop);
  sigset_t mask;
  sigemptyset(&mask);
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaddset(&mask, sig);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  for (int sig : {SIGTERM, SIGINT, SIGHUP})
    sd_event_add_signal(loop, nullptr, sig, State::on_signal, &s);
  // WATCHDOG=1 pings at half of WatchdogSec, when systemd asks for them.
  sd_event_set_watchdog(loop, true);

  auto creds =
      warning_if_insecure([&s] { return resolve_credentials(s.options.global.kubeconfig); },
                          [&s](const std::string& w) { s.log.warning(w); });
  // Requests, retry waits and reads give up as soon as the loop saw a stop
  // signal: SIGTERM is acted on within a second even while the API server
  // hangs or a read takes a minute.
  auto stopping = [&s] { return s.stopping.load(); };
  for (RuleReader* reader : s.readers) reader->set_abort(stopping);
  RetryPolicy policy;
  policy.budget = std::chrono::milliseconds(10000);
  s.api = std::make_unique<HttpKubeApi>(creds,
                                        std::chrono::milliseconds(static_cast<long long>(
                                            s.options.global.request_timeout_seconds * 1000)),
                                        policy, Sleeper{}, stopping);
  s.events = std::make_unique<EventReporter>(*s.api, s.options.global.node_name, reporting_host(),
                                             unix_nanos_now);

  s.log.info(0,
             "starting: node " +
                 (s.options.global.node_name.empty() ? std::string("(none)")
                                                     : s.options.global.node_name) +
                 ", interval " + std::to_string(s.options.interval_seconds) + " s",
             {{"NODE_NAME", s.options.global.node_name}});
  s.load_allowlists();
  s.watch_allowlists();

  sd_event_source* timer = nullptr;
  sd_event_source* settle = nullptr;
  sd_event_source* done = nullptr;
  s.done_fd.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!s.done_fd.valid() ||
      sd_event_add_time_relative(loop, &timer, CLOCK_MONOTONIC, 0, 1000, State::on_timer, &s) < 0 ||
      sd_event_add_time_relative(loop, &settle, CLOCK_MONOTONIC, 0, 1000, State::on_settled, &s) <
          0 ||
      sd_event_add_io(loop, &done, s.done_fd.get(), EPOLLIN, State::on_check_done, &s) < 0) {
    s.log.error("cannot create the event sources");
    return 1;
  }
  s.timer.reset(timer);
  s.settle_timer.reset(settle);
  s.done_source.reset(done);
  sd_event_source_set_enabled(settle, SD_EVENT_OFF);
  sd_event_source_set_enabled(timer, SD_EVENT_ONESHOT);

  const int r = sd_event_loop(loop);
  notify("STOPPING=1");
  s.stopping = true;
  if (s.worker.joinable()) s.worker.join();
  return r < 0 ? 1 : r;
}

}  // namespace aim
