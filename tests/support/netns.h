#pragma once
// Helpers for integration tests that use the real kernel's iptables. Every
// test enters a private network namespace of its own first, so nothing here
// ever touches the machine's tables.
#include <ostream>
#include <string>
#include <vector>

#include "rules/ruleset.h"

namespace aim::test {

// Moves this process into a new, empty network namespace. Returns an empty
// string on success, else why not (the caller skips with that reason).
std::string enter_fresh_netns();
// The same, for tests that also run the nft command (package nftables): why
// not, naming `for_what` it is needed, when it is not installed.
std::string enter_fresh_netns_with_nft(const std::string& for_what);

struct CommandResult {
  int status = -1;  // exit status, or -1 if it did not exit normally
  std::string out;
};
// Runs `command` with /bin/sh; captures stdout (stderr passes through).
CommandResult run(const std::string& command);
// Shell-quotes one argument.
std::string quote(const std::string& arg);

// "iptables-legacy" / "ip6tables-nft" etc.
std::string legacy_binary(Family family);
std::string iptables_binary(Family family, Backend backend);
// Loads a fixture with iptables-nft-restore / ip6tables-nft-restore.
std::string load_nft_fixture(const std::string& path, Family family);
std::string load_nft_text(const std::string& text, Family family);
// Tables iptables-nft has for the family (from `nft list tables`), check order.
std::vector<std::string> nft_table_names(Family family);
// expected_tsv_per_chain for the nft backend (tables from nft_table_names).
std::string expected_nft_tsv_per_chain(Family family);
// Creates the ipsets named in the fixture's "# ipset: ..." lines, then loads
// it with iptables-legacy-restore / ip6tables-legacy-restore. Returns an
// error message or empty.
std::string load_legacy_fixture(const std::string& path, Family family);
// Loads iptables-save text given inline.
std::string load_legacy_text(const std::string& text, Family family);

// Contents of /proc/net/ip{,6}_tables_names.
std::string legacy_table_names(Family family);

// What the real iptables prints: for every table we check that is loaded, in
// check order, for each chain `iptables -t T -S CHAIN`, prefixed "T\t".
std::string expected_tsv_per_chain(Family family);
// The same content from whole-table `iptables -t T -S` (headers first, then
// rules): cheap for large rulesets. With Backend::Nft, iptables-nft's
// listing of the tables nft_table_names finds.
std::string expected_whole_table_listing(Family family, Backend backend = Backend::Legacy);
// Our RuleSet rendered the way expected_whole_table_listing prints.
std::string whole_table_listing(const RuleSet& set);

// The rules `rules --format tsv` prints for one set.
std::string tsv(const RuleSet& set);

// A ruleset fixture file and the family it is for, as a test parameter.
struct FixtureCase {
  const char* file;
  Family family;
};
void PrintTo(const FixtureCase& c, std::ostream* os);
// A test-name-safe form of the fixture's file name.
std::string fixture_test_name(const FixtureCase& c);
// Every fixture in tests/support/rulesets.
std::vector<FixtureCase> all_fixtures();

std::string fixture_path(const std::string& name);
std::string binary_path();
std::string generator_path();

// The rules (-A lines) gen_kube_proxy_rules.py writes: 11 per service, 18
// fixed ones, and the user rules; and its chains (filter and nat): 4 per
// service and 19 fixed ones.
size_t kube_proxy_rule_count(int services, int user_rules = 0);
size_t kube_proxy_chain_count(int services);
// Runs gen_kube_proxy_rules.py and checks what it wrote: exit status 0 and
// exactly that many rules and chains, so that a broken generator cannot make
// an empty node look like a loaded one. Returns an error message or empty;
// the ruleset goes to *text.
std::string generate_kube_proxy_rules(std::string* text, int services, Family family = Family::V4,
                                      int user_rules = 0);

}  // namespace aim::test
