#include "service/check_job.h"

#include <chrono>

namespace aim {
namespace {

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

CheckJob::CheckJob(const ServiceOptions& options, std::vector<RuleReader*> readers, Logger& log,
                   const std::atomic<bool>& stopping)
    : ipv6_(options.ipv6),
      install_routes_(options.install_routes),
      check_map_(options.check_map),
      readers_(std::move(readers)),
      log_(log),
      stopping_(stopping),
      lists_(options.input, options.input6, options.ipv6, log, options.runtime),
      routes_(options.ipv6),
      blocks_(options.map_path) {}

CheckJobResult CheckJob::run(bool reload, bool full_read) {
  CheckJobResult outcome;
  if (full_read)
    for (RuleReader* reader : readers_) reader->forget_kept();
  outcome.allowlists = lists_.refresh(reload);
  outcome.companions = run_companions();
  LoggingObserver observer(log_);
  CheckSetup setup;
  setup.ipv6 = ipv6_;
  setup.ipv4_allowlist = &lists_.ipv4();
  setup.ipv6_allowlist = &lists_.ipv6();
  setup.cache = &cache_;
  setup.observer = log_.enabled(4) ? &observer : nullptr;
  setup.limits.deadline = std::chrono::steady_clock::now() + kMatchBudget;
  setup.limits.stop = &stopping_;
  outcome.run = run_check(readers_, setup);
  return outcome;
}

CheckJobResult CheckJob::failed(const std::string& what) {
  CheckJobResult outcome;
  outcome.run = failed_check(what);
  return outcome;
}

// Route repair and the BPF block counter touch only their own state and the
// kernel; what they found is applied on the loop thread.
CheckCompanions CheckJob::run_companions() {
  CheckCompanions result;
  if (install_routes_) result.logs = routes_.ensure();
  if (!check_map_) return result;
  BlockedRuleCounter::Reading reading = blocks_.read();
  for (LogLine& l : reading.logs) result.logs.push_back(std::move(l));
  result.new_blocks = reading.new_blocks;
  result.last_good_reading = reading.last_good;
  return result;
}

}  // namespace aim
