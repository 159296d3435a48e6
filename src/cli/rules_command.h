#pragma once
#include <ostream>
#include <vector>

#include "cli/options.h"
#include "rules/reader.h"

namespace aim {

// `rules`: read every selected family from every reader and print them.
// Exit status 0 when everything was read, 2 when anything could not be (the
// output then holds only what was read completely, and stderr says why).
int run_rules_command(const RulesOptions& options, const std::vector<RuleReader*>& readers,
                      std::ostream& out, std::ostream& err);

// -v 2: which backends have tables, kubelet/kube-proxy markers, and native
// nftables tables no iptables tool shows.
void print_backend_overview(std::ostream& err, const std::vector<RuleSet>& sets);

// -v 2: what each read found and took, and peak memory of this process and
// of the reader helpers.
void print_read_stats(std::ostream& err, const std::vector<RuleSet>& sets);

// One line per read failure in `set`, e.g. "legacy ipv4 table nat: ...".
std::vector<std::string> describe_read_errors(const RuleSet& set);

}  // namespace aim
