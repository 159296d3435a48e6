#include "cli/check_command.h"

#include <unistd.h>

#include <chrono>

#include "allowlist/allowlist.h"
#include "allowlist/lint.h"
#include "check/check.h"
#include "check/check_action.h"
#include "check/report_format.h"
#include "cli/rules_command.h"
#include "kube/kube_api.h"
#include "kube/kubeconfig.h"
#include "reconcile/cluster_requests.h"
#include "reconcile/reconciler.h"

namespace aim {
namespace {

constexpr const char* kPrefix = "azure-iptables-monitor: ";

// -v 4: every allowed line with the pattern that allowed it.
class VerboseObserver : public CheckObserver {
 public:
  explicit VerboseObserver(std::ostream& err) : err_(err) {}
  void allowed(const RuleSet& set, std::string_view table, std::string_view, std::string_view line,
               const Pattern& pattern) override {
    err_ << kPrefix << "allowed " << source_name(set.backend, set.family) << ' ' << table << ": "
         << line << "  [" << pattern.source().file << ':' << pattern.source().line << ' '
         << pattern.text() << "]\n";
  }

 private:
  std::ostream& err_;
};

}  // namespace

int run_check_command(const GlobalOptions& global, const CheckOptions& options,
                      const std::vector<RuleReader*>& readers, std::ostream& out,
                      std::ostream& err) {
  Allowlist allow4 = Allowlist::load(global.input);
  Allowlist allow6 = global.ipv6 ? Allowlist::load(global.input6) : Allowlist();
  std::vector<Diagnostic> diagnostics = allow4.diagnostics();
  diagnostics.insert(diagnostics.end(), allow6.diagnostics().begin(), allow6.diagnostics().end());
  for (const Diagnostic& d : diagnostics) err << kPrefix << d.to_string() << '\n';

  VerboseObserver observer(err);
  CheckSetup setup;
  setup.ipv6 = global.ipv6;
  setup.ipv4_allowlist = &allow4;
  setup.ipv6_allowlist = &allow6;
  setup.observer = global.verbosity >= 4 ? &observer : nullptr;
  const CheckRun run = run_check(readers, setup);
  const Report& report = run.report;
  const std::vector<RuleSet>& sets = run.sets;
  if (global.verbosity >= 2) {
    print_backend_overview(err, sets);
    print_read_stats(err, sets);
    err << kPrefix << "allowlists: " << allow4.pattern_count() << " IPv4 patterns from "
        << global.input;
    if (global.ipv6)
      err << ", " << allow6.pattern_count() << " IPv6 patterns from " << global.input6;
    err << '\n';
  }

  if (options.output == ReportFormat::Json)
    print_report_json(out, report, diagnostics);
  else
    print_report_text(out, report);

  // A placeholder that is also a valid path segment, so the dry run shows
  // the path as it would be sent (a real name is escaped the same way).
  const std::string node = global.node_name.empty() ? "NODE_NAME" : global.node_name;
  if (options.dry_run) {
    auto cred = resolve_credentials(global.kubeconfig);
    // In JSON mode stdout holds only the report.
    std::ostream& dry = options.output == ReportFormat::Json ? err : out;
    print_dry_run(dry, cred ? cred->server : "", node, global.events, report);
    if (!cred) dry << "  (no API server known yet: " << cred.error() << ")\n";
  } else {
    HttpKubeApi api(
        warning_if_insecure(
            [&] { return resolve_credentials(global.kubeconfig); },
            [&](const std::string& w) { err << kPrefix << "WARNING: " << w << '\n'; }),
        std::chrono::milliseconds(static_cast<long long>(global.request_timeout_seconds * 1000)));
    EventReporter reporter(api, global.node_name, reporting_host(), unix_nanos_now);
    // The service's reconciler, once, with no watch and no history: an
    // unknown verdict sends nothing.
    Reconciler reconciler(
        ReconcilerOptions{true, global.events, global.node_name, false, {}, {}, {}});
    bool failed = false;
    std::vector<ClusterRequest> pending =
        reconciler.checked(report, Reconciler::Clock::now()).requests;
    while (!pending.empty()) {
      const ClusterRequest request = pending.front();
      pending.erase(pending.begin());
      const RequestResult result = perform(api, &reporter, global.node_name, request);
      if (!result.ok) {
        failed = true;
        err << kPrefix << "error: " << result.error << '\n';
        continue;  // one attempt per request: the service is what retries
      }
      for (ClusterRequest& next :
           reconciler.sent(request, result, Reconciler::Clock::now()).requests)
        pending.push_back(std::move(next));
    }
    if (failed) return 2;
  }

  switch (report.verdict) {
    case Verdict::Clean:
      return 0;
    case Verdict::Unexpected:
      return 1;
    case Verdict::Unknown:
      break;
  }
  return 2;
}

int run_validate_command(const GlobalOptions& global, const ValidateOptions& options,
                         bool check_ipv6, std::ostream& out, std::ostream& err) {
  std::vector<const std::string*> dirs{&global.input};
  if (check_ipv6) dirs.push_back(&global.input6);
  size_t problems = 0;
  size_t loose = 0;   // patterns text in a comment or log prefix can satisfy
  size_t hashed = 0;  // lines starting with '#': patterns that look like comments
  size_t patterns = 0;
  auto warn = [&](const Pattern& p, const std::string& why) {
    err << Diagnostic{Diagnostic::Severity::Warning, p.source().file, p.source().line, 1,
                      why + " (pattern: " + p.text() + ")"}
               .to_string()
        << '\n';
  };
  for (const std::string* dir : dirs) {
    Allowlist list = Allowlist::load(*dir);
    for (const Diagnostic& d : list.diagnostics()) {
      err << d.to_string() << '\n';
      ++problems;
    }
    auto lint = [&](const std::vector<Pattern>& ps, bool iptables_syntax) {
      for (const Pattern& p : ps) {
        ++patterns;
        if (auto why = never_matching_reason(p.text())) {
          warn(p, *why);
          ++problems;
        }
        // Warned, not failed (unless --strict): upstream's ConfigMaps, which
        // operators may still point --input at, have such patterns, and they
        // still mean what they meant upstream.
        if (auto why = comment_lookalike_reason(p.text())) {
          warn(p, *why);
          ++hashed;
          continue;  // one warning a line: this one says what the line is
        }
        if (!iptables_syntax) continue;
        if (auto why = free_text_satisfiable_reason(p)) {
          warn(p, *why);
          ++loose;
        }
      }
    };
    lint(list.global_patterns(), true);
    lint(list.nftables_patterns(), false);
    for (auto table : kTableOrder) lint(list.table_patterns(table), true);
  }
  out << patterns << " patterns checked, " << problems
      << (problems == 1 ? " problem" : " problems");
  // Said only when there are some, so that a clean run's summary still ends
  // in "0 problems".
  const char* strictness =
      options.strict ? "failing: --strict" : "warnings; --strict fails on them";
  if (loose)
    out << "; " << loose << (loose == 1 ? " pattern" : " patterns")
        << " that text in a comment can satisfy (" << strictness << ")";
  if (hashed)
    out << "; " << hashed << (hashed == 1 ? " line" : " lines")
        << " starting with '#', patterns and not comments (" << strictness << ")";
  out << '\n';
  return problems || (options.strict && (loose || hashed)) ? 1 : 0;
}

}  // namespace aim
