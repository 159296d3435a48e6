// What gets installed: the unit file (`systemd-analyze verify` clean, exposure
// at most 2.5), the man page against --help, and one version everywhere.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "cli/env_file.h"
#include "require.h"

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

std::string unit_path() {
  return std::string(AIM_SOURCE_DIR) + "/systemd/azure-iptables-monitor.service";
}

class UnitFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (run("command -v systemd-analyze").empty())
      AIM_REQUIRE_OR_SKIP("systemd-analyze not installed (package systemd)");
  }
};

TEST_F(UnitFileTest, VerifiesClean) {
  // Verify the unit as installed would run: ExecStart pointed at the built
  // binary (not installed here). The man page it documents is checked when
  // installed by the package tests, so that one line is left out here.
  std::ifstream in(unit_path());
  std::stringstream text;
  text << in.rdbuf();
  std::string unit = std::regex_replace(text.str(), std::regex("/usr/sbin/azure-iptables-monitor"),
                                        std::string(AIM_BINARY));
  unit = std::regex_replace(unit, std::regex("Documentation=[^\n]*\n"), "");
  char dir[] = "/tmp/aim-unit-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string copy = std::string(dir) + "/azure-iptables-monitor.service";
  std::ofstream(copy) << unit;
  const std::string out = run("systemd-analyze verify " + copy);
  std::system(("rm -rf " + std::string(dir)).c_str());
  EXPECT_EQ(out, "") << out;
}

TEST_F(UnitFileTest, ExposureAtMostTwoAndAHalf) {
  const std::string out = run("systemd-analyze security --offline=true " + unit_path());
  std::smatch m;
  ASSERT_TRUE(std::regex_search(out, m, std::regex("Overall exposure level for [^:]+: ([0-9.]+)")))
      << out;
  const double exposure = std::stod(m[1]);
  std::printf("systemd-analyze security exposure: %.1f\n", exposure);
  EXPECT_LE(exposure, 2.5) << out;
}

TEST_F(UnitFileTest, RestartPolicyMatchesTheExitStatuses) {
  std::ifstream in(unit_path());
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_NE(text.str().find("Type=notify"), std::string::npos);
  EXPECT_NE(text.str().find("Restart=on-failure"), std::string::npos);
  EXPECT_NE(text.str().find("RestartPreventExitStatus=78"), std::string::npos);
  EXPECT_NE(text.str().find("ExecReload=/bin/kill -HUP $MAINPID"), std::string::npos);
}

// Commands run by hand read the environment files the unit names, in its
// order, and put the variable it passes on ExecStart= first.
TEST(UnitEnvironment, IsWhatCommandsRead) {
  std::ifstream in(unit_path());
  std::vector<std::string> files;
  std::string exec_start;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("EnvironmentFile=-", 0) == 0) files.push_back(line.substr(17));
    if (line.rfind("ExecStart=", 0) == 0) exec_start = line;
  }
  EXPECT_EQ(files, std::vector<std::string>(aim::kServiceEnvironmentFiles.begin(),
                                            aim::kServiceEnvironmentFiles.end()));
  EXPECT_EQ(exec_start,
            "ExecStart=/usr/sbin/azure-iptables-monitor $" + std::string(aim::kOptionsVariable));
}

// The unit's ExecCondition=: only a missing node name skips the service;
// anything else wrong is left to the service, which fails with exit status 78
// and says why.
TEST(ExecCondition, SkipsOnlyWithoutANodeName) {
  const auto status = [](const std::string& env, const std::string& args, std::string* out) {
    const std::string cmd = "env -u NODE_NAME " + env + " " + std::string(AIM_BINARY) +
                            " --exec-condition " + args + " 2>&1; echo \"rc=$?\"";
    *out = run(cmd);
    return std::atoi(out->c_str() + out->rfind("rc=") + 3);
  };
  std::string out;
  EXPECT_EQ(status("", "--input /x --ipv6", &out), 1) << out;
  EXPECT_NE(out.find("no node name: set NODE_NAME"), std::string::npos) << out;
  EXPECT_NE(out.find("skipped (ExecCondition=), not failed"), std::string::npos) << out;
  EXPECT_EQ(status("NODE_NAME=", "", &out), 1) << out;
  EXPECT_EQ(status("NODE_NAME=node1", "--ipv6", &out), 0) << out;
  EXPECT_EQ(out, "rc=0\n") << "quiet when configured";
  EXPECT_EQ(status("", "--ipv6 --node-name node1", &out), 0) << out;
  // Problems a restart cannot fix fail the service itself (exit 78).
  EXPECT_EQ(status("", "--no-such-flag", &out), 0) << out;
  EXPECT_EQ(status("", "--node-name=", &out), 0) << out;
  EXPECT_EQ(status("NODE_NAME=Not_A_Node", "", &out), 0) << out;
  EXPECT_EQ(status("", "--interval 0", &out), 0) << out;
}

}  // namespace

namespace {

// The man page and --help stay in step: every long option --help lists is
// documented in the man page.
TEST(ManPage, DocumentsEveryOption) {
  std::ifstream in(std::string(AIM_SOURCE_DIR) + "/man/azure-iptables-monitor.8");
  std::stringstream text;
  text << in.rdbuf();
  // In roff source a "-" is written "\-".
  const std::string man = std::regex_replace(text.str(), std::regex("\\\\-"), "-");
  std::string help;
  for (const char* cmd : {"", " rules", " check", " validate"})
    help += run(std::string(AIM_BINARY) + cmd + " --help");
  std::set<std::string> options;
  std::regex long_option("--[a-zA-Z][a-zA-Z0-9-]+");
  for (auto it = std::sregex_iterator(help.begin(), help.end(), long_option);
       it != std::sregex_iterator(); ++it)
    options.insert(it->str());
  ASSERT_GT(options.size(), 15u) << help;
  for (const std::string& option : options)
    EXPECT_NE(man.find(option), std::string::npos)
        << option << " is in --help but not in the man page";
}

}  // namespace

namespace {

std::string first_match(const std::string& path, const std::string& pattern) {
  std::ifstream in(path);
  std::string line;
  const std::regex re(pattern);
  std::smatch m;
  while (std::getline(in, line))
    if (std::regex_search(line, m, re)) return m[1];
  return "<no match in " + path + ">";
}

// The version lives in CMakeLists.txt's project(); --version, the Debian
// changelog and the RPM spec all say the same (the package builds also
// refuse to build otherwise).
TEST(Version, OnePlace) {
  const std::string src = AIM_SOURCE_DIR;
  const std::string cmake =
      first_match(src + "/CMakeLists.txt", "^project\\(azure-iptables-monitor VERSION ([0-9.]+)");
  EXPECT_EQ(first_match(src + "/debian/changelog", "^azure-iptables-monitor \\(([^)]+)\\)"), cmake);
  EXPECT_EQ(first_match(src + "/rpm/azure-iptables-monitor.spec", "^Version:\\s+(\\S+)"), cmake);
  const std::string version = run(std::string(AIM_BINARY) + " --version");
  EXPECT_NE(version.find(cmake), std::string::npos) << version;
  // The first changelog entries name the same version too.
  EXPECT_EQ(first_match(src + "/rpm/azure-iptables-monitor.spec", "^\\* .* - ([0-9.]+)-[0-9]+$"),
            cmake);
}

}  // namespace

// The bash completion the packages install offers exactly what --help lists:
// the commands, and after each command the options it uses (its own and the
// program's its --help lists; not the service's). Run in bash (the
// completion function itself, no bash-completion package needed).
namespace {

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
    // Its own options and, at the end of its help, the program's it uses.
    const Help own = parse_help(run(std::string(AIM_BINARY) + " " + command + " --help"));
    EXPECT_EQ(long_only(complete("azure-iptables-monitor " + command + " --")), own.options)
        << command;
    EXPECT_EQ(long_only(complete("azure-iptables-monitor -v 2 " + command + " --")), own.options)
        << command;
    for (const std::string& option : own.options)
      EXPECT_TRUE(top.options.count(option) || option == "--family" || option == "--format" ||
                  option == "--dry-run" || option == "--output" || option == "--strict")
          << option;
  }
  // Issue 28: the service's options are not offered after a command.
  const std::set<std::string> after_check = complete("azure-iptables-monitor check --");
  for (const char* service_only : {"--interval", "--unknown-grace", "--watch-ciliumnode",
                                   "--metrics-file", "--checkMap", "--exec-condition"}) {
    EXPECT_TRUE(top.options.count(service_only)) << service_only;
    EXPECT_FALSE(after_check.count(service_only)) << service_only;
  }
  EXPECT_TRUE(after_check.count("--input"));
}

// Issue 28: --help shows the values in force. The package's environment
// file sets --input, --ipv6 and more; a command (and the service, through
// its unit) runs with them, so its help shows them.
TEST(Help, ShowsTheValuesInForce) {
  char tmpl[] = "/tmp/aim-help-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::ofstream(dir + "/env")
      << "NODE_NAME=node7\nAZURE_IPTABLES_MONITOR_OPTS=\"--input /etc/azure-iptables-monitor/ipv4 "
         "--ipv6 --backend legacy\"\n";
  const std::string with_file = "AIM_ENV_FILE=" + dir + "/env " + std::string(AIM_BINARY);
  const std::string top = run(with_file + " --help");
  EXPECT_NE(top.find("--input TEXT=/etc/azure-iptables-monitor/ipv4"), std::string::npos) << top;
  EXPECT_NE(top.find("--backend TEXT:{auto,legacy,nft}=legacy"), std::string::npos) << top;
  EXPECT_NE(top.find("--ipv6=true"), std::string::npos) << top;
  EXPECT_NE(top.find("--node-name TEXT=node7"), std::string::npos) << top;
  EXPECT_NE(top.find("--interval FLOAT:FLOAT in [1 s to 86400 s]=300"), std::string::npos) << top;
  EXPECT_NE(top.find("in force here (configuration: " + dir + "/env"), std::string::npos) << top;

  const std::string check = run(with_file + " check --help --output json");
  EXPECT_NE(check.find("Usage: azure-iptables-monitor check"), std::string::npos) << check;
  EXPECT_NE(check.find("\n  --input=/etc/azure-iptables-monitor/ipv4\n"), std::string::npos)
      << check;
  EXPECT_NE(check.find("\n  --ipv6=true\n"), std::string::npos) << check;
  EXPECT_NE(check.find("--output TEXT:{text,json}=json"), std::string::npos) << check;
  EXPECT_EQ(check.find("--interval"), std::string::npos) << "the service's, not check's";
  // The command line wins, as when the command runs.
  const std::string overridden = run(with_file + " validate --input /tmp/try -h");
  EXPECT_NE(overridden.find("\n  --input=/tmp/try\n"), std::string::npos) << overridden;

  // Without a file, the built-in defaults (upstream's), said so.
  const std::string plain = run("AIM_ENV_FILE=none " + std::string(AIM_BINARY) + " check --help");
  EXPECT_NE(plain.find("\n  --input=/etc/config/\n"), std::string::npos) << plain;
  EXPECT_NE(plain.find("\n  --ipv6\n"), std::string::npos) << plain;
  EXPECT_NE(plain.find("in force here (configuration: the command line only"), std::string::npos)
      << plain;
  std::system(("rm -rf " + dir).c_str());
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

// Issue 28: the README is for operators and fits the job: it opens with the
// two commands (the demo on the embedded default, and the test suite CI
// runs), stays within 400 lines, and every link in it and in docs/ leads to
// a file and heading that exist.
namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A heading's anchor as GitHub makes it: lower case, punctuation but '-' and
// '_' dropped, spaces as '-'.
std::string anchor_of(const std::string& heading) {
  std::string out;
  for (unsigned char c : heading) {
    if (std::isalnum(c) || c == '-' || c == '_')
      out += static_cast<char>(std::tolower(c));
    else if (c == ' ')
      out += '-';
  }
  return out;
}

std::set<std::string> anchors_in(const std::string& markdown) {
  std::set<std::string> anchors;
  std::istringstream in(markdown);
  bool code = false;
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("```", 0) == 0) code = !code;
    if (code || line.empty() || line[0] != '#') continue;
    const size_t text = line.find_first_not_of('#');
    if (text == std::string::npos || line[text] != ' ') continue;
    anchors.insert(anchor_of(line.substr(text + 1)));
  }
  return anchors;
}

TEST(Readme, OpensWithTheTwoCommandsAndFitsTheJob) {
  const std::string src = AIM_SOURCE_DIR;
  const std::string readme = read_text(src + "/README.md");
  ASSERT_FALSE(readme.empty());
  EXPECT_LE(std::count(readme.begin(), readme.end(), '\n'), 400) << "the README's limit";
  // The first code block holds the two commands, in this order.
  const size_t block = readme.find("```sh\n");
  ASSERT_NE(block, std::string::npos);
  ASSERT_LT(block, 300u) << "the commands come first";
  std::istringstream commands(readme.substr(block + 6, readme.find("```", block + 6) - block - 6));
  std::vector<std::string> words;
  for (std::string line; std::getline(commands, line);)
    words.push_back(line.substr(0, line.find(' ')));
  EXPECT_EQ(words, (std::vector<std::string>{"./scripts/run-demo.sh", "./scripts/run-tests.sh"}));
  for (const std::string& script : words)
    EXPECT_EQ(access((src + "/" + script).c_str(), X_OK), 0) << script;
  // CI runs exactly the README's test command.
  EXPECT_NE(read_text(src + "/.ci/run").find("exec ./scripts/run-tests.sh"), std::string::npos);
}

TEST(Readme, EveryLinkInTheReadmeAndDocsLeadsSomewhere) {
  const std::string src = AIM_SOURCE_DIR;
  std::vector<std::string> pages{"README.md"};
  for (const char* doc : {"ARCHITECTURE.md", "REFERENCE.md", "PACKAGING.md", "HARDENING.md",
                          "TESTING.md", "BENCHMARKS.md"})
    pages.push_back(std::string("docs/") + doc);
  const std::regex link(R"(\]\(([^)#\s]*)(#[^)\s]*)?\))");
  size_t checked = 0;
  for (const std::string& page : pages) {
    const std::string text = read_text(src + "/" + page);
    ASSERT_FALSE(text.empty()) << page;
    const std::string dir = page.find('/') == std::string::npos ? "" : "docs/";
    for (auto it = std::sregex_iterator(text.begin(), text.end(), link);
         it != std::sregex_iterator(); ++it) {
      const std::string target = (*it)[1];
      const std::string fragment = (*it)[2];
      if (target.find("://") != std::string::npos) continue;
      const std::string path = target.empty() ? page : dir + target;
      const std::string body = read_text(src + "/" + path);
      EXPECT_FALSE(body.empty()) << page << " links to " << target << ", which is not there";
      if (!fragment.empty()) {
        EXPECT_TRUE(anchors_in(body).count(fragment.substr(1)))
            << page << " links to " << target << fragment << ": no such heading";
      }
      ++checked;
    }
  }
  EXPECT_GT(checked, 15u);
}

}  // namespace
