// The service's environment file as a command reads it: systemd's meaning or
// a refusal with FILE:LINE, never a third reading.
#include "cli/env_file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

namespace aim {
namespace {

EnvFile parsed(std::string_view text, const std::string& path = "/etc/default/aim") {
  auto r = parse_env_file(text, path);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
  return r.ok() ? *r : EnvFile{};
}

std::string refusal(std::string_view text) {
  auto r = parse_env_file(text, "f");
  return r.ok() ? "<accepted>" : r.error();
}

std::vector<std::string> words(std::string_view value) {
  auto r = split_exec_words(value);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error());
  return r.ok() ? *r : std::vector<std::string>{};
}

using Words = std::vector<std::string>;

TEST(EnvFileParse, AssignmentsCommentsAndBlankLines) {
  const EnvFile f = parsed(
      "# a comment\n"
      "; also a comment\n"
      "\n"
      "   \t\n"
      "  # an indented comment\n"
      "NODE_NAME=node1\n"
      "  INDENTED=yes\n"
      "EMPTY=\n"
      "_x1=a b  c\t\n"
      "LAST=no newline at the end");
  ASSERT_EQ(f.assignments.size(), 5u);
  EXPECT_EQ(f.assignments[0].name, "NODE_NAME");
  EXPECT_EQ(f.assignments[0].value, "node1");
  EXPECT_EQ(f.assignments[0].line, 6u);
  EXPECT_EQ(f.assignments[1].name, "INDENTED");
  EXPECT_EQ(f.assignments[2].value, "");
  // Interior blanks are kept, leading and trailing ones dropped (systemd).
  EXPECT_EQ(f.assignments[3].value, "a b  c");
  EXPECT_EQ(f.assignments[4].value, "no newline at the end");
  EXPECT_EQ(f.assignments[4].line, 10u);
}

TEST(EnvFileParse, QuotedValues) {
  const EnvFile f = parsed(
      "A=\"--input /x --ipv6\"\n"
      "B='single $quoted \\ \"text\"'\n"
      "C=\"escapes: \\\" \\\\ \\$ \\`\"\n"
      "D= \"blanks outside the quotes go\"  \n"
      "E=\"\"\n"
      "F=\"it's # not a comment\"\n"
      "G=$literal\n");
  ASSERT_EQ(f.assignments.size(), 7u);
  EXPECT_EQ(f.assignments[0].value, "--input /x --ipv6");
  EXPECT_EQ(f.assignments[1].value, "single $quoted \\ \"text\"");
  EXPECT_EQ(f.assignments[2].value, "escapes: \" \\ $ `");
  EXPECT_EQ(f.assignments[3].value, "blanks outside the quotes go");
  EXPECT_EQ(f.assignments[4].value, "");
  EXPECT_EQ(f.assignments[5].value, "it's # not a comment");
  EXPECT_EQ(f.assignments[6].value, "$literal");
}

TEST(EnvFileParse, NonAsciiUtf8IsText) {
  EXPECT_EQ(parsed("NOTE=\"née — ✓\"\n").assignments[0].value, "née — ✓");
}

// Each of these means something else to systemd than it seems to, or is not
// an assignment at all: refused, naming the line.
TEST(EnvFileParse, RefusesWhatSystemdWouldReadDifferently) {
  const auto refused = [](std::string_view text, const std::string& line, const std::string& why) {
    const std::string error = refusal(text);
    EXPECT_EQ(error.rfind("f:" + line + ": ", 0), 0u) << text << " -> " << error;
    EXPECT_NE(error.find(why), std::string::npos) << text << " -> " << error;
  };
  refused("A=1\nNODE_NAME=node1 # my node\n", "2", "'#' after a space");
  refused("NODE_NAME node1\n", "1", "not NAME=VALUE");
  refused("export NODE_NAME=node1\n", "1", "'export'");
  refused("NODE_NAME =node1\n", "1", "a space before '='");
  refused("1NODE=x\n", "1", "not a variable name");
  refused("NODE-NAME=x\n", "1", "not a variable name");
  refused("=x\n", "1", "not a variable name");
  refused("A=\"unterminated\n", "1", "no closing \"");
  refused("A='unterminated\nB=1'\n", "1", "no closing '");
  refused("A=\"x\" # comment\n", "1", "text after the closing \"");
  refused("A=\"x\"y\n", "1", "text after the closing \"");
  refused("A=\"\\n\"\n", "1", "the escape \\n");
  refused("A=\"continued \\\n", "1", "continued on the next line");
  refused("A=unquoted\\\n", "1", "backslash inside an unquoted value");
  refused("A=it's\n", "1", "quote inside an unquoted value");
  refused("A=a\"b\"\n", "1", "quote inside an unquoted value");
  refused("A=1\r\n", "1", "carriage return");
  refused("A=1\nB=\x01\n", "2", "control character 0x01");
  refused(std::string_view("A=1\0\n", 5), "1", "control character 0x00");
  refused("A=\xff\n", "1", "not UTF-8");
  refused("A=\xc0\xaf\n", "1", "not UTF-8");      // overlong '/'
  refused("A=\xed\xa0\x80\n", "1", "not UTF-8");  // a surrogate
  refused("\xEF\xBB\xBFNODE_NAME=x\n", "1", "byte order mark");
}

TEST(EnvFileParse, TheShippedFileGivesTheServiceItsAllowlistsAndIpv6) {
  std::ifstream in(std::string(AIM_ETC_DIR) + "/default/azure-iptables-monitor");
  std::stringstream text;
  text << in.rdbuf();
  ASSERT_FALSE(text.str().empty());
  const EnvFile f = parsed(text.str());
  ASSERT_EQ(f.assignments.size(), 1u) << "NODE_NAME and KUBECONFIG are commented out";
  EXPECT_EQ(f.assignments[0].name, kOptionsVariable);
  const Words w = words(f.assignments[0].value);
  const std::set<std::string> set(w.begin(), w.end());
  EXPECT_TRUE(set.count("--ipv6")) << "every family the node has is checked";
  EXPECT_EQ(w, (Words{"--input", "/etc/azure-iptables-monitor/ipv4", "--input6",
                      "/etc/azure-iptables-monitor/ipv6", "--ipv6"}));
}

// As systemd splits a lone $AZURE_IPTABLES_MONITOR_OPTS word in ExecStart=.
TEST(ExecWords, SplitLikeSystemd) {
  EXPECT_EQ(words(""), Words{});
  EXPECT_EQ(words("   \t "), Words{});
  EXPECT_EQ(words("--input /x\t--ipv6  -v 2"), (Words{"--input", "/x", "--ipv6", "-v", "2"}));
  EXPECT_EQ(words("--input '/a b' \"--input6=/c d\""), (Words{"--input", "/a b", "--input6=/c d"}));
  EXPECT_EQ(words("--input=\"/a b\"/c"), (Words{"--input=/a b/c"}));
  EXPECT_EQ(words("'it\"s'"), (Words{"it\"s"}));
  EXPECT_EQ(words("$literal"), (Words{"$literal"}));
}

TEST(ExecWords, RefusesWhatSystemdReadsSurprisingly) {
  EXPECT_FALSE(split_exec_words("--input /a\\ b").ok());
  EXPECT_FALSE(split_exec_words("--input '/a b").ok());
  EXPECT_FALSE(split_exec_words("--node-name ''").ok());
  EXPECT_FALSE(split_exec_words("\"\"").ok());
}

EnvFile file(const std::string& path, std::vector<EnvAssignment> assignments) {
  return EnvFile{path, std::move(assignments)};
}

const auto nothing_set = [](const std::string&) { return false; };

TEST(EnvFileConfigurationTest, OptionsVariablesAndSummary) {
  const auto config =
      configuration_from({file("/etc/default/x", {{"NODE_NAME", "node1", 5},
                                                  {"FOO", "bar", 6},
                                                  {kOptionsVariable, "--input /a --ipv6", 7}})},
                         nothing_set);
  ASSERT_TRUE(config.ok()) << config.error();
  EXPECT_EQ(config->option_words, (Words{"--input", "/a", "--ipv6"}));
  EXPECT_EQ(config->options_origin, "/etc/default/x:7");
  EXPECT_EQ(config->environment,
            (std::vector<std::pair<std::string, std::string>>{{"NODE_NAME", "node1"}}));
  EXPECT_EQ(config->sources, "/etc/default/x (NODE_NAME, AZURE_IPTABLES_MONITOR_OPTS)");
  EXPECT_EQ(config->ignored, Words{"FOO"});
  EXPECT_TRUE(config->overridden.empty());
}

TEST(EnvFileConfigurationTest, TheProcessEnvironmentWinsOverTheFile) {
  const auto config =
      configuration_from({file("f", {{"NODE_NAME", "from-file", 1}, {"KUBECONFIG", "/k", 2}})},
                         [](const std::string& name) { return name == "KUBECONFIG"; });
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->environment,
            (std::vector<std::pair<std::string, std::string>>{{"NODE_NAME", "from-file"}}));
  EXPECT_EQ(config->overridden, Words{"KUBECONFIG"});
  EXPECT_EQ(config->sources, "f (NODE_NAME)");
  EXPECT_TRUE(config->option_words.empty());
}

// As with two EnvironmentFile= lines: both are read, a later assignment wins.
TEST(EnvFileConfigurationTest, LaterAssignmentsAndFilesWin) {
  const auto config = configuration_from(
      {file("/etc/default/x",
            {{"NODE_NAME", "a", 1}, {kOptionsVariable, "--ipv6", 2}, {"NODE_NAME", "b", 3}}),
       file("/etc/sysconfig/x", {{kOptionsVariable, "-v 2", 1}}), file("/empty", {})},
      nothing_set);
  ASSERT_TRUE(config.ok());
  EXPECT_EQ(config->option_words, (Words{"-v", "2"}));
  EXPECT_EQ(config->options_origin, "/etc/sysconfig/x:1");
  EXPECT_EQ(config->environment,
            (std::vector<std::pair<std::string, std::string>>{{"NODE_NAME", "b"}}));
  EXPECT_EQ(config->sources,
            "/etc/default/x (NODE_NAME), /etc/sysconfig/x (AZURE_IPTABLES_MONITOR_OPTS), /empty "
            "(nothing used)");
}

TEST(EnvFileConfigurationTest, RefusesOptionsThatCannotBeTheService) {
  for (const char* opts : {"--input '/a", "--ipv6 -- x", "--env-file /y", "-env-file=/y"}) {
    const auto config =
        configuration_from({file("f", {{"A", "1", 1}, {kOptionsVariable, opts, 2}})}, nothing_set);
    ASSERT_FALSE(config.ok()) << opts;
    EXPECT_EQ(config.error().rfind("f:2: AZURE_IPTABLES_MONITOR_OPTS", 0), 0u) << config.error();
  }
}

TEST(EnvFileChoiceTest, FlagThenVariableThenTheUnitsFiles) {
  const EnvFileChoice defaults = choose_env_files(std::nullopt, nullptr);
  // The operator's own file last: its assignments win over the packaged one's.
  EXPECT_EQ(defaults.paths,
            (Words{"/etc/default/azure-iptables-monitor", "/etc/sysconfig/azure-iptables-monitor",
                   "/etc/azure-iptables-monitor/environment"}));
  EXPECT_TRUE(defaults.missing_ok);
  EXPECT_EQ(choose_env_files(std::nullopt, "").paths, defaults.paths);

  const EnvFileChoice from_env = choose_env_files(std::nullopt, "/t/env");
  EXPECT_EQ(from_env.paths, Words{"/t/env"});
  EXPECT_FALSE(from_env.missing_ok);
  EXPECT_EQ(choose_env_files(std::string("/f"), "/t/env").paths, Words{"/f"});

  const EnvFileChoice off = choose_env_files(std::nullopt, "none");
  EXPECT_TRUE(off.paths.empty());
  EXPECT_EQ(off.disabled_by, "AIM_ENV_FILE=none");
  const EnvFileChoice flag_off = choose_env_files(std::string("none"), "/t/env");
  EXPECT_TRUE(flag_off.paths.empty());
  EXPECT_EQ(flag_off.disabled_by, "--env-file none");
}

}  // namespace
}  // namespace aim
