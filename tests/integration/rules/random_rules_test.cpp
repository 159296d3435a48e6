// Differential test on rules generated from a grammar (random options,
// negations, masks, quoting): whatever the kernel accepts must come back from
// our readers exactly as `iptables -S CHAIN` prints it, for both backends and
// both families.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include "netns.h"
#include "require.h"
#include "rules/legacy/reader.h"
#include "rules/nft/reader.h"

namespace aim {
namespace {

using test::run;

struct RandomCase {
  int seed;
  Family family;
  Backend backend;
};
void PrintTo(const RandomCase& c, std::ostream* os) {
  *os << "seed " << c.seed << " " << family_name(c.family) << " " << backend_name(c.backend);
}

// Adds `count` rules of the grammar for the case's seed, one command each
// (the kernel refuses some combinations), into two user chains and the
// built-in ones; most must be accepted.
void add_random_rules(const RandomCase& c, int count, size_t& tried, size_t& accepted) {
  const std::string bin = test::iptables_binary(c.family, c.backend);
  auto rules =
      run(std::string(AIM_SUPPORT_DIR) + "/gen_random_rules.py " + std::to_string(c.seed) + " " +
          std::to_string(count) + " --family " + (c.family == Family::V6 ? "6" : "4"));
  ASSERT_EQ(rules.status, 0);
  ASSERT_EQ(run(bin + " -N USER-A && " + bin + " -N user_b.2").status, 0);
  std::istringstream in(rules.out);
  std::string rule;
  while (std::getline(in, rule)) {
    ++tried;
    accepted += run(bin + " -A " + rule + " 2>/dev/null").status == 0;
  }
  ASSERT_GT(accepted * 2, tried) << "the grammar should mostly produce valid rules";
}

// The in-process nft reader's set against the iptables-nft-save reader's; how
// many tables it left to iptables-nft-save is shown, not required.
void expect_same_as_save_text(const RuleSet& set, Family family) {
  NftReader save_text(std::chrono::seconds(120), "iptables-nft-save", "ip6tables-nft-save",
                      NftReader::Mode::SaveText);
  RuleSet reference = save_text.read(family);
  ASSERT_TRUE(reference.complete()) << reference.error;
  EXPECT_EQ(test::tsv(set), test::tsv(reference));
  std::cout << "in-process reader: " << set.stats.native_rules
            << " table(s) read with iptables-nft-save\n";
  for (const std::string& note : set.stats.notes) std::cout << "  " << note << "\n";
}

class RandomRulesTest : public ::testing::TestWithParam<RandomCase> {
 protected:
  void SetUp() override {
    const std::string why = test::enter_fresh_netns();
    if (!why.empty()) AIM_REQUIRE_OR_SKIP(why);
    if (GetParam().backend == Backend::Nft && run("command -v nft >/dev/null").status != 0)
      AIM_REQUIRE_OR_SKIP("nft not installed");
  }
};

TEST_P(RandomRulesTest, ReaderMatchesIptablesS) {
  const RandomCase& c = GetParam();
  size_t tried = 0, accepted = 0;
  ASSERT_NO_FATAL_FAILURE(add_random_rules(c, 120, tried, accepted));

  RuleSet set;
  if (c.backend == Backend::Legacy) {
    LegacyReader reader;
    set = reader.read(c.family);
  } else {
    set = NftReader().read(c.family);
    ASSERT_NO_FATAL_FAILURE(expect_same_as_save_text(set, c.family));
  }
  ASSERT_TRUE(set.complete()) << set.error;
  const std::string expected = c.backend == Backend::Legacy
                                   ? test::expected_tsv_per_chain(c.family)
                                   : test::expected_nft_tsv_per_chain(c.family);
  EXPECT_EQ(test::tsv(set), expected) << accepted << " of " << tried << " rules accepted";
}

// More of the grammar for the nft backend alone: the in-process reader
// against the iptables-nft-save reader (cheaper than -S per chain).
class RandomNftRulesTest : public RandomRulesTest {};

TEST_P(RandomNftRulesTest, InProcessReaderAgreesWithSaveText) {
  const RandomCase& c = GetParam();
  size_t tried = 0, accepted = 0;
  ASSERT_NO_FATAL_FAILURE(add_random_rules(c, 200, tried, accepted));
  RuleSet set = NftReader().read(c.family);
  ASSERT_TRUE(set.complete()) << set.error;
  expect_same_as_save_text(set, c.family);
}

std::vector<RandomCase> nft_cases() {
  std::vector<RandomCase> out;
  for (int seed = 100; seed < 116; ++seed)
    for (Family f : {Family::V4, Family::V6}) out.push_back({seed, f, Backend::Nft});
  return out;
}

INSTANTIATE_TEST_SUITE_P(NftGrammar, RandomNftRulesTest, ::testing::ValuesIn(nft_cases()),
                         [](const auto& info) {
                           return "seed" + std::to_string(info.param.seed) + "_" +
                                  std::string(family_name(info.param.family));
                         });

std::vector<RandomCase> cases() {
  std::vector<RandomCase> out;
  for (int seed = 1; seed <= 6; ++seed)
    for (Family f : {Family::V4, Family::V6})
      for (Backend b : {Backend::Legacy, Backend::Nft}) out.push_back({seed, f, b});
  return out;
}

INSTANTIATE_TEST_SUITE_P(Grammar, RandomRulesTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) {
                           return "seed" + std::to_string(info.param.seed) + "_" +
                                  std::string(family_name(info.param.family)) + "_" +
                                  std::string(backend_name(info.param.backend));
                         });

}  // namespace
}  // namespace aim
