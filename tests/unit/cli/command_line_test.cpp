// A command's arguments are the service's options (from its environment file)
// followed by its own command line: the command sees what the service sees,
// and a flag given on the command line wins.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "cli/options.h"
#include "cli/parse_error.h"

namespace aim {
namespace {

using Words = std::vector<std::string>;

// Parses `args` as main does; returns the options (CLI11 errors fail the test).
struct Parsed {
  CLI::App app{"azure-iptables-monitor"};
  CommandLine cl;
  explicit Parsed(Words args) {
    register_options(app, cl);
    std::reverse(args.begin(), args.end());
    EXPECT_NO_THROW(app.parse(args));
  }
};

const Words kStockOptions = {"--input", "/etc/azure-iptables-monitor/ipv4", "--input6",
                             "/etc/azure-iptables-monitor/ipv6", "--ipv6"};

// The defaults live in one place (ServiceOptions): a command line with no
// flags gives the service exactly a default ServiceOptions, and --help shows
// those defaults.
TEST(ServiceOptionsDefaults, AnEmptyCommandLineIsTheStructsDefaults) {
  const char* node = std::getenv("NODE_NAME");
  const std::string saved = node ? node : "";
  unsetenv("NODE_NAME");
  Parsed p({});
  if (node) setenv("NODE_NAME", saved.c_str(), 1);
  EXPECT_TRUE(static_cast<const ServiceOptions&>(p.cl.global) == ServiceOptions{});
  EXPECT_EQ(p.cl.global.min_check_interval_seconds, 0) << "no ceiling unless asked for";
  const std::string help = p.app.help();
  EXPECT_NE(help.find("/etc/config/"), std::string::npos) << help;
  EXPECT_NE(help.find(ServiceOptions{}.map_path), std::string::npos) << help;
}

TEST(MergeArguments, ServiceOptionsFirstThenTheCommandLine) {
  EXPECT_EQ(merge_arguments({"-input=/a", "-ipv6"}, {"check", "-dry-run"}),
            (Words{"--input=/a", "--ipv6", "check", "--dry-run"}));
  EXPECT_EQ(merge_arguments({}, {"validate"}), Words{"validate"});
  EXPECT_EQ(merge_arguments({"-v", "2"}, {}), (Words{"-v", "2"}));
}

TEST(MergeArguments, TheCommandSeesTheServicesOptions) {
  Parsed p(merge_arguments(kStockOptions, {"check", "--dry-run"}));
  EXPECT_TRUE(p.cl.check_command->parsed());
  EXPECT_TRUE(p.cl.check.dry_run);
  EXPECT_EQ(p.cl.global.input, "/etc/azure-iptables-monitor/ipv4");
  EXPECT_EQ(p.cl.global.input6, "/etc/azure-iptables-monitor/ipv6");
  EXPECT_TRUE(p.cl.global.ipv6);
}

TEST(MergeArguments, AFlagOnTheCommandLineWins) {
  // Before or after the command name, double- or single-dash.
  Parsed before(merge_arguments(kStockOptions, {"--input", "/mine", "validate"}));
  EXPECT_EQ(before.cl.global.input, "/mine");
  Parsed after(merge_arguments(kStockOptions, {"check", "-input=/mine", "--ipv6=false"}));
  EXPECT_EQ(after.cl.global.input, "/mine");
  EXPECT_FALSE(after.cl.global.ipv6) << "--ipv6=false turns the file's --ipv6 off";
  EXPECT_EQ(after.cl.global.input6, "/etc/azure-iptables-monitor/ipv6");

  Parsed verbosity(merge_arguments({"-v", "2", "--backend", "nft"}, {"rules", "-v", "0"}));
  EXPECT_EQ(verbosity.cl.global.verbosity, 0);
  EXPECT_EQ(verbosity.cl.global.backend, BackendChoice::Nft);
}

TEST(MergeArguments, NodeNameFlagFromTheFileBeatsTheEnvironmentLikeInTheService) {
  Parsed p(merge_arguments({"--node-name", "from-options"}, {"check", "--dry-run"}));
  EXPECT_EQ(p.cl.global.node_name, "from-options");
  Parsed q(merge_arguments({"--node-name", "from-options"},
                           {"check", "--node-name", "mine", "--dry-run"}));
  EXPECT_EQ(q.cl.global.node_name, "mine");
}

}  // namespace
}  // namespace aim

namespace aim {
namespace {

// The message main prints for `args` (normalized as main does).
std::string parse_error_for(Words args) {
  CLI::App app{"azure-iptables-monitor"};
  CommandLine cl;
  register_options(app, cl);
  std::reverse(args.begin(), args.end());
  try {
    app.parse(args);
  } catch (const CLI::ParseError& e) {
    return parse_error_message(e, app);
  }
  return "";
}

// Issue 15: CLI11 2.1 said "not expected: 60 --intreval" for `--intreval 60`.
TEST(ParseErrorMessage, UnexpectedArgumentsInCommandLineOrder) {
  EXPECT_EQ(parse_error_for({"--interval", "60", "--intreval", "60", "x"}),
            "The following arguments were not expected: --intreval 60 x");
  EXPECT_EQ(parse_error_for({"check", "a", "b", "c"}),
            "The following arguments were not expected: a b c");
  EXPECT_EQ(parse_error_for({"--bogus"}), "The following argument was not expected: --bogus");
}

TEST(ParseErrorMessage, RangesInPlainSeconds) {
  EXPECT_EQ(parse_error_for({"--interval", "0.2"}), "--interval: 0.2 is outside 1 s to 86400 s");
  EXPECT_EQ(parse_error_for({"--request-timeout", "x"}),
            "--request-timeout: not a number of seconds: x");
}

}  // namespace
}  // namespace aim
