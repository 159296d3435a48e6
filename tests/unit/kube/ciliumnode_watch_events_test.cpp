#include "kube/ciliumnode_watch_events.h"

#include <gtest/gtest.h>

#include "kube/ciliumnode_watch.h"

namespace aim {
namespace {

const std::string kLabel = "kubernetes.azure.com/user-iptables-rules";

std::string object_json(const std::string& name, const std::string& labels,
                        const std::string& rv = "42") {
  return R"({"kind":"CiliumNode","metadata":{"name":")" + name + R"(","resourceVersion":")" + rv +
         R"(","labels":{)" + labels + "}}}";
}

TEST(CiliumNodeList, TheNodesObjectOrNone) {
  auto seen = parse_ciliumnode_list(
      R"({"kind":"CiliumNodeList","metadata":{"resourceVersion":"100"},"items":[)" +
          object_json("node1", "\"" + kLabel + "\":\"true\",\"a\":\"b\"") + "]}",
      "node1");
  ASSERT_TRUE(seen) << seen.error();
  EXPECT_TRUE(seen->exists);
  EXPECT_EQ(seen->label, std::optional<std::string>("true"));
  EXPECT_EQ(seen->resource_version, "100") << "the list's version, where the watch starts";

  auto none = parse_ciliumnode_list(R"({"metadata":{"resourceVersion":"7"},"items":[]})", "node1");
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->exists);

  auto unlabelled = parse_ciliumnode_list(
      R"({"metadata":{"resourceVersion":"7"},"items":[)" + object_json("node1", "") + "]}",
      "node1");
  ASSERT_TRUE(unlabelled);
  EXPECT_FALSE(unlabelled->label);
}

TEST(CiliumNodeList, HostileAnswersAreErrorsNotGuesses) {
  for (const std::string& body :
       {std::string("not json"), std::string("[]"), std::string(R"({"items":[]})"),
        R"({"metadata":{"resourceVersion":"1"},"items":[)" + object_json("other", "") + "]}",
        R"({"metadata":{"resourceVersion":"1"},"items":[)" + object_json("node1", "") + "," +
            object_json("node1", "") + "]}",
        std::string(R"({"metadata":{"resourceVersion":"1"},"items":{}})"), std::string(10000, '[')})
    EXPECT_FALSE(parse_ciliumnode_list(body, "node1")) << body.substr(0, 80);
}

TEST(WatchEvent, Types) {
  auto added =
      parse_watch_event(R"({"type":"ADDED","object":)" +
                            object_json("node1", "\"" + kLabel + "\":\"false\"", "5") + "}",
                        "node1");
  ASSERT_TRUE(added) << added.error();
  EXPECT_EQ(added->type, WatchEvent::Type::Added);
  EXPECT_EQ(added->object.label, std::optional<std::string>("false"));
  EXPECT_EQ(added->resource_version, "5");

  auto deleted = parse_watch_event(
      R"({"type":"DELETED","object":)" + object_json("node1", "", "6") + "}", "node1");
  ASSERT_TRUE(deleted);
  EXPECT_FALSE(deleted->object.exists);

  auto bookmark = parse_watch_event(
      R"({"type":"BOOKMARK","object":{"kind":"CiliumNode","metadata":{"resourceVersion":"9"}}})",
      "node1");
  ASSERT_TRUE(bookmark);
  EXPECT_EQ(bookmark->type, WatchEvent::Type::Bookmark);
  EXPECT_EQ(bookmark->resource_version, "9");

  auto gone = parse_watch_event(
      R"({"type":"ERROR","object":{"kind":"Status","code":410,"message":"too old resource version"}})",
      "node1");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->type, WatchEvent::Type::Error);
  EXPECT_EQ(gone->error_code, 410);

  EXPECT_FALSE(
      parse_watch_event(R"({"type":"ADDED","object":)" + object_json("node2", "") + "}", "node1"))
      << "another object";
  EXPECT_FALSE(parse_watch_event("garbage", "node1"));
  EXPECT_FALSE(parse_watch_event(R"({"type":"WHAT","object":{}})", "node1"));
  // A label value that is not a string differs from "true" and "false".
  auto odd = parse_watch_event(
      R"({"type":"MODIFIED","object":)" + object_json("node1", "\"" + kLabel + "\":true") + "}",
      "node1");
  ASSERT_TRUE(odd);
  EXPECT_NE(odd->object.label, std::optional<std::string>("true"));
}

TEST(LineSplitter, LinesAcrossChunksAndACap) {
  LineSplitter split(10);
  std::vector<std::string> lines;
  auto take = [&](std::string_view l) {
    lines.emplace_back(l);
    return true;
  };
  ASSERT_TRUE(split.feed("ab", take));
  ASSERT_TRUE(split.feed("c\nde\n\nf", take));
  EXPECT_EQ(lines, (std::vector<std::string>{"abc", "de"}));
  EXPECT_EQ(split.pending(), 1u);
  EXPECT_FALSE(split.feed(std::string(20, 'x'), take)) << "a line over the cap";
  LineSplitter stop(100);
  auto first_only = [&](std::string_view) { return false; };
  auto r = stop.feed("a\nb\n", first_only);
  ASSERT_TRUE(r);
  EXPECT_FALSE(*r);
}

TEST(CiliumNodeWatch, RequestPathsSelectTheNodeAndEscape) {
  EXPECT_EQ(ciliumnode_list_path("node1"),
            "/apis/cilium.io/v2/ciliumnodes?fieldSelector=metadata.name%3Dnode1");
  EXPECT_EQ(ciliumnode_watch_path("node1", "12&x=1", std::chrono::seconds(290)),
            "/apis/cilium.io/v2/ciliumnodes?fieldSelector=metadata.name%3Dnode1&watch=1&"
            "allowWatchBookmarks=true&resourceVersion=12%26x%3D1&timeoutSeconds=290");
}

}  // namespace
}  // namespace aim
