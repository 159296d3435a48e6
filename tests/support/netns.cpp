#include "netns.h"

#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "rules/print.h"
#include "rules/table_names.h"

namespace aim::test {

std::string enter_fresh_netns() {
  if (geteuid() != 0) return "needs root (unshare -n and iptables): run the suite as root";
  if (unshare(CLONE_NEWNET) != 0)
    return std::string("unshare(CLONE_NEWNET) failed: ") + std::strerror(errno);
  return {};
}

std::string enter_fresh_netns_with_nft(const std::string& for_what) {
  if (std::string why = enter_fresh_netns(); !why.empty()) return why;
  if (run("command -v nft >/dev/null").status != 0)
    return "nft (package nftables) is not installed: needed " + for_what;
  return {};
}

CommandResult run(const std::string& command) {
  CommandResult result;
  std::fflush(nullptr);
  FILE* p = popen(command.c_str(), "r");
  if (!p) return result;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) result.out.append(buf, n);
  const int status = pclose(p);
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string quote(const std::string& arg) {
  std::string q = "'";
  for (char c : arg) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

std::string iptables_binary(Family family, Backend backend) {
  return std::string(family == Family::V6 ? "ip6tables" : "iptables") +
         (backend == Backend::Nft ? "-nft" : "-legacy");
}

std::string legacy_binary(Family family) { return iptables_binary(family, Backend::Legacy); }

namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// Creates the fixture's "# ipset:" sets, then restores it with `restore`.
std::string load_with(const std::string& path, const std::string& restore) {
  std::ifstream in(path);
  if (!in) return "cannot open fixture " + path;
  std::string line;
  while (std::getline(in, line)) {
    const std::string marker = "# ipset: ";
    if (line.rfind(marker, 0) == 0) {
      auto r = run("ipset " + line.substr(marker.size()) + " 2>&1");
      if (r.status != 0) return "ipset " + line.substr(marker.size()) + " failed: " + r.out;
    }
  }
  auto r = run(restore + " < " + quote(path) + " 2>&1");
  if (r.status != 0) return "restoring " + path + " failed: " + r.out;
  return {};
}

std::string with_temp_file(const std::string& text,
                           const std::function<std::string(const std::string&)>& use) {
  char path[] = "/tmp/aim-fixture-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return "mkstemp failed";
  close(fd);
  std::ofstream(path) << text;
  std::string err = use(path);
  unlink(path);
  return err;
}

// For every table, `iptables -t T -S CHAIN` for each chain `-S` lists.
std::string per_chain_listing(const std::string& bin, const std::vector<std::string>& tables) {
  std::string out;
  for (const std::string& table : tables) {
    auto listing = run(bin + " -t " + table + " -S");
    for (const std::string& line : lines_of(listing.out)) {
      if (line.rfind("-P ", 0) != 0 && line.rfind("-N ", 0) != 0) continue;
      std::string chain = line.substr(3);
      chain = chain.substr(0, chain.find(' '));
      auto per_chain = run(bin + " -t " + table + " -S " + quote(chain));
      for (const std::string& l : lines_of(per_chain.out)) out += table + "\t" + l + "\n";
    }
  }
  return out;
}

}  // namespace

std::string load_legacy_fixture(const std::string& path, Family family) {
  return load_with(path, legacy_binary(family) + "-restore");
}

std::string load_legacy_text(const std::string& text, Family family) {
  return with_temp_file(text, [&](const std::string& p) { return load_legacy_fixture(p, family); });
}

std::string load_nft_fixture(const std::string& path, Family family) {
  return load_with(path, iptables_binary(family, Backend::Nft) + "-restore");
}

std::string load_nft_text(const std::string& text, Family family) {
  return with_temp_file(text, [&](const std::string& p) { return load_nft_fixture(p, family); });
}

std::string legacy_table_names(Family family) {
  std::ifstream in(std::string(table_names_path(family)));
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> nft_table_names(Family family) {
  const std::string prefix = family == Family::V6 ? "table ip6 " : "table ip ";
  auto r = run("nft list tables " + std::string(family == Family::V6 ? "ip6" : "ip"));
  std::string listed;
  for (const std::string& line : lines_of(r.out))
    if (line.rfind(prefix, 0) == 0) listed += line.substr(prefix.size()) + "\n";
  return parse_table_names(listed);
}

std::string expected_tsv_per_chain(Family family) {
  return per_chain_listing(legacy_binary(family), parse_table_names(legacy_table_names(family)));
}

std::string expected_nft_tsv_per_chain(Family family) {
  return per_chain_listing(iptables_binary(family, Backend::Nft), nft_table_names(family));
}

std::string expected_whole_table_listing(Family family, Backend backend) {
  const auto tables = backend == Backend::Nft ? nft_table_names(family)
                                              : parse_table_names(legacy_table_names(family));
  std::string out;
  for (const std::string& table : tables) {
    out += "*" + table + "\n";
    out += run(iptables_binary(family, backend) + " -t " + table + " -S").out;
  }
  return out;
}

std::string whole_table_listing(const RuleSet& set) {
  std::string out;
  for (const Table& table : set.tables) {
    out += "*" + table.name + "\n";
    for (const Chain& chain : table.chains) out += std::string(chain.header) + "\n";
    for (const Chain& chain : table.chains)
      for (auto rule : chain.rules) out += std::string(rule) + "\n";
  }
  return out;
}

std::string tsv(const RuleSet& set) {
  std::ostringstream out;
  print_rulesets(out, {set}, RulesFormat::Tsv);
  return out.str();
}

void PrintTo(const FixtureCase& c, std::ostream* os) { *os << c.file; }

std::string fixture_test_name(const FixtureCase& c) {
  std::string name = c.file;
  for (char& ch : name)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

std::vector<FixtureCase> all_fixtures() {
  return {{"kube-proxy.v4.rules", Family::V4},    {"kube-proxy.v6.rules", Family::V6},
          {"cilium.v4.rules", Family::V4},        {"docker.v4.rules", Family::V4},
          {"ip-masq-agent.v4.rules", Family::V4}, {"aks.v4.rules", Family::V4},
          {"extensions.v4.rules", Family::V4},    {"extensions.v6.rules", Family::V6},
          {"sample-node.v4.rules", Family::V4}};
}

std::string fixture_path(const std::string& name) {
  return std::string(AIM_FIXTURE_DIR) + "/" + name;
}
// AIM_TEST_BINARY: another build's program (the ThreadSanitizer tier runs
// these tests, built normally, against its instrumented daemon).
std::string binary_path() {
  const char* other = std::getenv("AIM_TEST_BINARY");
  return other && *other ? other : AIM_BINARY;
}
std::string generator_path() { return AIM_GENERATOR; }

size_t kube_proxy_rule_count(int services, int user_rules) {
  return 11 * static_cast<size_t>(services) + 18 + static_cast<size_t>(user_rules);
}

size_t kube_proxy_chain_count(int services) { return 4 * static_cast<size_t>(services) + 19; }

std::string generate_kube_proxy_rules(std::string* text, int services, Family family,
                                      int user_rules) {
  const std::string command = generator_path() + " " + std::to_string(services) + " --family " +
                              (family == Family::V6 ? "6" : "4") + " --user-rules " +
                              std::to_string(user_rules);
  auto r = run(command);
  if (r.status != 0) return command + " exited with status " + std::to_string(r.status);
  size_t rules = 0, chains = 0;
  for (const std::string& line : lines_of(r.out)) {
    rules += line.rfind("-A ", 0) == 0;
    chains += line.rfind(":", 0) == 0;
  }
  const size_t expected_rules = kube_proxy_rule_count(services, user_rules);
  const size_t expected_chains = kube_proxy_chain_count(services);
  if (rules != expected_rules || chains != expected_chains)
    return command + " wrote " + std::to_string(rules) + " rules in " + std::to_string(chains) +
           " chains, not " + std::to_string(expected_rules) + " in " +
           std::to_string(expected_chains);
  *text = std::move(r.out);
  return {};
}

}  // namespace aim::test
