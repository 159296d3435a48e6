// The bash completion the packages install offers exactly what --help lists:
// the commands, and after each command the options valid there. Run in bash
// (the completion function itself, no bash-completion package needed).
#include <gtest/gtest.h>

#include <cstdio>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

std::string quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// The long options --help declares (the first column of its option lines,
// e.g. "--nftables,--no-nftables{false}=true"), and the commands it lists.
struct Help {
  std::set<std::string> options, commands;
};
Help parse_help(const std::string& text) {
  Help help;
  std::istringstream in(text);
  std::string line;
  bool in_commands = false;
  const std::regex long_option("--[A-Za-z][A-Za-z0-9-]*");
  while (std::getline(in, line)) {
    if (line.rfind("Subcommands:", 0) == 0) in_commands = true;
    if (line.size() < 3 || line.compare(0, 2, "  ") != 0 || line[2] == ' ') continue;
    const std::string first = line.substr(2, line.find(' ', 2) - 2);
    if (in_commands) {
      help.commands.insert(first);
      continue;
    }
    if (first[0] != '-') continue;
    for (auto it = std::sregex_iterator(first.begin(), first.end(), long_option);
         it != std::sregex_iterator(); ++it)
      help.options.insert(it->str());
  }
  return help;
}

// What the completion offers for the words `line` (the last one being
// completed), as a set.
std::set<std::string> complete(const std::string& line) {
  const std::string script = std::string("source ") + AIM_SOURCE_DIR +
                             "/completion/azure-iptables-monitor.bash; COMP_WORDS=(" + line +
                             "); COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _azure_iptables_monitor; "
                             "printf '%s\\n' \"${COMPREPLY[@]}\"";
  std::istringstream out(run("bash -c " + quote(script)));
  std::set<std::string> words;
  std::string w;
  while (std::getline(out, w))
    if (!w.empty()) words.insert(w);
  return words;
}

std::set<std::string> long_only(std::set<std::string> words) {
  std::erase_if(words, [](const std::string& w) { return w.rfind("--", 0) != 0; });
  return words;
}

TEST(BashCompletion, OffersTheCommandsHelpLists) {
  const Help top = parse_help(run(std::string(AIM_BINARY) + " --help"));
  ASSERT_EQ(top.commands, (std::set<std::string>{"rules", "check", "validate"}));
  EXPECT_EQ(complete("azure-iptables-monitor ''"), top.commands);
}

TEST(BashCompletion, OffersEveryOptionHelpListsAndNoOther) {
  const Help top = parse_help(run(std::string(AIM_BINARY) + " --help"));
  ASSERT_GT(top.options.size(), 15u);
  EXPECT_EQ(long_only(complete("azure-iptables-monitor --")), top.options);
  for (const std::string command : {"rules", "check", "validate"}) {
    Help own = parse_help(run(std::string(AIM_BINARY) + " " + command + " --help"));
    std::set<std::string> want = top.options;
    want.insert(own.options.begin(), own.options.end());
    EXPECT_EQ(long_only(complete("azure-iptables-monitor " + command + " --")), want) << command;
  }
}

TEST(BashCompletion, OffersTheValuesAnOptionTakes) {
  EXPECT_EQ(complete("azure-iptables-monitor --backend ''"),
            (std::set<std::string>{"auto", "legacy", "nft"}));
  EXPECT_EQ(complete("azure-iptables-monitor --backend = ''"),
            (std::set<std::string>{"auto", "legacy", "nft"}));
  EXPECT_EQ(complete("azure-iptables-monitor rules --format ''"),
            (std::set<std::string>{"tsv", "save", "json"}));
  EXPECT_EQ(complete("azure-iptables-monitor check --output j"), (std::set<std::string>{"json"}));
  EXPECT_EQ(complete("azure-iptables-monitor --ipv6 = ''"),
            (std::set<std::string>{"true", "false"}));
  // A number: nothing to offer (not the commands).
  EXPECT_TRUE(complete("azure-iptables-monitor --interval ''").empty());
}

}  // namespace
