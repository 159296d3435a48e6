#include "util/text.h"

#include <gtest/gtest.h>
#include <json/json.h>

#include <sstream>

#include "util/json_write.h"

namespace aim {
namespace {

// Issue 15: the start line said "interval 300.000000 s".
TEST(FormatSeconds, PlainNumbers) {
  EXPECT_EQ(format_seconds(300), "300 s");
  EXPECT_EQ(format_seconds(1.5), "1.5 s");
  EXPECT_EQ(format_seconds(0.25), "0.25 s");
  EXPECT_EQ(format_seconds(0.0004), "0 s");
  EXPECT_EQ(format_seconds(12.3456), "12.346 s");
  EXPECT_EQ(format_seconds(86400), "86400 s");
  EXPECT_EQ(format_seconds(0), "0 s");
}

TEST(ShortenAtWord, ShortTextIsKept) {
  EXPECT_EQ(shorten_at_word("cannot open /x: No such file", 100, 200),
            "cannot open /x: No such file");
}

TEST(ShortenAtWord, CutsBetweenWordsNeverInsideAPath) {
  const std::string path = "/var/lib/kubelet/pods/0123456789abcdef/volumes/kubeconfig";
  const std::string text = "cannot read " + path + ": Permission denied (run it as root)";
  // The limit falls inside the path: the path is dropped whole, not cut.
  const std::string cut = shorten_at_word(text, 30, 400);
  EXPECT_EQ(cut, "cannot read ...");
  // The limit falls after the path: the path is kept whole, the dangling
  // ": " is dropped.
  EXPECT_EQ(shorten_at_word(text, 12 + path.size() + 5, 400), "cannot read " + path + " ...");
}

TEST(ShortenAtWord, OneLongWordIsKeptUpToTheHardLimit) {
  const std::string word(300, 'a');
  EXPECT_EQ(shorten_at_word(word + " tail", 100, 400), word + " ...");
  EXPECT_EQ(shorten_at_word(word, 100, 400), word);
  EXPECT_EQ(shorten_at_word(std::string(1000, 'b'), 100, 400), std::string(400, 'b') + " ...");
}

// A LOG prefix can hold any bytes: jsoncpp printed 9e 52 as U+0792, a rule
// that is neither the kernel's nor what was matched. Now U+FFFD, as Go and
// the matcher read it.
TEST(WriteJson, BytesThatAreNotUtf8BecomeReplacementCharacters) {
  Json::Value v(Json::objectValue);
  v["rule"] = std::string(
      "-j LOG --log-prefix \"US\x9e"
      "R-IN\"");
  v["list"].append(std::string("ok \xc3\xa9"));
  std::ostringstream out;
  write_json(out, v);
  EXPECT_NE(out.str().find("US\\ufffdR-IN"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("ok \\u00e9"), std::string::npos) << out.str();
}

}  // namespace
}  // namespace aim
