// Commands run by hand read the service's environment file (here a temporary
// one, named by AIM_ENV_FILE): they check with its allowlists, node name,
// kubeconfig and options, and the command line's own flags win. The service
// itself does not read it (systemd does).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "netns.h"
#include "require.h"

namespace aim {
namespace {

using test::quote;
using test::run;

class EnvFileCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/aim-envfile-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    // Policies and chain declarations are allowed everywhere; each family
    // allows its one user rule, "deny" allows no rule.
    write("allow4/global", "^-[PN] \n^-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT$\n");
    write("allow6/global", "^-[PN] \n^-A INPUT -p tcp -m tcp --dport 2223 -j ACCEPT$\n");
    write("deny/global", "^-[PN] \n");
    write("env",
          "# as packaged, with the node configured\n"
          "NODE_NAME=node-from-file\n"
          "KUBECONFIG=" +
              dir_ +
              "/not-yet/kubeconfig\n"
              "AZURE_IPTABLES_MONITOR_OPTS=\"--input " +
              dir_ + "/allow4 --input6 " + dir_ + "/allow6 --ipv6\"\n");
  }
  void TearDown() override { std::system(("rm -rf " + quote(dir_)).c_str()); }

  void write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::system(("mkdir -p " + quote(path.substr(0, path.rfind('/')))).c_str());
    std::ofstream(path) << text;
  }
  // Runs the binary with ARGS, the environment file `env` (unless `env_file`
  // says otherwise) and none of the variables it could supply; returns
  // stdout+stderr and sets *status.
  std::string aim(const std::string& args, int* status, const std::string& env_file = "",
                  const std::string& extra_env = "") {
    const std::string file = env_file.empty() ? dir_ + "/env" : env_file;
    auto r = run(
        "env -u NODE_NAME -u KUBECONFIG -u KUBERNETES_SERVICE_HOST AIM_ENV_FILE=" + quote(file) +
        " " + extra_env + " " + quote(test::binary_path()) + " " + args + " 2>&1; echo \"rc=$?\"");
    const size_t at = r.out.rfind("rc=");
    *status = std::atoi(r.out.c_str() + at + 3);
    return r.out.substr(0, at);
  }
  std::string dir_;
};

TEST_F(EnvFileCommandTest, ValidateChecksTheFilesAllowlistsBothFamilies) {
  int status = 0;
  std::string out = aim("validate -v 2", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("4 patterns checked, 0 problems"), std::string::npos) << out;
  EXPECT_NE(out.find("configuration: " + dir_ +
                     "/env (NODE_NAME, KUBECONFIG, AZURE_IPTABLES_MONITOR_OPTS), then the "
                     "command line"),
            std::string::npos)
      << out;

  // An IPv6 problem is found: --input6 and --ipv6 came from the file.
  write("allow6/filter", "(unclosed\n");
  out = aim("validate", &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find(dir_ + "/allow6/filter:1:"), std::string::npos) << out;

  // An explicit flag wins: the IPv4 directory named here (1 pattern) and the
  // file's IPv6 one (2 patterns and the broken one) are checked.
  out = aim("validate --input " + quote(dir_ + "/deny"), &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("3 patterns checked, 1 problem"), std::string::npos) << out;
}

TEST_F(EnvFileCommandTest, AnUnusableFileIsAConfigurationErrorNamingTheLine) {
  write("bad", "NODE_NAME=node1\nAZURE_IPTABLES_MONITOR_OPTS=--input /x # the stock dir\n");
  int status = 0;
  std::string out = aim("validate", &status, dir_ + "/bad");
  EXPECT_EQ(status, 78) << out;
  EXPECT_NE(out.find(dir_ + "/bad:2: '#' after a space"), std::string::npos) << out;

  write("bad-options", "AZURE_IPTABLES_MONITOR_OPTS=\"--no-such-flag\"\n");
  out = aim("validate", &status, dir_ + "/bad-options");
  EXPECT_EQ(status, 78) << out;
  EXPECT_NE(out.find("in the options from " + dir_ + "/bad-options:1"), std::string::npos) << out;

  out = aim("validate", &status, dir_ + "/missing");
  EXPECT_EQ(status, 78) << out;
  EXPECT_NE(out.find("cannot open " + dir_ + "/missing"), std::string::npos) << out;

  // A FIFO is refused, not waited on.
  ASSERT_EQ(std::system(("mkfifo " + quote(dir_ + "/fifo")).c_str()), 0);
  out = aim("validate", &status, dir_ + "/fifo");
  EXPECT_EQ(status, 78) << out;
}

TEST_F(EnvFileCommandTest, OptingOutUsesUpstreamsDefaults) {
  int status = 0;
  for (const std::string& how : {std::string("--env-file none validate -v 2"),
                                 std::string("validate -v 2 --env-file=none")}) {
    const std::string out = aim(how, &status);
    EXPECT_NE(out.find("configuration: the command line only (--env-file none)"), std::string::npos)
        << out;
    EXPECT_EQ(out.find(dir_), std::string::npos) << out;
  }
  const std::string out = aim("validate -v 2", &status, "none");
  EXPECT_NE(out.find("configuration: the command line only (AIM_ENV_FILE=none)"), std::string::npos)
      << out;
}

// The service takes its environment from systemd, which has read the file
// already: it never reads one itself.
TEST_F(EnvFileCommandTest, TheServiceDoesNotReadTheFile) {
  int status = 0;
  std::string out = aim("--interval 1", &status);
  EXPECT_EQ(status, 78) << out;
  EXPECT_NE(out.find("no node name"), std::string::npos) << out;
  out = aim("--env-file " + quote(dir_ + "/env") + " --interval 1", &status);
  EXPECT_EQ(status, 78) << out;
  EXPECT_NE(out.find("--env-file applies to the commands"), std::string::npos) << out;
}

class EnvFileCheckTest : public EnvFileCommandTest {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
    EnvFileCommandTest::SetUp();
    ASSERT_EQ(test::load_legacy_text("*filter\n:INPUT ACCEPT [0:0]\n"
                                     "-A INPUT -p tcp -m tcp --dport 2222 -j ACCEPT\nCOMMIT\n",
                                     Family::V4),
              "");
    ASSERT_EQ(test::load_legacy_text("*filter\n:INPUT ACCEPT [0:0]\n"
                                     "-A INPUT -p tcp -m tcp --dport 2223 -j ACCEPT\nCOMMIT\n",
                                     Family::V6),
              "");
  }
};

TEST_F(EnvFileCheckTest, CheckUsesTheFilesAllowlistsNodeAndKubeconfig) {
  int status = 0;
  const std::string out = aim("check --dry-run -v 2", &status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_NE(out.find("verdict: clean"), std::string::npos) << out;
  EXPECT_NE(out.find("patterns from " + dir_ + "/allow4"), std::string::npos) << out;
  EXPECT_NE(out.find("IPv6 patterns from " + dir_ + "/allow6"), std::string::npos) << out;
  EXPECT_NE(out.find("/ciliumnodes/node-from-file"), std::string::npos) << out;
  EXPECT_NE(out.find("kubeconfig " + dir_ + "/not-yet/kubeconfig does not exist yet"),
            std::string::npos)
      << out;
}

TEST_F(EnvFileCheckTest, ExplicitFlagsAndTheProcessEnvironmentWin) {
  int status = 0;
  // --input on the command line replaces the file's: the IPv4 rule is now
  // unexpected; IPv6 (still from the file) stays allowed.
  std::string out = aim("check --dry-run --input " + quote(dir_ + "/deny"), &status);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("--dport 2222"), std::string::npos) << out;
  EXPECT_EQ(out.find("--dport 2223"), std::string::npos) << out;

  // The same with the single-dash form upstream's command lines use.
  out = aim("check -dry-run -input=" + quote(dir_ + "/deny"), &status);
  EXPECT_EQ(status, 1) << out;

  // NODE_NAME set in the process beats the file's, as --node-name beats both.
  out = aim("check --dry-run -v 2", &status, "", "NODE_NAME=from-process");
  EXPECT_NE(out.find("/ciliumnodes/from-process"), std::string::npos) << out;
  EXPECT_NE(out.find("this process's environment wins for NODE_NAME"), std::string::npos) << out;
  out = aim("check --dry-run --node-name from-flag", &status, "", "NODE_NAME=from-process");
  EXPECT_NE(out.find("/ciliumnodes/from-flag"), std::string::npos) << out;

  // Without the file, upstream's defaults: /etc/config/ (absent here), so
  // every rule is unexpected and IPv6 is not checked.
  out = aim("check --dry-run", &status, "none");
  EXPECT_EQ(status, 1) << out;
  EXPECT_EQ(out.find("--dport 2223"), std::string::npos) << out;
}

}  // namespace
}  // namespace aim
