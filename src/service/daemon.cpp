#include "service/daemon.h"

#include <signal.h>
#include <sys/inotify.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <set>

#include "allowlist/allowlist.h"
#include "bpf/block_counter.h"
#include "net/health_probe_routes.h"
#include "check/check.h"
#include "check/report_format.h"
#include "service/cluster_report.h"
#include "kube/kube_api.h"
#include "kube/kubeconfig.h"
#include "kube/events.h"
#include "service/status.h"

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

std::string rule_key(const UnexpectedRule& r) {
  return std::string(backend_name(r.backend)) + " " + std::string(family_name(r.family)) + " " +
         r.table + " " + r.rule;
}

// -v 4: every allowed line and the pattern that allowed it.
class LoggingObserver : public CheckObserver {
 public:
  explicit LoggingObserver(Logger& log) : log_(log) {}
  void allowed(const RuleSet& set, std::string_view table, std::string_view chain,
               std::string_view line, const Pattern& p) override {
    log_.info(4, "allowed: " + std::string(line),
              {{"BACKEND", std::string(backend_name(set.backend))},
               {"FAMILY", std::string(family_name(set.family))},
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
  std::vector<EventSource> watches;
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
      : options(std::move(o)), readers(std::move(r)), log(l) {}

  std::chrono::microseconds interval() const {
    return std::chrono::microseconds(
        static_cast<long long>(options.interval_seconds * 1000000.0));
  }

  void load_allowlists() {
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

  void watch_allowlists() {
    watches.clear();
    std::vector<std::string> dirs{options.global.input};
    if (options.global.ipv6) dirs.push_back(options.global.input6);
    for (const std::string& dir : dirs) {
      sd_event_source* source = nullptr;
      const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE |
                            IN_ATTRIB | IN_DELETE_SELF | IN_MOVE_SELF;
      if (sd_event_add_inotify(loop.get(), &source, dir.c_str(), mask, on_allowlist_change, this) >= 0)
        watches.emplace_back(source);
      else
        log.info(2, "not watching " + dir + " for changes (it does not exist yet); SIGHUP reloads");
    }
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
    if (step.recovered) log.info(0, "the BPF block counter " + options.global.map_path + " is readable again");
    if (step.new_blocks == 0) return;
    log.warning(std::to_string(step.new_blocks) +
                " attempt(s) to add iptables rules were blocked since the last check (eBPF host "
                "routing is on)");
    if (options.global.events && !options.global.node_name.empty()) {
      ApiOutcome sent = events->report("BlockedIPTablesRule", kBlockedMessage);
      if (!sent.ok) log_once("blocked-event", "cannot record the BlockedIPTablesRule event: " + sent.error);
    }
  }

  void cycle() {
    const auto started = std::chrono::steady_clock::now();
    once_next_.clear();
    parity_features();
    std::vector<Family> families{Family::V4};
    if (options.global.ipv6) families.push_back(Family::V6);
    const std::vector<RuleSet> sets = read_all(readers, families);
    const std::vector<CheckInput> inputs = pair_with_allowlists(sets, allow4, allow6);
    LoggingObserver observer(log);
    // At -v 4 every line is matched (and logged), so no cache.
    const Report report = check(inputs, log.enabled(4) ? nullptr : &cache,
                                log.enabled(4) ? &observer : nullptr);
    log_report(report);

    ClusterResult sent;
    const bool cluster = !options.global.node_name.empty();
    if (cluster) {
      sent = send_to_cluster(*api, options.global.events ? events.get() : nullptr,
                             options.global.node_name, report);
    }
    std::set<std::string> errors(sent.errors.begin(), sent.errors.end());
    for (const std::string& e : errors)
      if (!last_errors.count(e)) log.error(e, {{"NODE_NAME", options.global.node_name}});
    if (errors.empty() && !last_errors.empty()) log.info(0, "the API server accepts requests again");
    last_errors = std::move(errors);
    if (cluster && sent.ok && report.verdict != Verdict::Unknown)
      log.info(2, "label " + std::string(kLabelKey) + "=" + std::string(label_for(report.verdict)) +
                      " set on " + options.global.node_name,
               {{"LABEL_VALUE", std::string(label_for(report.verdict))},
                {"NODE_NAME", options.global.node_name}});

    const std::time_t next = std::chrono::system_clock::to_time_t(
        std::chrono::system_clock::now() +
        std::chrono::duration_cast<std::chrono::system_clock::duration>(interval()));
    notify("STATUS=" + status_line(report, cluster, sent.errors.empty() ? "" : sent.errors.front(),
                                   next));
    if (!ready_sent) {
      notify("READY=1");
      ready_sent = true;
    }
    log.info(2, "check took " +
                    std::to_string(std::chrono::duration<double>(
                                       std::chrono::steady_clock::now() - started)
                                       .count()) +
                    " s: " + summarize(report));
    if (options.terminate_on_success && cluster && sent.ok && report.verdict == Verdict::Clean) {
      log.info(0, "clean and labelled false: exiting (--terminateOnSuccess)");
      sd_event_exit(loop.get(), 0);
      return;
    }
    once_.swap(once_next_);
    arm_timer(interval());
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
        log.log(0, LOG_WARNING, "unexpected rule (" + key.substr(0, key.size() - r.rule.size() - 1) +
                                    "): " + r.rule,
                {{"BACKEND", std::string(backend_name(r.backend))},
                 {"FAMILY", std::string(family_name(r.family))},
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
    load_allowlists();
    watch_allowlists();
    notify("READY=1");
    arm_timer(std::chrono::microseconds(0));
  }

  static int on_timer(sd_event_source*, uint64_t, void* self) {
    static_cast<State*>(self)->cycle();
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
    sd_event_exit(s->loop.get(), 0);
    return 0;
  }

  static int on_allowlist_change(sd_event_source*, const inotify_event*, void* self) {
    auto* s = static_cast<State*>(self);
    // ConfigMap updates swap a symlink in several steps: settle for a moment.
    s->log.info(2, "an allowlist file changed: reloading shortly");
    s->pending_reload = true;
    s->arm_timer(std::chrono::milliseconds(500));
    return 0;
  }

  bool pending_reload = false;
  BlockTracker blocks;
  std::set<std::string> once_, once_next_;
};

Daemon::Daemon(DaemonOptions options, std::vector<RuleReader*> readers, Logger& log)
    : state_(std::make_unique<State>(std::move(options), std::move(readers), log)) {}
Daemon::~Daemon() = default;

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

  auto creds = warning_if_insecure(
      [&s] { return resolve_credentials(s.options.global.kubeconfig); },
      [&s](const std::string& w) { s.log.warning(w); });
  // Requests and retry waits give up as soon as a stop signal is pending:
  // SIGTERM is handled within a second even while the API server hangs.
  auto stopping = [] {
    sigset_t pending;
    sigpending(&pending);
    return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
  };
  RetryPolicy policy;
  policy.budget = std::chrono::milliseconds(10000);
  s.api = std::make_unique<HttpKubeApi>(
      creds,
      std::chrono::milliseconds(
          static_cast<long long>(s.options.global.request_timeout_seconds * 1000)),
      policy, Sleeper{}, stopping);
  s.events = std::make_unique<EventReporter>(*s.api, s.options.global.node_name, reporting_host(),
                                             unix_nanos_now);

  s.log.info(0, "starting: node " +
                    (s.options.global.node_name.empty() ? std::string("(none)")
                                                        : s.options.global.node_name) +
                    ", interval " + std::to_string(s.options.interval_seconds) + " s",
             {{"NODE_NAME", s.options.global.node_name}});
  s.load_allowlists();
  s.watch_allowlists();

  sd_event_source* timer = nullptr;
  auto on_timer = [](sd_event_source* src, uint64_t usec, void* self) -> int {
    auto* st = static_cast<State*>(self);
    if (st->pending_reload) {
      st->pending_reload = false;
      st->load_allowlists();
      st->watch_allowlists();
    }
    return State::on_timer(src, usec, self);
  };
  if (sd_event_add_time_relative(loop, &timer, CLOCK_MONOTONIC, 0, 1000, on_timer, &s) < 0) {
    s.log.error("cannot create the check timer");
    return 1;
  }
  s.timer.reset(timer);
  sd_event_source_set_enabled(timer, SD_EVENT_ONESHOT);

  const int r = sd_event_loop(loop);
  notify("STOPPING=1");
  return r < 0 ? 1 : r;
}

}  // namespace aim
