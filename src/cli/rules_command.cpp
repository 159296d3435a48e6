#include "cli/rules_command.h"

#include <sys/resource.h>

#include <algorithm>

#include "rules/backend_summary.h"
#include "rules/netlink/tables.h"

namespace aim {

std::vector<std::string> describe_read_errors(const RuleSet& set) {
  std::vector<std::string> lines;
  const std::string where = source_name(set.backend, set.family);
  if (!set.error.empty()) lines.push_back(where + ": " + set.error);
  for (const Table& table : set.tables) {
    if (!table.read_ok()) lines.push_back(where + " table " + table.name + ": " + table.error);
    for (const NativeRuleRequest& r : table.native_rules)
      lines.push_back(where + " table " + table.name + " chain " + r.chain + ": " + r.reason +
                      "; not shown (it needs nft syntax: --nftables=false)");
  }
  return lines;
}

void print_backend_overview(std::ostream& err, const std::vector<RuleSet>& sets) {
  for (const std::string& line : describe_backends(sets))
    err << "azure-iptables-monitor: " << line << '\n';
  // With the native reader the tables are read and listed as its own block.
  for (const RuleSet& set : sets)
    if (set.backend == Backend::Native) return;
  auto tables = list_nft_tables();
  if (!tables) {
    err << "azure-iptables-monitor: " << tables.error() << '\n';
    return;
  }
  for (const std::string& t : foreign_tables(*tables))
    err << "azure-iptables-monitor: nftables table " << t
        << " is not an iptables table: its rules are invisible to every iptables tool and are "
           "not checked (--nftables=false)\n";
}

void print_read_stats(std::ostream& err, const std::vector<RuleSet>& sets) {
  long helper_peak = 0;
  for (const RuleSet& set : sets) {
    err << "azure-iptables-monitor: " << source_name(set.backend, set.family) << ": read "
        << set.tables.size() << " tables, " << set.chain_count() << " chains, " << set.rule_count()
        << " rules in " << set.stats.seconds << " s\n";
    for (const std::string& note : set.stats.notes)
      err << "azure-iptables-monitor: " << source_name(set.backend, set.family) << ": " << note
          << '\n';
    helper_peak = std::max(helper_peak, set.stats.helper_peak_rss_kib);
  }
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  err << "azure-iptables-monitor: peak RSS: this process " << self.ru_maxrss
      << " KiB, largest reader helper " << helper_peak << " KiB\n";
}

int run_rules_command(const RulesOptions& options, const std::vector<RuleReader*>& readers,
                      std::ostream& out, std::ostream& err) {
  std::vector<RuleSet> sets = read_all(readers, families_from(options.family));

  std::vector<const RuleSet*> shown;
  for (const RuleSet& set : sets) {
    // The native reader behind `--backend nft` shows only what iptables
    // text could not: nothing of it when there is nothing.
    const bool empty_native =
        set.backend == Backend::Native && set.tables.empty() && set.error.empty();
    if ((!options.skip_empty_backends || has_content(set)) && !empty_native) shown.push_back(&set);
  }
  print_rulesets(out, shown, options.format);
  out.flush();

  if (options.verbosity >= 2) {
    print_backend_overview(err, sets);
    print_read_stats(err, sets);
  }

  int status = 0;
  for (const RuleSet& set : sets) {
    for (const std::string& line : describe_read_errors(set)) {
      err << "azure-iptables-monitor: error: " << line << '\n';
      status = 2;
    }
  }
  return status;
}

}  // namespace aim
